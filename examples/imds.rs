//! The `imds` command: fetch instance metadata through the sans-IO client and the
//! blocking std driver.
//!
//!     cargo run --example imds --features std -- [OPTIONS] <COMMAND>
//!
//! Commands:
//!   get PATH        the body's bytes, unchanged, on stdout
//!   walk [ROOT]     every leaf under ROOT (default /latest/meta-data/) as one JSON
//!                   object mapping full leaf paths to bodies
//!   endpoint        the endpoint URL the options resolve to; sends nothing
//!
//! Options:
//!   --endpoint URL              default http://169.254.169.254
//!   --ipv6                      use http://[fd00:ec2::254] (with --emulator: bind [::1])
//!   --ttl SECONDS               token TTL, 1..=21600 (default 21600)
//!   --v1-fallback MODE          never | rejected | timeout (default never)
//!   --attempts N                attempts per request (default 4)
//!   --timeout-ms N              connect and read timeout (default 1000)
//!   --emulator                  start the built-in emulator on a free loopback port and use it
//!   --stats                     print requests and wall time on stderr
//!
//! Exit status: 0 on success; 1 with one line on stderr naming the cause when the
//! service or the network fails (for an HTTP answer, its status: `404 Not Found`);
//! 2 for usage errors (bad path, TTL, endpoint...), before anything is sent.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv6Addr};
use std::process::ExitCode;
use std::time::Duration;

use imds::client::reason_phrase;
use imds::driver::{Clock, Transport, run};
use imds::net::{SystemClock, TcpTransport};
use imds::parse::Listing;
use imds::wire::{BodyMode, MAX_REQUEST_LEN};
use imds::{Client, Config, Endpoint, TokenTtl, V1Fallback, path};
use imds_emulator::{Emulator, Options};

enum Command {
    Get(String),
    Walk(String),
    Endpoint,
}

struct Args {
    endpoint: Option<Endpoint>,
    ipv6: bool,
    config: Config,
    emulator: bool,
    stats: bool,
    command: Command,
}

const USAGE: &str = "usage: imds [--endpoint URL] [--ipv6] [--ttl SECONDS] [--v1-fallback never|rejected|timeout] \
                     [--attempts N] [--timeout-ms N] [--emulator] [--stats] (get PATH | walk [ROOT] | endpoint)";

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut config = Config::default();
    let (mut endpoint, mut ipv6, mut emulator, mut stats) = (None, false, false, false);
    let mut rest = args.iter();
    let mut positional = Vec::new();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--endpoint" => endpoint = Some(Endpoint::parse(value()?).map_err(|e| format!("bad endpoint: {e}"))?),
            "--ipv6" => ipv6 = true,
            "--emulator" => emulator = true,
            "--stats" => stats = true,
            "--ttl" => {
                let seconds: u32 = value()?.parse().map_err(|_| "bad TTL: not a number".to_owned())?;
                config.token_ttl = TokenTtl::new(seconds).map_err(|e| format!("bad TTL: {e}"))?;
            }
            "--v1-fallback" => {
                let mode = value()?;
                config.v1_fallback = V1Fallback::parse(mode)
                    .ok_or_else(|| format!("bad --v1-fallback {mode:?}: never, rejected or timeout"))?;
            }
            "--attempts" => {
                config.max_attempts =
                    value()?.parse().ok().filter(|n| *n >= 1).ok_or("bad --attempts: a number from 1 to 255")?;
            }
            "--timeout-ms" => {
                let ms: u64 = value()?.parse().ok().filter(|n| *n >= 1).ok_or("bad --timeout-ms: a positive number")?;
                config.connect_timeout = Duration::from_millis(ms);
                config.read_timeout = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            option if option.starts_with("--") => return Err(format!("unknown option {option}")),
            _ => positional.push(arg.clone()),
        }
    }
    let command = match positional.iter().map(String::as_str).collect::<Vec<_>>()[..] {
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
        _ => return Err(USAGE.to_owned()),
    };
    Ok(Args { endpoint, ipv6, config, emulator, stats, command })
}

/// A transport that counts the requests it writes.
struct Counting {
    inner: TcpTransport,
    requests: usize,
}

impl Transport for Counting {
    fn connect(&mut self, endpoint: &Endpoint, timeout: Duration) -> Result<(), imds::client::TransportError> {
        self.inner.connect(endpoint, timeout)
    }
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), imds::client::TransportError> {
        self.requests += 1;
        self.inner.write_all(bytes, timeout)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, imds::client::TransportError> {
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
    /// The body of `path` (2xx), or the one-line cause of the failure.
    fn get(&mut self, path: &str) -> Result<Vec<u8>, String> {
        let now = self.clock.now();
        self.client.get(now, path, BodyMode::Contiguous).map_err(|e| e.to_string())?;
        let answer = run(&mut self.client, &mut self.transport, &mut self.clock, &mut self.tx, &mut self.rx, |_| {})
            .map_err(|e| format!("{path}: {e}"))?;
        match answer.found() {
            true => Ok(answer.body.to_vec()),
            false => Err(format!("{path}: {} {}", answer.status, reason_phrase(answer.status))),
        }
    }

    /// Every leaf under `root`, through the nested listings.
    fn walk(&mut self, root: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
        let mut leaves = BTreeMap::new();
        let mut dirs = vec![root.to_owned()];
        let mut buf = [0u8; path::MAX_PATH_LEN];
        while let Some(dir) = dirs.pop() {
            let body = self.get(&dir)?;
            let listing = Listing::parse(&body).map_err(|e| format!("{dir}: bad listing: {e}"))?;
            for entry in listing {
                let full = entry.join(&dir, &mut buf).map_err(|e| format!("{dir}{}: {e}", entry.raw()))?.to_owned();
                match entry.is_dir() {
                    true => dirs.push(full),
                    false => {
                        let value = self.get(&full)?;
                        leaves.insert(full, value);
                    }
                }
            }
        }
        Ok(leaves)
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
        Ok(args) => args,
        Err(message) => {
            eprintln!("imds: {message}");
            return ExitCode::from(2);
        }
    };
    let emulator = match args.emulator {
        false => None,
        true => {
            let ip =
                if args.ipv6 { IpAddr::V6(Ipv6Addr::LOCALHOST) } else { IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) };
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
        (Some(emulator), _, _) => Endpoint::parse(&emulator.url()).expect("the emulator's URL parses"),
        (None, Some(endpoint), _) => endpoint,
        (None, None, true) => Endpoint::IPV6,
        (None, None, false) => Endpoint::IPV4,
    };
    if let Command::Endpoint = args.command {
        println!("{endpoint}");
        return ExitCode::SUCCESS;
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut session = Session {
        client: Client::new(Config { endpoint, ..args.config }, seed),
        transport: Counting { inner: TcpTransport::new(), requests: 0 },
        clock: SystemClock::new(),
        tx: vec![0; MAX_REQUEST_LEN],
        rx: vec![0; 72 * 1024],
    };
    let started = std::time::Instant::now();
    let result = match &args.command {
        Command::Get(path) => session.get(path).map(|body| std::io::stdout().write_all(&body)),
        Command::Walk(root) => session.walk(root).map(|leaves| {
            let mut out = String::from("{\n");
            let entries: Vec<String> = leaves
                .iter()
                .map(|(path, body)| format!("  {}: {}", json_string(path.as_bytes()), json_string(body)))
                .collect();
            out.push_str(&entries.join(",\n"));
            out.push_str("\n}\n");
            std::io::stdout().write_all(out.as_bytes())
        }),
        Command::Endpoint => unreachable!("handled above"),
    };
    if args.stats {
        eprintln!("imds: {} requests in {} ms", session.transport.requests, started.elapsed().as_millis());
    }
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("imds: cannot write the output: {e}");
            ExitCode::from(1)
        }
        Err(cause) => {
            eprintln!("imds: {cause}");
            ExitCode::from(1)
        }
    }
}
