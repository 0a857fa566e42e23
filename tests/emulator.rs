//! Over real TCP on loopback, against the project's emulator: every fault it
//! can play, a token expiring mid-session, connection reuse and close, IPv6.

#![cfg(feature = "std")]

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use imds::BodyMode;
use imds::driver::{Clock, run};
use imds::net::{SystemClock, TcpTransport};
use imds::wire::{DecodeError, EofPhase, MAX_REQUEST_LEN};
use imds::{Client, Config, Endpoint, TokenTtl, V1Fallback};
use imds::{ErrorKind, Phase, TimeoutKind};
use imds_emulator::{Emulator, Faults, Options};

struct Session {
    client: Client<'static>,
    transport: TcpTransport,
    clock: SystemClock,
}

impl Session {
    fn new(emulator: &Emulator, config: Config<'static>) -> Session {
        let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
        Session {
            client: Client::new(
                {
                    let mut c = config;
                    c.endpoint = endpoint;
                    c
                },
                7,
            ),
            transport: TcpTransport::new(),
            clock: SystemClock::new(),
        }
    }

    fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), imds::Error> {
        self.get_as(path, BodyMode::Contiguous)
    }

    fn get_as(&mut self, path: &str, mode: BodyMode) -> Result<(u16, Vec<u8>), imds::Error> {
        let now = self.clock.now();
        let mut operation = self.client.get(now, path, mode);
        let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 8 * 1024]);
        let mut streamed = Vec::new();
        let answer = run(&mut operation, &mut self.transport, &mut self.clock, &mut tx, &mut rx, |p| {
            streamed.extend_from_slice(p)
        })?;
        let body = if mode == BodyMode::Streaming { streamed } else { answer.body.to_vec() };
        Ok((answer.status, body))
    }
}

/// [`Config::DEFAULT`] with `edit` applied.
fn config(edit: impl FnOnce(&mut Config<'static>)) -> Config<'static> {
    let mut config = Config::DEFAULT;
    edit(&mut config);
    config
}

fn emulator(options: Options) -> Emulator {
    Emulator::start(Options { lifetime: Duration::from_secs(60), max_requests: 500, ..options }).unwrap()
}

fn with_faults(faults: Faults) -> Emulator {
    emulator(Options { faults, ..Options::default() })
}

#[test]
fn fetches_values_listings_and_documents() {
    let emulator = emulator(Options::default());
    let mut s = Session::new(&emulator, Config::default());
    assert_eq!(s.get("/latest/meta-data/instance-id").unwrap(), (200, b"i-0a1b2c3d4e5f60718".to_vec()));
    let (_, listing) = s.get("/latest/meta-data/").unwrap();
    let listing = String::from_utf8(listing).unwrap();
    assert!(listing.contains("\niam/\n") && listing.contains("public-keys/"), "{listing}");
    assert_eq!(s.get("/latest/meta-data/public-keys/").unwrap().1, b"0=imds-emulator");
    let (_, doc) = s.get("/latest/dynamic/instance-identity/document").unwrap();
    assert!(String::from_utf8(doc).unwrap().contains("\"region\" : \"eu-west-1\""));
    let (status, body) = s.get("/latest/meta-data/nope").unwrap();
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().contains("404 - Not Found"));
    assert_eq!(emulator.tokens_issued(), 1, "one token for the session");
    let remaining = s.client.token_ttl(s.clock.now()).unwrap();
    assert!(remaining > Duration::from_secs(21500));
}

#[test]
fn errors_5xx_burst_is_retried() {
    let emulator = with_faults(Faults { errors_5xx: 3, ..Faults::default() });
    let mut s = Session::new(&emulator, Config::default());
    assert_eq!(s.get("/latest/meta-data/instance-type").unwrap().1, b"c7g.large");
    assert_eq!(emulator.requests(), 5, "3 x 503 on the token, then token and GET");

    emulator.set_faults(Faults { errors_5xx: 10, ..Faults::default() });
    let error = s.get("/latest/meta-data/instance-type").unwrap_err();
    assert_eq!((error.phase, error.kind, error.attempts), (Phase::Get, ErrorKind::Status(503), 4));
}

#[test]
fn delays_within_and_beyond_the_read_timeout() {
    let emulator = with_faults(Faults { delay: Duration::from_millis(100), ..Faults::default() });
    let mut s = Session::new(&emulator, Config::default());
    assert_eq!(s.get("/latest/meta-data/local-ipv4").unwrap().1, b"10.20.30.40");
    emulator.set_faults(Faults { delay: Duration::from_millis(400), ..Faults::default() });
    let settings = config(|c| {
        c.read_timeout = Duration::from_millis(150);
        c.max_attempts = 2;
    });
    let mut s = Session::new(&emulator, settings);
    let error = s.get("/latest/meta-data/local-ipv4").unwrap_err();
    assert_eq!((error.kind, error.attempts), (ErrorKind::Timeout(TimeoutKind::Read), 2));
}

#[test]
fn stalls_end_in_a_read_timeout() {
    let emulator = with_faults(Faults { stall: true, ..Faults::default() });
    let settings = config(|c| {
        c.read_timeout = Duration::from_millis(100);
        c.max_attempts = 2;
    });
    let mut s = Session::new(&emulator, settings);
    let error = s.get("/latest/meta-data/ami-id").unwrap_err();
    assert_eq!((error.phase, error.kind, error.attempts), (Phase::Token, ErrorKind::Timeout(TimeoutKind::Read), 2));
}

#[test]
fn truncated_bodies_are_never_complete() {
    let emulator = emulator(Options::default());
    let mut s = Session::new(&emulator, Config::default());
    s.get("/latest/meta-data/ami-id").unwrap();
    emulator.set_faults(Faults { truncate: true, ..Faults::default() });
    let error = s.get("/latest/meta-data/iam/info").unwrap_err();
    assert_eq!((error.kind, error.attempts), (ErrorKind::Response(DecodeError::UnexpectedEof(EofPhase::Body)), 4));
    emulator.set_faults(Faults::default());
    assert!(s.get("/latest/meta-data/iam/info").unwrap().1.starts_with(b"{"));
}

#[test]
fn byte_at_a_time_and_chunked_bodies() {
    let emulator = with_faults(Faults { byte_at_a_time: true, chunked: true, ..Faults::default() });
    let mut s = Session::new(&emulator, Config::default());
    let (_, user_data) = s.get("/latest/user-data").unwrap();
    assert!(user_data.len() > 3000 && user_data.starts_with(b"#!/bin/bash"));
    let (_, streamed) = s.get_as("/latest/user-data", BodyMode::Streaming).unwrap();
    assert_eq!(streamed, user_data);
}

#[test]
fn dropped_token_responses_the_hop_limit_case() {
    let faults = Faults { drop_token_responses: true, ..Faults::default() };
    let emulator = emulator(Options { require_v2: false, faults, ..Options::default() });
    let settings = config(|c| {
        c.read_timeout = Duration::from_millis(200);
        c.v1_fallback = V1Fallback::Timeout;
    });
    let mut s = Session::new(&emulator, settings);
    assert_eq!(s.get("/latest/meta-data/instance-id").unwrap().0, 200);
    assert!(s.client.is_v1());
    assert_eq!(emulator.requests(), 2, "one token PUT, no retries, then the v1 GET");

    let settings = config(|c| {
        c.read_timeout = Duration::from_millis(100);
        c.max_attempts = 2;
    });
    let mut s = Session::new(&emulator, settings);
    let error = s.get("/latest/meta-data/instance-id").unwrap_err();
    assert_eq!((error.phase, error.kind), (Phase::Token, ErrorKind::Timeout(TimeoutKind::Read)));
}

#[test]
fn rejected_token_and_v1_fallback() {
    let faults = Faults { reject_token: Some(403), ..Faults::default() };
    let emulator = emulator(Options { require_v2: false, faults, ..Options::default() });
    let mut s = Session::new(&emulator, config(|c| c.v1_fallback = V1Fallback::Rejected));
    assert_eq!(s.get("/latest/meta-data/instance-id").unwrap().0, 200);
    let mut strict = Session::new(&emulator, Config::default());
    let error = strict.get("/latest/meta-data/instance-id").unwrap_err();
    assert_eq!(error.to_string(), "token request failed: 403 Forbidden");
}

#[test]
fn v1_get_without_token_is_401_when_v2_is_required() {
    let emulator = emulator(Options::default());
    let mut s = Session::new(&emulator, Config::default());
    // A raw v1 request, to see the emulator's answer.
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
    stream.write_all(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401 Unauthorized"), "{answer}");
    // A PUT with X-Forwarded-For is refused; a bad TTL is a 400.
    for (request, status) in [
        (
            "PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
            "403",
        ),
        ("PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 0\r\n\r\n", "400"),
        ("PUT /latest/api/token HTTP/1.1\r\n\r\n", "400"),
        ("GET /latest/api/token HTTP/1.1\r\n\r\n", "405"),
        ("GET /latest/meta-data/ HTTP/1.1\r\nX-aws-ec2-metadata-token: forged\r\n\r\n", "401"),
    ] {
        let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{request:?}: {answer}");
    }
    assert_eq!(s.get("/latest/meta-data/mac").unwrap().1, b"0e:1f:2a:3b:4c:5d");
}

#[test]
fn a_token_expiring_mid_session() {
    let emulator = emulator(Options::default());
    let settings = config(|c| c.token_ttl = TokenTtl::new(1).unwrap());
    let mut s = Session::new(&emulator, settings);
    s.get("/latest/meta-data/ami-id").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    s.get("/latest/meta-data/ami-id").unwrap();
    assert_eq!(emulator.tokens_issued(), 2, "the expired token was replaced");
}

#[test]
fn connection_reuse_and_close() {
    let emulator = emulator(Options { keep_alive: true, ..Options::default() });
    let mut s = Session::new(&emulator, Config::default());
    for _ in 0..5 {
        s.get("/latest/meta-data/instance-id").unwrap();
    }
    assert_eq!((emulator.requests(), emulator.connections()), (6, 1), "keep-alive: one connection");

    let closing = emulator_default();
    let mut s = Session::new(&closing, Config::default());
    for _ in 0..5 {
        s.get("/latest/meta-data/instance-id").unwrap();
    }
    assert_eq!((closing.requests(), closing.connections()), (6, 6), "Connection: close, like EC2");
}

fn emulator_default() -> Emulator {
    emulator(Options::default())
}

#[test]
fn a_stale_keep_alive_connection_is_retried_for_free() {
    let emulator = emulator(Options { keep_alive: true, ..Options::default() });
    let mut s = Session::new(&emulator, config(|c| c.max_attempts = 1));
    s.get("/latest/meta-data/instance-id").unwrap();
    // The emulator drops idle connections after 2 s.
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(s.get("/latest/meta-data/instance-id").unwrap().0, 200, "even with a single attempt");
    assert_eq!(emulator.connections(), 2);
}

#[test]
fn ipv6_loopback() {
    let emulator = emulator(Options { ip: IpAddr::V6(Ipv6Addr::LOCALHOST), ..Options::default() });
    assert!(emulator.url().starts_with("http://[::1]:"));
    let mut s = Session::new(&emulator, Config::default());
    assert_eq!(s.get("/latest/meta-data/placement/region").unwrap().1, b"eu-west-1");
}

#[test]
fn the_emulator_refuses_non_loopback_addresses() {
    let options = Options { ip: "0.0.0.0".parse().unwrap(), ..Options::default() };
    assert!(Emulator::start(options).is_err());
}

#[test]
fn the_emulator_stops_by_itself() {
    let emulator = Emulator::start(Options { max_requests: 2, ..Options::default() }).unwrap();
    let mut s = Session::new(
        &emulator,
        config(|c| {
            c.max_attempts = 1;
            c.connect_timeout = Duration::from_millis(200);
        }),
    );
    s.get("/latest/meta-data/ami-id").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(s.get("/latest/meta-data/ami-id").is_err(), "no more than max_requests");
}

/// What clients rely on, answered as EC2 answers it: a leaf asked with a
/// final slash (botocore's `placement/availability-zone/`, ec2-metadata's
/// `user-data/`), the dated API versions, `dynamic/fws/instance-monitoring`,
/// and live `Date` and `Last-Modified` headers.
#[test]
fn answers_as_ec2_does() {
    let emulator = emulator(Options::default());
    let mut s = Session::new(&emulator, Config::default());
    let zone = s.get("/latest/meta-data/placement/availability-zone").unwrap();
    assert_eq!(s.get("/latest/meta-data/placement/availability-zone/").unwrap(), zone);
    assert_eq!(s.get("/latest/user-data/").unwrap(), s.get("/latest/user-data").unwrap());
    assert_eq!(s.get("/latest/meta-data/nope/").unwrap().0, 404, "an unknown path stays 404 with a slash");
    // A directory asked without its slash is still its listing.
    assert_eq!(s.get("/latest/meta-data/placement").unwrap(), s.get("/latest/meta-data/placement/").unwrap());
    // `/` lists the dated versions, then latest; each serves the tree.
    let (_, versions) = s.get("/").unwrap();
    let versions = String::from_utf8(versions).unwrap();
    assert!(versions.starts_with("1.0\n2007-01-19\n") && versions.ends_with("\n2016-09-02\nlatest"), "{versions}");
    for version in ["2009-04-04", "2016-09-02", "1.0"] {
        assert_eq!(
            s.get(&format!("/{version}/meta-data/instance-id")).unwrap(),
            s.get("/latest/meta-data/instance-id").unwrap()
        );
        assert_eq!(s.get(&format!("/{version}/meta-data/")).unwrap(), s.get("/latest/meta-data/").unwrap());
    }
    assert_eq!(s.get("/2099-01-01/meta-data/instance-id").unwrap().0, 404, "not a version");
    assert_eq!(s.get("/latest/dynamic/fws/instance-monitoring").unwrap(), (200, b"disabled".to_vec()));
    let (_, dynamic) = s.get("/latest/dynamic/").unwrap();
    assert_eq!(String::from_utf8(dynamic).unwrap(), "fws/\ninstance-identity/");
    // Date is now (to the minute), Last-Modified not after it.
    let service = emulator.service();
    let token =
        match service.answer(b"PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n") {
            imds_emulator::Answer::Reply { bytes, .. } => {
                String::from_utf8(bytes).unwrap().rsplit("\r\n").next().unwrap().to_owned()
            }
            other => panic!("{other:?}"),
        };
    let request = format!("GET /latest/meta-data/ami-id HTTP/1.1\r\nX-aws-ec2-metadata-token: {token}\r\n\r\n");
    let imds_emulator::Answer::Reply { bytes, .. } = service.answer(request.as_bytes()) else { panic!() };
    let head = String::from_utf8(bytes).unwrap();
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (date, modified) = (header("Date: "), header("Last-Modified: "));
    let expected = [now, now + 1].map(imds_emulator::http_date);
    assert!(expected.contains(&date), "{date} is not now ({expected:?})");
    assert!(modified.ends_with(" GMT") && modified.len() == date.len(), "{modified}");
}
