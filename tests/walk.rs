//! The library walk: the emulated instance walked whole over TCP, and every
//! bound against hostile trees on a simulated server and clock (a tree of
//! 5,000 x 5,000 nodes, 60 KB leaves, a server that takes a second per answer,
//! an endless depth), 404s inside a walk, and misuse.

#[allow(dead_code)]
mod support {
    pub mod sim;
}

use std::ops::ControlFlow;

use imds::driver::{Clock, walk};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BufferTooSmall, Config, Instant, Visit, Walk, WalkError, WalkLimit, WalkLimits};
use support::sim::{Reply, Seen, Sim, new_client, response};

/// What a walk saw: `L path len`, `D path entries`, `M path`.
fn walk_sim(sim: &Sim, root: &str, limits: WalkLimits, pending: usize) -> (Vec<String>, Result<(), WalkError>) {
    let (mut client, mut transport, mut clock) = (new_client(Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 72 * 1024]);
    let mut pending = vec![0u8; pending];
    let mut seen = Vec::new();
    let result = Walk::new(clock.now(), root, limits, &mut pending).and_then(|mut w| {
        walk(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut w, |visit| {
            seen.push(describe(visit));
            ControlFlow::Continue(())
        })
    });
    (seen, result)
}

fn describe(visit: Visit<'_, '_>) -> String {
    match visit {
        Visit::Leaf { path, body } => format!("L {path} {}", body.len()),
        Visit::Dir { path, entries } => format!("D {path} {entries}"),
        Visit::Missing { path } => format!("M {path}"),
    }
}

/// A server for the tree `tree` gives: `(listing or value)` per path, or 404.
fn server(mut tree: impl FnMut(&str) -> Option<String> + 'static) -> impl FnMut(&Seen) -> Reply {
    move |seen| match &seen.method[..] {
        "PUT" => response(200, "tokenA", Some(21600)),
        _ => match tree(&seen.path) {
            Some(body) => response(200, &body, Some(21600)),
            None => response(404, "", None),
        },
    }
}

/// `/latest/meta-data/` lists `dirs` directories of `leaves` leaves of `leaf_bytes` bytes.
fn flood(dirs: usize, leaves: usize, leaf_bytes: usize) -> impl FnMut(&str) -> Option<String> {
    move |path| {
        let rest = path.strip_prefix("/latest/meta-data/")?;
        let names = |prefix: &str, n: usize, suffix: &str| -> String {
            (0..n).map(|i| format!("{prefix}{i}{suffix}\n")).collect()
        };
        match rest.split_once('/') {
            None if rest.is_empty() => Some(names("d", dirs, "/")),
            Some((_, "")) => Some(names("l", leaves, "")),
            _ => Some("x".repeat(leaf_bytes)),
        }
    }
}

#[test]
fn a_huge_tree_stops_at_the_node_limit_before_spending_requests() {
    let sim = Sim::new(server(flood(5000, 5000, 10)));
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 1 << 20);
    assert_eq!(result, Err(WalkError::Limit(WalkLimit::Nodes)));
    assert!(seen.is_empty(), "nothing visited: the first listing already passes 4,096 nodes");
    assert_eq!(sim.trace().len(), 2, "the token and one listing: {:?}", &sim.trace()[..3.min(sim.trace().len())]);

    // Just under the limit: the whole tree.
    let sim = Sim::new(server(flood(3, 4, 10)));
    let mut limits = WalkLimits::DEFAULT;
    limits.max_nodes = 1 + 3 + 3 * 4;
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", limits, 4096);
    assert_eq!((result, seen.len()), (Ok(()), 16));
    limits.max_nodes -= 1;
    assert_eq!(
        walk_sim(&Sim::new(server(flood(3, 4, 10))), "/latest/meta-data/", limits, 4096).1,
        Err(WalkError::Limit(WalkLimit::Nodes))
    );
}

#[test]
fn large_leaves_stop_at_the_byte_limit() {
    let sim = Sim::new(server(flood(10, 10, 60_000)));
    let mut limits = WalkLimits::DEFAULT;
    limits.max_body_bytes = 1_000_000;
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", limits, 1 << 16);
    assert_eq!(result, Err(WalkError::Limit(WalkLimit::BodyBytes)));
    let leaves = seen.iter().filter(|s| s.starts_with("L ")).count();
    assert_eq!(leaves, 16, "16 leaves of 60 KB fit in 1 MB with the listings, the 17th does not");
}

#[test]
fn a_slow_server_stops_at_the_deadline() {
    // Every answer takes 900 ms of simulated time.
    let mut sim = Sim::new(server(flood(5, 5, 10)));
    sim.think_ms = 900;
    let mut limits = WalkLimits::DEFAULT;
    limits.timeout = Some(std::time::Duration::from_secs(5));
    let start = sim.now.get();
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", limits, 4096);
    assert_eq!(result, Err(WalkError::Limit(WalkLimit::Deadline)));
    assert!(sim.now.get() - start <= 5_000 + 900, "stopped at the deadline: {} ms", sim.now.get() - start);
    assert!(!seen.is_empty() && seen.len() < 6, "{seen:?}");
}

#[test]
fn an_endless_depth_stops_at_the_depth_limit() {
    let sim = Sim::new(server(|path: &str| path.ends_with('/').then(|| "deeper/".to_owned())));
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 8192);
    assert_eq!(result, Err(WalkError::Limit(WalkLimit::Depth)));
    assert_eq!(seen.len(), 16, "the root and 15 levels below it listed; the 17th level refused");
}

#[test]
fn a_404_inside_a_walk_is_reported_and_the_walk_goes_on() {
    let sim = Sim::new(server(|path: &str| match path {
        "/latest/meta-data/" => Some("ami-id\ngone\niam/\nz".into()),
        "/latest/meta-data/iam/" => Some("info".into()),
        "/latest/meta-data/gone" => None,
        _ => Some("v".into()),
    }));
    let (seen, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 4096);
    assert_eq!(result, Ok(()));
    assert_eq!(
        seen,
        [
            "D /latest/meta-data/ 4",
            "L /latest/meta-data/ami-id 1",
            "M /latest/meta-data/gone",
            "D /latest/meta-data/iam/ 1",
            "L /latest/meta-data/iam/info 1",
            "L /latest/meta-data/z 1",
        ],
        "depth first, in listing order"
    );
}

#[test]
fn listing_errors_and_small_buffers_are_typed() {
    let sim = Sim::new(server(|path: &str| (path == "/latest/meta-data/").then(|| "ok\n\nbad".to_owned())));
    let (_, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 4096);
    assert!(matches!(result, Err(WalkError::Listing(e)) if e.offset == 3), "{result:?}");

    let sim = Sim::new(server(flood(50, 1, 1)));
    let (_, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 100);
    assert!(matches!(result, Err(WalkError::Pending(BufferTooSmall { required })) if required > 100), "{result:?}");

    let sim = Sim::new(server(|_: &str| Some("x".into())));
    let (_, result) = walk_sim(&sim, "latest/", WalkLimits::DEFAULT, 100);
    assert!(matches!(result, Err(WalkError::Root(_))), "{result:?}");
    let (_, result) = walk_sim(&sim, "/latest/meta-data/", WalkLimits::DEFAULT, 4);
    assert_eq!(result, Err(WalkError::Pending(BufferTooSmall { required: 19 })));
    let mut none = WalkLimits::DEFAULT;
    none.max_nodes = 0;
    let (_, result) = walk_sim(&sim, "/latest/meta-data/", none, 4);
    assert_eq!(result, Err(WalkError::Limit(WalkLimit::Nodes)), "the bound first, before any request");
    assert!(sim.trace().is_empty());
}

#[test]
fn misuse_is_an_error_and_the_client_stays_usable() {
    let sim = Sim::new(server(|_: &str| Some("v".into())));
    let mut client = new_client(Config::DEFAULT);
    let mut pending = [0u8; 256];
    let mut w = Walk::new(Instant::ZERO, "/latest/meta-data/x", WalkLimits::DEFAULT, &mut pending).unwrap();
    assert_eq!(
        w.visit(
            Instant::ZERO,
            Err(imds::Error { phase: imds::Phase::Get, kind: imds::ErrorKind::Status(500), attempts: 1 })
        )
        .map(|_| ()),
        Err(WalkError::WrongStep)
    );
    let (mut transport, mut clock) = (sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 1024]);
    let mut operation = w.start_next(Instant::ZERO, &mut client).unwrap().unwrap();
    let outcome = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
    assert!(matches!(w.start_next(Instant::ZERO, &mut client), Err(WalkError::WrongStep)), "start twice");
    assert_eq!(
        w.visit(clock.now(), outcome).map(describe),
        Ok("L /latest/meta-data/x 1".to_owned()),
        "a root without a slash is a leaf"
    );
    assert!(matches!(w.start_next(clock.now(), &mut client), Ok(None)));
}

#[cfg(feature = "std")]
#[test]
fn walks_the_emulated_instance_over_tcp() {
    use imds::net::{SystemClock, TcpTransport};
    let emulator = imds_emulator::Emulator::start(imds_emulator::Options {
        lifetime: std::time::Duration::from_secs(60),
        max_requests: 500,
        ..imds_emulator::Options::default()
    })
    .unwrap();
    let endpoint = imds::Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = imds::Client::new(Config::with_endpoint(endpoint), 7);
    let (mut transport, mut clock) = (TcpTransport::new(), SystemClock::new());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 16 * 1024]);
    for (root, leaves, dirs) in [("/latest/meta-data/", 45, 18), ("/latest/", 51, 22)] {
        let mut pending = [0u8; 2048];
        let mut w = Walk::new(clock.now(), root, WalkLimits::DEFAULT, &mut pending).unwrap();
        let mut seen = Vec::new();
        let mut most_pending = 0;
        // driver::walk, by hand, to watch the pending paths.
        while let Some(mut operation) = w.start_next(clock.now(), &mut client).unwrap() {
            let outcome = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
            seen.push(describe(w.visit(clock.now(), outcome).unwrap()));
            most_pending = most_pending.max(w.pending_bytes());
        }
        let count = |kind: &str| seen.iter().filter(|s| s.starts_with(kind)).count();
        assert_eq!((count("L "), count("D "), count("M ")), (leaves, dirs, 0), "{root}: {seen:#?}");
        assert!(seen.contains(&"L /latest/meta-data/public-keys/0/openssh-key 93".to_owned()), "{seen:#?}");
        assert_eq!(w.nodes() as usize, seen.len());
        println!("{root}: {} nodes, at most {most_pending} bytes of pending paths", seen.len());
        assert!(most_pending <= 1200, "{root}: {most_pending} bytes pending");
    }
    assert_eq!(emulator.tokens_issued(), 1);
}
