//! Metadata paths: the one validator every request path goes through, and the
//! join of a directory path with a listing entry.
//!
//! A valid path starts with `/`, is at most [`MAX_PATH_LEN`] bytes, and is made of
//! `/`-separated segments of RFC 3986 `pchar` characters without percent-encoding
//! (ASCII letters, digits and `-._~!$&'()*+,;=:@`). So it holds no CR, LF, NUL or
//! other control byte, no space, `?`, `#`, `%` or non-ASCII byte; no segment is `.`
//! or `..`, and no segment but the last is empty (`//` is refused, a trailing `/`
//! is how directories are named).

use core::fmt;

use crate::buffer::BufferTooSmall;

/// Longest path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 255;

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `/` (this includes the empty path).
    NotAbsolute,
    /// The path is longer than [`MAX_PATH_LEN`].
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A byte that may not appear in a path.
    InvalidByte {
        /// Where.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A `.` or `..` segment.
    DotSegment {
        /// Where the segment starts.
        offset: usize,
    },
    /// An empty segment before the end (`//`).
    EmptySegment {
        /// Where the second `/` is.
        offset: usize,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PathError::NotAbsolute => f.write_str("path does not start with '/'"),
            PathError::TooLong { len } => {
                write!(f, "path is {len} bytes, more than the {MAX_PATH_LEN} accepted")
            }
            PathError::InvalidByte { offset, byte } => {
                write!(f, "path byte {offset} (0x{byte:02x}) is not allowed")
            }
            PathError::DotSegment { offset } => write!(f, "path has a '.' or '..' segment at byte {offset}"),
            PathError::EmptySegment { offset } => write!(f, "path has an empty segment at byte {offset}"),
        }
    }
}

impl core::error::Error for PathError {}

/// Checks that `path` may be requested; see the module docs for the rules.
pub fn validate(path: &str) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    if bytes.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong { len: bytes.len() });
    }
    // One pass: each byte, and each segment as its '/' (or the end) closes it:
    // a segment of one or two bytes that are all dots is a dot segment.
    // `start` is the offset of the segment's first byte, `dots` how many dots
    // it has so far; `at` is the offset of the byte after `byte`.
    let (mut at, mut start, mut dots) = (1, 1, 0);
    while let Some(&byte) = bytes.get(at) {
        at += 1;
        if byte.wrapping_sub(b'a') < 26 || byte == b'-' {
            continue; // most bytes of most paths
        }
        match byte {
            b'/' => {
                match at - 1 - start {
                    0 => return Err(PathError::EmptySegment { offset: start }),
                    len if len == dots && len <= 2 => return Err(PathError::DotSegment { offset: start }),
                    _ => {}
                }
                (start, dots) = (at, 0);
            }
            b'.' => dots += 1,
            _ if !is_pchar_fast(byte) => return Err(PathError::InvalidByte { offset: at - 1, byte }),
            _ => {}
        }
    }
    // The last segment may be empty (a directory), not a dot segment.
    match bytes.len() - start {
        len if len > 0 && len == dots && len <= 2 => Err(PathError::DotSegment { offset: start }),
        _ => Ok(()),
    }
}

/// [`is_pchar`] as four 32-bit masks of the ASCII bytes: a shift and a test
/// per byte of a path, in the word size of every target (no 64-bit shifts
/// on a 32-bit one).
const PCHARS: [u32; 4] = [pchar_mask(0), pchar_mask(32), pchar_mask(64), pchar_mask(96)];

/// Bit `i` set when byte `from + i` is a `pchar`.
const fn pchar_mask(from: u8) -> u32 {
    let mut bits = 0;
    let mut i = 0;
    while i < 32 {
        if is_pchar(from + i) {
            bits |= 1 << i;
        }
        i += 1;
    }
    bits
}

/// [`is_pchar`], from the masks (none for bytes past ASCII).
fn is_pchar_fast(byte: u8) -> bool {
    PCHARS.get(usize::from(byte >> 5)).is_some_and(|mask| (mask >> (byte & 31)) & 1 == 1)
}

/// RFC 3986 `pchar` without `pct-encoded`.
const fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Why [`join`] or [`join_into`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum JoinError {
    /// The joined path is not valid.
    Path(PathError),
    /// The output is shorter than the joined path (`required` is exact).
    BufferTooSmall(BufferTooSmall),
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Path(e) => write!(f, "joined {e}"),
            JoinError::BufferTooSmall(e) => write!(f, "joined path: {e}"),
        }
    }
}

impl core::error::Error for JoinError {}

impl From<PathError> for JoinError {
    fn from(e: PathError) -> Self {
        JoinError::Path(e)
    }
}

/// Joins a directory path and a relative segment with exactly one `/` between
/// them, writes the result into `buf` and validates it.
///
/// `base` may end with `/` or not; `segment` may start with `/` or not (one slash is
/// dropped from each side). A trailing `/` on `segment` is kept: it names a directory.
pub fn join<'b>(base: &str, segment: &str, buf: &'b mut [u8]) -> Result<&'b str, JoinError> {
    join_segment(base, segment, false, buf)
}

/// [`join`], then a `/` appended when `dir` is set (and `segment` has none).
pub(crate) fn join_segment<'b>(base: &str, segment: &str, dir: bool, buf: &'b mut [u8]) -> Result<&'b str, JoinError> {
    let base = without_final_slash(base);
    let segment = without_first_slash(segment);
    let slash: &str = if dir && !ends_with_slash(segment) { "/" } else { "" };
    let required = base.len() + 1 + segment.len() + slash.len();
    let out = buf.get_mut(..required).ok_or(JoinError::BufferTooSmall(BufferTooSmall { required }))?;
    let mut at = 0;
    for part in [base, "/", segment, slash] {
        at += crate::buffer::copy_into(out.get_mut(at..).unwrap_or_default(), part.as_bytes());
    }
    // `&str`s joined by '/' are UTF-8; the error arm is never taken.
    let joined = core::str::from_utf8(out).map_err(|e| PathError::InvalidByte {
        offset: e.valid_up_to(),
        byte: out.get(e.valid_up_to()).copied().unwrap_or_default(),
    })?;
    validate(joined)?;
    Ok(joined)
}

/// True when `text` ends with `/`. (A byte test: `ends_with("/")` would link
/// `memcmp` into a firmware.)
pub(crate) fn ends_with_slash(text: &str) -> bool {
    text.as_bytes().last() == Some(&b'/')
}

/// `text` without one final `/`.
pub(crate) fn without_final_slash(text: &str) -> &str {
    match ends_with_slash(text) {
        true => text.get(..text.len() - 1).unwrap_or(text),
        false => text,
    }
}

/// `text` without one first `/`.
pub(crate) fn without_first_slash(text: &str) -> &str {
    match text.as_bytes().first() {
        Some(b'/') => text.get(1..).unwrap_or(text),
        _ => text,
    }
}

/// [`join`] into a `heapless::String` of capacity `N`.
pub fn join_into<const N: usize>(base: &str, segment: &str) -> Result<heapless::String<N>, JoinError> {
    let mut buf = [0u8; N];
    let joined = join(base, segment, &mut buf)?;
    heapless::String::try_from(joined).map_err(|_| JoinError::BufferTooSmall(BufferTooSmall { required: joined.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn the_masks_are_the_pchar_rule() {
        for byte in 0..=u8::MAX {
            assert_eq!(is_pchar_fast(byte), is_pchar(byte), "byte 0x{byte:02x}");
        }
    }

    #[test]
    fn accepts_real_metadata_paths() {
        for path in [
            "/",
            "/latest/",
            "/latest/api/token",
            "/latest/meta-data/",
            "/latest/meta-data/iam/security-credentials/my-role",
            "/latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/ipv6s",
            "/latest/meta-data/public-keys/0/openssh-key",
            "/latest/meta-data/tags/instance/Name+Env=prod@a,b",
            "/latest/dynamic/instance-identity/document",
            "/latest/user-data",
            "/latest/meta-data/.hidden/..x/...",
        ] {
            assert_eq!(validate(path), Ok(()), "{path}");
        }
        assert_eq!(validate(&std::format!("/{}", "a".repeat(MAX_PATH_LEN - 1))), Ok(()));
    }

    #[test]
    fn refuses_injection_and_traversal() {
        use PathError::*;
        let cases = [
            ("", NotAbsolute),
            ("latest/meta-data", NotAbsolute),
            ("/latest\r\nX-Forwarded-For: 1", InvalidByte { offset: 7, byte: b'\r' }),
            ("/latest\n", InvalidByte { offset: 7, byte: b'\n' }),
            ("/a\0", InvalidByte { offset: 2, byte: 0 }),
            ("/a b", InvalidByte { offset: 2, byte: b' ' }),
            ("/a?b", InvalidByte { offset: 2, byte: b'?' }),
            ("/a#b", InvalidByte { offset: 2, byte: b'#' }),
            ("/%2e%2e/", InvalidByte { offset: 1, byte: b'%' }),
            ("/a\\b", InvalidByte { offset: 2, byte: b'\\' }),
            ("/ü", InvalidByte { offset: 1, byte: 0xc3 }),
            ("/\x7f", InvalidByte { offset: 1, byte: 0x7f }),
            ("/latest/../etc", DotSegment { offset: 8 }),
            ("/latest/./x", DotSegment { offset: 8 }),
            ("/..", DotSegment { offset: 1 }),
            ("/latest/.", DotSegment { offset: 8 }),
            ("//latest", EmptySegment { offset: 1 }),
            ("/latest//x", EmptySegment { offset: 8 }),
        ];
        for (path, error) in cases {
            assert_eq!(validate(path), Err(error), "{path:?}");
        }
        let long = std::format!("/{}", "a".repeat(MAX_PATH_LEN));
        assert_eq!(validate(&long), Err(TooLong { len: MAX_PATH_LEN + 1 }));
    }

    #[test]
    fn join_puts_exactly_one_slash() {
        let mut buf = [0u8; 64];
        for (base, segment) in
            [("/latest/meta-data", "ami-id"), ("/latest/meta-data/", "ami-id"), ("/latest/meta-data/", "/ami-id")]
        {
            assert_eq!(join(base, segment, &mut buf), Ok("/latest/meta-data/ami-id"));
        }
        assert_eq!(join("/latest/meta-data/", "iam/", &mut buf), Ok("/latest/meta-data/iam/"));
        assert_eq!(join("/", "latest", &mut buf), Ok("/latest"));
        assert_eq!(join_into::<32>("/latest/", "dynamic/").unwrap().as_str(), "/latest/dynamic/");
    }

    #[test]
    fn join_refuses_bad_results_and_small_buffers() {
        let mut buf = [0u8; 64];
        assert_eq!(join("/a", "..", &mut buf), Err(JoinError::Path(PathError::DotSegment { offset: 3 })));
        assert_eq!(join("/a", "", &mut buf), Ok("/a/"));
        assert_eq!(join("/a/", "/", &mut buf), Ok("/a/"));
        assert_eq!(join("/a/", "//", &mut buf), Err(JoinError::Path(PathError::EmptySegment { offset: 3 })));
        assert_eq!(
            join("/a", "b\nc", &mut buf),
            Err(JoinError::Path(PathError::InvalidByte { offset: 4, byte: b'\n' }))
        );
        assert_eq!(join("a", "b", &mut buf), Err(JoinError::Path(PathError::NotAbsolute)));
        let mut small = [0u8; 8];
        let small_error = JoinError::BufferTooSmall(BufferTooSmall { required: 17 });
        assert_eq!(join("/latest", "meta-data", &mut small), Err(small_error));
        assert_eq!(join_into::<8>("/latest", "meta-data"), Err(small_error));
    }
}
