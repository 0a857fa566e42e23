//! A `no_std`, `no_main` binary that uses the whole public API of `imds`, built for
//! the host with `panic = "abort"` and no global allocator. If anything in the
//! dependency graph links std, the build fails with "duplicate lang item
//! `panic_impl`"; if anything needs alloc, with "no global memory allocator found".
//! `imds::verify` is in too (feature `verify`).
#![no_std]
#![no_main]

#[cfg(feature = "leak-std")]
extern crate std;

use core::hint::black_box;
use core::ops::ControlFlow;

use imds::driver::{Clock, ManualClock, MemoryTransport, run, walk};
use imds::parse::Listing;
use imds::wire::{Decoder, Limits, MAX_REQUEST_LEN, Progress, Reader, Request};
use imds::{BodyMode, Client, Config, Endpoint, Token, TokenTtl, Walk, WalkLimits, path};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nami-id\n\r\n5\r\niam/\n\r\n0\r\n\r\n";

const TOKEN: &[u8] =
    b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 5\r\n\r\ntoken";

/// A whole session: token, GET, through the blocking driver.
fn session() -> usize {
    let mut client = Client::new(Config::default(), 9);
    let mut transport =
        MemoryTransport::new(|request: &[u8]| Some(if request.starts_with(b"PUT") { TOKEN } else { RESPONSE }));
    let mut clock = ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 512]);
    let mut operation = client.get(clock.now(), black_box("/latest/meta-data/"), BodyMode::Contiguous);
    let listed = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).map_or(0, |a| a.body.len());
    // And a whole walk: the listing, then its two entries.
    let mut pending = [0u8; 256];
    let mut visits = 0;
    if let Ok(mut tree) = Walk::new(clock.now(), "/latest/meta-data/", WalkLimits::DEFAULT, &mut pending) {
        let _ = walk(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut tree, |_| {
            visits += 1;
            ControlFlow::Continue(())
        });
    }
    listed * visits
}

/// The same session through the `async` driver, on a hand-rolled executor.
fn async_session() -> usize {
    use core::task::{Context, Poll, Waker};
    use core::time::Duration;
    use imds::driver::TransportError;
    use imds::driver::asynch::{AsyncClock, AsyncTransport};

    struct Ready<T>(T);
    impl<T: imds::driver::Transport> AsyncTransport for Ready<T> {
        async fn connect(&mut self, endpoint: &Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
            self.0.connect(endpoint, timeout)
        }
        async fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
            self.0.write_all(bytes, timeout)
        }
        async fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            self.0.read(buf, timeout)
        }
        async fn close(&mut self) {
            self.0.close()
        }
    }
    impl AsyncClock for Ready<ManualClock> {
        fn now(&mut self) -> imds::Instant {
            self.0.now
        }
        async fn sleep_until(&mut self, until: imds::Instant) {
            self.0.sleep_until(until)
        }
    }

    let mut client = Client::new(Config::default(), 9);
    let mut transport =
        Ready(MemoryTransport::new(|request: &[u8]| Some(if request.starts_with(b"PUT") { TOKEN } else { RESPONSE })));
    let mut clock = Ready(ManualClock::default());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 512]);
    let mut operation = client.get(clock.now(), black_box("/latest/meta-data/"), BodyMode::Contiguous);
    let future = imds::driver::asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
    let mut future = core::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(answer) = future.as_mut().poll(&mut context) {
            return answer.map_or(0, |a| a.body.len());
        }
    }
}

/// Documents, timestamps, the catalog, the configuration and the flows.
fn typed() -> usize {
    let mut total = 0;
    let credentials = black_box(
        &br#"{"Code":"Success","AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-26T21:47:55Z"}"#[..],
    );
    if let Ok(c) = imds::parse::Credentials::parse(credentials) {
        total += c.access_key_id.unescaped_len() + c.expiration.unix_seconds() as usize % 7;
    }
    if let Ok(doc) = imds::parse::IdentityDocument::parse(black_box(br#"{"region":"eu-west-1","kernelId":null}"#)) {
        total += doc.region.map_or(0, |r| r.unescaped_len());
    }
    total += imds::parse::MaintenanceEvents::parse(black_box(b"[]")).map_or(0, |e| usize::from(e.is_empty()));
    total += imds::parse::Timestamp::parse_event_time(black_box("21 Jan 2019 09:00:43 GMT")).map_or(0, |_| 1);
    total += imds::catalog::tag(black_box("Name")).map_or(0, |p| p.len());
    let settings =
        imds::sdk_config::Settings { endpoint: Some(black_box("http://127.0.0.1:1338")), ..Default::default() };
    total += imds::sdk_config::resolve(&settings).map_or(0, |r| usize::from(r.endpoint.port()));
    // A region through the flow, over the in-memory transport.
    let mut client = Client::new(Config::default(), 3);
    let mut transport = MemoryTransport::new(|request: &[u8]| {
        Some(if request.starts_with(b"PUT") {
            TOKEN
        } else {
            &b"HTTP/1.1 200 OK
Content-Length: 9

eu-west-1"[..]
        })
    });
    let mut clock = ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 512]);
    let mut region = imds::RegionFlow::new();
    total += imds::driver::complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut region)
        .map_or(0, str::len);
    let mut flow = imds::CredentialsFlow::new();
    let _ = imds::driver::complete(
        &mut client,
        &mut transport,
        &mut clock,
        &mut tx,
        &mut rx,
        &mut flow.fetch(imds::parse::Timestamp::UNIX_EPOCH),
    );
    total
}

/// Both identity-document checks, on the emulator's signed document.
fn verified() -> usize {
    const DOCUMENT: &[u8] = include_bytes!("../../emulator/identity/document");
    const RSA2048: &[u8] = include_bytes!("../../emulator/identity/rsa2048");
    const SIGNATURE: &[u8] = include_bytes!("../../emulator/identity/signature");
    const RSA2048_CERTIFICATE: &[u8] = include_bytes!("../../emulator/identity/test-rsa2048-cert.pem");
    const RSA_CERTIFICATE: &[u8] = include_bytes!("../../emulator/identity/test-rsa-cert.der");
    let mut scratch = [0u8; imds::verify::scratch_len(RSA2048.len(), RSA2048_CERTIFICATE.len())];
    let ok = |result: Result<(), imds::verify::VerifyError>| usize::from(result.is_ok());
    let rsa2048 = imds::verify::rsa2048(black_box(DOCUMENT), RSA2048, RSA2048_CERTIFICATE, &mut scratch);
    let signature = imds::verify::signature(black_box(DOCUMENT), SIGNATURE, RSA_CERTIFICATE, &mut scratch);
    ok(rsa2048) * ok(signature)
}

fn exercise() -> usize {
    let mut total = 0;
    let endpoint = Endpoint::parse(black_box("http://[::1]:8080")).unwrap_or(Endpoint::IPV6);
    let mut tx = [0u8; MAX_REQUEST_LEN];
    let token = Token::new(black_box(b"AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==")).ok();
    let ttl = TokenTtl::new(black_box(21600)).unwrap_or(TokenTtl::MAX);
    for request in [Request::PutToken { ttl }, Request::Get { path: "/latest/meta-data/", token: token.as_ref() }] {
        total += request.encode(&endpoint, Some("imds"), &mut tx).unwrap_or(0);
    }

    let mut decoder = Decoder::new(Limits::DEFAULT);
    let mut input = black_box(RESPONSE);
    while let Ok((consumed, decoded)) = decoder.decode(input, true) {
        input = input.get(consumed..).unwrap_or_default();
        if decoded == imds::wire::Decoded::End {
            break;
        }
    }

    let mut rx = [0u8; 256];
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    let mut wire = black_box(RESPONSE);
    while let Ok(progress) = reader.poll(&mut rx) {
        if progress != Progress::NeedMore {
            if progress == Progress::Complete {
                break;
            }
            continue;
        }
        let Ok(spare) = reader.spare(&mut rx) else { break };
        let n = spare.len().min(wire.len());
        spare.get_mut(..n).unwrap_or_default().copy_from_slice(wire.get(..n).unwrap_or_default());
        wire = wire.get(n..).unwrap_or_default();
        if n == 0 {
            reader.eof()
        } else if reader.received(n).is_err() {
            break;
        }
    }
    if let Some(body) = reader.response(&rx).map(|r| r.body()) {
        let mut buf = [0u8; path::MAX_PATH_LEN];
        for entry in Listing::parse("/latest/meta-data/", body).into_iter().flatten() {
            total += entry.join(&mut buf).map_or(0, str::len);
        }
    }
    #[cfg(feature = "leak-alloc")]
    {
        extern crate alloc;
        total += alloc::vec![1u8; total].len();
    }
    total
}

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // 0 when everything above did its job.
    let all = [exercise(), session(), async_session(), typed(), verified()];
    if all.iter().all(|&n| black_box(n) > 0) { 0 } else { 1 }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// Referenced by the precompiled `core` even with `panic = "abort"`.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
