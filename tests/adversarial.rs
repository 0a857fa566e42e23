//! Hostile and odd responses: each gets a typed error or a documented
//! acceptance, the same whatever the split, and never a panic or a hang.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use imds::wire::{DecodeError, DecodeError::*, EofPhase, Framing, HeadError, Limits};

/// Decodes `input` every way `check_response_with` knows and returns how it ended.
fn outcome(input: &[u8]) -> checks::Outcome {
    checks::check_response_with(input, &[5, 1, 17], Limits::DEFAULT)
}

fn error(input: &[u8]) -> Result<(), DecodeError> {
    outcome(input).end
}

fn ok_body(input: &[u8]) -> Vec<u8> {
    let outcome = outcome(input);
    assert_eq!(outcome.end, Ok(()), "{:?}", String::from_utf8_lossy(input));
    outcome.body
}

#[test]
fn not_http_at_all() {
    assert_eq!(error(b"<html><body>hello</body></html>"), Err(NotHttp));
    assert_eq!(error(b"SSH-2.0-OpenSSH_9.6\r\n"), Err(NotHttp));
    assert_eq!(error(b"\r\nHTTP/1.1 200 OK\r\n\r\n"), Err(NotHttp));
    assert_eq!(error(b"http/1.1 200 OK\r\n\r\n"), Err(NotHttp));
    assert_eq!(error(&[0xff; 64]), Err(NotHttp));
    assert_eq!(error(b""), Err(UnexpectedEof(EofPhase::BeforeResponse)));
    assert_eq!(error(b"HTT"), Err(UnexpectedEof(EofPhase::Head)));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"), Err(UnexpectedEof(EofPhase::Head)));
}

#[test]
fn http_versions() {
    // HTTP/0.9 has no status line: the body alone is not HTTP.
    assert_eq!(error(b"i-0123456789abcdef0"), Err(NotHttp));
    assert_eq!(error(b"HTTP/0.9 200 OK\r\n\r\n"), Err(MalformedHead(HeadError::Version)));
    assert_eq!(error(b"HTTP/2 200\r\n\r\n"), Err(MalformedHead(HeadError::Version)));
    assert_eq!(error(b"HTTP/1.2 200 OK\r\n\r\n"), Err(MalformedHead(HeadError::Version)));
    // HTTP/1.0: accepted, closed after the body unless it asks for keep-alive.
    let close = outcome(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!((close.body.as_slice(), close.head.unwrap().0.keep_alive), (&b"ok"[..], false));
    let kept = outcome(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
    assert!(kept.head.unwrap().0.keep_alive);
    assert_eq!(ok_body(b"HTTP/1.0 200 OK\r\n\r\nto the end"), b"to the end");
    assert_eq!(
        error(b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        Err(UnsupportedTransferEncoding)
    );
}

#[test]
fn garbage_status_lines() {
    assert_eq!(error(b"HTTP/1.1 2000 OK\r\n\r\n"), Err(MalformedHead(HeadError::Status)));
    assert_eq!(error(b"HTTP/1.1 OK\r\n\r\n"), Err(MalformedHead(HeadError::Status)));
    assert_eq!(error(b"HTTP/1.1 -20 OK\r\n\r\n"), Err(MalformedHead(HeadError::Status)));
    assert_eq!(error(b"HTTP/1.1 200 OK\0\r\n\r\n"), Err(MalformedHead(HeadError::Status)));
    assert_eq!(error(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"), Err(UnexpectedSwitch));
    // A missing reason phrase is accepted (empty reason).
    let bare = outcome(b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
    assert_eq!(bare.head.unwrap().1, b"");
}

#[test]
fn too_many_and_too_large_headers() {
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..120 {
        many.extend_from_slice(format!("X-Header-{i}: {i}\r\n").as_bytes());
    }
    many.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    assert_eq!(error(&many), Err(TooManyHeaders));

    let mut long = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 64 * 1024));
    long.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(error(&long), Err(HeadTooLarge));
    // Raising the limit accepts it.
    let roomy = Limits { max_head_len: 128 * 1024, ..Limits::DEFAULT };
    assert_eq!(checks::decode_split(&long, &[], roomy).end, Ok(()));
    // A head that never ends is refused at the limit, not waited for forever.
    assert_eq!(error(&[b"HTTP/1.1 200 OK\r\n".as_slice(), &[b'x'; 9000]].concat()), Err(HeadTooLarge));
}

#[test]
fn content_length_variants() {
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok"), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok"), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n\r\nok"), Err(InvalidContentLength));
    let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n";
    assert_eq!(error(huge), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n"), Err(InvalidContentLength));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n"), Err(BodyTooLarge));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n"), Err(BodyTooLarge));
    assert_eq!(
        error(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
        Err(InvalidContentLength)
    );
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok"), Err(InvalidContentLength));
    // Equal duplicates count once (RFC 9110 §8.6).
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"), b"ok");
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"), b"ok");
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\ncontent-length:   2   \r\n\r\nok"), b"ok");
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\nabcdefg"), b"abcdefg");
}

#[test]
fn transfer_encoding_smuggling_rules() {
    let both = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(error(both), Err(ConflictingFraming));
    let both = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(error(both), Err(ConflictingFraming));
    for te in ["gzip", "gzip, chunked", "chunked, chunked", "chunked, gzip", "identity", ""] {
        let head = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {te}\r\n\r\n0\r\n\r\n");
        assert_eq!(error(head.as_bytes()), Err(UnsupportedTransferEncoding), "{te}");
    }
    let twice = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(error(twice), Err(UnsupportedTransferEncoding));
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), b"ok");
}

#[test]
fn chunk_sizes_and_truncation() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice();
    let with = |body: &[u8]| [head, body].concat();
    assert_eq!(error(&with(b"00000000000000000005\r\nhello\r\n0\r\n\r\n")), Err(ChunkSizeOverflow));
    assert_eq!(error(&with(b"FFFFFFFFFFFFFFFFFFFF\r\n")), Err(ChunkSizeOverflow));
    assert_eq!(error(&with(b"FFFFFFFFFFFFFFFF\r\n")), Err(BodyTooLarge));
    assert_eq!(error(&with(b"5\r\nhello\r\n")), Err(UnexpectedEof(EofPhase::Body)));
    assert_eq!(error(&with(b"5\r\nhel")), Err(UnexpectedEof(EofPhase::Body)));
    assert_eq!(error(&with(b"5\r\nhello\r\n0\r\n")), Err(UnexpectedEof(EofPhase::Body)));
    assert_eq!(error(&with(b"5\r\nhello world\r\n0\r\n\r\n")), Err(MalformedChunk));
    assert_eq!(error(&with(b"g\r\n")), Err(MalformedChunk));
    assert_eq!(error(&with(b"5\rhello")), Err(MalformedChunk));
    let truncated = outcome(&with(b"5\r\nhello\r\n"));
    assert_eq!(truncated.body, b"hello", "what arrived is delivered, then the error");
}

#[test]
fn nul_and_high_bytes_in_heads() {
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\n\r\n"), Err(MalformedHead(HeadError::HeaderValue)));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nX-\0Bad: ab\r\n\r\n"), Err(MalformedHead(HeadError::HeaderName)));
    assert_eq!(error(b"HTTP/1.1 200 OK\r\nX-\xffBad: ab\r\n\r\n"), Err(MalformedHead(HeadError::HeaderName)));
    // obs-text (0x80..=0xFF) in a field value or reason is legal HTTP: accepted, not interpreted.
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nX-Note: caf\xe9\xff\r\nContent-Length: 1\r\n\r\nx"), b"x");
    let reason = outcome(b"HTTP/1.1 200 \xffK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(reason.end, Ok(()));
}

#[test]
fn line_endings() {
    // Bare LF is accepted everywhere a CRLF may be (documented in wire::response).
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), b"ok");
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok"), b"ok");
    assert_eq!(ok_body(b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n"), b"ok");
    // A bare CR is not a line end.
    assert!(matches!(error(b"HTTP/1.1 200 OK\rContent-Length: 2\r\n\r\nok"), Err(MalformedHead(_))));
    // Folded (obs-fold) lines are refused by httparse.
    assert!(matches!(error(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n"), Err(MalformedHead(_))));
}

#[test]
fn token_ttl_header() {
    let ttl = |value: &str| {
        let head =
            format!("HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: {value}\r\nContent-Length: 0\r\n\r\n");
        let outcome = outcome(head.as_bytes());
        outcome.end.map(|()| outcome.head.unwrap().0.token_ttl)
    };
    assert_eq!(ttl("21600"), Ok(Some(21600)));
    assert_eq!(ttl(" 1 "), Ok(Some(1)));
    assert_eq!(ttl("abc"), Err(InvalidTokenTtl));
    assert_eq!(ttl("-1"), Err(InvalidTokenTtl));
    assert_eq!(ttl("4294967296"), Err(InvalidTokenTtl));
    let twice = b"HTTP/1.1 200 OK\r\nx-aws-ec2-metadata-token-ttl-seconds: 5\r\nX-AWS-EC2-METADATA-TOKEN-TTL-SECONDS: 6\r\n\r\n";
    assert_eq!(error(twice), Err(InvalidTokenTtl));
}

#[test]
fn bodiless_statuses_and_interim_responses() {
    let no_content = outcome(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
    assert_eq!((no_content.end, no_content.head.unwrap().0.framing), (Ok(()), Framing::Empty));
    let many_interim =
        [b"HTTP/1.1 100 Continue\r\n\r\n".repeat(50), b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()]
            .concat();
    assert_eq!(ok_body(&many_interim), b"ok");
    assert_eq!(error(&b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n".repeat(3)), Err(UnexpectedEof(EofPhase::Head)));
}

#[test]
fn connection_header() {
    let keep = |head: &[u8]| outcome(head).head.unwrap().0.keep_alive;
    assert!(keep(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert!(!keep(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    assert!(!keep(b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n"));
    assert!(!keep(b"HTTP/1.1 200 OK\r\n\r\n"));
}
