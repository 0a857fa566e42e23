//! The tokio transport and clock (feature `tokio`), for the `async` drivers
//! ([`crate::driver::asynch`]) on a tokio runtime.

extern crate std;

use core::time::Duration;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::io_error;
use crate::endpoint::{Endpoint, Host, Scheme};
use crate::time::Instant;
use crate::transport::TransportError;
use crate::transport::{AsyncClock, AsyncTransport};

/// Plain TCP to the endpoint on tokio: each step bounded with
/// `tokio::time::timeout`. Refuses `https` endpoints with
/// [`TransportError::Unsupported`]. An IP-literal endpoint is connected to
/// directly; a host name is resolved with `tokio::net::lookup_host`, all of
/// its addresses within the one connect timeout.
#[derive(Debug, Default)]
pub struct TokioTransport {
    stream: Option<TcpStream>,
    /// One timer for every step, reset for each: made at the first step, not
    /// per request.
    timer: Option<core::pin::Pin<std::boxed::Box<tokio::time::Sleep>>>,
}

impl TokioTransport {
    /// No connection yet.
    pub fn new() -> TokioTransport {
        TokioTransport::default()
    }
}

/// The first address of `addrs` that connects; the last error otherwise.
async fn connect_any(addrs: impl IntoIterator<Item = SocketAddr>) -> Result<TcpStream, TransportError> {
    let mut last = TransportError::Unreachable;
    for addr in addrs {
        // A socket of the address's family, connected directly: no trip
        // through `ToSocketAddrs` for an address already known.
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
        };
        match async { socket?.connect(addr).await }.await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = io_error(&e),
        }
    }
    Err(last)
}

/// `io`, or [`TransportError::TimedOut`] once `within` has passed on `timer`.
async fn bounded<T>(
    timer: &mut Option<core::pin::Pin<std::boxed::Box<tokio::time::Sleep>>>,
    within: Duration,
    io: impl core::future::Future<Output = Result<T, TransportError>>,
) -> Result<T, TransportError> {
    let mut io = core::pin::pin!(io);
    let mut armed = false;
    core::future::poll_fn(|context| {
        if let core::task::Poll::Ready(result) = io.as_mut().poll(context) {
            return core::task::Poll::Ready(result);
        }
        // Not ready at once: only now is the clock read and the timer set (a
        // write into an empty socket buffer never needs either). This first
        // poll runs when the step starts, so the deadline is the step's.
        let timer = match timer {
            Some(timer) if armed => timer,
            Some(timer) => {
                timer.as_mut().reset(tokio::time::Instant::now() + within);
                timer
            }
            None => timer.insert(std::boxed::Box::pin(tokio::time::sleep(within))),
        };
        armed = true;
        timer.as_mut().poll(context).map(|()| Err(TransportError::TimedOut))
    })
    .await
}

impl AsyncTransport for TokioTransport {
    async fn connect(&mut self, endpoint: &Endpoint<'_>, within: Duration) -> Result<(), TransportError> {
        self.stream = None;
        if endpoint.scheme() == Scheme::Https {
            return Err(TransportError::Unsupported);
        }
        let connecting = async {
            match endpoint.host() {
                Host::Ip(ip) => connect_any([SocketAddr::new(*ip, endpoint.port())]).await,
                Host::Name(name) => {
                    let addrs = tokio::net::lookup_host((*name, endpoint.port()))
                        .await
                        .map_err(|_| TransportError::Unreachable)?;
                    connect_any(addrs).await
                }
            }
        };
        self.stream = Some(bounded(&mut self.timer, within, connecting).await?);
        Ok(())
    }

    async fn write_all(&mut self, bytes: &[u8], within: Duration) -> Result<(), TransportError> {
        let stream = self.stream.as_mut().ok_or(TransportError::Reset)?;
        bounded(&mut self.timer, within, async { stream.write_all(bytes).await.map_err(|e| io_error(&e)) }).await
    }

    async fn read(&mut self, buf: &mut [u8], within: Duration) -> Result<usize, TransportError> {
        let stream = self.stream.as_mut().ok_or(TransportError::Reset)?;
        bounded(&mut self.timer, within, async { stream.read(buf).await.map_err(|e| io_error(&e)) }).await
    }

    async fn close(&mut self) {
        self.stream = None;
    }
}

/// Milliseconds since this clock was made, from tokio's clock (which a test
/// may pause and advance).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is now. Needs a tokio runtime with time enabled.
    pub fn new() -> TokioClock {
        TokioClock { origin: tokio::time::Instant::now() }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock::new()
    }
}

impl AsyncClock for TokioClock {
    fn now(&mut self) -> Instant {
        Instant::from_elapsed(self.origin.elapsed())
    }

    async fn sleep_until(&mut self, until: Instant) {
        let deadline = self.origin.checked_add(Duration::from_millis(until.as_millis()));
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => core::future::pending().await, // centuries away
        }
    }
}
