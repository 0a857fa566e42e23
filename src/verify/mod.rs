//! Verifying the instance identity document's AWS signature (feature
//! `verify`), with no heap: the document as fetched, a signature body as IMDS
//! serves it, and the certificate of the instance's Region (PEM or DER), which
//! you bring. AWS publishes the certificates per Region in the EC2 User Guide
//! ("AWS public certificates for instance identity document signatures");
//! they are self-signed and valid for decades.
//!
//! - [`rsa2048`]: `/latest/dynamic/instance-identity/rsa2048`, a base64
//!   PKCS #7 SignedData (BER, as EC2 writes it) with the document inside,
//!   checked with the Region's **RSA-2048** certificate.
//! - [`signature`]: `/latest/dynamic/instance-identity/signature`, a base64
//!   RSA PKCS #1 v1.5 signature of the document's SHA-256, checked with the
//!   Region's **RSA** certificate (a key of 1,024 to 4,096 bits).
//! - `/latest/dynamic/instance-identity/pkcs7` (SHA-1 with DSA) is legacy and
//!   not verified here: use `rsa2048`.
//!
//! What is checked is that AWS's key signed this document. What is not: the
//! certificate itself (it is self-signed; there is no chain to build), its
//! validity dates, or that it is the right Region's: you pick the certificate.
//!
//! The base64 bodies (and a PEM certificate) are decoded into `scratch`, a
//! buffer of yours of at least [`scratch_len`] bytes (their lengths, about
//! 2.7 KiB for EC2's rsa2048 and a PEM certificate): nothing large goes on
//! the stack.
//!
//! ```
//! # fn main() -> Result<(), imds::verify::VerifyError> {
//! # let document = &include_bytes!("../../emulator/identity/document")[..];
//! # let rsa2048 = &include_bytes!("../../emulator/identity/rsa2048")[..];
//! // `document` and `rsa2048`: the two bodies as fetched. The certificate: the
//! // Region's RSA-2048 one from the EC2 User Guide (here the emulator's test one).
//! let certificate = include_bytes!("../../emulator/identity/test-rsa2048-cert.pem");
//! let mut scratch = [0u8; 4096];
//! imds::verify::rsa2048(document, rsa2048, certificate, &mut scratch)?;
//! // Only now is anything in `document` to be believed.
//! # Ok(()) }
//! ```

mod ber;
mod rsa;

use core::fmt;

use base64ct::Encoding;
use sha2::{Digest, Sha256};

use self::ber::{Element, Elements, Malformed, tag};
use self::rsa::PublicKey;
use crate::buffer::BufferTooSmall;

/// Why a document is not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum VerifyError {
    /// A signature body that is not base64 (a byte outside the alphabet, or
    /// bad padding; line breaks and spaces are fine).
    Base64,
    /// A certificate that is neither DER nor PEM (`-----BEGIN CERTIFICATE-----`).
    Pem,
    /// Not well-formed DER (a certificate) or BER (the SignedData), at this
    /// byte of the decoded bytes.
    Der(usize),
    /// An object identifier other than the one expected: a content type other
    /// than signedData and data, a digest other than SHA-256, a signature
    /// algorithm other than RSA.
    UnexpectedOid,
    /// The certificate's key is not an RSA key, or not a usable one (an even
    /// modulus, an exponent of more than 32 bits).
    NotRsaKey,
    /// An RSA key of this many bits, which this check does not take (1,024 to
    /// 2,048 for [`rsa2048`], to 4,096 for [`signature`]).
    UnsupportedKeySize(u32),
    /// The SignedData's signer (issuer and serial number) is not the
    /// certificate: another certificate, likely another Region's.
    SignerMismatch,
    /// The signed content is not the document, byte for byte.
    ContentMismatch,
    /// The signed attributes' messageDigest is not the SHA-256 of the content.
    DigestMismatch,
    /// The RSA signature does not verify with the certificate's key.
    BadSignature,
    /// `scratch` is too small: [`scratch_len`] gives what it needs.
    BufferTooSmall(BufferTooSmall),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Base64 => f.write_str("the signature is not base64"),
            VerifyError::Pem => f.write_str("the certificate is neither DER nor PEM"),
            VerifyError::Der(at) => write!(f, "malformed DER or BER at byte {at}"),
            VerifyError::UnexpectedOid => f.write_str("an unexpected algorithm or content type"),
            VerifyError::NotRsaKey => f.write_str("the certificate has no usable RSA key"),
            VerifyError::UnsupportedKeySize(bits) => write!(f, "an RSA key of {bits} bits is not supported here"),
            VerifyError::SignerMismatch => f.write_str("signed by another certificate (another Region's?)"),
            VerifyError::ContentMismatch => f.write_str("the signed content is not the document"),
            VerifyError::DigestMismatch => f.write_str("the message digest does not match the content"),
            VerifyError::BadSignature => f.write_str("the signature does not verify"),
            VerifyError::BufferTooSmall(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for VerifyError {}

impl From<Malformed> for VerifyError {
    fn from(Malformed(at): Malformed) -> Self {
        VerifyError::Der(at)
    }
}

/// Object identifiers, DER-encoded (the content of an OBJECT IDENTIFIER).
mod oid {
    /// 1.2.840.113549.1.7.2, PKCS #7 signedData.
    pub(super) const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    /// 1.2.840.113549.1.7.1, PKCS #7 data.
    pub(super) const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    /// 2.16.840.1.101.3.4.2.1, SHA-256.
    pub(super) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// 1.2.840.113549.1.1.1, rsaEncryption.
    pub(super) const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// 1.2.840.113549.1.1.11, sha256WithRSAEncryption.
    pub(super) const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    /// 1.2.840.113549.1.9.3, contentType (a signed attribute).
    pub(super) const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
    /// 1.2.840.113549.1.9.4, messageDigest (a signed attribute).
    pub(super) const MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
}

/// Bytes of `scratch` the checks need for a signature body of `body_len`
/// bytes and a certificate of `certificate_len` (a PEM one is decoded there
/// too; give 0 for a DER one): the two texts, which are decoded where they
/// are put (about 2.7 KiB for EC2's rsa2048 and a PEM certificate, 1.5 KiB
/// with a DER one).
pub const fn scratch_len(body_len: usize, certificate_len: usize) -> usize {
    body_len.saturating_add(certificate_len)
}

/// The size in bits of `certificate`'s RSA key (PEM or DER; a PEM one is
/// decoded into `scratch`, of at least [`scratch_len`]`(0, certificate.len())`
/// bytes): to check a certificate once, before any document comes, that
/// [`rsa2048`] (1,024 to 2,048 bits) or [`signature`] (to 4,096) can use.
pub fn key_bits(certificate: &[u8], scratch: &mut [u8]) -> Result<u32, VerifyError> {
    let required = scratch_len(0, if is_der(certificate) { 0 } else { certificate.len() });
    let der = certificate_der(certificate, scratch).map_err(|e| too_small(e, required))?;
    Ok(Certificate::parse(der)?.key.bits())
}

/// Verifies `document`, as fetched, with its `rsa2048` body, as served (base64
/// of a PKCS #7 SignedData), and the Region's RSA-2048 `certificate` (PEM or
/// DER). Ok only if all of these hold:
///
/// - the SignedData is well formed (BER), of content type data;
/// - its digest is SHA-256 and its signature RSA (PKCS #1 v1.5);
/// - its signer's issuer and serial number are the certificate's;
/// - the content it holds is `document`, byte for byte;
/// - its messageDigest attribute is the SHA-256 of that content;
/// - the RSA signature of its signed attributes verifies with the
///   certificate's key (1,024 to 2,048 bits).
pub fn rsa2048(document: &[u8], rsa2048: &[u8], certificate: &[u8], scratch: &mut [u8]) -> Result<(), VerifyError> {
    let required = scratch_len(rsa2048.len(), if is_der(certificate) { 0 } else { certificate.len() });
    let (body, rest) = decode_base64(rsa2048, scratch).map_err(|e| too_small(e, required))?;
    let certificate = Certificate::parse(certificate_der(certificate, rest).map_err(|e| too_small(e, required))?)?;
    let signed = SignedData::parse(body)?;
    // The signer: this certificate (issuer and serial number, as encoded).
    if !same(signed.issuer, certificate.issuer) || !same(signed.serial, certificate.serial) {
        return Err(VerifyError::SignerMismatch);
    }
    // The content: the document, byte for byte, and what the digest is of.
    let mut rest_of_document = document;
    let mut content = Sha256::new();
    let matches = ber::octet_pieces(signed.content, |piece| {
        content.update(piece);
        match rest_of_document.split_at_checked(piece.len()) {
            Some((head, tail)) if same(head, piece) => {
                rest_of_document = tail;
                true
            }
            _ => false,
        }
    })?;
    if !matches || !rest_of_document.is_empty() {
        return Err(VerifyError::ContentMismatch);
    }
    if !same(&content.finalize(), signed.message_digest) {
        return Err(VerifyError::DigestMismatch);
    }
    // The signature: of the signed attributes' DER as a SET (RFC 5652, 5.4).
    let mut attributes = Sha256::new();
    attributes.update([tag::SET]);
    attributes.update(signed.attributes.encoded.get(1..).unwrap_or_default());
    let key = certificate.key;
    match key.bits() {
        1024..=2048 => {
            rsa::verify::<{ crypto_bigint::U2048::LIMBS }>(key, signed.signature, &attributes.finalize().into())
        }
        bits => Err(VerifyError::UnsupportedKeySize(bits)),
    }
}

/// Verifies `document`, as fetched, with its `signature` body, as served
/// (base64 of an RSA PKCS #1 v1.5 signature of the document's SHA-256), and
/// the Region's RSA `certificate` (PEM or DER; a key of 1,024 to 4,096 bits).
pub fn signature(document: &[u8], signature: &[u8], certificate: &[u8], scratch: &mut [u8]) -> Result<(), VerifyError> {
    let required = scratch_len(signature.len(), if is_der(certificate) { 0 } else { certificate.len() });
    let (signature, rest) = decode_base64(signature, scratch).map_err(|e| too_small(e, required))?;
    let certificate = Certificate::parse(certificate_der(certificate, rest).map_err(|e| too_small(e, required))?)?;
    let digest: [u8; 32] = Sha256::digest(document).into();
    let key = certificate.key;
    match key.bits() {
        1024..=2048 => rsa::verify::<{ crypto_bigint::U2048::LIMBS }>(key, signature, &digest),
        2049..=4096 => rsa::verify::<{ crypto_bigint::U4096::LIMBS }>(key, signature, &digest),
        bits => Err(VerifyError::UnsupportedKeySize(bits)),
    }
}

/// A scratch buffer too small, told with the size that suffices.
fn too_small(e: VerifyError, required: usize) -> VerifyError {
    match e {
        VerifyError::BufferTooSmall(_) => VerifyError::BufferTooSmall(BufferTooSmall { required }),
        other => other,
    }
}

/// `a == b`, a byte at a time (no `memcmp`).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A DER certificate starts with a SEQUENCE; a PEM one with text.
fn is_der(certificate: &[u8]) -> bool {
    certificate.first() == Some(&tag::SEQUENCE)
}

/// Decodes base64 `text` (line breaks and spaces skipped) into the front of
/// `scratch` (base64ct, strict: the alphabet and its padding only); the
/// bytes, and the rest of `scratch`.
fn decode_base64<'s>(text: &[u8], scratch: &'s mut [u8]) -> Result<(&'s [u8], &'s mut [u8]), VerifyError> {
    let full = VerifyError::BufferTooSmall(BufferTooSmall { required: text.len() });
    // The characters without the white space, then decoded where they are.
    let mut len = 0;
    for &byte in text.iter().filter(|b| !b.is_ascii_whitespace()) {
        *scratch.get_mut(len).ok_or(full)? = byte;
        len += 1;
    }
    let (encoded, rest) = scratch.split_at_mut_checked(len).ok_or(full)?;
    let decoded = base64ct::Base64::decode_in_place(encoded).map_err(|_| VerifyError::Base64)?;
    Ok((decoded, rest))
}

/// The DER of `certificate`: itself, or its PEM body decoded into `scratch`.
fn certificate_der<'c>(certificate: &'c [u8], scratch: &'c mut [u8]) -> Result<&'c [u8], VerifyError> {
    if is_der(certificate) {
        return Ok(certificate);
    }
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let find = |text: &[u8], what: &[u8]| text.windows(what.len()).position(|w| same(w, what));
    let start = find(certificate, BEGIN).ok_or(VerifyError::Pem)? + BEGIN.len();
    let body = certificate.get(start..).unwrap_or_default();
    let end = find(body, END).ok_or(VerifyError::Pem)?;
    let (der, _) = decode_base64(body.get(..end).unwrap_or_default(), scratch).map_err(|e| match e {
        VerifyError::Base64 => VerifyError::Pem,
        other => other,
    })?;
    Ok(der)
}

/// What verification reads of an X.509 certificate (RFC 5280): its issuer and
/// serial number, as encoded, and its RSA key.
struct Certificate<'a> {
    issuer: &'a [u8],
    serial: &'a [u8],
    key: PublicKey<'a>,
}

impl<'a> Certificate<'a> {
    fn parse(der: &'a [u8]) -> Result<Certificate<'a>, VerifyError> {
        let mut top = Elements::new(der, true);
        let certificate = top.expect(tag::SEQUENCE)?;
        top.end()?;
        let mut tbs = certificate.children(true).expect(tag::SEQUENCE)?.children(true);
        tbs.optional(tag::CONTEXT_0)?; // version
        let serial = tbs.expect(tag::INTEGER)?.content;
        tbs.expect(tag::SEQUENCE)?; // signature algorithm
        let issuer = tbs.expect(tag::SEQUENCE)?.encoded;
        tbs.expect(tag::SEQUENCE)?; // validity
        tbs.expect(tag::SEQUENCE)?; // subject
        let mut spki = tbs.expect(tag::SEQUENCE)?.children(true);
        let mut algorithm = spki.expect(tag::SEQUENCE)?.children(true);
        if !same(algorithm.expect(tag::OID)?.content, oid::RSA) {
            return Err(VerifyError::NotRsaKey);
        }
        // BIT STRING: no unused bits, then RSAPublicKey (RFC 8017, A.1.1).
        let bits = spki.expect(tag::BIT_STRING)?;
        let (&unused, rsa_key) = bits.content.split_first().ok_or(VerifyError::Der(bits.at))?;
        if unused != 0 {
            return Err(VerifyError::Der(bits.at));
        }
        let mut rsa_key = Elements::within(rsa_key, bits.at + 1, true);
        let mut numbers = rsa_key.expect(tag::SEQUENCE)?.children(true);
        rsa_key.end()?;
        let modulus = magnitude(numbers.expect(tag::INTEGER)?)?;
        let exponent = magnitude(numbers.expect(tag::INTEGER)?)?;
        numbers.end()?;
        if modulus.last().is_none_or(|b| b & 1 == 0) || exponent.is_empty() || exponent.len() > 4 {
            return Err(VerifyError::NotRsaKey);
        }
        Ok(Certificate { issuer, serial, key: PublicKey { modulus, exponent } })
    }
}

/// A positive INTEGER's magnitude (its sign byte of zero taken off).
fn magnitude(integer: Element<'_>) -> Result<&[u8], VerifyError> {
    match integer.content {
        [first, ..] if first & 0x80 != 0 => Err(VerifyError::NotRsaKey),
        [0, rest @ ..] => Ok(rest),
        content => Ok(content),
    }
}

/// What verification reads of a PKCS #7 SignedData (RFC 2315, RFC 5652) of
/// one signer.
struct SignedData<'a> {
    /// The encapsulated content: an OCTET STRING, maybe in pieces.
    content: Element<'a>,
    issuer: &'a [u8],
    serial: &'a [u8],
    /// `[0] IMPLICIT SET OF Attribute`, as encoded.
    attributes: Element<'a>,
    message_digest: &'a [u8],
    signature: &'a [u8],
}

impl<'a> SignedData<'a> {
    fn parse(bytes: &'a [u8]) -> Result<SignedData<'a>, VerifyError> {
        let mut top = Elements::new(bytes, false);
        let content_info = top.expect(tag::SEQUENCE)?;
        top.end()?;
        let mut content_info = content_info.children(false);
        expect_oid(&mut content_info, oid::SIGNED_DATA)?;
        let mut explicit = content_info.expect(tag::CONTEXT_0)?.children(false);
        content_info.end()?;
        let mut signed = explicit.expect(tag::SEQUENCE)?.children(false);
        explicit.end()?;
        version_1(&mut signed)?;
        let mut digests = signed.expect(tag::SET)?.children(false);
        sha256_algorithm(&mut digests)?;
        digests.end()?;
        let mut encapsulated = signed.expect(tag::SEQUENCE)?.children(false);
        expect_oid(&mut encapsulated, oid::DATA)?;
        let mut explicit = encapsulated.expect(tag::CONTEXT_0)?.children(false);
        encapsulated.end()?;
        let content = explicit.next()?.ok_or(VerifyError::ContentMismatch)?;
        explicit.end()?;
        signed.optional(tag::CONTEXT_0)?; // certificates
        signed.optional(tag::CONTEXT_1)?; // CRLs
        let mut signers = signed.expect(tag::SET)?.children(false);
        let mut signer = signers.expect(tag::SEQUENCE)?.children(false);
        signers.end()?;
        signed.end()?;
        version_1(&mut signer)?; // a signer named by issuer and serial number
        let mut id = signer.expect(tag::SEQUENCE)?.children(false);
        let issuer = id.expect(tag::SEQUENCE)?.encoded;
        let serial = id.expect(tag::INTEGER)?.content;
        id.end()?;
        sha256_algorithm(&mut signer)?;
        let attributes = signer.expect(tag::CONTEXT_0)?;
        let mut signature_algorithm = signer.expect(tag::SEQUENCE)?.children(false);
        let algorithm = signature_algorithm.expect(tag::OID)?.content;
        if !same(algorithm, oid::RSA) && !same(algorithm, oid::SHA256_RSA) {
            return Err(VerifyError::UnexpectedOid);
        }
        signature_algorithm.optional(tag::NULL)?;
        signature_algorithm.end()?;
        let signature = signer.expect(tag::OCTET_STRING)?.content;
        signer.end()?; // no unsigned attributes
        // The signed attributes: DER (they are what is signed), a content
        // type of data, one message digest.
        let mut message_digest = None;
        let mut der = Elements::new(attributes.encoded, true);
        let mut list = der.expect(tag::CONTEXT_0)?.children(true);
        while let Some(attribute) = list.next()? {
            let mut attribute = attribute.children(true);
            let kind = attribute.expect(tag::OID)?.content;
            let mut values = attribute.expect(tag::SET)?.children(true);
            attribute.end()?;
            // Each of these two has one value (RFC 5652, 11.1 and 11.2).
            if same(kind, oid::MESSAGE_DIGEST) {
                let digest = values.expect(tag::OCTET_STRING)?.content;
                values.end()?;
                if message_digest.replace(digest).is_some() {
                    return Err(VerifyError::DigestMismatch);
                }
            } else if same(kind, oid::CONTENT_TYPE) {
                let content_type = values.expect(tag::OID)?.content;
                values.end()?;
                if !same(content_type, oid::DATA) {
                    return Err(VerifyError::UnexpectedOid);
                }
            }
        }
        let message_digest = message_digest.ok_or(VerifyError::DigestMismatch)?;
        Ok(SignedData { content, issuer, serial, attributes, message_digest, signature })
    }
}

/// The next element: the INTEGER 1 (PKCS #7's version of SignedData and of a
/// SignerInfo named by issuer and serial number).
fn version_1(elements: &mut Elements<'_>) -> Result<(), VerifyError> {
    let version = elements.expect(tag::INTEGER)?;
    match version.content {
        [1] => Ok(()),
        _ => Err(VerifyError::Der(version.at)),
    }
}

/// The next element: an OBJECT IDENTIFIER, `expected`.
fn expect_oid(elements: &mut Elements<'_>, expected: &[u8]) -> Result<(), VerifyError> {
    match same(elements.expect(tag::OID)?.content, expected) {
        true => Ok(()),
        false => Err(VerifyError::UnexpectedOid),
    }
}

/// The next element: the AlgorithmIdentifier of SHA-256 (its parameters
/// absent or NULL).
fn sha256_algorithm(elements: &mut Elements<'_>) -> Result<(), VerifyError> {
    let mut algorithm = elements.expect(tag::SEQUENCE)?.children(false);
    expect_oid(&mut algorithm, oid::SHA256)?;
    algorithm.optional(tag::NULL)?;
    algorithm.end()?;
    Ok(())
}
