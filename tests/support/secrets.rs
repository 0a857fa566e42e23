//! Every public value that can hold body bytes (or a token), built with a
//! secret inside, for the redaction tests (`Debug` and defmt).

use imds::parse::json::{self, Value};
use imds::parse::{Credentials, Entry, Listing, Timestamp};
use imds::wire::{Decoded, Decoder, Limits, Progress, Reader, Request, Response};
use imds::{Action, Answer, BodyMode, FetchedCredentials, Token, Visit};

/// A secret access key, also valid as a token and inside a listing entry (so
/// without the `/` real keys may have: an entry is one path segment).
pub const SECRET: &str = "wJalrXUtnFEMI+K7MDENG+bPxRfiCYSECRETKEY";

/// A credentials document holding [`SECRET`] as its secret key and session
/// token, one field per line (so that it also parses as a listing).
pub fn body() -> Vec<u8> {
    format!(
        "{{\n\"AccessKeyId\":\"ASIA\",\n\"SecretAccessKey\":\"{SECRET}\",\n\"Token\":\"{SECRET}\",\n\"Expiration\":\"2026-11-26T21:47:55Z\"\n}}"
    )
    .into_bytes()
}

/// The values; `rx` receives a whole response whose body is `body`.
pub struct Samples<'a> {
    pub progress: Progress<'a>,
    pub decoded: Decoded<'a>,
    pub response: Response<'a>,
    pub listing: Listing<'a>,
    pub entry: Entry<'a>,
    pub answer: Answer<'a>,
    pub action: Action<'a>,
    pub visit: Visit<'a, 'a>,
    pub token: Token,
    pub request: Request<'a>,
    pub credentials: Credentials<'a>,
    pub fetched: FetchedCredentials<'a>,
    pub value: Value<'a>,
}

pub fn with_samples(body: &[u8], token: &Token, check: impl FnOnce(&Samples<'_>)) {
    let wire = [format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(), body].concat();
    let mut rx = vec![0u8; wire.len() + 64];
    let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
    reader.spare(&mut rx).unwrap()[..wire.len()].copy_from_slice(&wire);
    reader.received(wire.len()).unwrap();
    while reader.poll(&mut rx).unwrap() != Progress::Complete {}
    let response = reader.response(&rx).unwrap();
    assert_eq!(response.body(), body);
    let mut decoder = Decoder::new(Limits::DEFAULT);
    let (consumed, _) = decoder.decode(&wire, true).unwrap();
    let (_, decoded) = decoder.decode(&wire[consumed..], true).unwrap();
    assert!(matches!(decoded, Decoded::Body(piece) if piece == body));
    let listing = Listing::parse("/latest/meta-data/", body).unwrap();
    let entry = listing.clone().nth(2).unwrap();
    assert!(entry.raw().contains(SECRET));
    let samples = Samples {
        progress: Progress::Piece(body),
        decoded,
        response,
        listing,
        entry,
        answer: Answer { status: 200, body, token_ttl: None, date: None },
        action: Action::Piece(body),
        visit: Visit::Leaf { path: "/latest/meta-data/iam/security-credentials/role", body },
        token: token.clone(),
        request: Request::Get { path: "/latest/meta-data/", token: Some(token) },
        credentials: Credentials::parse(body).unwrap(),
        fetched: FetchedCredentials {
            credentials: Credentials::parse(body).unwrap(),
            expires_at: Timestamp::UNIX_EPOCH,
            refresh_at: Timestamp::UNIX_EPOCH,
            stale: false,
            clock_skew_secs: 0,
        },
        value: json::parse(body).unwrap(),
    };
    check(&samples);
}
