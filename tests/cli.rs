//! The `imds` command's contract (examples/imds.rs), run as a process against
//! the emulator. Nothing here reaches a real metadata service: every command
//! either uses `--emulator`, a loopback endpoint, or fails its usage check first.

#![cfg(feature = "std")]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use imds_emulator::{Emulator, Faults, Flood, Options};

fn imds(args: &[&str]) -> Output {
    // Cargo builds examples before integration tests: target/<profile>/examples/imds.
    let mut exe: PathBuf = std::env::current_exe().unwrap();
    exe.pop();
    if exe.ends_with("deps") {
        exe.pop();
    }
    let exe = exe.join("examples").join(format!("imds{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} not built", exe.display());
    Command::new(exe).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn get_prints_the_body_unchanged() {
    let out = imds(&["--emulator", "get", "/latest/meta-data/instance-id"]);
    assert_eq!((out.status.code(), &out.stdout[..]), (Some(0), &b"i-0a1b2c3d4e5f60718"[..]), "{}", stderr(&out));
    let out = imds(&["--emulator", "get", "/latest/user-data"]);
    assert!(out.stdout.starts_with(b"#!/bin/bash\n") && out.stdout.ends_with(b"provision.log\n"));
}

#[test]
fn walk_prints_one_json_object_of_every_leaf() {
    let out = imds(&["--emulator", "walk"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("{\n") && text.ends_with("}\n"));
    assert!(text.contains("\"/latest/meta-data/instance-id\": \"i-0a1b2c3d4e5f60718\""));
    assert!(text.contains("\"/latest/meta-data/public-keys/0/openssh-key\": \"ssh-ed25519 "));
    assert!(text.contains("\"/latest/meta-data/network/interfaces/macs/0e:1f:2a:3b:4c:5d/vpc-id\": \"vpc-0a1b2c3d\""));
    assert!(text.contains("\"/latest/meta-data/security-groups\": \"default\\nimds-emulator-sg\""));
    let leaves = text.lines().filter(|l| l.starts_with("  \"/latest/meta-data/")).count();
    assert_eq!(leaves, 45);
    let out = imds(&["--emulator", "walk", "/latest/dynamic/"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"/latest/dynamic/instance-identity/document\": \"{\\n  \\\"accountId\\\""), "{text}");
}

#[test]
fn failures_exit_1_with_one_line_naming_the_cause() {
    let out = imds(&["--emulator", "get", "/latest/meta-data/nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out), "imds: /latest/meta-data/nope: 404 Not Found\n");
    // Nothing listens on this loopback port: connection refused after every attempt.
    let out = imds(&["--endpoint", "http://127.0.0.1:9", "--attempts", "2", "get", "/latest/meta-data/ami-id"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(stderr(&out).contains("connection refused (after 2 attempts)"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2_before_anything_is_sent() {
    for args in [
        &["get", "/latest/meta-data/\r\nX-Forwarded-For: 1"][..],
        &["get", "latest/meta-data"],
        &["get", "/latest/../etc"],
        &["--ttl", "0", "get", "/latest/meta-data/"],
        &["--ttl", "21601", "get", "/latest/meta-data/"],
        &["--ttl", "many", "get", "/latest/meta-data/"],
        &["--endpoint", "http://imds.invalid/latest", "get", "/latest/meta-data/"],
        &["--endpoint", "http://user@host", "get", "/"],
        &["--endpoint", "ftp://host", "get", "/"],
        &["--v1-fallback", "sometimes", "get", "/"],
        &["--attempts", "0", "get", "/"],
        &["--timeout-ms", "-5", "get", "/"],
        &["--frobnicate", "get", "/"],
        &["get"],
        &["fetch", "/"],
        &[],
        &["--endpoint", "https://127.0.0.1:9", "get", "/latest/meta-data/ami-id"],
        &["--endpoint", "HTTPS://127.0.0.1:9", "walk"],
        &["--emulator", "--endpoint", "http://127.0.0.1:9", "get", "/latest/meta-data/ami-id"],
        &["--endpoint", "http://127.0.0.1:9", "--emulator", "endpoint"],
        &["--endpoint", "http://0x7f.1:9", "get", "/"],
        &["--max-nodes", "many", "walk"],
        &["--deadline-ms", "-1", "walk"],
    ] {
        let out = imds(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn endpoint_prints_the_resolved_url() {
    let cases: [(&[&str], &str); 5] = [
        (&["endpoint"], "http://169.254.169.254\n"),
        (&["--endpoint", "https://127.0.0.1:8443", "endpoint"], "https://127.0.0.1:8443\n"),
        (&["--ipv6", "endpoint"], "http://[fd00:ec2::254]\n"),
        (&["--endpoint", "http://127.0.0.1:1338/", "endpoint"], "http://127.0.0.1:1338\n"),
        (&["--endpoint", "HTTP://[::1]:80", "endpoint"], "http://[::1]\n"),
    ];
    for (args, url) in cases {
        let out = imds(args);
        assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).as_ref()), (Some(0), url));
    }
}

#[test]
fn options_reach_the_session() {
    let out = imds(&[
        "--emulator",
        "--ipv6",
        "--ttl",
        "60",
        "--v1-fallback",
        "timeout",
        "--attempts",
        "2",
        "--timeout-ms",
        "500",
        "--stats",
        "get",
        "/latest/meta-data/placement/region",
    ]);
    assert_eq!((out.status.code(), &out.stdout[..]), (Some(0), &b"eu-west-1"[..]), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("imds: 2 requests in "), "{}", stderr(&out));
}

#[test]
fn help_is_the_usage_on_stdout() {
    for flag in ["--help", "-h"] {
        let out = imds(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        let usage = String::from_utf8(out.stdout).unwrap();
        assert!(usage.starts_with("usage: imds") && usage.contains("--max-nodes"), "{usage}");
        assert!(out.stderr.is_empty());
    }
}

/// An emulator serving a hostile tree: `dirs` directories of `leaves` leaves.
fn flooded(dirs: u32, leaves: u32, leaf_bytes: usize, delay: Duration) -> Emulator {
    let flood = Some(Flood { dirs, leaves, leaf_bytes, gone: 1 });
    let faults = Faults { flood, delay, ..Faults::default() };
    Emulator::start(Options { faults, lifetime: Duration::from_secs(60), ..Options::default() }).unwrap()
}

#[test]
fn a_walk_of_a_hostile_tree_stops_at_its_bounds_with_one_line() {
    // 5,000 directories of 5,000 leaves: 25 million nodes.
    let emulator = flooded(5000, 5000, 10, Duration::ZERO);
    let url = emulator.url();
    let started = Instant::now();
    let out = imds(&["--endpoint", &url, "walk"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "imds: walk stopped at /latest/meta-data/: the tree has more than 4096 nodes (--max-nodes)\n"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(emulator.requests(), 2, "the token and the first listing");

    // 60 KB leaves: the byte bound, with the JSON streamed up to it and left open.
    let emulator = flooded(20, 20, 60_000, Duration::ZERO);
    let out = imds(&["--endpoint", &emulator.url(), "--max-bytes", "1000000", "walk"]);
    assert_eq!(out.status.code(), Some(1));
    let line = stderr(&out);
    assert!(line.ends_with("the bodies pass 1000000 bytes (--max-bytes)\n") && line.lines().count() == 1, "{line}");
    let json = String::from_utf8(out.stdout).unwrap();
    assert!(json.starts_with("{\n  \"/latest/meta-data/d0/l0\": \"xxx"), "{}", &json[..40]);
    assert_eq!(json.lines().count(), 1 + 16, "16 leaves of 60 KB streamed before the bound");
    assert!(json.lines().all(|l| !l.contains("null")), "no 404 reached");
    assert!(!json.ends_with("}\n"), "an unfinished walk is not a finished JSON object");

    // A slow server: the deadline.
    let emulator = flooded(3, 3, 10, Duration::from_millis(150));
    let started = Instant::now();
    let out = imds(&["--endpoint", &emulator.url(), "--deadline-ms", "500", "walk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with("it took longer than 500 ms (--deadline-ms)\n"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn walk_bounds_of_zero_and_a_missing_root_are_failures_that_say_so() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--max-nodes", "0", "walk"],
            "walk stopped at /latest/meta-data/: the tree has more than 0 nodes (--max-nodes)",
        ),
        (
            &["--deadline-ms", "0", "walk"],
            "walk stopped at /latest/meta-data/: it took longer than 0 ms (--deadline-ms)",
        ),
        (&["--max-bytes", "0", "walk"], "walk stopped at /latest/meta-data/: the bodies pass 0 bytes (--max-bytes)"),
        (&["walk", "/latest/meta-data/nope"], "/latest/meta-data/nope/: 404 Not Found"),
    ];
    for (args, line) in cases {
        let out = imds(&[&["--emulator"][..], args].concat());
        assert_eq!((out.status.code(), stderr(&out)), (Some(1), format!("imds: {line}\n")), "{args:?}");
    }
}

#[test]
fn a_listed_path_that_is_gone_is_null() {
    let emulator = flooded(1, 2, 3, Duration::ZERO);
    // d0/ lists l0, l1 and g0, which answers 404.
    let out = imds(&["--endpoint", &emulator.url(), "walk", "/latest/meta-data/d0/"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = "{\n  \"/latest/meta-data/d0/l0\": \"xxx\",\n  \"/latest/meta-data/d0/l1\": \"xxx\",\n  \
                    \"/latest/meta-data/d0/g0\": null\n}\n";
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}
