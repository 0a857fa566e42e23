//! embassy (feature `embassy`): [`EmbassyTransport`], the `async` transport
//! over one embassy-net TCP socket, and [`EmbassyClock`], embassy-time's clock.
//! No allocation, no executor of their own: they run wherever embassy runs.

use core::time::Duration;

use embassy_net::IpAddress;
use embassy_net::tcp::{ConnectError, TcpSocket};

use crate::endpoint::{Endpoint, Host, Scheme};
use crate::time::Instant;
use crate::transport::TransportError;
use crate::transport::{AsyncClock, AsyncTransport};

/// An [`AsyncTransport`] over one embassy-net [`TcpSocket`], reused for every
/// connection (aborted, its RST sent, then connected again). IPv4 endpoints
/// only (embassy-net's `proto-ipv4`); a host name or an IPv6 address is
/// [`TransportError::Unsupported`], as is `https`. Each step is bounded with
/// embassy-time.
pub struct EmbassyTransport<'a> {
    socket: TcpSocket<'a>,
}

impl<'a> EmbassyTransport<'a> {
    /// A transport on `socket` (its buffers bound what one request and one
    /// read can hold: a 1 KiB receive buffer and a 1 KiB transmit buffer suffice).
    pub fn new(socket: TcpSocket<'a>) -> EmbassyTransport<'a> {
        EmbassyTransport { socket }
    }

    /// The socket.
    pub fn socket(&mut self) -> &mut TcpSocket<'a> {
        &mut self.socket
    }

    /// Ends the current connection at once, and waits (a second at most) for
    /// its RST to go out, so the socket can connect again.
    async fn abort(&mut self) {
        self.socket.abort();
        let _ = embassy_time::with_timeout(embassy_time::Duration::from_secs(1), self.socket.flush()).await;
    }
}

/// `duration` in embassy-time's ticks (saturating).
fn ticks(duration: Duration) -> embassy_time::Duration {
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    embassy_time::Duration::try_from_millis(ms).unwrap_or(embassy_time::Duration::MAX)
}

impl AsyncTransport for EmbassyTransport<'_> {
    async fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
        self.abort().await;
        let ip = match (endpoint.scheme(), endpoint.host()) {
            (Scheme::Http, Host::Ip(core::net::IpAddr::V4(ip))) => IpAddress::Ipv4(*ip),
            _ => return Err(TransportError::Unsupported),
        };
        match embassy_time::with_timeout(ticks(timeout), self.socket.connect((ip, endpoint.port()))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(ConnectError::ConnectionReset)) => Err(TransportError::Refused),
            Ok(Err(ConnectError::NoRoute)) => Err(TransportError::Unreachable),
            Ok(Err(ConnectError::TimedOut)) | Err(_) => Err(TransportError::TimedOut),
            Ok(Err(_)) => Err(TransportError::Other),
        }
    }

    async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let socket = &mut self.socket;
        let write = async {
            let mut rest = bytes;
            while !rest.is_empty() {
                match socket.write(rest).await {
                    Ok(0) | Err(_) => return Err(TransportError::Reset),
                    Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                }
            }
            Ok(())
        };
        embassy_time::with_timeout(ticks(timeout), write).await.map_err(|_| TransportError::TimedOut)?
    }

    async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        match embassy_time::with_timeout(ticks(timeout), self.socket.read(buf)).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(_)) => Err(TransportError::Reset),
            Err(_) => Err(TransportError::TimedOut),
        }
    }

    async fn close(&mut self) {
        self.abort().await;
    }
}

/// embassy-time's clock: milliseconds since boot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmbassyClock;

impl AsyncClock for EmbassyClock {
    fn now(&mut self) -> Instant {
        Instant::from_millis(embassy_time::Instant::now().as_millis())
    }

    async fn sleep_until(&mut self, until: Instant) {
        match embassy_time::Instant::try_from_millis(until.as_millis()) {
            Some(at) => embassy_time::Timer::at(at).await,
            None => core::future::pending().await, // beyond embassy-time's range
        }
    }
}
