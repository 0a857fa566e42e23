//! The IMDSv2 session token: validated before it is ever echoed into a header,
//! never shown by `Debug`, `Display` or defmt, and zeroed when dropped or replaced.

use core::fmt;

use zeroize::Zeroize;

/// Longest token accepted, in bytes. Real tokens are 56 bytes.
pub const MAX_TOKEN_LEN: usize = 128;

/// A session token as returned by `PUT /latest/api/token`.
///
/// Holds 1..=[`MAX_TOKEN_LEN`] visible ASCII bytes (`0x21..=0x7E`), so it can be
/// written into a header as is. Its `Debug` output shows only its length. Its
/// storage is zeroed when it is dropped (the [`zeroize`] crate), so a token
/// replaced in a [`Client`](crate::Client) leaves nothing behind in it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    bytes: [u8; MAX_TOKEN_LEN],
    len: u8,
}

/// Why bytes were refused as a token. Never contains the token itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TokenError {
    /// The token is empty.
    Empty,
    /// The token is longer than [`MAX_TOKEN_LEN`].
    TooLong {
        /// Its length, when known (a chunked or close-delimited token response
        /// is refused as soon as it passes the limit).
        len: Option<usize>,
    },
    /// A byte outside visible ASCII (control, space, DEL or non-ASCII).
    InvalidByte {
        /// Where, counted from the token's first byte.
        offset: usize,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Empty => f.write_str("token is empty"),
            TokenError::TooLong { len: Some(len) } => {
                write!(f, "token is {len} bytes, more than the {MAX_TOKEN_LEN} accepted")
            }
            TokenError::TooLong { len: None } => write!(f, "token is longer than the {MAX_TOKEN_LEN} bytes accepted"),
            TokenError::InvalidByte { offset } => {
                write!(f, "token byte {offset} is not visible ASCII")
            }
        }
    }
}

impl core::error::Error for TokenError {}

impl Token {
    /// No bytes: the slot a client keeps its token in, before there is one.
    pub(crate) const EMPTY: Token = Token { bytes: [0; MAX_TOKEN_LEN], len: 0 };

    /// Zeroes the bytes and empties the token.
    pub(crate) fn wipe(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }

    /// Validates and copies `bytes` (a token response body) into a token.
    pub fn new(bytes: &[u8]) -> Result<Token, TokenError> {
        let mut token = Token { bytes: [0; MAX_TOKEN_LEN], len: 0 };
        token.assign(bytes)?;
        Ok(token)
    }

    /// Validates `bytes` and copies them over this token in place (no copy of
    /// the secret is left behind on the stack); the old bytes are zeroed first.
    /// On error the token is left unchanged.
    pub(crate) fn assign(&mut self, bytes: &[u8]) -> Result<(), TokenError> {
        validate(bytes)?;
        self.bytes.zeroize();
        let len = bytes.len().min(MAX_TOKEN_LEN);
        for (dst, src) in self.bytes.iter_mut().zip(bytes) {
            *dst = *src;
        }
        self.len = len as u8;
        Ok(())
    }

    /// The token's bytes, for writing into a request.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: a token has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What [`Token::new`] checks.
fn validate(bytes: &[u8]) -> Result<(), TokenError> {
    if bytes.is_empty() {
        return Err(TokenError::Empty);
    }
    if let Some(offset) = bytes.iter().position(|&b| !is_visible_ascii(b)) {
        return Err(TokenError::InvalidByte { offset });
    }
    match bytes.len() <= MAX_TOKEN_LEN {
        true => Ok(()),
        false => Err(TokenError::TooLong { len: Some(bytes.len()) }),
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(<redacted, {} bytes>)", self.len)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Token {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Token(<redacted, {=u8} bytes>)", self.len)
    }
}

/// The lifetime asked for a token, in seconds: 1..=21600 (six hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TokenTtl(u16);

/// A token lifetime outside 1..=21600 seconds; the service would answer 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TtlOutOfRange {
    /// The refused number of seconds.
    pub seconds: u32,
}

impl fmt::Display for TtlOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token TTL {} s is outside 1..=21600", self.seconds)
    }
}

impl core::error::Error for TtlOutOfRange {}

impl TokenTtl {
    /// The shortest lifetime, one second.
    pub const MIN: TokenTtl = TokenTtl(1);
    /// The longest lifetime, six hours; also the SDKs' default.
    pub const MAX: TokenTtl = TokenTtl(21600);

    /// A lifetime of `seconds`, which must be in 1..=21600.
    pub const fn new(seconds: u32) -> Result<TokenTtl, TtlOutOfRange> {
        if seconds >= Self::MIN.0 as u32 && seconds <= Self::MAX.0 as u32 {
            Ok(TokenTtl(seconds as u16))
        } else {
            Err(TtlOutOfRange { seconds })
        }
    }

    /// The lifetime in seconds.
    pub const fn seconds(self) -> u32 {
        self.0 as u32
    }
}

impl Default for TokenTtl {
    fn default() -> Self {
        TokenTtl::MAX
    }
}

/// `0x21..=0x7E`: what a token may contain.
pub(crate) const fn is_visible_ascii(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    const REAL_SHAPED: &[u8] = b"AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==";

    #[test]
    fn accepts_real_tokens_and_hides_them() {
        let token = Token::new(REAL_SHAPED).unwrap();
        assert_eq!(token.as_bytes(), REAL_SHAPED);
        let shown = format!("{token:?}");
        assert_eq!(shown, "Token(<redacted, 56 bytes>)");
        assert!(!shown.contains("AQAE"));
        assert!(Token::new(&[b'a'; MAX_TOKEN_LEN]).is_ok());
    }

    #[test]
    fn refuses_what_could_break_a_header() {
        assert_eq!(Token::new(b""), Err(TokenError::Empty));
        assert_eq!(Token::new(b"abc\r\nX-Evil: 1"), Err(TokenError::InvalidByte { offset: 3 }));
        assert_eq!(Token::new(b"a b"), Err(TokenError::InvalidByte { offset: 1 }));
        assert_eq!(Token::new(b"tok\n"), Err(TokenError::InvalidByte { offset: 3 }));
        assert_eq!(Token::new(&[0xff]), Err(TokenError::InvalidByte { offset: 0 }));
        assert_eq!(Token::new(&[b'a'; MAX_TOKEN_LEN + 1]), Err(TokenError::TooLong { len: Some(MAX_TOKEN_LEN + 1) }));
    }

    #[test]
    fn assign_replaces_in_place_and_zeroes_the_rest() {
        let mut token = Token::new(REAL_SHAPED).unwrap();
        token.assign(b"short").unwrap();
        assert_eq!(token.as_bytes(), b"short");
        assert!(token.bytes[5..].iter().all(|&b| b == 0), "nothing of the old token left");
        assert_eq!(token.assign(b"bad token"), Err(TokenError::InvalidByte { offset: 3 }));
        assert_eq!(token.as_bytes(), b"short", "unchanged on error");
        let mut token = Token::new(REAL_SHAPED).unwrap();
        token.wipe(); // what Drop does
        assert!(token.bytes.iter().all(|&b| b == 0) && token.is_empty());
    }

    #[test]
    fn ttl_is_one_second_to_six_hours() {
        assert_eq!(TokenTtl::new(0), Err(TtlOutOfRange { seconds: 0 }));
        assert_eq!(TokenTtl::new(1).unwrap().seconds(), 1);
        assert_eq!(TokenTtl::new(21600).unwrap(), TokenTtl::default());
        assert_eq!(TokenTtl::new(21601), Err(TtlOutOfRange { seconds: 21601 }));
        assert_eq!(TokenTtl::new(u32::MAX), Err(TtlOutOfRange { seconds: u32::MAX }));
    }
}
