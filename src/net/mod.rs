//! `std` transport and clock (feature `std`): a blocking [`TcpStream`] with real
//! connect and read timeouts, and the system's monotonic clock; with feature
//! `tokio`, [`TokioTransport`] and [`TokioClock`] for the `async` drivers.

extern crate std;

use core::time::Duration;
use std::io::{self, ErrorKind as IoKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};

#[cfg(feature = "tokio")]
mod tokio_io;
#[cfg(feature = "tokio")]
pub use tokio_io::{TokioClock, TokioTransport};

use crate::endpoint::{Endpoint, Host, Scheme};
use crate::time::Instant;
use crate::transport::{Clock, Transport, TransportError};

/// Plain TCP to the endpoint. Refuses `https` endpoints with
/// [`TransportError::Unsupported`]: it has no TLS.
///
/// An IP-literal endpoint is connected to directly (no resolver, no
/// allocation); a host name is resolved by the system, and all of its addresses
/// share the one connect timeout. Socket timeouts are set only when they change,
/// so a GET on a kept-alive connection costs a write and a read.
#[derive(Debug, Default)]
pub struct TcpTransport {
    stream: Option<TcpStream>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// `set_*_timeout` calls made (for the tests).
    #[cfg(test)]
    timeout_calls: usize,
}

impl TcpTransport {
    /// No connection yet.
    pub fn new() -> TcpTransport {
        TcpTransport::default()
    }
}

fn io_error(e: &io::Error) -> TransportError {
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

/// Tries `addrs` in order until one connects, all within one `timeout`
/// measured by `elapsed`; the last error otherwise.
fn connect_within<S>(
    addrs: impl IntoIterator<Item = SocketAddr>,
    timeout: Duration,
    mut elapsed: impl FnMut() -> Duration,
    mut connect: impl FnMut(&SocketAddr, Duration) -> io::Result<S>,
) -> Result<S, TransportError> {
    let mut last = TransportError::Unreachable;
    for addr in addrs {
        let Some(left) = timeout.checked_sub(elapsed()).filter(|left| !left.is_zero()) else {
            return Err(TransportError::TimedOut);
        };
        match connect(&addr, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = io_error(&e),
        }
    }
    Err(last)
}

impl TcpTransport {
    /// The open stream, with its `which` timeout set to `timeout` if it differs.
    fn stream_with(&mut self, which: Which, timeout: Duration) -> Result<&mut TcpStream, TransportError> {
        let timeout = Some(timeout.max(Duration::from_millis(1)));
        let stream = self.stream.as_mut().ok_or(TransportError::Reset)?;
        let current = match which {
            Which::Read => &mut self.read_timeout,
            Which::Write => &mut self.write_timeout,
        };
        if *current != timeout {
            let set = match which {
                Which::Read => stream.set_read_timeout(timeout),
                Which::Write => stream.set_write_timeout(timeout),
            };
            set.map_err(|e| io_error(&e))?;
            *current = timeout;
            #[cfg(test)]
            {
                self.timeout_calls += 1;
            }
        }
        Ok(stream)
    }
}

#[derive(Clone, Copy)]
enum Which {
    Read,
    Write,
}

impl Transport for TcpTransport {
    fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
        self.close();
        if endpoint.scheme() == Scheme::Https {
            return Err(TransportError::Unsupported);
        }
        let timeout = timeout.max(Duration::from_millis(1));
        let stream = match endpoint.host() {
            Host::Ip(ip) => {
                TcpStream::connect_timeout(&SocketAddr::new(*ip, endpoint.port()), timeout).map_err(|e| io_error(&e))?
            }
            Host::Name(name) => {
                let started = std::time::Instant::now();
                let addrs = (*name, endpoint.port()).to_socket_addrs().map_err(|_| TransportError::Unreachable)?;
                connect_within(addrs, timeout, || started.elapsed(), TcpStream::connect_timeout)?
            }
        };
        // No TCP_NODELAY: a request is one write, made once the last response
        // was read in full, so Nagle's algorithm never holds it back.
        self.stream = Some(stream);
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        self.stream_with(Which::Write, timeout)?.write_all(bytes).map_err(|e| io_error(&e))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let stream = self.stream_with(Which::Read, timeout)?;
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
        self.read_timeout = None;
        self.write_timeout = None;
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
        Instant::from_elapsed(self.origin.elapsed())
    }

    fn sleep_until(&mut self, until: Instant) {
        let now = self.now();
        std::thread::sleep(until.saturating_duration_since(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::net::{Ipv4Addr, TcpListener};
    use std::vec::Vec;

    #[test]
    fn all_addresses_share_one_connect_timeout() {
        // Three addresses that each hang until their timeout (on a simulated clock).
        let addrs: Vec<SocketAddr> = (1..=3).map(|i| SocketAddr::from((Ipv4Addr::new(192, 0, 2, i), 80))).collect();
        let clock = Cell::new(Duration::ZERO);
        let mut given = Vec::new();
        let result = connect_within(
            addrs,
            Duration::from_millis(1000),
            || clock.get(),
            |_: &SocketAddr, timeout| -> io::Result<()> {
                given.push(timeout.as_millis());
                clock.set(clock.get() + timeout.min(Duration::from_millis(400)));
                Err(io::Error::from(IoKind::TimedOut))
            },
        );
        assert_eq!(result, Err(TransportError::TimedOut));
        assert_eq!(given, [1000, 600, 200], "what is left, not the whole timeout each");
        assert!(clock.get() <= Duration::from_millis(1000));
    }

    #[test]
    fn socket_timeouts_are_set_only_when_they_change() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let endpoint = Endpoint::from_ip(listener.local_addr().unwrap().ip(), listener.local_addr().unwrap().port());
        let mut transport = TcpTransport::new();
        transport.connect(&endpoint, Duration::from_secs(1)).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let second = Duration::from_secs(1);
        let mut buf = [0u8; 16];
        for _ in 0..3 {
            // A kept-alive GET: write the request, read the answer.
            transport.write_all(b"GET", second).unwrap();
            peer.write_all(b"ok").unwrap();
            assert_eq!(transport.read(&mut buf, second), Ok(2));
        }
        assert_eq!(transport.timeout_calls, 2, "one write and one read timeout for three GETs");
        transport.write_all(b"GET", Duration::from_millis(300)).unwrap();
        assert_eq!(transport.timeout_calls, 3, "a new value is set");
        transport.connect(&endpoint, second).unwrap();
        let _ = listener.accept().unwrap();
        transport.write_all(b"GET", Duration::from_millis(300)).unwrap();
        assert_eq!(transport.timeout_calls, 4, "a new connection starts afresh");
    }
}
