//! No public value that can hold body bytes or a token sends them through
//! defmt: each is logged with `defmt::println!` into a logger that keeps the
//! encoded stream, and the secret's bytes must not be in it. (defmt interns
//! format strings; only the arguments travel, so a leaked body would be there
//! verbatim, as the control check shows.)
//!
//! Needs the `defmt` feature: `cargo test --features defmt --test defmt_redaction`.

mod support {
    pub mod secrets;
}

use std::sync::Mutex;

use imds::Token;
use support::secrets::{SECRET, body, with_samples};

static STREAM: Mutex<Vec<u8>> = Mutex::new(Vec::new());

defmt::timestamp!("");

#[defmt::global_logger]
struct Capture;

unsafe impl defmt::Logger for Capture {
    fn acquire() {}
    unsafe fn flush() {}
    unsafe fn release() {}
    unsafe fn write(bytes: &[u8]) {
        STREAM.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
    }
}

fn captured(log: impl FnOnce()) -> Vec<u8> {
    let mut stream = STREAM.lock().unwrap_or_else(|e| e.into_inner());
    stream.clear();
    drop(stream);
    log();
    STREAM.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn defmt_shows_lengths_never_bodies_or_tokens() {
    let control = captured(|| defmt::println!("{=[u8]}", SECRET.as_bytes()));
    assert!(contains(&control, SECRET.as_bytes()), "the capture sees arguments");

    let body = body();
    let token = Token::new(SECRET.as_bytes()).unwrap();
    with_samples(&body, &token, |s| {
        let stream = captured(|| {
            defmt::println!("{}", s.progress);
            defmt::println!("{}", s.decoded);
            defmt::println!("{}", s.response);
            defmt::println!("{}", s.listing);
            defmt::println!("{}", s.entry);
            defmt::println!("{}", s.answer);
            defmt::println!("{}", s.action);
            defmt::println!("{}", s.visit);
            defmt::println!("{}", s.token);
            defmt::println!("{}", s.request);
            defmt::println!("{}", s.credentials);
            defmt::println!("{}", s.fetched);
            defmt::println!("{}", s.value);
        });
        assert!(stream.len() > 40, "everything was logged: {} bytes", stream.len());
        assert!(!contains(&stream, SECRET.as_bytes()), "secret in the defmt stream");
        assert!(!contains(&stream, b"wJalr"), "part of the secret in the defmt stream");
    });
}
