//! `imds::verify` on the emulator's signed identity document (made by openssl
//! with the test keys in emulator/identity) and on every way it can be wrong:
//! each is refused with its own error, and no input panics.

use base64ct::Encoding;
use imds::verify::{self, VerifyError, scratch_len};

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/emulator/identity/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn rsa2048(document: &[u8], body: &[u8], certificate: &[u8]) -> Result<(), VerifyError> {
    verify::rsa2048(document, body, certificate, &mut vec![0; scratch_len(body.len(), certificate.len())])
}

fn signature(document: &[u8], body: &[u8], certificate: &[u8]) -> Result<(), VerifyError> {
    verify::signature(document, body, certificate, &mut vec![0; scratch_len(body.len(), certificate.len())])
}

/// Base64 in 64-character lines, as IMDS serves it.
fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    let text = base64ct::Base64::encode_string(bytes).into_bytes();
    text.chunks(64).flat_map(|line| line.iter().copied().chain([b'\n'])).collect()
}

fn unbase64(text: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    base64ct::Base64::decode_vec(std::str::from_utf8(&clean).unwrap()).unwrap()
}

#[test]
fn the_emulators_signatures_verify_with_its_certificates_pem_or_der() {
    let document = file("document");
    for certificate in [file("test-rsa2048-cert.pem"), file("test-rsa2048-cert.der")] {
        assert_eq!(rsa2048(&document, &file("rsa2048"), &certificate), Ok(()));
    }
    for certificate in [file("test-rsa-cert.pem"), file("test-rsa-cert.der")] {
        assert_eq!(signature(&document, &file("signature"), &certificate), Ok(()));
    }
    // What IMDS serves may end with a newline, or have none, or CRLF lines.
    let body = file("rsa2048");
    let crlf: Vec<u8> = body.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
    let trimmed = body.trim_ascii_end();
    for body in [&crlf[..], trimmed] {
        assert_eq!(rsa2048(&document, body, &file("test-rsa2048-cert.pem")), Ok(()));
    }
}

#[test]
fn each_way_of_being_wrong_has_its_error() {
    let (document, body, certificate) = (file("document"), file("rsa2048"), file("test-rsa2048-cert.pem"));
    // One changed byte of the document.
    let mut changed = document.clone();
    changed[20] ^= 0x01;
    assert_eq!(rsa2048(&changed, &body, &certificate), Err(VerifyError::ContentMismatch));
    assert_eq!(signature(&changed, &file("signature"), &file("test-rsa-cert.pem")), Err(VerifyError::BadSignature));
    // One changed bit of the signature (the last bytes of the SignedData).
    let mut signed = unbase64(&body);
    let at = signed.len() - 20;
    signed[at] ^= 0x10;
    assert_eq!(rsa2048(&document, &base64_lines(&signed), &certificate), Err(VerifyError::BadSignature));
    let mut raw = unbase64(&file("signature"));
    raw[40] ^= 0x01;
    assert_eq!(signature(&document, &base64_lines(&raw), &file("test-rsa-cert.pem")), Err(VerifyError::BadSignature));
    // Another certificate: another signer (rsa2048), another key (signature).
    assert_eq!(rsa2048(&document, &body, &file("test-rsa-cert.pem")), Err(VerifyError::SignerMismatch));
    assert_eq!(
        signature(&document, &file("signature"), &file("test-rsa2048-cert.pem")),
        Err(VerifyError::BadSignature)
    );
    // Content that is not the document: a shorter or a longer one.
    assert_eq!(rsa2048(&document[..100], &body, &certificate), Err(VerifyError::ContentMismatch));
    let longer = [&document[..], b"\n"].concat();
    assert_eq!(rsa2048(&longer, &body, &certificate), Err(VerifyError::ContentMismatch));
    // Content changed inside the SignedData, and served the same way: only the
    // message digest tells.
    let mut signed = unbase64(&body);
    let content_at = signed.windows(11).position(|w| w == b"\"accountId\"").unwrap();
    signed[content_at + 1] = b'A';
    let mut served = document.clone();
    let document_at = served.windows(11).position(|w| w == b"\"accountId\"").unwrap();
    served[document_at + 1] = b'A';
    assert_eq!(rsa2048(&served, &base64_lines(&signed), &certificate), Err(VerifyError::DigestMismatch));
    // The legacy pkcs7 (SHA-1, DSA) is not taken for an rsa2048.
    assert_eq!(rsa2048(&document, &file("pkcs7"), &certificate), Err(VerifyError::UnexpectedOid));
    // A DSA certificate has no RSA key.
    assert_eq!(signature(&document, &file("signature"), &file("test-dsa-cert.pem")), Err(VerifyError::NotRsaKey));
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let (document, body, certificate) = (file("document"), file("rsa2048"), file("test-rsa2048-cert.pem"));
    assert_eq!(rsa2048(&document, b"MIAG*Cq", &certificate), Err(VerifyError::Base64));
    assert_eq!(rsa2048(&document, b"MIAGCSq", &certificate), Err(VerifyError::Base64), "bad padding");
    assert!(matches!(rsa2048(&document, &body[..600], &certificate), Err(VerifyError::Base64 | VerifyError::Der(_))));
    let truncated = base64_lines(&unbase64(&body)[..500]);
    assert!(matches!(rsa2048(&document, &truncated, &certificate), Err(VerifyError::Der(_))));
    assert_eq!(rsa2048(&document, &body, b"not a certificate"), Err(VerifyError::Pem));
    assert_eq!(
        rsa2048(&document, &body, b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
        Err(VerifyError::Pem)
    );
    assert!(matches!(rsa2048(&document, &body, &file("test-rsa2048-cert.der")[..300]), Err(VerifyError::Der(_))));
    // A scratch buffer too small says how big one must be.
    let needed = scratch_len(body.len(), certificate.len());
    let e = verify::rsa2048(&document, &body, &certificate, &mut [0; 100]).unwrap_err();
    assert_eq!(e, VerifyError::BufferTooSmall(imds::BufferTooSmall { required: needed }));
    assert!(verify::rsa2048(&document, &body, &certificate, &mut vec![0; needed]).is_ok());
    // A DER certificate needs no room of its own.
    let der = file("test-rsa2048-cert.der");
    assert!(verify::rsa2048(&document, &body, &der, &mut vec![0; scratch_len(body.len(), 0)]).is_ok());
}

/// Every one-byte change of the SignedData is refused, and none panics.
#[test]
fn every_byte_of_the_signed_data_matters() {
    let (document, certificate) = (file("document"), file("test-rsa2048-cert.der"));
    let signed = unbase64(&file("rsa2048"));
    let mut accepted = Vec::new();
    for at in 0..signed.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut changed = signed.clone();
            changed[at] ^= flip;
            if rsa2048(&document, &base64_lines(&changed), &certificate).is_ok() {
                accepted.push((at, flip));
            }
        }
    }
    // The signingTime's digits are inside the signed attributes, so they are
    // checked too; no byte is outside what is checked.
    assert!(accepted.is_empty(), "accepted changed bytes: {accepted:?}");
}

/// Nothing may be added where the SignedData has no room for it (found by the
/// verify fuzz target: an element after the SignedData inside its `[0]`), and
/// no length may take a longer form than it needs.
#[test]
fn nothing_added_and_no_long_lengths() {
    let (document, certificate) = (file("document"), file("test-rsa2048-cert.der"));
    let signed = unbase64(&file("rsa2048"));
    let n = signed.len();
    // The SignedData ends: signature, then the end-of-contents of the
    // SignedData, its [0] and the ContentInfo (all indefinite lengths).
    assert_eq!(&signed[n - 6..], &[0; 6]);
    let check = |bytes: &[u8]| rsa2048(&document, &base64_lines(bytes), &certificate);
    assert_eq!(check(&signed), Ok(()));
    let null = [0x05u8, 0x00];
    for at in [n - 6, n - 4, n - 2, n] {
        let added = [&signed[..at], &null, &signed[at..]].concat();
        assert!(matches!(check(&added), Err(VerifyError::Der(_))), "an element added at {at} of {n}");
    }
    // Unsigned attributes after the signature: the SignerInfo and its SET
    // (both with two-byte lengths) each grow by two.
    let set = (0..n)
        .find(|&i| {
            signed[i..i + 2] == [0x31, 0x82]
                && i + 4 + usize::from(u16::from_be_bytes([signed[i + 2], signed[i + 3]])) == n - 6
        })
        .unwrap();
    let mut unsigned = [&signed[..n - 6], &[0xa1, 0x00], &signed[n - 6..]].concat();
    for length_at in [set + 2, set + 6] {
        let length = u16::from_be_bytes([unsigned[length_at], unsigned[length_at + 1]]) + 2;
        unsigned[length_at..length_at + 2].copy_from_slice(&length.to_be_bytes());
    }
    assert!(matches!(check(&unsigned), Err(VerifyError::Der(_))), "unsigned attributes");
    // The version INTEGER 1 (just after the digest SET's start) with a long length.
    let version = (0..n).find(|&i| signed[i..i + 3] == [0x02, 0x01, 0x01]).unwrap();
    let long = [&signed[..version + 1], &[0x81], &signed[version + 1..]].concat();
    assert!(matches!(check(&long), Err(VerifyError::Der(_))), "a length in the long form");
}
