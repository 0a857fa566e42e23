//! imds's blocking `Transport` and `Clock` on a smoltcp interface polled by
//! hand: every step polls the stack until it is done or its deadline passes,
//! and sleeping polls it too, so TCP keeps retransmitting and acknowledging.

use core::cell::RefCell;
use core::net::IpAddr;
use core::time::Duration;

use imds::driver::{Clock, Transport, TransportError};
use imds::{Endpoint, Host, Instant, Scheme};
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::IpAddress;

use crate::lan9118::Lan9118;

/// The stack: the card, the interface, one TCP socket for imds.
pub struct Net {
    pub device: &'static mut Lan9118,
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub tcp: SocketHandle,
    local_port: u16,
    /// Requests written (each is one connection, as EC2 closes after every answer).
    pub requests: usize,
}

impl Net {
    pub fn new(device: &'static mut Lan9118, iface: Interface, sockets: SocketSet<'static>, tcp: SocketHandle) -> Net {
        Net { device, iface, sockets, tcp, local_port: 49_152, requests: 0 }
    }

    /// Polls the stack once: the time, in milliseconds.
    pub fn poll(&mut self) -> u64 {
        let now = self.device.chip.now_ms();
        let at = SmolInstant::from_millis(i64::try_from(now).unwrap_or(i64::MAX));
        self.iface.poll(at, &mut *self.device, &mut self.sockets);
        now
    }

    fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(self.tcp)
    }

    /// Polls until `done` says yes (`Some`) or `deadline` passes (`None`).
    fn until<T>(&mut self, deadline: u64, mut done: impl FnMut(&mut tcp::Socket<'static>) -> Option<T>) -> Option<T> {
        loop {
            let now = self.poll();
            if let Some(result) = done(self.socket()) {
                return Some(result);
            }
            if now >= deadline {
                return None;
            }
        }
    }
}

fn deadline(net: &mut Net, timeout: Duration) -> u64 {
    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    net.device.chip.now_ms().saturating_add(ms)
}

/// The transport: the shared stack.
pub struct Link<'a>(pub &'a RefCell<Net>);

impl Transport for Link<'_> {
    fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
        let ip = match (endpoint.scheme(), endpoint.host()) {
            (Scheme::Http, Host::Ip(IpAddr::V4(ip))) => *ip,
            _ => return Err(TransportError::Unsupported),
        };
        let net = &mut *self.0.borrow_mut();
        let deadline = deadline(net, timeout);
        net.socket().abort();
        net.poll();
        net.local_port = if net.local_port == u16::MAX { 49_152 } else { net.local_port + 1 };
        let Net { iface, sockets, tcp, local_port, .. } = net;
        let socket = sockets.get_mut::<tcp::Socket>(*tcp);
        socket
            .connect(iface.context(), (IpAddress::Ipv4(ip), endpoint.port()), *local_port)
            .map_err(|_| TransportError::Other)?;
        let connected = net.until(deadline, |socket| match socket.state() {
            tcp::State::Established => Some(Ok(())),
            tcp::State::Closed => Some(Err(TransportError::Refused)),
            _ => None,
        });
        connected.unwrap_or_else(|| {
            net.socket().abort();
            Err(TransportError::TimedOut)
        })
    }

    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let net = &mut *self.0.borrow_mut();
        let deadline = deadline(net, timeout);
        net.requests += 1;
        let mut rest = bytes;
        let sent = net.until(deadline, |socket| {
            if !socket.may_send() {
                return Some(Err(TransportError::Reset));
            }
            let n = socket.send_slice(rest).unwrap_or(0);
            rest = rest.get(n..).unwrap_or_default();
            rest.is_empty().then_some(Ok(()))
        });
        sent.unwrap_or(Err(TransportError::TimedOut))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let net = &mut *self.0.borrow_mut();
        let deadline = deadline(net, timeout);
        let read = net.until(deadline, |socket| {
            if socket.can_recv() {
                return Some(socket.recv_slice(buf).map_err(|_| TransportError::Reset));
            }
            if !socket.is_active() {
                return Some(Err(TransportError::Reset)); // a reset, or never connected
            }
            (!socket.may_recv()).then_some(Ok(0)) // the server's FIN, all read
        });
        read.unwrap_or(Err(TransportError::TimedOut))
    }

    fn close(&mut self) {
        let net = &mut *self.0.borrow_mut();
        net.socket().close();
        let deadline = net.device.chip.now_ms() + 100;
        let _ = net.until(deadline, |socket| (!socket.is_active()).then_some(()));
    }
}

/// The clock: the card's free-running counter; sleeping keeps the stack polled.
#[cfg_attr(feature = "baseline", allow(dead_code))]
pub struct Time<'a>(pub &'a RefCell<Net>);

impl Clock for Time<'_> {
    fn now(&mut self) -> Instant {
        Instant::from_millis(self.0.borrow_mut().device.chip.now_ms())
    }

    fn sleep_until(&mut self, until: Instant) {
        let net = &mut *self.0.borrow_mut();
        while net.poll() < until.as_millis() {}
    }
}
