//! Why an operation failed: what happened, and in which phase.

use core::fmt;

use crate::path::PathError;
use crate::token::TokenError;
use crate::wire::{DecodeError, EncodeError, ReadError};

/// The request an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Phase {
    /// The token `PUT`.
    Token,
    /// The metadata `GET`.
    Get,
}

/// What a transport reports when an I/O step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TransportError {
    /// The connection was refused (nothing listens).
    Refused,
    /// The connection was reset or broken while writing or reading.
    Reset,
    /// The step did not finish in time.
    TimedOut,
    /// The host could not be resolved or reached.
    Unreachable,
    /// The transport cannot do what the endpoint asks (an `https` endpoint on a
    /// plain TCP transport). Not retried.
    Unsupported,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::Refused => "connection refused",
            TransportError::Reset => "connection reset",
            TransportError::TimedOut => "timed out",
            TransportError::Unreachable => "host unreachable",
            TransportError::Unsupported => "the transport cannot speak this endpoint's scheme (https needs TLS)",
            TransportError::Other => "transport error",
        })
    }
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
    /// An operation is already in progress.
    Busy,
    /// No operation was started.
    Idle,
    /// The call does not fit the current step (say `sent` before `encode`).
    WrongStep,
    /// The path is not valid.
    Path(PathError),
    /// The transmit buffer is too small; see the error for the size.
    Encode(EncodeError),
    /// The receive buffer is too small, shrank, or was overrun.
    Receive(ReadError),
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with this status, and it ends the request (400, 403,
    /// a second 401, 5xx after every attempt, ...).
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
            ErrorKind::Usage(UsageError::Busy) => f.write_str("an operation is already running")?,
            ErrorKind::Usage(UsageError::Idle) => f.write_str("no operation was started")?,
            ErrorKind::Usage(UsageError::WrongStep) => f.write_str("call out of order")?,
            ErrorKind::Usage(UsageError::Path(e)) => write!(f, "{e}")?,
            ErrorKind::Usage(UsageError::Encode(e)) => write!(f, "{e}")?,
            ErrorKind::Usage(UsageError::Receive(e)) => write!(f, "{e}")?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}
