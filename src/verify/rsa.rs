//! RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017, 8.2.2): `s^e mod n`
//! by crypto-bigint's modular arithmetic, and the encoded message compared
//! with the one expected, byte for byte. Nothing here is secret: a public key,
//! a signature and a digest.

use crypto_bigint::{Limb, NonZero, Uint, Word};

use super::VerifyError;

/// The DER DigestInfo of a SHA-256 digest, up to the digest (RFC 8017, 9.2).
const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// A public RSA key, as its certificate holds it: big-endian magnitudes
/// (leading zero bytes taken off).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicKey<'a> {
    pub(crate) modulus: &'a [u8],
    pub(crate) exponent: &'a [u8],
}

impl PublicKey<'_> {
    /// The modulus's size in bits.
    pub(crate) fn bits(&self) -> u32 {
        let top = self.modulus.first().map_or(0, |&b| 8 - b.leading_zeros());
        (self.modulus.len().saturating_sub(1) as u32).saturating_mul(8).saturating_add(top)
    }
}

/// Checks `signature` over `digest` (SHA-256) with `key`, in `LIMBS`-limb
/// arithmetic (the key must fit it).
pub(crate) fn verify<const LIMBS: usize>(
    key: PublicKey<'_>,
    signature: &[u8],
    digest: &[u8; 32],
) -> Result<(), VerifyError> {
    let k = key.modulus.len();
    // The signature is exactly k bytes (RFC 8017, 8.2.2 step 1); the encoded
    // message holds the DigestInfo, the digest and eight 0xff at least.
    if signature.len() != k || k < SHA256_DIGEST_INFO.len() + 32 + 11 {
        return Err(VerifyError::BadSignature);
    }
    let (Some(n), Some(s)) = (uint::<LIMBS>(key.modulus), uint::<LIMBS>(signature)) else {
        return Err(VerifyError::UnsupportedKeySize(key.bits()));
    };
    // The public exponent: at most 32 bits (the certificate's parse checked).
    let e = key.exponent.iter().fold(0u32, |e, &b| e << 8 | u32::from(b));
    let n: Option<NonZero<Uint<LIMBS>>> = NonZero::new(n).into();
    let n = n.filter(|n| n.as_ref().is_odd().into()).ok_or(VerifyError::NotRsaKey)?;
    if s >= *n.as_ref() {
        return Err(VerifyError::BadSignature);
    }
    let m = power(&s, e, &n);
    // The message: m's last k bytes, big-endian (the rest is zero: m < n),
    // against the encoding expected (RFC 8017, 9.2: 00 01 ff.. 00 DigestInfo).
    let padding = k - SHA256_DIGEST_INFO.len() - 32 - 3;
    let expected = [0x00, 0x01]
        .iter()
        .chain(core::iter::repeat_n(&0xff, padding))
        .chain(&[0x00])
        .chain(&SHA256_DIGEST_INFO)
        .chain(digest);
    let limbs = m.as_limbs();
    let byte = |i: usize| limbs.get(i / Limb::BYTES).map_or(0, |l| (l.0 >> (8 * (i % Limb::BYTES))) as u8);
    match (0..k).rev().map(byte).eq(expected.copied()) {
        true => Ok(()),
        false => Err(VerifyError::BadSignature),
    }
}

/// A big-endian magnitude as a `Uint`: `None` when it does not fit.
fn uint<const LIMBS: usize>(bytes: &[u8]) -> Option<Uint<LIMBS>> {
    const BYTES: usize = Limb::BYTES;
    let mut limbs = [Limb::ZERO; LIMBS];
    if bytes.len() > BYTES * LIMBS {
        return None;
    }
    // From the least significant end: limb 0 holds the last BYTES bytes.
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks(BYTES)) {
        *limb = Limb(chunk.iter().fold(0 as Word, |w, &b| w << 8 | Word::from(b)));
    }
    Some(Uint::new(limbs))
}

/// `base^e mod n` by squaring and multiplying, the exponent's bits from the
/// top: for 65537, sixteen squarings and a multiplication, each a widening
/// product and a remainder (crypto-bigint's `square_mod_vartime` and
/// `mul_mod_vartime`). Not Montgomery's: its parameters and forms (five
/// numbers each, passed by value) took 8 KiB of a Cortex-M4's stack for a
/// 2,048-bit key, for seventeen products. Variable time, as a public key allows.
#[inline(never)]
fn power<const LIMBS: usize>(base: &Uint<LIMBS>, e: u32, n: &NonZero<Uint<LIMBS>>) -> Uint<LIMBS> {
    let top = 31u32.saturating_sub(e.leading_zeros());
    let mut acc = *base;
    for bit in (0..top).rev() {
        acc = square_mod(&acc, n);
        if e >> bit & 1 == 1 {
            acc = mul_mod(&acc, base, n);
        }
    }
    acc
}

/// `a² mod n`: the double-width square, then its remainder, each out of line
/// so that only one of their temporaries is on the stack at a time.
fn square_mod<const LIMBS: usize>(a: &Uint<LIMBS>, n: &NonZero<Uint<LIMBS>>) -> Uint<LIMBS> {
    remainder(square(a), n)
}

/// `a × b mod n`, the same way.
fn mul_mod<const LIMBS: usize>(a: &Uint<LIMBS>, b: &Uint<LIMBS>, n: &NonZero<Uint<LIMBS>>) -> Uint<LIMBS> {
    remainder(product(a, b), n)
}

#[inline(never)]
fn square<const LIMBS: usize>(a: &Uint<LIMBS>) -> (Uint<LIMBS>, Uint<LIMBS>) {
    a.widening_square()
}

#[inline(never)]
fn product<const LIMBS: usize>(a: &Uint<LIMBS>, b: &Uint<LIMBS>) -> (Uint<LIMBS>, Uint<LIMBS>) {
    a.widening_mul(b)
}

#[inline(never)]
fn remainder<const LIMBS: usize>(wide: (Uint<LIMBS>, Uint<LIMBS>), n: &NonZero<Uint<LIMBS>>) -> Uint<LIMBS> {
    Uint::rem_wide_vartime(wide, n)
}
