//! Directory listings: the bodies of paths ending in `/`.
//!
//! Entries are separated by `\n` (a `\r` before it is tolerated, and so is one
//! trailing newline). An entry ending in `/` is a directory; `N=name` (as under
//! `public-keys/`) is a public key whose directory is `N/`; anything else is a leaf.
//! Entries hold visible ASCII only; an empty entry or any other byte is an error
//! carrying its offset. `/latest/` lists `meta-data` and `dynamic` without a
//! slash although they are directories: that is the service's listing, kept as is.

use core::fmt;

use nom::bytes::complete::{tag, take_till, take_while1};
use nom::combinator::{opt, rest};
use nom::sequence::{separated_pair, terminated};
use nom::{IResult, Parser};

use crate::path::{self, JoinError};

/// What an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EntryKind {
    /// A value (`ami-id`).
    Leaf,
    /// A directory (`iam/`).
    Dir,
    /// A public key (`0=my-key`): its directory is `0/`.
    PublicKey {
        /// The key's index.
        index: u32,
    },
}

/// One entry of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Entry<'a> {
    raw: &'a str,
    kind: EntryKind,
}

impl<'a> Entry<'a> {
    /// The entry as listed (`iam/`, `0=my-key`, `ami-id`).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Leaf, directory or public key.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// True for directories and public keys.
    pub fn is_dir(&self) -> bool {
        self.kind != EntryKind::Leaf
    }

    /// The name: without a directory's `/`; a public key's name after `=`.
    pub fn name(&self) -> &'a str {
        match self.kind {
            EntryKind::Leaf => self.raw,
            EntryKind::Dir => self.raw.strip_suffix('/').unwrap_or(self.raw),
            EntryKind::PublicKey { .. } => self.raw.split_once('=').map_or(self.raw, |(_, name)| name),
        }
    }

    /// The path segment it adds to its directory, without a trailing `/`
    /// (`iam`, `0`, `ami-id`).
    pub fn segment(&self) -> &'a str {
        match self.kind {
            EntryKind::PublicKey { .. } => self.raw.split_once('=').map_or(self.raw, |(index, _)| index),
            _ => self.name(),
        }
    }

    /// The entry's full path under `dir`, into `buf`: `dir` + `/` + segment, and
    /// a trailing `/` for directories. The result is validated as a path.
    pub fn join<'b>(&self, dir: &str, buf: &'b mut [u8]) -> Result<&'b str, JoinError> {
        path::join_segment(dir, self.segment(), self.is_dir(), buf)
    }
}

/// Why a listing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ListingError {
    /// Offset in the body of the bad entry or byte.
    pub offset: usize,
    /// What is wrong there.
    pub kind: ListingErrorKind,
}

/// What is wrong with a listing entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ListingErrorKind {
    /// An empty line.
    EmptyEntry,
    /// A byte other than visible ASCII (control, space, non-ASCII).
    InvalidByte(u8),
}

impl fmt::Display for ListingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ListingErrorKind::EmptyEntry => write!(f, "empty listing entry at byte {}", self.offset),
            ListingErrorKind::InvalidByte(b) => write!(f, "invalid byte 0x{b:02x} in listing at byte {}", self.offset),
        }
    }
}

impl core::error::Error for ListingError {}

/// A validated listing: iterate it for its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing<'a> {
    rest: &'a [u8],
}

impl<'a> Listing<'a> {
    /// Checks every entry of `body`; the iterator then yields them without errors.
    pub fn parse(body: &'a [u8]) -> Result<Listing<'a>, ListingError> {
        let mut rest = body;
        while !rest.is_empty() {
            let offset = body.len() - rest.len();
            let (after, entry) = line(rest).map_err(|_| ListingError { offset, kind: ListingErrorKind::EmptyEntry })?;
            if entry.is_empty() {
                return Err(ListingError { offset, kind: ListingErrorKind::EmptyEntry });
            }
            if let Some(i) = entry.iter().position(|&b| !crate::token::is_visible_ascii(b)) {
                let byte = entry.get(i).copied().unwrap_or_default();
                return Err(ListingError { offset: offset + i, kind: ListingErrorKind::InvalidByte(byte) });
            }
            rest = after;
        }
        Ok(Listing { rest: body })
    }
}

impl<'a> Iterator for Listing<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let (after, entry) = line(self.rest).ok().filter(|(_, entry)| !entry.is_empty())?;
        self.rest = after;
        // Validated by `parse`: visible ASCII, hence UTF-8.
        let raw = core::str::from_utf8(entry).ok()?;
        Some(Entry { raw, kind: classify(entry) })
    }
}

impl core::iter::FusedIterator for Listing<'_> {}

/// One line, without its `\n` and a `\r` before it.
fn line(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let (after, text) = terminated(take_till(|b| b == b'\n'), opt(tag(&b"\n"[..]))).parse(input)?;
    Ok((after, text.strip_suffix(b"\r").unwrap_or(text)))
}

fn classify(entry: &[u8]) -> EntryKind {
    if entry.ends_with(b"/") {
        return EntryKind::Dir;
    }
    let mut public_key = separated_pair(take_while1(|b: u8| b.is_ascii_digit()), tag(&b"="[..]), rest::<&[u8], ()>);
    match public_key.parse(entry) {
        Ok((_, (digits, name))) if !name.is_empty() => core::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .map_or(EntryKind::Leaf, |index| EntryKind::PublicKey { index }),
        _ => EntryKind::Leaf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn entries(body: &[u8]) -> Vec<(&str, EntryKind)> {
        Listing::parse(body).unwrap().map(|e| (e.raw(), e.kind())).collect()
    }

    #[test]
    fn splits_kinds_and_tolerates_line_ends() {
        use EntryKind::*;
        let expected = [("ami-id", Leaf), ("iam/", Dir), ("0=my-key", PublicKey { index: 0 })];
        for body in [&b"ami-id\niam/\n0=my-key"[..], b"ami-id\niam/\n0=my-key\n", b"ami-id\r\niam/\r\n0=my-key\r\n"] {
            assert_eq!(entries(body), expected);
        }
        assert_eq!(entries(b""), []);
        assert_eq!(
            entries(b"a=b\n12=\n4294967296=k\n=x"),
            [("a=b", Leaf), ("12=", Leaf), ("4294967296=k", Leaf), ("=x", Leaf)]
        );
    }

    #[test]
    fn names_segments_and_joins() {
        let mut listing = Listing::parse(b"iam/\n1=deploy\nami-id").unwrap();
        let mut buf = [0u8; 64];
        let dir = listing.next().unwrap();
        assert_eq!((dir.name(), dir.segment()), ("iam", "iam"));
        assert_eq!(dir.join("/latest/meta-data/", &mut buf), Ok("/latest/meta-data/iam/"));
        let key = listing.next().unwrap();
        assert_eq!((key.name(), key.segment(), key.is_dir()), ("deploy", "1", true));
        assert_eq!(key.join("/latest/meta-data/public-keys", &mut buf), Ok("/latest/meta-data/public-keys/1/"));
        let leaf = listing.next().unwrap();
        assert_eq!(leaf.join("/latest/meta-data/", &mut buf), Ok("/latest/meta-data/ami-id"));
        assert_eq!(listing.next(), None);
    }

    #[test]
    fn refuses_empty_entries_and_bad_bytes_with_offsets() {
        use ListingErrorKind::*;
        let cases: [(&[u8], usize, ListingErrorKind); 7] = [
            (b"\n", 0, EmptyEntry),
            (b"a\n\nb", 2, EmptyEntry),
            (b"a\n\n", 2, EmptyEntry),
            (b"a\r\n\r\n", 3, EmptyEntry),
            (b"ab\x00c", 2, InvalidByte(0)),
            (b"ok\nbad name", 6, InvalidByte(b' ')),
            (b"caf\xc3\xa9", 3, InvalidByte(0xc3)),
        ];
        for (body, offset, kind) in cases {
            assert_eq!(Listing::parse(body), Err(ListingError { offset, kind }), "{body:?}");
        }
        assert_eq!(Listing::parse(b"a\rb"), Err(ListingError { offset: 1, kind: InvalidByte(b'\r') }));
    }
}
