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
            for (d, s) in dst.iter_mut().zip(bytes) {
                *d = *s;
            }
        }
        self.len = end;
    }

    /// True when everything written fit.
    pub(crate) fn fits(&self) -> bool {
        self.len <= self.buf.len()
    }
}

/// Up to 39 bytes of ASCII text, built in place.
pub(crate) struct Small {
    bytes: [u8; 39],
    len: u8,
}

impl Small {
    const fn new() -> Small {
        Small { bytes: [0; 39], len: 0 }
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn push_decimal(&mut self, n: u32) {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || at == 0 {
                break;
            }
        }
        for &d in digits.get(at..).unwrap_or_default() {
            self.push(d);
        }
    }

    /// The text (ASCII by construction).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The text as a `str`.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// `n` in decimal.
pub(crate) fn decimal(n: u32) -> Small {
    let mut out = Small::new();
    out.push_decimal(n);
    out
}

/// `a.b.c.d`.
pub(crate) fn ipv4(ip: Ipv4Addr) -> Small {
    let mut out = Small::new();
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        out.push_decimal(u32::from(octet));
    }
    out
}

/// RFC 5952: lower-case hex groups without leading zeros, the longest run of
/// two or more zero groups (the first of equal runs) as `::`.
pub(crate) fn ipv6(ip: Ipv6Addr) -> Small {
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
    let mut out = Small::new();
    let mut i = 0;
    while i < groups.len() {
        if i == best_start {
            out.push(b':');
            out.push(b':');
            i += best_len;
            continue;
        }
        if i > 0 && i != best_start.saturating_add(best_len) {
            out.push(b':');
        }
        let g = groups.get(i).copied().unwrap_or_default();
        let mut started = false;
        for shift in [12u32, 8, 4, 0] {
            let nibble = ((g >> shift) & 0xf) as u8;
            if nibble != 0 || started || shift == 0 {
                started = true;
                out.push(if nibble < 10 { b'0' + nibble } else { b'a' + nibble - 10 });
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn numbers_and_addresses_match_core_fmt() {
        for n in [0, 1, 9, 10, 21600, 65535, u32::MAX] {
            assert_eq!(decimal(n).as_str(), n.to_string());
        }
        for ip in ["0.0.0.0", "169.254.169.254", "255.255.255.255", "10.0.12.3"] {
            let ip: Ipv4Addr = ip.parse().unwrap();
            assert_eq!(ipv4(ip).as_str(), ip.to_string());
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
            assert_eq!(ipv6(ip).as_str(), ip.to_string(), "{ip:?}");
        }
        // Every single zero group, and every run, against core.
        for a in 0u16..16 {
            for b in 0u16..16 {
                let groups: [u16; 8] = core::array::from_fn(|i| {
                    if (a >> (i % 4)) & 1 == 1 && i < 4 || (b >> (i % 4)) & 1 == 1 && i >= 4 { 0 } else { i as u16 + 1 }
                });
                let ip = Ipv6Addr::from(groups);
                if ip.to_ipv4_mapped().is_none() {
                    assert_eq!(ipv6(ip).as_str(), ip.to_string(), "{groups:?}");
                }
            }
        }
    }
}
