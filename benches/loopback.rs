//! GETs of the emulator over loopback, the token cached: through the blocking
//! driver (`net::TcpTransport`), through the `async` one on tokio
//! (`net::TokioTransport`, a current-thread runtime), and, as the floor of the
//! latter, a bare tokio exchange of the same request bytes (connect,
//! `write_all`, read to the end: no imds at all), in one program so one
//! callgrind run (`benches/callgrind.sh`) counts all three. The emulator
//! serves on its own threads; callgrind counts each function on this one.
//!
//!     cargo bench --bench loopback --features tokio -- 200 [blocking | tokio | bare]

use std::hint::black_box;
use std::time::Duration;

use imds::driver::asynch::{self, AsyncClock};
use imds::driver::{Clock, run};
use imds::net::{SystemClock, TcpTransport, TokioClock, TokioTransport};
use imds::wire::{MAX_REQUEST_LEN, Request};
use imds::{BodyMode, Client, Config, Endpoint, TokenTtl};
use imds_emulator::{Emulator, Options};

const PATH: &str = "/latest/meta-data/instance-id";

/// One GET through the blocking driver; the body's length.
fn blocking_get(client: &mut Client<'_>, transport: &mut TcpTransport, clock: &mut SystemClock) -> usize {
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 2048]);
    let mut operation = client.get(clock.now(), black_box(PATH), BodyMode::Contiguous);
    run(&mut operation, transport, clock, &mut tx, &mut rx, |_| {}).unwrap().body.len()
}

/// `n` GETs through the blocking driver (the function callgrind measures).
#[inline(never)]
fn blocking_gets(client: &mut Client<'_>, transport: &mut TcpTransport, clock: &mut SystemClock, n: usize) -> usize {
    (0..n).map(|_| blocking_get(client, transport, clock)).sum()
}

/// One GET through the `async` driver on tokio; the body's length.
async fn tokio_get(client: &mut Client<'_>, transport: &mut TokioTransport, clock: &mut TokioClock) -> usize {
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 2048]);
    let mut operation = client.get(clock.now(), black_box(PATH), BodyMode::Contiguous);
    asynch::run(&mut operation, transport, clock, &mut tx, &mut rx, |_| {}).await.unwrap().body.len()
}

/// `n` GETs through the `async` driver on tokio (the function callgrind measures).
#[inline(never)]
fn tokio_gets(
    runtime: &tokio::runtime::Runtime,
    client: &mut Client<'_>,
    transport: &mut TokioTransport,
    clock: &mut TokioClock,
    n: usize,
) -> usize {
    runtime.block_on(async {
        let mut total = 0;
        for _ in 0..n {
            total += tokio_get(client, transport, clock).await;
        }
        total
    })
}

/// One bare tokio exchange of `request`: connect, write it, read to the end.
async fn bare_get(addr: std::net::SocketAddr, request: &[u8]) -> usize {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let (mut buf, mut len) = ([0u8; 2048], 0);
    loop {
        match stream.read(&mut buf[len..]).await.unwrap() {
            0 => return len,
            n => len += n,
        }
    }
}

/// `n` bare tokio exchanges (the function callgrind measures).
#[inline(never)]
fn bare_tokio_gets(runtime: &tokio::runtime::Runtime, addr: std::net::SocketAddr, request: &[u8], n: usize) -> usize {
    runtime.block_on(async {
        let mut total = 0;
        for _ in 0..n {
            total += bare_get(addr, request).await;
        }
        total
    })
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200);
    // `blocking` or `tokio` alone (for whole-process counts); both by default.
    let only = std::env::args().skip(1).find(|a| a == "blocking" || a == "tokio" || a == "bare");
    let emulator =
        Emulator::start(Options { lifetime: Duration::from_secs(600), max_requests: 3 * n + 10, ..Options::default() })
            .unwrap();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());

    let mut total = 0;
    if only.as_deref().is_none_or(|o| o == "blocking") {
        let mut client = Client::new(Config::with_endpoint(endpoint), 1);
        let (mut transport, mut clock) = (TcpTransport::new(), SystemClock::new());
        blocking_get(&mut client, &mut transport, &mut clock); // the token
        total += blocking_gets(&mut client, &mut transport, &mut clock, n);
    }
    if only.as_deref().is_none_or(|o| o == "tokio") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut client = Client::new(Config::with_endpoint(endpoint), 1);
        let (mut transport, mut clock) = (TokioTransport::new(), runtime.block_on(async { TokioClock::new() }));
        runtime.block_on(tokio_get(&mut client, &mut transport, &mut clock)); // the token
        total += tokio_gets(&runtime, &mut client, &mut transport, &mut clock, n);
    }
    if only.as_deref().is_none_or(|o| o == "bare") {
        // The same bytes the client sends: its encoder, a token from a PUT.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut put = [0u8; MAX_REQUEST_LEN];
        let len = Request::PutToken { ttl: TokenTtl::MAX }.encode(&endpoint, None, &mut put).unwrap();
        let mut response = vec![0u8; 2048];
        let read = runtime.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await.unwrap();
            stream.write_all(&put[..len]).await.unwrap();
            let mut len = 0;
            while let Ok(n @ 1..) = stream.read(&mut response[len..]).await {
                len += n;
            }
            len
        });
        let text = String::from_utf8_lossy(&response[..read]).into_owned();
        let token = text.split("\r\n\r\n").nth(1).unwrap();
        let mut get = [0u8; MAX_REQUEST_LEN];
        let token = imds::Token::new(token.as_bytes()).unwrap();
        let len = Request::Get { path: PATH, token: Some(&token) }.encode(&endpoint, None, &mut get).unwrap();
        total += bare_tokio_gets(&runtime, emulator.addr(), &get[..len], n);
    }
    println!("{n} GETs each over loopback, token cached: {total} bytes");
}
