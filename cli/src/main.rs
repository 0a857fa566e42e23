//! `imds`: the EC2 Instance Metadata Service from the command line, through the
//! sans-IO client of the `imds` crate and its blocking std driver.
//!
//!     cargo install --path cli          # then: imds --help
//!     cargo run -p imds-cli -- --emulator walk
//!
//! Exit status: 0 on success; 1 with one line on stderr naming the cause when the
//! service or the network fails (for an HTTP answer, its status: `404 Not Found`;
//! for a walk, the bound it hit); 2 for usage errors (bad path, TTL, endpoint,
//! option, configuration), before anything is sent.

mod args;
mod json;
#[cfg(test)]
mod secrets_test;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use args::{Args, Command, Parsed};
use imds::driver::{Clock, Transport, TransportError, complete, run};
use imds::net::{SystemClock, TcpTransport};
use imds::parse::{IdentityDocument, Timestamp};
use imds::sdk_config::{EndpointMode, Settings};
use imds::wire::MAX_REQUEST_LEN;
use imds::{
    BodyMode, Client, Config, CredentialsFlow, Endpoint, RegionFlow, Scheme, V1Fallback, Visit, Walk, WalkError,
    WalkLimit, WalkLimits, Watch, path, reason_phrase,
};
use imds_emulator::{Emulator, Options};
use json::json_string;

/// A signature check of `imds::verify`: document, body, certificate, scratch.
type Check = fn(&[u8], &[u8], &[u8], &mut [u8]) -> Result<(), imds::verify::VerifyError>;

/// How a command ended: its exit status, and the line for stderr.
enum Failure {
    /// The service or the network (exit 1).
    Service(String),
    /// The command line or the configuration (exit 2).
    Usage(String),
}

/// A transport that counts the requests it writes.
struct Counting {
    inner: TcpTransport,
    requests: usize,
}

impl Transport for Counting {
    fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
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

struct Session<'a> {
    client: Client<'a>,
    transport: Counting,
    clock: SystemClock,
    tx: Vec<u8>,
    rx: Vec<u8>,
}

fn wall_now() -> Timestamp {
    Timestamp::from_unix(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64))
}

fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<(), Failure> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Service(format!("cannot write the output: {e}")))
}

impl Session<'_> {
    fn get(&mut self, path: &str, out: &mut impl Write) -> Result<(), Failure> {
        imds::path::validate(path).map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
        let now = self.clock.now();
        let mut operation = self.client.get(now, path, BodyMode::Contiguous);
        let answer = run(&mut operation, &mut self.transport, &mut self.clock, &mut self.tx, &mut self.rx, |_| {})
            .map_err(|e| Failure::Service(format!("{path}: {e}")))?;
        match answer.found() {
            true => write_out(out, answer.body),
            false => Err(Failure::Service(format!("{path}: {} {}", answer.status, reason_phrase(answer.status)))),
        }
    }

    fn walk(&mut self, root: &str, limits: WalkLimits, out: &mut impl Write) -> Result<(), Failure> {
        // Never more pending paths than nodes, none longer than MAX_PATH_LEN.
        let pending_len = (limits.max_nodes.max(1) as usize).saturating_mul(path::MAX_PATH_LEN + 1).min(64 << 20);
        let mut pending = vec![0u8; pending_len];
        let mut walk = Walk::new(self.clock.now(), root, limits, &mut pending)
            .map_err(|e| Failure::Service(walk_failure(root, e, limits)))?;
        let (mut first, mut written, mut root_missing) = (true, Ok(()), false);
        let walked = imds::driver::walk(
            &mut self.client,
            &mut self.transport,
            &mut self.clock,
            &mut self.tx,
            &mut self.rx,
            &mut walk,
            |visit| {
                let (path, value) = match visit {
                    Visit::Leaf { path, body } => (path, json_string(&String::from_utf8_lossy(body))),
                    // The root itself is not there: a failure, as for `get`.
                    Visit::Missing { path } if path == root => {
                        root_missing = true;
                        return ControlFlow::Break(());
                    }
                    Visit::Missing { path } => (path, "null".to_owned()),
                    Visit::Dir { .. } => return ControlFlow::Continue(()),
                };
                let open = if std::mem::take(&mut first) { "{\n" } else { ",\n" };
                written = write!(out, "{open}  {}: {value}", json_string(path)).and_then(|()| out.flush());
                if written.is_err() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        written.map_err(|e| Failure::Service(format!("cannot write the output: {e}")))?;
        walked.map_err(|e| Failure::Service(walk_failure(walk.current(), e, limits)))?;
        if root_missing {
            return Err(Failure::Service(format!("{root}: 404 {}", reason_phrase(404))));
        }
        write_out(out, if first { b"{\n}\n" } else { b"\n}\n" })
    }

    fn credentials(&mut self, role: Option<&str>, redacted: bool, out: &mut impl Write) -> Result<(), Failure> {
        let mut flow = match role {
            Some(role) => CredentialsFlow::with_role(role).map_err(|e| Failure::Usage(e.to_string()))?,
            None => CredentialsFlow::new(),
        };
        let fetched = complete(
            &mut self.client,
            &mut self.transport,
            &mut self.clock,
            &mut self.tx,
            &mut self.rx,
            &mut flow.fetch(wall_now()),
        )
        .map_err(|e| Failure::Service(format!("credentials: {e}")))?;
        if fetched.stale {
            eprintln!(
                "imds: warning: the service served expired credentials; they are used until {} (a refresh should come sooner)",
                fetched.expires_at
            );
        }
        if fetched.clock_skew_secs != 0 {
            eprintln!(
                "imds: warning: this machine's clock is {} s {} the service's; Expiration is on this machine's clock",
                fetched.clock_skew_secs.unsigned_abs(),
                if fetched.clock_skew_secs > 0 { "behind" } else { "ahead of" }
            );
        }
        let c = fetched.credentials;
        // The secrets go out as the service wrote them (JSON string text),
        // straight from the receive buffer: no copy of them is ever made, and
        // the receive buffer is wiped once they are written.
        fn text<'b>(secret: imds::parse::Secret<'b>, redacted: bool) -> &'b [u8] {
            if redacted { b"<redacted>" } else { secret.expose().raw().as_bytes() }
        }
        let secret = |s| text(s, redacted);
        let head = format!(
            "{{\"Version\": 1, \"AccessKeyId\": {}, \"SecretAccessKey\": \"",
            json_string(&c.access_key_id.to_string())
        );
        let account = c.account_id.map(|a| format!(", \"AccountId\": {}", json_string(&a.to_string())));
        let tail = format!(
            "\", \"Expiration\": {}{}}}\n",
            json_string(&fetched.expires_at.to_string()),
            account.unwrap_or_default()
        );
        let pieces = [
            head.as_bytes(),
            secret(c.secret_access_key),
            b"\", \"SessionToken\": \"",
            secret(c.session_token),
            tail.as_bytes(),
        ];
        let written = pieces.iter().try_for_each(|piece| out.write_all(piece)).and_then(|()| out.flush());
        imds::wipe(&mut self.rx);
        written.map_err(|e| Failure::Service(format!("cannot write the output: {e}")))
    }

    fn region(&mut self, out: &mut impl Write) -> Result<(), Failure> {
        let region = complete(
            &mut self.client,
            &mut self.transport,
            &mut self.clock,
            &mut self.tx,
            &mut self.rx,
            &mut RegionFlow::new(),
        )
        .map_err(|e| Failure::Service(format!("region: {e}")))?;
        write_out(out, format!("{region}\n").as_bytes())
    }

    fn identity(
        &mut self,
        verify: Option<&(Vec<u8>, String)>,
        verify_signature: Option<&(Vec<u8>, String)>,
        out: &mut impl Write,
    ) -> Result<(), Failure> {
        let path = imds::catalog::INSTANCE_IDENTITY_DOCUMENT;
        let document = self.fetch(path)?;
        IdentityDocument::parse(&document).map_err(|e| Failure::Service(format!("{path}: {e}")))?;
        // Verified before anything is printed.
        let checks = [
            (verify, imds::catalog::INSTANCE_IDENTITY_RSA2048, imds::verify::rsa2048 as Check),
            (verify_signature, imds::catalog::INSTANCE_IDENTITY_SIGNATURE, imds::verify::signature as Check),
        ];
        for (certificate, path, check) in checks {
            let Some((certificate, file)) = certificate else { continue };
            let body = self.fetch(path)?;
            let mut scratch = vec![0; imds::verify::scratch_len(body.len(), certificate.len())];
            check(&document, &body, certificate, &mut scratch)
                .map_err(|e| Failure::Service(format!("identity: not verified with {file}: {e} ({path})")))?;
        }
        // Valid: as served (names, values, nulls), on one line.
        let document = imds::parse::json::parse(&document).map_err(|e| Failure::Service(format!("{path}: {e}")))?;
        write_out(out, format!("{document}\n").as_bytes())
    }

    /// The body of a `GET` of `path`, 200 only, copied out of the receive buffer.
    fn fetch(&mut self, path: &str) -> Result<Vec<u8>, Failure> {
        let mut operation = self.client.get(self.clock.now(), path, BodyMode::Contiguous);
        let answer = run(&mut operation, &mut self.transport, &mut self.clock, &mut self.tx, &mut self.rx, |_| {})
            .map_err(|e| Failure::Service(format!("{path}: {e}")))?;
        if !answer.found() {
            return Err(Failure::Service(format!("{path}: {} {}", answer.status, reason_phrase(answer.status))));
        }
        Ok(answer.body.to_vec())
    }

    fn watch(&mut self, interval: Duration, until_notice: bool, out: &mut impl Write) -> Result<(), Failure> {
        let mut watch = Watch::new(self.clock.now(), interval);
        // The first round decides: exit 1 only if none of its paths answered.
        let (mut answered, mut first_round, mut failed) = (false, true, Vec::new());
        loop {
            let now = self.clock.now();
            self.clock.sleep_until(watch.next_poll(now));
            let mut operation =
                watch.start(self.clock.now(), &mut self.client).map_err(|e| Failure::Usage(e.to_string()))?;
            let outcome = run(&mut operation, &mut self.transport, &mut self.clock, &mut self.tx, &mut self.rx, |_| {});
            answered |= outcome.is_ok();
            match watch.finish(self.clock.now(), outcome) {
                Ok(None) => {}
                Ok(Some(notice)) => {
                    write_out(out, json::notice(&notice).as_bytes())?;
                    if until_notice {
                        return Ok(());
                    }
                }
                Err(e) if first_round => failed.push(format!("watch: {e}")),
                Err(e) => eprintln!("imds: watch: {e} (polling on)"),
            }
            if first_round && watch.round_done() {
                first_round = false;
                if !answered {
                    // Nothing answered in a whole round: the service is not there.
                    return Err(Failure::Service(failed.join("; ")));
                }
                failed.iter().for_each(|line| eprintln!("imds: {line} (polling on)"));
            }
        }
    }
}

/// Standard output without std's buffer (a duplicate of its descriptor).
#[cfg(unix)]
fn unbuffered_stdout() -> std::io::Result<std::fs::File> {
    use std::os::fd::AsFd;
    std::io::stdout().as_fd().try_clone_to_owned().map(std::fs::File::from)
}

/// Standard output (buffered by std: elsewhere than Unix, a secret may stay
/// in its buffer).
#[cfg(not(unix))]
fn unbuffered_stdout() -> std::io::Result<std::io::Stdout> {
    Ok(std::io::stdout())
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

fn main() -> ExitCode {
    let args = match args::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help(usage)) => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("imds {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("imds: {message}");
            return ExitCode::from(2);
        }
    };
    match execute(*args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Service(line)) => {
            eprintln!("imds: {line}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(line)) => {
            eprintln!("imds: {line}");
            ExitCode::from(2)
        }
    }
}

fn execute(args: Args) -> Result<(), Failure> {
    let emulator = match args.emulator {
        false => None,
        true => {
            let ip = if args.ipv6 { IpAddr::V6(Ipv6Addr::LOCALHOST) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
            let options = Options { ip, lifetime: Duration::from_secs(600), ..Options::default() };
            let started =
                Emulator::start(options).map_err(|e| Failure::Service(format!("cannot start the emulator: {e}")))?;
            Some(started)
        }
    };
    // The endpoint as the SDKs resolve it: --endpoint (or the emulator) is the
    // explicit endpoint, --ipv6 the explicit mode, then the environment, then
    // the profile; an endpoint from anywhere beats a mode.
    let emulator_url = emulator.as_ref().map(Emulator::url);
    // --v1-fallback is not the SDKs' switch: it never turns a v1-disabled
    // setting off (below), so it is not an explicit one.
    let explicit = Settings {
        endpoint: args.endpoint.as_deref().or(emulator_url.as_deref()),
        endpoint_mode: args.ipv6.then_some(EndpointMode::IPv6),
        instance_profile_name: args.role.as_deref(),
        ..Settings::default()
    };
    let loaded = imds::sdk_config::load(|key| std::env::var(key).ok()).map_err(|e| Failure::Usage(e.to_string()))?;
    let resolved = loaded.resolve(explicit).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Command::Endpoint = args.command {
        println!("{}", resolved.endpoint);
        return Ok(());
    }
    if args.command.sends() && resolved.endpoint.scheme() == Scheme::Https {
        return Err(Failure::Usage(format!(
            "{}: https endpoints need TLS, which this command does not have: use http://",
            resolved.endpoint
        )));
    }
    if resolved.disabled {
        return Err(Failure::Service("the metadata service is disabled (AWS_EC2_METADATA_DISABLED=true)".into()));
    }
    let mut config = Config::with_endpoint(resolved.endpoint);
    config.v1_fallback = match (args.v1_fallback, resolved.v1_disabled) {
        (Some(V1Fallback::Never) | None, _) => V1Fallback::Never,
        (Some(mode), false) => mode,
        (Some(mode), true) => {
            let (environment, _) = loaded.sources();
            let setting = match environment.v1_disabled {
                Some(_) => "AWS_EC2_METADATA_V1_DISABLED",
                None => "the profile's ec2_metadata_v1_disabled",
            };
            return Err(Failure::Usage(format!(
                "--v1-fallback {} would send IMDSv1 requests, which {setting} = true forbids",
                if mode == V1Fallback::Rejected { "rejected" } else { "timeout" }
            )));
        }
    };
    if let Some(ttl) = args.ttl {
        config.token_ttl = ttl;
    }
    if let Some(attempts) = args.attempts {
        config.max_attempts = attempts;
    }
    if let Some(timeout) = args.timeout {
        config.connect_timeout = timeout;
        config.read_timeout = timeout;
    }
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
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
        // Unbuffered: the secrets pass through no buffer of std's.
        Command::Credentials => {
            let mut out = unbuffered_stdout().map_err(|e| Failure::Service(format!("cannot write the output: {e}")))?;
            session.credentials(resolved.instance_profile_name, args.redacted, &mut out)
        }
        Command::Region => session.region(&mut stdout),
        Command::Identity => session.identity(args.verify.as_ref(), args.verify_signature.as_ref(), &mut stdout),
        Command::Watch => session.watch(args.interval, args.until_notice, &mut stdout),
        Command::Endpoint => Ok(()),
    };
    if args.stats {
        eprintln!("imds: {} requests in {} ms", session.transport.requests, started.elapsed().as_millis());
    }
    drop(emulator);
    result
}
