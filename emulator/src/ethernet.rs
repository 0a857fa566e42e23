//! The emulator on a smoltcp TCP/IP stack (feature `ethernet`): [`SocketPool`]
//! serves the sans-IO [`Service`] from smoltcp sockets on any device, and
//! [`serve_unix_link`] runs it on an Ethernet link whose frames travel as
//! datagrams on a unix socket, as QEMU's `-netdev dgram` with unix addresses
//! carries them. No IP socket of the host is opened: the firmware's TCP ends in
//! this process's smoltcp.
//!
//! [`LinkFaults`] drops and reorders frames (seeded), both ways, so TCP's
//! retransmissions and the client's own retries are exercised.

use std::io;
use std::net::Ipv4Addr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

use crate::{Answer, Service};

/// The metadata service on a pool of listening smoltcp TCP sockets.
pub struct SocketPool {
    service: Service,
    port: u16,
    /// Each socket with the request bytes it received and the response bytes
    /// still to send (and whether to close once they are sent).
    sockets: Vec<(SocketHandle, Vec<u8>, Vec<u8>, bool)>,
}

impl SocketPool {
    /// The service on the TCP sockets `handles` (of a `SocketSet`), listening on `port`.
    pub fn new(service: Service, port: u16, handles: impl IntoIterator<Item = SocketHandle>) -> SocketPool {
        let sockets = handles.into_iter().map(|handle| (handle, Vec::new(), Vec::new(), false)).collect();
        SocketPool { service, port, sockets }
    }

    /// A TCP socket of `buffer` bytes each way that gives up on a peer silent
    /// for `timeout`, freeing itself.
    pub fn socket(buffer: usize, timeout: Duration) -> tcp::Socket<'static> {
        let (rx, tx) = (tcp::SocketBuffer::new(vec![0; buffer]), tcp::SocketBuffer::new(vec![0; buffer]));
        let mut socket = tcp::Socket::new(rx, tx);
        socket.set_timeout(Some(smoltcp::time::Duration::from_micros(timeout.as_micros() as u64)));
        socket
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Moves requests and responses between the sockets and the service.
    pub fn step(&mut self, sockets: &mut SocketSet<'_>) {
        for (handle, input, output, close) in &mut self.sockets {
            let socket = sockets.get_mut::<tcp::Socket>(*handle);
            if !socket.is_open() {
                input.clear();
                output.clear();
                *close = false;
                let _ = socket.listen(self.port);
                continue;
            }
            while socket.can_recv() {
                let _ = socket.recv(|data| (data.len(), input.extend_from_slice(data)));
            }
            if output.is_empty()
                && !*close
                && let Answer::Reply { consumed, bytes, close: then_close } = self.service.answer(input)
            {
                input.drain(..consumed.min(input.len()));
                *output = bytes;
                *close = then_close;
            }
            if !output.is_empty() && socket.can_send() {
                let sent = socket.send_slice(output).unwrap_or(0);
                output.drain(..sent);
            }
            if output.is_empty() && *close {
                socket.close();
                *close = false;
            }
            if !socket.may_recv() && output.is_empty() && socket.state() == tcp::State::CloseWait {
                socket.close(); // the client closed first
            }
        }
    }
}

/// Frames dropped and reordered on the link, in percent of the frames each
/// way, drawn from `seed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkFaults {
    /// Frames lost.
    pub drop_percent: u8,
    /// Frames held back and sent after the next one.
    pub reorder_percent: u8,
    /// The seed of the draws.
    pub seed: u64,
}

/// What crossed the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounts {
    /// Frames received from the peer.
    pub received: u64,
    /// Frames sent to the peer.
    pub sent: u64,
    /// Frames dropped by [`LinkFaults`] (either way).
    pub dropped: u64,
    /// Frames reordered by [`LinkFaults`].
    pub reordered: u64,
}

/// An Ethernet device whose frames are datagrams on a unix socket, one frame
/// per datagram, to and from `peer`.
pub struct UnixLink {
    socket: UnixDatagram,
    peer: PathBuf,
    faults: LinkFaults,
    draws: u64,
    held: Option<Vec<u8>>,
    frame: Vec<u8>,
    counts: LinkCounts,
}

impl UnixLink {
    /// Binds `path` (removing a stale socket file there first) and sends to `peer`.
    pub fn bind(path: &Path, peer: &Path, faults: LinkFaults) -> io::Result<UnixLink> {
        let _ = std::fs::remove_file(path);
        let socket = UnixDatagram::bind(path)?;
        socket.set_nonblocking(true)?;
        let draws = faults.seed ^ 0x9e37_79b9_7f4a_7c15;
        let link = UnixLink {
            socket,
            peer: peer.to_owned(),
            faults,
            draws,
            held: None,
            frame: vec![0; 2048],
            counts: LinkCounts::default(),
        };
        Ok(link)
    }

    /// What crossed so far.
    pub fn counts(&self) -> LinkCounts {
        self.counts
    }

    /// True with `percent` % probability (xorshift64*).
    fn draw(&mut self, percent: u8) -> bool {
        if percent == 0 {
            return false;
        }
        self.draws ^= self.draws >> 12;
        self.draws ^= self.draws << 25;
        self.draws ^= self.draws >> 27;
        (self.draws.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % 100 < u64::from(percent)
    }

    fn send(&mut self, frame: &[u8]) {
        if self.draw(self.faults.drop_percent) {
            self.counts.dropped += 1;
            return;
        }
        if self.held.is_none() && self.draw(self.faults.reorder_percent) {
            self.counts.reordered += 1;
            self.held = Some(frame.to_vec());
            return;
        }
        // A peer not there yet (or gone) loses the frame, as a cable would.
        if self.socket.send_to(frame, &self.peer).is_ok() {
            self.counts.sent += 1;
        }
        self.flush(); // a frame held back goes after this one
    }

    /// Sends the frame held for reordering, if any (after the next frame, or
    /// at the end of a poll when no other came to pass it).
    fn flush(&mut self) {
        if let Some(held) = self.held.take()
            && self.socket.send_to(&held, &self.peer).is_ok()
        {
            self.counts.sent += 1;
        }
    }
}

/// A received frame.
pub struct Rx(Vec<u8>);

/// Room for a frame to send.
pub struct Tx<'a>(&'a mut UnixLink);

impl smoltcp::phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl smoltcp::phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let result = f(&mut frame);
        self.0.send(&frame);
        result
    }
}

impl Device for UnixLink {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: SmolInstant) -> Option<(Rx, Tx<'_>)> {
        loop {
            let n = self.socket.recv(&mut self.frame).ok()?;
            self.counts.received += 1;
            if self.draw(self.faults.drop_percent) {
                self.counts.dropped += 1;
                continue;
            }
            let frame = self.frame[..n].to_vec();
            return Some((Rx(frame), Tx(self)));
        }
    }

    fn transmit(&mut self, _: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

/// Where and how [`serve_unix_link`] runs.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// The unix datagram socket this side binds.
    pub socket: PathBuf,
    /// The peer's socket (QEMU's `local.path`).
    pub peer: PathBuf,
    /// This side's MAC address.
    pub mac: [u8; 6],
    /// This side's address (the metadata service's, as the firmware sees it).
    pub ip: Ipv4Addr,
    /// The link's prefix length.
    pub prefix: u8,
    /// The service's TCP port.
    pub port: u16,
    /// Drops and reordering.
    pub faults: LinkFaults,
    /// Stop after this long (the service's own bounds stop it too).
    pub lifetime: Duration,
    /// Stop once no frame has come for this long, after the first one (the
    /// peer is done).
    pub idle: Duration,
}

impl Default for LinkOptions {
    /// 02:00:00:00:00:01 at 192.0.2.1/24 (RFC 5737's documentation range),
    /// port 80, 120 s, 5 s idle.
    fn default() -> LinkOptions {
        LinkOptions {
            socket: PathBuf::new(),
            peer: PathBuf::new(),
            mac: [0x02, 0, 0, 0, 0, 0x01],
            ip: Ipv4Addr::new(192, 0, 2, 1),
            prefix: 24,
            port: 80,
            faults: LinkFaults::default(),
            lifetime: Duration::from_secs(120),
            idle: Duration::from_secs(5),
        }
    }
}

/// Serves `service` on the link until `options.lifetime` is over, the link
/// has been idle for `options.idle` after its first frame, or the service
/// stops (its request or time bound): what crossed the link.
pub fn serve_unix_link(service: Service, options: &LinkOptions) -> io::Result<LinkCounts> {
    let link = UnixLink::bind(&options.socket, &options.peer, options.faults)?;
    Ok(serve(link, service, options))
}

/// [`serve_unix_link`] on a link already bound (its `socket`, `peer` and
/// `faults` options are the link's own).
pub fn serve(mut link: UnixLink, service: Service, options: &LinkOptions) -> LinkCounts {
    let started = Instant::now();
    let now = || SmolInstant::from_micros(i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX));
    let mut config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(options.mac)));
    config.random_seed = options.faults.seed;
    let mut iface = Interface::new(config, &mut link, now());
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(options.ip), options.prefix));
    });
    let mut sockets = SocketSet::new(Vec::new());
    let handles: Vec<_> = (0..4).map(|_| sockets.add(SocketPool::socket(4096, Duration::from_secs(10)))).collect();
    let mut pool = SocketPool::new(service.clone(), options.port, handles);
    let mut last_frame = (0, Instant::now());
    while started.elapsed() < options.lifetime && !service.stopped() {
        if link.counts.received != last_frame.0 {
            last_frame = (link.counts.received, Instant::now());
        } else if last_frame.0 > 0 && last_frame.1.elapsed() >= options.idle {
            break;
        }
        iface.poll(now(), &mut link, &mut sockets);
        pool.step(&mut sockets);
        iface.poll(now(), &mut link, &mut sockets);
        link.flush();
        let wait = iface
            .poll_delay(now(), &sockets)
            .map_or(Duration::from_millis(1), |d| Duration::from_micros(d.total_micros()));
        // Frames wake nothing here (the socket is non-blocking): a short nap.
        std::thread::sleep(wait.min(Duration::from_micros(500)));
    }
    let _ = std::fs::remove_file(&options.socket);
    link.counts()
}
