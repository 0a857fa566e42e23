//! The client driven through smoltcp, in an in-process network: one smoltcp
//! interface on a loopback device, a TCP socket pool on port 80 serving the
//! emulated metadata service, and the client's TCP socket talking to it. Time is
//! simulated (1 ms per idle step), so the run is deterministic and touches no OS
//! networking.
//!
//! Then the same network through smoltcp's `phy::FaultInjector` (seeded): 10%
//! of the packets dropped, 5% corrupted (TCP and IP checksums on, so a
//! corrupted packet is dropped too), every packet at a 1,000-byte size limit,
//! and 1,000 GETs whose bodies must all equal the service's own.
//!
//!     cargo run --example smoltcp --features std

use imds::BodyMode;
use imds::wire::MAX_REQUEST_LEN;
use imds::{Action, Client, Config, Endpoint, Instant, Operation};
use imds_emulator::ethernet::SocketPool;
use imds_emulator::{Options, Service};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{ChecksumCapabilities, Device, DeviceCapabilities, FaultInjector, Loopback, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

const SERVER_PORT: u16 = 80;
const SERVER_SOCKETS: usize = 8;

const SIZE_LIMIT: usize = 1000;

/// A socket that gives up on a peer whose packets are all lost, freeing itself.
fn tcp_socket() -> tcp::Socket<'static> {
    SocketPool::socket(8192, std::time::Duration::from_secs(3))
}

/// The loopback device with checksums computed and checked (smoltcp's
/// `Loopback` skips them) and a 1,000-byte MTU.
struct Checked(Loopback);

impl Device for Checked {
    type RxToken<'a> = <Loopback as Device>::RxToken<'a>;
    type TxToken<'a> = <Loopback as Device>::TxToken<'a>;

    fn receive(&mut self, at: SmolInstant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.0.receive(at)
    }
    fn transmit(&mut self, at: SmolInstant) -> Option<Self::TxToken<'_>> {
        self.0.transmit(at)
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = self.0.capabilities();
        caps.checksum = ChecksumCapabilities::default();
        caps.max_transmission_unit = SIZE_LIMIT;
        caps
    }
}

/// Drives an operation's actions on its smoltcp socket; returns true when done.
struct Driver {
    handle: SocketHandle,
    local_port: u16,
    tx: Vec<u8>,
    pending: (usize, usize),
    rx: Vec<u8>,
    body: Vec<u8>,
}

impl Driver {
    fn step(
        &mut self,
        operation: &mut Operation<'_, '_, '_>,
        iface: &mut Interface,
        sockets: &mut SocketSet<'_>,
        now: Instant,
    ) -> bool {
        let socket = sockets.get_mut::<tcp::Socket>(self.handle);
        match operation.poll(now, &mut self.rx).expect("poll") {
            Action::Connect { .. } => {
                if !socket.is_open() {
                    self.local_port += 1;
                    let remote = (IpAddress::v4(127, 0, 0, 1), SERVER_PORT);
                    socket.connect(iface.context(), remote, self.local_port).expect("connect");
                }
                if socket.may_send() {
                    operation.connected(now).expect("connected");
                }
            }
            Action::Wait { .. } => {
                if socket.may_send() {
                    let _ = operation.connected(now);
                }
            }
            Action::Send { .. } => {
                if self.pending.1 == 0 {
                    let n = operation.encode(&mut self.tx).expect("encode");
                    self.pending = (0, n);
                }
                if socket.can_send() {
                    let (from, to) = self.pending;
                    self.pending.0 += socket.send_slice(&self.tx[from..to]).expect("send");
                } else if !socket.may_send() {
                    // Reset (or timed out) before the request went out.
                    self.pending = (0, 0);
                    operation.failed(now, imds::driver::TransportError::Reset).expect("failed");
                    return false;
                }
                if self.pending.0 == self.pending.1 {
                    self.pending = (0, 0);
                    operation.sent(now).expect("sent");
                }
            }
            Action::Receive { .. } => {
                if socket.can_recv() {
                    let spare = operation.receive_buffer(&mut self.rx).expect("room");
                    let n = socket.recv_slice(spare).expect("recv");
                    operation.received(now, n).expect("received");
                } else if !socket.may_recv() && socket.state() != tcp::State::SynSent {
                    operation.received_eof(now).expect("eof");
                }
            }
            Action::Piece(piece) => self.body.extend_from_slice(piece),
            Action::Close => socket.abort(),
            Action::Done => return true,
        }
        false
    }
}

/// The network: the interface, its sockets, the server and the client's driver.
struct Network<D: Device> {
    device: D,
    iface: Interface,
    sockets: SocketSet<'static>,
    server: SocketPool,
    driver: Driver,
    ms: u64,
}

impl<D: Device> Network<D> {
    fn new(mut device: D) -> Network<D> {
        let mut iface = Interface::new(IfaceConfig::new(HardwareAddress::Ip), &mut device, SmolInstant::ZERO);
        iface.update_ip_addrs(|addrs| addrs.push(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8)).expect("address"));
        let mut sockets = SocketSet::new(vec![]);
        let handles: Vec<_> = (0..SERVER_SOCKETS).map(|_| sockets.add(tcp_socket())).collect();
        let server = SocketPool::new(Service::new(Options::default()), SERVER_PORT, handles);
        let driver = Driver {
            handle: sockets.add(tcp_socket()),
            local_port: 49152,
            tx: vec![0; MAX_REQUEST_LEN],
            pending: (0, 0),
            rx: vec![0; 4096],
            body: Vec::new(),
        };
        Network { device, iface, sockets, server, driver, ms: 0 }
    }

    /// One GET of `path` through the network: the status and body, or the error.
    fn get(&mut self, client: &mut Client<'_>, path: &str) -> Result<(u16, Vec<u8>), imds::Error> {
        let mode = if path.ends_with("user-data") { BodyMode::Streaming } else { BodyMode::Contiguous };
        let mut operation = client.get(Instant::from_millis(self.ms), path, mode);
        self.driver.body.clear();
        let started = self.ms;
        loop {
            self.iface.poll(SmolInstant::from_millis(self.ms as i64), &mut self.device, &mut self.sockets);
            self.server.step(&mut self.sockets);
            let now = Instant::from_millis(self.ms);
            if self.driver.step(&mut operation, &mut self.iface, &mut self.sockets, now) {
                break;
            }
            self.ms += 1;
            assert!(self.ms - started < 120_000, "a GET should end within two minutes of simulated time");
        }
        let answer = operation.answer(&self.driver.rx)?;
        let body = if mode == BodyMode::Streaming { self.driver.body.clone() } else { answer.body.to_vec() };
        Ok((answer.status, body))
    }
}

fn main() {
    let endpoint = Endpoint::parse("http://127.0.0.1:80").expect("endpoint");
    let paths = [
        "/latest/meta-data/instance-id",
        "/latest/meta-data/placement/region",
        "/latest/meta-data/public-keys/",
        "/latest/user-data",
        "/latest/dynamic/instance-identity/document",
    ];

    // A clean network.
    let mut clean = Network::new(Loopback::new(Medium::Ip));
    let mut client = Client::new(Config::with_endpoint(endpoint), 1);
    let mut expected = Vec::new();
    for path in paths {
        let (status, body) = clean.get(&mut client, path).expect("a clean GET");
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).replace('\n', "\\n");
        println!("{path}: {status} ({} bytes) {shown}", body.len());
        expected.push((status, body));
    }
    let service = clean.server.service();
    println!(
        "{} requests over smoltcp, {} token(s), {} ms of simulated time",
        service.requests(),
        service.tokens_issued(),
        clean.ms
    );
    assert_eq!(service.requests(), paths.len() + 1, "one token for the whole run");

    // The same through FaultInjector: drops, corruption, a size limit.
    let mut faulty = FaultInjector::new(Checked(Loopback::new(Medium::Ip)), 0x1d5_2026);
    faulty.set_drop_chance(10);
    faulty.set_corrupt_chance(5);
    faulty.set_max_packet_size(SIZE_LIMIT);
    assert!(matches!(faulty.capabilities().checksum.tcp, smoltcp::phy::Checksum::Both), "TCP checksums on");
    let mut network = Network::new(faulty);
    let mut config = Config::with_endpoint(endpoint);
    config.read_timeout = std::time::Duration::from_secs(5);
    config.max_attempts = 8;
    config.operation_timeout = Some(std::time::Duration::from_secs(60));
    let mut client = Client::new(config, 2);
    let gets = 1000;
    for n in 0..gets {
        let got = network.get(&mut client, paths[n % paths.len()]);
        let summary = got.as_ref().map(|(status, body)| (*status, body.len()));
        assert!(
            got.as_ref().ok() == Some(&expected[n % paths.len()]),
            "GET {n} of {}: {summary:?}",
            paths[n % paths.len()]
        );
    }
    let service = network.server.service();
    println!(
        "{gets} GETs through FaultInjector (10% dropped, 5% corrupted, {SIZE_LIMIT}-byte packets), every body equal: \
         {} requests with the retries, {} token(s), {} s of simulated time",
        service.requests(),
        service.tokens_issued(),
        network.ms / 1000
    );
}
