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
///
/// On 64-bit targets a `memcpy` (fast, and short constant pieces become
/// plain stores); on smaller ones a byte loop, which keeps the 0.7 KiB
/// `memcpy` of compiler-builtins out of a firmware. Both sides are cut to the
/// same length first, so neither can panic.
pub(crate) fn copy_into(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(dst), Some(src)) = (dst.get_mut(..n), src.get(..n)) {
        if crate::WIDE {
            dst.copy_from_slice(src);
        } else {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
    }
    n
}

/// Moves `len` bytes at `from` to `to`, toward the front (`to <= from`), in
/// pieces that do not overlap (each at most `from - to` bytes, the first
/// first): what a receive buffer's compaction needs, without `copy_within`
/// (whose `memmove` weighs 1.6 KiB of flash on a Cortex-M, and whose range
/// check can panic). A range not inside `buf` moves nothing.
pub(crate) fn move_to_front(buf: &mut [u8], from: usize, len: usize, to: usize) {
    let Some(gap) = from.checked_sub(to).filter(|&gap| gap > 0) else { return };
    if from.checked_add(len).is_none_or(|end| end > buf.len()) {
        return;
    }
    let mut done = 0;
    while done < len {
        let n = gap.min(len - done);
        let Some((front, back)) = buf.split_at_mut_checked(from + done) else { return };
        let (Some(dst), Some(src)) = (front.get_mut(to + done..), back.get(..n)) else { return };
        copy_into(dst, src);
        done += n;
    }
}

/// Zeroes `buf` in a way the compiler does not remove (the `zeroize` crate):
/// for a receive buffer that held credentials, once you are done with them.
///
/// On 64-bit targets the slice at once (a `memset`); on smaller ones byte by
/// byte (a volatile store each, a few cycles per byte), which keeps the
/// 0.2 KiB `memset` of compiler-builtins out of a firmware.
pub fn wipe(buf: &mut [u8]) {
    if crate::WIDE {
        zeroize::Zeroize::zeroize(buf);
    } else {
        buf.iter_mut().for_each(zeroize::Zeroize::zeroize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_to_the_front_as_copy_within_does_overlapping_or_not() {
        for from in 0..24 {
            for to in 0..=from {
                for len in 0..=(24 - from) {
                    let mut ours: [u8; 24] = core::array::from_fn(|i| i as u8);
                    let mut core = ours;
                    move_to_front(&mut ours, from, len, to);
                    core.copy_within(from..from + len, to);
                    assert_eq!(ours, core, "from {from} to {to} len {len}");
                }
            }
        }
        let mut short = [1u8, 2, 3];
        move_to_front(&mut short, 2, 5, 0);
        assert_eq!(short, [1, 2, 3], "a range past the end moves nothing");
        assert_eq!(copy_into(&mut [0u8; 2], b"abc"), 2);
    }
}
