//! The fault soak: the blocking and the tokio drivers each run at least 2,000
//! requests through `imds_emulator::FaultProxy`, which breaks 30% of the
//! connections (resets before and in the middle of a response, truncation
//! with a clean FIN, stalls past the read timeout, dribbles of 1 to 7 bytes,
//! the request read byte by byte, delays), mixing walks, credentials and
//! identity documents. Every answer must equal the clean one (read from the
//! emulator directly) or end in a typed error: a wrong or short answer taken
//! as complete is lost, and lost must be 0. Seeded (the proxy's seed decides
//! each connection's fault), bounded (under 2 minutes), loopback only.
//! `cli/tests/fault_soak.rs` does the same for the `imds` command.

#![cfg(feature = "tokio")]

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use imds::parse::Timestamp;
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, CredentialsFlow, Endpoint, Visit, Walk, WalkLimits};
use imds_emulator::{Emulator, FaultCounts, FaultProxy, NetworkFault, Options, ProxyOptions};

/// Requests each driver makes through the proxy, at least.
const REQUESTS: u64 = 2000;

/// What the workload compares: a walk's leaves, credentials, the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Walk(BTreeMap<String, Vec<u8>>),
    Credentials(String),
    Identity(Vec<u8>),
}

#[derive(Debug, Default)]
struct Tally {
    ok: u32,
    failed_loudly: u32,
    lost: u32,
}

fn config(endpoint: Endpoint<'static>) -> Config<'static> {
    let mut config = Config::with_endpoint(endpoint);
    config.connect_timeout = Duration::from_millis(250);
    config.read_timeout = Duration::from_millis(250);
    config.backoff_base = Duration::from_millis(5);
    config.backoff_cap = Duration::from_millis(40);
    config
}

fn wall_now() -> Timestamp {
    Timestamp::from_unix(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64)
}

fn describe(c: &imds::FetchedCredentials<'_>) -> String {
    let c = &c.credentials;
    format!(
        "{} {} {} {} {:?}",
        c.access_key_id,
        c.secret_access_key.expose(),
        c.session_token.expose(),
        c.expiration,
        c.account_id.map(|a| a.to_string())
    )
}

/// One workload step (`task` 0: a walk of /latest/meta-data/, 1 and 3:
/// credentials through a new flow, 2 and 4: the identity document), through
/// the blocking driver or, with `.await` as `$aw`, the async one.
macro_rules! step {
    ($driver:path, $client:expr, $transport:expr, $clock:expr, $task:expr $(, $aw:tt)?) => {{
        use $driver as driver;
        let (client, transport, clock) = ($client, $transport, $clock);
        let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 64 * 1024]);
        match $task % 5 {
            0 => {
                let mut pending = [0u8; 4096];
                let mut walk = Walk::new(clock.now(), "/latest/meta-data/", WalkLimits::DEFAULT, &mut pending).unwrap();
                let mut leaves = BTreeMap::new();
                let walked = driver::walk(client, transport, clock, &mut tx, &mut rx, &mut walk, |visit| {
                    match visit {
                        Visit::Leaf { path, body } => drop(leaves.insert(path.to_owned(), body.to_vec())),
                        Visit::Missing { path } => drop(leaves.insert(path.to_owned(), b"<missing>".to_vec())),
                        _ => {}
                    }
                    ControlFlow::Continue(())
                })
                $(.$aw)?;
                walked.map(|()| Outcome::Walk(leaves)).map_err(|e| e.to_string())
            }
            1 | 3 => {
                let mut flow = CredentialsFlow::new();
                let fetched = driver::complete(client, transport, clock, &mut tx, &mut rx, &mut flow.fetch(wall_now()))
                    $(.$aw)?;
                fetched.map(|c| Outcome::Credentials(describe(&c))).map_err(|e| e.to_string())
            }
            _ => {
                let path = imds::catalog::INSTANCE_IDENTITY_DOCUMENT;
                let mut operation = client.get(clock.now(), path, BodyMode::Contiguous);
                let answer = driver::run(&mut operation, transport, clock, &mut tx, &mut rx, |_| {}) $(.$aw)?;
                match answer {
                    Ok(a) if a.status == 200 => Ok(Outcome::Identity(a.body.to_vec())),
                    Ok(a) => Ok(Outcome::Identity(format!("status {}", a.status).into_bytes())),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    }};
}

/// The clean answer of `task`, from the emulator directly.
fn clean(emulator: &Emulator, task: usize) -> Outcome {
    use imds::driver::Clock;
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = Client::new(config(endpoint), 1);
    let (mut transport, mut clock) = (imds::net::TcpTransport::new(), imds::net::SystemClock::new());
    step!(imds::driver, &mut client, &mut transport, &mut clock, task).expect("the clean run")
}

/// Judges `got` against the clean answer (read again when it differs: the
/// emulator's credentials roll over on the hour).
fn judge(tally: &mut Tally, emulator: &Emulator, task: usize, reference: &[Outcome], got: Result<Outcome, String>) {
    match got {
        Err(_) => tally.failed_loudly += 1,
        Ok(got) if got == reference[task % 5] || got == clean(emulator, task) => tally.ok += 1,
        Ok(got) => {
            tally.lost += 1;
            eprintln!("LOST: task {task}: {got:?}");
        }
    }
}

fn report(driver: &str, tally: &Tally, counts: FaultCounts, started: Instant) {
    let kinds: Vec<String> =
        NetworkFault::ALL.iter().zip(counts.by_kind).map(|(kind, n)| format!("{kind:?} {n}")).collect();
    println!(
        "{driver}: {} ok, {} failed loudly, {} lost; {} requests, {} faulty ({}); {:.1} s",
        tally.ok,
        tally.failed_loudly,
        tally.lost,
        counts.connections,
        counts.faults(),
        kinds.join(", "),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.lost, 0, "{driver}: answers lost");
    assert!(counts.connections >= REQUESTS, "{driver}: {} requests", counts.connections);
    assert!(counts.faults() * 100 >= counts.connections * 25, "{driver}: too few faults: {counts:?}");
    assert!(tally.ok > tally.failed_loudly * 4, "{driver}: the retries should carry most: {tally:?}");
    assert!(started.elapsed() < Duration::from_secs(120), "{driver}: took {:?}", started.elapsed());
}

fn setup(seed: u64) -> (Emulator, FaultProxy, Vec<Outcome>) {
    let options = Options { lifetime: Duration::from_secs(150), max_requests: 1_000_000, ..Options::default() };
    let emulator = Emulator::start(options).unwrap();
    let reference = (0..5).map(|task| clean(&emulator, task)).collect();
    let proxy = FaultProxy::start(
        emulator.service().clone(),
        ProxyOptions { percent: 30, seed, lifetime: Duration::from_secs(150), ..ProxyOptions::default() },
    )
    .unwrap();
    (emulator, proxy, reference)
}

#[test]
fn the_blocking_driver_loses_nothing_through_faults() {
    use imds::driver::Clock;
    let (emulator, proxy, reference) = setup(0x5eed_0001);
    let endpoint = Endpoint::from_ip(proxy.addr().ip(), proxy.addr().port());
    let mut client = Client::new(config(endpoint), 7);
    let (mut transport, mut clock) = (imds::net::TcpTransport::new(), imds::net::SystemClock::new());
    let (started, mut tally) = (Instant::now(), Tally::default());
    let mut task = 0;
    while proxy.counts().connections < REQUESTS {
        let got = step!(imds::driver, &mut client, &mut transport, &mut clock, task);
        judge(&mut tally, &emulator, task, &reference, got);
        task += 1;
    }
    report("blocking driver", &tally, proxy.counts(), started);
}

#[test]
fn the_tokio_driver_loses_nothing_through_faults() {
    use imds::driver::asynch::AsyncClock;
    let (emulator, proxy, reference) = setup(0x5eed_0002);
    let endpoint = Endpoint::from_ip(proxy.addr().ip(), proxy.addr().port());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (started, mut tally) = (Instant::now(), Tally::default());
    runtime.block_on(async {
        let mut client = Client::new(config(endpoint), 8);
        let (mut transport, mut clock) = (imds::net::TokioTransport::new(), imds::net::TokioClock::new());
        let mut task = 0;
        while proxy.counts().connections < REQUESTS {
            let got = step!(imds::driver::asynch, &mut client, &mut transport, &mut clock, task, await);
            judge(&mut tally, &emulator, task, &reference, got);
            task += 1;
        }
    });
    report("tokio driver", &tally, proxy.counts(), started);
}
