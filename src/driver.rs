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

/// Time left until `deadline`, at least 1 ms (a zero timeout means "forever" to
/// some socket APIs).
fn until(now: Instant, deadline: Instant) -> Duration {
    deadline.saturating_duration_since(now).max(Duration::from_millis(1))
}
