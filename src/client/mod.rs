//! The IMDSv2 session: [`Client`] (its docs tell the whole behaviour) and the
//! [`Operation`] it runs, its configuration and errors; the retry and fallback policy and the token cache.

mod config;
mod error;
mod policy;
mod token_cache;

use core::time::Duration;

pub use config::{Config, InvalidUserAgent, UserAgent, V1Fallback};
pub use error::{Error, ErrorKind, Phase, TimeoutKind, UsageError, reason_phrase};
use policy::{Next, Situation};
use token_cache::{Plan, TokenCache};

use crate::endpoint::Endpoint;
use crate::path;
use crate::time::{Instant, from_ms, ms};
use crate::token::{MAX_TOKEN_LEN, TokenError, TokenTtl};
use crate::transport::TransportError;
use crate::wire::reader::BodyMode;
use crate::wire::{Advance, Body, DecodeError, Limits, ReadError, Reader, Request, ResponseHead, Span};

/// What the driver should do next; see [`Client`].
///
/// `Debug` (and defmt) show a piece's length, not its bytes (they may be credentials).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action<'b> {
    /// Open a connection to [`Operation::endpoint`] before `deadline`.
    Connect {
        /// When the client gives up on it.
        deadline: Instant,
    },
    /// Write the bytes [`Operation::encode`] gives, then call [`Operation::sent`].
    Send {
        /// When the client gives up on the response (a bound for the write too).
        deadline: Instant,
    },
    /// Read into [`Operation::receive_buffer`] and report; if nothing arrives, poll
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
    /// The operation is over: [`Operation::answer`] tells how.
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
    /// The response's `Date` (the server's clock) as sent, when it had an
    /// IMF-fixdate one (`Timestamp::parse_http_date` reads it).
    pub date: Option<&'b [u8]>,
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
    Finished(Result<Finished, Error>),
}

/// How an operation ended well, without borrowing the receive buffer: an
/// [`Answer`] once the buffer is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finished {
    status: u16,
    body_start: usize,
    body_len: usize,
    token_ttl_ms: Option<u32>,
    /// Where the `Date` value is in the receive buffer (the kept head).
    date: Option<Span>,
}

impl Finished {
    /// The answer, its body in `rx` (the buffer the operation read into).
    pub(crate) fn answer(self, rx: &[u8]) -> Answer<'_> {
        let body = rx.get(self.body_start..self.body_start.saturating_add(self.body_len)).unwrap_or_default();
        let date = self.date.map(|span| span.of(rx));
        Answer { status: self.status, body, token_ttl: self.token_ttl_ms.map(from_ms), date }
    }
}

/// The session settings a [`Client`] keeps from its [`Config`]: times in
/// milliseconds (up to 49 days; longer ones saturate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settings {
    limits: Limits,
    refresh_margin_ms: u32,
    connect_ms: u32,
    read_ms: u32,
    operation_ms: Option<u32>,
    backoff_base_ms: u32,
    backoff_cap_ms: u32,
    v1_reprobe_ms: u32,
    token_ttl: TokenTtl,
    max_attempts: u8,
    v1_fallback: V1Fallback,
    require_token_ttl: bool,
}

impl Settings {
    const fn of(config: &Config<'_>) -> Settings {
        Settings {
            limits: config.limits,
            refresh_margin_ms: ms(config.refresh_margin),
            connect_ms: ms(config.connect_timeout),
            read_ms: ms(config.read_timeout),
            operation_ms: match config.operation_timeout {
                Some(timeout) => Some(ms(timeout)),
                None => None,
            },
            backoff_base_ms: ms(config.backoff_base),
            backoff_cap_ms: ms(config.backoff_cap),
            v1_reprobe_ms: ms(config.v1_reprobe),
            token_ttl: config.token_ttl,
            max_attempts: if config.max_attempts == 0 { 1 } else { config.max_attempts },
            v1_fallback: config.v1_fallback,
            require_token_ttl: config.require_token_ttl,
        }
    }
}

/// The IMDSv2 session: the token cache, the connection state, the settings.
/// It lends itself to one [`Operation`] at a time ([`Client::get`]): a
/// sans-IO state machine that fetches a token, caches and refreshes it,
/// retries, falls back to IMDSv1 when allowed, and keeps the deadlines.
///
/// Small (under 256 bytes on a 32-bit target, the 128-byte token included) and
/// without allocation; its lifetime is the endpoint's host name and the user
/// agent's: a `Client<'static>` can live in a `static`.
///
/// The driver moves bytes and time and nothing else. The loop, for any socket
/// with a blocking connect, write and read (this is [`driver::run`](crate::driver::run),
/// less its wiping of `tx`):
///
/// ```
/// use imds::driver::{Clock, Transport, TransportError};
/// use imds::{Action, Answer, BodyMode, Client, Error};
///
/// fn get<'b>(
///     client: &mut Client<'_>,
///     socket: &mut impl Transport,
///     clock: &mut impl Clock,
///     path: &str,
///     tx: &mut [u8],      // imds::wire::MAX_REQUEST_LEN bytes always suffice
///     rx: &'b mut [u8],   // the largest head and body you accept
/// ) -> Result<Answer<'b>, Error> {
///     let mut op = client.get(clock.now(), path, BodyMode::Contiguous);
///     loop {
///         let now = clock.now();
///         let timeout = |deadline: imds::Instant| deadline.saturating_duration_since(now);
///         match op.poll(now, rx)? {
///             Action::Connect { deadline } => match socket.connect(op.endpoint(), timeout(deadline)) {
///                 Ok(()) => op.connected(clock.now())?,
///                 Err(e) => op.failed(clock.now(), e)?,
///             },
///             Action::Send { deadline } => {
///                 let n = op.encode(tx)?;
///                 match socket.write_all(&tx[..n], timeout(deadline)) {
///                     Ok(()) => op.sent(clock.now())?,
///                     Err(e) => op.failed(clock.now(), e)?,
///                 }
///             }
///             Action::Receive { deadline } => {
///                 match socket.read(op.receive_buffer(rx)?, timeout(deadline)) {
///                     Ok(0) => op.received_eof(clock.now())?,
///                     Ok(n) => op.received(clock.now(), n)?,
///                     Err(TransportError::TimedOut) => clock.sleep_until(deadline),
///                     Err(e) => op.failed(clock.now(), e)?,
///                 }
///             }
///             Action::Wait { until } => clock.sleep_until(until),
///             Action::Piece(_) => unreachable!("BodyMode::Streaming only"),
///             Action::Close => socket.close(),
///             Action::Done => break,
///         }
///     }
///     op.answer(rx) // a 2xx or a 404, its body in rx; or the operation's error
/// }
/// ```
///
/// Behaviour (the AWS SDKs', made explicit):
/// - The token is fetched on first use and cached; it expires per the response's
///   TTL header (or the requested TTL when a server omits it, unless
///   [`Config::require_token_ttl`]), counted from when its response is
///   complete, and is refreshed `refresh_margin` before that (at most half its
///   lifetime). A refresh that fails while the cached token is still valid keeps
///   using it: no error, no fallback (one attempt; the next try comes when half
///   of the token's remaining life is gone).
/// - A 401 on a `GET` drops the token (or leaves IMDSv1), fetches a new one and
///   retries, once per operation: a server that always answers 401 ends in an
///   error, not a loop.
/// - IMDSv1 fallback per [`V1Fallback`]: a refused token (403, 404, 405) or a
///   token read timeout falls back until [`Config::v1_reprobe`] has passed or a
///   401 comes; 5xx on every token attempt falls back for that request only. A
///   400 on the token `PUT` is always an error.
/// - Retries: 5xx, 429, refused or reset connections, a connection closed
///   before a complete response, connect and read timeouts; never 400, 403 or
///   404, nor a malformed or oversized response. Exponential backoff from
///   `backoff_base`, capped at `backoff_cap`, with jitter from the seed given to
///   [`Client::new`]. A 429 or 503 with `Retry-After: SECONDS` waits at least
///   that long when it fits the operation's deadline, and fails at once with
///   its status when it does not.
///   A reused keep-alive connection that turns out closed gets one free retry on a
///   new connection. A streamed body that fails after pieces were handed out is
///   not retried (the caller would see them twice).
/// - A complete response leaves its connection open for the next request when
///   its headers allow it (keep-alive, nothing after the body), whatever its
///   status; anything else (a timeout, a reset, a malformed response, an
///   operation dropped before [`Action::Done`]) closes it, before
///   [`Action::Done`] or the next operation's first request.
/// - Bodies nobody asked for (a 403 page, a 503 page) are read and dropped
///   whatever their size; a token body longer than the longest valid token is
///   refused from its Content-Length, before it is read. After a token is taken
///   from the receive buffer, its bytes there are zeroed.
///
/// All of the retry and fallback decisions are one pure function (`policy.rs`);
/// all of the token arithmetic one module (`token_cache.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client<'a> {
    endpoint: Endpoint<'a>,
    user_agent: Option<UserAgent<'a>>,
    settings: Settings,
    tokens: TokenCache,
    rng: u32,
    connection: Connection,
    /// An operation started and did not finish (its driver may have dropped it
    /// midway, leaving bytes on the connection).
    in_flight: bool,
}

impl<'a> Client<'a> {
    /// A client with no token and no connection. `seed` drives the backoff
    /// jitter: any value; a fixed one makes tests deterministic.
    pub const fn new(config: Config<'a>, seed: u64) -> Client<'a> {
        // Xorshift needs a state other than zero.
        let folded = (seed ^ (seed >> 32)) as u32;
        Client {
            endpoint: config.endpoint,
            user_agent: config.user_agent,
            settings: Settings::of(&config),
            tokens: TokenCache::new(),
            rng: if folded == 0 { 0x9e37_79b9 } else { folded },
            connection: Connection::Closed,
            in_flight: false,
        }
    }

    /// Where to connect.
    pub fn endpoint(&self) -> &Endpoint<'a> {
        &self.endpoint
    }

    /// True after a lasting fallback to IMDSv1, until IMDSv2 answers again.
    pub fn is_v1(&self) -> bool {
        self.tokens.is_v1()
    }

    /// How long the cached token stays valid, if there is one.
    pub fn token_ttl(&self, now: Instant) -> Option<Duration> {
        self.tokens.ttl_ms(now).map(from_ms)
    }

    /// Forgets the cached token (zeroing it) or the IMDSv1 fallback: the next
    /// operation fetches a new token.
    pub fn clear_token(&mut self) {
        self.tokens.clear();
    }

    /// Starts fetching `path`, its body delivered as `mode` says: the
    /// [`Operation`] to drive. The client is lent to it until it is dropped, so
    /// one runs at a time. A `path` that is not valid ends the operation at
    /// once: its first poll says [`Action::Done`], and its answer is
    /// [`UsageError::Path`]. (Infallible, so the operation is built where the
    /// caller keeps it, not copied out of a `Result`.)
    pub fn get<'c, 'p>(&'c mut self, now: Instant, path: &'p str, mode: BodyMode) -> Operation<'c, 'a, 'p> {
        let (stage, step, deadline) = match path::validate(path) {
            Err(e) => {
                let error = Error::usage(Phase::Get, UsageError::Path(e));
                (
                    Stage::Get { tries: FIRST_TRY, with_token: false, reauthorized: false },
                    Step::Finished(Err(error)),
                    Instant::NEVER,
                )
            }
            Ok(()) => {
                if core::mem::replace(&mut self.in_flight, true) {
                    // The last operation was dropped midway: its connection is not reused.
                    self.abandon_connection();
                }
                let stage = match self.tokens.plan(now) {
                    Plan::UseToken => Stage::Get { tries: FIRST_TRY, with_token: true, reauthorized: false },
                    Plan::V1 => Stage::Get { tries: FIRST_TRY, with_token: false, reauthorized: false },
                    Plan::Refresh => Stage::Token { tries: FIRST_TRY, refresh: true, reauthorized: false },
                    Plan::Fetch => Stage::Token { tries: FIRST_TRY, refresh: false, reauthorized: false },
                };
                let deadline = self.settings.operation_ms.map_or(Instant::NEVER, |ms| now.plus_ms(ms));
                (stage, Step::Ready, deadline)
            }
        };
        let reader = Reader::new(self.settings.limits, BodyMode::Contiguous);
        Operation { client: self, path, mode, deadline, stage, step, reader }
    }

    /// An open connection will be closed, not reused, before the next request.
    fn abandon_connection(&mut self) {
        if let Connection::Open { used, .. } = self.connection {
            self.connection = Connection::Open { reusable: false, used };
        }
    }
}

/// One `GET` (with the token `PUT`, retries and fallbacks it needs) in flight on
/// a [`Client`], from [`Client::get`]: borrows the client and the path.
///
/// Call [`Operation::poll`] after every event and whenever a deadline passes,
/// and do what the [`Action`] says; after [`Action::Done`],
/// [`Operation::answer`] tells how it ended. Dropped before that (a driver that
/// gives up), it leaves the connection to be closed: the client's next
/// operation starts with [`Action::Close`] if it was open.
#[derive(Debug)]
pub struct Operation<'c, 'a, 'p> {
    client: &'c mut Client<'a>,
    path: &'p str,
    mode: BodyMode,
    /// The whole operation's deadline ([`Instant::NEVER`] without one).
    deadline: Instant,
    stage: Stage,
    step: Step,
    reader: Reader,
}

/// Bytes of state one operation in flight takes besides the [`Client`] it
/// borrows (stage, step, deadlines, the response reader).
pub const REQUEST_STATE_BYTES: usize = core::mem::size_of::<Operation<'static, 'static, 'static>>();

impl<'a> Operation<'_, 'a, '_> {
    /// Where to connect (the client's endpoint).
    pub fn endpoint(&self) -> &Endpoint<'a> {
        &self.client.endpoint
    }

    /// The path being fetched.
    pub fn path(&self) -> &str {
        self.path
    }

    /// Ends the operation at `deadline` at the latest (earlier if its own
    /// timeout says so): for a caller with a deadline of its own, such as a walk.
    pub fn shorten_deadline(&mut self, deadline: Instant) {
        self.deadline = self.deadline.min(deadline);
    }

    /// What to do next. Call after every event and whenever a deadline passes.
    #[inline]
    pub fn poll<'b>(&mut self, now: Instant, rx: &'b mut [u8]) -> Result<Action<'b>, Error> {
        loop {
            let finished = matches!(self.step, Step::Finished(_));
            if !finished && now >= self.deadline {
                self.client.abandon_connection();
                self.finish_err(ErrorKind::Timeout(TimeoutKind::Operation));
                continue;
            }
            let op_deadline = self.deadline;
            let cap = |deadline: Instant| op_deadline.min(deadline);
            match self.step {
                Step::Ready => {
                    if let Connection::Open { reusable: false, .. } = self.client.connection {
                        self.client.connection = Connection::Closed;
                        return Ok(Action::Close);
                    }
                    let tries = self.stage.tries();
                    tries.made = tries.made.saturating_add(1);
                    if let Connection::Open { used, .. } = self.client.connection {
                        self.step = Step::Sending { reused: used };
                        continue;
                    }
                    let deadline = cap(now.plus_ms(self.client.settings.connect_ms));
                    self.step = Step::Connecting { deadline };
                    return Ok(Action::Connect { deadline });
                }
                Step::Connecting { deadline } if now >= deadline => {
                    self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Connect));
                }
                Step::Connecting { deadline } => return Ok(Action::Wait { until: deadline }),
                Step::Sending { .. } => {
                    return Ok(Action::Send { deadline: cap(now.plus_ms(self.client.settings.read_ms)) });
                }
                Step::Backoff { until } if now >= until => self.step = Step::Ready,
                Step::Backoff { until } => return Ok(Action::Wait { until: cap(until) }),
                Step::Receiving { deadline, .. } => match self.reader.advance(rx) {
                    Ok(Advance::NeedMore) if now >= deadline => {
                        self.client.abandon_connection();
                        self.attempt_failed(now, ErrorKind::Timeout(TimeoutKind::Read));
                    }
                    Ok(Advance::NeedMore) => return Ok(Action::Receive { deadline: cap(deadline) }),
                    Ok(Advance::Head(head)) => self.head_arrived(now, head, rx.len()),
                    Ok(Advance::Piece(range)) => return Ok(Action::Piece(rx.get(range).unwrap_or_default())),
                    Ok(Advance::Complete) => self.response_complete(now, rx),
                    Err(e) => self.read_failed(now, e),
                },
                Step::Finished(_) => {
                    return Ok(match self.client.connection {
                        Connection::Open { reusable: false, .. } => {
                            self.client.connection = Connection::Closed;
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
        self.expect(|step| matches!(step, Step::Connecting { .. }))?;
        self.step = Step::Sending { reused: false };
        self.client.connection = Connection::Open { reusable: true, used: false };
        Ok(())
    }

    /// Writes the request to send into `tx`; returns its length.
    pub fn encode(&self, tx: &mut [u8]) -> Result<usize, Error> {
        if !matches!(self.step, Step::Sending { .. }) {
            return Err(Error::usage(self.stage.phase(), UsageError::WrongStep));
        }
        let client = &*self.client;
        let request = match self.stage {
            Stage::Token { .. } => Request::PutToken { ttl: client.settings.token_ttl },
            Stage::Get { with_token, .. } => {
                Request::Get { path: self.path, token: client.tokens.token().filter(|_| with_token) }
            }
        };
        let agent = client.user_agent.as_ref().map(UserAgent::as_str);
        // The path was validated by `get`, the user agent by `UserAgent::new`.
        request
            .write(&client.endpoint, agent, tx)
            .map_err(|e| Error::usage(self.stage.phase(), UsageError::SendBuffer(e)))
    }

    /// The request was written.
    pub fn sent(&mut self, now: Instant) -> Result<(), Error> {
        let Step::Sending { reused } = self.step else {
            return Err(Error::usage(self.stage.phase(), UsageError::WrongStep));
        };
        self.step = Step::Receiving { deadline: now.plus_ms(self.client.settings.read_ms), reused };
        let mode = match self.stage {
            Stage::Get { .. } => self.mode,
            Stage::Token { .. } => BodyMode::Contiguous,
        };
        self.reader.restart(self.client.settings.limits, mode);
        Ok(())
    }

    /// The room to read response bytes into.
    pub fn receive_buffer<'b>(&mut self, rx: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
        let phase = self.expect(|step| matches!(step, Step::Receiving { .. }))?;
        self.reader.spare(rx).map_err(|e| read_usage(phase, e))
    }

    /// `n` bytes were read into the start of [`Operation::receive_buffer`].
    pub fn received(&mut self, now: Instant, n: usize) -> Result<(), Error> {
        let phase = self.expect(|step| matches!(step, Step::Receiving { .. }))?;
        let read_ms = self.client.settings.read_ms;
        if let Step::Receiving { deadline, .. } = &mut self.step {
            *deadline = now.plus_ms(read_ms);
        }
        self.reader.received(n).map_err(|e| read_usage(phase, e))
    }

    /// The server closed the connection.
    pub fn received_eof(&mut self, _now: Instant) -> Result<(), Error> {
        self.expect(|step| matches!(step, Step::Receiving { .. }))?;
        self.reader.eof();
        Ok(())
    }

    /// Connecting, writing or reading failed. The client considers the
    /// connection gone (the driver drops it) and retries if it may.
    pub fn failed(&mut self, now: Instant, error: TransportError) -> Result<(), Error> {
        self.expect(|step| matches!(step, Step::Connecting { .. } | Step::Sending { .. } | Step::Receiving { .. }))?;
        let kind = match (self.step, error) {
            (Step::Connecting { .. }, TransportError::TimedOut) => ErrorKind::Timeout(TimeoutKind::Connect),
            (Step::Receiving { .. }, TransportError::TimedOut) => ErrorKind::Timeout(TimeoutKind::Read),
            _ => ErrorKind::Transport(error),
        };
        self.client.connection = Connection::Closed;
        self.attempt_failed(now, kind);
        Ok(())
    }

    /// How the operation ended, once [`Operation::poll`] said [`Action::Done`]:
    /// an answer (2xx or 404, its body in `rx`) or an error.
    pub fn answer<'b>(&self, rx: &'b [u8]) -> Result<Answer<'b>, Error> {
        self.finished().map(|finished| finished.answer(rx))
    }

    /// [`Operation::answer`] without the receive buffer.
    pub(crate) fn finished(&self) -> Result<Finished, Error> {
        match self.step {
            Step::Finished(result) => result,
            _ => Err(Error::usage(self.stage.phase(), UsageError::WrongStep)),
        }
    }

    /// The phase, if the step passes `expected`; a usage error if not.
    fn expect(&self, expected: impl Fn(&Step) -> bool) -> Result<Phase, Error> {
        match expected(&self.step) {
            true => Ok(self.stage.phase()),
            false => Err(Error::usage(self.stage.phase(), UsageError::WrongStep)),
        }
    }

    /// The head is in: decide what happens to the body.
    fn head_arrived(&mut self, now: Instant, head: ResponseHead, rx_len: usize) {
        let body = match (self.stage, head.status) {
            (Stage::Token { .. }, 200) => {
                if let Some(len) = head.content_length().filter(|&n| n > MAX_TOKEN_LEN as u32) {
                    // Refused before it is read: no token is that long.
                    let len = usize::try_from(len).ok();
                    self.client.abandon_connection();
                    return self.attempt_failed(now, ErrorKind::InvalidToken(TokenError::TooLong { len }));
                }
                self.reader.limit_body(MAX_TOKEN_LEN as u32);
                Body::Keep
            }
            (Stage::Get { .. }, 200..=299) => Body::of(self.mode),
            (Stage::Get { .. }, 404) if self.mode == BodyMode::Contiguous => Body::Keep,
            _ => Body::Discard,
        };
        if let Err(e) = self.reader.set_body(body, rx_len) {
            self.read_failed(now, e);
        }
    }

    /// The reader refused to go on.
    fn read_failed(&mut self, now: Instant, e: ReadError) {
        self.client.abandon_connection();
        let token_200 =
            matches!(self.stage, Stage::Token { .. }) && self.reader.head().is_some_and(|head| head.status == 200);
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
        let Some(head) = self.reader.head() else { return };
        let status = head.status;
        let reusable = head.keep_alive && self.reader.trailing_len() == 0;
        let client = &mut *self.client;
        client.connection = Connection::Open { reusable, used: true };
        match (self.stage, status) {
            (Stage::Token { reauthorized, .. }, 200) => {
                let settings = &client.settings;
                let ttl_ms = match (head.token_ttl, settings.require_token_ttl) {
                    (Some(ttl), _) => Ok(ttl.saturating_mul(1000)),
                    (None, false) => Ok(settings.token_ttl.seconds().saturating_mul(1000)),
                    (None, true) => Err(ErrorKind::MissingTokenTtl),
                };
                let body = rx.get(self.reader.body_range()).unwrap_or_default();
                let margin_ms = settings.refresh_margin_ms;
                let stored = ttl_ms.and_then(|ttl_ms| {
                    client.tokens.store(body, now, ttl_ms, margin_ms).map_err(ErrorKind::InvalidToken)
                });
                self.reader.wipe_body(rx);
                match stored {
                    Ok(()) => {
                        self.stage = Stage::Get { tries: FIRST_TRY, with_token: true, reauthorized };
                        self.step = Step::Ready;
                    }
                    Err(kind) => self.attempt_failed(now, kind),
                }
            }
            (Stage::Get { with_token, .. }, 200..=299 | 404) => {
                let range = self.reader.body_range();
                client.in_flight = false;
                self.step = Step::Finished(Ok(Finished {
                    status,
                    body_start: range.start,
                    body_len: range.len(),
                    token_ttl_ms: client.tokens.ttl_ms(now).filter(|_| with_token),
                    date: head.date,
                }));
            }
            _ => self.attempt_failed(now, ErrorKind::Status(status)),
        }
    }

    /// An attempt failed with `kind`: retry, fall back, re-authorize, or give up
    /// ([`policy::decide`] says which). Whoever saw an incomplete response has
    /// abandoned the connection already; a complete one keeps it.
    fn attempt_failed(&mut self, now: Instant, kind: ErrorKind) {
        let client = &mut *self.client;
        let settings = client.settings;
        let reused = matches!(self.step, Step::Sending { reused: true } | Step::Receiving { reused: true, .. });
        let (refresh, reauthorized) = match self.stage {
            Stage::Token { refresh, reauthorized, .. } => (refresh && client.tokens.is_valid(now), reauthorized),
            Stage::Get { reauthorized, .. } => (false, reauthorized),
        };
        let tries = *self.stage.tries();
        let situation = Situation {
            phase: self.stage.phase(),
            refresh,
            attempts: tries.made,
            stale_retry: reused && tries.stale_retry,
            delivered: self.reader.delivered(),
            reauthorized,
        };
        let get = |with_token| Stage::Get { tries: FIRST_TRY, with_token, reauthorized };
        let (stage, step) = match policy::decide(kind, situation, settings.max_attempts, settings.v1_fallback) {
            Next::RetryNow => {
                let mut stage = self.stage;
                *stage.tries() = Tries { made: tries.made.saturating_sub(1), stale_retry: false };
                (stage, Step::Ready)
            }
            Next::Retry => {
                let delay = backoff(&mut client.rng, tries.made, settings.backoff_base_ms, settings.backoff_cap_ms);
                // A throttled answer's Retry-After, when it fits the deadline;
                // when it does not, waiting would only end in a timeout.
                let asked = match kind {
                    ErrorKind::Status(429 | 503) => self.reader.head().and_then(|head| head.retry_after),
                    _ => None,
                };
                let until = now.plus_ms(delay.max(asked.map_or(0, |secs| secs.saturating_mul(1000))));
                if asked.is_some() && until > self.deadline {
                    return self.finish_err(kind);
                }
                (self.stage, Step::Backoff { until })
            }
            Next::UseCachedToken => {
                client.tokens.refresh_failed(now);
                (get(true), Step::Ready)
            }
            Next::V1ForThisRequest => (get(false), Step::Ready),
            Next::V1UntilReprobe => {
                client.tokens.fall_back(now, settings.v1_reprobe_ms);
                (get(false), Step::Ready)
            }
            Next::Reauthorize => {
                client.tokens.clear();
                (Stage::Token { tries: FIRST_TRY, refresh: false, reauthorized: true }, Step::Ready)
            }
            Next::Fail => return self.finish_err(kind),
        };
        self.stage = stage;
        self.step = step;
    }

    fn finish_err(&mut self, kind: ErrorKind) {
        let error = Error { phase: self.stage.phase(), kind, attempts: self.stage.tries().made };
        self.client.in_flight = false;
        self.step = Step::Finished(Err(error));
    }
}

/// A receive-buffer error as the client reports it.
fn read_usage(phase: Phase, e: ReadError) -> Error {
    Error { phase, kind: ErrorKind::of_read(e), attempts: 0 }
}

/// The delay in milliseconds before retry number `attempt` (1-based): `base ·
/// 2^(attempt-1)`, capped, then "equal jitter": half of it fixed, half random.
fn backoff(rng: &mut u32, attempt: u8, base_ms: u32, cap_ms: u32) -> u32 {
    let exp = u32::from(attempt.saturating_sub(1)).min(20);
    let full = base_ms.saturating_mul(1 << exp).min(cap_ms);
    let half = full / 2;
    let jitter = xorshift32(rng) % (half + 1);
    full - half + jitter
}

/// Marsaglia's xorshift32: a tiny, good-enough generator for jitter (its
/// state is never zero).
pub(crate) fn xorshift32(state: &mut u32) -> u32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_never_reach_debug() {
        extern crate std;
        let secret = b"{\"SecretAccessKey\":\"wJalrXUtnFEMI\"}";
        let shown = std::format!(
            "{:?} {:?}",
            Answer { status: 200, body: secret, token_ttl: None, date: None },
            Action::Piece(secret)
        );
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("body_len: 35") && shown.contains("Piece(<35 bytes>)"), "{shown}");
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let mut rng = 7;
        let (base, cap) = (100, 1000);
        for (attempt, full) in [(1u8, 100u32), (2, 200), (3, 400), (4, 800), (5, 1000), (30, 1000)] {
            for _ in 0..50 {
                let d = backoff(&mut rng, attempt, base, cap);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
            }
        }
        let (mut a, mut b) = (1, 1);
        assert_eq!(backoff(&mut a, 3, base, cap), backoff(&mut b, 3, base, cap), "deterministic per seed");
    }

    #[test]
    fn a_static_client_fits_in_a_static() {
        static CLIENT: Client<'static> = Client::new(Config::DEFAULT, 0);
        assert!(!CLIENT.is_v1());
    }
}
