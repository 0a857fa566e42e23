//! Text without `core::fmt`: decimal numbers, IPv4 and RFC 5952 IPv6
//! addresses, written into small buffers. Requests are built from these (the
//! formatting machinery weighs kilobytes of flash and thousands of
//! instructions per request).

use core::net::{Ipv4Addr, Ipv6Addr};

/// Appends to a buffer, counting (but not writing) what does not fit.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pub(crate) len: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Writer<'b> {
        Writer { buf, len: 0 }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            crate::buffer::copy_into(dst, bytes);
        }
        self.len = end;
    }

    /// True when everything written fit.
    pub(crate) fn fits(&self) -> bool {
        self.len <= self.buf.len()
    }
}

/// Hands `n` in decimal to `out`.
pub(crate) fn decimal(n: u32, out: &mut impl FnMut(&[u8])) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    while let Some(slot) = at.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        *slot = b'0' + (rest % 10) as u8;
        at -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out(digits.get(at..).unwrap_or_default());
}

/// Hands `a.b.c.d` to `out`, in pieces.
pub(crate) fn ipv4(ip: Ipv4Addr, out: &mut impl FnMut(&[u8])) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out(b".");
        }
        decimal(u32::from(octet), out);
    }
}

/// Hands `ip` to `out` as RFC 5952 says: lower-case hex groups without leading
/// zeros, the longest run of two or more zero groups (the first of equal runs)
/// as `::`.
pub(crate) fn ipv6(ip: Ipv6Addr, out: &mut impl FnMut(&[u8])) {
    let groups = ip.segments();
    let (mut best_start, mut best_len) = (usize::MAX, 1usize);
    let mut run_start = 0;
    for (i, &g) in groups.iter().enumerate() {
        if g != 0 {
            run_start = i + 1;
        } else if i + 1 - run_start > best_len {
            best_start = run_start;
            best_len = i + 1 - run_start;
        }
    }
    let mut i = 0;
    while let Some(&group) = groups.get(i) {
        if i == best_start {
            out(b"::");
            i += best_len;
            continue;
        }
        if i > 0 && i != best_start.saturating_add(best_len) {
            out(b":");
        }
        let mut hex = [0u8; 4];
        let mut len = 0;
        for shift in [12u32, 8, 4, 0] {
            let nibble = ((group >> shift) & 0xf) as u8;
            if nibble != 0 || len > 0 || shift == 0 {
                if let Some(slot) = hex.get_mut(len) {
                    *slot = if nibble < 10 { b'0' + nibble } else { b'a' + nibble - 10 };
                }
                len += 1;
            }
        }
        out(hex.get(..len).unwrap_or_default());
        i += 1;
    }
}

/// `bytes` equals `name`, ignoring ASCII case when `fold`, for a `name`
/// whose bytes flipped in bit 5 give their other case or bytes that cannot
/// be in `bytes` (letters, and for HTTP tokens also digits and `-`, whose
/// flips are control bytes): then a case difference is exactly bit 5 of a
/// byte, and words compare under a mask. A name is read as its first and its
/// last word, which overlap (eight bytes each, four for a name shorter than
/// eight), with the words between them for a name longer than sixteen. One
/// function for the response decoder's header names and the documents' keys.
#[inline]
pub(crate) fn eq_name(bytes: &[u8], name: &[u8], fold: bool) -> bool {
    let case = if fold { u64::from_ne_bytes([0x20; 8]) } else { 0 };
    let differ = |x: u64, y: u64| (x ^ y) & !case != 0;
    let len = name.len();
    if bytes.len() != len {
        return false;
    }
    let word8 = |text: &[u8], at: usize| {
        text.get(at..).and_then(<[u8]>::first_chunk::<8>).map_or(0, |w| u64::from_ne_bytes(*w))
    };
    let word4 = |text: &[u8], at: usize| {
        text.get(at..).and_then(<[u8]>::first_chunk::<4>).map_or(0, |w| u64::from(u32::from_ne_bytes(*w)))
    };
    match len {
        0..4 => bytes.iter().zip(name).all(|(&b, &n)| !differ(u64::from(b), u64::from(n))),
        4..8 => !differ(word4(bytes, 0), word4(name, 0)) && !differ(word4(bytes, len - 4), word4(name, len - 4)),
        8..=16 => !differ(word8(bytes, 0), word8(name, 0)) && !differ(word8(bytes, len - 8), word8(name, len - 8)),
        _ => {
            // Words at 0, 8, 16, ..., and the last one at `len - 8` (overlapping).
            let last = len - 8;
            let mut at = 0;
            loop {
                let at_word = at.min(last);
                if differ(word8(bytes, at_word), word8(name, at_word)) {
                    return false;
                }
                if at_word == last {
                    return true;
                }
                at += 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::{String, ToString};

    fn text(write: impl FnOnce(&mut dyn FnMut(&[u8]))) -> String {
        let mut out = String::new();
        write(&mut |piece: &[u8]| out.push_str(core::str::from_utf8(piece).unwrap()));
        out
    }

    #[test]
    fn numbers_and_addresses_match_core_fmt() {
        for n in [0, 1, 9, 10, 21600, 65535, u32::MAX] {
            assert_eq!(text(|out| decimal(n, &mut |p| out(p))), n.to_string());
        }
        for ip in ["0.0.0.0", "169.254.169.254", "255.255.255.255", "10.0.12.3"] {
            let ip: Ipv4Addr = ip.parse().unwrap();
            assert_eq!(text(|out| ipv4(ip, &mut |p| out(p))), ip.to_string());
        }
        for ip in [
            "::",
            "::1",
            "1::",
            "fd00:ec2::254",
            "2001:db8::1:0:0:1",
            "2001:db8:0:0:1:0:0:1",
            "1:0:1:0:1:0:1:0",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0:1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:0",
            "fe80::1:2",
            "2001:db8:85a3::8a2e:370:7334",
        ] {
            let ip: Ipv6Addr = ip.parse().unwrap();
            assert_eq!(text(|out| ipv6(ip, &mut |p| out(p))), ip.to_string(), "{ip:?}");
        }
        // Every single zero group, and every run, against core.
        for a in 0u16..16 {
            for b in 0u16..16 {
                let groups: [u16; 8] = core::array::from_fn(|i| {
                    if (a >> (i % 4)) & 1 == 1 && i < 4 || (b >> (i % 4)) & 1 == 1 && i >= 4 { 0 } else { i as u16 + 1 }
                });
                let ip = Ipv6Addr::from(groups);
                if ip.to_ipv4_mapped().is_none() {
                    assert_eq!(text(|out| ipv6(ip, &mut |p| out(p))), ip.to_string(), "{groups:?}");
                }
            }
        }
    }
}
