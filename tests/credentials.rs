//! The credentials flow against the AWS SDKs' shared test specification for
//! IMDS credentials (aws-sdk-kotlin's ImdsCredentialsProviderTestResources,
//! transcribed: the requests each fetch must make, in order, and what it must
//! give), on a simulated server; then static stability and errors.

#[allow(dead_code)]
mod support {
    pub mod sim;
}

use imds::driver::complete;
use imds::parse::Timestamp;
use imds::{CredentialsApi, CredentialsError, CredentialsFlow};
use support::sim::{Reply, Seen, Sim, new_client, response};

const EXTENDED: &str = "/latest/meta-data/iam/security-credentials-extended/";
const LEGACY: &str = "/latest/meta-data/iam/security-credentials/";

fn document(account: Option<&str>) -> String {
    let account = account.map(|a| format!(r#","AccountId":"{a}""#)).unwrap_or_default();
    format!(
        r#"{{"Code":"Success","LastUpdated":"2025-03-12T20:53:17.832308Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Token":"AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKw","Expiration":"2025-03-12T21:53:17.832308Z","UnexpectedElement1":{{"Name":"ignore-me-1"}}{account}}}"#
    )
}

/// One expected request: its path, and the answer (status and body).
type Expect = (String, u16, String);

fn get(path: &str, status: u16, body: &str) -> Expect {
    (path.to_owned(), status, body.to_owned())
}

/// What a fetch gives: credentials with an account id (or none), or an error.
type Outcome = Result<Option<&'static str>, CredentialsError>;

struct Case {
    summary: &'static str,
    role: Option<&'static str>,
    expect: Vec<Expect>,
    outcomes: Vec<Outcome>,
}

fn cases() -> Vec<Case> {
    let creds = |account| document(account);
    let ext = |role: &str| format!("{EXTENDED}{role}");
    let leg = |role: &str| format!("{LEGACY}{role}");
    vec![
        Case {
            summary: "returns valid credentials with account ID",
            role: None,
            expect: vec![
                get(EXTENDED, 200, "my-profile-0001"),
                get(&ext("my-profile-0001"), 200, &creds(Some("123456789101"))),
                get(&ext("my-profile-0001"), 200, &creds(Some("123456789101"))),
            ],
            outcomes: vec![Ok(Some("123456789101")), Ok(Some("123456789101"))],
        },
        Case {
            summary: "with a given profile name returns valid credentials with account ID",
            role: Some("my-profile-0002"),
            expect: vec![
                get(&ext("my-profile-0002"), 200, &creds(Some("234567891011"))),
                get(&ext("my-profile-0002"), 200, &creds(Some("234567891011"))),
            ],
            outcomes: vec![Ok(Some("234567891011")), Ok(Some("234567891011"))],
        },
        Case {
            summary: "when profile is unstable returns valid credentials with account ID",
            role: None,
            expect: vec![
                get(EXTENDED, 200, "my-profile-0003"),
                get(&ext("my-profile-0003"), 200, &creds(Some("345678910112"))),
                get(&ext("my-profile-0003"), 404, ""),
                get(EXTENDED, 200, "my-profile-0003-b"),
                get(&ext("my-profile-0003-b"), 200, &creds(Some("314253647589"))),
            ],
            outcomes: vec![Ok(Some("345678910112")), Ok(Some("314253647589"))],
        },
        Case {
            summary: "with a given profile name when profile is invalid throws an error",
            role: Some("my-profile-0004"),
            expect: vec![get(&ext("my-profile-0004"), 404, ""), get(&leg("my-profile-0004"), 404, "")],
            outcomes: vec![Err(CredentialsError::NotFound)],
        },
        Case {
            summary: "when account ID is unavailable returns valid credentials",
            role: None,
            expect: vec![
                get(EXTENDED, 200, "my-profile-0005"),
                get(&ext("my-profile-0005"), 200, &creds(None)),
                get(&ext("my-profile-0005"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "with a given profile name when account ID is unavailable returns valid credentials",
            role: Some("my-profile-0006"),
            expect: vec![
                get(&ext("my-profile-0006"), 200, &creds(None)),
                get(&ext("my-profile-0006"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "when account ID is unavailable when profile is unstable returns valid credentials",
            role: None,
            expect: vec![
                get(EXTENDED, 200, "my-profile-0007"),
                get(&ext("my-profile-0007"), 200, &creds(None)),
                get(&ext("my-profile-0007"), 404, ""),
                get(EXTENDED, 200, "my-profile-0007-b"),
                get(&ext("my-profile-0007-b"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "with a given profile name when account ID is unavailable when profile is invalid throws an error",
            role: Some("my-profile-0008"),
            expect: vec![get(&ext("my-profile-0008"), 404, ""), get(&leg("my-profile-0008"), 404, "")],
            outcomes: vec![Err(CredentialsError::NotFound)],
        },
        Case {
            summary: "against legacy API returns valid credentials",
            role: None,
            expect: vec![
                get(EXTENDED, 404, ""),
                get(LEGACY, 200, "my-profile-0009"),
                get(&leg("my-profile-0009"), 200, &creds(None)),
                get(&leg("my-profile-0009"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "with a given profile name against legacy API returns valid credentials",
            role: Some("my-profile-0010"),
            expect: vec![
                get(&ext("my-profile-0010"), 404, ""),
                get(&leg("my-profile-0010"), 200, &creds(None)),
                get(&leg("my-profile-0010"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "against legacy API when profile is unstable returns valid credentials",
            role: None,
            expect: vec![
                get(EXTENDED, 404, ""),
                get(LEGACY, 200, "my-profile-0011"),
                get(&leg("my-profile-0011"), 200, &creds(None)),
                get(&leg("my-profile-0011"), 404, ""),
                get(LEGACY, 200, "my-profile-0011-b"),
                get(&leg("my-profile-0011-b"), 200, &creds(None)),
            ],
            outcomes: vec![Ok(None), Ok(None)],
        },
        Case {
            summary: "with a given profile name against legacy API when profile is invalid throws an error",
            role: Some("my-profile-0012"),
            expect: vec![get(&ext("my-profile-0012"), 404, ""), get(&leg("my-profile-0012"), 404, "")],
            outcomes: vec![Err(CredentialsError::NotFound)],
        },
    ]
}

/// A server that checks each GET against the script and answers it.
fn scripted(expect: Vec<Expect>) -> Sim {
    let mut expect = expect.into_iter();
    Sim::new(move |seen: &Seen| match &seen.method[..] {
        "PUT" => response(200, "tokenA", Some(21600)),
        _ => {
            let (path, status, body) = expect.next().unwrap_or_else(|| panic!("unexpected GET {}", seen.path));
            assert_eq!(seen.path, path, "the request, in order");
            response(status, &body, Some(21600))
        }
    })
}

fn wall(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[test]
fn the_sdks_shared_test_specification() {
    for case in cases() {
        let gets = case.expect.len();
        let sim = scripted(case.expect);
        let (mut client, mut transport, mut clock) = (new_client(imds::Config::DEFAULT), sim.transport(), sim.clock());
        let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
        let mut flow = match case.role {
            Some(role) => CredentialsFlow::with_role(role).unwrap(),
            None => CredentialsFlow::new(),
        };
        for (i, expected) in case.outcomes.iter().enumerate() {
            let mut fetch = flow.fetch(wall("2025-03-01T00:00:00Z"));
            let got = complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut fetch)
                .map(|c| c.credentials.account_id.map(|a| a.to_string()));
            assert_eq!(got, expected.map(|a| a.map(String::from)), "{}: fetch {}", case.summary, i + 1);
        }
        let made = sim.trace().iter().filter(|l| l.starts_with("GET")).count();
        assert_eq!(made, gets, "{}: every expected request, no other", case.summary);
    }
}

#[test]
fn the_api_found_is_remembered() {
    let sim = scripted(vec![
        get(EXTENDED, 404, ""),
        get(LEGACY, 200, "role"),
        get(&format!("{LEGACY}role"), 200, &document(None)),
    ]);
    let (mut client, mut transport, mut clock) = (new_client(imds::Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
    let mut flow = CredentialsFlow::new();
    complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut flow.fetch(wall("2025-03-01T00:00:00Z")))
        .unwrap();
    assert_eq!((flow.api(), flow.role()), (CredentialsApi::Legacy, Some("role")));
}

/// Runs `fetches` fetches of `flow` against a server scripted with `expect`.
fn fetch_each(expect: Vec<Expect>, flow: &mut CredentialsFlow, fetches: usize) -> Vec<Result<(), CredentialsError>> {
    let sim = scripted(expect);
    let (mut client, mut transport, mut clock) = (new_client(imds::Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
    (0..fetches)
        .map(|_| {
            let mut fetch = flow.fetch(wall("2025-03-01T00:00:00Z"));
            complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut fetch).map(|_| ())
        })
        .collect()
}

/// A 5xx from the extended API's first request, after its retries (moto
/// answers 500), moves to the legacy API as a 404 does, and that is
/// remembered; once the extended API has answered, a 5xx is an error.
#[test]
fn a_5xx_from_the_extended_api_moves_to_the_legacy_one() {
    let attempts = usize::from(imds::Config::DEFAULT.max_attempts);
    let (ext_role, leg_role) = (format!("{EXTENDED}role"), format!("{LEGACY}role"));
    let mut expect = vec![get(EXTENDED, 500, ""); attempts];
    expect.extend([get(LEGACY, 200, "role"), get(&leg_role, 200, &document(None))]);
    expect.push(get(&leg_role, 200, &document(None)));
    let mut flow = CredentialsFlow::new();
    assert_eq!(fetch_each(expect, &mut flow, 2), [Ok(()), Ok(())], "the second fetch asks the legacy API at once");
    assert_eq!((flow.api(), flow.role()), (CredentialsApi::Legacy, Some("role")));
    // A given role: the extended credentials answer 503, the legacy ones are there.
    let mut expect = vec![get(&ext_role, 503, ""); attempts];
    expect.push(get(&leg_role, 200, &document(None)));
    let mut flow = CredentialsFlow::with_role("role").unwrap();
    assert_eq!(fetch_each(expect, &mut flow, 1), [Ok(())]);
    assert_eq!(flow.api(), CredentialsApi::Legacy);
    // The extended API answered once: a later 500 is the error it is.
    let mut expect = vec![get(EXTENDED, 200, "role"), get(&ext_role, 200, &document(Some("1")))];
    expect.extend(vec![get(&ext_role, 500, ""); attempts]);
    let mut flow = CredentialsFlow::new();
    let outcomes = fetch_each(expect, &mut flow, 2);
    assert!(
        matches!(outcomes[1], Err(CredentialsError::Request(imds::Error { kind: imds::ErrorKind::Status(500), .. }))),
        "{outcomes:?}"
    );
    assert_eq!(flow.api(), CredentialsApi::Extended);
}

#[test]
fn expired_credentials_are_kept_a_while_and_flagged() {
    let role = format!("{EXTENDED}role");
    let sim = scripted(vec![get(EXTENDED, 200, "role"), get(&role, 200, &document(Some("1")))]);
    let (mut client, mut transport, mut clock) = (new_client(imds::Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
    let mut flow = CredentialsFlow::new();
    let now = wall("2025-03-13T00:00:00Z"); // after the 2025-03-12T21:53:17 expiration
    let fetched = complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut flow.fetch(now)).unwrap();
    let extension = fetched.expires_at.unix_seconds() - now.unix_seconds();
    assert!(fetched.stale && (600..=900).contains(&extension), "{extension} s");
    let lead = fetched.expires_at.unix_seconds() - fetched.refresh_at.unix_seconds();
    assert!((300..=600).contains(&lead), "refreshed 5 to 10 minutes before: {lead} s");
}

#[test]
fn no_role_failures_and_invalid_documents_are_clear_errors() {
    let run = |expect: Vec<Expect>| fetch_each(expect, &mut CredentialsFlow::new(), 1).remove(0);
    assert_eq!(run(vec![get(EXTENDED, 404, ""), get(LEGACY, 404, "")]), Err(CredentialsError::NoRole));
    assert_eq!(run(vec![get(EXTENDED, 200, "")]), Err(CredentialsError::NoRole));
    assert_eq!(run(vec![get(EXTENDED, 200, "bad/role")]), Err(CredentialsError::InvalidRole));
    let failure = r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role"}"#;
    let error = run(vec![get(EXTENDED, 200, "role"), get(&format!("{EXTENDED}role"), 200, failure)]).unwrap_err();
    assert!(
        matches!(error, CredentialsError::Document(imds::parse::DocumentError::Code(code)) if code.as_str() == "AssumeRoleUnauthorizedAccess")
    );
    assert_eq!(error.to_string(), "the service answered Code AssumeRoleUnauthorizedAccess");
    let error = run(vec![get(EXTENDED, 200, "role"), get(&format!("{EXTENDED}role"), 200, "{not json")]).unwrap_err();
    assert!(matches!(error, CredentialsError::Document(imds::parse::DocumentError::Json(_))), "{error:?}");
    // A server that answers 500 for both APIs: the legacy one's error, once it was tried.
    let always_500 = Sim::new(|seen: &Seen| match &seen.method[..] {
        "PUT" => response(200, "tokenA", Some(21600)),
        _ => Reply::Bytes(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".to_vec()),
    });
    let (mut client, mut transport, mut clock) =
        (new_client(imds::Config::DEFAULT), always_500.transport(), always_500.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
    let mut flow = CredentialsFlow::new();
    let error = complete(
        &mut client,
        &mut transport,
        &mut clock,
        &mut tx,
        &mut rx,
        &mut flow.fetch(wall("2025-03-01T00:00:00Z")),
    )
    .unwrap_err();
    assert!(matches!(error, CredentialsError::Request(e) if e.status() == Some(500)), "{error:?}");
    assert_eq!(CredentialsFlow::with_role("a/b"), Err(CredentialsError::InvalidRole));
}

#[test]
fn flow_calls_out_of_order_are_typed_errors() {
    use imds::{Flow, RegionError, RegionFlow, Step};
    let sim = scripted(vec![get(EXTENDED, 200, "role"), get(&format!("{EXTENDED}role"), 200, &document(None))]);
    let (mut client, mut transport, mut clock) = (new_client(imds::Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 4096]);
    let mut flow = CredentialsFlow::new();
    let mut fetch = flow.fetch(wall("2025-03-01T00:00:00Z"));
    let answer = imds::Answer { status: 200, body: b"{}", token_ttl: None, date: None };
    assert_eq!(fetch.output(answer).map(|_| ()), Err(CredentialsError::WrongStep), "output before the end");
    for _ in 0..2 {
        let mut operation = fetch.start(imds::driver::Clock::now(&mut clock), &mut client).unwrap();
        let outcome = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {});
        let _ = fetch.finish(imds::driver::Clock::now(&mut clock), outcome);
    }
    let now = imds::driver::Clock::now(&mut clock);
    assert!(matches!(fetch.start(now, &mut client), Err(CredentialsError::WrongStep)), "start after the end");
    let error = imds::Error { phase: imds::Phase::Get, kind: imds::ErrorKind::Status(500), attempts: 1 };
    assert_eq!(fetch.finish(now, Err(error)), Err(CredentialsError::Request(error)));
    let mut region = RegionFlow::new();
    assert_eq!(region.output(answer), Err(RegionError::WrongStep));
    assert_eq!(
        region.finish(now, Ok(imds::Answer { status: 404, body: b"", token_ttl: None, date: None })),
        Ok(Step::More)
    );
    assert_eq!(
        region.finish(now, Ok(imds::Answer { status: 404, body: b"", token_ttl: None, date: None })),
        Err(RegionError::NotFound)
    );
}
