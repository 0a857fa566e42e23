//! No public value that can hold body bytes or a token shows them in `Debug`:
//! each is formatted with a secret inside, and the secret must not appear.
//! (tests/defmt_redaction.rs does the same for defmt.)

mod support {
    pub mod secrets;
}

use imds::Token;
use support::secrets::{SECRET, body, with_samples};

#[test]
fn debug_shows_lengths_never_bodies_or_tokens() {
    let body = body();
    let token = Token::new(SECRET.as_bytes()).unwrap();
    with_samples(&body, &token, |s| {
        let shown = [
            format!("{:?}", s.progress),
            format!("{:?}", s.decoded),
            format!("{:?}", s.response),
            format!("{:?}", s.listing),
            format!("{:?}", s.entry),
            format!("{:?}", s.answer),
            format!("{:?}", s.action),
            format!("{:?}", s.visit),
            format!("{:?}", s.token),
            format!("{:?}", s.request),
            format!("{:#?}", s.listing.collect::<Vec<_>>()),
            format!("{:?} {}", s.credentials, s.credentials.secret_access_key),
            format!("{:?}", s.fetched),
            format!("{:?} {:?}", s.value, s.value.as_object().map(|o| o.members().collect::<Vec<_>>())),
        ];
        // As text, and as a derived `Debug` of bytes prints them: "119, 74, 97, ...".
        let as_numbers = format!("{:?}", &SECRET.as_bytes()[..6]);
        let as_numbers = as_numbers.trim_matches(['[', ']']);
        for text in &shown {
            assert!(!text.contains(SECRET) && !text.contains("wJalr"), "secret shown: {text}");
            assert!(!text.contains(as_numbers), "secret shown as numbers: {text}");
        }
        let lengths = format!("{} bytes", body.len());
        assert!(shown[0].contains(&lengths) && shown[6].contains(&lengths), "{shown:?}");
        assert!(shown[3].contains(&format!("body_len: {}", body.len())), "{}", shown[3]);
    });
}
