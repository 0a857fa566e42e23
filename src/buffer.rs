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

/// Copies what fits of `src` to the front of `dst`; returns how many bytes.
/// A plain loop: no length check that could panic.
pub(crate) fn copy_into(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0;
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
        n += 1;
    }
    n
}

/// Moves `len` bytes at `from` to `to`, toward the front (`to <= from`), first
/// byte first: what a receive buffer's compaction needs, without `copy_within`
/// (whose `memmove` weighs 1.6 KiB of flash on a Cortex-M, and whose range check
/// can panic). Bytes outside `buf` are not moved.
pub(crate) fn move_to_front(buf: &mut [u8], from: usize, len: usize, to: usize) {
    if to >= from {
        return;
    }
    for i in 0..len {
        let Some(&byte) = buf.get(from + i) else { return };
        if let Some(slot) = buf.get_mut(to + i) {
            *slot = byte;
        }
    }
}

/// Zeroes `buf` in a way the compiler does not remove (the `zeroize` crate):
/// for a receive buffer that held credentials, once you are done with them.
pub fn wipe(buf: &mut [u8]) {
    zeroize::Zeroize::zeroize(buf);
}
