//! Pure wire code: request bytes out, response bytes in. Knows nothing of
//! sessions, sockets or clocks.

mod chunked;
pub mod reader;
pub mod request;
pub mod response;

pub use reader::{BodyMode, Progress, ReadError, Reader, Response};
pub use request::{EncodeError, MAX_REQUEST_LEN, MAX_USER_AGENT_LEN, Request, TOKEN_PATH, max_request_len};
pub use response::{DecodeError, Decoded, Decoder, EofPhase, Framing, HeadError, Limits, ResponseHead, Span};
