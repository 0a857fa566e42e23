//! `std` transport and clock (feature `std`): a blocking [`TcpStream`] with real
//! connect and read timeouts, and the system's monotonic clock.

extern crate std;

use core::time::Duration;
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};

use crate::client::TransportError;
use crate::driver::{Clock, Transport};
use crate::endpoint::{Endpoint, Host, Scheme};
use crate::time::Instant;

/// Plain TCP to the endpoint. Refuses `https` endpoints with
/// [`TransportError::Unsupported`]: it has no TLS.
#[derive(Debug, Default)]
pub struct TcpTransport {
    stream: Option<TcpStream>,
}

impl TcpTransport {
    /// No connection yet.
    pub fn new() -> TcpTransport {
        TcpTransport { stream: None }
    }

    fn stream(&mut self) -> Result<&mut TcpStream, TransportError> {
        self.stream.as_mut().ok_or(TransportError::Reset)
    }
}

fn io_error(e: &std::io::Error) -> TransportError {
    match e.kind() {
        IoKind::ConnectionRefused => TransportError::Refused,
        IoKind::ConnectionReset | IoKind::ConnectionAborted | IoKind::BrokenPipe | IoKind::UnexpectedEof => {
            TransportError::Reset
        }
        IoKind::TimedOut | IoKind::WouldBlock => TransportError::TimedOut,
        IoKind::HostUnreachable | IoKind::NetworkUnreachable | IoKind::AddrNotAvailable | IoKind::NotFound => {
            TransportError::Unreachable
        }
        _ => TransportError::Other,
    }
}

impl Transport for TcpTransport {
    fn connect(&mut self, endpoint: &Endpoint, timeout: Duration) -> Result<(), TransportError> {
        self.stream = None;
        if endpoint.scheme() == Scheme::Https {
            return Err(TransportError::Unsupported);
        }
        let addrs: std::vec::Vec<SocketAddr> = match endpoint.host() {
            Host::Ip(ip) => std::vec![SocketAddr::new(*ip, endpoint.port())],
            Host::Name(name) => {
                (name.as_str(), endpoint.port()).to_socket_addrs().map_err(|_| TransportError::Unreachable)?.collect()
            }
        };
        let mut last = TransportError::Unreachable;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    self.stream = Some(stream);
                    return Ok(());
                }
                Err(e) => last = io_error(&e),
            }
        }
        Err(last)
    }

    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let stream = self.stream()?;
        stream.set_write_timeout(Some(timeout.max(Duration::from_millis(1)))).map_err(|e| io_error(&e))?;
        stream.write_all(bytes).map_err(|e| io_error(&e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let stream = self.stream()?;
        stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))).map_err(|e| io_error(&e))?;
        loop {
            match stream.read(buf) {
                Err(e) if e.kind() == IoKind::Interrupted => continue,
                result => return result.map_err(|e| io_error(&e)),
            }
        }
    }

    fn close(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Milliseconds since this clock was made, from [`std::time::Instant`].
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: std::time::Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> SystemClock {
        SystemClock { origin: std::time::Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&mut self) -> Instant {
        Instant::from_millis(self.origin.elapsed().as_millis() as u64)
    }

    fn sleep_until(&mut self, until: Instant) {
        let now = self.now();
        std::thread::sleep(until.saturating_duration_since(now));
    }
}
