//! The IMDSv2 session: a sans-IO state machine that fetches a token, caches and
//! refreshes it, retries, falls back to IMDSv1 when allowed, and keeps the
//! deadlines. No lifetime, no allocation: a `Client` can live in a `static`.
//!
//! The driver moves bytes and time and nothing else:
//!
//! ```text
//! client.get(now, "/latest/meta-data/instance-id", BodyMode::Contiguous)?;
//! loop {
//!     match client.poll(now, &mut rx)? {
//!         Action::Connect { deadline }  => connect to client.endpoint(), then client.connected(now) or client.failed(now, e)
//!         Action::Send { deadline }     => write tx[..client.encode(&mut tx)?], then client.sent(now) or client.failed(now, e)
//!         Action::Receive { deadline }  => read into client.receive_buffer(&mut rx)?, then client.received(now, n),
//!                                          client.received_eof(now) or client.failed(now, e); or nothing until `deadline`
//!         Action::Wait { until }        => come back at `until` (or sooner)
//!         Action::Piece(bytes)          => a piece of a streamed body
//!         Action::Close                 => close the connection
//!         Action::Done                  => break
//!     }
//! }
//! let answer = client.answer(&rx)?;   // status (200, or 404 as an answer), body, token TTL left
//! ```
//! [`crate::driver::run`] is that loop for a blocking [`crate::driver::Transport`].
//!
//! Behaviour (the AWS SDKs', made explicit):
//! - The token is fetched on first use and cached; it expires per the response's
//!   TTL header (or the requested TTL when a server omits it, unless
//!   [`Config::require_token_ttl`]), and is refreshed `refresh_margin` before that
//!   (at most half its lifetime).
//! - A 401 on a `GET` drops the token, fetches a new one and retries, once per
//!   request: a server that always answers 401 ends in an error, not a loop.
//! - IMDSv1 fallback per [`V1Fallback`]; a 400 on the token `PUT` is always an
//!   error. After a fallback, requests go without a token until a 401 re-enables
//!   IMDSv2 (as the Go SDK does).
//! - Retries: 5xx, refused or reset connections, a connection closed before a
//!   complete response, connect and read timeouts; never 400, 403 or 404, nor a
//!   malformed or oversized response. Exponential backoff from `backoff_base`,
//!   capped at `backoff_cap`, with jitter from the seed given to [`Client::new`].
//!   A reused keep-alive connection that turns out closed gets one free retry on a
//!   new connection. A streamed body that fails after pieces were handed out is
//!   not retried (the caller would see them twice): the error says why.
//! - A connection is kept for the next request when the response allows it
//!   (keep-alive, nothing after the body) and closed otherwise, before
//!   [`Action::Done`].

mod config;
mod error;

use core::time::Duration;

pub use config::{Config, InvalidUserAgent, UserAgent, V1Fallback};
pub use error::{Error, ErrorKind, Phase, TimeoutKind, TransportError, UsageError, reason_phrase};

use crate::endpoint::Endpoint;
use crate::path::{self, MAX_PATH_LEN};
use crate::time::Instant;
use crate::token::Token;
use crate::wire::reader::Advance;
use crate::wire::{BodyMode, DecodeError, EofPhase, ReadError, Reader, Request};

/// What the driver should do next; see the [module docs](self).
///
/// `Debug` shows a piece's length, not its bytes (they may be credentials).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action<'b> {
    /// Open a connection to [`Client::endpoint`] before `deadline`.
    Connect {
        /// When the client gives up on it.
        deadline: Instant,
    },
    /// Write the bytes [`Client::encode`] gives, then call [`Client::sent`].
    Send {
        /// When the client gives up on the response (a bound for the write too).
        deadline: Instant,
    },
    /// Read into [`Client::receive_buffer`] and report; if nothing arrives, poll
    /// again at `deadline`.
    Receive {
        /// When the client gives up waiting.
        deadline: Instant,
    },
    /// Nothing to do until `until` (backoff, or a non-blocking connect in progress).
    Wait {
        /// When to poll again.
        until: Instant,
    },
    /// A piece of a streamed body ([`BodyMode::Streaming`] only, 2xx only).
    Piece(&'b [u8]),
    /// Close the connection; the client opens a new one when it needs one.
    Close,
    /// The operation is over: [`Client::answer`] tells how.
    Done,
}

/// A finished operation's answer: a 2xx, or a 404 (an answer, not a failure).
///
/// `Debug` shows the body's length, not its bytes (they may be credentials).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Answer<'b> {
    /// The HTTP status: 2xx, or 404.
    pub status: u16,
    /// The body, in [`BodyMode::Contiguous`] (empty when streamed).
    pub body: &'b [u8],
    /// How long the token used stays valid, when one was used.
    pub token_ttl: Option<Duration>,
}

impl Answer<'_> {
    /// False for a 404: the path does not exist.
    pub fn found(&self) -> bool {
        self.status != 404
    }
}

impl core::fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Action::Connect { deadline } => f.debug_struct("Connect").field("deadline", deadline).finish(),
            Action::Send { deadline } => f.debug_struct("Send").field("deadline", deadline).finish(),
            Action::Receive { deadline } => f.debug_struct("Receive").field("deadline", deadline).finish(),
            Action::Wait { until } => f.debug_struct("Wait").field("until", until).finish(),
            Action::Piece(piece) => write!(f, "Piece(<{} bytes>)", piece.len()),
            Action::Close => f.write_str("Close"),
            Action::Done => f.write_str("Done"),
        }
    }
}

impl core::fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CachedToken {
    token: Token,
    expires_at: Instant,
    refresh_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    Closed,
    Open {
        /// The last response allowed another request on it.
        reusable: bool,
        /// It already carried a response.
        used: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Decide: close, connect or send.
    Ready,
    Connecting {
        deadline: Instant,
    },
    Sending,
    Receiving {
        deadline: Instant,
    },
    Backoff {
        until: Instant,
    },
    Finished {
        result: Result<u16, Error>,
        token_ttl: Option<Duration>,
    },
}

/// One operation in flight: what [`REQUEST_STATE_BYTES`] measures.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Operation {
    path: heapless::String<MAX_PATH_LEN>,
    mode: BodyMode,
    phase: Phase,
    step: Step,
    attempts: u8,
    /// This attempt runs on a connection that already carried a response.
    on_used_connection: bool,
    /// The free retry for a stale keep-alive connection is still available.
    stale_retry: bool,
    /// A 401 was already answered by fetching a new token.
    reauthorized: bool,
    /// Deliver streamed pieces (a 2xx GET).
    deliver: bool,
    /// Pieces were delivered: a retry would deliver them again, so none is made.
    delivered: bool,
    deadline: Option<Instant>,
    sent_at: Instant,
}

/// Bytes of state one operation in flight takes inside the [`Client`] (path,
/// step, counters, deadlines), beside the [`Reader`] it reuses.
pub const REQUEST_STATE_BYTES: usize = core::mem::size_of::<Operation>();

/// The IMDSv2 session state machine; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    config: Config,
    token: Option<CachedToken>,
    v1: bool,
    rng: u64,
    connection: Connection,
    reader: Reader,
    op: Option<Operation>,
}

impl Client {
    /// A client with no token and no connection. `seed` drives the backoff
    /// jitter: any value; a fixed one makes tests deterministic.
    pub const fn new(config: Config, seed: u64) -> Client {
        let reader = Reader::new(config.limits, BodyMode::Contiguous);
        Client { config, token: None, v1: false, rng: seed, connection: Connection::Closed, reader, op: None }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where to connect.
    pub fn endpoint(&self) -> &Endpoint {
        &self.config.endpoint
    }

    /// True after a fallback to IMDSv1, until a 401 re-enables IMDSv2.
    pub fn is_v1(&self) -> bool {
        self.v1
    }

    /// How long the cached token stays valid, if there is one.
    pub fn token_ttl(&self, now: Instant) -> Option<Duration> {
        self.token.as_ref().map(|t| t.expires_at.saturating_duration_since(now))
    }

    /// Forgets the cached token (the next request fetches a new one).
    pub fn clear_token(&mut self) {
        self.token = None;
    }

    /// Starts fetching `path`, its body delivered as `mode` says. Fails if `path`
    /// is invalid or an operation is still running.
    pub fn get(&mut self, now: Instant, path: &str, mode: BodyMode) -> Result<(), Error> {
        if self.op.as_ref().is_some_and(|op| !matches!(op.step, Step::Finished { .. })) {
            return Err(Error::usage(Phase::Get, UsageError::Busy));
        }
        path::validate(path).map_err(|e| Error::usage(Phase::Get, UsageError::Path(e)))?;
        let path = heapless::String::try_from(path)
            .map_err(|_| Error::usage(Phase::Get, UsageError::Path(path::PathError::TooLong { len: path.len() })))?;
        let token_fresh = self.token.as_ref().is_some_and(|t| now < t.refresh_at);
        let phase = if self.v1 || token_fresh { Phase::Get } else { Phase::Token };
        self.op = Some(Operation {
            path,
            mode,
            phase,
            step: Step::Ready,
            attempts: 0,
            on_used_connection: false,
            stale_retry: true,
            reauthorized: false,
            deliver: false,
            delivered: false,
            deadline: self.config.operation_timeout.map(|t| now.saturating_add(t)),
            sent_at: now,
        });
        self.reader = Reader::new(self.config.limits, BodyMode::Contiguous);
        Ok(())
    }

    /// What to do next. Call after every event and whenever a deadline passes.
    pub fn poll<'b>(&mut self, now: Instant, rx: &'b mut [u8]) -> Result<Action<'b>, Error> {
        loop {
            let Some(op) = self.op.as_mut() else {
                return Err(Error::usage(Phase::Get, UsageError::Idle));
            };
            if let Step::Finished { .. } = op.step {
                return Ok(match self.connection {
                    Connection::Open { reusable: false, .. } => {
                        self.connection = Connection::Closed;
                        Action::Close
                    }
                    _ => Action::Done,
                });
            }
            if op.deadline.is_some_and(|d| now >= d) {
                self.finish_err(ErrorKind::Timeout(TimeoutKind::Operation));
                continue;
            }
            let op_deadline = op.deadline;
            let cap = |deadline: Instant| op_deadline.map_or(deadline, |d| d.min(deadline));
            match op.step {
                Step::Ready => {
                    if let Connection::Open { reusable: false, .. } = self.connection {
                        self.connection = Connection::Closed;
                        return Ok(Action::Close);
                    }
                    op.attempts = op.attempts.saturating_add(1);
                    if let Connection::Open { used, .. } = self.connection {
                        op.on_used_connection = used;
                        op.step = Step::Sending;
                        continue;
                    }
                    op.on_used_connection = false;
                    let deadline = cap(now.saturating_add(self.config.connect_timeout));
                    op.step = Step::Connecting { deadline };
                    return Ok(Action::Connect { deadline });
                }
                Step::Connecting { deadline } if now >= deadline => {
                    self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Connect));
                }
                Step::Connecting { deadline } => return Ok(Action::Wait { until: deadline }),
                Step::Sending => {
                    return Ok(Action::Send { deadline: cap(now.saturating_add(self.config.read_timeout)) });
                }
                Step::Backoff { until } if now >= until => op.step = Step::Ready,
                Step::Backoff { until } => return Ok(Action::Wait { until: cap(until) }),
                Step::Receiving { deadline } => match self.reader.advance(rx) {
                    Ok(Advance::NeedMore) if now >= deadline => {
                        self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Read));
                    }
                    Ok(Advance::NeedMore) => return Ok(Action::Receive { deadline: cap(deadline) }),
                    Ok(Advance::Head(head)) => {
                        op.deliver = op.phase == Phase::Get && (200..300).contains(&head.status);
                    }
                    Ok(Advance::Piece(range)) => {
                        if op.deliver {
                            op.delivered = true;
                            return Ok(Action::Piece(rx.get(range).unwrap_or_default()));
                        }
                    }
                    Ok(Advance::Complete) => self.response_complete(now, rx),
                    Err(ReadError::Decode(e)) => self.attempt_failed(now, ErrorKind::Response(e)),
                    Err(e) => self.finish_err(ErrorKind::Usage(UsageError::Receive(e))),
                },
                Step::Finished { .. } => {}
            }
        }
    }

    /// The connection is open.
    pub fn connected(&mut self, _now: Instant) -> Result<(), Error> {
        let op = self.op_in(|step| matches!(step, Step::Connecting { .. }))?;
        op.step = Step::Sending;
        self.connection = Connection::Open { reusable: true, used: false };
        Ok(())
    }

    /// Writes the request to send into `tx`; returns its length.
    pub fn encode(&self, tx: &mut [u8]) -> Result<usize, Error> {
        let op = self.op.as_ref().ok_or(Error::usage(Phase::Get, UsageError::Idle))?;
        if op.step != Step::Sending {
            return Err(Error::usage(op.phase, UsageError::WrongStep));
        }
        let request = match op.phase {
            Phase::Token => Request::PutToken { ttl: self.config.token_ttl },
            Phase::Get => Request::Get {
                path: &op.path,
                token: if self.v1 { None } else { self.token.as_ref().map(|t| &t.token) },
            },
        };
        let agent = self.config.user_agent.as_ref().map(UserAgent::as_str);
        request.encode(&self.config.endpoint, agent, tx).map_err(|e| Error::usage(op.phase, UsageError::Encode(e)))
    }

    /// The request was written.
    pub fn sent(&mut self, now: Instant) -> Result<(), Error> {
        let read_timeout = self.config.read_timeout;
        let op = self.op_in(|step| *step == Step::Sending)?;
        let mode = if op.phase == Phase::Get { op.mode } else { BodyMode::Contiguous };
        op.step = Step::Receiving { deadline: now.saturating_add(read_timeout) };
        op.sent_at = now;
        op.deliver = false;
        self.reader = Reader::new(self.config.limits, mode);
        Ok(())
    }

    /// The room to read response bytes into.
    pub fn receive_buffer<'b>(&mut self, rx: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        let phase = self.op_in(|step| matches!(step, Step::Receiving { .. }))?.phase;
        self.reader.spare(rx).map_err(|e| Error::usage(phase, UsageError::Receive(e)))
    }

    /// `n` bytes were read into the start of [`Client::receive_buffer`].
    pub fn received(&mut self, now: Instant, n: usize) -> Result<(), Error> {
        let read_timeout = self.config.read_timeout;
        let op = self.op_in(|step| matches!(step, Step::Receiving { .. }))?;
        let phase = op.phase;
        op.step = Step::Receiving { deadline: now.saturating_add(read_timeout) };
        self.reader.received(n).map_err(|e| Error::usage(phase, UsageError::Receive(e)))
    }

    /// The server closed the connection.
    pub fn received_eof(&mut self, _now: Instant) -> Result<(), Error> {
        self.op_in(|step| matches!(step, Step::Receiving { .. }))?;
        self.reader.eof();
        Ok(())
    }

    /// Connecting, writing or reading failed. The client considers the
    /// connection gone (the driver drops it) and retries if it may.
    pub fn failed(&mut self, now: Instant, error: TransportError) -> Result<(), Error> {
        let op = self.op_in(|step| matches!(step, Step::Connecting { .. } | Step::Sending | Step::Receiving { .. }))?;
        let kind = match (op.step, error) {
            (Step::Connecting { .. }, TransportError::TimedOut) => ErrorKind::Timeout(TimeoutKind::Connect),
            (Step::Receiving { .. }, TransportError::TimedOut) => ErrorKind::Timeout(TimeoutKind::Read),
            _ => ErrorKind::Transport(error),
        };
        self.connection = Connection::Closed;
        self.attempt_failed(now, kind);
        Ok(())
    }

    /// Ends the running operation at once, for a driver that hit a usage error
    /// (such as a buffer too small) or gives up. The client considers the
    /// connection closed: the driver drops its own.
    pub fn cancel(&mut self) {
        self.op = None;
        self.connection = Connection::Closed;
    }

    /// How the finished operation ended: an answer (2xx or 404) or an error.
    pub fn answer<'b>(&self, rx: &'b [u8]) -> Result<Answer<'b>, Error> {
        let Some(Operation { step: Step::Finished { result, token_ttl }, .. }) = &self.op else {
            return Err(Error::usage(Phase::Get, UsageError::WrongStep));
        };
        let status = (*result)?;
        let body = self.reader.response(rx).map(|r| r.body()).unwrap_or_default();
        Ok(Answer { status, body, token_ttl: *token_ttl })
    }

    /// The running operation, if its step passes `expected`.
    fn op_in(&mut self, expected: impl Fn(&Step) -> bool) -> Result<&mut Operation, Error> {
        let op = self.op.as_mut().ok_or(Error::usage(Phase::Get, UsageError::Idle))?;
        match expected(&op.step) {
            true => Ok(op),
            false => Err(Error::usage(op.phase, UsageError::WrongStep)),
        }
    }

    /// A complete response is in the reader: act on its status.
    fn response_complete(&mut self, now: Instant, rx: &[u8]) {
        let Some(response) = self.reader.response(rx) else { return };
        let (status, head) = (response.status(), *response.head());
        let reusable = head.keep_alive && self.reader.trailing_len() == 0;
        self.connection = Connection::Open { reusable, used: true };
        let Some(op) = self.op.as_mut() else { return };
        match (op.phase, status) {
            (Phase::Token, 200) => {
                let token = match Token::new(response.body()) {
                    Ok(token) => token,
                    Err(e) => return self.finish_err(ErrorKind::InvalidToken(e)),
                };
                let ttl = match (head.token_ttl, self.config.require_token_ttl) {
                    (Some(ttl), _) => Duration::from_secs(u64::from(ttl)),
                    (None, false) => Duration::from_secs(u64::from(self.config.token_ttl.seconds())),
                    (None, true) => return self.finish_err(ErrorKind::MissingTokenTtl),
                };
                let expires_at = op.sent_at.saturating_add(ttl);
                let margin = self.config.refresh_margin.min(ttl / 2);
                let refresh_at = Instant::from_millis(expires_at.as_millis().saturating_sub(margin.as_millis() as u64));
                self.token = Some(CachedToken { token, expires_at, refresh_at });
                self.v1 = false;
                op.start_phase(Phase::Get);
            }
            (Phase::Token, 403..=405) if self.config.v1_fallback != V1Fallback::Never => self.fall_back_to_v1(),
            (Phase::Get, 200..=299 | 404) => {
                let token = self.token.as_ref().filter(|_| !self.v1);
                let token_ttl = token.map(|t| t.expires_at.saturating_duration_since(now));
                op.step = Step::Finished { result: Ok(status), token_ttl };
            }
            (Phase::Get, 401) if !op.reauthorized => {
                op.reauthorized = true;
                self.token = None;
                self.v1 = false;
                op.start_phase(Phase::Token);
            }
            (_, 500..=599) => self.attempt_failed(now, ErrorKind::Status(status)),
            _ => self.finish_err(ErrorKind::Status(status)),
        }
    }

    /// An attempt failed with `kind`: retry, fall back, or give up.
    fn attempt_failed(&mut self, now: Instant, kind: ErrorKind) {
        self.abandon_connection();
        let fallback = self.config.v1_fallback;
        let max_attempts = self.config.max_attempts.max(1);
        let Some(op) = self.op.as_mut() else { return };
        let stale = matches!(
            kind,
            ErrorKind::Response(DecodeError::UnexpectedEof(EofPhase::BeforeResponse))
                | ErrorKind::Transport(TransportError::Reset)
        );
        if stale && op.on_used_connection && op.stale_retry {
            // A keep-alive connection the server had closed: not the service's fault.
            op.stale_retry = false;
            op.attempts = op.attempts.saturating_sub(1);
            op.step = Step::Ready;
            return;
        }
        let retryable = !op.delivered
            && match kind {
                ErrorKind::Status(status) => status >= 500,
                ErrorKind::Timeout(TimeoutKind::Connect | TimeoutKind::Read) => true,
                ErrorKind::Transport(e) => e != TransportError::Unsupported,
                ErrorKind::Response(e) => matches!(e, DecodeError::UnexpectedEof(_)),
                _ => false,
            };
        let token_unanswered = op.phase == Phase::Token && fallback == V1Fallback::Timeout;
        if token_unanswered && kind == ErrorKind::Timeout(TimeoutKind::Read) {
            return self.fall_back_to_v1();
        }
        if retryable && op.attempts < max_attempts {
            let delay = backoff(&mut self.rng, op.attempts, self.config.backoff_base, self.config.backoff_cap);
            op.step = Step::Backoff { until: now.saturating_add(delay) };
            return;
        }
        if token_unanswered && retryable {
            return self.fall_back_to_v1();
        }
        self.finish_err(kind);
    }

    /// An open connection will be closed, not reused, before the next request.
    fn abandon_connection(&mut self) {
        if let Connection::Open { used, .. } = self.connection {
            self.connection = Connection::Open { reusable: false, used };
        }
    }

    fn fall_back_to_v1(&mut self) {
        self.v1 = true;
        self.token = None;
        if let Some(op) = self.op.as_mut() {
            op.start_phase(Phase::Get);
        }
    }

    fn finish_err(&mut self, kind: ErrorKind) {
        // A complete answer leaves the connection as it was; anything else abandons
        // what was in flight.
        if !matches!(kind, ErrorKind::Status(_)) {
            self.abandon_connection();
        }
        if let Some(op) = self.op.as_mut() {
            let error = Error { phase: op.phase, kind, attempts: op.attempts };
            op.step = Step::Finished { result: Err(error), token_ttl: None };
        }
    }
}

impl Operation {
    fn start_phase(&mut self, phase: Phase) {
        self.phase = phase;
        self.attempts = 0;
        self.stale_retry = true;
        self.step = Step::Ready;
    }
}

/// The delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`,
/// capped, then "equal jitter": half of it fixed, half random.
fn backoff(rng: &mut u64, attempt: u8, base: Duration, cap: Duration) -> Duration {
    let exp = u32::from(attempt.saturating_sub(1)).min(20);
    let full = base.saturating_mul(1u32 << exp).min(cap);
    let half = full.as_millis() as u64 / 2;
    let jitter = splitmix64(rng) % (half + 1);
    Duration::from_millis(full.as_millis() as u64 - half + jitter)
}

/// SplitMix64: a tiny, good-enough generator for jitter.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_never_reach_debug() {
        extern crate std;
        let secret = b"{\"SecretAccessKey\":\"wJalrXUtnFEMI\"}";
        let shown =
            std::format!("{:?} {:?}", Answer { status: 200, body: secret, token_ttl: None }, Action::Piece(secret));
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("body_len: 35") && shown.contains("Piece(<35 bytes>)"), "{shown}");
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let mut rng = 7;
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        for (attempt, full) in [(1u8, 100u64), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)] {
            for _ in 0..50 {
                let d = backoff(&mut rng, attempt, base, cap).as_millis() as u64;
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
            }
        }
        let (mut a, mut b) = (1, 1);
        assert_eq!(backoff(&mut a, 3, base, cap), backoff(&mut b, 3, base, cap), "deterministic per seed");
    }

    #[test]
    fn client_has_no_lifetime_and_fits_in_a_static() {
        static CLIENT: Client = Client::new(
            Config {
                endpoint: Endpoint::IPV4,
                token_ttl: crate::token::TokenTtl::MAX,
                refresh_margin: Duration::from_secs(120),
                require_token_ttl: false,
                max_attempts: 4,
                connect_timeout: Duration::from_secs(1),
                read_timeout: Duration::from_secs(1),
                operation_timeout: None,
                backoff_base: Duration::from_millis(100),
                backoff_cap: Duration::from_secs(1),
                v1_fallback: V1Fallback::Never,
                limits: crate::wire::Limits::DEFAULT,
                user_agent: None,
            },
            0,
        );
        assert!(!CLIENT.is_v1());
    }
}
