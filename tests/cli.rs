//! The `imds` command's contract (examples/imds.rs), run as a process against
//! the emulator. Nothing here reaches a real metadata service: every command
//! either uses `--emulator`, a loopback endpoint, or fails its usage check first.

#![cfg(feature = "std")]

use std::path::PathBuf;
use std::process::{Command, Output};

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
    ] {
        let out = imds(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn endpoint_prints_the_resolved_url() {
    let cases: [(&[&str], &str); 4] = [
        (&["endpoint"], "http://169.254.169.254\n"),
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
