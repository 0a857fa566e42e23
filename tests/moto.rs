//! Against moto (PyPI `moto[server]`), a live third-party emulator: token,
//! `instance-id`, `placement/region`, the role listing and credentials, raw and
//! through the credentials and region flows. moto sends no TTL header, and the
//! client copes; it answers 500 (not 404) for the extended credentials API,
//! and the credentials flow moves to the legacy API by itself.
//!
//! `bash .ci/run` installs moto in a virtualenv, starts `moto_server` on
//! 127.0.0.1 and a free port, and passes its URL in `IMDS_MOTO_URL`; it stops the
//! server afterwards. Without that variable this test has nothing to talk to and
//! says so.

#![cfg(feature = "std")]

use std::time::Duration;

use imds::BodyMode;
use imds::driver::{Clock, complete, run};
use imds::net::{SystemClock, TcpTransport};
use imds::parse::Listing;
use imds::parse::Timestamp;
use imds::wire::MAX_REQUEST_LEN;
use imds::{Client, Config, CredentialsApi, CredentialsFlow, Endpoint, Host, RegionFlow};

#[test]
fn moto_token_values_role_and_credentials() {
    let Ok(url) = std::env::var("IMDS_MOTO_URL") else {
        eprintln!("IMDS_MOTO_URL is not set: no moto server to test against (bash .ci/run starts one)");
        return;
    };
    let endpoint = Endpoint::parse(&url).expect("IMDS_MOTO_URL is an endpoint URL");
    assert!(matches!(endpoint.host(), Host::Ip(ip) if ip.is_loopback()), "moto must run on loopback, not {url}");
    let mut client = Client::new(Config::with_endpoint(endpoint), 3);
    let (mut transport, mut clock) = (TcpTransport::new(), SystemClock::new());
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], vec![0u8; 16 * 1024]);
    let mut get = |path: &str| -> Vec<u8> {
        let mut operation = client.get(clock.now(), path, BodyMode::Contiguous);
        let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.token_ttl.map(|t| t > Duration::from_secs(21500)), Some(true), "requested TTL assumed");
        answer.body.to_vec()
    };
    assert_eq!(get("/latest/meta-data/instance-id"), b"i-fake");
    assert_eq!(get("/latest/meta-data/placement/region"), b"us-east-1");
    let dir = "/latest/meta-data/iam/security-credentials/";
    let listing = get(dir);
    let role = Listing::parse(dir, &listing).unwrap().next().expect("a role");
    let mut buf = [0u8; 256];
    let path = role.join(&mut buf).unwrap().to_owned();
    let credentials = String::from_utf8(get(&path)).unwrap();
    assert!(credentials.contains("\"AccessKeyId\""), "{credentials}");
    assert!(credentials.contains("\"SecretAccessKey\""));

    // The flows: credentials (moto's lack Code, LastUpdated and Type), the region.
    let mut flow = CredentialsFlow::new();
    let now = Timestamp::from_unix(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64,
    );
    let fetched = complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut flow.fetch(now)).unwrap();
    assert!(!fetched.credentials.access_key_id.to_string().is_empty());
    assert_eq!((flow.api(), flow.role()), (CredentialsApi::Legacy, Some("default-role")));
    let region = complete(&mut client, &mut transport, &mut clock, &mut tx, &mut rx, &mut RegionFlow::new());
    assert_eq!(region.map(str::to_owned), Ok("us-east-1".to_owned()));
}
