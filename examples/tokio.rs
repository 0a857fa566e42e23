//! The `async` driver on tokio: the instance id from the emulator (started in
//! this process, on loopback), through `net::TokioTransport` and
//! `net::TokioClock`.
//!
//!     cargo run --example tokio --features tokio

use std::time::Duration;

use imds::driver::asynch::{self, AsyncClock};
use imds::net::{TokioClock, TokioTransport};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, Endpoint};
use imds_emulator::{Emulator, Options};

fn main() {
    let emulator =
        Emulator::start(Options { lifetime: Duration::from_secs(30), max_requests: 20, ..Options::default() })
            .expect("the emulator starts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
        let mut client = Client::new(Config::with_endpoint(endpoint), 7);
        let (mut transport, mut clock) = (TokioTransport::new(), TokioClock::new());
        let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
        for path in ["/latest/meta-data/instance-id", "/latest/meta-data/placement/region"] {
            let mut operation = client.get(clock.now(), path, BodyMode::Contiguous);
            let answer = asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {})
                .await
                .expect("an answer");
            println!("{path}: {}", String::from_utf8_lossy(answer.body));
        }
    });
    println!("{} requests, {} token", emulator.requests(), emulator.tokens_issued());
}
