//! Transports over `embedded-io` streams: [`IoTransport`] (feature
//! `embedded-io`, for the blocking driver) and
//! [`AsyncIoTransport`](super::asynch::AsyncIoTransport) (feature
//! `embedded-io-async`, for the `async` one). Each wraps a stream and the
//! function that opens one to an endpoint (a TCP socket of your network stack,
//! a serial link, a test double); closing drops the stream.

#[cfg(feature = "embedded-io")]
use core::time::Duration;

use embedded_io::ErrorKind;

#[cfg(feature = "embedded-io")]
use crate::endpoint::Endpoint;
use crate::transport::TransportError;

/// What an `embedded-io` error means to the client.
pub(super) fn transport_error(kind: ErrorKind) -> TransportError {
    match kind {
        ErrorKind::ConnectionRefused => TransportError::Refused,
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::BrokenPipe
        | ErrorKind::WriteZero => TransportError::Reset,
        ErrorKind::TimedOut => TransportError::TimedOut,
        ErrorKind::AddrNotAvailable | ErrorKind::NotFound => TransportError::Unreachable,
        ErrorKind::Unsupported => TransportError::Unsupported,
        _ => TransportError::Other,
    }
}

/// A blocking [`Transport`](super::Transport) over `embedded_io::{Read, Write}`
/// streams that `open` makes (feature `embedded-io`).
///
/// `embedded-io` has no timeouts: each step is bounded by the stream's own
/// (set them when `open` makes it; `open` gets the connect timeout). A write
/// that makes no progress is [`TransportError::Reset`] (never a panic), an
/// `ErrorKind::TimedOut` is [`TransportError::TimedOut`].
#[cfg(feature = "embedded-io")]
pub struct IoTransport<S, F> {
    stream: Option<S>,
    open: F,
}

#[cfg(feature = "embedded-io")]
impl<S, F> IoTransport<S, F>
where
    S: embedded_io::Read + embedded_io::Write,
    F: FnMut(&Endpoint<'_>, Duration) -> Result<S, TransportError>,
{
    /// A transport that opens its streams with `open`.
    pub fn new(open: F) -> Self {
        IoTransport { stream: None, open }
    }

    /// The open stream, if any.
    pub fn stream(&mut self) -> Option<&mut S> {
        self.stream.as_mut()
    }
}

#[cfg(feature = "embedded-io")]
impl<S, F> super::Transport for IoTransport<S, F>
where
    S: embedded_io::Read + embedded_io::Write,
    F: FnMut(&Endpoint<'_>, Duration) -> Result<S, TransportError>,
{
    fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
        self.stream = None;
        self.stream = Some((self.open)(endpoint, timeout)?);
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), TransportError> {
        use embedded_io::Error as _;
        let stream = self.stream.as_mut().ok_or(TransportError::Reset)?;
        let mut rest = bytes;
        while !rest.is_empty() {
            match stream.write(rest) {
                Ok(0) => return Err(TransportError::Reset),
                Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                Err(e) => return Err(transport_error(e.kind())),
            }
        }
        stream.flush().map_err(|e| transport_error(e.kind()))
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        use embedded_io::Error as _;
        let stream = self.stream.as_mut().ok_or(TransportError::Reset)?;
        stream.read(buf).map_err(|e| transport_error(e.kind()))
    }

    fn close(&mut self) {
        self.stream = None;
    }
}

#[cfg(feature = "embedded-io-async")]
pub(super) mod asynch {
    use core::future::{Future, poll_fn};
    use core::pin::pin;
    use core::task::Poll;
    use core::time::Duration;

    use embedded_io_async::Error as _;

    use super::transport_error;
    use crate::endpoint::Endpoint;
    use crate::transport::TransportError;
    use crate::transport::{AsyncClock, AsyncTransport};

    /// An [`AsyncTransport`] over `embedded_io_async::{Read, Write}` streams
    /// that `open` makes (feature `embedded-io-async`): each step is raced
    /// against `clock` and ends in [`TransportError::TimedOut`] when its
    /// timeout passes first. A write that makes no progress is
    /// [`TransportError::Reset`] (never a panic).
    pub struct AsyncIoTransport<S, F, C> {
        stream: Option<S>,
        open: F,
        clock: C,
    }

    impl<S, F, C> AsyncIoTransport<S, F, C>
    where
        S: embedded_io_async::Read + embedded_io_async::Write,
        F: AsyncFnMut(&Endpoint<'_>) -> Result<S, TransportError>,
        C: AsyncClock,
    {
        /// A transport that opens its streams with `open` and bounds every
        /// step with `clock`.
        pub fn new(open: F, clock: C) -> Self {
            AsyncIoTransport { stream: None, open, clock }
        }

        /// The open stream, if any.
        pub fn stream(&mut self) -> Option<&mut S> {
            self.stream.as_mut()
        }
    }

    /// `work`, or [`TransportError::TimedOut`] once `timeout` has passed on `clock`.
    async fn within<T>(
        clock: &mut impl AsyncClock,
        timeout: Duration,
        work: impl Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        let until = clock.now().saturating_add(timeout);
        let mut work = pin!(work);
        let mut expiry = pin!(clock.sleep_until(until));
        poll_fn(|context| {
            if let Poll::Ready(result) = work.as_mut().poll(context) {
                return Poll::Ready(result);
            }
            match expiry.as_mut().poll(context) {
                Poll::Ready(()) => Poll::Ready(Err(TransportError::TimedOut)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    impl<S, F, C> AsyncTransport for AsyncIoTransport<S, F, C>
    where
        S: embedded_io_async::Read + embedded_io_async::Write,
        F: AsyncFnMut(&Endpoint<'_>) -> Result<S, TransportError>,
        C: AsyncClock,
    {
        async fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
            self.stream = None;
            let AsyncIoTransport { open, clock, stream } = self;
            *stream = Some(within(clock, timeout, open(endpoint)).await?);
            Ok(())
        }

        async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
            let AsyncIoTransport { stream, clock, .. } = self;
            let stream = stream.as_mut().ok_or(TransportError::Reset)?;
            let write = async {
                let mut rest = bytes;
                while !rest.is_empty() {
                    match stream.write(rest).await {
                        Ok(0) => return Err(TransportError::Reset),
                        Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                        Err(e) => return Err(transport_error(e.kind())),
                    }
                }
                stream.flush().await.map_err(|e| transport_error(e.kind()))
            };
            within(clock, timeout, write).await
        }

        async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            let AsyncIoTransport { stream, clock, .. } = self;
            let stream = stream.as_mut().ok_or(TransportError::Reset)?;
            within(clock, timeout, async { stream.read(buf).await.map_err(|e| transport_error(e.kind())) }).await
        }

        async fn close(&mut self) {
            self.stream = None;
        }
    }
}
