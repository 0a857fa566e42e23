//! The `async` drivers (`driver::asynch`) on a hand-rolled executor: a whole
//! session over the in-memory transport and a manual clock, a walk, a flow and
//! the watch. (The session tests run every simulated case through both the
//! blocking and the `async` driver.)

#[allow(dead_code)]
mod support {
    pub mod sim;
}

use std::ops::ControlFlow;
use std::time::Duration;

use imds::driver::asynch;
use imds::driver::{ManualClock, MemoryTransport};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, Instant, RegionFlow, Visit, Walk, WalkLimits, Watch};
use support::sim::{Async, block_on};

const TOKEN: &[u8] =
    b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 6\r\n\r\ntokenA";

fn ok(body: &str) -> &'static [u8] {
    let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    Box::leak(response.into_bytes().into_boxed_slice())
}

fn service(request: &[u8]) -> Option<&'static [u8]> {
    let path = request.split(|&b| b == b' ').nth(1).unwrap_or_default();
    Some(match path {
        b"/latest/api/token" => TOKEN,
        b"/latest/meta-data/instance-id" => ok("i-0a1b2c3d4e5f60718"),
        b"/latest/meta-data/placement/region" => ok("eu-west-3"),
        b"/latest/meta-data/" => ok("ami-id\nplacement/"),
        b"/latest/meta-data/placement/" => ok("region"),
        b"/latest/meta-data/ami-id" => ok("ami-0123"),
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    })
}

#[test]
fn a_session_token_then_cached_gets_in_pieces() {
    let mut transport = MemoryTransport::new(service).with_read_size(5);
    let mut clock = ManualClock::new(Instant::ZERO);
    let mut client = Client::new(Config::DEFAULT, 1);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 1024]);
    for _ in 0..3 {
        let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let answer = block_on(asynch::run(
            &mut operation,
            &mut Async(&mut transport),
            &mut Async(&mut clock),
            &mut tx,
            &mut rx,
            |_| {},
        ))
        .unwrap();
        assert_eq!((answer.status, answer.body), (200, &b"i-0a1b2c3d4e5f60718"[..]));
        assert!(answer.token_ttl.is_some());
    }
    // Streamed, and a 404.
    let mut pieces = Vec::new();
    let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Streaming);
    let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
    let run = asynch::run(&mut operation, &mut t, &mut c, &mut tx, &mut rx, |p| pieces.extend_from_slice(p));
    assert_eq!(block_on(run).unwrap().status, 200);
    assert_eq!(pieces, b"i-0a1b2c3d4e5f60718");
    let mut operation = client.get(clock.now, "/latest/nope", BodyMode::Contiguous);
    let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
    let run = asynch::run(&mut operation, &mut t, &mut c, &mut tx, &mut rx, |_| {});
    assert!(!block_on(run).unwrap().found());
}

#[test]
fn a_walk_a_flow_and_the_watch() {
    let mut transport = MemoryTransport::new(service);
    let mut clock = ManualClock::new(Instant::ZERO);
    let mut client = Client::new(Config::DEFAULT, 1);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 1024]);

    let mut pending = [0u8; 512];
    let mut walk = Walk::new(clock.now, "/latest/meta-data/", WalkLimits::DEFAULT, &mut pending).unwrap();
    let mut leaves = Vec::new();
    let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
    let walked = asynch::walk(&mut client, &mut t, &mut c, &mut tx, &mut rx, &mut walk, |visit| {
        if let Visit::Leaf { path, body } = visit {
            leaves.push(format!("{path} {}", String::from_utf8_lossy(body)));
        }
        ControlFlow::Continue(())
    });
    block_on(walked).unwrap();
    assert_eq!(leaves, ["/latest/meta-data/ami-id ami-0123", "/latest/meta-data/placement/region eu-west-3"]);

    let mut flow = RegionFlow::new();
    let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
    let region = asynch::complete(&mut client, &mut t, &mut c, &mut tx, &mut rx, &mut flow);
    assert_eq!(block_on(region).unwrap(), "eu-west-3");

    // No notices (every path answers 404): the watch polls on schedule until
    // told to stop; the clock moves only when it sleeps.
    let mut watch = Watch::new(clock.now, std::time::Duration::from_secs(5));
    let start = clock.now;
    let mut rounds = 0;
    {
        let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
        let watched =
            asynch::watch(&mut client, &mut t, &mut c, &mut tx, &mut rx, &mut watch, |_| ControlFlow::Break(()));
        // Nothing to report ever ends it: poll it a while, then drop it.
        let mut watched = std::pin::pin!(watched);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..200 {
            assert!(watched.as_mut().poll(&mut context).is_pending(), "no notice, no end");
            rounds += 1;
        }
    }
    assert!(clock.now.saturating_duration_since(start) >= std::time::Duration::from_secs(5), "it slept between rounds");
    assert_eq!(rounds, 200);
    assert!(client.token_ttl(clock.now).is_some(), "one token served it all");
}

#[test]
fn a_run_dropped_midway_leaves_the_client_and_transport_usable() {
    // Cancellation (a select! that gives up, a task dropped): the future is
    // dropped while a step is suspended; the next operation closes the
    // connection it left and starts over.
    // A connection keeps what was sent on it until it is closed: bytes a
    // dropped run left unread would reach the next one if it reused it.
    #[derive(Default)]
    struct Kept {
        unread: std::collections::VecDeque<u8>,
    }
    impl imds::driver::Transport for Kept {
        fn connect(&mut self, _: &imds::Endpoint<'_>, _: Duration) -> Result<(), imds::driver::TransportError> {
            self.unread.clear();
            Ok(())
        }
        fn write_all(&mut self, request: &[u8], _: Duration) -> Result<(), imds::driver::TransportError> {
            let keep_alive = |reply: &[u8]| {
                let text = String::from_utf8_lossy(reply).replacen("\r\n\r\n", "\r\nConnection: keep-alive\r\n\r\n", 1);
                text.into_bytes()
            };
            self.unread.extend(keep_alive(service(request).unwrap_or_default()));
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, imds::driver::TransportError> {
            let n = buf.len().min(self.unread.len()).min(7);
            for (slot, byte) in buf.iter_mut().zip(self.unread.drain(..n)) {
                *slot = byte;
            }
            if n == 0 { Err(imds::driver::TransportError::TimedOut) } else { Ok(n) }
        }
        fn close(&mut self) {
            self.unread.clear();
        }
    }
    let mut transport = Kept::default();
    let mut clock = ManualClock::new(Instant::ZERO);
    let mut client = Client::new(Config::DEFAULT, 1);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 1024]);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    for polls_before_dropping in 1..40 {
        {
            let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
            let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
            let run = asynch::run(&mut operation, &mut t, &mut c, &mut tx, &mut rx, |_| {});
            let mut run = std::pin::pin!(run);
            for _ in 0..polls_before_dropping {
                if run.as_mut().poll(&mut context).is_ready() {
                    break;
                }
            }
        }
        let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let (mut t, mut c) = (Async(&mut transport), Async(&mut clock));
        let answer = block_on(asynch::run(&mut operation, &mut t, &mut c, &mut tx, &mut rx, |_| {})).unwrap();
        assert_eq!(answer.body, b"i-0a1b2c3d4e5f60718", "after dropping at poll {polls_before_dropping}");
    }
}
