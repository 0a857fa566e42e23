//! The `imds` command's contract, run as a process against the emulator.
//! Nothing here reaches a real metadata service: every command that sends uses
//! `--emulator` or a loopback `--endpoint` (an explicit endpoint beats every
//! other setting), or fails its usage check first; and every run gets an empty
//! environment and a `HOME` of its own, so no real `~/.aws/config` or
//! `AWS_EC2_METADATA_*` variable can reach it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use imds_emulator::{Emulator, Faults, Flood, Options};

/// A `HOME` of the test's own, without `.aws/`.
fn home() -> PathBuf {
    let home = std::env::temp_dir().join(format!("imds-cli-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    home
}

fn imds_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imds"));
    command.env_clear().env("HOME", home()).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn imds(args: &[&str]) -> Output {
    imds_with(args, &[])
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

/// `COMMAND --help` and `help COMMAND`: that command's usage, with the
/// general options and its own, not the other commands'.
#[test]
fn each_command_has_its_help() {
    for args in [&["credentials", "--help"][..], &["--help", "credentials"], &["help", "credentials"]] {
        let out = imds(args);
        let usage = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(usage.starts_with("usage: imds [OPTIONS] credentials\n\nthe IAM role's credentials"), "{usage}");
        assert!(usage.contains("--role NAME") && usage.contains("--redacted") && usage.contains("--endpoint URL"));
        assert!(!usage.contains("--max-nodes") && !usage.contains("--verify") && !usage.contains("--interval-ms"));
    }
    let usage = String::from_utf8(imds(&["walk", "-h"]).stdout).unwrap();
    assert!(usage.starts_with("usage: imds [OPTIONS] walk [ROOT]\n") && usage.contains("--max-nodes"), "{usage}");
    let usage = String::from_utf8(imds(&["watch", "--help"]).stdout).unwrap();
    assert!(usage.contains("--interval-ms N") && usage.contains("at least 1000") && !usage.contains("--role"));
    let usage = String::from_utf8(imds(&["help"]).stdout).unwrap();
    assert!(usage.starts_with("usage: imds [OPTIONS] <COMMAND>"), "{usage}");
}

/// An emulator serving a hostile tree: `dirs` directories of `leaves` leaves.
fn flooded(dirs: u32, leaves: u32, leaf_bytes: usize, delay: Duration) -> Emulator {
    let flood = Some(Flood { dirs, leaves, leaf_bytes, gone: 1 });
    emulator_with(Faults { flood, delay, ..Faults::default() })
}

fn emulator_with(faults: Faults) -> Emulator {
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

#[test]
fn version_and_help() {
    let out = imds(&["--version"]);
    assert_eq!(
        (out.status.code(), String::from_utf8(out.stdout).unwrap()),
        (Some(0), format!("imds {}\n", env!("CARGO_PKG_VERSION")))
    );
    let out = imds(&["-V"]);
    assert_eq!(out.status.code(), Some(0));
}

/// The credential_process object, parsed back with the crate's own JSON scanner.
fn credential_process(out: &Output) -> Vec<(String, String)> {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.ends_with("}\n") && text.lines().count() == 1, "{text}");
    let root = imds::parse::json::parse(text.trim_end().as_bytes()).unwrap().as_object().unwrap();
    root.members().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn credentials_in_the_credential_process_format() {
    let out = imds(&["--emulator", "credentials"]);
    let fields = credential_process(&out);
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"]);
    assert_eq!(fields[0].1, "1");
    assert_eq!(fields[2].1, "\"emulator/secret/not+a+real+one+0000000000\"");
    assert_eq!(fields[5].1, "\"123456789012\"");
    let expiration = imds::parse::Timestamp::parse_rfc3339(fields[4].1.trim_matches('"')).unwrap();
    assert!(
        expiration.unix_seconds()
            > std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    );

    let out = imds(&["--emulator", "credentials", "--redacted"]);
    let fields = credential_process(&out);
    assert_eq!((fields[2].1.as_str(), fields[3].1.as_str()), ("\"<redacted>\"", "\"<redacted>\""));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("emulator/secret"));

    // Without the extended API: no AccountId.
    let emulator = emulator_with(Faults { no_extended_api: true, ..Faults::default() });
    let fields = credential_process(&imds(&["--endpoint", &emulator.url(), "credentials"]));
    assert!(fields.iter().all(|(k, _)| k != "AccountId"), "{fields:?}");
    // A role given: no discovery.
    let fields =
        credential_process(&imds(&["--endpoint", &emulator.url(), "--role", "imds-emulator-role", "credentials"]));
    assert_eq!(fields[1].1, "\"ASIAEMULATOR0EXAMPLE\"");
}

#[test]
fn credentials_failures_say_why() {
    let emulator = emulator_with(Faults { no_role: true, ..Faults::default() });
    let out = imds(&["--endpoint", &emulator.url(), "credentials"]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(1), "imds: credentials: the instance has no IAM role (no role listed)\n".into())
    );
    emulator.set_faults(Faults { credentials_code: Some("AssumeRoleUnauthorizedAccess".into()), ..Faults::default() });
    let out = imds(&["--endpoint", &emulator.url(), "credentials"]);
    assert_eq!(stderr(&out), "imds: credentials: the service answered Code AssumeRoleUnauthorizedAccess\n");
    assert!(out.stdout.is_empty());
    emulator.set_faults(Faults { expired_credentials: true, ..Faults::default() });
    let out = imds(&["--endpoint", &emulator.url(), "credentials"]);
    assert_eq!(out.status.code(), Some(0), "served expired: kept a while");
    assert!(stderr(&out).starts_with("imds: warning: the service served expired credentials"), "{}", stderr(&out));
    assert_eq!(imds(&["--role", "no/such", "credentials"]).status.code(), Some(2));
}

#[test]
fn region_and_identity() {
    let out = imds(&["--emulator", "region"]);
    assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(0), &b"eu-west-1\n"[..]), "{}", stderr(&out));
    let emulator = emulator_with(Faults { no_placement_region: true, ..Faults::default() });
    let out = imds(&["--endpoint", &emulator.url(), "region"]);
    assert_eq!(out.stdout, b"eu-west-1\n", "from the identity document");

    let out = imds(&["--emulator", "identity"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("{\"accountId\":\"123456789012\",\"architecture\":\"arm64\""), "{text}");
    assert!(text.contains("\"kernelId\":null") && text.contains("\"billingProducts\":null"), "nulls kept: {text}");
}

#[test]
fn watch_prints_each_notice_once_and_stops_on_the_first_when_asked() {
    let faults = Faults { spot_notice: Some((Duration::from_millis(300), "terminate".into())), ..Faults::default() };
    let emulator = emulator_with(faults);
    let started = Instant::now();
    let out = imds(&["--endpoint", &emulator.url(), "watch", "--interval-ms", "1000", "--until-notice"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("{\"kind\":\"spot-interruption\",\"action\":\"terminate\",\"time\":\"20"), "{line}");
    assert!(line.ends_with("Z\"}\n") && line.lines().count() == 1, "{line}");
    assert!(started.elapsed() >= Duration::from_millis(300) && started.elapsed() < Duration::from_secs(20));

    let maintenance = r#"[{"Code":"system-reboot","NotBefore":"21 Jan 2027 09:00:43 GMT","EventId":"instance-event-1","State":"active"}]"#;
    let emulator = emulator_with(Faults { maintenance: Some(maintenance.into()), ..Faults::default() });
    let out = imds(&["--endpoint", &emulator.url(), "watch", "--until-notice"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"kind\":\"maintenance\",\"events\":[{\"code\":\"system-reboot\",\"event_id\":\"instance-event-1\",\"description\":null,\
         \"state\":\"active\",\"not_before\":\"2027-01-21T09:00:43Z\",\"not_after\":null,\"not_before_deadline\":null}]}\n"
    );
    // Nothing there at all: exit 1 once the first round is over, with one line.
    let out = imds(&["--endpoint", "http://127.0.0.1:9", "--attempts", "1", "watch"]);
    assert_eq!((out.status.code(), stderr(&out).lines().count()), (Some(1), 1), "{}", stderr(&out));
    // The round's first poll fails, the others answer: the watch goes on.
    let faults =
        Faults { errors_5xx: 1, spot_notice: Some((Duration::from_millis(500), "stop".into())), ..Faults::default() };
    let emulator = emulator_with(faults);
    let out = imds(&["--endpoint", &emulator.url(), "--attempts", "1", "watch", "--until-notice"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).ends_with("(polling on)\n"), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"action\":\"stop\""));
    // The shortest interval.
    let out = imds(&["--emulator", "watch", "--interval-ms", "999"]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(2), "imds: bad --interval-ms 999: at least 1000 (the SDKs poll every few seconds)\n".into())
    );
}

/// IMDSv1 disabled in the environment or the profile: `--v1-fallback
/// rejected|timeout` is a usage error naming both; `never` is fine.
#[test]
fn v1_disabled_wins_over_the_fallback_flag() {
    let config = home().join("config-v1");
    std::fs::write(&config, "[default]\nec2_metadata_v1_disabled = true\n").unwrap();
    let config = config.to_string_lossy().into_owned();
    for (env, setting) in [
        (("AWS_EC2_METADATA_V1_DISABLED", "true"), "AWS_EC2_METADATA_V1_DISABLED"),
        (("AWS_CONFIG_FILE", config.as_str()), "the profile's ec2_metadata_v1_disabled"),
    ] {
        for mode in ["rejected", "timeout"] {
            let out = imds_with(&["--emulator", "--v1-fallback", mode, "get", "/latest/meta-data/ami-id"], &[env]);
            assert_eq!(
                (out.status.code(), stderr(&out)),
                (
                    Some(2),
                    format!("imds: --v1-fallback {mode} would send IMDSv1 requests, which {setting} = true forbids\n")
                )
            );
        }
        let out = imds_with(&["--emulator", "--v1-fallback", "never", "get", "/latest/meta-data/ami-id"], &[env]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn the_endpoint_resolves_as_the_sdks_do() {
    let home = home();
    let config = home.join("config-for-endpoint-test");
    std::fs::write(&config, "[default]\nec2_metadata_service_endpoint_mode = IPv6\n[profile dev]\nec2_metadata_service_endpoint = http://127.0.0.1:1338\n").unwrap();
    let config = config.to_string_lossy().into_owned();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (&["endpoint"], &[], "http://169.254.169.254\n"),
        (&["--ipv6", "endpoint"], &[], "http://[fd00:ec2::254]\n"),
        (&["endpoint"], &[("AWS_CONFIG_FILE", &config)], "http://[fd00:ec2::254]\n"),
        (&["endpoint"], &[("AWS_CONFIG_FILE", &config), ("AWS_PROFILE", "dev")], "http://127.0.0.1:1338\n"),
        (&["endpoint"], &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6")], "http://[fd00:ec2::254]\n"),
        // An endpoint set in the environment beats --ipv6, the explicit mode.
        (
            &["--ipv6", "endpoint"],
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338")],
            "http://127.0.0.1:1338\n",
        ),
        (
            &["--endpoint", "http://127.0.0.1:9", "endpoint"],
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338")],
            "http://127.0.0.1:9\n",
        ),
        (
            &["endpoint"],
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "https://metadata.example")],
            "https://metadata.example\n",
        ),
    ];
    for (args, env, url) in cases {
        let out = imds_with(args, env);
        assert_eq!(
            (out.status.code(), String::from_utf8_lossy(&out.stdout).as_ref()),
            (Some(0), *url),
            "{args:?} {env:?}: {}",
            stderr(&out)
        );
    }
    for (env, reason) in [
        (
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv7"),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: not a valid endpoint mode",
        ),
        (
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "not a uri"),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT: invalid metadata endpoint",
        ),
        (("AWS_EC2_METADATA_V1_DISABLED", "maybe"), "AWS_EC2_METADATA_V1_DISABLED: not true or false"),
    ] {
        let out = imds_with(&["endpoint"], &[env]);
        assert_eq!(out.status.code(), Some(2), "{env:?}");
        assert!(stderr(&out).starts_with(&format!("imds: {reason}")), "{}", stderr(&out));
    }
    // Sending commands refuse https (no TLS), before sending; and a disabled service.
    let out = imds_with(
        &["get", "/latest/meta-data/ami-id"],
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "https://127.0.0.1:9")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = imds_with(&["--emulator", "get", "/latest/meta-data/ami-id"], &[("AWS_EC2_METADATA_DISABLED", "TRUE")]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(1), "imds: the metadata service is disabled (AWS_EC2_METADATA_DISABLED=true)\n".into())
    );
    let out = imds_with(&["--emulator", "get", "/latest/meta-data/ami-id"], &[("AWS_EC2_METADATA_DISABLED", "no")]);
    assert_eq!(out.status.code(), Some(0), "only true disables, as in the SDKs");
    // A config file the SDKs refuse is refused, naming the file and the line.
    let bad = home.join("config-malformed");
    std::fs::write(&bad, "[default]\nec2_metadata_v1_disabled = true\n[profile x\n").unwrap();
    let out = imds_with(&["endpoint"], &[("AWS_CONFIG_FILE", &bad.to_string_lossy())]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(2), format!("imds: {}: line 3: profile definition must end with ']'\n", bad.display()))
    );
    let out = imds_with(&["endpoint"], &[("AWS_CONFIG_FILE", "/dev/zero")]);
    assert_eq!((out.status.code(), stderr(&out)), (Some(2), "imds: /dev/zero: not a regular file\n".into()));
}

/// The role: `--role` beats `AWS_EC2_INSTANCE_PROFILE_NAME` beats the
/// profile's `ec2_instance_profile_name`; an empty one is a usage error.
#[test]
fn the_role_setting_as_the_sdks_read_it() {
    let emulator = emulator_with(Faults::default());
    let url = emulator.url();
    let config = home().join("config-role");
    std::fs::write(&config, "[default]\nec2_instance_profile_name = role-from-file\n").unwrap();
    let config = config.to_string_lossy().into_owned();
    let asked = |args: &[&str], env: &[(&str, &str)]| {
        let before = emulator.paths().len();
        let out = imds_with(&[&["--endpoint", url.as_str()], args, &["credentials"]].concat(), env);
        let paths = emulator.paths()[before..].to_vec();
        let role = paths.iter().find_map(|p| p.rsplit_once("security-credentials").map(|(_, r)| r.to_owned()));
        (out.status.code(), role)
    };
    let env_role = ("AWS_EC2_INSTANCE_PROFILE_NAME", "imds-emulator-role");
    let file = ("AWS_CONFIG_FILE", config.as_str());
    assert_eq!(asked(&[], &[env_role, file]), (Some(0), Some("-extended/imds-emulator-role".into())));
    assert_eq!(asked(&[], &[file]).1, Some("-extended/role-from-file".into()), "the profile's role, not a listing");
    assert_eq!(asked(&["--role", "imds-emulator-role"], &[file]).0, Some(0), "the flag first");
    let out = imds_with(&["--endpoint", &url, "credentials"], &[("AWS_EC2_INSTANCE_PROFILE_NAME", "")]);
    assert_eq!((out.status.code(), stderr(&out)), (Some(2), "imds: AWS_EC2_INSTANCE_PROFILE_NAME: empty\n".into()));
}

/// `imds identity --verify CERT`: the document only once its rsa2048 (and,
/// with `--verify-signature`, its signature) verifies; the four ways of being
/// wrong each exit 1 with nothing on stdout and one line naming the failure;
/// a certificate that cannot be used is a usage error (exit 2), before
/// anything is sent.
#[test]
fn identity_verified_or_nothing() {
    let identity = concat!(env!("CARGO_MANIFEST_DIR"), "/../emulator/identity/");
    let cert = |name: &str| format!("{identity}{name}");
    let rsa2048_cert = cert("test-rsa2048-cert.pem");
    let out = imds(&["--emulator", "identity", "--verify", &rsa2048_cert]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.starts_with(b"{\"accountId\":\"123456789012\""));
    let out =
        imds(&["--emulator", "identity", "--verify-signature", &cert("test-rsa-cert.der"), "--verify", &rsa2048_cert]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let document = imds_emulator::IDENTITY_DOCUMENT;
    let rsa2048 = std::fs::read_to_string(cert("rsa2048")).unwrap();
    // One changed byte of the document.
    let changed_document = document.replacen("123456789012", "123456789013", 1);
    // One changed bit of the signature: a base64 character near the end
    // (in the RSA signature) changed to its neighbour.
    let at = rsa2048.trim_end().len() - 30;
    let mut changed_signature = rsa2048.clone().into_bytes();
    changed_signature[at] = if changed_signature[at] == b'A' { b'B' } else { b'A' };
    let changed_signature = String::from_utf8(changed_signature).unwrap();
    // Content that is not the document: another document's rsa2048 (the
    // emulator's own, served for a document with an extra field).
    let other_document = document.replacen("{\n", "{\n  \"extra\" : null,\n", 1);
    /// What is served differently (a path and its body), with which
    /// certificate, and the failure it must give.
    struct Case<'a> {
        what: &'a str,
        served: Option<(&'a str, String)>,
        certificate: &'a str,
        failure: &'a str,
    }
    const DOCUMENT: &str = "/latest/dynamic/instance-identity/document";
    let content_mismatch = "the signed content is not the document";
    let cases = [
        Case {
            what: "a changed document",
            served: Some((DOCUMENT, changed_document)),
            certificate: &rsa2048_cert,
            failure: content_mismatch,
        },
        Case {
            what: "a changed signature",
            served: Some(("/latest/dynamic/instance-identity/rsa2048", changed_signature)),
            certificate: &rsa2048_cert,
            failure: "the signature does not verify",
        },
        Case {
            what: "another certificate",
            served: None,
            certificate: &cert("test-rsa-cert.pem"),
            failure: "signed by another certificate",
        },
        Case {
            what: "content not the document",
            served: Some((DOCUMENT, other_document)),
            certificate: &rsa2048_cert,
            failure: content_mismatch,
        },
    ];
    for Case { what, served, certificate, failure } in cases {
        let bodies = served.into_iter().map(|(p, b)| (p.to_owned(), b)).collect();
        let emulator =
            Emulator::start(Options { faults: Faults { bodies, ..Faults::default() }, ..Options::default() }).unwrap();
        let out = imds(&["--endpoint", &emulator.url(), "identity", "--verify", certificate]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{what}: printed {:?}", String::from_utf8_lossy(&out.stdout));
        let line = stderr(&out);
        assert!(line.lines().count() == 1 && line.contains(failure), "{what}: {line}");
    }
    // Usage errors: no file, an unreadable one, not a certificate, the wrong command.
    for args in [
        &["--emulator", "identity", "--verify", "/nonexistent/cert.pem"][..],
        &["--emulator", "identity", "--verify", identity],
        &["--emulator", "identity", "--verify", &cert("document")],
        &["--emulator", "identity", "--verify", &cert("test-dsa-cert.pem")],
        &["--emulator", "region", "--verify", &rsa2048_cert],
        &["--emulator", "identity", "--verify"],
    ] {
        let out = imds(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}
