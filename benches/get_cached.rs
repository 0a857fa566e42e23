//! The per-request costs `benches/callgrind.sh` counts, in one program (one
//! callgrind run): GETs with a cached token through the whole client (encode,
//! state machine, decode) over an in-memory transport; the decoder alone on
//! the same response; and `httparse::Response::parse` alone on it, the floor
//! the decoder is held to. Not timed: these machines are too noisy for that.
//!
//!     cargo bench --bench get_cached -- 1000

use std::hint::black_box;

use imds::BodyMode;
use imds::driver::{Clock, ManualClock, MemoryTransport, run};
use imds::wire::{Decoded, Decoder, Limits, MAX_HEADERS, MAX_REQUEST_LEN};
use imds::{Client, Config, Endpoint};

const TOKEN: &[u8] = b"HTTP/1.1 200 OK\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: 21600\r\nContent-Type: text/plain\r\n\
Content-Length: 56\r\nServer: EC2ws\r\nConnection: close\r\n\r\nAQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==";
/// What IMDS answers for `instance-id` (its headers, in its order).
const VALUE: &[u8] = b"HTTP/1.1 200 OK\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: 21590\r\nContent-Type: text/plain\r\n\
Accept-Ranges: none\r\nLast-Modified: Thu, 26 Nov 2026 15:31:17 GMT\r\nContent-Length: 19\r\n\
Date: Thu, 26 Nov 2026 15:40:02 GMT\r\nServer: EC2ws\r\nConnection: close\r\n\r\ni-0a1b2c3d4e5f60718";

/// `n` GETs of `instance-id`, the token cached by an earlier one.
#[inline(never)]
fn gets(client: &mut Client<'_>, n: usize) -> usize {
    let mut transport =
        MemoryTransport::new(|request: &[u8]| Some(if request.starts_with(b"PUT") { TOKEN } else { VALUE }));
    let mut clock = ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 2048]);
    let mut total = 0;
    for _ in 0..n {
        let mut operation = client.get(clock.now(), black_box("/latest/meta-data/instance-id"), BodyMode::Contiguous);
        let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
        total += black_box(answer.body).len();
    }
    total
}

/// `n` decodes of the whole response (head, then body) by `wire::Decoder`.
#[inline(never)]
fn decodes(n: usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let mut decoder = Decoder::new(Limits::DEFAULT);
        let mut input = black_box(VALUE);
        loop {
            let (consumed, decoded) = decoder.decode(input, true).unwrap();
            input = &input[consumed..];
            match decoded {
                Decoded::Head(head) => total += usize::from(head.status),
                Decoded::Body(piece) => total += piece.len(),
                Decoded::End | Decoded::NeedMore => break,
            }
        }
    }
    total
}

/// `n` parses of the same head by httparse alone (no body, no field read).
#[inline(never)]
fn httparse_alone(n: usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(len)) = response.parse(black_box(VALUE)) {
            total += len;
        }
    }
    total
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let mut client = Client::new(Config::with_endpoint(Endpoint::parse("http://127.0.0.1:1338").unwrap()), 1);
    let first = gets(&mut client, 1); // fetches the token
    let total = gets(&mut client, n) + decodes(n) + httparse_alone(n);
    println!("{n} of each: {}", first + total);
}
