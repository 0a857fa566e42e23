//! The IMDSv2 session: [`Client`] (its docs tell the whole behaviour), its
//! configuration and errors; the retry and fallback policy and the token cache.

mod config;
mod error;
mod policy;
mod token_cache;

use core::time::Duration;

pub use config::{Config, InvalidUserAgent, UserAgent, V1Fallback};
pub use error::{Error, ErrorKind, Phase, TimeoutKind, UsageError, reason_phrase};
use policy::{Next, Situation};
use token_cache::{Plan, TokenCache};

use crate::driver::TransportError;
use crate::endpoint::Endpoint;
use crate::path::{self, MAX_PATH_LEN};
use crate::time::Instant;
use crate::token::{MAX_TOKEN_LEN, TokenError};
use crate::wire::{Advance, Body, DecodeError, ReadError, Reader, Request, ResponseHead};

/// How a body is delivered: [`Client::get`]'s choice, and [`wire::Reader`](crate::wire::Reader)'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyMode {
    /// The whole body as one slice of the receive buffer, behind the head.
    Contiguous,
    /// The body as a sequence of pieces ([`Action::Piece`]), each valid until the
    /// next call; the receive buffer only needs to hold the head.
    Streaming,
}

/// What the driver should do next; see [`Client`].
///
/// `Debug` (and defmt) show a piece's length, not its bytes (they may be credentials).
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
/// `Debug` (and defmt) show the body's length, not its bytes (they may be credentials).
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

#[cfg(feature = "defmt")]
impl defmt::Format for Action<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Action::Connect { deadline } => defmt::write!(f, "Connect {{ deadline: {} }}", deadline),
            Action::Send { deadline } => defmt::write!(f, "Send {{ deadline: {} }}", deadline),
            Action::Receive { deadline } => defmt::write!(f, "Receive {{ deadline: {} }}", deadline),
            Action::Wait { until } => defmt::write!(f, "Wait {{ until: {} }}", until),
            Action::Piece(piece) => defmt::write!(f, "Piece(<{=usize} bytes>)", piece.len()),
            Action::Close => defmt::write!(f, "Close"),
            Action::Done => defmt::write!(f, "Done"),
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

#[cfg(feature = "defmt")]
impl defmt::Format for Answer<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Answer {{ status: {=u16}, body_len: {=usize}, token_ttl: {} }}",
            self.status,
            self.body.len(),
            self.token_ttl.map(|t| t.as_millis() as u64)
        )
    }
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

/// Attempts made for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tries {
    made: u8,
    /// The free retry for a reused connection the server had closed is left.
    stale_retry: bool,
}

const FIRST_TRY: Tries = Tries { made: 0, stale_retry: true };

/// The request of the operation in flight, with what belongs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The token `PUT`.
    Token {
        tries: Tries,
        /// A still-valid token is cached: if this fails, use it.
        refresh: bool,
        /// Fetched because a `GET` answered 401.
        reauthorized: bool,
    },
    /// The metadata `GET`.
    Get {
        tries: Tries,
        /// Send the cached token (IMDSv2), or none (IMDSv1).
        with_token: bool,
        /// A 401 was already answered with a new token.
        reauthorized: bool,
    },
}

impl Stage {
    fn tries(&mut self) -> &mut Tries {
        match self {
            Stage::Token { tries, .. } | Stage::Get { tries, .. } => tries,
        }
    }

    fn phase(&self) -> Phase {
        match self {
            Stage::Token { .. } => Phase::Token,
            Stage::Get { .. } => Phase::Get,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Decide: close, connect or send.
    Ready,
    Connecting {
        deadline: Instant,
    },
    Sending {
        /// On a connection that already carried a response.
        reused: bool,
    },
    Receiving {
        deadline: Instant,
        reused: bool,
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
    deadline: Option<Instant>,
    stage: Stage,
    step: Step,
    sent_at: Instant,
}

/// Bytes of state one operation in flight takes inside the [`Client`] (path,
/// stage, step, deadlines), beside the [`Reader`] it reuses.
pub const REQUEST_STATE_BYTES: usize = core::mem::size_of::<Operation>();

/// The IMDSv2 session: a sans-IO state machine that fetches a token, caches and
/// refreshes it, retries, falls back to IMDSv1 when allowed, and keeps the
/// deadlines. No lifetime, no allocation: a `Client` can live in a `static`.
///
/// The driver moves bytes and time and nothing else. The loop, for any socket
/// with a blocking connect, write and read (this is [`driver::run`](crate::driver::run),
/// less its cancel-on-misuse and its wiping of `tx`):
///
/// ```
/// use imds::driver::{Clock, Transport, TransportError};
/// use imds::{Action, Answer, BodyMode, Client, Error};
///
/// fn get<'b>(
///     client: &mut Client,
///     socket: &mut impl Transport,
///     clock: &mut impl Clock,
///     path: &str,
///     tx: &mut [u8],      // imds::wire::MAX_REQUEST_LEN bytes always suffice
///     rx: &'b mut [u8],   // the largest head and body you accept
/// ) -> Result<Answer<'b>, Error> {
///     client.get(clock.now(), path, BodyMode::Contiguous)?;
///     loop {
///         let now = clock.now();
///         let timeout = |deadline: imds::Instant| deadline.saturating_duration_since(now);
///         match client.poll(now, rx)? {
///             Action::Connect { deadline } => match socket.connect(client.endpoint(), timeout(deadline)) {
///                 Ok(()) => client.connected(clock.now())?,
///                 Err(e) => client.failed(clock.now(), e)?,
///             },
///             Action::Send { deadline } => {
///                 let n = client.encode(tx)?;
///                 match socket.write_all(&tx[..n], timeout(deadline)) {
///                     Ok(()) => client.sent(clock.now())?,
///                     Err(e) => client.failed(clock.now(), e)?,
///                 }
///             }
///             Action::Receive { deadline } => {
///                 match socket.read(client.receive_buffer(rx)?, timeout(deadline)) {
///                     Ok(0) => client.received_eof(clock.now())?,
///                     Ok(n) => client.received(clock.now(), n)?,
///                     Err(TransportError::TimedOut) => clock.sleep_until(deadline),
///                     Err(e) => client.failed(clock.now(), e)?,
///                 }
///             }
///             Action::Wait { until } => clock.sleep_until(until),
///             Action::Piece(_) => unreachable!("BodyMode::Streaming only"),
///             Action::Close => socket.close(),
///             Action::Done => break,
///         }
///     }
///     client.answer(rx) // a 2xx or a 404, its body in rx; or the operation's error
/// }
/// ```
///
/// Behaviour (the AWS SDKs', made explicit):
/// - The token is fetched on first use and cached; it expires per the response's
///   TTL header (or the requested TTL when a server omits it, unless
///   [`Config::require_token_ttl`]), and is refreshed `refresh_margin` before that
///   (at most half its lifetime). A refresh that fails while the cached token is
///   still valid keeps using it: no error, no fallback (one attempt; the next try
///   comes when half of the token's remaining life is gone).
/// - A 401 on a `GET` drops the token (or leaves IMDSv1), fetches a new one and
///   retries, once per operation: a server that always answers 401 ends in an
///   error, not a loop.
/// - IMDSv1 fallback per [`V1Fallback`]: a refused token (403, 404, 405) or a
///   token read timeout falls back until [`Config::v1_reprobe`] has passed or a
///   401 comes; 5xx on every token attempt falls back for that request only. A
///   400 on the token `PUT` is always an error.
/// - Retries: 5xx, refused or reset connections, a connection closed before a
///   complete response, connect and read timeouts; never 400, 403 or 404, nor a
///   malformed or oversized response. Exponential backoff from `backoff_base`,
///   capped at `backoff_cap`, with jitter from the seed given to [`Client::new`].
///   A reused keep-alive connection that turns out closed gets one free retry on a
///   new connection. A streamed body that fails after pieces were handed out is
///   not retried (the caller would see them twice).
/// - A complete response leaves its connection open for the next request when
///   its headers allow it (keep-alive, nothing after the body), whatever its
///   status; anything else (a timeout, a reset, a malformed response) closes it,
///   before [`Action::Done`] at the latest.
/// - Bodies nobody asked for (a 403 page, a 503 page) are read and dropped
///   whatever their size; a token body longer than the longest valid token is
///   refused from its Content-Length, before it is read. After a token is taken
///   from the receive buffer, its bytes there are zeroed.
///
/// All of the retry and fallback decisions are one pure function (`policy.rs`);
/// all of the token arithmetic one module (`token_cache.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    config: Config,
    tokens: TokenCache,
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
        Client { config, tokens: TokenCache::new(), rng: seed, connection: Connection::Closed, reader, op: None }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where to connect.
    pub fn endpoint(&self) -> &Endpoint {
        &self.config.endpoint
    }

    /// True after a lasting fallback to IMDSv1, until IMDSv2 answers again.
    pub fn is_v1(&self) -> bool {
        self.tokens.is_v1()
    }

    /// How long the cached token stays valid, if there is one.
    pub fn token_ttl(&self, now: Instant) -> Option<Duration> {
        self.tokens.ttl(now)
    }

    /// Forgets the cached token (zeroing it) or the IMDSv1 fallback: the next
    /// operation fetches a new token.
    pub fn clear_token(&mut self) {
        self.tokens.clear();
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
        let stage = match self.tokens.plan(now) {
            Plan::UseToken => Stage::Get { tries: FIRST_TRY, with_token: true, reauthorized: false },
            Plan::V1 => Stage::Get { tries: FIRST_TRY, with_token: false, reauthorized: false },
            Plan::Refresh => Stage::Token { tries: FIRST_TRY, refresh: true, reauthorized: false },
            Plan::Fetch => Stage::Token { tries: FIRST_TRY, refresh: false, reauthorized: false },
        };
        self.op = Some(Operation {
            path,
            mode,
            deadline: self.config.operation_timeout.map(|t| now.saturating_add(t)),
            stage,
            step: Step::Ready,
            sent_at: now,
        });
        self.reader = Reader::new(self.config.limits, BodyMode::Contiguous);
        Ok(())
    }

    /// Ends the running operation at `deadline` at the latest (earlier if its
    /// own timeout says so): for a caller with a deadline of its own, such as a walk.
    pub fn shorten_deadline(&mut self, deadline: Instant) -> Result<(), Error> {
        let op = self.op_in(|step| !matches!(step, Step::Finished { .. }))?;
        op.deadline = Some(op.deadline.map_or(deadline, |d| d.min(deadline)));
        Ok(())
    }

    /// What to do next. Call after every event and whenever a deadline passes.
    pub fn poll<'b>(&mut self, now: Instant, rx: &'b mut [u8]) -> Result<Action<'b>, Error> {
        loop {
            let Some(op) = self.op.as_mut() else {
                return Err(Error::usage(Phase::Get, UsageError::Idle));
            };
            let finished = matches!(op.step, Step::Finished { .. });
            if !finished && op.deadline.is_some_and(|d| now >= d) {
                self.abandon_connection();
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
                    let tries = op.stage.tries();
                    tries.made = tries.made.saturating_add(1);
                    if let Connection::Open { used, .. } = self.connection {
                        op.step = Step::Sending { reused: used };
                        continue;
                    }
                    let deadline = cap(now.saturating_add(self.config.connect_timeout));
                    op.step = Step::Connecting { deadline };
                    return Ok(Action::Connect { deadline });
                }
                Step::Connecting { deadline } if now >= deadline => {
                    self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Connect));
                }
                Step::Connecting { deadline } => return Ok(Action::Wait { until: deadline }),
                Step::Sending { .. } => {
                    return Ok(Action::Send { deadline: cap(now.saturating_add(self.config.read_timeout)) });
                }
                Step::Backoff { until } if now >= until => op.step = Step::Ready,
                Step::Backoff { until } => return Ok(Action::Wait { until: cap(until) }),
                Step::Receiving { deadline, .. } => match self.reader.advance(rx) {
                    Ok(Advance::NeedMore) if now >= deadline => {
                        self.abandon_connection();
                        self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Read));
                    }
                    Ok(Advance::NeedMore) => return Ok(Action::Receive { deadline: cap(deadline) }),
                    Ok(Advance::Head(head)) => self.head_arrived(now, head, rx.len()),
                    Ok(Advance::Piece(range)) => return Ok(Action::Piece(rx.get(range).unwrap_or_default())),
                    Ok(Advance::Complete) => self.response_complete(now, rx),
                    Err(e) => self.read_failed(now, e),
                },
                Step::Finished { .. } => {
                    return Ok(match self.connection {
                        Connection::Open { reusable: false, .. } => {
                            self.connection = Connection::Closed;
                            Action::Close
                        }
                        _ => Action::Done,
                    });
                }
            }
        }
    }

    /// The connection is open.
    pub fn connected(&mut self, _now: Instant) -> Result<(), Error> {
        let op = self.op_in(|step| matches!(step, Step::Connecting { .. }))?;
        op.step = Step::Sending { reused: false };
        self.connection = Connection::Open { reusable: true, used: false };
        Ok(())
    }

    /// Writes the request to send into `tx`; returns its length.
    pub fn encode(&self, tx: &mut [u8]) -> Result<usize, Error> {
        let op = self.op.as_ref().ok_or(Error::usage(Phase::Get, UsageError::Idle))?;
        if !matches!(op.step, Step::Sending { .. }) {
            return Err(Error::usage(op.stage.phase(), UsageError::WrongStep));
        }
        let request = match op.stage {
            Stage::Token { .. } => Request::PutToken { ttl: self.config.token_ttl },
            Stage::Get { with_token, .. } => {
                Request::Get { path: &op.path, token: self.tokens.token().filter(|_| with_token) }
            }
        };
        let agent = self.config.user_agent.as_ref().map(UserAgent::as_str);
        // The path was validated by `get`, the user agent by `UserAgent::new`.
        request
            .write(&self.config.endpoint, agent, tx)
            .map_err(|e| Error::usage(op.stage.phase(), UsageError::SendBuffer(e)))
    }

    /// The request was written.
    pub fn sent(&mut self, now: Instant) -> Result<(), Error> {
        let read_timeout = self.config.read_timeout;
        let op = self.op.as_mut().ok_or(Error::usage(Phase::Get, UsageError::Idle))?;
        let Step::Sending { reused } = op.step else {
            return Err(Error::usage(op.stage.phase(), UsageError::WrongStep));
        };
        op.step = Step::Receiving { deadline: now.saturating_add(read_timeout), reused };
        op.sent_at = now;
        let mode = match op.stage {
            Stage::Get { .. } => op.mode,
            Stage::Token { .. } => BodyMode::Contiguous,
        };
        self.reader = Reader::new(self.config.limits, mode);
        Ok(())
    }

    /// The room to read response bytes into.
    pub fn receive_buffer<'b>(&mut self, rx: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        let phase = self.op_in(|step| matches!(step, Step::Receiving { .. }))?.stage.phase();
        self.reader.spare(rx).map_err(|e| read_usage(phase, e))
    }

    /// `n` bytes were read into the start of [`Client::receive_buffer`].
    pub fn received(&mut self, now: Instant, n: usize) -> Result<(), Error> {
        let read_timeout = self.config.read_timeout;
        let op = self.op_in(|step| matches!(step, Step::Receiving { .. }))?;
        let phase = op.stage.phase();
        if let Step::Receiving { deadline, .. } = &mut op.step {
            *deadline = now.saturating_add(read_timeout);
        }
        self.reader.received(n).map_err(|e| read_usage(phase, e))
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
        let op =
            self.op_in(|step| matches!(step, Step::Connecting { .. } | Step::Sending { .. } | Step::Receiving { .. }))?;
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
            false => Err(Error::usage(op.stage.phase(), UsageError::WrongStep)),
        }
    }

    /// The head is in: decide what happens to the body.
    fn head_arrived(&mut self, now: Instant, head: ResponseHead, rx_len: usize) {
        let Some(op) = self.op.as_ref() else { return };
        let body = match (op.stage, head.status) {
            (Stage::Token { .. }, 200) => {
                if let Some(len) = head.content_length().filter(|&n| n > MAX_TOKEN_LEN as u64) {
                    // Refused before it is read: no token is that long.
                    let len = usize::try_from(len).ok();
                    self.abandon_connection();
                    return self.attempt_failed(now, ErrorKind::InvalidToken(TokenError::TooLong { len }));
                }
                self.reader.limit_body(MAX_TOKEN_LEN as u64);
                Body::Keep
            }
            (Stage::Get { .. }, 200..=299) => Body::from(op.mode),
            (Stage::Get { .. }, 404) if op.mode == BodyMode::Contiguous => Body::Keep,
            _ => Body::Discard,
        };
        if let Err(e) = self.reader.set_body(body, rx_len) {
            self.read_failed(now, e);
        }
    }

    /// The reader refused to go on.
    fn read_failed(&mut self, now: Instant, e: ReadError) {
        self.abandon_connection();
        let token_200 = matches!(self.op.as_ref().map(|op| op.stage), Some(Stage::Token { .. }))
            && self.reader.head().is_some_and(|head| head.status == 200);
        match e {
            ReadError::Decode(DecodeError::BodyTooLarge) if token_200 => {
                self.attempt_failed(now, ErrorKind::InvalidToken(TokenError::TooLong { len: None }))
            }
            ReadError::Decode(e) => self.attempt_failed(now, ErrorKind::Response(e)),
            e => self.finish_err(ErrorKind::of_read(e)),
        }
    }

    /// A complete response is in the reader: act on its status.
    fn response_complete(&mut self, now: Instant, rx: &mut [u8]) {
        let Some(response) = self.reader.response(rx) else { return };
        let (status, head) = (response.status(), *response.head());
        let reusable = head.keep_alive && self.reader.trailing_len() == 0;
        self.connection = Connection::Open { reusable, used: true };
        let Some(op) = self.op.as_mut() else { return };
        match (op.stage, status) {
            (Stage::Token { reauthorized, .. }, 200) => {
                let ttl = match (head.token_ttl, self.config.require_token_ttl) {
                    (Some(ttl), _) => Ok(Duration::from_secs(u64::from(ttl))),
                    (None, false) => Ok(Duration::from_secs(u64::from(self.config.token_ttl.seconds()))),
                    (None, true) => Err(ErrorKind::MissingTokenTtl),
                };
                let body = rx.get(self.reader.body_range()).unwrap_or_default();
                let stored = ttl.and_then(|ttl| {
                    let margin = self.config.refresh_margin;
                    self.tokens.store(body, op.sent_at, ttl, margin).map_err(ErrorKind::InvalidToken)
                });
                self.reader.wipe_body(rx);
                match stored {
                    Ok(()) => {
                        op.stage = Stage::Get { tries: FIRST_TRY, with_token: true, reauthorized };
                        op.step = Step::Ready;
                    }
                    Err(kind) => self.attempt_failed(now, kind),
                }
            }
            (Stage::Get { with_token, .. }, 200..=299 | 404) => {
                let token_ttl = self.tokens.ttl(now).filter(|_| with_token);
                op.step = Step::Finished { result: Ok(status), token_ttl };
            }
            _ => self.attempt_failed(now, ErrorKind::Status(status)),
        }
    }

    /// An attempt failed with `kind`: retry, fall back, re-authorize, or give up
    /// ([`policy::decide`] says which). Whoever saw an incomplete response has
    /// abandoned the connection already; a complete one keeps it.
    fn attempt_failed(&mut self, now: Instant, kind: ErrorKind) {
        let max_attempts = self.config.max_attempts.max(1);
        let delivered = self.reader.delivered();
        let Some(op) = self.op.as_mut() else { return };
        let reused = matches!(op.step, Step::Sending { reused: true } | Step::Receiving { reused: true, .. });
        let (refresh, reauthorized) = match op.stage {
            Stage::Token { refresh, reauthorized, .. } => (refresh && self.tokens.is_valid(now), reauthorized),
            Stage::Get { reauthorized, .. } => (false, reauthorized),
        };
        let tries = *op.stage.tries();
        let situation = Situation {
            phase: op.stage.phase(),
            refresh,
            attempts: tries.made,
            stale_retry: reused && tries.stale_retry,
            delivered,
            reauthorized,
        };
        let get = |with_token| Stage::Get { tries: FIRST_TRY, with_token, reauthorized };
        match policy::decide(kind, situation, max_attempts, self.config.v1_fallback) {
            Next::RetryNow => {
                *op.stage.tries() = Tries { made: tries.made.saturating_sub(1), stale_retry: false };
                op.step = Step::Ready;
            }
            Next::Retry => {
                let delay = backoff(&mut self.rng, tries.made, self.config.backoff_base, self.config.backoff_cap);
                op.step = Step::Backoff { until: now.saturating_add(delay) };
            }
            Next::UseCachedToken => {
                self.tokens.refresh_failed(now);
                op.stage = get(true);
                op.step = Step::Ready;
            }
            Next::V1ForThisRequest => {
                op.stage = get(false);
                op.step = Step::Ready;
            }
            Next::V1UntilReprobe => {
                self.tokens.fall_back(now, self.config.v1_reprobe);
                op.stage = get(false);
                op.step = Step::Ready;
            }
            Next::Reauthorize => {
                self.tokens.clear();
                op.stage = Stage::Token { tries: FIRST_TRY, refresh: false, reauthorized: true };
                op.step = Step::Ready;
            }
            Next::Fail => self.finish_err(kind),
        }
    }

    /// An open connection will be closed, not reused, before the next request.
    fn abandon_connection(&mut self) {
        if let Connection::Open { used, .. } = self.connection {
            self.connection = Connection::Open { reusable: false, used };
        }
    }

    fn finish_err(&mut self, kind: ErrorKind) {
        if let Some(op) = self.op.as_mut() {
            let error = Error { phase: op.stage.phase(), kind, attempts: op.stage.tries().made };
            op.step = Step::Finished { result: Err(error), token_ttl: None };
        }
    }
}

/// A receive-buffer error as the client reports it.
fn read_usage(phase: Phase, e: ReadError) -> Error {
    Error { phase, kind: ErrorKind::of_read(e), attempts: 0 }
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
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
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
        static CLIENT: Client = Client::new(Config::DEFAULT, 0);
        assert!(!CLIENT.is_v1());
    }
}
