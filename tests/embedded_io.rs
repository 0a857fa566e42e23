//! The `embedded-io` transports: the blocking driver over an
//! `embedded_io::{Read, Write}` stream and the `async` one over an
//! `embedded_io_async` stream, both talking to the emulator's sans-IO service;
//! timeouts, refused connections and streams that make no progress.

#![cfg(all(feature = "embedded-io", feature = "embedded-io-async"))]

#[allow(dead_code)]
mod support {
    pub mod sim;
}

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use embedded_io::ErrorKind;
use imds::driver::asynch::{self, AsyncClock, AsyncIoTransport};
use imds::driver::{IoTransport, ManualClock, TransportError, run};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, Endpoint, ErrorKind as Kind, Instant, TimeoutKind};
use imds_emulator::{Answer, Options, Service};
use support::sim::block_on;

/// A connection to the emulated service: what is written is answered into
/// what is read. `stall` keeps every answer back (reads block, or stay pending).
struct Connection {
    service: Service,
    input: Vec<u8>,
    output: VecDeque<u8>,
    closing: bool,
    stall: bool,
    write_zero: bool,
}

impl Connection {
    fn new(service: &Service) -> Connection {
        Connection {
            service: service.clone(),
            input: Vec::new(),
            output: VecDeque::new(),
            closing: false,
            stall: false,
            write_zero: false,
        }
    }

    fn take_input(&mut self, bytes: &[u8]) -> usize {
        if self.write_zero {
            return 0;
        }
        self.input.extend_from_slice(bytes);
        while let Answer::Reply { consumed, bytes, close } = self.service.answer(&self.input) {
            self.input.drain(..consumed);
            if !self.stall {
                self.output.extend(bytes);
            }
            self.closing |= close;
        }
        bytes.len()
    }

    /// What a read gives now: bytes, end of stream, or nothing yet (`None`).
    fn give_output(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.output.is_empty() {
            return (self.closing && !self.stall).then_some(0);
        }
        let n = buf.len().min(self.output.len());
        for (slot, byte) in buf.iter_mut().zip(self.output.drain(..n)) {
            *slot = byte;
        }
        Some(n)
    }
}

impl embedded_io::ErrorType for Connection {
    type Error = ErrorKind;
}

impl embedded_io::Write for Connection {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        Ok(self.take_input(buf))
    }
    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

impl embedded_io::Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        // A blocking stream with a read timeout of its own.
        self.give_output(buf).ok_or(ErrorKind::TimedOut)
    }
}

impl embedded_io_async::Write for Connection {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        Ok(self.take_input(buf))
    }
    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

impl embedded_io_async::Read for Connection {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        match self.give_output(buf) {
            Some(n) => Ok(n),
            None => std::future::pending().await, // no timeout of its own
        }
    }
}

fn service() -> Service {
    Service::new(Options::default())
}

#[test]
fn the_blocking_driver_over_an_embedded_io_stream() {
    let service = service();
    let connects = Cell::new(0);
    let mut transport = IoTransport::new(|endpoint: &Endpoint<'_>, _timeout| {
        assert_eq!(endpoint, &Endpoint::IPV4);
        connects.set(connects.get() + 1);
        Ok(Connection::new(&service))
    });
    let mut client = Client::new(Config::DEFAULT, 1);
    let mut clock = ManualClock::new(Instant::ZERO);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    for _ in 0..2 {
        let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
        assert_eq!(answer.body, b"i-0a1b2c3d4e5f60718");
    }
    assert_eq!((service.tokens_issued(), connects.get()), (1, 3), "one token, a connection per request");

    // A stream whose answers never come: its own timeout, then the retries.
    let mut stalled =
        IoTransport::new(|_: &Endpoint<'_>, _| Ok(Connection { stall: true, ..Connection::new(&service) }));
    let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let error = run(&mut operation, &mut stalled, &mut clock, &mut tx, &mut rx, |_| {}).unwrap_err();
    assert_eq!(error.kind, Kind::Timeout(TimeoutKind::Read));

    // A stream that takes no bytes: a reset, not a panic.
    let mut stuck =
        IoTransport::new(|_: &Endpoint<'_>, _| Ok(Connection { write_zero: true, ..Connection::new(&service) }));
    let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let error = run(&mut operation, &mut stuck, &mut clock, &mut tx, &mut rx, |_| {}).unwrap_err();
    assert_eq!(error.kind, Kind::Transport(TransportError::Reset));

    // Refused.
    let mut refused = IoTransport::new(|_: &Endpoint<'_>, _| -> Result<Connection, _> { Err(TransportError::Refused) });
    let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let error = run(&mut operation, &mut refused, &mut clock, &mut tx, &mut rx, |_| {}).unwrap_err();
    assert_eq!((error.kind, error.attempts), (Kind::Transport(TransportError::Refused), 4));
}

/// A clock shared by the driver and the transport (it bounds each step).
#[derive(Clone)]
struct SharedClock(Rc<Cell<u64>>);

impl AsyncClock for SharedClock {
    fn now(&mut self) -> Instant {
        Instant::from_millis(self.0.get())
    }
    async fn sleep_until(&mut self, until: Instant) {
        self.0.set(self.0.get().max(until.as_millis()));
    }
}

#[test]
fn the_async_driver_over_an_embedded_io_async_stream() {
    let service = service();
    let clock = SharedClock(Rc::new(Cell::new(0)));
    let open = async |_: &Endpoint<'_>| Ok(Connection::new(&service));
    let mut transport = AsyncIoTransport::new(open, clock.clone());
    let mut client = Client::new(Config::DEFAULT, 1);
    let mut driver_clock = clock.clone();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    for _ in 0..2 {
        let mut operation = client.get(driver_clock.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let run = asynch::run(&mut operation, &mut transport, &mut driver_clock, &mut tx, &mut rx, |_| {});
        assert_eq!(block_on(run).unwrap().body, b"i-0a1b2c3d4e5f60718");
    }
    assert_eq!(service.tokens_issued(), 1);

    // A stream that never answers: the transport's race against the clock
    // ends each read at its timeout; the operation ends at the read timeout
    // of each attempt, after the retries.
    let open = async |_: &Endpoint<'_>| Ok(Connection { stall: true, ..Connection::new(&service) });
    let mut stalled = AsyncIoTransport::new(open, clock.clone());
    let start = clock.0.get();
    let mut operation = client.get(driver_clock.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let run = asynch::run(&mut operation, &mut stalled, &mut driver_clock, &mut tx, &mut rx, |_| {});
    let error = block_on(run).unwrap_err();
    assert_eq!((error.kind, error.attempts), (Kind::Timeout(TimeoutKind::Read), 4));
    let waited = Duration::from_millis(clock.0.get() - start);
    assert!(waited >= Duration::from_secs(4) && waited <= Duration::from_secs(10), "{waited:?}");

    // A stream that takes no bytes: a reset, not a panic.
    let open = async |_: &Endpoint<'_>| Ok(Connection { write_zero: true, ..Connection::new(&service) });
    let mut stuck = AsyncIoTransport::new(open, clock.clone());
    let mut operation = client.get(driver_clock.now(), "/latest/meta-data/instance-id", BodyMode::Contiguous);
    let run = asynch::run(&mut operation, &mut stuck, &mut driver_clock, &mut tx, &mut rx, |_| {});
    assert_eq!(block_on(run).unwrap_err().kind, Kind::Transport(TransportError::Reset));
}
