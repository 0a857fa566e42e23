//! The session's behaviour, deterministic with a simulated clock and server:
//! the token table of the Go SDK's tests, and sequences recorded from real EC2
//! by the Rust SDK (token → role listing → credentials, 503 retries, 403 on the
//! token, 404 for no role).

mod support {
    pub mod sim;
}

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use imds::BodyMode;
use imds::{Config, Instant, V1Fallback};
use imds::{ErrorKind, Phase, TimeoutKind, UsageError};
use support::sim::{Reply, Seen, Sim, both, config, fetch, get, new_client, response};

const TOKEN_PATH: &str = "/latest/api/token";

/// A v2 server: hands out `tokens` in turn (TTL `ttl`), answers `/latest/foo`
/// with "hello" for a valid token, 401 otherwise.
fn secure(tokens: &[&str], ttl: u32) -> impl FnMut(&Seen) -> Reply + 'static {
    let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    let mut issued: Vec<(String, u64)> = Vec::new();
    move |seen| match &seen.method[..] {
        "PUT" => {
            let token = tokens[issued.len() % tokens.len()].clone();
            issued.push((token.clone(), seen.at + u64::from(ttl) * 1000));
            response(200, &token, Some(ttl))
        }
        _ => match &seen.token {
            Some(t) if issued.iter().any(|(i, exp)| i == t && seen.at < *exp) => response(200, "hello", Some(ttl)),
            _ => response(401, "", None),
        },
    }
}

/// A server whose token PUT answers `status`, and whose GETs answer "hello".
fn insecure(status: u16) -> impl FnMut(&Seen) -> Reply + 'static {
    move |seen| match &seen.method[..] {
        "PUT" => response(status, "", None),
        _ => response(200, "hello", None),
    }
}

fn fallback(mode: V1Fallback) -> Config<'static> {
    config(|c| c.v1_fallback = mode)
}

#[test]
fn secure_path_reuses_the_token() {
    both(|| {
        let sim = Sim::new(secure(&["tokenA"], 300));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        for _ in 0..2 {
            assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap(), (200, b"hello".to_vec()));
        }
        assert_eq!(
            sim.trace(),
            [format!("PUT {TOKEN_PATH}"), "GET /latest/foo tokenA".into(), "GET /latest/foo tokenA".into()]
        );
        assert_eq!(sim.seen.borrow()[0].ttl.as_deref(), Some("21600"));
    });
}

#[test]
fn several_token_expiries() {
    both(|| {
        let sim = Sim::new(secure(&["tokenA", "tokenB", "tokenC"], 1));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        for _ in 0..4 {
            assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().0, 200);
            sim.advance(600); // past the refresh point: half of the 1 s TTL
        }
        let expected: Vec<String> = ["tokenA", "tokenB", "tokenC", "tokenA"]
            .iter()
            .flat_map(|t| [format!("PUT {TOKEN_PATH}"), format!("GET /latest/foo {t}")])
            .collect();
        assert_eq!(sim.trace(), expected);
    });
}

#[test]
fn token_is_refreshed_before_expiry_by_the_margin() {
    both(|| {
        let sim = Sim::new(secure(&["tokenA", "tokenB"], 21600));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        let ttl = client.token_ttl(Instant::from_millis(sim.now.get())).unwrap();
        assert!(ttl <= Duration::from_secs(21600) && ttl > Duration::from_secs(21590));
        sim.advance((21600 - 121) * 1000);
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        assert_eq!(sim.trace().last().unwrap(), "GET /latest/foo tokenA", "still 121 s left: reused");
        sim.advance(2000);
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        assert_eq!(
            sim.trace()[3..],
            [format!("PUT {TOKEN_PATH}"), "GET /latest/foo tokenB".into()],
            "119 s left: refreshed"
        );
    });
}

#[test]
fn rejected_token_falls_back_to_v1_when_allowed() {
    both(|| {
        for status in [403, 404, 405] {
            for mode in [V1Fallback::Rejected, V1Fallback::Timeout] {
                let sim = Sim::new(insecure(status));
                let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
                for _ in 0..2 {
                    assert_eq!(
                        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap(),
                        (200, b"hello".to_vec())
                    );
                }
                assert!(client.is_v1());
                assert_eq!(
                    sim.trace(),
                    [format!("PUT {TOKEN_PATH}"), "GET /latest/foo".into(), "GET /latest/foo".into()]
                );
            }
        }
    });
}

#[test]
fn rejected_token_is_an_error_without_fallback() {
    both(|| {
        for status in [403, 404, 405] {
            let sim = Sim::new(insecure(status));
            let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
            let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
            assert_eq!((error.phase, error.kind, error.attempts), (Phase::Token, ErrorKind::Status(status), 1));
            assert_eq!(sim.trace(), [format!("PUT {TOKEN_PATH}")]);
        }
        let sim = Sim::new(insecure(403));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert_eq!(error.to_string(), "token request failed: 403 Forbidden");
    });
}

#[test]
fn bad_request_on_the_token_is_terminal_even_with_fallback() {
    both(|| {
        for mode in [V1Fallback::Never, V1Fallback::Rejected, V1Fallback::Timeout] {
            let sim = Sim::new(insecure(400));
            let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
            let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
            assert_eq!((error.phase, error.kind), (Phase::Token, ErrorKind::Status(400)));
            assert_eq!(sim.trace().len(), 1);
        }
    });
}

#[test]
fn unauthorized_get_fetches_a_new_token_once() {
    both(|| {
        // The first GET is refused, as after a token was revoked.
        let mut inner = secure(&["tokenA", "tokenB"], 300);
        let mut first = true;
        let sim = Sim::new(move |seen| {
            if seen.method == "GET" && std::mem::take(&mut first) {
                return response(401, "", None);
            }
            inner(seen)
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        for _ in 0..2 {
            assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().0, 200);
        }
        let put = format!("PUT {TOKEN_PATH}");
        assert_eq!(
            sim.trace(),
            [&put, "GET /latest/foo tokenA", &put, "GET /latest/foo tokenB", "GET /latest/foo tokenB"]
        );
    });
}

#[test]
fn a_server_that_always_answers_401_ends_in_an_error() {
    both(|| {
        let sim = Sim::new(|seen| match &seen.method[..] {
            "PUT" => response(200, "tokenA", Some(21600)),
            _ => response(401, "", None),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert_eq!((error.phase, error.kind), (Phase::Get, ErrorKind::Status(401)));
        assert_eq!(sim.trace().len(), 4, "PUT, GET, PUT, GET: {:?}", sim.trace());
    });
}

#[test]
fn unauthorized_after_fallback_reenables_v2() {
    both(|| {
        // IMDSv2 is switched on after the client fell back: the v1 GET gets 401.
        let mut v2_on = false;
        let mut inner = secure(&["tokenA"], 300);
        let sim = Sim::new(move |seen| match (&seen.method[..], v2_on) {
            ("PUT", false) => {
                v2_on = true;
                response(403, "", None)
            }
            _ => inner(seen),
        });
        let (mut client, mut transport) = (new_client(fallback(V1Fallback::Rejected)), sim.transport());
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().0, 200);
        assert!(!client.is_v1());
        let put = format!("PUT {TOKEN_PATH}");
        assert_eq!(sim.trace(), [&put, "GET /latest/foo", &put, "GET /latest/foo tokenA"]);
    });
}

#[test]
fn token_5xx_with_and_without_fallback() {
    both(|| {
        for (mode, outcome) in [(V1Fallback::Never, false), (V1Fallback::Rejected, false), (V1Fallback::Timeout, true)]
        {
            let sim = Sim::new(insecure(500));
            let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
            let result = get(&mut client, &sim, &mut transport, "/latest/foo");
            let puts = sim.trace().iter().filter(|l| l.starts_with("PUT")).count();
            assert_eq!(puts, 4, "{mode:?}: all attempts");
            match outcome {
                true => assert_eq!(result.unwrap().1, b"hello"),
                false => {
                    let error = result.unwrap_err();
                    assert_eq!((error.phase, error.kind, error.attempts), (Phase::Token, ErrorKind::Status(500), 4));
                    assert_eq!(error.to_string(), "token request failed: 500 Internal Server Error (after 4 attempts)");
                }
            }
        }
    });
}

#[test]
fn token_timeout_falls_back_at_once_in_timeout_mode() {
    both(|| {
        // A hop limit of 1: the token response never arrives.
        let handler = |seen: &Seen| match &seen.method[..] {
            "PUT" => Reply::Silence,
            _ => response(200, "hello", None),
        };
        let sim = Sim::new(handler);
        let (mut client, mut transport) = (new_client(fallback(V1Fallback::Timeout)), sim.transport());
        let start = sim.now.get();
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().0, 200);
        assert_eq!(sim.trace(), [format!("PUT {TOKEN_PATH}"), "GET /latest/foo".into()]);
        assert_eq!(sim.now.get() - start, 1000, "one read timeout, no retries");

        for mode in [V1Fallback::Never, V1Fallback::Rejected] {
            let sim = Sim::new(handler);
            let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
            let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
            assert_eq!(
                (error.phase, error.kind, error.attempts),
                (Phase::Token, ErrorKind::Timeout(TimeoutKind::Read), 4)
            );
        }
    });
}

#[test]
fn retries_back_off_exponentially_with_jitter_capped() {
    both(|| {
        let sim = Sim::new(|_seen: &Seen| response(503, "", None));
        let six_attempts = config(|c| {
            c.max_attempts = 6;
            c.operation_timeout = None;
        });
        let (mut client, mut transport) = (new_client(six_attempts), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert_eq!((error.kind, error.attempts), (ErrorKind::Status(503), 6));
        let times: Vec<u64> = sim.seen.borrow().iter().map(|s| s.at).collect();
        let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        for (gap, full) in gaps.iter().zip([100, 200, 400, 800, 1000]) {
            assert!(*gap >= full / 2 && *gap <= full, "gaps {gaps:?}");
        }
        // The same seed gives the same schedule.
        let again = Sim::new(|_seen: &Seen| response(503, "", None));
        let mut client2 = new_client(six_attempts);
        let _ = get(&mut client2, &again, &mut again.transport(), "/latest/foo");
        let times2: Vec<u64> = again.seen.borrow().iter().map(|s| s.at).collect();
        assert_eq!(times, times2);
    });
}

#[test]
fn what_is_retried_and_what_is_not() {
    both(|| {
        for (status, attempts) in [(500, 4), (502, 4), (503, 4), (400, 1), (403, 1), (408, 1)] {
            let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
                "PUT" => response(200, "tokenA", Some(21600)),
                _ => response(status, "", None),
            });
            let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
            let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
            assert_eq!((error.phase, error.kind, error.attempts), (Phase::Get, ErrorKind::Status(status), attempts));
        }
        // 404 is an answer, not a failure, and is not retried.
        let sim = Sim::new(|seen: &Seen| match &seen.method[..] {
            "PUT" => response(200, "tokenA", Some(21600)),
            _ => response(404, "<html>404 - Not Found</html>", None),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let (status, body) = get(&mut client, &sim, &mut transport, "/latest/nope").unwrap();
        assert_eq!((status, sim.trace().len()), (404, 2));
        assert!(body.starts_with(b"<html>"));
    });
}

#[test]
fn refused_reset_and_truncated_responses_are_retried() {
    both(|| {
        // Two refused connects, then a reset, then a body cut short, then success.
        let mut gets = 0;
        let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
            "PUT" => response(200, "tokenA", Some(21600)),
            _ => {
                gets += 1;
                match gets {
                    1 => Reply::Reset,
                    2 => {
                        Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhel".to_vec())
                    }
                    _ => response(200, "hello", None),
                }
            }
        });
        sim.refuse.set(2);
        let settings = config(|c| c.max_attempts = 4);
        let (mut client, mut transport) = (new_client(settings), sim.transport());
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
        assert_eq!(sim.trace().len(), 4, "{:?}", sim.trace());
    });
}

#[test]
fn connect_timeouts_and_the_operation_deadline() {
    both(|| {
        let sim = Sim::new(secure(&["tokenA"], 300));
        sim.blackhole.set(100);
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert_eq!(
            (error.phase, error.kind, error.attempts),
            (Phase::Token, ErrorKind::Timeout(TimeoutKind::Connect), 4)
        );

        let sim = Sim::new(|_seen: &Seen| Reply::Silence);
        let settings = config(|c| c.operation_timeout = Some(Duration::from_millis(2500)));
        let (mut client, mut transport) = (new_client(settings), sim.transport());
        let start = sim.now.get();
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert_eq!(error.kind, ErrorKind::Timeout(TimeoutKind::Operation));
        assert!(sim.now.get() - start <= 2500, "stopped at the deadline: {}", sim.now.get() - start);
    });
}

#[cfg(feature = "std")]
#[test]
fn https_endpoint_refused_by_a_plain_transport_is_not_retried() {
    let sim = Sim::new(secure(&["tokenA"], 300));
    let mut client = imds::Client::new(Config::with_endpoint(imds::Endpoint::parse("https://127.0.0.1").unwrap()), 1);
    let mut transport = imds::net::TcpTransport::new();
    let mut clock = sim.clock();
    let mut operation = client.get(imds::driver::Clock::now(&mut clock), "/latest/foo", BodyMode::Contiguous);
    let (mut tx, mut rx) = ([0u8; 1024], [0u8; 1024]);
    let error = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap_err();
    assert_eq!((error.kind, error.attempts), (ErrorKind::Transport(imds::driver::TransportError::Unsupported), 1));
    assert!(error.to_string().contains("https needs TLS"), "{error}");
}

#[test]
fn missing_ttl_header_uses_the_requested_ttl_or_fails_when_strict() {
    both(|| {
        let handler = |seen: &Seen| match &seen.method[..] {
            "PUT" => response(200, "fake-imdsv2-token", None),
            _ => response(200, "i-fake", None),
        };
        let sim = Sim::new(handler);
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/meta-data/instance-id").unwrap().1, b"i-fake");
        assert_eq!(client.token_ttl(Instant::from_millis(sim.now.get())), Some(Duration::from_secs(21600)));

        let sim = Sim::new(handler);
        let (mut client, mut transport) = (new_client(config(|c| c.require_token_ttl = true)), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/meta-data/instance-id").unwrap_err();
        assert_eq!((error.phase, error.kind), (Phase::Token, ErrorKind::MissingTokenTtl));
    });
}

#[test]
fn invalid_token_bodies_are_refused_and_never_echoed() {
    both(|| {
        let sim = Sim::new(|seen: &Seen| match &seen.method[..] {
            "PUT" => response(200, "bad token\r\nX-Injected: 1", Some(21600)),
            _ => panic!("no GET with a bad token"),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let error = get(&mut client, &sim, &mut transport, "/latest/foo").unwrap_err();
        assert!(matches!(error.kind, ErrorKind::InvalidToken(_)));
        assert!(!format!("{error} {error:?}").contains("bad token"));
    });
}

#[test]
fn usage_errors_are_typed_and_leave_the_client_usable() {
    let sim = Sim::new(secure(&["tokenA"], 300));
    let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
    let now = Instant::from_millis(sim.now.get());
    let mut rx = [0u8; 1024];
    // An invalid path ends its operation at once, before anything is sent.
    let mut bad = client.get(now, "/latest/../etc", BodyMode::Contiguous);
    assert_eq!(bad.poll(now, &mut rx), Ok(imds::Action::Done));
    assert!(matches!(bad.answer(&rx).unwrap_err().kind, ErrorKind::Usage(UsageError::Path(_))));
    // (A second operation while one runs, or a call with none, does not compile:
    // the operation borrows the client.)
    let mut operation = client.get(now, "/latest/foo", BodyMode::Contiguous);
    assert_eq!(operation.sent(now).unwrap_err().kind, ErrorKind::Usage(UsageError::WrongStep));
    assert_eq!(operation.answer(&[]).unwrap_err().kind, ErrorKind::Usage(UsageError::WrongStep), "not done yet");
    let mut small = [0u8; 16];
    assert!(matches!(operation.poll(now, &mut rx), Ok(imds::Action::Connect { .. })));
    operation.connected(now).unwrap();
    let error = operation.encode(&mut small).unwrap_err();
    assert!(matches!(error.kind, ErrorKind::Usage(UsageError::SendBuffer(_))));
    // The operation goes on with a proper buffer.
    let mut tx = [0u8; imds::wire::MAX_REQUEST_LEN];
    let mut clock = sim.clock();
    let n = operation.encode(&mut tx).unwrap();
    imds::driver::Transport::connect(&mut transport, operation.endpoint(), Duration::from_secs(1)).unwrap();
    imds::driver::Transport::write_all(&mut transport, &tx[..n], Duration::from_secs(1)).unwrap();
    operation.sent(now).unwrap();
    let answer = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
    assert_eq!(answer.body, b"hello");
}

#[test]
fn an_operation_dropped_midway_leaves_its_connection_to_be_closed() {
    both(|| {
        let keep_alive = |body: &str| {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", body.len());
            Reply::Bytes(format!("{head}X-aws-ec2-metadata-token-ttl-seconds: 300\r\n\r\n{body}").into_bytes())
        };
        let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
            "PUT" => keep_alive("tokenA"),
            _ => keep_alive("hello"),
        });
        let (mut client, mut transport, mut clock) = (new_client(Config::DEFAULT), sim.transport(), sim.clock());
        let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 1024]);
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/a").unwrap().1, b"hello");
        // The next GET goes out on the kept connection, then its driver gives up
        // before the response: the bytes still coming belong to no one.
        let now = imds::driver::Clock::now(&mut clock);
        let mut operation = client.get(now, "/latest/b", BodyMode::Contiguous);
        assert!(matches!(operation.poll(now, &mut rx), Ok(imds::Action::Send { .. })), "kept alive");
        let n = operation.encode(&mut tx).unwrap();
        imds::driver::Transport::write_all(&mut transport, &tx[..n], Duration::from_secs(1)).unwrap();
        operation.sent(now).unwrap();
        let _ = operation; // dropped: its driver gave up
        let mut operation = client.get(now, "/latest/c", BodyMode::Contiguous);
        assert_eq!(operation.poll(now, &mut rx), Ok(imds::Action::Close), "the abandoned connection first");
        assert!(matches!(operation.poll(now, &mut rx), Ok(imds::Action::Connect { .. })));
    });
}

#[test]
fn streamed_bodies_come_in_pieces_and_error_bodies_are_not_streamed() {
    both(|| {
        let user_data = "x".repeat(16 * 1024);
        let body = user_data.clone();
        let sim = Sim::new(move |seen: &Seen| match (&seen.method[..], &seen.path[..]) {
            ("PUT", _) => response(200, "tokenA", Some(21600)),
            (_, "/latest/user-data") => response(200, &body, None),
            _ => response(404, "<html>not found</html>", None),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let user = fetch(&mut client, &sim, &mut transport, "/latest/user-data", BodyMode::Streaming, 1024);
        assert_eq!(user.result.unwrap(), (200, Vec::new()), "the body comes in pieces, not contiguous");
        assert_eq!(user.streamed.len(), user_data.len());
        let missing = fetch(&mut client, &sim, &mut transport, "/latest/nope", BodyMode::Streaming, 1024);
        assert_eq!((missing.result.unwrap().0, missing.streamed.len()), (404, 0));
    });
}

#[test]
fn byte_at_a_time_responses() {
    both(|| {
        let mut sim = Sim::new(secure(&["tokenA"], 300));
        sim.read_size = 1;
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
    });
}

// Sequences recorded by the Rust SDK on real EC2 (shared/peer-data/aws-config-rust),
// replayed with this project's own values.

fn credentials_json() -> String {
    r#"{"Code":"Success","LastUpdated":"2026-11-26T15:12:40Z","Type":"AWS-HMAC","AccessKeyId":"ASIAFIXTURE0EXAMPLE1","SecretAccessKey":"fixture/secret","Token":"IQoJb3JpZ2luX2VjEFixture","Expiration":"2026-11-26T21:47:55Z"}"#.to_owned()
}

#[test]
fn token_then_role_listing_then_credentials() {
    both(|| {
        let sim = Sim::new(|seen: &Seen| match (&seen.method[..], &seen.path[..]) {
            ("PUT", _) => response(200, "AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==", Some(21600)),
            (_, "/latest/meta-data/iam/security-credentials/") => response(200, "imds-test-role", Some(21600)),
            (_, "/latest/meta-data/iam/security-credentials/imds-test-role") => {
                response(200, &credentials_json(), Some(21600))
            }
            _ => response(404, "", None),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let dir = "/latest/meta-data/iam/security-credentials/";
        let (_, listing) = get(&mut client, &sim, &mut transport, dir).unwrap();
        let role = imds::parse::Listing::parse(dir, &listing).unwrap().next().unwrap();
        let mut buf = [0u8; 256];
        let path = role.join(&mut buf).unwrap().to_owned();
        let (status, body) = get(&mut client, &sim, &mut transport, &path).unwrap();
        assert_eq!(status, 200);
        assert!(String::from_utf8(body).unwrap().contains("\"AccessKeyId\":\"ASIAFIXTURE0EXAMPLE1\""));
        assert_eq!(sim.trace().len(), 3);
        assert!(
            sim.seen.borrow()[1..]
                .iter()
                .all(|s| s.token.as_deref() == Some("AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw=="))
        );
    });
}

#[test]
fn service_unavailable_on_token_and_gets_is_retried() {
    both(|| {
        let count = Rc::new(RefCell::new((0, 0)));
        let c = count.clone();
        let sim = Sim::new(move |seen: &Seen| {
            let mut c = c.borrow_mut();
            match &seen.method[..] {
                "PUT" => {
                    c.0 += 1;
                    if c.0 < 3 { response(503, "", None) } else { response(200, "tokenA", Some(21600)) }
                }
                _ => {
                    c.1 += 1;
                    if c.1 < 3 { response(503, "", None) } else { response(200, "imds-test-role", Some(21600)) }
                }
            }
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let (_, body) = get(&mut client, &sim, &mut transport, "/latest/meta-data/iam/security-credentials/").unwrap();
        assert_eq!(body, b"imds-test-role");
        assert_eq!(*count.borrow(), (3, 3));
    });
}

#[test]
fn no_iam_role_is_a_404_answer() {
    both(|| {
        let not_found = include_str!("fixtures/not_found.http");
        let body = &not_found[not_found.find("\r\n\r\n").unwrap() + 4..];
        let body = body.to_owned();
        let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
            "PUT" => response(200, "tokenA", Some(21600)),
            _ => response(404, &body, None),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let (status, body) =
            get(&mut client, &sim, &mut transport, "/latest/meta-data/iam/security-credentials/").unwrap();
        assert_eq!(status, 404);
        assert!(String::from_utf8(body).unwrap().contains("<title>404 - Not Found</title>"));
    });
}

#[test]
fn keep_alive_connections_are_reused_and_closed_ones_reopened() {
    both(|| {
        let keep_alive = |status: u16, body: &str| {
            Reply::Bytes(
                format!(
                    "HTTP/1.1 {status} OK\r\nContent-Length: {}\r\nX-aws-ec2-metadata-token-ttl-seconds: 300\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            )
        };
        let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
            "PUT" => keep_alive(200, "tokenA"),
            _ => keep_alive(200, "hello"),
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        for _ in 0..3 {
            assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
        }
        assert_eq!((sim.trace().len(), transport.connects), (4, 1), "one connection for all");

        let sim = Sim::new(secure(&["tokenA"], 300));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        for _ in 0..3 {
            get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        }
        assert_eq!((sim.trace().len(), transport.connects), (4, 4), "Connection: close, like real IMDS");
    });
}

#[test]
fn a_streamed_body_broken_after_pieces_is_not_retried() {
    both(|| {
        let sim = Sim::new(|seen: &Seen| {
            match &seen.method[..] {
            "PUT" => response(200, "tokenA", Some(21600)),
            _ => Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly forty bytes of the hundred promised".to_vec()),
        }
        });
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let streamed = fetch(&mut client, &sim, &mut transport, "/latest/user-data", BodyMode::Streaming, 512);
        let error = streamed.result.unwrap_err();
        assert_eq!(error.attempts, 1);
        assert!(matches!(error.kind, ErrorKind::Response(imds::wire::DecodeError::UnexpectedEof(_))));
        assert_eq!(streamed.streamed, b"only forty bytes of the hundred promised", "delivered once");
        // The same failure on a contiguous body is retried.
        let error = fetch(&mut client, &sim, &mut transport, "/latest/user-data", BodyMode::Contiguous, 512)
            .result
            .unwrap_err();
        assert_eq!(error.attempts, 4);
    });
}

#[test]
fn a_buffer_too_small_cancels_the_operation_and_the_next_one_works() {
    both(|| {
        let sim = Sim::new(secure(&["tokenA"], 300));
        let (mut client, mut transport) = (new_client(Config::default()), sim.transport());
        let error =
            fetch(&mut client, &sim, &mut transport, "/latest/foo", BodyMode::Contiguous, 40).result.unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Usage(UsageError::ReceiveBuffer(_))), "{error:?}");
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
    });
}

// IMDSv1 fallback and token refresh, as the table of docs/session.md says.

/// A server whose n-th token PUT (from 0) gets `put(n)`, or else a token
/// `token<n>` with a TTL of 300 s; GETs answer "hello" with a valid token, or
/// without one unless `v2_only` says so (then 401).
fn scripted(
    mut put: impl FnMut(usize) -> Option<Reply> + 'static,
    v2_only: Rc<RefCell<bool>>,
) -> impl FnMut(&Seen) -> Reply {
    let mut issued: Vec<(String, u64)> = Vec::new();
    let mut puts = 0;
    move |seen| match &seen.method[..] {
        "PUT" => {
            puts += 1;
            if let Some(reply) = put(puts - 1) {
                return reply;
            }
            let token = format!("token{}", puts - 1);
            issued.push((token.clone(), seen.at + 300_000));
            response(200, &token, Some(300))
        }
        _ => match &seen.token {
            Some(t) if issued.iter().any(|(i, exp)| i == t && seen.at < *exp) => response(200, "hello", None),
            Some(_) => response(401, "", None),
            None if *v2_only.borrow() => response(401, "", None),
            None => response(200, "hello", None),
        },
    }
}

#[test]
fn a_failed_refresh_keeps_the_valid_token_in_every_mode() {
    both(|| {
        let failures: [fn() -> Reply; 4] =
            [|| response(503, "", None), || Reply::Silence, || response(403, "", None), || Reply::Reset];
        for mode in [V1Fallback::Never, V1Fallback::Rejected, V1Fallback::Timeout] {
            for failure in failures {
                let sim = Sim::new(scripted(move |n| (n > 0).then(failure), Rc::default()));
                let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
                assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
                sim.advance(200_000); // 100 s left: inside the 120 s refresh margin
                let label = format!("{mode:?}, {:?}", failure());
                let answer = get(&mut client, &sim, &mut transport, "/latest/foo");
                assert_eq!(answer.unwrap().1, b"hello", "{label}: no error");
                assert!(!client.is_v1(), "{label}: no fallback");
                let put = format!("PUT {TOKEN_PATH}");
                assert_eq!(sim.trace(), [&put, "GET /latest/foo token0", &put, "GET /latest/foo token0"], "{label}");
                // The next try waits until half of the remaining life is gone.
                get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
                assert_eq!(sim.trace().len(), 5, "{label}: no PUT right after a failed refresh");
                sim.advance(50_000);
                get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
                assert_eq!(sim.trace()[5..], [&put, "GET /latest/foo token0"], "{label}: tried again later");
            }
        }
    });
}

#[test]
fn token_5xx_falls_back_for_that_request_only() {
    both(|| {
        let sim = Sim::new(scripted(|_| Some(response(503, "", None)), Rc::default()));
        let (mut client, mut transport) = (new_client(fallback(V1Fallback::Timeout)), sim.transport());
        for round in 1..=2 {
            assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
            assert!(!client.is_v1(), "not sticky");
            let trace = sim.trace();
            let puts = trace.iter().filter(|l| l.starts_with("PUT")).count();
            assert_eq!(
                (puts, trace.last().unwrap().as_str()),
                (4 * round, "GET /latest/foo"),
                "round {round}: {trace:?}"
            );
        }
    });
}

#[test]
fn a_token_timeout_falls_back_until_the_reprobe_or_a_401() {
    both(|| {
        let v2_only = Rc::new(RefCell::new(false));
        let answering = Rc::new(RefCell::new(false));
        let answers = answering.clone();
        let sim = Sim::new(scripted(move |_| (!*answers.borrow()).then_some(Reply::Silence), v2_only.clone()));
        let (mut client, mut transport) = (new_client(fallback(V1Fallback::Timeout)), sim.transport());
        let put = format!("PUT {TOKEN_PATH}");
        let mut expect = vec![put.clone(), "GET /latest/foo".to_owned()];
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        assert!(client.is_v1());
        assert_eq!(sim.trace(), expect, "one read timeout, then IMDSv1");
        sim.advance(298_000);
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        expect.push("GET /latest/foo".into());
        assert_eq!(sim.trace(), expect, "IMDSv1 until the re-probe");
        sim.advance(2_000); // 5 minutes after the fallback: probe IMDSv2 again
        *answering.borrow_mut() = true;
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        expect.extend([put.clone(), "GET /latest/foo token1".into()]);
        assert_eq!(sim.trace(), expect, "re-probed and back on IMDSv2");
        assert!(!client.is_v1());

        // Fall back again; then IMDSv2 becomes required: the first 401 re-probes at once.
        client.clear_token();
        *answering.borrow_mut() = false;
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        assert!(client.is_v1());
        *answering.borrow_mut() = true;
        *v2_only.borrow_mut() = true;
        get(&mut client, &sim, &mut transport, "/latest/foo").unwrap();
        expect.extend([&put, "GET /latest/foo", "GET /latest/foo", &put, "GET /latest/foo token3"].map(String::from));
        assert_eq!(sim.trace(), expect);
        assert!(!client.is_v1());
    });
}

#[test]
fn an_oversized_token_response_is_the_peers_fault() {
    both(|| {
        // Content-Length 3000, then silence: refused from the head, nothing waited for.
        let sim = Sim::new(|_: &Seen| {
            Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\nConnection: close\r\n\r\nAQAE".to_vec())
        });
        let (mut client, mut transport) = (new_client(Config::DEFAULT), sim.transport());
        let start = sim.now.get();
        let error =
            fetch(&mut client, &sim, &mut transport, "/latest/foo", BodyMode::Contiguous, 2048).result.unwrap_err();
        let too_long = ErrorKind::InvalidToken(imds::TokenError::TooLong { len: Some(3000) });
        assert_eq!((error.phase, error.kind, error.attempts), (Phase::Token, too_long, 1));
        assert_eq!(sim.now.get(), start, "no read timeout waited");
        assert_eq!(
            error.to_string(),
            "token request failed: invalid token: token is 3000 bytes, more than the 128 accepted"
        );

        // Chunked: refused as soon as it passes the longest token.
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nC8\r\n".to_owned()
            + &"T".repeat(200)
            + "\r\n0\r\n\r\n";
        let sim = Sim::new(move |_: &Seen| Reply::Bytes(chunked.clone().into_bytes()));
        let (mut client, mut transport) = (new_client(Config::DEFAULT), sim.transport());
        let error =
            fetch(&mut client, &sim, &mut transport, "/latest/foo", BodyMode::Contiguous, 2048).result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidToken(imds::TokenError::TooLong { len: None }));

        // An error page of any size on the PUT is read and dropped: its status counts.
        let page = || response(403, &"<p>forbidden</p>".repeat(200), None);
        for (mode, outcome) in [(V1Fallback::Never, Err(ErrorKind::Status(403))), (V1Fallback::Rejected, Ok(200))] {
            let sim =
                Sim::new(move |seen: &Seen| if seen.method == "PUT" { page() } else { response(200, "hello", None) });
            let (mut client, mut transport) = (new_client(fallback(mode)), sim.transport());
            let result = fetch(&mut client, &sim, &mut transport, "/latest/foo", BodyMode::Contiguous, 2048).result;
            assert_eq!(result.map(|(status, _)| status).map_err(|e| e.kind), outcome, "{mode:?}");
        }
    });
}

#[test]
fn the_driver_waits_out_a_transport_that_times_out_early() {
    /// Connects and writes; every read "times out" at once, breaking the contract.
    struct Impatient {
        reads: usize,
    }
    impl imds::driver::Transport for Impatient {
        fn connect(&mut self, _: &imds::Endpoint, _: Duration) -> Result<(), imds::driver::TransportError> {
            Ok(())
        }
        fn write_all(&mut self, _: &[u8], _: Duration) -> Result<(), imds::driver::TransportError> {
            Ok(())
        }
        fn read(&mut self, _: &mut [u8], _: Duration) -> Result<usize, imds::driver::TransportError> {
            self.reads += 1;
            assert!(self.reads < 1000, "the driver spins on early timeouts");
            Err(imds::driver::TransportError::TimedOut)
        }
        fn close(&mut self) {}
    }
    for driver in ["blocking", "async"] {
        let mut client = new_client(Config::DEFAULT);
        let mut clock = imds::driver::ManualClock::default();
        let mut transport = Impatient { reads: 0 };
        let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 512]);
        let mut operation = client.get(clock.now, "/latest/foo", BodyMode::Contiguous);
        let error = match driver {
            "blocking" => imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}),
            _ => support::sim::block_on(imds::driver::asynch::run(
                &mut operation,
                &mut support::sim::Async(&mut transport),
                &mut support::sim::Async(&mut clock),
                &mut tx,
                &mut rx,
                |_| {},
            )),
        }
        .unwrap_err();
        assert_eq!((error.kind, error.attempts), (ErrorKind::Timeout(TimeoutKind::Read), 4), "{driver}");
        assert_eq!(transport.reads, 4, "{driver}: one read per attempt, each waited out on the clock");
    }
}

#[test]
fn the_token_leaves_no_copy_in_tx_or_rx() {
    const TOKEN: &str = "AQAEAsecretTOKENsecretTOKENsecretTOKENsecretTOKENsec==";
    let sim = Sim::new(|seen: &Seen| match &seen.method[..] {
        "PUT" => response(200, TOKEN, Some(21600)),
        _ => Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec()),
    });
    let (mut client, mut transport, mut clock) = (new_client(Config::DEFAULT), sim.transport(), sim.clock());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], [0u8; 1024]);
    let mut operation = client.get(imds::driver::Clock::now(&mut clock), "/latest/foo", BodyMode::Contiguous);
    let answer = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
    assert_eq!(answer.body, b"hi");
    assert_eq!(sim.seen.borrow()[1].token.as_deref(), Some(TOKEN), "the token was sent");
    let contains = |buf: &[u8]| buf.windows(16).any(|w| w == &TOKEN.as_bytes()[..16]);
    assert!(!contains(&tx), "the request with the token was zeroed in tx");
    assert!(!contains(&rx), "the token response was zeroed in rx");
}

#[test]
fn a_complete_answer_keeps_its_keep_alive_connection_whatever_its_status() {
    both(|| {
        let keep_alive = |status: u16, body: &str| {
            let reason = imds::reason_phrase(status);
            let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\n", body.len());
            Reply::Bytes(format!("{head}X-aws-ec2-metadata-token-ttl-seconds: 300\r\n\r\n{body}").into_bytes())
        };
        let mut gets = 0;
        let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
            "PUT" => keep_alive(200, "tokenA"),
            _ => {
                gets += 1;
                match gets {
                    1 => keep_alive(503, ""),
                    2 => keep_alive(404, ""),
                    _ => keep_alive(200, "hello"),
                }
            }
        });
        let (mut client, mut transport) = (new_client(Config::DEFAULT), sim.transport());
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().0, 404, "503 retried, then 404");
        assert_eq!(get(&mut client, &sim, &mut transport, "/latest/foo").unwrap().1, b"hello");
        assert_eq!((sim.trace().len(), transport.connects), (4, 1), "one connection for the 200, the 503 and the 404");
    });
}
