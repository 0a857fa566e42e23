//! The same N GETs of `instance-id` from the emulator over loopback, the token
//! cached, through imds (`net::TcpTransport`, `driver::run`) and through
//! aws-config's IMDS client (on a current-thread tokio runtime, so all of its
//! work is on this thread). `run.sh` counts the instructions of `imds_gets` and
//! `aws_config_gets` with callgrind; this program counts the heap allocations
//! each makes on this thread (the emulator serves on its own threads).
//!
//!     cargo run --release -- 200

use std::hint::black_box;

use imds::driver::{Clock, run};
use imds::net::{SystemClock, TcpTransport};
use imds::{BodyMode, Client, Config, Endpoint};
use imds_emulator::{Emulator, Options};

const PATH: &str = "/latest/meta-data/instance-id";

#[path = "../../../tests/support/counting.rs"]
#[allow(dead_code)]
mod counting;
use counting::{Counting, allocations};

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Imds {
    client: Client<'static>,
    transport: TcpTransport,
    clock: SystemClock,
    tx: [u8; imds::wire::MAX_REQUEST_LEN],
    rx: [u8; 4096],
}

/// One GET through imds; the body's length.
fn imds_get(s: &mut Imds) -> usize {
    let mut operation = s.client.get(s.clock.now(), black_box(PATH), BodyMode::Contiguous);
    run(&mut operation, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, |_| {}).unwrap().body.len()
}

/// `n` GETs through imds (the function callgrind measures); the body bytes.
#[inline(never)]
fn imds_gets(s: &mut Imds, n: usize) -> usize {
    (0..n).map(|_| imds_get(s)).sum()
}

/// One GET through aws-config; the body's length.
async fn aws_config_get(client: &aws_config::imds::Client) -> usize {
    client.get(black_box(PATH)).await.unwrap().as_ref().len()
}

/// `n` GETs through aws-config (the function callgrind measures); the body bytes.
#[inline(never)]
fn aws_config_gets(runtime: &tokio::runtime::Runtime, client: &aws_config::imds::Client, n: usize) -> usize {
    runtime.block_on(async {
        let mut total = 0;
        for _ in 0..n {
            total += aws_config_get(client).await;
        }
        total
    })
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200);
    let emulator = Emulator::start(Options {
        lifetime: std::time::Duration::from_secs(600),
        max_requests: 4 * n + 100,
        ..Options::default()
    })
    .unwrap();

    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut ours = Imds {
        client: Client::new(Config::with_endpoint(endpoint), 1),
        transport: TcpTransport::new(),
        clock: SystemClock::new(),
        tx: [0; imds::wire::MAX_REQUEST_LEN],
        rx: [0; 4096],
    };
    imds_get(&mut ours); // the token, outside the measured function
    let before = allocations();
    let body = imds_gets(&mut ours, n);
    let imds_allocations = allocations() - before;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = emulator.url();
    let theirs = aws_config::imds::Client::builder().endpoint(url.as_str()).unwrap().build();
    runtime.block_on(aws_config_get(&theirs)); // the token, outside the measured function
    let before = allocations();
    let their_body = aws_config_gets(&runtime, &theirs, n);
    let their_allocations = allocations() - before;

    assert_eq!(body, their_body, "both read the same bodies");
    println!("{n} GETs each over loopback, token cached");
    println!(
        "heap allocations per GET: imds {}, aws-config {}",
        imds_allocations / n as u64,
        their_allocations / n as u64
    );
}
