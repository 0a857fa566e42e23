//! A reader of the BER that verification meets: DER certificates, and PKCS #7
//! SignedData as EC2 writes it (BER: indefinite lengths, the content a
//! constructed OCTET STRING; definite lengths in their shortest form, as every
//! encoder writes them). Zero-copy over the decoded bytes, no recursion
//! (the end of an indefinite element is found with a count of the ones open,
//! up to [`MAX_OPEN`]), and every length checked against what is there.

/// Indefinite-length elements open at once, at most (EC2's SignedData has 6).
const MAX_OPEN: u32 = 16;

/// Universal tags (and the context tags verification reads).
pub(crate) mod tag {
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const NULL: u8 = 0x05;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;
    /// `[0]`, constructed (EXPLICIT, or IMPLICIT of a constructed type).
    pub(crate) const CONTEXT_0: u8 = 0xa0;
    /// `[1]`, constructed.
    pub(crate) const CONTEXT_1: u8 = 0xa1;
    /// An OCTET STRING in pieces (constructed, BER).
    pub(crate) const OCTET_STRING_PIECES: u8 = 0x24;
}

/// Where the encoding is wrong: an offset in the bytes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) usize);

/// One element: its tag (one byte: no tag number of 31 or more is read), its
/// content (for an indefinite length, the elements before the end-of-contents)
/// and the whole of it as encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    pub(crate) encoded: &'a [u8],
    /// Offset of the content in the bytes read (for errors).
    pub(crate) at: usize,
}

impl<'a> Element<'a> {
    /// The elements inside this one.
    pub(crate) fn children(&self, der: bool) -> Elements<'a> {
        Elements { bytes: self.content, at: 0, base: self.at, der }
    }
}

/// The elements of a sequence of them, in order.
#[derive(Debug, Clone)]
pub(crate) struct Elements<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Offset of `bytes` in the bytes read.
    base: usize,
    /// DER only: definite lengths (shortest ones either way).
    der: bool,
}

impl<'a> Elements<'a> {
    /// The elements of `bytes`; `der`: definite lengths only.
    pub(crate) fn new(bytes: &'a [u8], der: bool) -> Elements<'a> {
        Elements::within(bytes, 0, der)
    }

    /// The elements of `bytes`, which sit at `base` in the bytes read.
    pub(crate) fn within(bytes: &'a [u8], base: usize, der: bool) -> Elements<'a> {
        Elements { bytes, at: 0, base, der }
    }

    fn malformed(&self, at: usize) -> Malformed {
        Malformed(self.base + at)
    }

    /// True when no element is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// The next element, or `None` at the end.
    pub(crate) fn next(&mut self) -> Result<Option<Element<'a>>, Malformed> {
        if self.is_empty() {
            return Ok(None);
        }
        let start = self.at;
        let (header, length) = self.header(start)?;
        let end = match length {
            Some(length) => start.checked_add(header).and_then(|h| h.checked_add(length)),
            None => Some(self.end_of_indefinite(start + header)?),
        };
        let end = end.filter(|&end| end <= self.bytes.len()).ok_or(self.malformed(start))?;
        let content_end = if length.is_none() { end - 2 } else { end };
        let tag = self.bytes.get(start).copied().unwrap_or_default();
        if tag == 0 {
            // An end-of-contents where an element must be.
            return Err(self.malformed(start));
        }
        self.at = end;
        Ok(Some(Element {
            tag,
            content: self.bytes.get(start + header..content_end).unwrap_or_default(),
            encoded: self.bytes.get(start..end).unwrap_or_default(),
            at: self.base + start + header,
        }))
    }

    /// The next element, which must have `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<Element<'a>, Malformed> {
        let at = self.at;
        match self.next()? {
            Some(element) if element.tag == tag => Ok(element),
            _ => Err(self.malformed(at)),
        }
    }

    /// The next element if it has `tag` (else nothing is taken).
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Element<'a>>, Malformed> {
        match self.bytes.get(self.at) {
            Some(&next) if next == tag => self.next(),
            _ => Ok(None),
        }
    }

    /// Nothing more may follow.
    pub(crate) fn end(&self) -> Result<(), Malformed> {
        if self.is_empty() { Ok(()) } else { Err(self.malformed(self.at)) }
    }

    /// The header at `at`: its length, and the content's (`None`: indefinite).
    fn header(&self, at: usize) -> Result<(usize, Option<usize>), Malformed> {
        let tag = *self.bytes.get(at).ok_or(self.malformed(at))?;
        if tag & 0x1f == 0x1f {
            return Err(self.malformed(at));
        }
        let first = *self.bytes.get(at + 1).ok_or(self.malformed(at + 1))?;
        match first {
            0..0x80 => Ok((2, Some(usize::from(first)))),
            // Indefinite: constructed elements only, and never in DER.
            0x80 if tag & 0x20 != 0 && !self.der => Ok((2, None)),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                let digits = self.bytes.get(at + 2..at + 2 + n).ok_or(self.malformed(at + 1))?;
                let length = digits.iter().fold(0usize, |l, &d| l << 8 | usize::from(d));
                // The shortest form (DER's rule; no encoder writes another).
                let minimal = digits.first().is_some_and(|&d| d != 0) && (n > 1 || length >= 0x80);
                if !minimal {
                    return Err(self.malformed(at + 1));
                }
                Ok((2 + n, Some(length)))
            }
            _ => Err(self.malformed(at + 1)),
        }
    }

    /// The end (past its end-of-contents) of the indefinite element whose
    /// content starts at `at`: its children skipped, those of indefinite
    /// length counted, not recursed into.
    fn end_of_indefinite(&self, mut at: usize) -> Result<usize, Malformed> {
        let mut open = 1u32;
        loop {
            let (header, length) = self.header(at)?;
            let eoc = self.bytes.get(at) == Some(&0) && length == Some(0);
            match (eoc, length) {
                (true, _) => {
                    open -= 1;
                    at += 2;
                    if open == 0 {
                        return Ok(at);
                    }
                }
                (false, Some(length)) => {
                    at = at
                        .checked_add(header + length)
                        .filter(|&end| end <= self.bytes.len())
                        .ok_or(self.malformed(at))?;
                }
                (false, None) => {
                    open += 1;
                    if open > MAX_OPEN {
                        return Err(self.malformed(at));
                    }
                    at += header;
                }
            }
        }
    }
}

/// The pieces of an OCTET STRING's value, in order: the content of a
/// primitive one, or of each primitive OCTET STRING inside a constructed one
/// (BER; one level of pieces, as EC2 writes them).
pub(crate) fn octet_pieces<'a>(
    element: Element<'a>,
    mut each: impl FnMut(&'a [u8]) -> bool,
) -> Result<bool, Malformed> {
    match element.tag {
        tag::OCTET_STRING => Ok(each(element.content)),
        tag::OCTET_STRING_PIECES => {
            let mut pieces = element.children(false);
            while let Some(piece) = pieces.next()? {
                if piece.tag != tag::OCTET_STRING {
                    return Err(Malformed(piece.at));
                }
                if !each(piece.content) {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Err(Malformed(element.at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], der: bool) -> Result<usize, Malformed> {
        let mut elements = Elements::new(bytes, der);
        let mut n = 0;
        while elements.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn definite_and_indefinite_lengths() {
        // SEQUENCE { INTEGER 5, OCTET STRING "ab" }, definite and indefinite.
        let definite = [0x30, 0x07, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b'];
        let indefinite = [0x30, 0x80, 0x02, 0x01, 0x05, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0, 0, 0, 0];
        for (bytes, der) in [(&definite[..], true), (&indefinite[..], false)] {
            let mut top = Elements::new(bytes, der);
            let sequence = top.expect(tag::SEQUENCE).unwrap();
            assert_eq!(sequence.encoded.len(), bytes.len());
            top.end().unwrap();
            let mut inside = sequence.children(der);
            assert_eq!(inside.expect(tag::INTEGER).unwrap().content, [5]);
            let string = inside.next().unwrap().unwrap();
            let mut text = [0u8; 2];
            let mut at = 0;
            octet_pieces(string, |piece| {
                text[at..at + piece.len()].copy_from_slice(piece);
                at += piece.len();
                true
            })
            .unwrap();
            assert_eq!(&text, b"ab");
            inside.end().unwrap();
        }
        assert!(all(&indefinite, true).is_err(), "no indefinite length in DER");
        // Long forms: 0x81 0x80 is minimal, 0x81 0x05 and 0x82 0x00 0x80 are not.
        let long = [[0x04, 0x81, 0x80].as_slice(), &[0u8; 0x80]].concat();
        assert_eq!(all(&long, true), Ok(1));
        for der in [true, false] {
            assert!(all(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5], der).is_err());
        }
    }

    #[test]
    fn malformed_input_is_an_offset_never_a_panic() {
        for bad in [
            &[0x30][..],
            &[0x30, 0x05, 0x01],
            &[0x30, 0x80, 0x02, 0x01],
            &[0x30, 0x80, 0x02, 0x01, 0x05],
            &[0x1f, 0x01, 0x00],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
            &[0x00, 0x00],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(all(bad, false).is_err(), "{bad:?}");
        }
        // Nesting of indefinite lengths is bounded, not a recursion.
        let deep = [[0x30u8, 0x80].repeat(100), [0u8, 0].repeat(100)].concat();
        assert!(all(&deep, false).is_err());
        let fine = [[0x30u8, 0x80].repeat(10), [0u8, 0].repeat(10)].concat();
        assert_eq!(all(&fine, false), Ok(1));
    }
}
