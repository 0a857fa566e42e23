//! The `async` driver on tokio (`net::TokioTransport`, `net::TokioClock`)
//! against the emulator on loopback: a session, the timeouts (short ones, on
//! tokio's real clock: the crate's dev-dependencies leave out tokio's
//! `test-util`, whose clock checks would weigh on `benches/loopback.rs`), and
//! the heap allocations per request.

#![cfg(feature = "tokio")]

#[allow(dead_code)]
mod support {
    pub mod counting;
}

use std::net::TcpListener;
use std::time::Duration;

use imds::driver::asynch::{self, AsyncClock};
use imds::net::{TokioClock, TokioTransport};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, Endpoint, ErrorKind, TimeoutKind};
use imds_emulator::{Emulator, Options};

use support::counting::{Counting, allocations};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn emulator() -> Emulator {
    Emulator::start(Options { lifetime: Duration::from_secs(60), max_requests: 200, ..Options::default() }).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_session_over_tokio() {
    let emulator = emulator();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = Client::new(Config::with_endpoint(endpoint), 3);
    let (mut transport, mut clock) = (TokioTransport::new(), TokioClock::new());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    for (path, body) in [
        ("/latest/meta-data/instance-id", &b"i-0a1b2c3d4e5f60718"[..]),
        ("/latest/meta-data/placement/region", b"eu-west-1"),
    ] {
        let mut operation = client.get(clock.now(), path, BodyMode::Contiguous);
        let answer = asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).await.unwrap();
        assert_eq!(answer.body, body);
    }
    let mut operation = client.get(clock.now(), "/latest/meta-data/", BodyMode::Streaming);
    let mut listing = Vec::new();
    let answer =
        asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |p| listing.extend_from_slice(p))
            .await
            .unwrap();
    assert_eq!(answer.status, 200);
    assert!(String::from_utf8(listing).unwrap().contains("instance-id"));
    assert_eq!(emulator.tokens_issued(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_silent_server_times_out_on_tokios_clock() {
    // Accepts connections and never answers, until the test is over (at most 10 s).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let over = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let held = std::thread::spawn({
        let over = over.clone();
        move || {
            listener.set_nonblocking(true).unwrap();
            let (mut kept, started) = (Vec::new(), std::time::Instant::now());
            while !over.load(std::sync::atomic::Ordering::SeqCst) && started.elapsed() < Duration::from_secs(10) {
                match listener.accept() {
                    Ok((stream, _)) => kept.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
    });
    let mut config = Config::with_endpoint(Endpoint::from_ip(addr.ip(), addr.port()));
    config.read_timeout = Duration::from_millis(100);
    config.backoff_base = Duration::from_millis(10);
    let mut client = Client::new(config, 3);
    let (mut transport, mut clock) = (TokioTransport::new(), TokioClock::new());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    let start = tokio::time::Instant::now();
    let mut operation = client.get(clock.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let error = asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).await.unwrap_err();
    assert_eq!((error.phase, error.kind), (imds::Phase::Token, ErrorKind::Timeout(TimeoutKind::Read)));
    let waited = start.elapsed();
    // Four attempts of 100 ms each, and three backoffs of at most 40 ms.
    assert!(waited >= Duration::from_millis(400) && waited < Duration::from_secs(5), "{waited:?}");
    over.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = held.join();
}

#[test]
fn gets_hold_no_heap_of_imds() {
    let emulator = emulator();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = Client::new(Config::with_endpoint(endpoint), 3);
    let (mut transport, mut clock) = (TokioTransport::new(), runtime.block_on(async { TokioClock::new() }));
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    let mut get = |client: &mut Client<'_>| {
        runtime.block_on(async {
            let mut operation = client.get(clock.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
            let run = asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
            assert_eq!(run.await.unwrap().body, b"i-0a1b2c3d4e5f60718");
        })
    };
    get(&mut client); // the token, the runtime's first I/O
    let before = allocations();
    for _ in 0..20 {
        get(&mut client);
    }
    let per_get = (allocations() - before) as f64 / 20.0;
    // The same exchange with no imds: a socket, the request's bytes, the
    // answer read to its end (a 401: no token), on the same runtime.
    let bare = || {
        runtime.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut socket = tokio::net::TcpStream::connect(emulator.addr()).await.unwrap();
            socket.write_all(b"GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
            let mut answer = [0u8; 1024];
            while socket.read(&mut answer).await.unwrap() > 0 {}
        })
    };
    bare();
    let before = allocations();
    for _ in 0..20 {
        bare();
    }
    let per_bare = (allocations() - before) as f64 / 20.0;
    println!("heap allocations per GET over tokio: {per_get}; per bare tokio exchange of the same bytes: {per_bare}");
    // Every GET opens a new connection (Connection: close); tokio registers
    // each socket with its reactor, which allocates (a registration, then its
    // release) for a bare exchange just the same: imds adds nothing.
    assert!(per_get <= per_bare, "{per_get} allocations per GET, {per_bare} per bare exchange");
}
