//! Realistic responses (tests/fixtures, made by tests/fixtures/make.py) decode the
//! same whatever way their bytes arrive: at every split point, byte at a time,
//! into a contiguous buffer or streamed through a small one.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use checks::{Outcome, decode_split, read_split};
use imds::BodyMode;
use imds::wire::{DecodeError, Framing, Limits, Progress, ReadError, Reader};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

struct Expect {
    file: &'static str,
    status: u16,
    reason: &'static str,
    ttl: Option<u32>,
    keep_alive: bool,
    framing: fn(usize) -> Framing,
    content_type: Option<&'static str>,
}

const fn expect(file: &'static str, status: u16, reason: &'static str, ttl: Option<u32>) -> Expect {
    Expect { file, status, reason, ttl, keep_alive: false, framing: cl, content_type: Some("text/plain") }
}

fn cl(n: usize) -> Framing {
    Framing::ContentLength(n as u32)
}

const EC2: [Expect; 8] = [
    expect("token.http", 200, "OK", Some(21600)),
    expect("meta_data_listing.http", 200, "OK", Some(21600)),
    expect("instance_id.http", 200, "OK", Some(21600)),
    expect("credentials.http", 200, "OK", Some(21600)),
    expect("identity_document.http", 200, "OK", Some(21600)),
    Expect { content_type: Some("text/html"), ..expect("not_found.http", 404, "Not Found", None) },
    expect("unauthorized.http", 401, "Unauthorized", None),
    expect("service_unavailable.http", 503, "Service Unavailable", None),
];

fn others() -> [(Expect, Vec<u8>); 5] {
    let listing = fixture("meta_data_listing.http");
    let listing_body = listing[listing.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..].to_vec();
    let identity = fixture("identity_document.http");
    let identity_body = identity[identity.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..].to_vec();
    [
        (
            Expect {
                keep_alive: true,
                framing: |_| Framing::Chunked,
                content_type: Some("text/plain; charset=utf-8"),
                ..expect("user_data_chunked.http", 200, "OK", None)
            },
            fixture("user_data.txt"),
        ),
        (
            Expect {
                keep_alive: true,
                content_type: Some("application/json"),
                ..expect("emulator_keep_alive.http", 200, "OK", None)
            },
            identity_body,
        ),
        (
            Expect { framing: |_| Framing::CloseDelimited, ..expect("close_delimited.http", 200, "OK", None) },
            listing_body,
        ),
        (Expect { content_type: None, ..expect("http10_lf_only.http", 200, "OK", None) }, b"us-east-1".to_vec()),
        (expect("interim_100.http", 200, "OK", Some(21600)), b"eu-west-1b".to_vec()),
    ]
}

fn check(expect: &Expect, body: &[u8], outcome: &Outcome) {
    let (head, reason, content_type, _) = outcome.head.as_ref().unwrap_or_else(|| panic!("{}: no head", expect.file));
    assert_eq!(outcome.end, Ok(()), "{}", expect.file);
    assert_eq!(head.status, expect.status, "{}", expect.file);
    assert_eq!(reason, expect.reason.as_bytes(), "{}", expect.file);
    assert_eq!(head.token_ttl, expect.ttl, "{}", expect.file);
    assert_eq!(head.keep_alive, expect.keep_alive, "{}", expect.file);
    assert_eq!(head.framing, (expect.framing)(body.len()), "{}", expect.file);
    assert_eq!(content_type.as_deref(), expect.content_type.map(str::as_bytes), "{}", expect.file);
    assert_eq!(outcome.body, body, "{}", expect.file);
}

fn all_fixtures() -> Vec<(Expect, Vec<u8>, Vec<u8>)> {
    let mut all = Vec::new();
    for e in EC2 {
        let bytes = fixture(e.file);
        let body = bytes[bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..].to_vec();
        all.push((e, bytes, body));
    }
    for (e, body) in others() {
        let bytes = fixture(e.file);
        all.push((e, bytes, body));
    }
    all
}

#[test]
fn real_ec2_heads_decode() {
    for (expect, bytes, body) in all_fixtures() {
        let outcome = decode_split(&bytes, &[], Limits::DEFAULT);
        check(&expect, &body, &outcome);
    }
    let token = fixture("token.http");
    let token_body = &token[token.len() - 56..];
    assert_eq!(token_body, fixture("token.txt"));
    assert!(imds::Token::new(token_body).is_ok());
}

#[test]
fn every_split_point_and_byte_at_a_time_agree() {
    for (expect, bytes, body) in all_fixtures() {
        let reference = decode_split(&bytes, &[], Limits::DEFAULT);
        check(&expect, &body, &reference);
        // Every split point of the smaller fixtures; a prime stride through the 16 KiB one.
        let stride = if bytes.len() > 4096 { 61 } else { 1 };
        for at in (0..=bytes.len()).step_by(stride) {
            assert_eq!(
                decode_split(&bytes, &[at, bytes.len()], Limits::DEFAULT),
                reference,
                "{} split at {at}",
                expect.file
            );
            let read = read_split(&bytes, BodyMode::Contiguous, bytes.len() + 16, at.max(1), Limits::DEFAULT).unwrap();
            assert_eq!(read, reference, "{} reader, reads of {at}", expect.file);
        }
        assert_eq!(decode_split(&bytes, &[1], Limits::DEFAULT), reference, "{} byte at a time", expect.file);
        for read_len in [1, 2, 3, 7, 64, 1000] {
            let streamed = read_split(&bytes, BodyMode::Streaming, 1024, read_len, Limits::DEFAULT).unwrap();
            assert_eq!(streamed, reference, "{} streamed, reads of {read_len}", expect.file);
        }
        checks::check_response_with(&bytes, &[3, 7, 250, 1], Limits::DEFAULT);
    }
}

#[test]
fn sixteen_kib_of_user_data_streams_through_one_kib() {
    let bytes = fixture("user_data_chunked.http");
    let expected = fixture("user_data.txt");
    assert!(expected.len() > 16_000);
    let mut buf = [0u8; 1024];
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Streaming);
    let (mut wire, mut body, mut pieces) = (&bytes[..], Vec::new(), 0);
    loop {
        match reader.poll(&mut buf).unwrap() {
            Progress::NeedMore => {
                let spare = reader.spare(&mut buf).unwrap();
                let n = spare.len().min(wire.len());
                spare[..n].copy_from_slice(&wire[..n]);
                wire = &wire[n..];
                if n == 0 { reader.eof() } else { reader.received(n).unwrap() }
            }
            Progress::Head(head) => assert_eq!((head.status, head.framing), (200, Framing::Chunked)),
            Progress::Piece(piece) => {
                assert!(piece.len() <= 1024);
                body.extend_from_slice(piece);
                pieces += 1;
            }
            Progress::Complete => break,
        }
    }
    assert_eq!(body, expected);
    assert!(pieces >= 16, "{pieces} pieces");
    assert_eq!(reader.response(&buf).unwrap().status(), 200);
}

#[test]
fn contiguous_chunked_body_is_dechunked_in_place() {
    let bytes = fixture("user_data_chunked.http");
    let mut buf = vec![0u8; bytes.len()];
    let outcome = read_split(&bytes, BodyMode::Contiguous, bytes.len(), 1500, Limits::DEFAULT).unwrap();
    assert_eq!(outcome.body, fixture("user_data.txt"));
    // The exact size is enough even though framing and body share it.
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    let spare = reader.spare(&mut buf).unwrap();
    spare.copy_from_slice(&bytes);
    reader.received(bytes.len()).unwrap();
    while reader.poll(&mut buf).unwrap() != Progress::Complete {}
    let response = reader.response(&buf).unwrap();
    assert_eq!(response.body(), fixture("user_data.txt"));
    assert_eq!(response.content_type(), Some(&b"text/plain; charset=utf-8"[..]));
}

#[test]
fn contiguous_buffer_too_small_is_known_from_content_length() {
    let bytes = fixture("credentials.http");
    let head_len = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut buf = [0u8; 512];
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    let spare = reader.spare(&mut buf).unwrap();
    spare.copy_from_slice(&bytes[..512]);
    reader.received(512).unwrap();
    // The head is kept as its reason phrase, Content-Type and Date only:
    // "OK", "text/plain", and the 29 bytes of an IMF-fixdate.
    let required = bytes.len() - head_len + "OK".len() + "text/plain".len() + 29;
    assert_eq!(reader.poll(&mut buf), Err(ReadError::BufferTooSmall(imds::BufferTooSmall { required })));
    assert!(head_len < 512);
}

#[test]
fn body_limit_is_enforced_before_the_body_arrives() {
    let limits = Limits { max_body_len: 100, ..Limits::DEFAULT };
    let bytes = fixture("credentials.http");
    let head_len = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let outcome = decode_split(&bytes[..head_len], &[], limits);
    assert_eq!(outcome.end, Err(DecodeError::BodyTooLarge));
    let chunked = fixture("user_data_chunked.http");
    let outcome = decode_split(&chunked[..200], &[], limits);
    assert_eq!((outcome.end, outcome.body.len()), (Err(DecodeError::BodyTooLarge), 0));
    let close = fixture("close_delimited.http");
    let outcome = decode_split(&close, &[], limits);
    assert_eq!((outcome.end, outcome.body.len()), (Err(DecodeError::BodyTooLarge), 100));
}

#[test]
fn a_short_body_is_never_complete() {
    for (expect, bytes, body) in all_fixtures() {
        if body.is_empty() || matches!((expect.framing)(body.len()), Framing::CloseDelimited) {
            continue;
        }
        for cut in [bytes.len() - 1, bytes.len() - body.len() / 2 - 1] {
            let outcome = decode_split(&bytes[..cut], &[], Limits::DEFAULT);
            assert_eq!(
                outcome.end,
                Err(DecodeError::UnexpectedEof(imds::wire::EofPhase::Body)),
                "{} cut at {cut}",
                expect.file
            );
        }
    }
}

/// A head of exactly `len` bytes framing its body as `framing` says.
fn head_of(len: usize, framing: &str) -> Vec<u8> {
    let fixed = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{framing}\r\nX-Pad: \r\n\r\n");
    let head = fixed.replace("X-Pad: ", &format!("X-Pad: {}", "p".repeat(len - fixed.len())));
    assert_eq!(head.len(), len);
    head.into_bytes()
}

#[test]
fn the_largest_head_and_body_fit_a_buffer_of_both_limits_in_every_framing() {
    const HEAD: usize = 256;
    const BODY: usize = 600;
    let limits = Limits { max_head_len: HEAD, max_body_len: BODY as u32 };
    let body: Vec<u8> = (0..BODY).map(|i| b'a' + (i % 26) as u8).collect();
    let mut chunked = Vec::new();
    for chunk in body.chunks(250) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\nExpires: never\r\n\r\n");
    let responses = [
        [head_of(HEAD, &format!("Content-Length: {BODY}")), body.clone()].concat(),
        [head_of(HEAD, "Transfer-Encoding: chunked"), chunked].concat(),
        [head_of(HEAD, "Connection: close"), body.clone()].concat(),
    ];
    for response in &responses {
        for read_len in [1, 7, 64, 100_000] {
            let label = format!("{}, reads of {read_len}", String::from_utf8_lossy(&response[45..70]));
            // Contiguous: exactly head limit + body limit.
            let outcome = read_split(response, BodyMode::Contiguous, HEAD + BODY, read_len, limits);
            let outcome = outcome.unwrap_or_else(|e| panic!("{label}: contiguous: {e}"));
            assert_eq!((outcome.end, outcome.body == body), (Ok(()), true), "{label}: contiguous");
            // Streaming: exactly the head limit.
            let outcome = read_split(response, BodyMode::Streaming, HEAD, read_len, limits);
            let outcome = outcome.unwrap_or_else(|e| panic!("{label}: streaming: {e}"));
            assert_eq!((outcome.end, outcome.body == body), (Ok(()), true), "{label}: streaming");
        }
    }
}
