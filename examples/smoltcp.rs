//! The client driven through smoltcp, in an in-process network: one smoltcp
//! interface on a loopback device, a TCP socket pool on port 80 serving the
//! emulated metadata service, and the client's TCP socket talking to it. Time is
//! simulated (1 ms per idle step), so the run is deterministic and touches no OS
//! networking.
//!
//!     cargo run --example smoltcp --features std

use imds::BodyMode;
use imds::wire::MAX_REQUEST_LEN;
use imds::{Action, Client, Config, Endpoint, Instant, Operation};
use imds_emulator::{Answer, Options, Service};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

const SERVER_PORT: u16 = 80;
const SERVER_SOCKETS: usize = 4;

fn tcp_socket() -> tcp::Socket<'static> {
    tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 8192]), tcp::SocketBuffer::new(vec![0; 8192]))
}

/// The metadata service on a pool of listening smoltcp sockets.
struct Server {
    service: Service,
    sockets: Vec<(SocketHandle, Vec<u8>, Vec<u8>)>,
}

impl Server {
    fn step(&mut self, sockets: &mut SocketSet<'_>) {
        for (handle, input, output) in &mut self.sockets {
            let socket = sockets.get_mut::<tcp::Socket>(*handle);
            if !socket.is_open() {
                input.clear();
                output.clear();
                socket.listen(SERVER_PORT).expect("listen");
                continue;
            }
            while socket.can_recv() {
                socket.recv(|data| (data.len(), input.extend_from_slice(data))).expect("recv");
            }
            if output.is_empty()
                && let Answer::Reply { consumed, bytes, close } = self.service.answer(input)
            {
                input.drain(..consumed);
                output.extend_from_slice(&bytes);
                if close {
                    output.push(0); // marker: close once sent
                }
            }
            let close = output.last() == Some(&0) && output.len() > 1;
            let payload = if close { output.len() - 1 } else { output.len() };
            if payload > 0 && socket.can_send() {
                let sent = socket.send_slice(&output[..payload]).expect("send");
                output.drain(..sent);
            }
            if output == &[0] {
                output.clear();
                socket.close();
            }
        }
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

fn main() {
    let mut device = Loopback::new(Medium::Ip);
    let mut iface = Interface::new(IfaceConfig::new(HardwareAddress::Ip), &mut device, SmolInstant::ZERO);
    iface.update_ip_addrs(|addrs| addrs.push(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8)).expect("address"));
    let mut sockets = SocketSet::new(vec![]);
    let mut server = Server {
        service: Service::new(Options::default()),
        sockets: (0..SERVER_SOCKETS).map(|_| (sockets.add(tcp_socket()), Vec::new(), Vec::new())).collect(),
    };
    let mut driver = Driver {
        handle: sockets.add(tcp_socket()),
        local_port: 49152,
        tx: vec![0; MAX_REQUEST_LEN],
        pending: (0, 0),
        rx: vec![0; 4096],
        body: Vec::new(),
    };
    let endpoint = Endpoint::parse("http://127.0.0.1:80").expect("endpoint");
    let mut client = Client::new(Config::with_endpoint(endpoint), 1);

    let mut ms: u64 = 0;
    let paths = [
        "/latest/meta-data/instance-id",
        "/latest/meta-data/placement/region",
        "/latest/meta-data/public-keys/",
        "/latest/user-data",
    ];
    for path in paths {
        let mode = if path.ends_with("user-data") { BodyMode::Streaming } else { BodyMode::Contiguous };
        let mut operation = client.get(Instant::from_millis(ms), path, mode);
        driver.body.clear();
        loop {
            let timestamp = SmolInstant::from_millis(ms as i64);
            iface.poll(timestamp, &mut device, &mut sockets);
            server.step(&mut sockets);
            if driver.step(&mut operation, &mut iface, &mut sockets, Instant::from_millis(ms)) {
                break;
            }
            ms += 1;
            assert!(ms < 60_000, "the simulated run should finish within a minute of simulated time");
        }
        let answer = operation.answer(&driver.rx).expect("answer");
        let body = if mode == BodyMode::Streaming { &driver.body[..] } else { answer.body };
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).replace('\n', "\\n");
        println!("{path}: {} ({} bytes) {shown}", answer.status, body.len());
    }
    println!(
        "{} requests over smoltcp, {} token(s), {ms} ms of simulated time",
        server.service.requests(),
        server.service.tokens_issued()
    );
    assert_eq!(server.service.requests(), paths.len() + 1, "one token for the whole run");
}
