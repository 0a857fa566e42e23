//! Pure wire code: request bytes out, response bytes in. Knows nothing of
//! sessions, sockets or clocks.
//!
//! - [`Request`]: the token `PUT` and the metadata `GET`, encoded into your buffer.
//! - [`Decoder`]: incremental response decoding, one event at a time, zero-copy.
//! - [`Reader`]: your receive buffer managed for one response, the body
//!   contiguous or streamed ([`BodyMode`](crate::BodyMode)).

mod chunked;
mod error;
pub(crate) mod reader;
mod request;
mod response;

/// Most header fields a head may have (the recorded IMDS traffic in the tests
/// has at most 8); more is
/// [`DecodeError::TooManyHeaders`]. (Each slot is four words of stack while a
/// head is parsed.)
pub const MAX_HEADERS: usize = 16;

pub use error::{DecodeError, EofPhase, HeadError};
pub(crate) use reader::{Advance, Body};
pub use reader::{Progress, ReadError, Reader, Response};
pub(crate) use request::validate_user_agent;
pub use request::{EncodeError, MAX_REQUEST_LEN, MAX_USER_AGENT_LEN, Request, TOKEN_PATH, max_request_len};
pub use response::{Decoded, Decoder, Framing, Limits, ResponseHead, Span};
