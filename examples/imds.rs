//! The `imds` command: fetch instance metadata through the sans-IO client, the
//! library walk and the blocking std driver.
//!
//!     cargo run --example imds --features std -- [OPTIONS] <COMMAND>
//!
//! See `USAGE` below (or `--help`) for the commands and options.
//!
//! Exit status: 0 on success; 1 with one line on stderr naming the cause when the
//! service or the network fails (for an HTTP answer, its status: `404 Not Found`;
//! for a walk, the bound it hit); 2 for usage errors (bad path, TTL, endpoint,
//! option...), before anything is sent.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use imds::driver::{Clock, Transport, TransportError, run};
use imds::net::{SystemClock, TcpTransport};
use imds::wire::MAX_REQUEST_LEN;
use imds::{
    BodyMode, Client, Config, Endpoint, Scheme, TokenTtl, V1Fallback, Visit, Walk, WalkError, WalkLimit, WalkLimits,
    path, reason_phrase,
};
use imds_emulator::{Emulator, Options};

const USAGE: &str = "\
usage: imds [OPTIONS] <COMMAND>

commands:
  get PATH          the body's bytes, unchanged, on stdout
  walk [ROOT]       every leaf under ROOT (default /latest/meta-data/), streamed as one
                    JSON object mapping full paths to bodies (null for a listed path gone)
  endpoint          the endpoint URL the options resolve to; sends nothing

options:
  --endpoint URL        default http://169.254.169.254 (http only: https needs TLS)
  --ipv6                use http://[fd00:ec2::254] (with --emulator: bind [::1])
  --ttl SECONDS         token TTL, 1..=21600 (default 21600)
  --v1-fallback MODE    never | rejected | timeout (default never)
  --attempts N          attempts per request (default 4)
  --timeout-ms N        connect and read timeout (default 1000)
  --max-nodes N         walk: most nodes (requests) (default 4096)
  --max-bytes N         walk: most bytes of bodies (default 16777216)
  --deadline-ms N       walk: most time in all (default 60000)
  --emulator            start the built-in emulator on a free loopback port and use it
  --stats               print requests and wall time on stderr
  -h, --help            this text

exit status: 0 done; 1 the service or network failed (one line on stderr); 2 usage error";

enum Command {
    Get(String),
    Walk(String),
    Endpoint,
}

struct Args {
    endpoint: Option<Endpoint>,
    ipv6: bool,
    config: Config,
    limits: WalkLimits,
    emulator: bool,
    stats: bool,
    command: Command,
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn number<T: std::str::FromStr>(option: &str, value: &str, what: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("bad {option} {value:?}: {what}"))
}

fn parse_args(args: &[String]) -> Result<Parsed, String> {
    let mut config = Config::DEFAULT;
    let mut limits = WalkLimits::DEFAULT;
    let (mut endpoint, mut ipv6, mut emulator, mut stats) = (None, false, false, false);
    let mut rest = args.iter();
    let mut positional = Vec::new();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().map(String::as_str).ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--endpoint" => endpoint = Some(Endpoint::parse(value()?).map_err(|e| format!("bad endpoint: {e}"))?),
            "--ipv6" => ipv6 = true,
            "--emulator" => emulator = true,
            "--stats" => stats = true,
            "--ttl" => {
                let seconds: u32 = number(arg, value()?, "a number of seconds")?;
                config.token_ttl = TokenTtl::new(seconds).map_err(|e| format!("bad TTL: {e}"))?;
            }
            "--v1-fallback" => {
                let mode = value()?;
                config.v1_fallback = V1Fallback::parse(mode)
                    .ok_or_else(|| format!("bad --v1-fallback {mode:?}: never, rejected or timeout"))?;
            }
            "--attempts" => {
                config.max_attempts = number(arg, value()?, "a number from 1 to 255")?;
                if config.max_attempts == 0 {
                    return Err("bad --attempts 0: a number from 1 to 255".into());
                }
            }
            "--timeout-ms" => {
                let ms: u64 = number(arg, value()?, "a positive number")?;
                if ms == 0 {
                    return Err("bad --timeout-ms 0: a positive number".into());
                }
                config.connect_timeout = Duration::from_millis(ms);
                config.read_timeout = Duration::from_millis(ms);
            }
            "--max-nodes" => limits.max_nodes = number(arg, value()?, "a number of nodes")?,
            "--max-bytes" => limits.max_body_bytes = number(arg, value()?, "a number of bytes")?,
            "--deadline-ms" => limits.timeout = Some(Duration::from_millis(number(arg, value()?, "milliseconds")?)),
            "-h" | "--help" => return Ok(Parsed::Help),
            option if option.starts_with('-') => return Err(format!("unknown option {option} (see --help)")),
            _ => positional.push(arg.as_str()),
        }
    }
    if emulator && endpoint.is_some() {
        return Err("--emulator and --endpoint exclude each other: the emulator is the endpoint".into());
    }
    let command = match positional[..] {
        ["get", path] => {
            path::validate(path).map_err(|e| format!("bad path {path:?}: {e}"))?;
            Command::Get(path.to_owned())
        }
        ["walk"] => Command::Walk("/latest/meta-data/".to_owned()),
        ["walk", root] => {
            let root = if root.ends_with('/') { root.to_owned() } else { format!("{root}/") };
            path::validate(&root).map_err(|e| format!("bad root {root:?}: {e}"))?;
            Command::Walk(root)
        }
        ["endpoint"] => Command::Endpoint,
        [] => return Err("no command (see --help)".into()),
        _ => return Err(format!("bad command {:?} (see --help)", positional.join(" "))),
    };
    if !matches!(command, Command::Endpoint) && endpoint.as_ref().is_some_and(|e| e.scheme() == Scheme::Https) {
        return Err("https endpoints need TLS, which this command does not have: use http://".into());
    }
    Ok(Parsed::Run(Box::new(Args { endpoint, ipv6, config, limits, emulator, stats, command })))
}

/// A transport that counts the requests it writes.
struct Counting {
    inner: TcpTransport,
    requests: usize,
}

impl Transport for Counting {
    fn connect(&mut self, endpoint: &Endpoint, timeout: Duration) -> Result<(), TransportError> {
        self.inner.connect(endpoint, timeout)
    }
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        self.requests += 1;
        self.inner.write_all(bytes, timeout)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.inner.read(buf, timeout)
    }
    fn close(&mut self) {
        self.inner.close()
    }
}

struct Session {
    client: Client,
    transport: Counting,
    clock: SystemClock,
    tx: Vec<u8>,
    rx: Vec<u8>,
}

impl Session {
    /// Writes the body of `path` (2xx) to `out`, or gives the one-line cause.
    fn get(&mut self, path: &str, out: &mut impl Write) -> Result<(), String> {
        let now = self.clock.now();
        self.client.get(now, path, BodyMode::Contiguous).map_err(|e| e.to_string())?;
        let answer = run(&mut self.client, &mut self.transport, &mut self.clock, &mut self.tx, &mut self.rx, |_| {})
            .map_err(|e| format!("{path}: {e}"))?;
        match answer.found() {
            true => out.write_all(answer.body).map_err(|e| format!("cannot write the output: {e}")),
            false => Err(format!("{path}: {} {}", answer.status, reason_phrase(answer.status))),
        }
    }

    /// Streams every leaf under `root` to `out` as one JSON object, as they come.
    fn walk(&mut self, root: &str, limits: WalkLimits, out: &mut impl Write) -> Result<(), String> {
        // Never more pending paths than nodes, none longer than MAX_PATH_LEN.
        let pending_len = (limits.max_nodes.max(1) as usize).saturating_mul(path::MAX_PATH_LEN + 1).min(64 << 20);
        let mut pending = vec![0u8; pending_len];
        let mut walk =
            Walk::new(self.clock.now(), root, limits, &mut pending).map_err(|e| walk_failure(root, e, limits))?;
        let mut first = true;
        let mut written = Ok(());
        let mut root_missing = false;
        let walked = imds::driver::walk(
            &mut self.client,
            &mut self.transport,
            &mut self.clock,
            &mut self.tx,
            &mut self.rx,
            &mut walk,
            |visit| {
                let (path, value) = match visit {
                    Visit::Leaf { path, body } => (path, json_string(body)),
                    // The root itself is not there: a failure, as for `get`.
                    Visit::Missing { path } if path == root => {
                        root_missing = true;
                        return ControlFlow::Break(());
                    }
                    Visit::Missing { path } => (path, "null".to_owned()),
                    Visit::Dir { .. } => return ControlFlow::Continue(()),
                };
                let open = if std::mem::take(&mut first) { "{\n" } else { ",\n" };
                written = write!(out, "{open}  {}: {value}", json_string(path.as_bytes())).and_then(|()| out.flush());
                if written.is_err() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        written.map_err(|e| format!("cannot write the output: {e}"))?;
        if let Err(e) = walked {
            return Err(walk_failure(walk.current(), e, limits));
        }
        if root_missing {
            return Err(format!("{root}: 404 {}", reason_phrase(404)));
        }
        let open = if first { "{\n" } else { "\n" };
        writeln!(out, "{open}}}").and_then(|()| out.flush()).map_err(|e| format!("cannot write the output: {e}"))
    }
}

/// The one line a failed walk ends with: the bound it hit, or what failed where.
fn walk_failure(at: &str, e: WalkError, limits: WalkLimits) -> String {
    let deadline = limits.timeout.map_or(0, |t| t.as_millis());
    match e {
        WalkError::Limit(WalkLimit::Nodes) => {
            format!("walk stopped at {at}: the tree has more than {} nodes (--max-nodes)", limits.max_nodes)
        }
        WalkError::Limit(WalkLimit::BodyBytes) => {
            format!("walk stopped at {at}: the bodies pass {} bytes (--max-bytes)", limits.max_body_bytes)
        }
        WalkError::Limit(WalkLimit::Deadline) => {
            format!("walk stopped at {at}: it took longer than {deadline} ms (--deadline-ms)")
        }
        WalkError::Limit(WalkLimit::Depth) => {
            format!("walk stopped at {at}: the tree is deeper than {} levels", limits.max_depth)
        }
        e => format!("{at}: {e}"),
    }
}

fn json_string(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("imds: {message}");
            return ExitCode::from(2);
        }
    };
    let emulator = match args.emulator {
        false => None,
        true => {
            let ip = if args.ipv6 { IpAddr::V6(Ipv6Addr::LOCALHOST) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
            match Emulator::start(Options { ip, lifetime: Duration::from_secs(600), ..Options::default() }) {
                Ok(emulator) => Some(emulator),
                Err(e) => {
                    eprintln!("imds: cannot start the emulator: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    };
    let endpoint = match (&emulator, args.endpoint, args.ipv6) {
        (Some(emulator), _, _) => Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port()),
        (None, Some(endpoint), _) => endpoint,
        (None, None, true) => Endpoint::IPV6,
        (None, None, false) => Endpoint::IPV4,
    };
    if let Command::Endpoint = args.command {
        println!("{endpoint}");
        return ExitCode::SUCCESS;
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut config = args.config;
    config.endpoint = endpoint;
    // Room for the largest head and body the limits let through.
    let rx_len = config.limits.max_head_len + config.limits.max_body_len as usize;
    let mut session = Session {
        client: Client::new(config, seed),
        transport: Counting { inner: TcpTransport::new(), requests: 0 },
        clock: SystemClock::new(),
        tx: vec![0; MAX_REQUEST_LEN],
        rx: vec![0; rx_len],
    };
    let started = std::time::Instant::now();
    let mut stdout = std::io::stdout().lock();
    let result = match &args.command {
        Command::Get(path) => session.get(path, &mut stdout),
        Command::Walk(root) => session.walk(root, args.limits, &mut stdout),
        Command::Endpoint => Ok(()),
    };
    if args.stats {
        eprintln!("imds: {} requests in {} ms", session.transport.requests, started.elapsed().as_millis());
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(cause) => {
            eprintln!("imds: {cause}");
            ExitCode::from(1)
        }
    }
}
