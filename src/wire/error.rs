//! Why a response was refused: the errors of the decoder and of the chunked
//! framing it drives, in a file of their own below both.

use core::fmt;

use super::MAX_HEADERS;

/// Why a response was refused. Once a decoder returned one, it returns it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeError {
    /// The first bytes are not `HTTP/`.
    NotHttp,
    /// The head is not valid HTTP/1.x.
    MalformedHead(HeadError),
    /// The head has more than [`MAX_HEADERS`] fields.
    TooManyHeaders,
    /// The head, a chunk-size line's extensions or the trailers passed [`Limits::max_head_len`](super::Limits::max_head_len).
    HeadTooLarge,
    /// A Content-Length that is not decimal digits, overflows, or disagrees with another.
    InvalidContentLength,
    /// Both Content-Length and Transfer-Encoding.
    ConflictingFraming,
    /// A transfer coding other than a single `chunked` (or any on HTTP/1.0).
    UnsupportedTransferEncoding,
    /// An `X-aws-ec2-metadata-token-ttl-seconds` that is not a decimal `u32`, or
    /// two that disagree.
    InvalidTokenTtl,
    /// A `101 Switching Protocols`, which was never asked for.
    UnexpectedSwitch,
    /// Bad chunk framing.
    MalformedChunk,
    /// A chunk size of more than 16 hex digits.
    ChunkSizeOverflow,
    /// The body is, or announced to be, larger than [`Limits::max_body_len`](super::Limits::max_body_len).
    BodyTooLarge,
    /// The connection ended before the response was complete.
    UnexpectedEof(EofPhase),
}

/// Where the connection ended too early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EofPhase {
    /// Before any byte of the response: often a keep-alive connection the server
    /// closed, worth one retry on a new connection.
    BeforeResponse,
    /// Inside the head.
    Head,
    /// Inside the body: fewer bytes than announced, or inside a chunk.
    Body,
}

/// What is wrong with a head, as httparse reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HeadError {
    /// The version is not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// The status code is not three digits.
    Status,
    /// A field name has an invalid byte.
    HeaderName,
    /// A field value has an invalid byte.
    HeaderValue,
    /// A line end is malformed.
    NewLine,
    /// An invalid token where one was expected.
    Token,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotHttp => f.write_str("response is not HTTP"),
            DecodeError::MalformedHead(e) => write!(f, "malformed response head: {e}"),
            DecodeError::TooManyHeaders => write!(f, "response has more than {MAX_HEADERS} header fields"),
            DecodeError::HeadTooLarge => f.write_str("response head, chunk extensions or trailers too large"),
            DecodeError::InvalidContentLength => f.write_str("invalid Content-Length"),
            DecodeError::ConflictingFraming => f.write_str("both Content-Length and Transfer-Encoding"),
            DecodeError::UnsupportedTransferEncoding => f.write_str("unsupported Transfer-Encoding"),
            DecodeError::InvalidTokenTtl => f.write_str("invalid X-aws-ec2-metadata-token-ttl-seconds"),
            DecodeError::UnexpectedSwitch => f.write_str("unexpected 101 Switching Protocols"),
            DecodeError::MalformedChunk => f.write_str("malformed chunked encoding"),
            DecodeError::ChunkSizeOverflow => f.write_str("chunk size too large"),
            DecodeError::BodyTooLarge => f.write_str("response body larger than the limit"),
            DecodeError::UnexpectedEof(EofPhase::BeforeResponse) => f.write_str("connection closed before a response"),
            DecodeError::UnexpectedEof(EofPhase::Head) => f.write_str("connection closed inside the response head"),
            DecodeError::UnexpectedEof(EofPhase::Body) => f.write_str("connection closed inside the response body"),
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeadError::Version => "bad version",
            HeadError::Status => "bad status code",
            HeadError::HeaderName => "bad field name",
            HeadError::HeaderValue => "bad field value",
            HeadError::NewLine => "bad line end",
            HeadError::Token => "bad token",
        })
    }
}

impl core::error::Error for DecodeError {}
