//! The emulator on its Ethernet link, without QEMU: a second smoltcp stack in
//! this process plays the firmware, on a `UnixLink` of its own, and makes the
//! token `PUT` and a `GET` through it, on a clean link and on one that drops
//! and reorders frames.
#![cfg(feature = "ethernet")]

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use imds_emulator::ethernet::{LinkFaults, LinkOptions, UnixLink, serve_unix_link};
use imds_emulator::{Options, Service};
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

/// One request on a fresh connection to 192.0.2.1:80: the whole response,
/// or `None` if the connection was reset (under loss, a SYN retransmitted
/// into a half-open connection can draw a RST: a client tries again, as imds
/// does).
fn exchange(
    link: &mut UnixLink,
    iface: &mut Interface,
    sockets: &mut SocketSet<'_>,
    port: u16,
    request: &[u8],
) -> Option<Vec<u8>> {
    let started = Instant::now();
    let now = || SmolInstant::from_micros(started.elapsed().as_micros() as i64);
    let handle =
        sockets.add(tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 4096]), tcp::SocketBuffer::new(vec![0; 4096])));
    let socket = sockets.get_mut::<tcp::Socket>(handle);
    socket.connect(iface.context(), (IpAddress::v4(192, 0, 2, 1), 80), port).unwrap();
    let (mut sent, mut response) = (false, Vec::new());
    while started.elapsed() < Duration::from_secs(30) {
        iface.poll(now(), link, sockets);
        let socket = sockets.get_mut::<tcp::Socket>(handle);
        if !sent && socket.may_send() {
            socket.send_slice(request).unwrap();
            sent = true;
        }
        while socket.can_recv() {
            socket.recv(|data| (data.len(), response.extend_from_slice(data))).unwrap();
        }
        if socket.state() == tcp::State::Closed {
            sockets.remove(handle);
            return None;
        }
        if sent && !socket.may_recv() {
            socket.close();
            iface.poll(now(), link, sockets);
            sockets.remove(handle);
            return Some(response);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    panic!("no complete response in 30 s: {}", String::from_utf8_lossy(&response));
}

/// [`exchange`] on up to four connections, from `ports` on.
fn request(
    link: &mut UnixLink,
    iface: &mut Interface,
    sockets: &mut SocketSet<'_>,
    ports: &mut u16,
    request: &[u8],
) -> Vec<u8> {
    for _ in 0..4 {
        *ports += 1;
        if let Some(response) = exchange(link, iface, sockets, *ports, request) {
            return response;
        }
    }
    panic!("four connections reset");
}

fn run(dir: &Path, faults: LinkFaults) -> (Vec<u8>, imds_emulator::ethernet::LinkCounts) {
    let (host, board) = (dir.join("host.sock"), dir.join("board.sock"));
    let service = Service::new(Options::default());
    let options = LinkOptions {
        socket: host.clone(),
        peer: board.clone(),
        faults,
        idle: Duration::from_secs(4),
        ..LinkOptions::default()
    };
    let server = std::thread::spawn(move || serve_unix_link(service, &options).unwrap());
    while !host.exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut link = UnixLink::bind(&board, &host, LinkFaults::default()).unwrap();
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress([2, 0, 0, 0, 0, 2])));
    config.random_seed = 1;
    let mut iface = Interface::new(config, &mut link, SmolInstant::ZERO);
    iface.update_ip_addrs(|addrs| addrs.push(IpCidr::new(IpAddress::Ipv4(Ipv4Addr::new(192, 0, 2, 2)), 24)).unwrap());
    let (mut sockets, mut ports) = (SocketSet::new(vec![]), 49152);
    let token = request(
        &mut link,
        &mut iface,
        &mut sockets,
        &mut ports,
        b"PUT /latest/api/token HTTP/1.1\r\nHost: 192.0.2.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\n\r\n",
    );
    let token = String::from_utf8(token).unwrap();
    assert!(token.starts_with("HTTP/1.1 200 OK\r\n"), "{token}");
    let token = token.rsplit("\r\n\r\n").next().unwrap().to_owned();
    let get = format!(
        "GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: 192.0.2.1\r\nX-aws-ec2-metadata-token: {token}\r\n\r\n"
    );
    let answer = request(&mut link, &mut iface, &mut sockets, &mut ports, get.as_bytes());
    let counts = server.join().unwrap(); // it stops by itself once the link is idle
    (answer, counts)
}

#[test]
fn the_service_answers_over_the_link_clean_and_lossy() {
    let dir = std::env::temp_dir().join(format!("imds-ethernet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (answer, counts) = run(&dir, LinkFaults::default());
    assert!(answer.ends_with(b"\r\n\r\ni-0a1b2c3d4e5f60718"), "{}", String::from_utf8_lossy(&answer));
    assert_eq!((counts.dropped, counts.reordered), (0, 0));
    assert!(counts.received > 0 && counts.sent > 0, "{counts:?}");

    let lossy = LinkFaults { drop_percent: 20, reorder_percent: 20, seed: 3 };
    let (answer, counts) = run(&dir, lossy);
    assert!(answer.ends_with(b"\r\n\r\ni-0a1b2c3d4e5f60718"), "{} ({counts:?})", String::from_utf8_lossy(&answer));
    assert!(counts.dropped > 0 || counts.reordered > 0, "{counts:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
