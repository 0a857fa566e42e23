//! The one error for a caller's buffer that cannot hold what must go in it,
//! shared by request encoding, response reading, path joining and the walk.

use core::fmt;

/// A buffer you gave is too small.
///
/// `required` is exact where the size is known in advance (an encoded request, a
/// joined path, a body with a Content-Length); otherwise it is a lower bound (one
/// more byte than the buffer has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall {
    /// Bytes the buffer needs (at least).
    pub required: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer too small: {} bytes needed", self.required)
    }
}

impl core::error::Error for BufferTooSmall {}

/// Zeroes `buf` in a way the compiler does not remove (the `zeroize` crate):
/// for a receive buffer that held credentials, once you are done with them.
pub fn wipe(buf: &mut [u8]) {
    zeroize::Zeroize::zeroize(buf);
}
