//! Sixty days of an appliance, simulated: the interruption watch (a round of
//! three polls every minute) and a credentials refresh loop, on one manual
//! clock, against the emulator's sans-IO service on a manual clock of its
//! own. Twenty days as they come; then the appliance's clock jumps back an
//! hour (a VM restored from a snapshot: its monotonic and wall clocks both);
//! twenty more; then both it and the service jump thirty days ahead (a VM
//! suspended); twenty more. It shows, and asserts:
//! - the token is renewed before every expiry (no 401), except once after the
//!   jump back: the token looks an hour younger than it is, the service's 401
//!   drops it and a new one is fetched within the same operation;
//! - credentials are refreshed before the service's expiry every time, the
//!   jump included (the answer's `Date` shows the skew, which is taken out),
//!   5 to 10 minutes before it, spread by the jitter;
//! - requests per simulated hour stay bounded (printed);
//! - no drift: rounds start exactly a minute apart, and a poll never waits
//!   more than a minute of the service's time, the jumps included (the jump
//!   ahead polls at once, without a burst of missed rounds).
//!
//! `cargo test --features std --test sixty_days -- --nocapture` prints the figures.

#![cfg(feature = "std")]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use imds::driver::{Clock, Transport, TransportError, complete, run};
use imds::parse::Timestamp;
use imds::wire::MAX_REQUEST_LEN;
use imds::{Client, Config, CredentialsFlow, Endpoint, Instant, Watch};
use imds_emulator::{Answer, Options, Service};

/// 2026-12-01T00:00:00Z, where both clocks start.
const START_UNIX: u64 = 1_796_083_200;
const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
const INTERVAL: Duration = Duration::from_secs(60);

/// The two clocks: the appliance's (milliseconds from the start) and the
/// service's (the appliance's plus `ahead`).
struct World {
    service: Service,
    client_ms: Cell<u64>,
    ahead_ms: Cell<u64>,
    /// Every request: the service's time, what it was, the status.
    log: RefCell<Vec<(u64, Kind, u16)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Spot,
    Other,
}

impl World {
    fn server_ms(&self) -> u64 {
        self.client_ms.get() + self.ahead_ms.get()
    }
    fn wall(&self) -> Timestamp {
        Timestamp::from_unix((START_UNIX + self.client_ms.get() / 1000) as i64)
    }
    /// The appliance's Instant for a wall time.
    fn instant_of(&self, wall: Timestamp) -> Instant {
        Instant::from_millis((wall.unix_seconds() - START_UNIX as i64).max(0) as u64 * 1000)
    }
}

struct WorldClock(Rc<World>);

impl Clock for WorldClock {
    fn now(&mut self) -> Instant {
        Instant::from_millis(self.0.client_ms.get())
    }
    fn sleep_until(&mut self, until: Instant) {
        self.0.client_ms.set(self.0.client_ms.get().max(until.as_millis()));
    }
}

/// Requests go to the service at the service's time; answers come back whole.
struct WorldTransport {
    world: Rc<World>,
    request: Vec<u8>,
    reply: Vec<u8>,
    read: usize,
}

impl Transport for WorldTransport {
    fn connect(&mut self, _: &Endpoint<'_>, _: Duration) -> Result<(), TransportError> {
        self.close();
        Ok(())
    }
    fn write_all(&mut self, bytes: &[u8], _: Duration) -> Result<(), TransportError> {
        self.request.extend_from_slice(bytes);
        let world = &self.world;
        world.service.set_clock(Some(START_UNIX * 1000 + world.server_ms()));
        match world.service.answer(&self.request) {
            Answer::Incomplete => Ok(()),
            Answer::Silence => Err(TransportError::TimedOut),
            Answer::Reply { bytes, .. } => {
                let status = std::str::from_utf8(&bytes[9..12]).unwrap().parse().unwrap();
                let kind = match &self.request {
                    r if r.starts_with(b"PUT") => Kind::Token,
                    r if r.windows(20).any(|w| w == b"spot/instance-action") => Kind::Spot,
                    _ => Kind::Other,
                };
                world.log.borrow_mut().push((world.server_ms(), kind, status));
                (self.reply, self.read) = (bytes, 0);
                self.request.clear();
                Ok(())
            }
        }
    }
    fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
        let n = buf.len().min(self.reply.len() - self.read);
        buf[..n].copy_from_slice(&self.reply[self.read..self.read + n]);
        self.read += n;
        Ok(n)
    }
    fn close(&mut self) {
        self.request.clear();
        (self.reply, self.read) = (Vec::new(), 0);
    }
}

/// What the credentials loop saw at each refresh.
#[derive(Debug, Default)]
struct Refreshes {
    count: u32,
    /// Refreshes after the service's expiry of the credentials held: when
    /// (the service's time), and how late (seconds).
    late: Vec<(u64, i64)>,
    /// Seconds between each refresh and the service's expiry of what it replaced.
    leads: Vec<i64>,
    skews: BTreeSet<i64>,
}

#[test]
fn sixty_days_of_watch_and_credentials() {
    let service = Service::new(Options::default());
    let world = Rc::new(World { service, client_ms: Cell::new(0), ahead_ms: Cell::new(0), log: RefCell::default() });
    let mut clock = WorldClock(world.clone());
    let mut transport = WorldTransport { world: world.clone(), request: Vec::new(), reply: Vec::new(), read: 0 };
    let mut client = Client::new(Config::with_endpoint(Endpoint::parse("http://127.0.0.1:1338").unwrap()), 60);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 16 * 1024]);
    let mut watch = Watch::new(clock.now(), INTERVAL);
    let mut flow = CredentialsFlow::new();
    // The credentials held: when to refresh (the appliance's wall clock), and
    // when the service expires them (the service's clock, Unix seconds).
    let mut held: Option<(Timestamp, i64)> = None;
    let mut refreshes = Refreshes::default();
    let mut watch_errors = 0;
    // (service time at which the phase ends, the jump after it: back, or ahead for both)
    let phases = [(20 * DAY_MS, Some(-1)), (40 * DAY_MS, Some(30)), (90 * DAY_MS, None)];
    let mut jumps = Vec::new();
    for (end, jump) in phases {
        while world.server_ms() < end {
            let now = clock.now();
            let watch_at = watch.next_poll(now);
            let credentials_at = held.map_or(now, |(refresh_at, _)| world.instant_of(refresh_at)).max(now);
            clock.sleep_until(watch_at.min(credentials_at));
            let now = clock.now();
            if now >= credentials_at {
                let fetch = &mut flow.fetch(world.wall());
                let fetched = complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, fetch).unwrap();
                let server_secs = (START_UNIX + world.server_ms() / 1000) as i64;
                if let Some((_, expiry)) = held {
                    if server_secs >= expiry {
                        refreshes.late.push((world.server_ms(), server_secs - expiry));
                    } else {
                        refreshes.leads.push(expiry - server_secs);
                    }
                }
                refreshes.count += 1;
                refreshes.skews.insert(fetched.clock_skew_secs);
                assert!(!fetched.stale);
                held = Some((fetched.refresh_at, fetched.credentials.expiration.unix_seconds()));
            }
            if now >= watch_at {
                let now = clock.now();
                let mut operation = watch.start(now, &mut client).unwrap();
                let outcome = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
                let now = clock.now();
                watch_errors += u32::from(watch.finish(now, outcome).is_err());
            }
        }
        jumps.push(world.server_ms());
        match jump {
            Some(-1) => {
                // Back an hour: the appliance's clocks only; the service's goes on.
                world.client_ms.set(world.client_ms.get() - HOUR_MS);
                world.ahead_ms.set(world.ahead_ms.get() + HOUR_MS);
            }
            Some(days) => world.client_ms.set(world.client_ms.get() + days as u64 * DAY_MS),
            None => {}
        }
    }

    let log = world.log.borrow();
    let tokens = log.iter().filter(|(_, kind, _)| *kind == Kind::Token).count();
    let unauthorized: Vec<u64> = log.iter().filter(|(_, _, status)| *status == 401).map(|(at, _, _)| *at).collect();
    let mut per_hour: BTreeMap<u64, u32> = BTreeMap::new();
    for (at, _, _) in log.iter() {
        *per_hour.entry(at / HOUR_MS).or_default() += 1;
    }
    // Whole hours only: not the first, last, or those around the jumps.
    let near_jump =
        |hour: u64| jumps.iter().any(|j| (j / HOUR_MS).abs_diff(hour) <= 1 || (j + 30 * DAY_MS) / HOUR_MS == hour);
    let whole: Vec<u32> = per_hour
        .iter()
        .filter(|(hour, _)| **hour > 0 && **hour < 90 * 24 - 1 && !near_jump(**hour))
        .map(|(_, n)| *n)
        .collect();
    let spot: Vec<u64> =
        log.iter().filter(|(_, kind, status)| *kind == Kind::Spot && *status != 401).map(|(at, _, _)| *at).collect();
    let gaps: Vec<u64> = spot.windows(2).map(|w| w[1] - w[0]).collect();
    let leads: BTreeSet<i64> = refreshes.leads.iter().copied().collect();
    println!(
        "60 days: {} requests, {tokens} tokens, 401 at {unauthorized:?}; {} refreshes (late: {:?}), leads {}..={} s ({} distinct), skews {:?}; \
         requests per whole hour {}..={}; {} rounds, {watch_errors} watch errors; longest gap between rounds {} s (the suspend aside)",
        log.len(),
        refreshes.count,
        refreshes.late,
        leads.first().unwrap(),
        leads.last().unwrap(),
        leads.len(),
        refreshes.skews,
        whole.iter().min().unwrap(),
        whole.iter().max().unwrap(),
        spot.len(),
        gaps.iter().filter(|g| **g < DAY_MS).max().unwrap() / 1000,
    );
    // Tokens: renewed before expiry; one 401 after the jump back, none else.
    assert!(unauthorized.len() <= 1, "{unauthorized:?}");
    assert!(unauthorized.iter().all(|at| (jumps[0]..jumps[0] + 7 * HOUR_MS).contains(at)), "{unauthorized:?}");
    assert!((230..=300).contains(&tokens), "{tokens} tokens in 60 days of 6-hour tokens");
    // Credentials: before the service's expiry, every time they were fetched
    // on the clock in force; spread; the skew seen. Two refreshes come after
    // it: those of the credentials held across a jump. Across the jump back,
    // their refresh was set on the clock before it, so it comes up to an hour
    // late (what the SDKs do every time, skew or not; here, the next fetch
    // sees the skew in `Date` and every later one is on time); across the
    // suspend, they expired while the appliance slept, and are fetched at once.
    let [(back_at, back_late), (wake_at, _)] = refreshes.late[..] else { panic!("{:?}", refreshes.late) };
    assert!((jumps[0]..jumps[0] + 7 * HOUR_MS).contains(&back_at) && back_late < 3600, "{:?}", refreshes.late);
    assert_eq!(wake_at, jumps[1] + 30 * DAY_MS, "at once on waking");
    assert!(leads.iter().all(|l| (290..=610).contains(l)) && leads.len() >= 20, "{leads:?}");
    assert!(refreshes.skews.contains(&3600), "the hour behind was seen: {:?}", refreshes.skews);
    assert!(refreshes.count >= 60 * 24 / 6, "{}", refreshes.count);
    // Requests: 3 polls a minute, plus a token and credentials now and then.
    assert!(*whole.iter().max().unwrap() <= 180 + 8 && *whole.iter().min().unwrap() >= 180, "{whole:?}");
    // No drift, no stall, no burst: a round every minute of the service's time.
    assert_eq!(watch_errors, 0);
    let (suspend, rest): (Vec<u64>, Vec<u64>) = gaps.iter().partition(|g| **g >= DAY_MS);
    assert_eq!(suspend.len(), 1, "the thirty days asleep");
    assert!(rest.iter().all(|g| *g == 60_000), "{:?}", rest.iter().filter(|g| **g != 60_000).collect::<Vec<_>>());
}
