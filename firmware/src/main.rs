//! imds on a Cortex-M4: a token `PUT`, a `GET` of a chunked listing through
//! `driver::run`, the listing parsed and joined; then a `GET` with the cached
//! token on a painted stack, whose high-water mark is reported. With typed
//! documents in (features), their parses on a painted stack too, and the
//! stack of a document nested 1 and 16 deep. With `credentials-flow`, the
//! whole `CredentialsFlow` instead: token, extended role listing,
//! credentials, parse, as EC2 answers them. Semihosting prints the results
//! and exits (0 when the answers are right).
#![no_std]
#![no_main]

mod stack;

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use imds::driver::{ManualClock, MemoryTransport, complete, run};
use imds::parse::Listing;
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, path};
use stack::{high_water, paint};

const TOKEN: &[u8] =
    b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 56\r\nConnection: close\r\n\r\nAQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==";
const LISTING: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
7\r\nami-id\n\r\n5\r\niam/\n\r\n8\r\n0=my-key\r\n0\r\n\r\n";
const VALUE: &[u8] = b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21590\r\nContent-Type: text/plain\r\n\
Accept-Ranges: none\r\nContent-Length: 19\r\nServer: EC2ws\r\nConnection: close\r\n\r\ni-0a1b2c3d4e5f60718";

/// The receive buffer: a head and the largest body read (the credentials
/// document, 470 bytes, in the flow).
const RX: usize = if cfg!(feature = "credentials-flow") { 1024 } else { 512 };

/// Bytes of stack painted below the current one.
const PAINTED: usize = 32 * 1024;

/// The session, and the caller's buffers (and this program's own, for joined
/// paths and its output line): statics, so the stack measures imds, not the
/// buffers the caller sizes (docs/numbers.md, "Sizing a firmware").
struct Memory {
    client: Client<'static>,
    tx: [u8; MAX_REQUEST_LEN],
    rx: [u8; RX],
    joined: [u8; path::MAX_PATH_LEN],
    line: [u8; 240],
}

static mut MEMORY: Memory = Memory {
    client: Client::new(Config::DEFAULT, 7),
    tx: [0; MAX_REQUEST_LEN],
    rx: [0; RX],
    joined: [0; path::MAX_PATH_LEN],
    line: [0; 240],
};

/// The extended role listing and the role's credentials, as EC2 serves them.
const ROLE_LISTING: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\nimds-emulator-role";
const CREDENTIALS: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 470\r\nConnection: close\r\n\r\n{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-26T15:12:40Z\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAQ3EGRGZX7EXAMPLE\",\n  \"SecretAccessKey\" : \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\",\n  \"Token\" : \"IQoJb3JpZ2luX2VjEKj//////////wEaCXVzLWVhc3QtMSJHMEUCIQDhZ4exampleSessionTokenPartOneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\n  \"Expiration\" : \"2026-11-26T21:47:55Z\",\n  \"AccountId\" : \"123456789012\"\n}";

/// The emulated service: the response to `request`.
fn answer(request: &[u8]) -> Option<&'static [u8]> {
    // A byte loop, not `starts_with` (whose `memcmp` imds itself does not link).
    let starts = |prefix: &[u8]| request.len() >= prefix.len() && request.iter().zip(prefix).all(|(a, b)| a == b);
    Some(if starts(b"PUT") {
        TOKEN
    } else if starts(b"GET /latest/meta-data/ ") {
        LISTING
    } else if starts(b"GET /latest/meta-data/iam/security-credentials-extended/ ") {
        ROLE_LISTING
    } else if starts(b"GET /latest/meta-data/iam/security-credentials-extended/imds-emulator-role ") {
        CREDENTIALS
    } else {
        VALUE
    })
}

/// One GET through `driver::run`, the clock at `now_ms`: the body, in `rx`.
#[inline(never)]
fn fetch<'r>(
    client: &mut Client<'static>,
    tx: &mut [u8],
    rx: &'r mut [u8],
    now_ms: u64,
    path: &str,
) -> Option<&'r [u8]> {
    let mut transport = MemoryTransport::new(answer);
    let mut clock = ManualClock::new(imds::Instant::from_millis(now_ms));
    let mut operation = client.get(clock.now, path, BodyMode::Contiguous);
    run(&mut operation, &mut transport, &mut clock, tx, rx, |_| {}).ok().map(|answer| answer.body)
}

/// The issue's workload: token, chunked listing, parse and join. The sum of
/// the joined paths' lengths.
#[inline(never)]
fn listing_session(memory: &mut Memory) -> usize {
    let Memory { client, tx, rx, joined, .. } = memory;
    let Some(body) = fetch(client, tx, rx, 0, black_box("/latest/meta-data/")) else {
        return 0;
    };
    let mut total = 0;
    if let Ok(listing) = Listing::parse("/latest/meta-data/", body) {
        for entry in listing {
            total += entry.join(joined).map_or(0, str::len);
        }
    }
    total
}

/// A GET with the token cached: the body's length.
#[inline(never)]
fn cached_get(memory: &mut Memory) -> usize {
    let Memory { client, tx, rx, .. } = memory;
    fetch(client, tx, rx, 1000, black_box("/latest/meta-data/instance-id")).map_or(0, <[u8]>::len)
}

/// The typed documents a feature adds (nothing by default): the sum of a few
/// fields' lengths, so the parse is not optimized away.
#[inline(never)]
fn documents() -> usize {
    #[allow(unused_mut)]
    let mut total = 0;
    #[cfg(feature = "identity")]
    {
        let body = br#"{"accountId":"123456789012","region":"us-east-1","instanceId":"i-0a1b2c3d4e5f60718","availabilityZone":"us-east-1a","pendingTime":"2026-11-26T15:12:40Z","version":"2017-09-30"}"#;
        total += imds::parse::IdentityDocument::parse(black_box(body))
            .map_or(0, |d| d.region.map_or(0, |r| r.raw().len()) + usize::from(d.pending_time.is_some()));
    }
    #[cfg(feature = "credentials")]
    {
        let body = br#"{"Code":"Success","LastUpdated":"2026-11-26T15:12:40Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI","Token":"IQoJb3JpZ2luX2Vj","Expiration":"2026-11-26T21:47:55Z"}"#;
        total += imds::parse::Credentials::parse(black_box(body)).map_or(0, |c| c.access_key_id.raw().len());
    }
    #[cfg(feature = "iam-info")]
    {
        let body = br#"{"Code":"Success","LastUpdated":"2026-11-26T15:12:40Z","InstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/r","InstanceProfileId":"AIPAEXAMPLE"}"#;
        total += imds::parse::IamInfo::parse(black_box(body)).map_or(0, |i| i.instance_profile_id.raw().len());
    }
    #[cfg(feature = "spot-action")]
    {
        let body = br#"{"action":"terminate","time":"2026-11-26T15:14:40Z"}"#;
        total += imds::parse::SpotAction::parse(black_box(body)).map_or(0, |a| a.action.raw().len());
    }
    #[cfg(feature = "rebalance")]
    {
        let body = br#"{"noticeTime":"2026-11-26T15:14:40Z"}"#;
        total += imds::parse::RebalanceRecommendation::parse(black_box(body)).map_or(0, |_| 1);
    }
    #[cfg(feature = "maintenance")]
    {
        let body = br#"[{"NotBefore":"21 Jan 2019 09:00:43 GMT","Code":"system-reboot","Description":"scheduled reboot","EventId":"instance-event-0d59937288b749b32","NotAfter":"21 Jan 2019 09:17:23 GMT","State":"active"}]"#;
        total += imds::parse::MaintenanceEvents::parse(black_box(body)).map_or(0, |e| e.iter().count());
    }
    total
}

/// An identity document with an unknown value nested `DEPTH` deep (the
/// default limit is 16): its parse's stack against a flat one's is the stack
/// a nesting level costs.
#[cfg(feature = "identity")]
#[inline(never)]
fn nested_identity(deep: bool) -> usize {
    let body: &[u8] = match deep {
        // The root, 14 arrays and an object: 16 deep, the default limit.
        true => br#"{"region":"eu-west-1","x":[[[[[[[[[[[[[[{"y":1}]]]]]]]]]]]]]]}"#,
        false => br#"{"region":"eu-west-1","x":{"y":1}}"#,
    };
    imds::parse::IdentityDocument::parse(black_box(body)).map_or(0, |d| d.region.map_or(0, |r| r.as_bytes().len()))
}

/// The whole credentials flow, as an appliance runs it: the number of bytes
/// of the access key id it got (20), or 0 (or 0 at once without the feature).
#[inline(never)]
fn credentials_flow(memory: &mut Memory) -> usize {
    if !cfg!(feature = "credentials-flow") {
        return 0;
    }
    let Memory { client, tx, rx, .. } = memory;
    let mut transport = MemoryTransport::new(answer);
    let mut clock = ManualClock::new(imds::Instant::from_millis(0));
    let mut flow = imds::CredentialsFlow::new();
    // 2026-11-26T15:30:00Z, between LastUpdated and Expiration.
    let wall_now = imds::parse::Timestamp::from_unix(1_795_707_000);
    let mut fetch = flow.fetch(wall_now);
    let fetched = complete(client, &mut transport, &mut clock, tx, rx, &mut fetch);
    fetched.map_or(0, |f| f.credentials.access_key_id.as_bytes().len() * usize::from(!f.stale))
}

/// The emulator's identity document, its rsa2048 body, and the certificate
/// that verifies it (DER, as a firmware would keep it in flash).
#[cfg(feature = "verify")]
mod identity {
    pub const DOCUMENT: &[u8] = include_bytes!("../../emulator/identity/document");
    pub const RSA2048: &[u8] = include_bytes!("../../emulator/identity/rsa2048");
    pub const CERTIFICATE: &[u8] = include_bytes!("../../emulator/identity/test-rsa2048-cert.der");
}

/// Room for the rsa2048 body's base64 (a DER certificate needs none): static,
/// like `tx` and `rx`.
#[cfg(feature = "verify")]
static mut SCRATCH: [u8; 1536] = [0; 1536];

/// Verifies the emulator's identity document: 1 if it verifies, 0 if not (or
/// 0 at once without the feature).
#[inline(never)]
fn verify_identity() -> usize {
    #[cfg(feature = "verify")]
    {
        // SAFETY: the only access to SCRATCH, from the one thread there is.
        let scratch = unsafe { &mut *core::ptr::addr_of_mut!(SCRATCH) };
        let (document, body) = (black_box(identity::DOCUMENT), black_box(identity::RSA2048));
        return usize::from(imds::verify::rsa2048(document, body, identity::CERTIFICATE, scratch).is_ok());
    }
    #[allow(unreachable_code)]
    0
}

#[entry]
fn main() -> ! {
    // SAFETY: the only access to MEMORY, before any interrupt exists.
    let memory = unsafe { &mut *core::ptr::addr_of_mut!(MEMORY) };
    let mut out = hio::hstdout().ok();
    if cfg!(feature = "credentials-flow") {
        flow_main(memory, out.as_mut());
    }
    let sp = paint::<PAINTED>();
    let joined = listing_session(memory);
    let first = high_water::<PAINTED>(sp);
    let sp = paint::<PAINTED>();
    let cached = cached_get(memory);
    let stack = high_water::<PAINTED>(sp);
    let sp = paint::<PAINTED>();
    let parsed = documents();
    let documents_stack = high_water::<PAINTED>(sp);
    // Printed without core::fmt, which would weigh more than what it
    // measures: each `#` of the text is the next number.
    print(
        out.as_mut(),
        memory,
        "imds firmware: listing joined # bytes of paths; cached GET body # bytes; \
            stack: session # bytes, cached GET # bytes, documents # bytes; Client # bytes, Operation # bytes\n",
        &[joined, cached, first, stack, documents_stack, core::mem::size_of::<Client>(), imds::REQUEST_STATE_BYTES],
    );
    if cfg!(feature = "verify") {
        let sp = paint::<PAINTED>();
        let verified = verify_identity();
        let stack = high_water::<PAINTED>(sp);
        print(
            out.as_mut(),
            memory,
            "imds firmware: verify: rsa2048 verified # (1 yes); stack # bytes\n",
            &[verified, stack],
        );
        if verified != 1 {
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    #[cfg(feature = "identity")]
    {
        let sp = paint::<PAINTED>();
        let flat = nested_identity(false);
        let flat_stack = high_water::<PAINTED>(sp);
        let sp = paint::<PAINTED>();
        let deep = nested_identity(true);
        let deep_stack = high_water::<PAINTED>(sp);
        print(
            out.as_mut(),
            memory,
            "imds firmware: stack: nested 1 deep # bytes, 16 deep # bytes (region # and # bytes)\n",
            &[flat_stack, deep_stack, flat, deep],
        );
    }
    let ok = joined == "/latest/meta-data/ami-id/latest/meta-data/iam//latest/meta-data/0=my-key".len()
        && cached == 19
        && (parsed > 0)
            == cfg!(any(
                feature = "identity",
                feature = "credentials",
                feature = "iam-info",
                feature = "spot-action",
                feature = "rebalance",
                feature = "maintenance"
            ));
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {
        cortex_m::asm::wfi();
    }
}

/// The credentials-flow firmware: the flow on a painted stack, one line, exit.
fn flow_main(memory: &mut Memory, out: Option<&mut hio::HostStream>) -> ! {
    let sp = paint::<PAINTED>();
    let key = credentials_flow(memory);
    let stack = high_water::<PAINTED>(sp);
    print(out, memory, "imds firmware: credentials flow: access key # bytes; stack # bytes\n", &[key, stack]);
    debug::exit(if key == 20 { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {
        cortex_m::asm::wfi();
    }
}

/// Writes `text` with each `#` the next of `numbers`, over semihosting.
fn print(out: Option<&mut hio::HostStream>, memory: &mut Memory, text: &str, numbers: &[usize]) {
    let Some(out) = out else { return };
    let mut numbers = numbers.iter();
    let mut line = Line { bytes: &mut memory.line, len: 0 };
    for &byte in text.as_bytes() {
        match byte {
            b'#' => line.number(numbers.next().copied().unwrap_or_default()),
            _ => line.byte(byte),
        }
    }
    let _ = out.write_all(line.bytes.get(..line.len).unwrap_or_default());
}

/// A line of output, built without core::fmt.
struct Line<'a> {
    bytes: &'a mut [u8],
    len: usize,
}

impl Line<'_> {
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn number(&mut self, n: usize) {
        if n >= 10 {
            self.number(n / 10);
        }
        self.byte(b'0' + (n % 10) as u8);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
