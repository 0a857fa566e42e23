//! Replays every committed fuzz corpus file through the same checks the fuzz
//! targets run (`fuzz/src/lib.rs`), so the seeds and every past crash stay tested
//! on stable Rust without cargo-fuzz.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus for {target}");
    for file in files {
        let data = std::fs::read(&file).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            eprintln!("corpus file {} failed", file.display());
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn response_corpus() {
    replay("response", checks::response);
}

#[test]
fn chunked_corpus() {
    replay("chunked", checks::chunked);
}

#[test]
fn listing_corpus() {
    replay("listing", checks::listing);
}

#[test]
fn request_corpus() {
    replay("request", checks::request);
}

#[test]
fn session_corpus() {
    replay("session", checks::session);
}

#[test]
fn walk_corpus() {
    replay("walk", checks::walk);
}

#[test]
fn json_corpus() {
    replay("json", checks::json);
}

#[test]
fn documents_corpus() {
    replay("documents", checks::documents);
}

#[test]
fn timestamp_corpus() {
    replay("timestamp", checks::timestamp);
}

#[test]
fn sdk_config_corpus() {
    replay("sdk_config", checks::sdk_config);
}

#[cfg(feature = "verify")]
#[test]
fn verify_corpus() {
    replay("verify", checks::verify);
}
