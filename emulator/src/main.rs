//! Runs the emulator alone on loopback:
//!
//!     cargo run -p imds-emulator -- [--port N] [--ipv6] [--keep-alive] [--allow-v1] [--lifetime SECONDS]
//!         [--faults PERCENT [--seed N]]
//!
//! It prints its URL and serves until its lifetime (default 300 s) is over.
//! With `--faults`, the URL printed is a `FaultProxy`'s in front of it, which
//! breaks PERCENT of the connections (seeded by `--seed`, default 1).

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use imds_emulator::{Emulator, FaultProxy, Options, ProxyOptions};

fn main() {
    let mut options = Options { lifetime: Duration::from_secs(300), ..Options::default() };
    let (mut faults, mut seed) = (None, 1);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{name} needs a number");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--port" => {
                options.port = u16::try_from(value("--port")).unwrap_or_else(|_| {
                    eprintln!("--port must be 0 (any free port) to 65535");
                    std::process::exit(2)
                })
            }
            "--lifetime" => options.lifetime = Duration::from_secs(value("--lifetime")),
            "--ipv6" => options.ip = IpAddr::V6(Ipv6Addr::LOCALHOST),
            "--keep-alive" => options.keep_alive = true,
            "--allow-v1" => options.require_v2 = false,
            "--faults" => faults = Some(value("--faults").min(100) as u32),
            "--seed" => seed = value("--seed"),
            _ => {
                eprintln!(
                    "usage: imds-emulator [--port N] [--ipv6] [--keep-alive] [--allow-v1] [--lifetime SECONDS] \
                     [--faults PERCENT [--seed N]]"
                );
                std::process::exit(2);
            }
        }
    }
    let lifetime = options.lifetime;
    let emulator = Emulator::start(options).unwrap_or_else(|e| {
        eprintln!("cannot start: {e}");
        std::process::exit(1)
    });
    let proxy = faults.map(|percent| {
        let options = ProxyOptions { percent, seed, lifetime, ..ProxyOptions::default() };
        FaultProxy::start(emulator.service().clone(), options).unwrap_or_else(|e| {
            eprintln!("cannot start the fault proxy: {e}");
            std::process::exit(1)
        })
    });
    println!("{}", proxy.as_ref().map_or_else(|| emulator.url(), FaultProxy::url));
    std::thread::sleep(lifetime);
}
