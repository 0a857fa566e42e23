//! End to end without a network: encode the requests of an IMDSv2 session and
//! decode recorded responses (the project's fixtures) the way a driver would,
//! reading them in small pieces.
//!
//!     cargo run --example recorded

use imds::BodyMode;
use imds::parse::Listing;
use imds::wire::{Limits, MAX_REQUEST_LEN, Progress, ReadError, Reader, Request};
use imds::{Endpoint, Token, TokenTtl, path};

const TOKEN_RESPONSE: &[u8] = include_bytes!("../tests/fixtures/token.http");
const LISTING_RESPONSE: &[u8] = include_bytes!("../tests/fixtures/meta_data_listing.http");
const USER_DATA_RESPONSE: &[u8] = include_bytes!("../tests/fixtures/user_data_chunked.http");

/// Plays `recorded` into `reader` 100 bytes at a time, as a socket would; calls
/// `on_piece` for streamed body pieces.
fn receive(
    reader: &mut Reader,
    rx: &mut [u8],
    mut recorded: &[u8],
    mut on_piece: impl FnMut(&[u8]),
) -> Result<(), ReadError> {
    loop {
        match reader.poll(rx)? {
            Progress::NeedMore => {
                let spare = reader.spare(rx)?;
                let n = spare.len().min(recorded.len()).min(100);
                spare[..n].copy_from_slice(&recorded[..n]);
                recorded = &recorded[n..];
                if n == 0 { reader.eof() } else { reader.received(n)? }
            }
            Progress::Head(head) => {
                println!("  <- {} ({:?}, keep-alive {})", head.status, head.framing, head.keep_alive)
            }
            Progress::Piece(piece) => on_piece(piece),
            Progress::Complete => return Ok(()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = Endpoint::IPV4;
    let mut tx = [0u8; MAX_REQUEST_LEN];
    let mut rx = [0u8; 2048];

    // 1. The token PUT.
    let n = Request::PutToken { ttl: TokenTtl::MAX }.encode(&endpoint, Some("imds-example/0.1"), &mut tx)?;
    println!("-> {}", String::from_utf8_lossy(&tx[..n]).replace("\r\n", "\n   "));
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    receive(&mut reader, &mut rx, TOKEN_RESPONSE, |_| {})?;
    let response = reader.response(&rx).ok_or("no response")?;
    let token = Token::new(response.body())?;
    println!("  token {token:?}, ttl {:?} s\n", response.token_ttl());

    // 2. The listing GET, with the token.
    let dir = "/latest/meta-data/";
    let n = Request::Get { path: dir, token: Some(&token) }.encode(&endpoint, None, &mut tx)?;
    println!("-> {} bytes: GET {dir} with the token header", n);
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    receive(&mut reader, &mut rx, LISTING_RESPONSE, |_| {})?;
    let body = reader.response(&rx).ok_or("no response")?.body();
    let mut path_buf = [0u8; path::MAX_PATH_LEN];
    let entries: Vec<String> =
        Listing::parse(dir, body)?.map(|e| e.join(&mut path_buf).map(str::to_owned)).collect::<Result<_, _>>()?;
    println!("  {} entries, e.g. {} and {}\n", entries.len(), entries[0], entries[3]);

    // 3. 16 KiB of chunked user-data, streamed through a 1 KiB buffer.
    let mut small = [0u8; 1024];
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Streaming);
    let (mut pieces, mut bytes) = (0, 0);
    receive(&mut reader, &mut small, USER_DATA_RESPONSE, |piece| {
        pieces += 1;
        bytes += piece.len();
    })?;
    println!("  user-data: {bytes} bytes in {pieces} pieces through a {} byte buffer", small.len());
    Ok(())
}
