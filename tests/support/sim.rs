//! A simulated metadata service behind a simulated transport and clock: every
//! test is deterministic, and time only moves when the client waits.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use imds::BodyMode;
use imds::driver::TransportError;
use imds::driver::{Clock, Transport};
use imds::{Client, Config, Endpoint, Instant};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Send these bytes, then close (unless they say keep-alive).
    Bytes(Vec<u8>),
    /// Never answer: reads time out.
    Silence,
    /// Reset the connection.
    Reset,
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub ttl: Option<String>,
    pub at: u64,
}

impl Seen {
    /// `PUT` or `GET path [token]`, for traces.
    pub fn line(&self) -> String {
        match (&self.method[..], &self.token) {
            ("PUT", _) => format!("PUT {}", self.path),
            (_, Some(token)) => format!("GET {} {token}", self.path),
            (_, None) => format!("GET {}", self.path),
        }
    }
}

pub type Handler = Box<dyn FnMut(&Seen) -> Reply>;

/// The simulated world: clock, server, connection.
pub struct Sim {
    pub now: Rc<Cell<u64>>,
    pub seen: Rc<RefCell<Vec<Seen>>>,
    handler: Rc<RefCell<Handler>>,
    /// Connections to refuse before accepting.
    pub refuse: Rc<Cell<u32>>,
    /// Connects that hang until their timeout.
    pub blackhole: Rc<Cell<u32>>,
    /// Bytes of response handed out per read.
    pub read_size: usize,
    /// Milliseconds the server thinks before each answer.
    pub think_ms: u64,
}

pub struct SimClock(Rc<Cell<u64>>);

impl Clock for SimClock {
    fn now(&mut self) -> Instant {
        Instant::from_millis(self.0.get())
    }
    fn sleep_until(&mut self, until: Instant) {
        self.0.set(self.0.get().max(until.as_millis()));
    }
}

pub struct SimTransport {
    now: Rc<Cell<u64>>,
    seen: Rc<RefCell<Vec<Seen>>>,
    handler: Rc<RefCell<Handler>>,
    refuse: Rc<Cell<u32>>,
    blackhole: Rc<Cell<u32>>,
    read_size: usize,
    think_ms: u64,
    connected: bool,
    pending: Option<Reply>,
    sent: usize,
    pub connects: usize,
}

impl Transport for SimTransport {
    fn connect(&mut self, _endpoint: &Endpoint, timeout: Duration) -> Result<(), TransportError> {
        self.connects += 1;
        self.pending = None;
        if self.blackhole.get() > 0 {
            self.blackhole.set(self.blackhole.get() - 1);
            self.now.set(self.now.get() + timeout.as_millis() as u64);
            return Err(TransportError::TimedOut);
        }
        if self.refuse.get() > 0 {
            self.refuse.set(self.refuse.get() - 1);
            return Err(TransportError::Refused);
        }
        self.connected = true;
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), TransportError> {
        assert!(self.connected, "write without a connection");
        self.now.set(self.now.get() + self.think_ms);
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut headers);
        assert_eq!(request.parse(bytes), Ok(httparse::Status::Complete(bytes.len())), "one whole request");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).into_owned())
        };
        assert!(header("x-forwarded-for").is_none());
        let seen = Seen {
            method: request.method.unwrap().to_owned(),
            path: request.path.unwrap().to_owned(),
            token: header("x-aws-ec2-metadata-token"),
            ttl: header("x-aws-ec2-metadata-token-ttl-seconds"),
            at: self.now.get(),
        };
        let reply = (self.handler.borrow_mut())(&seen);
        self.seen.borrow_mut().push(seen);
        self.pending = Some(reply);
        self.sent = 0;
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        match &self.pending {
            None => Ok(0),
            Some(Reply::Silence) => {
                self.now.set(self.now.get() + timeout.as_millis() as u64);
                Err(TransportError::TimedOut)
            }
            Some(Reply::Reset) => Err(TransportError::Reset),
            Some(Reply::Bytes(bytes)) => {
                let rest = &bytes[self.sent..];
                if rest.is_empty() {
                    let keep_alive =
                        String::from_utf8_lossy(bytes).to_ascii_lowercase().contains("connection: keep-alive");
                    if keep_alive {
                        self.pending = None;
                        self.now.set(self.now.get() + timeout.as_millis() as u64);
                        return Err(TransportError::TimedOut);
                    }
                    return Ok(0);
                }
                let n = rest.len().min(buf.len()).min(self.read_size);
                buf[..n].copy_from_slice(&rest[..n]);
                self.sent += n;
                Ok(n)
            }
        }
    }

    fn close(&mut self) {
        self.connected = false;
        self.pending = None;
    }
}

impl Sim {
    pub fn new(handler: impl FnMut(&Seen) -> Reply + 'static) -> Sim {
        Sim {
            now: Rc::new(Cell::new(1_000)),
            seen: Rc::default(),
            handler: Rc::new(RefCell::new(Box::new(handler))),
            refuse: Rc::default(),
            blackhole: Rc::default(),
            read_size: usize::MAX,
            think_ms: 0,
        }
    }

    pub fn transport(&self) -> SimTransport {
        SimTransport {
            now: self.now.clone(),
            seen: self.seen.clone(),
            handler: self.handler.clone(),
            refuse: self.refuse.clone(),
            blackhole: self.blackhole.clone(),
            read_size: self.read_size,
            think_ms: self.think_ms,
            connected: false,
            pending: None,
            sent: 0,
            connects: 0,
        }
    }

    pub fn clock(&self) -> SimClock {
        SimClock(self.now.clone())
    }

    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
    }

    /// The requests seen so far, as `PUT path` / `GET path [token]` lines.
    pub fn trace(&self) -> Vec<String> {
        self.seen.borrow().iter().map(Seen::line).collect()
    }
}

/// What one GET through the simulated world gave: the status and contiguous
/// body, or the error; and the streamed pieces either way.
pub struct Fetched {
    pub result: Result<(u16, Vec<u8>), imds::Error>,
    pub streamed: Vec<u8>,
}

/// Runs one GET of `path` as `mode`, receiving into an `rx_len` buffer.
pub fn fetch(
    client: &mut Client<'_>,
    sim: &Sim,
    transport: &mut SimTransport,
    path: &str,
    mode: BodyMode,
    rx_len: usize,
) -> Fetched {
    let mut clock = sim.clock();
    let mut streamed = Vec::new();
    let mut operation = client.get(clock.now(), path, mode);
    let mut tx = [0u8; imds::wire::MAX_REQUEST_LEN];
    let mut rx = vec![0u8; rx_len];
    let on_piece = |p: &[u8]| streamed.extend_from_slice(p);
    let result = match ASYNC_DRIVER.get() {
        false => imds::driver::run(&mut operation, transport, &mut clock, &mut tx, &mut rx, on_piece),
        true => block_on(imds::driver::asynch::run(
            &mut operation,
            &mut Async(transport),
            &mut Async(&mut clock),
            &mut tx,
            &mut rx,
            on_piece,
        )),
    };
    let result = result.map(|answer| (answer.status, answer.body.to_vec()));
    Fetched { result, streamed }
}

thread_local! {
    /// `fetch` runs the `async` driver (`driver::asynch::run`) instead of the
    /// blocking one.
    static ASYNC_DRIVER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `test` through the blocking driver, then again through the `async`
/// one (whose transport and clock each yield once before every step).
pub fn both(test: impl Fn()) {
    test();
    ASYNC_DRIVER.set(true);
    test();
    ASYNC_DRIVER.set(false);
}

/// Polls `future` to its end with a waker that does nothing: the
/// hand-rolled executor the `async` driver needs (no runtime).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let mut polls = 0;
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        polls += 1;
        assert!(polls < 1_000_000, "the future never ends");
    }
}

/// Pending once (waking itself), then ready: a step that really suspends.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, context: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return std::task::Poll::Ready(());
        }
        context.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// A blocking transport or clock as an `async` one that suspends once before
/// each step.
pub struct Async<'t, T>(pub &'t mut T);

impl<T: Transport> imds::driver::asynch::AsyncTransport for Async<'_, T> {
    async fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
        YieldOnce(false).await;
        self.0.connect(endpoint, timeout)
    }
    async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        YieldOnce(false).await;
        self.0.write_all(bytes, timeout)
    }
    async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        YieldOnce(false).await;
        self.0.read(buf, timeout)
    }
    async fn close(&mut self) {
        YieldOnce(false).await;
        self.0.close()
    }
}

impl<C: Clock> imds::driver::asynch::AsyncClock for Async<'_, C> {
    fn now(&mut self) -> Instant {
        self.0.now()
    }
    async fn sleep_until(&mut self, until: Instant) {
        YieldOnce(false).await;
        self.0.sleep_until(until)
    }
}

/// Runs one contiguous GET of `path`; returns the status and body, or the error.
pub fn get(
    client: &mut Client<'_>,
    sim: &Sim,
    transport: &mut SimTransport,
    path: &str,
) -> Result<(u16, Vec<u8>), imds::Error> {
    fetch(client, sim, transport, path, BodyMode::Contiguous, 70 * 1024).result
}

pub fn new_client(config: Config<'_>) -> Client<'_> {
    Client::new(
        {
            let mut c = config;
            c.endpoint = Endpoint::parse("http://127.0.0.1:1338").unwrap();
            c
        },
        42,
    )
}

/// A response like real IMDS sends: Connection: close, Content-Length, and the
/// TTL header when given.
pub fn response(status: u16, body: &str, ttl: Option<u32>) -> Reply {
    let reason = imds::reason_phrase(status);
    let ttl = ttl.map(|t| format!("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {t}\r\n")).unwrap_or_default();
    Reply::Bytes(
        format!(
            "HTTP/1.1 {status} {reason}\r\n{ttl}Content-Type: text/plain\r\nContent-Length: {}\r\nServer: EC2ws\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// [`Config::DEFAULT`] with `edit` applied.
pub fn config(edit: impl FnOnce(&mut Config<'static>)) -> Config<'static> {
    let mut config = Config::DEFAULT;
    edit(&mut config);
    config
}
