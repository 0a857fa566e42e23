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

use super::driving_loops;
#[cfg(feature = "embassy")]
pub use super::embassy::{EmbassyClock, EmbassyTransport};
#[cfg(feature = "embedded-io-async")]
pub use super::embedded_io::asynch::AsyncIoTransport;
use crate::client::{Action, Answer, Client, Error, Finished, Operation};
use crate::flow::{Flow, Step};
pub use crate::transport::{AsyncClock, AsyncTransport};
use crate::transport::{TransportError, until};
use crate::walk::{Visit, Walk, WalkError};
use crate::watch::{Notice, Watch, WatchError};

driving_loops!([async] [.await] AsyncTransport AsyncClock);
