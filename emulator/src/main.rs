//! Runs the emulator alone on loopback:
//!
//!     cargo run -p imds-emulator -- [--port N] [--ipv6] [--keep-alive] [--allow-v1] [--lifetime SECONDS]
//!         [--faults PERCENT [--seed N]]
//!
//! It prints its URL and serves until its lifetime (default 300 s) is over.
//! With `--faults`, the URL printed is a `FaultProxy`'s in front of it, which
//! breaks PERCENT of the connections (seeded by `--seed`, default 1).
//!
//! With `--ethernet-unix-socket PATH --peer PATH` (feature `ethernet`) it opens
//! no IP socket: it serves on 192.0.2.1:80 of a smoltcp stack whose Ethernet
//! frames are datagrams on the unix socket PATH, to and from the peer's (QEMU's
//! `-netdev dgram` with unix addresses), dropping and reordering `--drop` and
//! `--reorder` percent of them, and prints what crossed the link when done
//! (once no frame came for `--idle SECONDS`, 5 by default, or its lifetime is over).

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use imds_emulator::{Emulator, FaultProxy, Options, ProxyOptions};

fn main() {
    let mut options = Options { lifetime: Duration::from_secs(300), ..Options::default() };
    let (mut faults, mut seed) = (None, 1);
    let (mut link, mut peer, mut drop, mut reorder, mut idle) = (None, None, 0, 0, 5);
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
            "--drop" => drop = value("--drop").min(100) as u8,
            "--reorder" => reorder = value("--reorder").min(100) as u8,
            "--idle" => idle = value("--idle"),
            "--ethernet-unix-socket" | "--peer" => {
                let Some(path) = args.next().filter(|path| !path.is_empty()) else {
                    eprintln!("{arg} needs a path");
                    std::process::exit(2)
                };
                let slot = if arg == "--peer" { &mut peer } else { &mut link };
                *slot = Some(std::path::PathBuf::from(path));
            }
            _ => {
                eprintln!(
                    "usage: imds-emulator [--port N] [--ipv6] [--keep-alive] [--allow-v1] [--lifetime SECONDS] \
                     [--faults PERCENT [--seed N]] [--ethernet-unix-socket PATH --peer PATH [--drop PERCENT] \
                     [--reorder PERCENT] [--seed N] [--idle SECONDS]]"
                );
                std::process::exit(2);
            }
        }
    }
    let lifetime = options.lifetime;
    if link.is_none() && (peer.is_some() || drop > 0 || reorder > 0) {
        eprintln!("--peer, --drop and --reorder go with --ethernet-unix-socket");
        std::process::exit(2);
    }
    if let Some(socket) = link {
        let Some(peer) = peer else {
            eprintln!("--ethernet-unix-socket needs --peer PATH");
            std::process::exit(2)
        };
        serve_link(options, socket, peer, (drop, reorder, seed, idle));
        return;
    }
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

/// Serves on the Ethernet link and prints what crossed it.
#[cfg(feature = "ethernet")]
fn serve_link(
    options: Options,
    socket: std::path::PathBuf,
    peer: std::path::PathBuf,
    (drop, reorder, seed, idle): (u8, u8, u64, u64),
) {
    use imds_emulator::ethernet::{LinkFaults, LinkOptions, UnixLink, serve};
    let service = imds_emulator::Service::new(options.clone());
    let faults = LinkFaults { drop_percent: drop, reorder_percent: reorder, seed };
    let idle = std::time::Duration::from_secs(idle);
    let link = LinkOptions { socket, peer, faults, lifetime: options.lifetime, idle, ..LinkOptions::default() };
    let bound = UnixLink::bind(&link.socket, &link.peer, faults).unwrap_or_else(|e| {
        eprintln!("cannot bind {}: {e}", link.socket.display());
        std::process::exit(1)
    });
    println!("serving on 192.0.2.1:80 over {}", link.socket.display());
    let counts = serve(bound, service.clone(), &link);
    println!(
        "link: {} frames received, {} sent, {} dropped, {} reordered; {} requests",
        counts.received,
        counts.sent,
        counts.dropped,
        counts.reordered,
        service.requests()
    );
}

#[cfg(not(feature = "ethernet"))]
fn serve_link(_: Options, _: std::path::PathBuf, _: std::path::PathBuf, _: (u8, u8, u64, u64)) {
    eprintln!("--ethernet-unix-socket needs the emulator built with --features ethernet");
    std::process::exit(2)
}
