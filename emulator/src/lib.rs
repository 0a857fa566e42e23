//! An EC2 instance metadata service emulator for tests, examples and benchmarks.
//!
//! It binds to a loopback address only (127.0.0.1 or [::1]) and stops by itself
//! after `max_requests` requests or `lifetime`, whichever comes first, or when
//! dropped. It answers like IMDSv2:
//! - `PUT /latest/api/token` with a TTL of 1..=21600 gives a fresh token with
//!   that lifetime (400 for a missing or bad TTL, 403 with `X-Forwarded-For`,
//!   405 for other methods on the token path);
//! - `GET` with a valid token gives the value, or a listing for a directory, with
//!   the token's remaining TTL; a missing (when v2 is required), unknown or expired
//!   token gives 401; an unknown path the XHTML 404 page;
//! - `Connection: close` after each response, like EC2, or keep-alive.
//!
//! [`Faults`] switch on misbehaviour at run time: 5xx bursts, delays, stalls,
//! truncated bodies, byte-at-a-time writes, chunked encoding, dropped token
//! responses (the hop-limit case), a rejected token PUT, no TTL header.

mod data;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[cfg(feature = "ethernet")]
pub mod ethernet;
mod proxy;
pub use data::{IDENTITY_DOCUMENT, TEST_RSA_CERTIFICATE, TEST_RSA2048_CERTIFICATE, VERSIONS, http_date, instance};
pub use proxy::{FaultCounts, FaultProxy, NetworkFault, ProxyOptions};

/// Misbehaviour, switchable while the emulator runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer the next this-many requests with 503.
    pub errors_5xx: u32,
    /// Throttle: answer the next requests with 429 or 503, with or without
    /// `Retry-After`, as IMDS does with a busy caller.
    pub throttle: Option<Throttle>,
    /// Wait this long before every response.
    pub delay: Duration,
    /// Read requests but never answer them.
    pub stall: bool,
    /// Send the head and half the body, then close.
    pub truncate: bool,
    /// Write responses one byte at a time.
    pub byte_at_a_time: bool,
    /// Frame bodies with `Transfer-Encoding: chunked` (in 1 KiB chunks).
    pub chunked: bool,
    /// Never answer token PUTs (what a hop limit of 1 looks like from a container).
    pub drop_token_responses: bool,
    /// Answer token PUTs with this status (403, 404, 405: IMDSv2 not available).
    pub reject_token: Option<u16>,
    /// Leave out `X-aws-ec2-metadata-token-ttl-seconds` (as moto does).
    pub omit_ttl_header: bool,
    /// Serve a huge tree under `/latest/meta-data/` instead of the instance's.
    pub flood: Option<Flood>,
    /// Answer 404 on the extended credentials API (a service without it).
    pub no_extended_api: bool,
    /// The instance has no IAM role: everything under `iam/` answers 404.
    pub no_role: bool,
    /// Credentials answer with this `Code` (say `AssumeRoleUnauthorizedAccess`).
    pub credentials_code: Option<String>,
    /// Credentials expired an hour ago (a service having trouble).
    pub expired_credentials: bool,
    /// `placement/region` answers 404 (the Region is then in the identity document).
    pub no_placement_region: bool,
    /// A spot interruption notice with this action (`terminate`, `stop`,
    /// `hibernate`) appears this long after the faults are set, for a time two
    /// minutes after that.
    pub spot_notice: Option<(Duration, String)>,
    /// A rebalance recommendation appears this long after the faults are set.
    pub rebalance_after: Option<Duration>,
    /// Scheduled maintenance events (a JSON array) served instead of `[]`.
    pub maintenance: Option<String>,
    /// These bodies at these paths instead of the instance's (say an identity
    /// document changed by one byte, whose signatures must then fail).
    pub bodies: Vec<(String, String)>,
}

/// Throttled answers: `requests` of them, with `status` (429 or 503) and,
/// when set, `Retry-After: retry_after` (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// 429 (Too Many Requests) or 503 (Service Unavailable).
    pub status: u16,
    /// How many requests to throttle.
    pub requests: u32,
    /// The `Retry-After` seconds, if any.
    pub retry_after: Option<u32>,
}

/// A hostile tree: `/latest/meta-data/` lists `dirs` directories (`d0/`, `d1/`,
/// ...), each listing `leaves` leaves (`l0`, `l1`, ...) of `leaf_bytes` bytes,
/// and then `gone` more (`g0`, ...) that answer 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flood {
    /// Directories under `/latest/meta-data/`.
    pub dirs: u32,
    /// Leaves in each directory.
    pub leaves: u32,
    /// Bytes of each leaf.
    pub leaf_bytes: usize,
    /// Leaves listed in each directory that answer 404.
    pub gone: u32,
}

impl Flood {
    /// The body at `path`, if the flooded tree has one.
    fn body(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix("/latest/meta-data/")?;
        let names = |prefix: &str, n: u32, suffix: &str| {
            (0..n).map(|i| format!("{prefix}{i}{suffix}")).collect::<Vec<_>>().join("\n")
        };
        if rest.is_empty() {
            return Some(names("d", self.dirs, "/"));
        }
        let (dir, leaf) = rest.split_once('/')?;
        let _: u32 = dir.strip_prefix('d')?.parse().ok().filter(|d| *d < self.dirs)?;
        if leaf.is_empty() {
            let listing = [names("l", self.leaves, ""), names("g", self.gone, "")];
            return Some(listing.iter().filter(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join("\n"));
        }
        let _: u32 = leaf.strip_prefix('l')?.parse().ok().filter(|l| *l < self.leaves)?;
        Some("x".repeat(self.leaf_bytes))
    }
}

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// A loopback address; anything else is refused.
    pub ip: IpAddr,
    /// 0 for a free port.
    pub port: u16,
    /// Refuse GETs without a token (IMDSv2 "required").
    pub require_v2: bool,
    /// Keep connections open between requests instead of closing them.
    pub keep_alive: bool,
    /// Stop after this many requests.
    pub max_requests: usize,
    /// Stop after this long.
    pub lifetime: Duration,
    /// Misbehaviour from the start.
    pub faults: Faults,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            require_v2: true,
            keep_alive: false,
            max_requests: 10_000,
            lifetime: Duration::from_secs(120),
            faults: Faults::default(),
        }
    }
}

struct Shared {
    options: Options,
    faults: Mutex<Faults>,
    /// When the faults were set (notices appear relative to it), Unix ms.
    faults_set: Mutex<u64>,
    /// The manual clock (Unix ms), if the service runs on one.
    manual_ms: Mutex<Option<u64>>,
    /// The path of every request answered, in order (bounded by `max_requests`).
    paths: Mutex<Vec<String>>,
    /// Each token's expiry, Unix ms.
    tokens: Mutex<HashMap<String, u64>>,
    tree: BTreeMap<String, String>,
    requests: AtomicUsize,
    connections: AtomicUsize,
    token_counter: AtomicU64,
    stop: AtomicBool,
    started: Instant,
}

impl Shared {
    /// Now, Unix milliseconds: the manual clock's, or the system's.
    fn now_ms(&self) -> u64 {
        let manual = *self.manual_ms.lock().unwrap_or_else(|e| e.into_inner());
        manual.unwrap_or_else(system_ms)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
            || self.started.elapsed() >= self.options.lifetime
            || self.requests.load(Ordering::SeqCst) >= self.options.max_requests
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The emulated service without sockets: what it answers to the bytes of a
/// request. The TCP [`Emulator`] runs on it; an in-process network (the smoltcp
/// example) can too.
#[derive(Clone)]
pub struct Service {
    shared: Arc<Shared>,
}

/// What the service does with the start of a connection's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The request head is not complete yet.
    Incomplete,
    /// Send `bytes` (faults for body framing applied); `consumed` request bytes are done.
    Reply {
        /// Request bytes handled.
        consumed: usize,
        /// The whole response.
        bytes: Vec<u8>,
        /// Close the connection after it.
        close: bool,
    },
    /// Never answer this request (stall, dropped token response).
    Silence,
}

impl Service {
    /// A service with the instance data and `options` (its `ip` and `port` unused).
    pub fn new(options: Options) -> Service {
        Service {
            shared: Arc::new(Shared {
                faults: Mutex::new(options.faults.clone()),
                faults_set: Mutex::new(system_ms()),
                manual_ms: Mutex::new(None),
                paths: Mutex::default(),
                options,
                tokens: Mutex::default(),
                tree: data::instance(),
                requests: AtomicUsize::new(0),
                connections: AtomicUsize::new(0),
                token_counter: AtomicU64::new(0),
                stop: AtomicBool::new(false),
                started: Instant::now(),
            }),
        }
    }

    /// Answers the request at the start of `input`.
    pub fn answer(&self, input: &[u8]) -> Answer {
        let shared = &self.shared;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        let keep_alive = shared.options.keep_alive;
        let consumed = match request.parse(input) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if input.len() < 16 * 1024 => return Answer::Incomplete,
            _ => {
                return Answer::Reply {
                    consumed: input.len(),
                    bytes: plain(400, "Bad Request", "", false),
                    close: true,
                };
            }
        };
        shared.requests.fetch_add(1, Ordering::SeqCst);
        let mut paths = shared.paths.lock().unwrap_or_else(|e| e.into_inner());
        if paths.len() < shared.options.max_requests {
            paths.push(request.path.unwrap_or_default().to_owned());
        }
        drop(paths);
        ANSWER_TIME.set(shared.now_ms() / 1000);
        match respond(&request, shared, keep_alive) {
            Outcome::Silence => Answer::Silence,
            Outcome::Bytes { head, body } => {
                let truncate = shared.faults().truncate && !body.is_empty();
                let body = if truncate { &body[..body.len() / 2] } else { &body[..] };
                Answer::Reply { consumed, bytes: [&head[..], body].concat(), close: truncate || !keep_alive }
            }
        }
    }

    /// Replaces the faults in force (notices count their delay from now).
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults() = faults;
        *self.shared.faults_set.lock().unwrap_or_else(|e| e.into_inner()) = self.shared.now_ms();
    }

    /// Runs the service on a manual clock set to `unix_ms` (call again to move
    /// it, either way), or on the system's again (`None`): token expiry,
    /// credentials, notices and the `Date` header follow it.
    pub fn set_clock(&self, unix_ms: Option<u64>) {
        *self.shared.manual_ms.lock().unwrap_or_else(|e| e.into_inner()) = unix_ms;
    }

    /// True once the service is over its request or time bound (or stopped).
    pub fn stopped(&self) -> bool {
        self.shared.stopping()
    }

    /// Requests answered (or refused) so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The path of every request so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.shared.paths.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.token_counter.load(Ordering::SeqCst)
    }
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    service: Service,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds and starts serving in background threads.
    pub fn start(options: Options) -> io::Result<Emulator> {
        if !options.ip.is_loopback() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the emulator binds to loopback only"));
        }
        let listener = TcpListener::bind(SocketAddr::new(options.ip, options.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let service = Service::new(options);
        let shared = service.shared.clone();
        let accept = service.clone();
        let thread = std::thread::spawn(move || accept_loop(listener, accept));
        Ok(Emulator { addr, service, shared, thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, such as `http://127.0.0.1:38211` or `http://[::1]:38211`.
    pub fn url(&self) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("http://{a}"),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        }
    }

    /// The service behind it.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.service.set_faults(faults);
    }

    /// Requests answered (or refused) so far.
    pub fn requests(&self) -> usize {
        self.service.requests()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.service.tokens_issued()
    }

    /// The path of every request so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.service.paths()
    }

    /// Stops accepting and waits for the accept thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, service: Service) {
    let shared = &service.shared;
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let service = service.clone();
                workers.retain(|w| !w.is_finished());
                if workers.len() < 64 {
                    workers.push(std::thread::spawn(move || serve(stream, &service)));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(1)),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// Serves one connection: requests until close, stop, or two idle seconds.
fn serve(mut stream: TcpStream, service: &Service) {
    let shared = &service.shared;
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut idle_since = Instant::now();
    while !shared.stopping() && idle_since.elapsed() < Duration::from_secs(2) {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        idle_since = Instant::now();
        loop {
            match service.answer(&buf) {
                Answer::Incomplete => break,
                Answer::Silence => return hold(&mut stream, shared),
                Answer::Reply { consumed, bytes, close } => {
                    buf.drain(..consumed.min(buf.len()));
                    if !write_slowly(&mut stream, shared, &bytes) || close {
                        return;
                    }
                }
            }
        }
    }
}

/// What to do with a request.
enum Outcome {
    Bytes {
        head: Vec<u8>,
        body: Vec<u8>,
    },
    /// Never answer (stall, dropped token response).
    Silence,
}

fn respond(request: &httparse::Request<'_, '_>, shared: &Shared, keep_alive: bool) -> Outcome {
    let header = |name: &str| request.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
    let method = request.method.unwrap_or("");
    let path = request.path.unwrap_or("");
    let mut faults = shared.faults();
    if faults.stall {
        return Outcome::Silence;
    }
    if let Some(throttle) = faults.throttle.as_mut().filter(|t| t.requests > 0) {
        throttle.requests -= 1;
        let reason = if throttle.status == 429 { "Too Many Requests" } else { "Service Unavailable" };
        let answer = plain(throttle.status, reason, "", keep_alive);
        let retry_after = throttle.retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
        let at = answer.windows(2).position(|w| w == b"\r\n").map_or(0, |at| at + 2);
        return split([&answer[..at], retry_after.as_bytes(), &answer[at..]].concat());
    }
    if faults.errors_5xx > 0 {
        faults.errors_5xx -= 1;
        return split(plain(503, "Service Unavailable", "", keep_alive));
    }
    let chunked = faults.chunked;
    let omit_ttl = faults.omit_ttl_header;
    let flood = faults.flood;
    if path == "/latest/api/token" {
        if method != "PUT" {
            return split(plain(405, "Method Not Allowed", "", keep_alive));
        }
        if faults.drop_token_responses {
            return Outcome::Silence;
        }
        if let Some(status) = faults.reject_token {
            return split(plain(status, reason(status), "", keep_alive));
        }
        drop(faults);
        if header("x-forwarded-for").is_some() {
            return split(plain(403, "Forbidden", "", keep_alive));
        }
        let ttl = header("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ttl| (1..=21600).contains(ttl));
        let Some(ttl) = ttl else {
            return split(xhtml(400, "Bad Request", keep_alive));
        };
        let _ = *LAUNCHED;
        let n = shared.token_counter.fetch_add(1, Ordering::SeqCst);
        let token = format!("AQAEAEmu{n:016x}-imds-emulator-token-{:08x}==", ttl * 2654435761 % 0xffff_ffff);
        shared.tokens.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone(), shared.now_ms() + ttl * 1000);
        let ttl_header = if omit_ttl { None } else { Some(ttl) };
        return build(200, "OK", token.as_bytes(), ttl_header, keep_alive, chunked);
    }
    drop(faults);
    if method != "GET" {
        return split(plain(405, "Method Not Allowed", "", keep_alive));
    }
    let remaining = match header("x-aws-ec2-metadata-token") {
        Some(token) => {
            let tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
            let expiry = std::str::from_utf8(token).ok().and_then(|t| tokens.get(t).copied());
            match expiry.map(|e| e.saturating_sub(shared.now_ms())) {
                Some(left) if left > 0 => Some((left / 1000).max(1)),
                _ => return split(xhtml(401, "Unauthorized", keep_alive)),
            }
        }
        None if shared.options.require_v2 => return split(xhtml(401, "Unauthorized", keep_alive)),
        None => None,
    };
    let ttl_header = remaining.filter(|_| !omit_ttl);
    // A dated version serves the tree of `latest`; a leaf asked with a final
    // slash answers as the leaf (EC2 does: botocore asks for
    // `placement/availability-zone/`, ec2-metadata for `user-data/`).
    let path = data::as_latest(path);
    let found = body_at(&path, shared, flood).or_else(|| {
        let leaf = path.strip_suffix('/').filter(|leaf| !leaf.is_empty())?;
        leaf_at(leaf, shared, flood).flatten()
    });
    let Some(body) = found else {
        return split(xhtml(404, "Not Found", keep_alive));
    };
    build(200, "OK", body.as_bytes(), ttl_header, keep_alive, chunked)
}

/// The body at `path`: a leaf's value, or a directory's listing (`None`: 404).
fn body_at(path: &str, shared: &Shared, flood: Option<Flood>) -> Option<String> {
    leaf_at(path, shared, flood).unwrap_or_else(|| {
        let dir = if path.ends_with('/') { path.to_owned() } else { format!("{path}/") };
        data::listing(&shared.tree, &dir)
    })
}

/// What answers at `path` before the tree's listings: a body the faults put
/// there, the flooded tree, the answers of the clock and the faults, the
/// tree's leaves. `Some(None)` is a 404 already decided; `None`, not a leaf.
fn leaf_at(path: &str, shared: &Shared, flood: Option<Flood>) -> Option<Option<String>> {
    if let Some((_, body)) = shared.faults().bodies.iter().find(|(p, _)| p == path) {
        return Some(Some(body.clone()));
    }
    if let Some(flood) = flood.filter(|_| path.starts_with("/latest/meta-data/")) {
        return Some(flood.body(path));
    }
    dynamic(path, shared).or_else(|| shared.tree.get(path).map(|leaf| Some(leaf.clone())))
}

/// The answers that depend on the faults and the clock: credentials (with a
/// current expiration), the role, the Region, the notices. `Some(None)` is a 404.
fn dynamic(path: &str, shared: &Shared) -> Option<Option<String>> {
    let faults = shared.faults().clone();
    let set_ms = *shared.faults_set.lock().unwrap_or_else(|e| e.into_inner());
    let now_ms = shared.now_ms();
    let set_wall = set_ms / 1000;
    let md = path.strip_prefix("/latest/meta-data/")?;
    if md.starts_with("iam") && faults.no_role {
        return Some(None);
    }
    let now = now_ms / 1000;
    // As IMDS rotates them: issued on the hour, for six hours.
    let issued = now - now % 3600;
    let credentials = |extended| {
        let expiration = if faults.expired_credentials { now - 3600 } else { issued + 6 * 3600 };
        data::credentials(faults.credentials_code.as_deref(), issued, expiration, extended)
    };
    let appeared = |after: Duration| now_ms.saturating_sub(set_ms) >= after.as_millis() as u64;
    let role = data::ROLE;
    Some(match md {
        "iam/security-credentials-extended" | "iam/security-credentials-extended/" if !faults.no_extended_api => {
            Some(role.to_owned())
        }
        "iam/security-credentials-extended" | "iam/security-credentials-extended/" => None,
        _ if md.strip_prefix("iam/security-credentials-extended/") == Some(role) => {
            (!faults.no_extended_api).then(|| credentials(true))
        }
        _ if md.strip_prefix("iam/security-credentials-extended/").is_some() => None,
        _ if md.strip_prefix("iam/security-credentials/") == Some(role) => Some(credentials(false)),
        "placement/region" if faults.no_placement_region => None,
        "spot/instance-action" => faults.spot_notice.filter(|(after, _)| appeared(*after)).map(|(after, action)| {
            let time = data::rfc3339(set_wall + after.as_secs() + 120);
            format!("{{\"action\": \"{action}\", \"time\": \"{time}\"}}")
        }),
        "events/recommendations/rebalance" => faults
            .rebalance_after
            .filter(|after| appeared(*after))
            .map(|after| format!("{{\"noticeTime\": \"{}\"}}", data::rfc3339(set_wall + after.as_secs()))),
        "events/maintenance/scheduled" if faults.maintenance.is_some() => faults.maintenance,
        _ => return None,
    })
}

/// The system's clock, Unix milliseconds.
fn system_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

fn head(status: u16, reason: &str, ttl: Option<u64>, content_type: &str, framing: &str, keep_alive: bool) -> String {
    let ttl = ttl.map(|t| format!("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {t}\r\n")).unwrap_or_default();
    let connection = if keep_alive { "keep-alive" } else { "close" };
    // Live dates: the data was last modified when the instance (the
    // emulator) started, and the answer is dated now.
    let (modified, date) = (data::http_date(*LAUNCHED), data::http_date(ANSWER_TIME.get()));
    format!(
        "HTTP/1.1 {status} {reason}\r\n{ttl}Content-Type: {content_type}\r\nAccept-Ranges: none\r\n\
         Last-Modified: {modified}\r\n{framing}\r\nDate: {date}\r\n\
         Server: EC2ws\r\nConnection: {connection}\r\n\r\n"
    )
}

thread_local! {
    /// The time of the answer being built (Unix seconds): its `Date`.
    static ANSWER_TIME: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// When the first emulator of this process started (Unix seconds).
static LAUNCHED: std::sync::LazyLock<u64> = std::sync::LazyLock::new(unix_now);

fn build(status: u16, reason: &str, body: &[u8], ttl: Option<u64>, keep_alive: bool, chunked: bool) -> Outcome {
    if !chunked {
        let framing = format!("Content-Length: {}", body.len());
        return Outcome::Bytes {
            head: head(status, reason, ttl, "text/plain", &framing, keep_alive).into_bytes(),
            body: body.to_vec(),
        };
    }
    let mut framed = Vec::new();
    for chunk in body.chunks(1024) {
        framed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
    }
    framed.extend_from_slice(b"0\r\n\r\n");
    Outcome::Bytes {
        head: head(status, reason, ttl, "text/plain", "Transfer-Encoding: chunked", keep_alive).into_bytes(),
        body: framed,
    }
}

fn plain(status: u16, reason: &str, body: &str, keep_alive: bool) -> Vec<u8> {
    let framing = format!("Content-Length: {}", body.len());
    [head(status, reason, None, "text/plain", &framing, keep_alive).into_bytes(), body.as_bytes().to_vec()].concat()
}

fn xhtml(status: u16, reason: &str, keep_alive: bool) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>{status} - {reason}</title>\n </head>\n <body>\n  <h1>{status} - {reason}</h1>\n </body>\n</html>\n"
    );
    let framing = format!("Content-Length: {}", body.len());
    [head(status, reason, None, "text/html", &framing, keep_alive).into_bytes(), body.into_bytes()].concat()
}

fn split(bytes: Vec<u8>) -> Outcome {
    Outcome::Bytes { head: bytes, body: Vec::new() }
}

/// Holds a connection, unanswered, until the client gives up or we stop.
fn hold(stream: &mut TcpStream, shared: &Shared) {
    let started = Instant::now();
    let mut sink = [0u8; 512];
    while !shared.stopping() && started.elapsed() < Duration::from_secs(10) {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

/// Writes a response with the delay and byte-at-a-time faults; false on error.
fn write_slowly(stream: &mut TcpStream, shared: &Shared, bytes: &[u8]) -> bool {
    let faults = shared.faults().clone();
    if !faults.delay.is_zero() {
        std::thread::sleep(faults.delay);
    }
    match faults.byte_at_a_time {
        true => bytes.iter().all(|b| stream.write_all(std::slice::from_ref(b)).and_then(|()| stream.flush()).is_ok()),
        false => stream.write_all(bytes).is_ok(),
    }
}

/// The README's Rust block, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
