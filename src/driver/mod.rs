//! Drivers: the [`Client`] loop over a tiny blocking [`Transport`] and a
//! [`Clock`] ([`run`]), a whole [`Walk`] ([`walk`]), a [`Flow`] ([`complete`])
//! and a [`Watch`] ([`watch`]) over them; [`asynch`] has the same for `async`
//! code (these are those, run to completion). No std needed; `std` adds
//! [`crate::net::TcpTransport`] and [`crate::net::SystemClock`].

pub mod asynch;
#[cfg(feature = "embassy")]
mod embassy;
#[cfg(any(feature = "embedded-io", feature = "embedded-io-async"))]
mod embedded_io;
#[cfg(feature = "embedded-io")]
pub use embedded_io::IoTransport;

use core::ops::ControlFlow;
use core::time::Duration;

use crate::client::{Action, Answer, Client, Error, Finished, Operation};
use crate::endpoint::Endpoint;
use crate::flow::{Flow, Step};
use crate::time::Instant;
use crate::transport::until;
pub use crate::transport::{Clock, Transport, TransportError};
use crate::walk::{Visit, Walk, WalkError};
use crate::watch::{Notice, Watch, WatchError};

/// The driving loops, written once for both kinds of driver: the blocking ones
/// here (`driving_loops!([] [] Transport Clock)`) and the `async` ones in
/// [`asynch`] (`driving_loops!([async] [.await] AsyncTransport AsyncClock)`).
/// (Blocking code run through an `async` loop instead would carry the
/// compiler's "resumed after completion" panics, and their flash, into every
/// firmware.)
macro_rules! driving_loops {
    ([$($async:tt)*] [$($aw:tt)*] $Transport:ident $Clock:ident) => {
        /// [`run`], its answer not yet borrowing `rx` (for the loops that
        /// reuse `rx` after each answer).
        pub(super) $($async)* fn finish(
            operation: &mut Operation<'_, '_, '_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &mut [u8],
            on_piece: &mut impl FnMut(&[u8]),
        ) -> Result<Finished, Error> {
            if let Err(e) = drive(operation, transport, clock, tx, rx, on_piece) $($aw)* {
                // A usage error (say a buffer too small): the operation ends
                // here, and its connection with it.
                transport.close() $($aw)*;
                return Err(e);
            }
            operation.finished()
        }

        // One copy per transport and clock, not one per caller.
        #[inline(never)]
        $($async)* fn drive(
            op: &mut Operation<'_, '_, '_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &mut [u8],
            on_piece: &mut impl FnMut(&[u8]),
        ) -> Result<(), Error> {
            // The clock is read once after each step that takes time (I/O, a
            // wait, a piece handed out), not before every poll.
            let mut now = clock.now();
            loop {
                match op.poll(now, rx)? {
                    Action::Connect { deadline } => {
                        let connected = transport.connect(op.endpoint(), until(now, deadline)) $($aw)*;
                        now = clock.now();
                        match connected {
                            Ok(()) => op.connected(now)?,
                            Err(e) => op.failed(now, e)?,
                        }
                    }
                    Action::Send { deadline } => {
                        let n = op.encode(tx)?;
                        let request = tx.get_mut(..n).unwrap_or_default();
                        let written = transport.write_all(request, until(now, deadline)) $($aw)*;
                        $crate::buffer::wipe(request);
                        now = clock.now();
                        match written {
                            Ok(()) => op.sent(now)?,
                            Err(e) => {
                                transport.close() $($aw)*;
                                op.failed(now, e)?
                            }
                        }
                    }
                    Action::Receive { deadline } => {
                        let spare = op.receive_buffer(rx)?;
                        let read = transport.read(spare, until(now, deadline)) $($aw)*;
                        now = clock.now();
                        match read {
                            Ok(0) => op.received_eof(now)?,
                            Ok(n) => op.received(now, n)?,
                            // The deadline's timeout (or an early one, taken as
                            // it): the client notices on the next poll. Never a
                            // busy loop.
                            Err(TransportError::TimedOut) => {
                                clock.sleep_until(deadline) $($aw)*;
                                now = clock.now();
                            }
                            Err(e) => {
                                transport.close() $($aw)*;
                                op.failed(now, e)?
                            }
                        }
                    }
                    Action::Wait { until } => {
                        clock.sleep_until(until) $($aw)*;
                        now = clock.now();
                    }
                    Action::Piece(piece) => {
                        on_piece(piece);
                        now = clock.now();
                    }
                    Action::Close => transport.close() $($aw)*,
                    Action::Done => return Ok(()),
                }
            }
        }

        /// Runs `operation` (from [`Client::get`](crate::Client::get)) to
        /// its end through `transport`: `tx` holds requests
        /// ([`crate::wire::MAX_REQUEST_LEN`] always suffices), `rx`
        /// responses; streamed pieces go to `on_piece`. Returns the answer (a
        /// 2xx or a 404) or the operation's error. A usage error (a buffer
        /// too small) ends the operation and closes the connection before it
        /// is returned.
        ///
        /// Each request is zeroed in `tx` once written (it may carry the
        /// token); the client zeroes a token's response in `rx`. Answers stay
        /// in `rx` for you.
        pub $($async)* fn run<'b>(
            operation: &mut Operation<'_, '_, '_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &'b mut [u8],
            mut on_piece: impl FnMut(&[u8]),
        ) -> Result<Answer<'b>, Error> {
            let finished = finish(operation, transport, clock, tx, rx, &mut on_piece) $($aw)*?;
            Ok(finished.answer(rx))
        }

        /// Runs `walk` to its end through `client` and `transport`, one
        /// [`run`] per node, and hands every [`Visit`] to `on_visit` as it
        /// comes (the leaf's body borrows `rx` until the next node).
        /// `on_visit` returns [`ControlFlow::Break`] to stop early (the walk
        /// then ends with `Ok`). Buffers as for [`run`]; `rx` holds one body
        /// at a time.
        pub $($async)* fn walk(
            client: &mut Client<'_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &mut [u8],
            walk: &mut Walk<'_>,
            mut on_visit: impl FnMut(Visit<'_, '_>) -> ControlFlow<()>,
        ) -> Result<(), WalkError> {
            while let Some(mut operation) = walk.start_next(clock.now(), client)? {
                let outcome = finish(&mut operation, transport, clock, tx, rx, &mut |_| {}) $($aw)*;
                let now = clock.now();
                if on_visit(walk.visit(now, outcome.map(|done| done.answer(rx)))?).is_break() {
                    break;
                }
            }
            Ok(())
        }

        /// Runs `flow` to its end through `client` and `transport`, one
        /// [`run`] per `GET`, and returns its output (borrowing `rx`).
        /// Buffers as for [`run`].
        pub $($async)* fn complete<'b, F: Flow>(
            client: &mut Client<'_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &'b mut [u8],
            flow: &mut F,
        ) -> Result<F::Output<'b>, F::Error>
        where
            F::Error: From<Error>,
        {
            loop {
                let mut operation = flow.start(clock.now(), client)?;
                let outcome = finish(&mut operation, transport, clock, tx, rx, &mut |_| {}) $($aw)*;
                if flow.finish(clock.now(), outcome.map(|done| done.answer(rx)))? == Step::Done {
                    return flow.output(outcome?.answer(rx));
                }
            }
        }

        /// Runs `watch` through `client` and `transport`, sleeping on `clock`
        /// between rounds, and hands each new or changed notice to
        /// `on_notice` until it returns [`ControlFlow::Break`] (then `Ok`),
        /// or a poll fails (then its error: call again to go on, the watch
        /// remembers what it saw). Buffers as for [`run`].
        pub $($async)* fn watch(
            client: &mut Client<'_>,
            transport: &mut impl $Transport,
            clock: &mut impl $Clock,
            tx: &mut [u8],
            rx: &mut [u8],
            watch: &mut Watch,
            mut on_notice: impl FnMut(Notice<'_>) -> ControlFlow<()>,
        ) -> Result<(), WatchError> {
            loop {
                let now = clock.now();
                clock.sleep_until(watch.next_poll(now)) $($aw)*;
                let mut operation = watch.start(clock.now(), client)?;
                let outcome = finish(&mut operation, transport, clock, tx, rx, &mut |_| {}) $($aw)*;
                let now = clock.now();
                if let Some(notice) = watch.finish(now, outcome.map(|done| done.answer(rx)))?
                    && on_notice(notice).is_break()
                {
                    return Ok(());
                }
            }
        }
    };
}
use driving_loops;

driving_loops!([] [] Transport Clock);

/// An in-memory [`Transport`] for tests, benchmarks, fuzzers and examples:
/// `answer` maps the bytes of each request to the bytes of its response, or to
/// `None` to reset the connection. Reads hand out at most `read_size` bytes.
pub struct MemoryTransport<'a, F> {
    answer: F,
    reply: Option<&'a [u8]>,
    read_size: usize,
}

impl<'a, F: FnMut(&[u8]) -> Option<&'a [u8]>> MemoryTransport<'a, F> {
    /// A transport answering with `answer`, whole responses per read.
    pub fn new(answer: F) -> Self {
        MemoryTransport { answer, reply: None, read_size: usize::MAX }
    }

    /// Hands out at most `read_size` bytes (at least 1) per read.
    pub fn with_read_size(self, read_size: usize) -> Self {
        MemoryTransport { read_size: read_size.max(1), ..self }
    }
}

impl<'a, F: FnMut(&[u8]) -> Option<&'a [u8]>> Transport for MemoryTransport<'a, F> {
    fn connect(&mut self, _: &Endpoint<'_>, _: Duration) -> Result<(), TransportError> {
        self.reply = None;
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], _: Duration) -> Result<(), TransportError> {
        self.reply = (self.answer)(bytes);
        self.reply.map(|_| ()).ok_or(TransportError::Reset)
    }

    fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
        let reply = self.reply.as_mut().ok_or(TransportError::Reset)?;
        let n = crate::buffer::copy_into(buf, reply.get(..self.read_size).unwrap_or(reply));
        *reply = reply.get(n..).unwrap_or_default();
        Ok(n)
    }

    fn close(&mut self) {
        self.reply = None;
    }
}

/// A [`Clock`] that moves only when told: `sleep_until` jumps to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManualClock {
    /// The current time.
    pub now: Instant,
}

impl ManualClock {
    /// A clock at `now`.
    pub const fn new(now: Instant) -> ManualClock {
        ManualClock { now }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now.saturating_add(by);
    }
}

impl Clock for ManualClock {
    fn now(&mut self) -> Instant {
        self.now
    }

    fn sleep_until(&mut self, until: Instant) {
        self.now = self.now.max(until);
    }
}
