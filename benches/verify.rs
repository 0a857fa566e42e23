//! Verifications of the emulator's signed identity document (emulator/identity:
//! test keys, made by openssl as EC2 signs): the rsa2048 body (PKCS #7, an
//! RSA-2048 key) and the signature body (a 1,024-bit key), each with a DER
//! certificate. `benches/verify.sh` counts the instructions of each in one
//! callgrind run. Not timed.
//!
//!     cargo bench --bench verify --features verify -- 100

use std::hint::black_box;

const DOCUMENT: &[u8] = include_bytes!("../emulator/identity/document");
const RSA2048: &[u8] = include_bytes!("../emulator/identity/rsa2048");
const SIGNATURE: &[u8] = include_bytes!("../emulator/identity/signature");
const RSA2048_CERT: &[u8] = include_bytes!("../emulator/identity/test-rsa2048-cert.der");
const RSA_CERT: &[u8] = include_bytes!("../emulator/identity/test-rsa-cert.der");

#[inline(never)]
fn verify_rsa2048(scratch: &mut [u8]) -> usize {
    usize::from(imds::verify::rsa2048(black_box(DOCUMENT), RSA2048, RSA2048_CERT, scratch).is_ok())
}

#[inline(never)]
fn verify_signature(scratch: &mut [u8]) -> usize {
    usize::from(imds::verify::signature(black_box(DOCUMENT), SIGNATURE, RSA_CERT, scratch).is_ok())
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100);
    let mut scratch = vec![0u8; imds::verify::scratch_len(RSA2048.len(), 0)];
    let mut verified = 0;
    for _ in 0..n {
        verified += verify_rsa2048(&mut scratch) + verify_signature(&mut scratch);
    }
    assert_eq!(verified, 2 * n, "the emulator's signatures verify");
    println!("{n} of each: verified");
}
