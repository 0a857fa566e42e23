//! The transport contract: what a driver needs from the network and from a
//! clock ([`Transport`] and [`Clock`], [`AsyncTransport`] and [`AsyncClock`]
//! for `async` code), and what a transport reports when a step fails
//! ([`TransportError`]). One floor below the session: the client knows the
//! errors, the drivers know the traits, neither knows the other's insides.
//! Re-exported from [`crate::driver`] and [`crate::driver::asynch`].

use core::fmt;
use core::time::Duration;

use crate::endpoint::Endpoint;
use crate::time::Instant;

/// What a transport reports when an I/O step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TransportError {
    /// The connection was refused (nothing listens).
    Refused,
    /// The connection was reset or broken while writing or reading.
    Reset,
    /// The step did not finish in time.
    TimedOut,
    /// The host could not be resolved or reached.
    Unreachable,
    /// The transport cannot do what the endpoint asks (an `https` endpoint on a
    /// plain TCP transport). Not retried.
    Unsupported,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::Refused => "connection refused",
            TransportError::Reset => "connection reset",
            TransportError::TimedOut => "timed out",
            TransportError::Unreachable => "host unreachable",
            TransportError::Unsupported => "the transport cannot speak this endpoint's scheme (https needs TLS)",
            TransportError::Other => "transport error",
        })
    }
}

impl core::error::Error for TransportError {}

/// A byte stream to the metadata service, one connection at a time.
///
/// Each step is bounded by its `timeout`, and must not give up earlier:
/// `read` returns [`TransportError::TimedOut`] only once `timeout` has passed
/// without a byte. ([`run`](crate::driver::run) copes with a transport that returns early anyway: it
/// takes the early timeout as the deadline's and waits it out on the [`Clock`],
/// instead of calling `read` again at once.)
pub trait Transport {
    /// Opens a connection (closing any previous one).
    fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError>;
    /// Writes all of `bytes`.
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError>;
    /// Reads at least one byte into `buf`, or returns 0 at end of stream.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Closes the connection, if any.
    fn close(&mut self);
}

/// Where time comes from, and how to wait.
pub trait Clock {
    /// The current time.
    fn now(&mut self) -> Instant;
    /// Returns at `until` or later.
    fn sleep_until(&mut self, until: Instant);
}

/// A byte stream to the metadata service, one connection at a time, for
/// `async` code: [`Transport`]'s contract, each step a
/// future bounded by its `timeout` (and not giving up earlier).
#[allow(async_fn_in_trait)]
pub trait AsyncTransport {
    /// Opens a connection (closing any previous one).
    async fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError>;
    /// Writes all of `bytes`.
    async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError>;
    /// Reads at least one byte into `buf`, or returns 0 at end of stream.
    async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Closes the connection, if any.
    async fn close(&mut self);
}

/// Where time comes from, and how to wait, for `async` code.
#[allow(async_fn_in_trait)]
pub trait AsyncClock {
    /// The current time.
    fn now(&mut self) -> Instant;
    /// Completes at `until` or later.
    async fn sleep_until(&mut self, until: Instant);
}

/// Time left until `deadline`, at least 1 ms (a zero timeout means "forever" to
/// some socket APIs).
pub(crate) fn until(now: Instant, deadline: Instant) -> Duration {
    deadline.saturating_duration_since(now).max(Duration::from_millis(1))
}
