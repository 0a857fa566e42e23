//! The emulator's command line: bad options exit 2 at once, binding nothing.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_port_out_of_range_is_refused_not_replaced() {
    for args in [&["--port", "70000"][..], &["--port", "-1"], &["--port", "http"], &["--frobnicate"]] {
        let started = Instant::now();
        let out =
            Command::new(env!("CARGO_BIN_EXE_imds-emulator")).args(args).args(["--lifetime", "2"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no URL printed");
        assert!(started.elapsed() < Duration::from_secs(2), "{args:?}: exited at once");
    }
}
