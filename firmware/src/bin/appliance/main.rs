//! The appliance: imds's whole session on a Cortex-M4 (QEMU's `mps2-an386`),
//! over smoltcp on the board's LAN9118, to the project's emulator on the other
//! end of an Ethernet link (`firmware/net.sh`). The token `PUT` and a `GET`, a
//! walk of `/latest/meta-data/` within a node limit, the credentials flow, the
//! Region, and the identity document with its rsa2048 signature verified
//! against the emulator's test certificate. One line per step over
//! semihosting; exit 0 only when every step passed.
//!
//! With the feature `baseline`, the same firmware without imds: the card, the
//! stack and one raw TCP exchange, so `net.sh` can tell imds's share of the
//! flash.
#![no_std]
#![no_main]

mod lan9118;
mod link;
#[path = "../../stack.rs"]
mod stack;

use core::cell::RefCell;
use core::fmt::Write as _;
use core::net::{IpAddr, Ipv4Addr};

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet, SocketStorage};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

use lan9118::Lan9118;
use link::Net;
use stack::{high_water, paint};

/// This board's MAC (QEMU's `macaddr=`) and address; the service's address,
/// all in RFC 5737's documentation range.
const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
const ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const SERVICE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// TCP buffers: a small receive window, which the card's 10.5 KB RX FIFO
/// never overflows.
const TCP_RX: usize = 2048;
const TCP_TX: usize = 1024;
/// The receive buffer: the largest answer read (the rsa2048 body, 1.4 KB, and
/// its head).
#[cfg(not(feature = "baseline"))]
const RX: usize = 3072;
/// The walk's paths still to visit (1.2 KB at most for the emulated instance).
#[cfg(not(feature = "baseline"))]
const PENDING: usize = 2048;

/// Bytes of stack painted below the current one.
const PAINTED: usize = 48 * 1024;

struct Statics {
    device: Lan9118,
    socket_storage: [SocketStorage<'static>; 1],
    tcp_rx: [u8; TCP_RX],
    tcp_tx: [u8; TCP_TX],
    #[cfg(not(feature = "baseline"))]
    session: session::Buffers,
}

static mut STATICS: Statics = Statics {
    device: Lan9118::new(),
    socket_storage: [SocketStorage::EMPTY],
    tcp_rx: [0; TCP_RX],
    tcp_tx: [0; TCP_TX],
    #[cfg(not(feature = "baseline"))]
    session: session::Buffers::new(),
};

/// A line of output, formatted into a fixed buffer.
struct Line {
    bytes: [u8; 256],
    len: usize,
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Prints one line over semihosting.
fn say(args: core::fmt::Arguments<'_>) {
    let mut line = Line { bytes: [0; 256], len: 0 };
    let _ = line.write_fmt(args);
    let _ = line.write_str("\n");
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(&line.bytes[..line.len]);
    }
}

macro_rules! say {
    ($($arg:tt)*) => { say(format_args!($($arg)*)) };
}

fn fail(step: &str) -> ! {
    say!("appliance: {step}: FAILED");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[entry]
fn main() -> ! {
    let sp = paint::<PAINTED>();
    let (steps, requests, [received, sent, bad]) = appliance();
    let stack = high_water::<PAINTED>(sp);
    say!(
        "appliance: done: {requests} requests; steps {steps}; stack {stack} B; frames {received} in, {sent} out, {bad} bad"
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Everything, on the painted stack: the steps that passed, the requests
/// made, the frames received, sent and refused.
#[inline(never)]
fn appliance() -> (&'static str, usize, [u32; 3]) {
    // SAFETY: the only access to STATICS, before any interrupt exists.
    let statics = unsafe { &mut *core::ptr::addr_of_mut!(STATICS) };
    let Statics { device, socket_storage, tcp_rx, tcp_tx, .. } = statics;
    if device.chip.init(MAC).is_err() {
        fail("link (no LAN9118 answered at 0x4020_0000)");
    }
    let mut config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(MAC)));
    config.random_seed = 0x1d5_u64;
    let now = SmolInstant::from_millis(0);
    let mut iface = Interface::new(config, device, now);
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(ADDRESS), 24));
    });
    let mut sockets = SocketSet::new(&mut socket_storage[..]);
    let mut socket = tcp::Socket::new(tcp::SocketBuffer::new(&mut tcp_rx[..]), tcp::SocketBuffer::new(&mut tcp_tx[..]));
    socket.set_timeout(Some(smoltcp::time::Duration::from_secs(20)));
    let tcp = sockets.add(socket);
    let net = RefCell::new(Net::new(device, iface, sockets, tcp));
    // Literal addresses: core::net's Display would weigh 0.4 KiB of flash.
    say!("appliance: link up: LAN9118, 02:00:00:00:00:02, 192.0.2.2/24; the service at 192.0.2.1:80");

    #[cfg(not(feature = "baseline"))]
    let steps = session::steps(&net, &mut statics.session);
    #[cfg(feature = "baseline")]
    let steps = baseline(&net);

    let net = net.borrow();
    (steps, net.requests, net.device.chip.counts)
}

/// Without imds: one TCP exchange on the same socket, by hand.
#[cfg(feature = "baseline")]
fn baseline(net: &RefCell<Net>) -> &'static str {
    use imds::driver::Transport;
    let mut link = link::Link(net);
    let endpoint = imds::Endpoint::from_ip(IpAddr::V4(SERVICE), 80);
    let second = core::time::Duration::from_secs(5);
    let mut buf = [0u8; 512];
    let ok = link.connect(&endpoint, second).is_ok()
        && link.write_all(b"GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", second).is_ok()
        && link.read(&mut buf, second).is_ok_and(|n| n > 0);
    link.close();
    if !ok {
        fail("baseline exchange");
    }
    "baseline"
}

#[cfg(not(feature = "baseline"))]
mod session {
    use core::cell::RefCell;
    use core::ops::ControlFlow;
    use core::time::Duration;

    use imds::driver::{Clock, complete, run, walk};
    use imds::parse::{IdentityDocument, Timestamp};
    use imds::wire::MAX_REQUEST_LEN;
    use imds::{BodyMode, Client, Config, CredentialsFlow, Endpoint, RegionFlow, Visit, Walk, WalkLimits};

    use super::{IpAddr, Net, PENDING, RX, SERVICE, fail, say};
    use crate::link::{Link, Time};

    /// The emulator's test certificate for rsa2048 (DER, as a firmware keeps it in flash).
    const CERTIFICATE: &[u8] = include_bytes!("../../../../emulator/identity/test-rsa2048-cert.der");

    /// The caller's buffers, static.
    pub struct Buffers {
        client: Option<Client<'static>>,
        tx: [u8; MAX_REQUEST_LEN],
        rx: [u8; RX],
        pending: [u8; PENDING],
        document: [u8; 1024],
        scratch: [u8; 1536],
    }

    impl Buffers {
        pub const fn new() -> Buffers {
            Buffers {
                client: None,
                tx: [0; MAX_REQUEST_LEN],
                rx: [0; RX],
                pending: [0; PENDING],
                document: [0; 1024],
                scratch: [0; 1536],
            }
        }
    }

    /// FNV-1a over what the walk saw: equal runs see equal trees.
    fn fnv(hash: u32, bytes: &[u8]) -> u32 {
        bytes.iter().fold(hash, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }

    /// Every step, or `fail`: the steps that passed.
    pub fn steps(net: &RefCell<Net>, buffers: &mut Buffers) -> &'static str {
        let Buffers { client, tx, rx, pending, document, scratch } = buffers;
        let mut config = Config::with_endpoint(Endpoint::from_ip(IpAddr::V4(SERVICE), 80));
        // A link that loses frames: TCP's retransmissions (a second or more)
        // fit in each step, and a request has 8 attempts in a minute.
        config.connect_timeout = Duration::from_secs(3);
        config.read_timeout = Duration::from_secs(3);
        config.max_attempts = 8;
        config.operation_timeout = Some(Duration::from_secs(60));
        let client = client.insert(Client::new(config, 7));
        let (mut link, mut time) = (Link(net), Time(net));

        // The token PUT and a GET.
        let mut get = client.get(time.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let answer = run(&mut get, &mut link, &mut time, tx, rx, |_| {}).unwrap_or_else(|_| fail("token"));
        let mut instance_id = [0u8; 32];
        let id_len = answer.body.len().min(32);
        instance_id[..id_len].copy_from_slice(&answer.body[..id_len]);
        let instance_id = core::str::from_utf8(&instance_id[..id_len]).unwrap_or("?");
        say!(
            "appliance: token: ok (TTL {} s); instance-id {instance_id}",
            answer.token_ttl.map_or(0, |ttl| ttl.as_secs() as u32) // 32-bit: no 64-bit division for the digits
        );

        // The walk.
        let mut limits = WalkLimits::DEFAULT;
        (limits.max_nodes, limits.timeout) = (128, Some(Duration::from_secs(300)));
        let mut tree = Walk::new(time.now(), "/latest/meta-data/", limits, pending).unwrap_or_else(|_| fail("walk"));
        let (mut leaves, mut dirs, mut bytes, mut hash) = (0, 0, 0, 0x811c_9dc5);
        let walked = walk(client, &mut link, &mut time, tx, rx, &mut tree, |visit| {
            match visit {
                Visit::Leaf { path, body } => {
                    (leaves, bytes) = (leaves + 1, bytes + body.len());
                    hash = fnv(fnv(hash, path.as_bytes()), body);
                }
                Visit::Dir { path, .. } => {
                    dirs += 1;
                    hash = fnv(hash, path.as_bytes());
                }
                Visit::Missing { .. } => {}
            }
            ControlFlow::Continue(())
        });
        if walked.is_err() {
            fail("walk");
        }
        say!("appliance: walk: {leaves} leaves, {dirs} directories, {bytes} bytes; fnv {hash:08x}");

        // The credentials flow. No wall clock on this board: the answer's Date sets it right.
        let mut flow = CredentialsFlow::new();
        let mut fetch = flow.fetch(Timestamp::from_unix(0));
        let fetched =
            complete(client, &mut link, &mut time, tx, rx, &mut fetch).unwrap_or_else(|_| fail("credentials"));
        let key = fetched.credentials.access_key_id.as_bytes().len();
        if key != 20 || fetched.stale {
            fail("credentials");
        }
        say!(
            "appliance: credentials: access key id {key} bytes, expire at {} s on this board's clock (the service's Date set it {} s ahead)",
            fetched.expires_at.unix_seconds() as i32,
            fetched.clock_skew_secs as i32
        );
        imds::wipe(rx);

        // The Region.
        let mut region = [0u8; 32];
        let mut region_flow = RegionFlow::new();
        let found = complete(client, &mut link, &mut time, tx, rx, &mut region_flow).unwrap_or_else(|_| fail("region"));
        let region_len = found.len().min(32);
        region[..region_len].copy_from_slice(&found.as_bytes()[..region_len]);
        let region = core::str::from_utf8(&region[..region_len]).unwrap_or("?");
        say!("appliance: region: {region}");

        // The identity document, verified.
        let mut get = client.get(time.now(), "/latest/dynamic/instance-identity/document", BodyMode::Contiguous);
        let body = run(&mut get, &mut link, &mut time, tx, rx, |_| {}).unwrap_or_else(|_| fail("identity")).body;
        let doc_len = body.len();
        if doc_len > document.len() {
            fail("identity (document too long)");
        }
        document[..doc_len].copy_from_slice(body);
        let document = &document[..doc_len];
        let mut get = client.get(time.now(), "/latest/dynamic/instance-identity/rsa2048", BodyMode::Contiguous);
        let signature = run(&mut get, &mut link, &mut time, tx, rx, |_| {}).unwrap_or_else(|_| fail("identity")).body;
        if imds::verify::rsa2048(document, signature, CERTIFICATE, scratch).is_err() {
            fail("identity (rsa2048 did not verify)");
        }
        let parsed = IdentityDocument::parse(document).unwrap_or_else(|_| fail("identity (document)"));
        let same = parsed.instance_id.is_some_and(|id| id.eq_str(instance_id))
            && parsed.region.is_some_and(|r| r.eq_str(region));
        if !same {
            fail("identity (instance or Region differs)");
        }
        say!("appliance: identity: rsa2048 verified; instance {instance_id} in {region}, as fetched");
        "token, walk, credentials, region, identity verified"
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    say!("appliance: panic");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
