//! Encoding, decoding, parsing and whole sessions allocate nothing: a counting
//! global allocator sees no allocation on the measuring thread while they run.

#[allow(dead_code)]
mod support {
    pub mod counting;
}

use imds::BodyMode;
use imds::parse::Listing;
use imds::wire::{Decoder, Limits, MAX_REQUEST_LEN, Progress, Reader, Request};
use imds::{Endpoint, Token, TokenTtl, path};

use support::counting::{Counting, allocations_during};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_wire_core_allocates_nothing() {
    let responses: Vec<Vec<u8>> =
        ["token.http", "credentials.http", "user_data_chunked.http", "not_found.http", "close_delimited.http"]
            .iter()
            .map(|f| fixture(f))
            .collect();
    let mut rx = vec![0u8; 32 * 1024];
    let mut small = [0u8; 1024];

    let counted = allocations_during(|| {
        // Requests.
        let endpoint = Endpoint::parse("http://[::1]:8080/").unwrap();
        let token = Token::new(b"AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==").unwrap();
        let mut tx = [0u8; MAX_REQUEST_LEN];
        let get = Request::Get { path: "/latest/meta-data/iam/security-credentials/", token: Some(&token) };
        assert!(get.encode(&endpoint, Some("imds/0.1"), &mut tx).is_ok());
        assert!(Request::PutToken { ttl: TokenTtl::MAX }.encode(&Endpoint::IPV4, None, &mut tx).is_ok());
        assert!(Request::Get { path: "/../x", token: None }.encode(&endpoint, None, &mut tx).is_err());

        for response in &responses {
            // Event-level decoding, one shot.
            let mut decoder = Decoder::new(Limits::DEFAULT);
            let mut input = &response[..];
            loop {
                let (consumed, decoded) = decoder.decode(input, true).unwrap();
                input = &input[consumed..];
                if decoded == imds::wire::Decoded::End {
                    break;
                }
            }
            // Buffer-level, contiguous and streamed, in 100-byte reads.
            for (mode, buf) in [(BodyMode::Contiguous, &mut rx[..]), (BodyMode::Streaming, &mut small[..])] {
                let mut reader = Reader::new(Limits::DEFAULT, mode);
                let mut wire = &response[..];
                while reader.poll(buf).unwrap() != Progress::Complete {
                    let spare = reader.spare(buf).unwrap();
                    let n = spare.len().min(wire.len()).min(100);
                    spare[..n].copy_from_slice(&wire[..n]);
                    wire = &wire[n..];
                    if n == 0 { reader.eof() } else { reader.received(n).unwrap() }
                }
            }
        }

        // Listings and paths.
        let listing = Listing::parse("/latest/meta-data/", b"ami-id\niam/\n0=my-key\n").unwrap();
        let mut path_buf = [0u8; path::MAX_PATH_LEN];
        for entry in listing {
            assert!(entry.join(&mut path_buf).is_ok());
        }
        assert!(path::join_into::<64>("/latest/", "dynamic/").is_ok());
        assert!(Listing::parse("/", b"a\n\n").is_err());
    });
    assert_eq!(counted, 0, "the wire core allocated");
    // The counter works: std allocates.
    assert!(allocations_during(|| drop(vec![1u8; 10])) > 0);
}

#[test]
fn a_session_with_retries_allocates_nothing() {
    // Popped from the end: token, a 503 (retried after a backoff), the value, a 404.
    let mut replies: Vec<&[u8]> = vec![
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 6\r\n\r\ntokenA",
    ];
    let mut transport = imds::driver::MemoryTransport::new(|_: &[u8]| replies.pop()).with_read_size(7);
    let mut client = imds::Client::new(imds::Config::default(), 5);
    let mut clock = imds::driver::ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 256]);
    let counted = allocations_during(|| {
        for (path, status) in [("/latest/user-data", 200), ("/latest/nope", 404)] {
            let mut operation = client.get(clock.now, path, BodyMode::Contiguous);
            let answer =
                imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
            assert_eq!(answer.status, status);
        }
    });
    assert_eq!(counted, 0, "the session allocated");
    assert!(replies.is_empty(), "every reply was used");
}

#[test]
fn a_walk_allocates_nothing() {
    // A small tree: a listing with a directory, a public key and a leaf that is gone.
    let mut transport = imds::driver::MemoryTransport::new(|request: &[u8]| {
        Some(match request.split(|&b| b == b' ').nth(1).unwrap_or_default() {
            b"/latest/api/token" => &b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntokenA"[..],
            b"/latest/meta-data/" => b"HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nami-id\niam/\npublic-keys/",
            b"/latest/meta-data/iam/" => b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ninfo\ngone",
            b"/latest/meta-data/public-keys/" => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n0=key",
            b"/latest/meta-data/public-keys/0/" => b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nopenssh-key",
            b"/latest/meta-data/iam/gone" => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            _ => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nvalue\r\n0\r\n\r\n",
        })
    })
    .with_read_size(5);
    let mut client = imds::Client::new(imds::Config::DEFAULT, 5);
    let mut clock = imds::driver::ManualClock::default();
    let (mut tx, mut rx, mut pending) = ([0u8; MAX_REQUEST_LEN], [0u8; 256], [0u8; 512]);
    let mut visits = 0;
    let counted = allocations_during(|| {
        let mut walk =
            imds::Walk::new(clock.now, "/latest/meta-data/", imds::WalkLimits::DEFAULT, &mut pending).unwrap();
        imds::driver::walk(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut walk, |_| {
            visits += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    });
    assert_eq!(counted, 0, "the walk allocated");
    assert_eq!(visits, 8, "3 directories and a public key's, 3 leaves, 1 gone");
}

#[test]
fn documents_flows_and_configuration_allocate_nothing() {
    let credentials: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 190\r\n\r\n{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\"s\\u0065cret\",\"Token\":\"t\",\"Expiration\":\"2026-11-26T21:47:55Z\",\"AccountId\":\"123456789012\",\"LastUpdated\":\"2026-11-26T15:12:40.5+01:00\"}";
    assert_eq!(credentials.len() - credentials.windows(4).position(|w| w == b"\r\n\r\n").unwrap() - 4, 190);
    let mut transport = imds::driver::MemoryTransport::new(|request: &[u8]| {
        Some(match request.split(|&b| b == b' ').nth(1).unwrap_or_default() {
            b"/latest/api/token" => &b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntokenA"[..],
            b"/latest/meta-data/iam/security-credentials-extended/" => b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nrole",
            b"/latest/meta-data/iam/security-credentials-extended/role" => credentials,
            b"/latest/meta-data/placement/region" => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            b"/latest/dynamic/instance-identity/document" => {
                b"HTTP/1.1 200 OK\r\nContent-Length: 45\r\n\r\n{\"region\":\"eu-west-1\",\"kernelId\":null,\"x\":[]}"
            }
            b"/latest/meta-data/spot/instance-action" => {
                b"HTTP/1.1 200 OK\r\nContent-Length: 52\r\n\r\n{\"action\":\"terminate\",\"time\":\"2026-11-30T08:22:00Z\"}"
            }
            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        })
    });
    let mut client = imds::Client::new(imds::Config::DEFAULT, 5);
    let mut clock = imds::driver::ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 1024]);
    let mut flow = imds::CredentialsFlow::new();
    let mut watch = imds::Watch::new(clock.now, imds::DEFAULT_WATCH_INTERVAL);
    let mut notices = 0;
    let counted = allocations_during(|| {
        let now = imds::parse::Timestamp::from_unix(1_795_700_000);
        let fetched =
            imds::driver::complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut flow.fetch(now))
                .unwrap();
        let mut secret = [0u8; 16];
        assert_eq!(fetched.credentials.secret_access_key.expose().unescape_into(&mut secret), Ok("secret"));
        assert_eq!(
            fetched.credentials.last_updated.map(|t| t.unix_seconds()),
            Some(1_795_702_360),
            "15:12:40+01:00 is 14:12:40Z"
        );
        let mut region_flow = imds::RegionFlow::new();
        let region =
            imds::driver::complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut region_flow)
                .unwrap();
        assert_eq!(region, "eu-west-1");
        let _ = imds::driver::watch(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut watch, |_| {
            notices += 1;
            std::ops::ControlFlow::Break(())
        });
        assert!(imds::parse::json::parse(b"[{\"a\":[1,2,{\"b\":null}]},\"\\ud83d\\ude00\",-1.5e3]").is_ok());
        assert!(imds::parse::json::parse(b"{\"a\":1,\"\\u0061\":2}").is_err());
        assert!(imds::parse::Timestamp::parse_event_time("21 Jan 2019 09:00:43 GMT").is_ok());
        assert!(imds::catalog::interface("0e:49:61:0f:c3:11", imds::catalog::Interface::VpcId).is_ok());
        let settings = imds::sdk_config::Settings {
            environment: imds::sdk_config::Source { endpoint_mode: Some("IPv6"), ..Default::default() },
            ..Default::default()
        };
        assert_eq!(imds::sdk_config::resolve(&settings).map(|r| r.endpoint), Ok(Endpoint::IPV6));
    });
    assert_eq!(counted, 0, "documents, flows or configuration allocated");
    assert_eq!(notices, 1);
}

#[cfg(feature = "std")]
#[test]
fn gets_over_tcp_through_the_std_transport_allocate_nothing() {
    use imds::net::{SystemClock, TcpTransport};
    // The emulator serves on its own threads: only this thread is counted.
    let emulator = imds_emulator::Emulator::start(imds_emulator::Options {
        lifetime: std::time::Duration::from_secs(60),
        max_requests: 100,
        ..imds_emulator::Options::default()
    })
    .unwrap();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = imds::Client::new(imds::Config::with_endpoint(endpoint), 3);
    let (mut transport, mut clock) = (TcpTransport::new(), SystemClock::new());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);
    let mut get = |client: &mut imds::Client<'_>| {
        let mut operation =
            client.get(imds::driver::Clock::now(&mut clock), "/latest/meta-data/instance-id", BodyMode::Contiguous);
        let answer = imds::driver::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
        assert_eq!(answer.body, b"i-0a1b2c3d4e5f60718");
    };
    get(&mut client); // the token, and the socket's first use
    let counted = allocations_during(|| {
        for _ in 0..20 {
            get(&mut client);
        }
    });
    assert_eq!(counted, 0, "GETs over TCP allocated");
    assert_eq!(emulator.tokens_issued(), 1);
}
