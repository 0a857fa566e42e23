//! `Transfer-Encoding: chunked` framing, one byte of framing at a time, so any
//! split of the input gives the same result and nothing is scanned twice.
//!
//! Accepted: hex sizes of at most 16 digits (no overflow), optional whitespace
//! after the size, chunk extensions (ignored), trailer fields (ignored), and bare
//! LF as well as CRLF line ends. Each size line's extensions, and the trailer
//! section, are bounded by the head limit.

use super::error::DecodeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        digits: u8,
    },
    /// Whitespace after the size digits.
    SizeSpace,
    /// A chunk extension, up to the line end.
    Extension,
    /// Saw CR at the end of a size line.
    SizeLf,
    /// Inside chunk data.
    Data {
        remaining: u32,
    },
    /// After chunk data, expecting CR LF.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    TrailerLine,
    TrailerLf,
    /// Saw CR of the final empty line.
    EndLf,
    Done,
}

/// What the framing yields after consuming some framing bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// All input was framing; more is needed.
    NeedMore,
    /// `len` data bytes follow the consumed framing bytes.
    Data { len: usize },
    /// The last chunk and the trailers are complete.
    End,
}

/// The chunked-framing state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunked {
    state: State,
    /// The size line's value so far, in 32 bits (a body never has more).
    size: u32,
    /// The size line's value passed 32 bits: the chunk is too large.
    oversized: bool,
    /// Extension bytes of this size line, or trailer bytes, bounded by `max_line_bytes`.
    line_bytes: usize,
}

/// Longest chunk size in hex digits (leading zeros included): 16, as many as
/// a 64-bit size has; what passes 32 bits is too large for any body.
const MAX_SIZE_DIGITS: u8 = 16;

impl Chunked {
    pub(crate) const fn new() -> Chunked {
        Chunked { state: State::Size { digits: 0 }, size: 0, oversized: false, line_bytes: 0 }
    }

    /// Consumes framing from `input` up to the next data, the end, or the end of
    /// `input`. Returns the framing bytes consumed and what follows them.
    /// `body_room` is how many more body bytes the limit allows; `max_line_bytes`
    /// bounds extensions and trailers.
    pub(crate) fn advance(
        &mut self,
        input: &[u8],
        body_room: u32,
        max_line_bytes: usize,
    ) -> Result<(usize, Step), DecodeError> {
        let mut consumed = 0;
        loop {
            if let State::Data { remaining } = self.state {
                let available = input.len() - consumed;
                if available == 0 {
                    return Ok((consumed, Step::NeedMore));
                }
                let len = usize::try_from(remaining).map_or(available, |r| r.min(available));
                let left = remaining - len as u32;
                self.state = if left == 0 { State::DataCr } else { State::Data { remaining: left } };
                return Ok((consumed, Step::Data { len }));
            }
            if self.state == State::Done {
                return Ok((consumed, Step::End));
            }
            let Some(&byte) = input.get(consumed) else {
                return Ok((consumed, Step::NeedMore));
            };
            consumed += 1;
            self.state = self.framing_byte(byte, body_room, max_line_bytes)?;
        }
    }

    /// The state after one framing byte.
    fn framing_byte(&mut self, byte: u8, body_room: u32, max_line_bytes: usize) -> Result<State, DecodeError> {
        use State::*;
        let next = match (self.state, byte) {
            (Size { digits }, _) if hex_value(byte).is_some() => {
                if digits == MAX_SIZE_DIGITS {
                    return Err(DecodeError::ChunkSizeOverflow);
                }
                self.oversized |= self.size > u32::MAX >> 4;
                self.size = (self.size << 4) | u32::from(hex_value(byte).unwrap_or_default());
                Size { digits: digits + 1 }
            }
            (Size { digits: 0 }, _) => return Err(DecodeError::MalformedChunk),
            (Size { .. } | SizeSpace, b' ' | b'\t') => SizeSpace,
            (Size { .. } | SizeSpace, b';') => Extension,
            (Size { .. } | SizeSpace | Extension, b'\r') => SizeLf,
            (Size { .. } | SizeSpace | Extension | SizeLf, b'\n') => return self.size_line_done(body_room),
            (Extension, _) if byte == b'\t' || !byte.is_ascii_control() => {
                self.count_line_byte(max_line_bytes)?;
                Extension
            }
            (DataCr, b'\r') => DataLf,
            (DataCr | DataLf, b'\n') => Size { digits: 0 },
            (TrailerStart, b'\r') => EndLf,
            (TrailerStart | EndLf, b'\n') => Done,
            (TrailerStart | TrailerLine, _) if byte == b'\t' || !byte.is_ascii_control() => {
                self.count_line_byte(max_line_bytes)?;
                TrailerLine
            }
            (TrailerLine, b'\r') => TrailerLf,
            (TrailerLine | TrailerLf, b'\n') => TrailerStart,
            _ => return Err(DecodeError::MalformedChunk),
        };
        Ok(next)
    }

    fn size_line_done(&mut self, body_room: u32) -> Result<State, DecodeError> {
        self.line_bytes = 0;
        let size = core::mem::take(&mut self.size);
        match (core::mem::take(&mut self.oversized), size) {
            (false, 0) => Ok(State::TrailerStart),
            (false, size) if size <= body_room => Ok(State::Data { remaining: size }),
            _ => Err(DecodeError::BodyTooLarge),
        }
    }

    fn count_line_byte(&mut self, max_line_bytes: usize) -> Result<(), DecodeError> {
        self.line_bytes += 1;
        match self.line_bytes > max_line_bytes {
            true => Err(DecodeError::HeadTooLarge),
            false => Ok(()),
        }
    }
}

const fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    /// De-chunks `input` fed in one piece; returns the data or the error.
    fn dechunk(input: &[u8], room: u32) -> Result<(Vec<u8>, bool), DecodeError> {
        let mut chunked = Chunked::new();
        let mut data = Vec::new();
        let mut rest = input;
        loop {
            let (skip, step) = chunked.advance(rest, room - data.len() as u32, 64)?;
            rest = &rest[skip..];
            match step {
                Step::NeedMore => return Ok((data, false)),
                Step::Data { len } => {
                    data.extend_from_slice(&rest[..len]);
                    rest = &rest[len..];
                }
                Step::End => return Ok((data, true)),
            }
        }
    }

    #[test]
    fn decodes_sizes_extensions_and_trailers() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5\nhello\n0\n\n", b"hello"),
            (b"A\r\n0123456789\r\n1;ext=1;x=\"q\"\r\n!\r\n0\r\n\r\n", b"0123456789!"),
            (b"3 \t;e\r\nabc\r\n0\r\nExpires: never\r\nX: y\r\n\r\n", b"abc"),
            (b"0000000000000003\r\nabc\r\n00\r\n\r\n", b"abc"),
            (b"0\r\n\r\n", b""),
        ];
        for (input, expected) in cases {
            assert_eq!(
                dechunk(input, 1 << 20),
                Ok((expected.to_vec(), true)),
                "{:?}",
                std::string::String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn refuses_malformed_framing() {
        use DecodeError::*;
        let cases: [(&[u8], DecodeError); 9] = [
            (b"\r\n", MalformedChunk),
            (b"x\r\n", MalformedChunk),
            (b"-1\r\n", MalformedChunk),
            (b"5\rX", MalformedChunk),
            (b"3\r\nabcX", MalformedChunk),
            (b"3\r\nabc\rX", MalformedChunk),
            (b"1 2\r\n", MalformedChunk),
            (b"FFFFFFFFFFFFFFFFF\r\n", ChunkSizeOverflow),
            (b"00000000000000000000\r\n", ChunkSizeOverflow),
        ];
        for (input, error) in cases {
            assert_eq!(dechunk(input, u32::MAX), Err(error), "{:?}", std::string::String::from_utf8_lossy(input));
        }
        assert_eq!(dechunk(b"FFFFFFFFFFFFFFFF\r\n", u32::MAX - 1), Err(BodyTooLarge));
        // Sizes past 32 bits are too large whatever the room, even when their
        // low 32 bits would fit (the value is not wrapped).
        for size in [&b"100000000"[..], b"1000000000000000", b"FFFFFFFF0", b"0000000100000001"] {
            assert_eq!(dechunk(&[size, b"\r\n"].concat(), u32::MAX), Err(BodyTooLarge), "{size:?}");
        }
        // The largest 32-bit size is a size (the room decides).
        assert_eq!(dechunk(b"00000000FFFFFFFF\r\n", u32::MAX - 1), Err(BodyTooLarge));
        let (head, done) = Chunked::new().advance(b"FFFFFFFF\r\n", u32::MAX, 64).unwrap();
        assert_eq!((head, done), (10, Step::NeedMore));
        assert_eq!(dechunk(b"11\r\n", 16), Err(BodyTooLarge));
        assert_eq!(dechunk(&[b"1;".as_slice(), &[b'e'; 65]].concat(), 16), Err(HeadTooLarge));
        let many = b"1;eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\r\nx\r\n".repeat(10);
        assert_eq!(dechunk(&[many.as_slice(), b"0\r\n\r\n"].concat(), 16), Ok((b"xxxxxxxxxx".to_vec(), true)));
        assert_eq!(dechunk(&[b"0\r\n".as_slice(), &b"T: v\r\n".repeat(20), b"\r\n"].concat(), 16), Err(HeadTooLarge));
        assert_eq!(dechunk(b"1;\x00\r\n", 16), Err(MalformedChunk));
    }

    #[test]
    fn incomplete_input_is_not_the_end() {
        assert_eq!(dechunk(b"5\r\nhel", 100), Ok((b"hel".to_vec(), false)));
        assert_eq!(dechunk(b"5\r\nhello\r\n", 100), Ok((b"hello".to_vec(), false)));
        assert_eq!(dechunk(b"5\r\nhello\r\n0\r\n", 100), Ok((b"hello".to_vec(), false)));
        assert_eq!(dechunk(b"0\r\nTrailer: x\r\n", 100), Ok((Vec::new(), false)));
    }
}
