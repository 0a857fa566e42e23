//! The fault soak for the `imds` command: `walk`, `credentials` and
//! `identity`, run as processes through `imds_emulator::FaultProxy` (30% of
//! the connections broken, seeded) until at least 2,000 requests went
//! through. Exit 0 with the clean run's output is ok, exit 1 with one line is
//! failed loudly, and exit 0 with any other output is lost: lost must be 0.
//! `tests/fault_soak.rs` does the same for the drivers.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use imds_emulator::{Emulator, FaultProxy, NetworkFault, Options, ProxyOptions};

const REQUESTS: u64 = 2000;
const COMMANDS: [&[&str]; 3] = [&["walk"], &["credentials"], &["identity"]];

fn imds(endpoint: &str, command: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("imds-soak-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    Command::new(env!("CARGO_BIN_EXE_imds"))
        .env_clear()
        .env("HOME", &home)
        .args(["--endpoint", endpoint, "--timeout-ms", "250"])
        .args(command)
        .output()
        .unwrap()
}

#[test]
fn the_command_loses_nothing_through_faults() {
    let options = Options { lifetime: Duration::from_secs(150), max_requests: 1_000_000, ..Options::default() };
    let emulator = Emulator::start(options).unwrap();
    let clean = |command: &[&str]| {
        let out = imds(&emulator.url(), command);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let reference: Vec<Vec<u8>> = COMMANDS.iter().map(|c| clean(c)).collect();
    let proxy_options =
        ProxyOptions { percent: 30, seed: 0x5eed_0003, lifetime: Duration::from_secs(150), ..Default::default() };
    let proxy = FaultProxy::start(emulator.service().clone(), proxy_options).unwrap();
    let (started, mut ok, mut failed_loudly, mut lost) = (Instant::now(), 0, 0, 0);
    let mut runs = 0;
    while proxy.counts().connections < REQUESTS {
        let command = COMMANDS[runs % 3];
        let out = imds(&proxy.url(), command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            // The credentials roll over on the hour: a second clean read decides.
            Some(0) if out.stdout == reference[runs % 3] || out.stdout == clean(command) => ok += 1,
            Some(0) => {
                lost += 1;
                eprintln!("LOST: {command:?}: {}", String::from_utf8_lossy(&out.stdout));
            }
            Some(1) if stderr.lines().count() == 1 && stderr.starts_with("imds: ") => failed_loudly += 1,
            other => panic!("{command:?}: exit {other:?}: {stderr}"),
        }
        runs += 1;
    }
    let counts = proxy.counts();
    let kinds: Vec<String> =
        NetworkFault::ALL.iter().zip(counts.by_kind).map(|(kind, n)| format!("{kind:?} {n}")).collect();
    println!(
        "imds command: {ok} ok, {failed_loudly} failed loudly, {lost} lost; {runs} runs, {} requests, {} faulty ({}); {:.1} s",
        counts.connections,
        counts.faults(),
        kinds.join(", "),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(lost, 0);
    assert!(counts.faults() * 100 >= counts.connections * 25, "{counts:?}");
    assert!(ok > failed_loudly * 4, "the retries should carry most");
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
}
