//! Credentials, the Region, the identity document and the interruption watch
//! over real TCP against the emulator, with the faults that change them.

#![cfg(feature = "std")]

use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use imds::driver::{Clock, complete, run, watch};
use imds::net::{SystemClock, TcpTransport};
use imds::parse::{IdentityDocument, Timestamp};
use imds::wire::MAX_REQUEST_LEN;
use imds::{
    BodyMode, Client, Config, CredentialsApi, CredentialsError, CredentialsFlow, Endpoint, Notice, RegionFlow, Watch,
};
use imds_emulator::{Emulator, Faults, Options};

struct Session {
    emulator: Emulator,
    client: Client<'static>,
    transport: TcpTransport,
    clock: SystemClock,
    tx: [u8; MAX_REQUEST_LEN],
    rx: Vec<u8>,
}

fn session(faults: Faults) -> Session {
    let options = Options { faults, lifetime: Duration::from_secs(60), max_requests: 500, ..Options::default() };
    let emulator = Emulator::start(options).unwrap();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    Session {
        client: Client::new(Config::with_endpoint(endpoint), 3),
        emulator,
        transport: TcpTransport::new(),
        clock: SystemClock::new(),
        tx: [0; MAX_REQUEST_LEN],
        rx: vec![0; 16 * 1024],
    }
}

fn wall_now() -> Timestamp {
    Timestamp::from_unix(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64)
}

impl Session {
    fn credentials(&mut self, flow: &mut CredentialsFlow) -> Result<(String, Option<String>, bool), CredentialsError> {
        let fetched = complete(
            &mut self.client,
            &mut self.transport,
            &mut self.clock,
            &mut self.tx,
            &mut self.rx,
            &mut flow.fetch(wall_now()),
        )?;
        let c = fetched.credentials;
        Ok((c.access_key_id.to_string(), c.account_id.map(|a| a.to_string()), fetched.stale))
    }

    fn gets(&self) -> Vec<String> {
        self.emulator.paths().into_iter().filter(|p| p != "/latest/api/token").collect()
    }
}

#[test]
fn credentials_from_the_extended_api_then_from_the_kept_role() {
    let mut s = session(Faults::default());
    let mut flow = CredentialsFlow::new();
    assert_eq!(s.credentials(&mut flow).unwrap(), ("ASIAEMULATOR0EXAMPLE".into(), Some("123456789012".into()), false));
    assert_eq!(s.credentials(&mut flow).unwrap().1.as_deref(), Some("123456789012"));
    assert_eq!(flow.api(), CredentialsApi::Extended);
    let role = "/latest/meta-data/iam/security-credentials-extended/imds-emulator-role";
    assert_eq!(s.gets(), ["/latest/meta-data/iam/security-credentials-extended/", role, role]);
}

#[test]
fn credentials_from_the_legacy_api_when_the_extended_one_is_missing() {
    let mut s = session(Faults { no_extended_api: true, ..Faults::default() });
    let mut flow = CredentialsFlow::new();
    for _ in 0..2 {
        assert_eq!(s.credentials(&mut flow).unwrap(), ("ASIAEMULATOR0EXAMPLE".into(), None, false));
    }
    assert_eq!(flow.api(), CredentialsApi::Legacy);
    let legacy = "/latest/meta-data/iam/security-credentials/imds-emulator-role";
    assert_eq!(
        s.gets(),
        [
            "/latest/meta-data/iam/security-credentials-extended/",
            "/latest/meta-data/iam/security-credentials/",
            legacy,
            legacy
        ]
    );
}

#[test]
fn no_role_a_failure_code_and_expired_credentials() {
    let mut s = session(Faults { no_role: true, ..Faults::default() });
    assert_eq!(s.credentials(&mut CredentialsFlow::new()), Err(CredentialsError::NoRole));
    assert_eq!(CredentialsError::NoRole.to_string(), "the instance has no IAM role (no role listed)");

    s.emulator
        .set_faults(Faults { credentials_code: Some("AssumeRoleUnauthorizedAccess".into()), ..Faults::default() });
    let error = s.credentials(&mut CredentialsFlow::new()).unwrap_err();
    assert!(
        matches!(error, CredentialsError::Document(imds::parse::DocumentError::Code(c)) if c.as_str() == "AssumeRoleUnauthorizedAccess")
    );

    s.emulator.set_faults(Faults { expired_credentials: true, ..Faults::default() });
    assert!(s.credentials(&mut CredentialsFlow::new()).unwrap().2, "served expired: kept a while, flagged");
}

#[test]
fn region_from_placement_or_from_the_identity_document() {
    let mut s = session(Faults::default());
    let region = complete(&mut s.client, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, &mut RegionFlow::new());
    assert_eq!(region.map(str::to_owned), Ok("eu-west-1".to_owned()));
    s.emulator.set_faults(Faults { no_placement_region: true, ..Faults::default() });
    let region = complete(&mut s.client, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, &mut RegionFlow::new());
    assert_eq!(region.map(str::to_owned), Ok("eu-west-1".to_owned()));
    assert_eq!(
        s.gets(),
        [
            "/latest/meta-data/placement/region",
            "/latest/meta-data/placement/region",
            "/latest/dynamic/instance-identity/document"
        ]
    );
}

#[test]
fn the_identity_document() {
    let mut s = session(Faults::default());
    let now = s.clock.now();
    let mut operation = s.client.get(now, imds::catalog::INSTANCE_IDENTITY_DOCUMENT, BodyMode::Contiguous);
    let answer = run(&mut operation, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, |_| {}).unwrap();
    let document = IdentityDocument::parse(answer.body).unwrap();
    assert_eq!(document.instance_id.map(|i| i.to_string()).as_deref(), Some("i-0a1b2c3d4e5f60718"));
    assert_eq!((document.kernel_id, document.billing_products), (None, None));
}

#[test]
fn the_watch_reports_each_notice_once() {
    let faults = Faults {
        spot_notice: Some((Duration::from_millis(300), "terminate".into())),
        rebalance_after: Some(Duration::from_millis(100)),
        maintenance: Some(
            r#"[{"Code":"system-reboot","NotBefore":"21 Jan 2027 09:00:43 GMT","State":"active"}]"#.into(),
        ),
        ..Faults::default()
    };
    let mut s = session(faults);
    let mut w = Watch::new(s.clock.now(), Duration::from_millis(50));
    let mut seen = Vec::new();
    let name = |notice: &Notice<'_>| match notice {
        Notice::Spot(spot) => format!("spot {:?}", spot.kind),
        Notice::Rebalance(_) => "rebalance".to_owned(),
        Notice::Maintenance(events) => format!("maintenance {}", events.iter().count()),
    };
    let result = watch(&mut s.client, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, &mut w, |notice| {
        seen.push(name(&notice));
        if seen.len() == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    assert_eq!(result, Ok(()));
    seen.sort();
    assert_eq!(seen, ["maintenance 1", "rebalance", "spot Terminate"], "each once");
    // Two more rounds, by hand: the same notices are not reported again.
    for _ in 0..6 {
        s.clock.sleep_until(w.poll_at());
        let mut operation = w.start(s.clock.now(), &mut s.client).unwrap();
        let outcome = run(&mut operation, &mut s.transport, &mut s.clock, &mut s.tx, &mut s.rx, |_| {});
        assert_eq!(w.finish(s.clock.now(), outcome).map(|n| n.map(|n| name(&n))), Ok(None));
    }
}
