//! The drivers for `async` code, on any executor and without allocation: the
//! blocking drivers' loops (the same source, `.await`ed), over an
//! [`AsyncTransport`] and an [`AsyncClock`]: [`run`], [`walk`], [`complete`]
//! and [`watch`], with the same rules.
//!
//! The traits use `async fn` (stable Rust): a future is `Send` when the
//! transport's and clock's futures are, which a generic trait cannot promise
//! (hence `#[allow(async_fn_in_trait)]`); single-threaded executors (embassy)
//! need nothing of it.

use core::ops::ControlFlow;
use core::time::Duration;

#[cfg(feature = "embassy")]
pub use super::embassy::{EmbassyClock, EmbassyTransport};
#[cfg(feature = "embedded-io-async")]
pub use super::embedded_io::asynch::AsyncIoTransport;
use super::{TransportError, driving_loops, until};
use crate::client::{Action, Answer, Client, Error, Finished, Operation};
use crate::endpoint::Endpoint;
use crate::flow::{Flow, Step};
use crate::time::Instant;
use crate::walk::{Visit, Walk, WalkError};
use crate::watch::{Notice, Watch, WatchError};

/// A byte stream to the metadata service, one connection at a time, for
/// `async` code: [`Transport`](super::Transport)'s contract, each step a
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

driving_loops!([async] [.await] AsyncTransport AsyncClock);
