//! A blocking driver: the [`Client`] loop over a tiny [`Transport`] and a
//! [`Clock`]. No std needed; `std` adds [`crate::net::TcpTransport`] and
//! [`crate::net::SystemClock`].

use core::time::Duration;

use crate::client::{Action, Answer, Client, Error, TransportError};
use crate::endpoint::Endpoint;
use crate::time::Instant;

/// A byte stream to the metadata service, one connection at a time.
///
/// Timeouts are upper bounds: returning `Err(TransportError::TimedOut)` earlier
/// is fine, the client keeps its own deadlines.
pub trait Transport {
    /// Opens a connection (closing any previous one).
    fn connect(&mut self, endpoint: &Endpoint, timeout: Duration) -> Result<(), TransportError>;
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

/// Runs the operation started on `client` to its end through `transport`:
/// `tx` holds requests ([`crate::wire::MAX_REQUEST_LEN`] always suffices), `rx`
/// responses; streamed pieces go to `on_piece`. Returns the answer (a 2xx or a
/// 404) or the operation's error. A usage error (a buffer too small) cancels the
/// operation and closes the connection before it is returned.
pub fn run<'b, T: Transport, C: Clock>(
    client: &mut Client,
    transport: &mut T,
    clock: &mut C,
    tx: &mut [u8],
    rx: &'b mut [u8],
    mut on_piece: impl FnMut(&[u8]),
) -> Result<Answer<'b>, Error> {
    if let Err(e) = drive(client, transport, clock, tx, rx, &mut on_piece) {
        // A usage error (say a buffer too small): end the operation and the connection.
        client.cancel();
        transport.close();
        return Err(e);
    }
    client.answer(rx)
}

fn drive<T: Transport, C: Clock>(
    client: &mut Client,
    transport: &mut T,
    clock: &mut C,
    tx: &mut [u8],
    rx: &mut [u8],
    on_piece: &mut impl FnMut(&[u8]),
) -> Result<(), Error> {
    loop {
        let now = clock.now();
        match client.poll(now, rx)? {
            Action::Connect { deadline } => match transport.connect(client.endpoint(), until(now, deadline)) {
                Ok(()) => client.connected(clock.now())?,
                Err(e) => client.failed(clock.now(), e)?,
            },
            Action::Send { deadline } => {
                let n = client.encode(tx)?;
                match transport.write_all(tx.get(..n).unwrap_or_default(), until(now, deadline)) {
                    Ok(()) => client.sent(clock.now())?,
                    Err(e) => {
                        transport.close();
                        client.failed(clock.now(), e)?
                    }
                }
            }
            Action::Receive { deadline } => {
                let spare = client.receive_buffer(rx)?;
                match transport.read(spare, until(now, deadline)) {
                    Ok(0) => client.received_eof(clock.now())?,
                    Ok(n) => client.received(clock.now(), n)?,
                    // The client notices its deadline on the next poll.
                    Err(TransportError::TimedOut) => {}
                    Err(e) => {
                        transport.close();
                        client.failed(clock.now(), e)?
                    }
                }
            }
            Action::Wait { until } => clock.sleep_until(until),
            Action::Piece(piece) => on_piece(piece),
            Action::Close => transport.close(),
            Action::Done => return Ok(()),
        }
    }
}

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
    fn connect(&mut self, _: &Endpoint, _: Duration) -> Result<(), TransportError> {
        self.reply = None;
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8], _: Duration) -> Result<(), TransportError> {
        self.reply = (self.answer)(bytes);
        self.reply.map(|_| ()).ok_or(TransportError::Reset)
    }

    fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
        let reply = self.reply.as_mut().ok_or(TransportError::Reset)?;
        let n = reply.len().min(buf.len()).min(self.read_size);
        let (head, rest) = reply.split_at(n);
        buf.get_mut(..n).ok_or(TransportError::Other)?.copy_from_slice(head);
        *reply = rest;
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

/// Time left until `deadline`, at least 1 ms (a zero timeout means "forever" to
/// some socket APIs).
fn until(now: Instant, deadline: Instant) -> Duration {
    deadline.saturating_duration_since(now).max(Duration::from_millis(1))
}
