//! `imds::verify` against the real openssl binary, both ways: what the
//! emulator serves verifies with `openssl smime -verify`, and what openssl
//! signs (keys and certificates made here, in a temporary folder) verifies
//! with imds, in every form openssl writes (smime and cms, streamed BER and
//! DER, documents from empty to several KiB, RSA keys of 1,024 to 4,096
//! bits). Without an openssl binary the tests say "skipped" and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use imds::verify::{self, VerifyError, scratch_len};

fn openssl() -> Option<()> {
    match Command::new("openssl").arg("version").output() {
        Ok(out) if out.status.success() => Some(()),
        _ => {
            eprintln!("skipped: no openssl binary (Debian's openssl package)");
            None
        }
    }
}

fn run(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn temp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("verify-openssl-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rsa2048(document: &[u8], body: &[u8], certificate: &[u8]) -> Result<(), VerifyError> {
    verify::rsa2048(document, body, certificate, &mut vec![0; scratch_len(body.len(), certificate.len())])
}

/// A key of `bits` and its self-signed certificate, in `dir`.
fn key(dir: &Path, name: &str, bits: u32) -> Vec<u8> {
    run(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            &format!("rsa:{bits}"),
            "-nodes",
            "-days",
            "2",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            &format!("/CN=imds test {name}"),
        ],
    );
    std::fs::read(dir.join(format!("{name}.pem"))).unwrap()
}

/// `openssl smime` or `cms` signing `dir/document` with the `rsa2048` key
/// (SHA-256, the content inside), written as PEM or DER, streamed (BER) or not.
fn sign(dir: &Path, tool: &str, outform: &str, streamed: bool) -> Vec<u8> {
    let mut args = vec![tool, "-sign", "-in", "document", "-signer", "rsa2048.pem", "-inkey", "rsa2048.key"];
    args.extend(["-md", "sha256", "-nodetach", "-binary", "-nosmimecap", "-outform", outform]);
    if streamed {
        args.push("-stream");
    }
    run(dir, &args)
}

/// The PEM body of openssl's output: what IMDS would serve.
fn body(pem: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(pem)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

#[test]
fn openssl_verifies_what_the_emulator_serves() {
    if openssl().is_none() {
        return;
    }
    let dir = temp("emulator");
    let identity = Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator/identity");
    let served = std::fs::read_to_string(identity.join("rsa2048")).unwrap();
    std::fs::write(dir.join("rsa2048.pem"), format!("-----BEGIN PKCS7-----\n{served}-----END PKCS7-----\n")).unwrap();
    let certificate = identity.join("test-rsa2048-cert.pem");
    let content = run(
        &dir,
        &[
            "smime",
            "-verify",
            "-in",
            "rsa2048.pem",
            "-inform",
            "PEM",
            "-certfile",
            certificate.to_str().unwrap(),
            "-noverify",
        ],
    );
    assert_eq!(content, std::fs::read(identity.join("document")).unwrap(), "openssl gives back the document");
}

#[test]
fn imds_verifies_what_openssl_signs() {
    if openssl().is_none() {
        return;
    }
    let dir = temp("signs");
    let certificate = key(&dir, "rsa2048", 2048);
    let other = key(&dir, "other", 2048);
    for (n, size) in [0usize, 1, 475, 1023, 1024, 1025, 5000].into_iter().enumerate() {
        let document: Vec<u8> = (0..size).map(|i| b"{\"region\" : \"eu-west-1\"}\n"[i % 24]).collect();
        std::fs::write(dir.join("document"), &document).unwrap();
        let sign = |tool: &str, streamed: bool| sign(&dir, tool, "PEM", streamed);
        // openssl cannot stream an empty document: the streamed forms from 1 byte.
        let mut signed = vec![sign("smime", false), sign("cms", false)];
        if size > 0 {
            signed.extend([sign("smime", true), sign("cms", true)]);
        }
        for (form, pem) in signed.iter().enumerate() {
            let served = body(pem);
            assert_eq!(rsa2048(&document, &served, &certificate), Ok(()), "document {n} ({size} bytes), form {form}");
            // The same four ways of being wrong as against the emulator.
            if size > 0 {
                let mut changed = document.clone();
                changed[size / 2] ^= 0x20;
                assert_eq!(rsa2048(&changed, &served, &certificate), Err(VerifyError::ContentMismatch));
            }
            assert_eq!(rsa2048(&document, &served, &other), Err(VerifyError::SignerMismatch));
            assert_eq!(rsa2048(b"another document", &served, &certificate), Err(VerifyError::ContentMismatch));
        }
    }
    // A flipped bit of openssl's signature.
    std::fs::write(dir.join("document"), b"{\"region\" : \"eu-west-1\"}").unwrap();
    let der = sign(&dir, "smime", "DER", false);
    let mut der = der;
    let last = der.len() - 3;
    der[last] ^= 0x04;
    std::fs::write(dir.join("changed.der"), &der).unwrap();
    let served = run(&dir, &["base64", "-in", "changed.der"]);
    assert_eq!(rsa2048(b"{\"region\" : \"eu-west-1\"}", &served, &certificate), Err(VerifyError::BadSignature));
}

#[test]
fn imds_verifies_openssl_signatures_of_every_key_size() {
    if openssl().is_none() {
        return;
    }
    let dir = temp("dgst");
    let document = b"{\n  \"accountId\" : \"123456789012\",\n  \"region\" : \"eu-west-1\"\n}";
    std::fs::write(dir.join("document"), document).unwrap();
    for bits in [1024, 2048, 3072, 4096] {
        let certificate = key(&dir, &format!("k{bits}"), bits);
        let signature = run(&dir, &["dgst", "-sha256", "-sign", &format!("k{bits}.key"), "document"]);
        std::fs::write(dir.join("signature"), &signature).unwrap();
        let served = run(&dir, &["base64", "-in", "signature"]);
        let mut scratch = vec![0; scratch_len(served.len(), certificate.len())];
        assert_eq!(verify::signature(document, &served, &certificate, &mut scratch), Ok(()), "{bits} bits");
        let mut changed = document.to_vec();
        changed[10] ^= 1;
        assert_eq!(verify::signature(&changed, &served, &certificate, &mut scratch), Err(VerifyError::BadSignature));
    }
    let certificate = key(&dir, "k512", 512);
    let signature = run(&dir, &["dgst", "-sha256", "-sign", "k512.key", "document"]);
    std::fs::write(dir.join("signature"), &signature).unwrap();
    let served = run(&dir, &["base64", "-in", "signature"]);
    let mut scratch = vec![0; scratch_len(served.len(), certificate.len())];
    assert_eq!(
        verify::signature(document, &served, &certificate, &mut scratch),
        Err(VerifyError::UnsupportedKeySize(512))
    );
}
