//! The properties the fuzz targets check, one function per target. The same file
//! is compiled into the crate's tests (`tests/fuzz_corpus.rs`), which replay every
//! committed corpus file on stable Rust.

use imds::BodyMode;
use imds::parse::Listing;
use imds::path;
use imds::wire::{
    DecodeError, Decoded, Decoder, Limits, MAX_REQUEST_LEN, Progress, ReadError, Reader, Request, ResponseHead,
};
use imds::{Endpoint, Token, TokenTtl};

/// Small limits, so that the fuzzer reaches them.
pub const LIMITS: Limits = Limits { max_head_len: 1024, max_body_len: 4096 };

/// A head with its spans resolved: the head, its reason, Content-Type and Date.
pub type Resolved = (ResponseHead, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// What a response decoded to, independent of how its bytes were split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The head with its spans resolved.
    pub head: Option<Resolved>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
    /// How it ended.
    pub end: Result<(), DecodeError>,
}

fn resolve(head: ResponseHead, input: &[u8]) -> Resolved {
    let reason = head.reason.of(input).to_vec();
    let content_type = head.content_type.map(|span| span.of(input).to_vec());
    let date = head.date.map(|span| span.of(input).to_vec());
    // Spans depend on where the head sat; compare what they point at instead.
    let blank = imds::wire::Span { start: 0, end: 0 };
    let head = ResponseHead {
        reason: blank,
        content_type: content_type.as_ref().map(|_| blank),
        date: date.as_ref().map(|_| blank),
        ..head
    };
    (head, reason, content_type, date)
}

/// Decodes `input` through [`Decoder`], fed in pieces of the given sizes (cycled;
/// the rest in one piece when `splits` is empty), with EOF after the last byte.
pub fn decode_split(input: &[u8], splits: &[usize], limits: Limits) -> Outcome {
    let mut decoder = Decoder::new(limits);
    let mut outcome = Outcome { head: None, body: Vec::new(), end: Ok(()) };
    let mut fed = if splits.is_empty() { input.len() } else { 0 };
    let mut next_split = splits.iter().cycle();
    let mut start = 0;
    for _ in 0..1_000_000 {
        let window = &input[start..fed];
        let eof = fed == input.len();
        match decoder.decode(window, eof) {
            Err(e) => {
                outcome.end = Err(e);
                return outcome;
            }
            Ok((consumed, decoded)) => {
                assert!(consumed <= window.len(), "consumed more than given");
                match decoded {
                    Decoded::Head(head) => {
                        assert!(outcome.head.is_none(), "two heads");
                        assert!(head.len <= consumed, "head longer than consumed");
                        outcome.head = Some(resolve(head, window));
                    }
                    Decoded::Body(piece) => {
                        assert!(!piece.is_empty(), "empty body piece");
                        assert_eq!(piece.as_ptr(), window[consumed - piece.len()..].as_ptr(), "piece not at the end");
                        outcome.body.extend_from_slice(piece);
                    }
                    Decoded::End => return outcome,
                    Decoded::NeedMore => {
                        assert!(!eof, "NeedMore after EOF");
                        let step = next_split.next().copied().unwrap_or(input.len()).max(1);
                        fed = (fed + step).min(input.len());
                    }
                }
                start += consumed;
            }
        }
    }
    panic!("decoder made no progress");
}

/// Feeds `input` through a [`Reader`] with a `buf_len` buffer, reading at most
/// `read_len` bytes at a time.
pub fn read_split(
    input: &[u8],
    mode: BodyMode,
    buf_len: usize,
    read_len: usize,
    limits: Limits,
) -> Result<Outcome, ReadError> {
    let mut buf = vec![0u8; buf_len];
    let mut reader = Reader::new(limits, mode);
    let mut rest = input;
    let mut body = Vec::new();
    let mut head = None;
    for _ in 0..1_000_000 {
        match reader.poll(&mut buf) {
            Err(ReadError::Decode(e)) => {
                if mode == BodyMode::Contiguous {
                    body = reader.response(&buf).map(|r| r.body().to_vec()).unwrap_or_default();
                }
                return Ok(Outcome { head, body, end: Err(e) });
            }
            Err(e) => return Err(e),
            Ok(Progress::Head(h)) => {
                let response = reader.response(&buf).expect("a head");
                assert_eq!(response.status(), h.status);
                head = Some(resolve(h, &buf));
            }
            Ok(Progress::Piece(piece)) => {
                assert_eq!(mode, BodyMode::Streaming);
                body.extend_from_slice(piece);
            }
            Ok(Progress::Complete) => {
                let response = reader.response(&buf).expect("a response");
                assert!(response.is_complete());
                if mode == BodyMode::Contiguous {
                    body = response.body().to_vec();
                }
                return Ok(Outcome { head, body, end: Ok(()) });
            }
            Ok(Progress::NeedMore) => {
                let spare = reader.spare(&mut buf)?;
                let n = rest.len().min(spare.len()).min(read_len.max(1));
                spare[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                if n == 0 {
                    reader.eof();
                } else {
                    reader.received(n)?;
                }
            }
        }
    }
    panic!("reader made no progress");
}

/// Checks that every way of feeding `input` gives the same outcome, and that the
/// outcome keeps the framing's promises. `seed` picks the splits and buffer sizes.
pub fn check_response(input: &[u8], seed: &[u8]) -> Outcome {
    check_response_with(input, seed, LIMITS)
}

/// [`check_response`] with other limits.
pub fn check_response_with(input: &[u8], seed: &[u8], limits: Limits) -> Outcome {
    let reference = decode_split(input, &[], limits);
    let splits: Vec<usize> = seed.iter().map(|&b| usize::from(b % 64) + 1).collect();
    assert_eq!(decode_split(input, &splits, limits), reference, "split {splits:?}");
    assert_eq!(decode_split(input, &[1], limits), reference, "byte at a time");

    let big = input.len() + limits.max_head_len + limits.max_body_len as usize;
    let read_len = splits.first().copied().unwrap_or(big);
    let contiguous = read_split(input, BodyMode::Contiguous, big, read_len, limits).expect("buffer is large enough");
    assert_eq!(contiguous, reference, "contiguous reader");

    let small = 48 + usize::from(seed.get(1).copied().unwrap_or(0)) * 4;
    match read_split(input, BodyMode::Streaming, small, read_len, limits) {
        Ok(streamed) => assert_eq!(streamed, reference, "streaming reader, {small} byte buffer"),
        Err(ReadError::BufferTooSmall { .. }) => {
            let longest = longest_head(input, limits);
            assert!(longest.is_none_or(|len| len >= small), "heads of at most {longest:?} bytes fit {small}");
        }
        Err(e) => panic!("streaming reader: {e:?}"),
    }

    if let (Some((head, ..)), Ok(())) = (&reference.head, reference.end) {
        assert!(reference.body.len() as u64 <= u64::from(limits.max_body_len));
        if let Some(n) = head.content_length() {
            assert_eq!(reference.body.len() as u64, u64::from(n), "Content-Length not honoured");
        }
    }
    reference
}

/// Fuzz input for [`check_response`]: one seed-length byte, the seed, the response.
pub fn response(data: &[u8]) {
    let (seed, input) = split_seed(data);
    check_response(input, seed);
}

/// Fuzz input: a seed, then bytes used as a chunked body after a fixed head; and
/// the same bytes chunked validly by the seed, which must decode to themselves.
pub fn chunked(data: &[u8]) {
    let (seed, body) = split_seed(data);
    let head: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    check_response(&[head, body].concat(), seed);

    let mut encoded = head.to_vec();
    let mut rest = body;
    let mut sizes = seed.iter().cycle();
    let mut i = 0;
    while let (Some(&size), false) = (sizes.next(), rest.is_empty()) {
        i += 1;
        let n = usize::from(size).clamp(1, rest.len());
        let extension = if i % 3 == 1 { ";name=\"value\"" } else { "" };
        let line_end = if i % 4 == 2 { "\n" } else { "\r\n" };
        encoded.extend_from_slice(format!("{n:X}{extension}{line_end}").as_bytes());
        encoded.extend_from_slice(&rest[..n]);
        encoded.extend_from_slice(line_end.as_bytes());
        rest = &rest[n..];
    }
    if !rest.is_empty() {
        encoded.extend_from_slice(format!("{:x}\r\n", rest.len()).as_bytes());
        encoded.extend_from_slice(rest);
        encoded.extend_from_slice(b"\r\n");
    }
    encoded.extend_from_slice(b"0\r\nTrailer: x\r\n\r\n");
    let outcome = check_response(&encoded, seed);
    if body.len() as u64 <= u64::from(LIMITS.max_body_len) {
        assert_eq!(outcome.end, Ok(()), "valid chunking refused");
        assert_eq!(outcome.body, body, "chunked body changed");
    } else {
        assert_eq!(outcome.end, Err(DecodeError::BodyTooLarge));
    }
}

/// The directories whose listings mean something special, and a plain one.
const LISTED_DIRS: [&str; 6] = [
    "/",
    "/latest/",
    "/latest/dynamic/",
    "/latest/meta-data/public-keys/",
    "/latest/meta-data/",
    "/latest/meta-data/tags/instance/",
];

/// Fuzz input: a byte choosing the directory, then a listing body. Accepted
/// listings hold only valid entries whose joins are valid paths or typed errors;
/// refused ones name an offset inside.
pub fn listing(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else { return };
    let dir = LISTED_DIRS[usize::from(choice) % LISTED_DIRS.len()];
    match Listing::parse(dir, body) {
        Ok(listing) => {
            let mut buf = [0u8; path::MAX_PATH_LEN + 1];
            let mut joined_raw = Vec::new();
            for entry in listing {
                assert!(!entry.raw().is_empty());
                assert!(entry.raw().bytes().all(|b| (0x21..=0x7e).contains(&b)));
                assert!(entry.raw().ends_with(entry.segment()) || entry.raw().starts_with(entry.segment()));
                if matches!(entry.kind(), imds::parse::EntryKind::PublicKey { .. }) {
                    assert_eq!(dir, "/latest/meta-data/public-keys/", "public keys only there");
                }
                if let Ok(joined) = entry.join(&mut buf) {
                    assert_eq!(path::validate(joined), Ok(()));
                    assert_eq!(joined.ends_with('/'), entry.is_dir());
                    assert!(joined.starts_with(dir), "{joined} outside {dir}");
                }
                joined_raw.extend_from_slice(entry.raw().as_bytes());
                joined_raw.push(b'\n');
            }
            let normalized: Vec<u8> = body.iter().copied().filter(|&b| b != b'\r').collect();
            let normalized = if normalized.ends_with(b"\n") || normalized.is_empty() {
                normalized
            } else {
                [normalized, b"\n".to_vec()].concat()
            };
            assert_eq!(joined_raw, normalized, "entries do not rebuild the listing");
        }
        Err(e) => assert!(e.offset < body.len().max(1), "error offset {e:?} outside the body"),
    }
}

/// Fuzz input: path, token and user agent separated by 0xFF bytes. Whatever is
/// accepted must encode to exactly one request that httparse reads back, with
/// exactly the headers intended.
pub fn request(data: &[u8]) {
    let mut parts = data.split(|&b| b == 0xff);
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let token = parts.next().and_then(|t| Token::new(t).ok());
    let agent = parts.next().map(|a| String::from_utf8_lossy(a).into_owned());
    let endpoint = match data.first().map(|b| b % 3) {
        Some(0) => Endpoint::IPV4,
        Some(1) => Endpoint::IPV6,
        _ => Endpoint::parse("http://localhost:8080").expect("valid"),
    };
    let requests = [
        Request::Get { path: &path, token: token.as_ref() },
        Request::PutToken { ttl: TokenTtl::new(data.len() as u32 % 21600 + 1).expect("in range") },
    ];
    for request in requests {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let Ok(n) = request.encode(&endpoint, agent.as_deref(), &mut buf) else {
            if let Request::Get { path, .. } = request {
                let valid_agent = agent.as_deref().is_none_or(|a| {
                    Request::Get { path: "/", token: None }.encode(&endpoint, Some(a), &mut buf).is_ok()
                });
                assert!(path::validate(path).is_err() || !valid_agent, "valid input refused");
            }
            continue;
        };
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut parsed = httparse::Request::new(&mut headers);
        assert_eq!(parsed.parse(&buf[..n]), Ok(httparse::Status::Complete(n)), "not exactly one request");
        let mut expected: Vec<(&str, Vec<u8>)> = vec![("Host", endpoint.host_header().to_string().into_bytes())];
        if let Some(agent) = &agent {
            expected.push(("User-Agent", agent.as_bytes().to_vec()));
        }
        match request {
            Request::Get { path, token } => {
                assert_eq!((parsed.method, parsed.path), (Some("GET"), Some(path)));
                if let Some(token) = token {
                    expected.push(("X-aws-ec2-metadata-token", token.as_bytes().to_vec()));
                }
            }
            Request::PutToken { ttl } => {
                assert_eq!((parsed.method, parsed.path), (Some("PUT"), Some("/latest/api/token")));
                expected.push(("X-aws-ec2-metadata-token-ttl-seconds", ttl.seconds().to_string().into_bytes()));
                expected.push(("Content-Length", b"0".to_vec()));
            }
        }
        let got: Vec<(&str, Vec<u8>)> = parsed.headers.iter().map(|h| (h.name, h.value.to_vec())).collect();
        assert_eq!(got, expected, "headers differ");
    }
}

/// The longest of the heads (1xx ones included) before the body, or `None` if
/// the input has no complete head: a streaming buffer must hold each of them.
fn longest_head(input: &[u8], limits: Limits) -> Option<usize> {
    let mut decoder = Decoder::new(limits);
    let Ok((head_end, Decoded::Head(_))) = decoder.decode(input, true) else { return None };
    let mut longest = 0;
    let mut start = 0;
    for (i, window) in input[..head_end].windows(2).enumerate() {
        let end = match window {
            b"\n\n" => i + 2,
            b"\n\r" if input.get(i + 2) == Some(&b'\n') => i + 3,
            _ => continue,
        };
        if end > start {
            longest = longest.max(end - start);
            start = end;
        }
    }
    Some(longest)
}

fn split_seed(data: &[u8]) -> (&[u8], &[u8]) {
    let seed_len = usize::from(data.first().copied().unwrap_or(0) % 8);
    let rest = data.get(1..).unwrap_or_default();
    rest.split_at(seed_len.min(rest.len()))
}

/// [`imds::Config::DEFAULT`] with `edit` applied.
fn config(edit: impl FnOnce(&mut imds::Config<'static>)) -> imds::Config<'static> {
    let mut config = imds::Config::DEFAULT;
    edit(&mut config);
    config
}

/// Fuzz input: a byte choosing the body mode and fallback, then server responses
/// separated by 0xFF 0xFE. A whole session through the blocking driver must end
/// (answer or error) without a panic, within the operation timeout of simulated
/// time; then every client call in every order, driven by the same bytes, must
/// return an error or do its job, never panic.
pub fn session(data: &[u8]) {
    use imds::driver::TransportError;
    use imds::driver::{Clock, Transport};
    use imds::{Client, Instant, V1Fallback};
    use std::cell::Cell;
    use std::time::Duration;

    /// Answers requests with the scripted replies; when they run out, connects
    /// and reads time out (moving the shared clock), writes reset.
    struct Script<'a, 'c> {
        replies: Vec<&'a [u8]>,
        reply: Option<&'a [u8]>,
        now: &'c Cell<u64>,
        steps: usize,
    }
    impl Script<'_, '_> {
        fn time_out(&self, timeout: Duration) -> TransportError {
            self.now.set(self.now.get() + timeout.as_millis() as u64);
            TransportError::TimedOut
        }
    }
    impl Transport for Script<'_, '_> {
        fn connect(&mut self, _: &imds::Endpoint<'_>, timeout: Duration) -> Result<(), TransportError> {
            self.steps += 1;
            if self.replies.is_empty() { Err(self.time_out(timeout)) } else { Ok(()) }
        }
        fn write_all(&mut self, _: &[u8], _: Duration) -> Result<(), TransportError> {
            self.steps += 1;
            self.reply = self.replies.pop();
            self.reply.map(|_| ()).ok_or(TransportError::Reset)
        }
        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
            self.steps += 1;
            let step = 1 + self.steps % 97;
            let Some(reply) = self.reply.as_mut() else { return Err(self.time_out(timeout)) };
            let n = reply.len().min(buf.len()).min(step);
            buf[..n].copy_from_slice(&reply[..n]);
            *reply = &reply[n..];
            Ok(n)
        }
        fn close(&mut self) {
            self.reply = None;
        }
    }
    struct SharedClock<'c>(&'c Cell<u64>);
    impl Clock for SharedClock<'_> {
        fn now(&mut self) -> Instant {
            Instant::from_millis(self.0.get())
        }
        fn sleep_until(&mut self, until: Instant) {
            self.0.set(self.0.get().max(until.as_millis()));
        }
    }

    let Some((&flags, rest)) = data.split_first() else { return };
    let mut replies: Vec<&[u8]> = rest.split(|&b| b == 0xff).collect();
    replies.reverse();
    let mode = if flags & 1 == 0 { BodyMode::Contiguous } else { BodyMode::Streaming };
    let v1_fallback = [V1Fallback::Never, V1Fallback::Rejected, V1Fallback::Timeout][usize::from(flags >> 1) % 3];
    let config = config(|c| {
        c.v1_fallback = v1_fallback;
        c.limits = LIMITS;
    });
    let mut client = Client::new(config, u64::from(flags));
    let now = Cell::new(0);
    let mut script = Script { replies, reply: None, now: &now, steps: 0 };
    let mut clock = SharedClock(&now);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 1 + usize::from(flags) * 16]);
    for path in ["/latest/meta-data/", "/latest/user-data"] {
        let start = now.get();
        let mut operation = client.get(clock.now(), path, mode);
        let mut pieces = 0usize;
        let result =
            imds::driver::run(&mut operation, &mut script, &mut clock, &mut tx, &mut rx, |p| pieces += p.len())
                .map(|a| (a.status, a.body.len()));
        if let Ok((status, _)) = result {
            assert!((200..300).contains(&status) || status == 404, "answer {status}");
        }
        assert!(pieces as u64 <= u64::from(LIMITS.max_body_len));
        assert!(now.get() - start <= 10_000 + 2_000, "operation timeout overrun: {} ms", now.get() - start);
    }

    // Misuse: every call, in the order the bytes say; operations started and
    // dropped at any step.
    let mut client = Client::new(config, 1);
    let mut rx = [0u8; 64];
    let mut tx = [0u8; 64];
    let at = |i: usize| Instant::from_millis(i as u64 * 37);
    let mut bytes = data.iter().enumerate().take(256);
    while let Some((i, &b)) = bytes.next() {
        if b % 3 == 0 {
            client.clear_token();
            continue;
        }
        let path = if b % 3 == 1 { "/latest/meta-data/" } else { "/latest/../x" };
        let mut op = client.get(at(i), path, mode);
        for (i, &b) in bytes.by_ref() {
            let now = at(i);
            let _ = match b % 12 {
                0 => op.poll(now, &mut rx).map(|_| ()),
                1 => op.connected(now),
                2 => op.encode(&mut tx).map(|_| ()),
                3 => op.sent(now),
                4 => op.receive_buffer(&mut rx).map(|spare| spare.fill(b'H')),
                5 => op.received(now, usize::from(b >> 4)),
                6 => op.received_eof(now),
                7 => op.failed(now, TransportError::Reset),
                8 => {
                    op.shorten_deadline(Instant::from_millis(u64::from(b) * 13));
                    Ok(())
                }
                9 => break, // dropped midway
                _ => op.answer(&rx).map(|_| ()),
            };
        }
    }
}

/// Fuzz input: a byte of flags (buffer sizes, the root), then the bodies of the
/// server's answers separated by 0xFF; an answer whose body starts with `!` is
/// a 404, with `#` a 503, and anything else a 200 framed by Content-Length
/// (chunked when a flag says so). A walk under tiny limits must end, Ok or with
/// a typed error, within every bound, visiting only valid paths under its root.
pub fn walk(data: &[u8]) {
    use imds::driver::{ManualClock, MemoryTransport};
    use imds::{Client, Instant, Visit, Walk, WalkError, WalkLimits};
    use std::ops::ControlFlow;
    use std::time::Duration;

    let Some((&flags, rest)) = data.split_first() else { return };
    let chunked = flags & 1 == 1;
    let root = ["/latest/meta-data/", "/latest/", "/", "/latest/meta-data/public-keys/"][usize::from(flags >> 1) % 4];
    let replies: Vec<Vec<u8>> = rest
        .split(|&b| b == 0xff)
        .map(|body| match body.first() {
            Some(b'!') => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Some(b'#') => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec(),
            _ if chunked => {
                let mut r =
                    format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n", body.len()).into_bytes();
                r.extend_from_slice(body);
                r.extend_from_slice(b"\r\n0\r\n\r\n");
                r
            }
            _ => [format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(), body].concat(),
        })
        .collect();
    let token: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntokenA";
    let mut next = 0;
    let mut requests = 0;
    let mut transport = MemoryTransport::new(|request: &[u8]| {
        requests += 1;
        if request.starts_with(b"PUT") {
            return Some(token);
        }
        // The replies in turn, then 404s.
        let reply =
            replies.get(next).map_or(&b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"[..], Vec::as_slice);
        next += 1;
        Some(reply)
    })
    .with_read_size(1 + usize::from(flags >> 3));
    let mut limits = WalkLimits::DEFAULT;
    limits.max_depth = 4;
    limits.max_nodes = 40;
    limits.max_body_bytes = 2048;
    limits.timeout = Some(Duration::from_secs(5));
    let mut client = Client::new(config(|c| c.limits = LIMITS), u64::from(flags));
    let mut clock = ManualClock::new(Instant::ZERO);
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; LIMITS.max_head_len + LIMITS.max_body_len as usize]);
    let mut pending = vec![0u8; 16 + usize::from(flags) * 4];
    let (mut visits, mut bytes) = (0u32, 0u64);
    let result = Walk::new(clock.now, root, limits, &mut pending).and_then(|mut w| {
        let walked = imds::driver::walk(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut w, |visit| {
            visits += 1;
            let path = match visit {
                Visit::Leaf { path, body } => {
                    bytes += body.len() as u64;
                    path
                }
                Visit::Dir { path, .. } | Visit::Missing { path } => path,
            };
            assert_eq!(path::validate(path), Ok(()), "{path}");
            assert!(path.starts_with(root), "{path} outside {root}");
            let depth =
                path.trim_end_matches('/').matches('/').count() - root.trim_end_matches('/').matches('/').count();
            assert!(depth <= usize::from(limits.max_depth), "{path} deeper than the limit");
            ControlFlow::Continue(())
        });
        assert!(w.nodes() <= limits.max_nodes);
        walked
    });
    assert!(visits <= limits.max_nodes && bytes <= limits.max_body_bytes);
    assert!(clock.now.as_millis() <= 5_000 + 10_000, "past the deadline: {} ms", clock.now.as_millis());
    if let Err(e) = result {
        let _ = e.to_string();
        assert!(!matches!(e, WalkError::WrongStep), "the driver misused the walk");
    }
    // One token (it lives six hours), then at most every attempt of every node.
    let attempts = imds::Config::DEFAULT.max_attempts as usize;
    assert!(requests <= 1 + attempts * limits.max_nodes as usize, "{requests} requests");
}

/// Fuzz input: a JSON document, checked against serde_json as an oracle
/// (differential): within the scanner's limits, both accept or both refuse,
/// and what both accept has the same values (strings unescaped, numbers
/// equal as integers when written as integers and as correctly rounded
/// floats otherwise, objects member by member). The scanner's own refusals
/// of valid JSON are its limits and its duplicate check: nesting past 16, more
/// than MAX_OPEN_KEYS open keys, a key repeated in its object. serde_json's
/// own refusals of valid JSON: numbers past f64 and nesting past 128.
/// Beyond that: an accepted document prints (compact) to a document that
/// parses to the same text; every string unescapes into exactly its
/// unescaped length.
pub fn json(data: &[u8]) {
    use imds::parse::json::{self, JsonErrorKind, Value};
    let ours = json::parse(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(_), Err(e)) => {
            let message = e.to_string();
            assert!(
                message.contains("number out of range") || message.contains("recursion limit"),
                "accepted what serde_json refuses: {message}"
            );
        }
        (Err(e), Ok(_)) => assert!(
            matches!(e.kind, JsonErrorKind::DuplicateKey | JsonErrorKind::TooDeep | JsonErrorKind::TooManyMembers),
            "refused valid JSON: {e:?}"
        ),
        (Err(e), Err(_)) => assert!(e.offset <= data.len(), "offset {} past {}", e.offset, data.len()),
        (Ok(ours), Ok(theirs)) => same_value(*ours, theirs),
    }
    let Ok(root) = ours else { return };
    let compact = root.to_string();
    let again = json::parse(compact.as_bytes()).expect("the compact form parses");
    assert_eq!(again.to_string(), compact, "printing is stable");
    fn strings(value: Value<'_>, check: &mut impl FnMut(imds::parse::json::JsonStr<'_>)) {
        match value {
            Value::String(s) => check(s),
            Value::Array(a) => a.iter().for_each(|v| strings(v, check)),
            Value::Object(o) => o.members().for_each(|(k, v)| {
                check(k);
                strings(v, check)
            }),
            _ => {}
        }
    }
    let mut buf = vec![0u8; data.len() * 4 + 8];
    strings(root, &mut |s| {
        let len = s.unescaped_len();
        let text = s.unescape_into(&mut buf).expect("room for it").to_owned();
        assert_eq!(text.len(), len);
        assert_eq!(text, s.to_string());
        assert_eq!(s.unescape_into(&mut buf[..len.saturating_sub(1)]).is_err(), len > 0);
        assert!(s.eq_str(&text));
        assert!(s.eq_ignore_ascii_case(&text.to_ascii_uppercase()));
        assert_eq!(s.as_str().is_some(), !s.has_escapes());
    });
}

/// The scanner's value and serde_json's are the same JSON value.
fn same_value(ours: imds::parse::json::Value<'_>, theirs: &serde_json::Value) {
    use imds::parse::json::Value;
    match (ours, theirs) {
        (Value::Null, serde_json::Value::Null) => {}
        (Value::Bool(a), serde_json::Value::Bool(b)) => assert_eq!(a, *b),
        (Value::String(a), serde_json::Value::String(b)) => assert_eq!(&a.to_string(), b),
        (Value::Number(a), serde_json::Value::Number(b)) => {
            let raw = a.raw();
            if let (false, Ok(ours)) = (raw.contains(['.', 'e', 'E']), raw.parse::<i128>()) {
                // Written as an integer (that i128 holds): exactly that integer.
                match (b.as_u64(), b.as_i64()) {
                    (Some(u), _) => assert_eq!(ours, i128::from(u), "{raw}"),
                    (None, Some(i)) => assert_eq!(ours, i128::from(i), "{raw}"),
                    _ => assert_eq!(a.as_f64(), b.as_f64(), "{raw}"),
                }
            } else {
                assert_eq!(a.as_f64(), b.as_f64(), "{raw}");
            }
        }
        (Value::Array(a), serde_json::Value::Array(b)) => {
            assert_eq!(a.iter().count(), b.len());
            for (x, y) in a.iter().zip(b) {
                same_value(x, y);
            }
        }
        (Value::Object(a), serde_json::Value::Object(b)) => {
            // Duplicates are refused by the scanner: the members are b's keys.
            assert_eq!(a.members().count(), b.len());
            for (key, value) in a.members() {
                same_value(value, b.get(&key.to_string()).expect("the same keys"));
            }
        }
        (ours, theirs) => panic!("different values: {ours:?} and {theirs:?}"),
    }
}

/// Fuzz input: a byte choosing the document type, then a body. Parsing never
/// panics; an accepted document's every field can be read.
pub fn documents(data: &[u8]) {
    use imds::parse::{Credentials, IamInfo, IdentityDocument, MaintenanceEvents, RebalanceRecommendation, SpotAction};
    let Some((&choice, body)) = data.split_first() else { return };
    let mut buf = vec![0u8; body.len() * 4 + 8];
    let mut read = |s: imds::parse::json::JsonStr<'_>| {
        let _ = s.unescape_into(&mut buf).expect("room for it");
    };
    match choice % 6 {
        0 => {
            if let Ok(doc) = IdentityDocument::parse(body) {
                for s in [doc.account_id, doc.architecture, doc.availability_zone, doc.image_id, doc.instance_id]
                    .into_iter()
                    .flatten()
                {
                    read(s);
                }
                for list in [doc.billing_products, doc.devpay_product_codes, doc.marketplace_product_codes]
                    .into_iter()
                    .flatten()
                {
                    list.iter().for_each(&mut read);
                }
                let _ = doc.pending_time.map(|t| t.to_string());
            }
        }
        1 => {
            if let Ok(c) = Credentials::parse(body) {
                read(c.access_key_id);
                read(c.secret_access_key.expose());
                read(c.session_token.expose());
                // Debug does not depend on the secrets: the same document with
                // their letters and digits changed shows the same.
                let shown = format!("{c:?}");
                let mut changed = body.to_vec();
                for secret in [c.secret_access_key.expose().raw(), c.session_token.expose().raw()] {
                    let at = (secret.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
                    for b in changed.iter_mut().skip(at).take(secret.len()) {
                        if b.is_ascii_alphanumeric() {
                            *b = if *b == b'x' { b'y' } else { b'x' };
                        }
                    }
                }
                if let Ok(other) = Credentials::parse(&changed) {
                    assert_eq!(shown, format!("{other:?}"), "Debug shows a secret");
                }
                let _ = c.expiration.to_string();
            }
        }
        2 => {
            if let Ok(info) = IamInfo::parse(body) {
                read(info.instance_profile_arn);
            }
        }
        3 => {
            if let Ok(spot) = SpotAction::parse(body) {
                read(spot.action);
            }
        }
        4 => {
            let _ = RebalanceRecommendation::parse(body);
        }
        _ => {
            if let Ok(events) = MaintenanceEvents::parse(body) {
                for event in events.iter() {
                    read(event.code);
                }
            }
        }
    }
}

/// Fuzz input: text tried as an RFC 3339 time and as an event time. An
/// accepted RFC 3339 time prints as RFC 3339 UTC that parses to the same instant.
pub fn timestamp(data: &[u8]) {
    use imds::parse::Timestamp;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(t) = Timestamp::parse_rfc3339(text) {
        let shown = t.to_string();
        assert_eq!(Timestamp::parse_rfc3339(&shown), Ok(t), "{text} -> {shown}");
    }
    if let Ok(t) = Timestamp::parse_event_time(text) {
        assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Ok(t));
    }
}

/// Fuzz input: a shared config file and settings separated by 0xFF: reading a
/// profile never panics, a value read is the file's own text, and resolving
/// is total (an endpoint or an error).
pub fn sdk_config(data: &[u8]) {
    use imds::sdk_config::{Settings, Source, profile_values, resolve};
    const KEYS: [&str; 4] = [
        "ec2_metadata_service_endpoint",
        "ec2_metadata_service_endpoint_mode",
        "ec2_metadata_v1_disabled",
        "ec2_instance_profile_name",
    ];
    let mut parts = data.split(|&b| b == 0xff);
    let file = parts.next().unwrap_or_default();
    let mut next = || parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let (endpoint, mode, v1) = (next(), next(), next());
    for profile in ["default", "dev", ""] {
        if let Ok(values) = profile_values(file, profile, KEYS) {
            let text = String::from_utf8_lossy(file);
            assert!(values.iter().flatten().all(|v| text.contains(v)), "{values:?}");
        }
    }
    let source = Source { endpoint, endpoint_mode: mode, disabled: v1, v1_disabled: v1, instance_profile_name: v1 };
    let [endpoint, endpoint_mode, v1_disabled, instance_profile_name] =
        profile_values(file, "default", KEYS).unwrap_or_default();
    let profile = Source { endpoint, endpoint_mode, disabled: None, v1_disabled, instance_profile_name };
    if let Ok(resolved) = resolve(&Settings { environment: source, profile, ..Settings::default() }) {
        assert!(!resolved.endpoint.to_string().is_empty());
    }
}

/// Fuzz input: a byte choosing what the rest is, then bytes for
/// `imds::verify`, around the emulator's signed identity document: 0, the
/// rsa2048 body (base64 text); 1, the SignedData itself (encoded here as
/// base64 lines, so the BER reader sees the mutated structure); 2, the RSA-2048
/// certificate (DER); 3, that certificate as PEM text; 4, the signature body;
/// 5, the document. Nothing panics; a check passes only for what was signed:
/// the document is the same, the signature decodes to the same bytes, and a
/// SignedData that passes holds the same signed attributes and signature
/// (BER leaves room that changes nothing signed: the form of an indefinite
/// length, how the content is cut into pieces, certificates it carries).
#[cfg(feature = "verify")]
pub fn verify(data: &[u8]) {
    use imds::verify::{self, scratch_len};
    const DOCUMENT: &[u8] = include_bytes!("../../emulator/identity/document");
    const RSA2048: &[u8] = include_bytes!("../../emulator/identity/rsa2048");
    const SIGNATURE: &[u8] = include_bytes!("../../emulator/identity/signature");
    const CERT_DER: &[u8] = include_bytes!("../../emulator/identity/test-rsa2048-cert.der");
    const RSA_CERT: &[u8] = include_bytes!("../../emulator/identity/test-rsa-cert.der");
    let Some((&choice, input)) = data.split_first() else { return };
    let decoded = |text: &[u8]| {
        let clean: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        base64_decode(&clean)
    };
    let rsa2048 = |document: &[u8], body: &[u8], certificate: &[u8]| {
        verify::rsa2048(document, body, certificate, &mut vec![0; scratch_len(body.len(), certificate.len())])
    };
    // What a SignedData that verifies must hold: the signed attributes and the
    // signature of the original (its last bytes before three end-of-contents;
    // the attributes, `[0]` of a short length, just before the signature's
    // algorithm, rsaEncryption with NULL, and its OCTET STRING header).
    let holds_what_was_signed = |signed: &[u8]| {
        let original = decoded(RSA2048).unwrap_or_default();
        let signature_at = original.len().saturating_sub(6 + 256);
        let algorithm_at = signature_at.saturating_sub(15 + 4);
        let attributes_at = (0..algorithm_at)
            .rev()
            .find(|&i| original[i] == 0xa0 && i + 2 + usize::from(original[i + 1]) == algorithm_at);
        let attributes = &original[attributes_at.unwrap_or(0)..algorithm_at];
        let signature = &original[signature_at..original.len() - 6];
        let holds = |part: &[u8]| signed.windows(part.len()).any(|w| w == part);
        assert!(attributes.len() > 100, "the oracle found the original's signed attributes");
        holds(attributes) && holds(signature)
    };
    match choice % 6 {
        0 => {
            if rsa2048(DOCUMENT, input, CERT_DER).is_ok() {
                let signed = decoded(input).unwrap_or_default();
                assert!(holds_what_was_signed(&signed), "a changed body verified: {signed:?}");
            }
        }
        1 => {
            let body = base64_lines(input);
            if rsa2048(DOCUMENT, &body, CERT_DER).is_ok() {
                assert!(holds_what_was_signed(input), "a changed SignedData verified: {input:?}");
            }
        }
        2 | 3 => {
            let certificate = match choice % 6 {
                2 => input.to_vec(),
                _ => [&b"-----BEGIN CERTIFICATE-----\n"[..], &base64_lines(input), b"-----END CERTIFICATE-----\n"]
                    .concat(),
            };
            let _ = verify::key_bits(&certificate, &mut vec![0; scratch_len(0, certificate.len())]);
            let _ = rsa2048(DOCUMENT, RSA2048, &certificate);
            let _ = verify::signature(
                DOCUMENT,
                SIGNATURE,
                &certificate,
                &mut vec![0; scratch_len(SIGNATURE.len(), certificate.len())],
            );
        }
        4 => {
            let ok = verify::signature(DOCUMENT, input, RSA_CERT, &mut vec![0; scratch_len(input.len(), 0)]).is_ok();
            if ok {
                assert_eq!(decoded(input), decoded(SIGNATURE), "a changed signature verified");
            }
        }
        _ => {
            if rsa2048(input, RSA2048, CERT_DER).is_ok() {
                assert_eq!(input, DOCUMENT, "a changed document verified");
            }
        }
    }
}

/// Base64 in 64-character lines (for building inputs).
#[cfg(feature = "verify")]
fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    use base64ct::Encoding;
    let text = base64ct::Base64::encode_string(bytes).into_bytes();
    text.chunks(64).flat_map(|line| line.iter().copied().chain([b'\n'])).collect()
}

/// Strict base64 (padded, canonical), for the oracle; `None` if not.
#[cfg(feature = "verify")]
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for quad in text.chunks(4) {
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        let mut n = 0u32;
        for (i, &b) in quad.iter().enumerate() {
            n |= u32::from(if i < 4 - pad { value(b)? } else { 0 }) << (18 - 6 * i);
        }
        out.extend((0..3 - pad).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(out)
}
