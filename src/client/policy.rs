//! What to do after an attempt failed: one pure function of what happened,
//! where, and the configuration. Everything the session does about retries,
//! IMDSv1 fallback and 401s is decided here, and tested as a table.

use super::config::V1Fallback;
use super::error::{ErrorKind, Phase, TimeoutKind};
use crate::transport::TransportError;
use crate::wire::{DecodeError, EofPhase};

/// Where the failed attempt stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Situation {
    /// The request that failed.
    pub(crate) phase: Phase,
    /// A token `PUT` made while a still-valid token is cached.
    pub(crate) refresh: bool,
    /// Attempts made for this request, the failed one included.
    pub(crate) attempts: u8,
    /// The attempt ran on a reused keep-alive connection, and this request's
    /// free retry for a connection the server had closed is not spent.
    pub(crate) stale_retry: bool,
    /// Pieces of a streamed body were handed out: a retry would repeat them.
    pub(crate) delivered: bool,
    /// A `GET` already answered 401 once in this operation.
    pub(crate) reauthorized: bool,
}

/// What happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// The server had closed the reused connection: again at once on a new
    /// one, without counting an attempt.
    RetryNow,
    /// Back off, then try again.
    Retry,
    /// The refresh failed, and the cached token is still valid: use it.
    UseCachedToken,
    /// The token `PUT` got 5xx on every attempt: this request goes without a
    /// token; the next operation tries the token again.
    V1ForThisRequest,
    /// IMDSv2 refused (403, 404, 405) or unanswered (a read timeout, as behind a
    /// hop limit of 1): IMDSv1 until the re-probe time or a 401.
    V1UntilReprobe,
    /// A first 401 on a `GET`: a new token, then the `GET` again.
    Reauthorize,
    /// The operation ends with this error.
    Fail,
}

/// The next step after an attempt failed with `kind`.
pub(crate) fn decide(kind: ErrorKind, at: Situation, max_attempts: u8, fallback: V1Fallback) -> Next {
    let stale = matches!(
        kind,
        ErrorKind::Response(DecodeError::UnexpectedEof(EofPhase::BeforeResponse))
            | ErrorKind::Transport(TransportError::Reset)
    );
    if stale && at.stale_retry {
        return Next::RetryNow;
    }
    let retryable = !at.delivered
        && match kind {
            ErrorKind::Status(status) => status >= 500 || status == 429,
            ErrorKind::Timeout(TimeoutKind::Connect | TimeoutKind::Read) => true,
            ErrorKind::Transport(e) => e != TransportError::Unsupported,
            ErrorKind::Response(e) => matches!(e, DecodeError::UnexpectedEof(_)),
            _ => false,
        };
    let more = retryable && at.attempts < max_attempts;
    match at.phase {
        Phase::Token if at.refresh => Next::UseCachedToken,
        Phase::Token => match (kind, fallback) {
            (ErrorKind::Status(403..=405), V1Fallback::Rejected | V1Fallback::Timeout) => Next::V1UntilReprobe,
            (ErrorKind::Timeout(TimeoutKind::Read), V1Fallback::Timeout) => Next::V1UntilReprobe,
            _ if more => Next::Retry,
            (ErrorKind::Status(500..=599), V1Fallback::Timeout) => Next::V1ForThisRequest,
            _ => Next::Fail,
        },
        Phase::Get if kind == ErrorKind::Status(401) && !at.reauthorized => Next::Reauthorize,
        Phase::Get if more => Next::Retry,
        Phase::Get => Next::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenError;
    use ErrorKind::*;
    use Next::*;
    use V1Fallback::{Never, Rejected, Timeout as OnTimeout};

    const FIRST_TOKEN: Situation = Situation {
        phase: Phase::Token,
        refresh: false,
        attempts: 1,
        stale_retry: false,
        delivered: false,
        reauthorized: false,
    };
    const LAST_TOKEN: Situation = Situation { attempts: 4, ..FIRST_TOKEN };
    const REFRESH: Situation = Situation { refresh: true, ..FIRST_TOKEN };
    const FIRST_GET: Situation = Situation { phase: Phase::Get, ..FIRST_TOKEN };
    const LAST_GET: Situation = Situation { attempts: 4, ..FIRST_GET };
    const REUSED: Situation = Situation { stale_retry: true, ..FIRST_GET };
    const STREAMED: Situation = Situation { delivered: true, ..FIRST_GET };
    const AFTER_401: Situation = Situation { reauthorized: true, ..FIRST_GET };

    const READ_TIMEOUT: ErrorKind = ErrorKind::Timeout(TimeoutKind::Read);
    const CONNECT_TIMEOUT: ErrorKind = ErrorKind::Timeout(TimeoutKind::Connect);
    const EOF_BEFORE: ErrorKind = Response(DecodeError::UnexpectedEof(EofPhase::BeforeResponse));
    const EOF_BODY: ErrorKind = Response(DecodeError::UnexpectedEof(EofPhase::Body));
    const RESET: ErrorKind = Transport(TransportError::Reset);

    #[test]
    fn the_table() {
        #[rustfmt::skip]
        let table: &[(ErrorKind, Situation, V1Fallback, Next)] = &[
            // Token PUT, no usable token.
            (Status(503), FIRST_TOKEN, Never, Retry),
            (Status(503), LAST_TOKEN, Never, Fail),
            (Status(503), LAST_TOKEN, Rejected, Fail),
            (Status(503), LAST_TOKEN, OnTimeout, V1ForThisRequest),
            (Status(400), FIRST_TOKEN, OnTimeout, Fail),
            (Status(401), FIRST_TOKEN, OnTimeout, Fail),
            (Status(403), FIRST_TOKEN, Never, Fail),
            (Status(403), FIRST_TOKEN, Rejected, V1UntilReprobe),
            (Status(404), FIRST_TOKEN, Rejected, V1UntilReprobe),
            (Status(405), FIRST_TOKEN, OnTimeout, V1UntilReprobe),
            (READ_TIMEOUT, FIRST_TOKEN, Never, Retry),
            (READ_TIMEOUT, FIRST_TOKEN, Rejected, Retry),
            (READ_TIMEOUT, FIRST_TOKEN, OnTimeout, V1UntilReprobe),
            (READ_TIMEOUT, LAST_TOKEN, Rejected, Fail),
            (CONNECT_TIMEOUT, FIRST_TOKEN, OnTimeout, Retry),
            (CONNECT_TIMEOUT, LAST_TOKEN, OnTimeout, Fail),
            (Transport(TransportError::Refused), LAST_TOKEN, OnTimeout, Fail),
            (Transport(TransportError::Unsupported), FIRST_TOKEN, OnTimeout, Fail),
            (InvalidToken(TokenError::Empty), FIRST_TOKEN, OnTimeout, Fail),
            (MissingTokenTtl, FIRST_TOKEN, OnTimeout, Fail),
            // Token PUT while the cached token is still valid: any failure keeps it.
            (Status(503), REFRESH, Never, UseCachedToken),
            (Status(403), REFRESH, Rejected, UseCachedToken),
            (Status(400), REFRESH, Never, UseCachedToken),
            (READ_TIMEOUT, REFRESH, OnTimeout, UseCachedToken),
            (CONNECT_TIMEOUT, REFRESH, Never, UseCachedToken),
            (InvalidToken(TokenError::Empty), REFRESH, Never, UseCachedToken),
            // GET.
            (Status(500), FIRST_GET, Never, Retry),
            (Status(503), LAST_GET, OnTimeout, Fail),
            (Status(400), FIRST_GET, Never, Fail),
            (Status(403), FIRST_GET, Rejected, Fail),
            (Status(408), FIRST_GET, Never, Fail),
            (Status(401), FIRST_GET, Never, Reauthorize),
            (Status(401), AFTER_401, Never, Fail),
            (READ_TIMEOUT, FIRST_GET, OnTimeout, Retry),
            (EOF_BODY, FIRST_GET, Never, Retry),
            (EOF_BODY, STREAMED, Never, Fail),
            (Status(503), STREAMED, Never, Fail),
            (Response(DecodeError::MalformedChunk), FIRST_GET, Never, Fail),
            (Response(DecodeError::BodyTooLarge), FIRST_GET, Never, Fail),
            // A reused keep-alive connection the server had closed.
            (EOF_BEFORE, REUSED, Never, RetryNow),
            (RESET, REUSED, Never, RetryNow),
            (RESET, Situation { stale_retry: true, ..REFRESH }, Never, RetryNow),
            (EOF_BEFORE, FIRST_GET, Never, Retry),
            (EOF_BEFORE, LAST_GET, Never, Fail),
            (READ_TIMEOUT, REUSED, Never, Retry),
        ];
        for &(kind, at, fallback, next) in table {
            assert_eq!(decide(kind, at, 4, fallback), next, "{kind:?} at {at:?} with {fallback:?}");
        }
    }
}
