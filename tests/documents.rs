//! The typed documents against realistic bodies: pretty-printed as the service
//! serves them (tests/fixtures/documents), minified, with nulls, escapes and
//! unknown fields; and adversarial JSON, which gives typed errors with offsets.

use imds::parse::json::{self, JsonErrorKind, Value};
use imds::parse::{
    Credentials, DocumentError, IamInfo, IdentityDocument, MaintenanceEvents, RebalanceRecommendation, SpotAction,
    SpotActionKind, Timestamp,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/documents/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The same document without whitespace outside strings.
fn minified(body: &[u8]) -> Vec<u8> {
    json::parse(body).unwrap().to_string().into_bytes()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[test]
fn identity_document_every_field_nulls_as_none() {
    for body in [fixture("identity.json"), minified(&fixture("identity.json"))] {
        let doc = IdentityDocument::parse(&body).unwrap();
        let text = |s: Option<json::JsonStr<'_>>| s.map(|s| s.to_string());
        assert_eq!(text(doc.account_id).as_deref(), Some("123456789012"));
        assert_eq!(text(doc.architecture).as_deref(), Some("arm64"));
        assert_eq!(text(doc.availability_zone).as_deref(), Some("eu-west-1b"));
        assert_eq!(text(doc.image_id).as_deref(), Some("ami-0f1e2d3c4b5a69788"));
        assert_eq!(text(doc.instance_id).as_deref(), Some("i-0a1b2c3d4e5f60718"));
        assert_eq!(text(doc.instance_type).as_deref(), Some("c7g.large"));
        assert_eq!(text(doc.private_ip).as_deref(), Some("10.20.30.40"));
        assert_eq!(text(doc.region).as_deref(), Some("eu-west-1"));
        assert_eq!(text(doc.version).as_deref(), Some("2017-09-30"));
        assert_eq!(doc.pending_time, Some(at("2026-11-26T09:02:11Z")));
        assert_eq!(
            (doc.kernel_id, doc.ramdisk_id, doc.billing_products, doc.devpay_product_codes),
            (None, None, None, None)
        );
        let codes: Vec<String> = doc.marketplace_product_codes.unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(codes, ["4i20ezfza3p7xx2kt2g8weu2u"]);
    }
    // The emulator's document, and one with an escape and an unknown field.
    let emulated = imds_emulator::instance()["/latest/dynamic/instance-identity/document"].clone();
    assert_eq!(IdentityDocument::parse(emulated.as_bytes()).unwrap().region.unwrap().to_string(), "eu-west-1");
    let escaped = br#"{"region":"eu-\u0077est-1","newField":{"x":[true]},"kernelId":null}"#;
    let doc = IdentityDocument::parse(escaped).unwrap();
    assert_eq!((doc.region.unwrap().to_string(), doc.region.unwrap().as_str()), ("eu-west-1".to_owned(), None));
    assert_eq!(IdentityDocument::parse(br#"{"region":5}"#), Err(DocumentError::WrongType("region")));
    assert_eq!(
        IdentityDocument::parse(br#"{"pendingTime":"yesterday"}"#).map(|_| ()),
        Err(DocumentError::InvalidTime("pendingTime", imds::parse::TimestampError::Syntax))
    );
    assert_eq!(
        IdentityDocument::parse(br#"{"billingProducts":[1]}"#),
        Err(DocumentError::WrongType("billingProducts"))
    );
    assert_eq!(IdentityDocument::parse(b"[]"), Err(DocumentError::NotAnObject));
}

#[test]
fn credentials_legacy_extended_and_failure() {
    let body = fixture("credentials.json");
    let c = Credentials::parse(&body).unwrap();
    assert_eq!(c.access_key_id.to_string(), "ASIAFIXTURE0EXAMPLE1");
    assert_eq!(c.secret_access_key.expose().to_string(), "fixture/secret+access/key0000000000000000");
    assert!(c.session_token.expose().to_string().starts_with("IQoJb3JpZ2luX2VjEFixture"));
    assert_eq!(
        (c.expiration, c.last_updated, c.account_id),
        (at("2026-11-26T21:47:55Z"), Some(at("2026-11-26T15:12:40Z")), None)
    );
    assert_eq!(c.kind.map(|k| k.to_string()).as_deref(), Some("AWS-HMAC"));

    let body = fixture("credentials_extended.json");
    let c = Credentials::parse(&body).unwrap();
    assert_eq!(c.account_id.map(|a| a.to_string()).as_deref(), Some("123456789012"), "AccountId from the extended API");

    let body = fixture("credentials_failure.json");
    let Err(DocumentError::Code(code)) = Credentials::parse(&body) else { panic!("a Code other than Success") };
    assert_eq!(code.as_str(), "AssumeRoleUnauthorizedAccess");
    assert_eq!(DocumentError::Code(code).to_string(), "the service answered Code AssumeRoleUnauthorizedAccess");
    assert!(
        matches!(Credentials::parse(br#"{"Code":"Failure"}"#), Err(DocumentError::Code(c)) if c.as_str() == "Failure")
    );
}

#[test]
fn credentials_keys_ignore_case_and_session_token_is_token() {
    let minimal = br#"{"accesskeyid":"AKID","SECRETACCESSKEY":"s","sessiontoken":"t","expiration":"2026-11-26T21:47:55Z","accountId":"1"}"#;
    let c = Credentials::parse(minimal).unwrap();
    assert_eq!((c.access_key_id.to_string(), c.session_token.expose().to_string()), ("AKID".into(), "t".into()));
    assert_eq!(c.account_id.map(|a| a.to_string()).as_deref(), Some("1"));
    // No Code is success, as in aws-config; "success" in lower case is not.
    assert!(Credentials::parse(minimal).is_ok());
    let lower = br#"{"Code":"success","AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-26T21:47:55Z"}"#;
    assert!(matches!(Credentials::parse(lower), Err(DocumentError::Code(_))));
    let both = br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","SessionToken":"u","Expiration":"2026-11-26T21:47:55Z"}"#;
    assert_eq!(Credentials::parse(both), Err(DocumentError::DuplicateField("Token")));
    let twice = br#"{"AccessKeyId":"a","accessKeyId":"b"}"#;
    assert_eq!(Credentials::parse(twice), Err(DocumentError::DuplicateField("AccessKeyId")));
    for (field, body) in [
        ("AccessKeyId", &br#"{"SecretAccessKey":"s","Token":"t","Expiration":"2026-11-26T21:47:55Z"}"#[..]),
        ("SecretAccessKey", br#"{"AccessKeyId":"a","Token":"t","Expiration":"2026-11-26T21:47:55Z"}"#),
        ("Token", br#"{"AccessKeyId":"a","SecretAccessKey":"s","Expiration":"2026-11-26T21:47:55Z"}"#),
        ("Expiration", br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t"}"#),
    ] {
        assert_eq!(Credentials::parse(body), Err(DocumentError::MissingField(field)));
    }
    let bad_time = br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"2026-02-30T00:00:00Z"}"#;
    assert_eq!(
        Credentials::parse(bad_time),
        Err(DocumentError::InvalidTime("Expiration", imds::parse::TimestampError::OutOfRange))
    );
}

#[test]
fn iam_info_and_notices() {
    let body = fixture("iam_info.json");
    let info = IamInfo::parse(&body).unwrap();
    assert_eq!(info.instance_profile_arn.to_string(), "arn:aws:iam::123456789012:instance-profile/imds-test-role");
    assert_eq!(info.instance_profile_id.to_string(), "AIPAFIXTURE0EXAMPLE1");

    let body = fixture("spot_instance_action.json");
    let spot = SpotAction::parse(&body).unwrap();
    assert_eq!((spot.kind, spot.time), (SpotActionKind::Terminate, at("2026-11-30T08:22:00Z")));
    for (action, kind) in
        [("stop", SpotActionKind::Stop), ("hibernate", SpotActionKind::Hibernate), ("reboot", SpotActionKind::Other)]
    {
        let body = format!(r#"{{"action":"{action}","time":"2026-11-30T08:22:00Z"}}"#);
        assert_eq!(SpotAction::parse(body.as_bytes()).unwrap().kind, kind);
    }
    assert_eq!(SpotAction::parse(br#"{"action":"stop"}"#), Err(DocumentError::MissingField("time")));

    let body = fixture("rebalance.json");
    assert_eq!(RebalanceRecommendation::parse(&body).unwrap().notice_time, at("2026-11-30T08:17:00Z"));

    let body = fixture("maintenance_scheduled.json");
    let events = MaintenanceEvents::parse(&body).unwrap();
    let events: Vec<_> = events.iter().collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0].code.to_string(), events[0].not_before.unix_seconds()),
        ("system-reboot".into(), 1_548_061_243)
    );
    assert_eq!(events[0].not_after.map(|t| t.unix_seconds()), Some(1_548_062_243));
    assert_eq!(events[1].not_before_deadline.map(|t| t.to_string()).as_deref(), Some("2019-02-09T10:00:00Z"));
    assert!(MaintenanceEvents::parse(b"[]").unwrap().is_empty());
    assert_eq!(
        MaintenanceEvents::parse(br#"[{"Code":"x","NotBefore":"tomorrow"}]"#),
        Err(DocumentError::InvalidTime("NotBefore", imds::parse::TimestampError::Syntax))
    );
    assert_eq!(MaintenanceEvents::parse(b"[1]"), Err(DocumentError::NotAnObject));
}

#[test]
fn adversarial_json_gives_typed_errors() {
    use JsonErrorKind::*;
    let deep = "[".repeat(10_000);
    let long_string = format!("\"{}", "a".repeat(100_000));
    let cases: [(&[u8], JsonErrorKind); 8] = [
        (deep.as_bytes(), TooDeep),
        (long_string.as_bytes(), UnexpectedEnd),
        (b"{\"SecretAccessKey\":\"\xc3\x28\"}", InvalidUtf8),
        (br#"{"Token":"a","Token":"b"}"#, DuplicateKey),
        (br#"{"a":"\ud83d"}"#, LoneSurrogate),
        (br#"{"a":"\q"}"#, InvalidEscape),
        (b"{\"a\":\"line\nbreak\"}", ControlInString),
        (br#"{"a":1} {"b":2}"#, TrailingBytes),
    ];
    for (doc, kind) in cases {
        let result = json::parse(doc).map(|_| ()).map_err(|e| e.kind);
        assert_eq!(result, Err(kind), "{}", String::from_utf8_lossy(&doc[..doc.len().min(40)]));
    }
    // A huge number is valid JSON, but fits no number type.
    let root = json::parse(br#"{"a":1e999999999999999999}"#).unwrap().as_object().unwrap();
    assert!(matches!(root.get("a"), Some(Value::Number(n)) if n.as_f64().is_none() && n.as_u64().is_none()));
    // Typed views report JSON errors as such, with the offset; a known field
    // given twice is named (matched by its slot, exactly or not).
    assert!(
        matches!(Credentials::parse(br#"{"AccessKeyId":"a","x":[1,}"#), Err(DocumentError::Json(e)) if e.offset == 26)
    );
    assert_eq!(
        Credentials::parse(br#"{"AccessKeyId":"a","AccessKeyId":"b"}"#),
        Err(DocumentError::DuplicateField("AccessKeyId"))
    );
    assert_eq!(
        IdentityDocument::parse(br#"{"region":"a","x":1,"r\u0065gion":"b"}"#),
        Err(DocumentError::DuplicateField("region"))
    );
    // Unknown keys are still checked as JSON, nested ones too.
    for body in [&br#"{"x":1,"x":2}"#[..], br#"{"x":{"y":1,"y":2}}"#, br#"{"x":[{"y":1,"\u0079":2}]}"#] {
        assert!(
            matches!(IdentityDocument::parse(body), Err(DocumentError::Json(e)) if e.kind == DuplicateKey),
            "{body:?}"
        );
    }
    // The JSON comes first: a wrong type before a syntax error is the syntax error.
    assert!(matches!(IdentityDocument::parse(br#"{"region":5,"x":}"#), Err(DocumentError::Json(_))));
    // Unknown keys are bounded by MAX_UNKNOWN_KEYS (open at once).
    let many = |n: usize| format!("{{{}}}", (0..n).map(|i| format!("\"k{i}\":0")).collect::<Vec<_>>().join(","));
    assert!(IdentityDocument::parse(many(imds::parse::MAX_UNKNOWN_KEYS).as_bytes()).is_ok());
    assert!(matches!(
        IdentityDocument::parse(many(imds::parse::MAX_UNKNOWN_KEYS + 1).as_bytes()),
        Err(DocumentError::Json(e)) if e.kind == TooManyMembers
    ));
}

/// The three hostile inputs of the typed-layer issue, as a caller meets them.
#[test]
fn hostile_inputs_of_the_typed_layer_issue() {
    use imds::parse::json::{JsonLimits, parse_with};
    use imds::parse::{MAX_UNKNOWN_KEYS, TimestampError};
    // 1. A limit of 255 once turned the depth check off: 10^5 `[` overflowed
    // the stack. Every limit holds, and nesting costs no stack.
    let deep = "[".repeat(100_000);
    for max_depth in [16u8, 254, 255] {
        let e = parse_with(deep.as_bytes(), JsonLimits { max_depth }).unwrap_err();
        assert_eq!((e.offset, e.kind), (usize::from(max_depth), JsonErrorKind::TooDeep));
    }
    let nested = format!("{}{}", "[".repeat(255), "]".repeat(255));
    assert!(parse_with(nested.as_bytes(), JsonLimits { max_depth: 255 }).is_ok());

    // 2. Keys picked to collide in the old Bloom filter made every key re-scan
    // its object (10.8 s for 60 KB). Keys are now compared with their own
    // object's earlier keys only, at most a table of them: such a document is
    // refused at its 17th unknown key (a typed document) or its 65th (any
    // JSON), early in the body, not after re-reading it.
    let mut doc = String::new();
    for level in 0..15 {
        doc.push('{');
        for k in 0..127 {
            doc.push_str(&format!(r#""Aa{level:02}{k:03}BBAa":"{}","#, "v".repeat(20)));
        }
        doc.push_str(r#""x":"#);
    }
    doc.push('1');
    doc.push_str(&"}".repeat(15));
    assert!(doc.len() > 60_000);
    let e = match IdentityDocument::parse(doc.as_bytes()) {
        Err(DocumentError::Json(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e.kind, JsonErrorKind::TooManyMembers);
    assert!(e.offset < 40 * (MAX_UNKNOWN_KEYS + 1), "refused at byte {}", e.offset);
    let e = json::parse(doc.as_bytes()).unwrap_err();
    assert_eq!(e.kind, JsonErrorKind::TooManyMembers);
    assert!(e.offset < 40 * 65, "refused at byte {}", e.offset);

    // 3. An offset that moves the instant past 9999 came out as "10000-…".
    let body = br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"9999-12-31T23:59:59-23:59"}"#;
    assert_eq!(Credentials::parse(body), Err(DocumentError::InvalidTime("Expiration", TimestampError::OutOfRange)));
    let body = br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"9999-12-31T23:59:59+23:59"}"#;
    assert_eq!(Credentials::parse(body).unwrap().expiration.to_string(), "9999-12-31T00:00:59Z");
}
