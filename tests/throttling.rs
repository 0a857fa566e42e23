//! Throttling, as IMDS throttles a busy caller: 429 and 503, with and without
//! `Retry-After` (seconds), are retried with backoff within the operation's
//! deadline; `Retry-After` is waited out when it fits the deadline, and the
//! operation fails at once with the status when it does not. On a simulated
//! server and clock (time moves only when the client waits), then against the
//! emulator's throttle over TCP.

#[allow(dead_code)]
mod support {
    pub mod sim;
}

use std::cell::RefCell;
use std::rc::Rc;

use support::sim::{Reply, Seen, Sim, config, get, new_client, response};

/// A server that answers GETs with `throttled` (status, Retry-After) first,
/// then 200; it records when each GET came (simulated ms).
fn throttling(throttled: Vec<(u16, Option<u32>)>) -> (Sim, Rc<RefCell<Vec<u64>>>) {
    let times = Rc::new(RefCell::new(Vec::new()));
    let seen_times = times.clone();
    let mut throttled = throttled.into_iter();
    let sim = Sim::new(move |seen: &Seen| match &seen.method[..] {
        "PUT" => response(200, "tokenA", Some(21600)),
        _ => {
            seen_times.borrow_mut().push(seen.at);
            match throttled.next() {
                Some((status, retry_after)) => {
                    let retry_after = retry_after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
                    let reason = imds::reason_phrase(status);
                    Reply::Bytes(
                        format!(
                            "HTTP/1.1 {status} {reason}\r\n{retry_after}Content-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .into_bytes(),
                    )
                }
                None => response(200, "i-0123456789abcdef0", Some(21000)),
            }
        }
    });
    (sim, times)
}

fn gaps(times: &[u64]) -> Vec<u64> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn throttled_answers_are_retried_with_backoff() {
    for status in [429, 503] {
        let (sim, times) = throttling(vec![(status, None), (status, None)]);
        let mut client = new_client(config(|_| {}));
        let got = get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id");
        assert_eq!(got, Ok((200, b"i-0123456789abcdef0".to_vec())), "{status}");
        let gaps = gaps(&times.borrow());
        // Backoff from 100 ms, doubling, with equal jitter: [50, 100] then [100, 200].
        assert!((50..=100).contains(&gaps[0]) && (100..=200).contains(&gaps[1]), "{status}: {gaps:?}");
    }
}

#[test]
fn retry_after_is_waited_out_when_it_fits_the_deadline() {
    for status in [429, 503] {
        let (sim, times) = throttling(vec![(status, Some(2)), (status, Some(3))]);
        let mut client = new_client(config(|_| {}));
        let got = get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id");
        assert_eq!(got.map(|(s, _)| s), Ok(200), "{status}");
        assert_eq!(gaps(&times.borrow()).iter().map(|g| g / 1000).collect::<Vec<_>>(), [2, 3], "{status}");
    }
    // The longest backoff is shorter than Retry-After: Retry-After wins; a
    // Retry-After shorter than the backoff does not shorten it.
    let (sim, times) = throttling(vec![(429, Some(0))]);
    let mut client = new_client(config(|c| c.backoff_base = std::time::Duration::from_millis(400)));
    assert_eq!(get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id").map(|r| r.0), Ok(200));
    assert!((200..=400).contains(&gaps(&times.borrow())[0]), "{:?}", times.borrow());
}

#[test]
fn a_retry_after_past_the_deadline_fails_at_once_with_its_status() {
    // The operation timeout is 10 s (the default): Retry-After: 30 cannot fit.
    let (sim, times) = throttling(vec![(429, Some(30))]);
    let mut client = new_client(config(|_| {}));
    let started = sim.now.get();
    let got = get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id");
    assert_eq!(got, Err(imds::Error { phase: imds::Phase::Get, kind: imds::ErrorKind::Status(429), attempts: 1 }));
    assert_eq!(times.borrow().len(), 1);
    assert!(sim.now.get() - started < 1000, "no waiting for nothing");
    // Throttled on every attempt: the last status, after max_attempts.
    let (sim, times) = throttling(vec![(503, None); 10]);
    let mut client = new_client(config(|_| {}));
    let got = get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id");
    assert_eq!(got, Err(imds::Error { phase: imds::Phase::Get, kind: imds::ErrorKind::Status(503), attempts: 4 }));
    assert_eq!(times.borrow().len(), 4);
    // The client is usable after: the next GET goes through.
    let (sim, _) = throttling(vec![]);
    assert_eq!(get(&mut client, &sim, &mut sim.transport(), "/latest/meta-data/instance-id").map(|r| r.0), Ok(200));
}

/// The emulator's throttle (`Faults::throttle`) over TCP, waited out for real.
#[cfg(feature = "std")]
#[test]
fn the_emulator_throttles_on_request() {
    use imds::driver::{Clock, run};
    use imds::net::{SystemClock, TcpTransport};
    use imds_emulator::{Emulator, Faults, Options, Throttle};
    let throttle = Some(Throttle { status: 429, requests: 2, retry_after: Some(1) });
    let options = Options { faults: Faults { throttle, ..Faults::default() }, ..Options::default() };
    let emulator = Emulator::start(options).unwrap();
    let endpoint = imds::Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut client = imds::Client::new(imds::Config::with_endpoint(endpoint), 5);
    let (mut transport, mut clock) = (TcpTransport::new(), SystemClock::new());
    let (mut tx, mut rx) = ([0u8; imds::wire::MAX_REQUEST_LEN], vec![0u8; 8192]);
    let started = std::time::Instant::now();
    let mut operation = client.get(clock.now(), "/latest/meta-data/instance-id", imds::BodyMode::Contiguous);
    let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
    assert_eq!(answer.status, 200);
    // The token PUT and the GET were each throttled once, for a second each.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(emulator.requests(), 4);
}
