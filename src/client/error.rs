//! Why an operation failed: what happened, and in which phase.

use core::fmt;

use crate::buffer::BufferTooSmall;
use crate::path::PathError;
use crate::token::TokenError;
use crate::transport::TransportError;
use crate::wire::{DecodeError, ReadError};

/// The request an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Phase {
    /// The token `PUT`.
    Token,
    /// The metadata `GET`.
    Get,
}

/// Which clock ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimeoutKind {
    /// Connecting took longer than `connect_timeout`.
    Connect,
    /// No response bytes for `read_timeout`.
    Read,
    /// The whole operation took longer than `operation_timeout`.
    Operation,
}

/// Misuse of the client by its driver: a bug in the caller, not the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum UsageError {
    /// The call does not fit the current step (say `sent` before `encode`).
    WrongStep,
    /// The path is not valid.
    Path(PathError),
    /// The transmit buffer cannot hold the request (`required` is exact;
    /// [`MAX_REQUEST_LEN`](crate::wire::MAX_REQUEST_LEN) always suffices).
    SendBuffer(BufferTooSmall),
    /// The receive buffer cannot hold the head, or a contiguous body.
    ReceiveBuffer(BufferTooSmall),
    /// More bytes were reported received than the receive buffer offered.
    Overrun,
    /// The receive buffer passed is shorter than the bytes already in it.
    BufferShrunk,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::WrongStep => f.write_str("call out of order"),
            UsageError::Path(e) => e.fmt(f),
            UsageError::SendBuffer(e) => write!(f, "send {e}"),
            UsageError::ReceiveBuffer(e) => write!(f, "receive {e}"),
            UsageError::Overrun => f.write_str("received more bytes than the receive buffer offered"),
            UsageError::BufferShrunk => f.write_str("receive buffer shorter than the bytes received into it"),
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with this status, and it ends the operation (400,
    /// 403, a second 401, 5xx after every attempt, ...).
    Status(u16),
    /// A clock ran out (after every attempt, for connect and read).
    Timeout(TimeoutKind),
    /// The transport failed (after every attempt, unless not retryable).
    Transport(TransportError),
    /// The response was not valid HTTP, or too large.
    Response(DecodeError),
    /// The token response body is not a valid token.
    InvalidToken(TokenError),
    /// The token response had no TTL header and `require_token_ttl` is set.
    MissingTokenTtl,
    /// The driver misused the client.
    Usage(UsageError),
}

/// An operation's failure: what, in which phase, after how many attempts.
/// Never contains a token or a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Error {
    /// The request that failed.
    pub phase: Phase,
    /// What happened.
    pub kind: ErrorKind,
    /// Attempts made for that request.
    pub attempts: u8,
}

impl ErrorKind {
    /// What a receive-buffer error means: the peer's fault (a decode error), or
    /// the caller's (the buffer).
    pub(crate) const fn of_read(e: ReadError) -> ErrorKind {
        match e {
            ReadError::Decode(e) => ErrorKind::Response(e),
            ReadError::BufferTooSmall(e) => ErrorKind::Usage(UsageError::ReceiveBuffer(e)),
            ReadError::Overrun => ErrorKind::Usage(UsageError::Overrun),
            ReadError::BufferShrunk => ErrorKind::Usage(UsageError::BufferShrunk),
        }
    }
}

impl Error {
    pub(crate) const fn usage(phase: Phase, e: UsageError) -> Error {
        Error { phase, kind: ErrorKind::Usage(e), attempts: 0 }
    }

    /// The HTTP status, when the service's answer ended the request.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Status(s) => Some(s),
            _ => None,
        }
    }
}

/// The canonical reason phrase of the statuses the service uses.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Token => "token request",
            Phase::Get => "metadata request",
        };
        write!(f, "{phase} failed: ")?;
        match self.kind {
            ErrorKind::Status(status) => write!(f, "{status} {}", reason_phrase(status))?,
            ErrorKind::Timeout(TimeoutKind::Connect) => f.write_str("connect timed out")?,
            ErrorKind::Timeout(TimeoutKind::Read) => f.write_str("read timed out")?,
            ErrorKind::Timeout(TimeoutKind::Operation) => f.write_str("operation timed out")?,
            ErrorKind::Transport(e) => write!(f, "{e}")?,
            ErrorKind::Response(e) => write!(f, "{e}")?,
            ErrorKind::InvalidToken(e) => write!(f, "invalid token: {e}")?,
            ErrorKind::MissingTokenTtl => f.write_str("token response without a TTL header")?,
            ErrorKind::Usage(e) => write!(f, "{e}")?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}
