//! Incremental HTTP/1.1 response decoding: the head through httparse, the body
//! framed by Content-Length, chunked encoding or the end of the connection.
//!
//! [`Decoder`] is the event-level decoder: give it the bytes it has not consumed
//! yet, get back how many it consumed and one [`Decoded`] event. Body pieces are
//! slices of the input (zero-copy). [`Reader`](super::Reader) builds the two
//! buffer disciplines (contiguous body, streamed pieces) on top of it.
//!
//! Decisions where HTTP leaves room:
//! - Bare LF line ends are accepted in the head and in chunk framing, like CRLF
//!   (RFC 9112 §2.2 allows it; httparse does it).
//! - HTTP/1.0 responses are accepted (closed after the body unless they say
//!   `Connection: keep-alive`); they may not be chunked. HTTP/0.9 (no status line),
//!   HTTP/2 and anything else that does not start with `HTTP/1.` is refused.
//! - Content-Length must be plain decimal digits; repeated equal values (in one
//!   field or several) count once, different ones are an error, and so is
//!   Content-Length together with Transfer-Encoding (RFC 9112 §6.3).
//! - The only transfer coding understood is a single `chunked`.
//! - 1xx interim responses (other than 101) are skipped; 204 and 304 have no body.

use core::fmt;

use super::MAX_HEADERS;
use super::chunked::{self, Chunked};
use super::error::{DecodeError, EofPhase, HeadError};

/// Bounds on what a response may make the decoder accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Longest head (status line and fields, with the empty line), in bytes; also
    /// bounds the extensions of each chunk-size line and the trailer section. Default 8 KiB.
    pub max_head_len: usize,
    /// Largest body, in bytes (4 GiB at most: 32 bits, so that a 32-bit
    /// target counts it without 64-bit arithmetic). Default 64 KiB.
    pub max_body_len: u32,
}

impl Limits {
    /// 8 KiB of head, 64 KiB of body.
    pub const DEFAULT: Limits = Limits { max_head_len: 8 * 1024, max_body_len: 64 * 1024 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Framing {
    /// Exactly this many bytes.
    ContentLength(u32),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    CloseDelimited,
    /// No body (204, 304).
    Empty,
}

/// A byte range inside the head, relative to the input of the call that returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes of this span in `input`, or empty if `input` is too short.
    pub fn of<'a>(&self, input: &'a [u8]) -> &'a [u8] {
        input.get(self.start..self.end).unwrap_or_default()
    }

    /// The span after the bytes at `from` moved to `to`.
    const fn moved(self, from: usize, to: usize) -> Span {
        let start = self.start.saturating_sub(from).saturating_add(to);
        Span { start, end: start.saturating_add(self.end.saturating_sub(self.start)) }
    }
}

/// What the head of a response says. Plain data (`Copy`); strings are [`Span`]s
/// into the bytes the head was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// The reason phrase.
    pub reason: Span,
    /// The Content-Type value, if any.
    pub content_type: Option<Span>,
    /// The `X-aws-ec2-metadata-token-ttl-seconds` value, if any.
    pub token_ttl: Option<u32>,
    /// The `Retry-After` value in seconds, if any and in that form (an
    /// HTTP-date, or anything else, is `None`).
    pub retry_after: Option<u32>,
    /// The `Date` value, if it has the 29 bytes of an IMF-fixdate (`Mon, 07
    /// Dec 2026 20:34:00 GMT`): the server's clock (not parsed here:
    /// `Timestamp::parse_http_date` reads it).
    pub date: Option<Span>,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
    /// How the body is delimited.
    pub framing: Framing,
    /// Bytes of this head on the wire (without skipped 1xx responses before
    /// it): it ends where the consumed count of the call that returned it ends.
    pub len: usize,
}

impl ResponseHead {
    /// The head with its spans adjusted for its bytes moving from `from` to `to`.
    pub(crate) fn moved(self, from: usize, to: usize) -> ResponseHead {
        ResponseHead {
            reason: self.reason.moved(from, to),
            content_type: self.content_type.map(|span| span.moved(from, to)),
            date: self.date.map(|span| span.moved(from, to)),
            ..self
        }
    }

    /// The Content-Length, when the body is framed by one.
    pub fn content_length(&self) -> Option<u32> {
        match self.framing {
            Framing::ContentLength(n) => Some(n),
            _ => None,
        }
    }
}

/// One step of decoding.
///
/// `Debug` (and defmt) show a body piece's length, never its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'i> {
    /// Everything given was examined: call again with more bytes (or with `eof`).
    NeedMore,
    /// The head is complete.
    Head(ResponseHead),
    /// A piece of the body, a slice of the input ending at the consumed count.
    Body(&'i [u8]),
    /// The response is complete; bytes after it are not consumed.
    End,
}

impl fmt::Debug for Decoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decoded::NeedMore => f.write_str("NeedMore"),
            Decoded::Head(head) => f.debug_tuple("Head").field(head).finish(),
            Decoded::Body(piece) => write!(f, "Body(<{} bytes>)", piece.len()),
            Decoded::End => f.write_str("End"),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Decoded<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Decoded::NeedMore => defmt::write!(f, "NeedMore"),
            Decoded::Head(head) => defmt::write!(f, "Head({})", head),
            Decoded::Body(piece) => defmt::write!(f, "Body(<{=usize} bytes>)", piece.len()),
            Decoded::End => defmt::write!(f, "End"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for the empty line that ends the head.
    Head {
        scanned: usize,
        /// A 1xx response was skipped: an EOF now is inside a response.
        after_interim: bool,
    },
    Length {
        remaining: u32,
    },
    Close {
        received: u32,
    },
    Chunked {
        chunked: Chunked,
        received: u32,
    },
    Done,
    Failed(DecodeError),
}

/// Incremental response decoder: no allocation, no lifetime, 48 bytes on a
/// 64-bit target.
///
/// Contract: pass the bytes not consumed so far, in order, each call starting
/// where the last consumed count ended; `eof` says no bytes will follow the input.
/// The head is consumed only once complete (it stays in the input until then);
/// the decoder remembers how far it looked, so each byte is examined once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    limits: Limits,
    state: State,
}

const HEAD_START: State = State::Head { scanned: 0, after_interim: false };

impl Decoder {
    /// A decoder expecting the start of a response.
    pub const fn new(limits: Limits) -> Decoder {
        Decoder { limits, state: HEAD_START }
    }

    /// Forgets the current response, ready for the next one on the same connection.
    pub fn reset(&mut self) {
        self.state = HEAD_START;
    }

    /// The limits in force.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Lowers the body limit for the rest of this response (a raise is ignored).
    /// A body framed by Content-Length was already checked against the old limit.
    pub(crate) fn limit_body(&mut self, max_body_len: u32) {
        self.limits.max_body_len = self.limits.max_body_len.min(max_body_len);
    }

    /// True while the head of a response is awaited (with no bytes, this
    /// decoder can only say [`Decoded::NeedMore`]).
    pub(crate) fn awaits_head(&self) -> bool {
        matches!(self.state, State::Head { .. })
    }

    /// True once [`Decoded::End`] was returned.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`; returns the bytes consumed and the next event.
    pub fn decode<'i>(&mut self, input: &'i [u8], eof: bool) -> Result<(usize, Decoded<'i>), DecodeError> {
        let result = self.step(input, eof);
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    fn step<'i>(&mut self, input: &'i [u8], eof: bool) -> Result<(usize, Decoded<'i>), DecodeError> {
        let limit = self.limits.max_body_len;
        match &mut self.state {
            State::Failed(e) => Err(*e),
            State::Done => Ok((0, Decoded::End)),
            State::Head { .. } => self.head(input, eof),
            State::Length { remaining: 0 } => {
                self.state = State::Done;
                Ok((0, Decoded::End))
            }
            State::Length { remaining } => {
                let n = usize::try_from(*remaining).map_or(input.len(), |r| r.min(input.len()));
                *remaining -= n as u32;
                body_piece(input, 0, n, eof)
            }
            State::Close { received } => {
                if input.is_empty() && eof {
                    self.state = State::Done;
                    return Ok((0, Decoded::End));
                }
                // Deliver up to the limit, then refuse: the same bytes whatever the split.
                let room = usize::try_from(limit.saturating_sub(*received)).unwrap_or(usize::MAX);
                if !input.is_empty() && room == 0 {
                    return Err(DecodeError::BodyTooLarge);
                }
                let n = input.len().min(room);
                *received += n as u32;
                body_piece(input, 0, n, eof)
            }
            State::Chunked { chunked, received } => {
                let (skip, step) = chunked.advance(input, limit.saturating_sub(*received), self.limits.max_head_len)?;
                match step {
                    chunked::Step::Data { len } => {
                        *received += len as u32;
                        body_piece(input, skip, len, eof)
                    }
                    chunked::Step::NeedMore => body_piece(input, skip, 0, eof),
                    chunked::Step::End => {
                        self.state = State::Done;
                        Ok((skip, Decoded::End))
                    }
                }
            }
        }
    }

    /// Parses the head once it is in, then sets up the body. Interim (1xx)
    /// responses are consumed and skipped.
    ///
    /// httparse parses at the first look at a response's bytes (where the
    /// whole head usually is); if the head is not complete yet, the bytes that
    /// arrive next are searched for the empty line that ends it, and httparse
    /// runs again only once one is there: each byte is searched once, and a
    /// trickled head is never parsed over and over.
    fn head<'i>(&mut self, input: &'i [u8], eof: bool) -> Result<(usize, Decoded<'i>), DecodeError> {
        let mut skipped = 0;
        loop {
            let rest = input.get(skipped..).unwrap_or_default();
            // The bytes so far, up to five, must start "HTTP/".
            if !rest.iter().zip(b"HTTP/").all(|(a, b)| a == b) {
                return Err(DecodeError::NotHttp);
            }
            let window = rest.get(..self.limits.max_head_len).unwrap_or(rest);
            let State::Head { scanned, .. } = &mut self.state else { return Ok((skipped, Decoded::NeedMore)) };
            // At the end of the input or the limit, httparse says what is wrong
            // with a head that never ended: the same error whatever the splits.
            let last_look = eof || window.len() == self.limits.max_head_len;
            let parse = match *scanned {
                0 => !window.is_empty(),
                from => last_look || ends_head(window, from),
            };
            let parsed = if parse { parse_head(window, self.limits)? } else { None };
            let Some(head) = parsed else {
                *scanned = window.len();
                if window.len() == self.limits.max_head_len {
                    return Err(DecodeError::HeadTooLarge);
                }
                let nothing_seen = rest.is_empty() && self.state == HEAD_START;
                return match (eof, nothing_seen) {
                    (true, true) => Err(DecodeError::UnexpectedEof(EofPhase::BeforeResponse)),
                    (true, false) => Err(DecodeError::UnexpectedEof(EofPhase::Head)),
                    (false, _) => Ok((skipped, Decoded::NeedMore)),
                };
            };
            let end = head.len;
            self.state = match (head.status, head.framing) {
                (101, _) => return Err(DecodeError::UnexpectedSwitch),
                (100..=199, _) => {
                    skipped += end;
                    State::Head { scanned: 0, after_interim: true }
                }
                (_, Framing::ContentLength(n)) => State::Length { remaining: n },
                (_, Framing::Chunked) => State::Chunked { chunked: Chunked::new(), received: 0 },
                (_, Framing::CloseDelimited) => State::Close { received: 0 },
                (_, Framing::Empty) => State::Length { remaining: 0 },
            };
            if !matches!(self.state, State::Head { .. }) {
                return Ok((skipped + end, Decoded::Head(head.moved(0, skipped))));
            }
        }
    }
}

/// True when the bytes of `window` from `from` on hold the empty line that ends
/// a head ("\n\n" or "\n\r\n"); the bytes before `from` are still there to look
/// back at, so no state is carried between calls.
fn ends_head(window: &[u8], from: usize) -> bool {
    let mut from = from;
    while let Some(at) = find_newline(window.get(from..).unwrap_or_default()) {
        let i = from + at;
        // The two bytes before the '\n' (0 where there is none).
        let (before2, before1) = match i.checked_sub(2).and_then(|j| window.get(j..i)) {
            Some(&[before2, before1]) => (before2, before1),
            _ => (0, i.checked_sub(1).and_then(|j| window.get(j)).copied().unwrap_or(0)),
        };
        if before1 == b'\n' || (before1 == b'\r' && before2 == b'\n') {
            return true;
        }
        from = i + 1;
    }
    false
}

/// A body event for `len` bytes after `skip` framing bytes (no event when `len` is 0).
fn body_piece(input: &[u8], skip: usize, len: usize, eof: bool) -> Result<(usize, Decoded<'_>), DecodeError> {
    match input.get(skip..skip + len) {
        Some(piece) if len > 0 => Ok((skip + len, Decoded::Body(piece))),
        _ if eof => Err(DecodeError::UnexpectedEof(EofPhase::Body)),
        _ => Ok((skip, Decoded::NeedMore)),
    }
}

// Not inlined: its header array is on the stack only while a head is parsed,
// not in every frame of the decoding loop.
#[inline(never)]
/// The head at the start of `input`, or `None` while it is incomplete.
fn parse_head(input: &[u8], limits: Limits) -> Result<Option<ResponseHead>, DecodeError> {
    // Slots httparse fills, not initialized first.
    let mut headers = [const { core::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let config = httparse::ParserConfig::default();
    let bytes = match config.parse_response_with_uninit_headers(&mut response, input, &mut headers) {
        Ok(httparse::Status::Complete(n)) => input.get(..n).unwrap_or(input),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(head_error(e)),
    };
    let status = response.code.unwrap_or_default();
    let minor_version = response.version.unwrap_or_default();
    let span_of = |part: &[u8]| {
        let start = (part.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize).min(bytes.len());
        Span { start, end: start + part.len() }
    };
    let reason = span_of(response.reason.unwrap_or_default().as_bytes());

    let mut content_length: Option<u64> = None;
    let mut chunked = None;
    let mut token_ttl: Option<u32> = None;
    let mut retry_after: Option<u32> = None;
    let mut date = None;
    let mut content_type = None;
    let (mut close, mut keep_alive) = (false, false);
    for header in response.headers.iter() {
        let (name, value) = (header.name, header.value);
        // Each name this decoder reads has its own length: one comparison per field.
        let wanted = match name.len() {
            4 => "date",
            10 => "connection",
            11 => "retry-after",
            12 => "content-type",
            14 => "content-length",
            17 => "transfer-encoding",
            36 => "x-aws-ec2-metadata-token-ttl-seconds",
            _ => continue,
        };
        if !is_name(name.as_bytes(), wanted.as_bytes()) {
            continue;
        }
        if name.len() == 14 {
            if let Some(n) = parse_decimal(value) {
                // The usual field: one number.
                if content_length.replace(n).is_some_and(|old| old != n) {
                    return Err(DecodeError::InvalidContentLength);
                }
                continue;
            }
            let (mut items, mut probe) = (value, value);
            if next_item(&mut probe).is_none() {
                return Err(DecodeError::InvalidContentLength);
            }
            while let Some(item) = next_item(&mut items) {
                let n = parse_decimal(item).ok_or(DecodeError::InvalidContentLength)?;
                if content_length.replace(n).is_some_and(|old| old != n) {
                    return Err(DecodeError::InvalidContentLength);
                }
            }
        } else if name.len() == 17 {
            // Only a single `chunked` coding is understood: anything else, a
            // second coding or a second field cannot be decoded.
            let mut codings = 0;
            let mut all_chunked = chunked.is_none();
            let mut items = value;
            while let Some(coding) = next_item(&mut items) {
                codings += 1;
                all_chunked &= is_name(coding, b"chunked");
            }
            chunked = Some(all_chunked && codings == 1);
        } else if name.len() == 10 {
            if is_name(value, b"close") {
                close = true; // the usual field
                continue;
            }
            let mut items = value;
            while let Some(option) = next_item(&mut items) {
                close |= is_name(option, b"close");
                keep_alive |= is_name(option, b"keep-alive");
            }
        } else if name.len() == 4 {
            date = Some(span_of(trim(value))).filter(|span| span.end - span.start == 29);
        } else if name.len() == 11 {
            retry_after = parse_decimal(trim(value)).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        } else if name.len() == 36 {
            let ttl =
                parse_decimal(trim(value)).and_then(|n| u32::try_from(n).ok()).ok_or(DecodeError::InvalidTokenTtl)?;
            if token_ttl.replace(ttl).is_some_and(|old| old != ttl) {
                return Err(DecodeError::InvalidTokenTtl);
            }
        } else if content_type.is_none() {
            content_type = Some(span_of(trim(value)));
        }
    }

    let framing = match (status, chunked, content_length) {
        (204 | 304 | 100..=199, _, _) => Framing::Empty,
        (_, Some(_), Some(_)) => return Err(DecodeError::ConflictingFraming),
        (_, Some(true), None) if minor_version == 1 => Framing::Chunked,
        (_, Some(_), None) => return Err(DecodeError::UnsupportedTransferEncoding),
        (_, None, Some(n)) => match u32::try_from(n) {
            Ok(n) if n <= limits.max_body_len => Framing::ContentLength(n),
            _ => return Err(DecodeError::BodyTooLarge),
        },
        (_, None, None) => Framing::CloseDelimited,
    };
    let keep_alive = !close && (minor_version == 1 || keep_alive) && framing != Framing::CloseDelimited;
    Ok(Some(ResponseHead {
        status,
        minor_version,
        reason,
        content_type,
        token_ttl,
        retry_after,
        date,
        keep_alive,
        framing,
        len: bytes.len(),
    }))
}

fn head_error(e: httparse::Error) -> DecodeError {
    DecodeError::MalformedHead(match e {
        httparse::Error::TooManyHeaders => return DecodeError::TooManyHeaders,
        httparse::Error::Version => HeadError::Version,
        httparse::Error::Status => HeadError::Status,
        httparse::Error::HeaderName => HeadError::HeaderName,
        httparse::Error::HeaderValue => HeadError::HeaderValue,
        httparse::Error::NewLine => HeadError::NewLine,
        httparse::Error::Token => HeadError::Token,
    })
}

/// The offset of the first `\n` in `bytes`, a word at a time (SWAR: a word
/// holds a `\n` when `(w ^ LF) - 0x01..` borrows into a high bit that was clear).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const WORD: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::MAX / 255;
    const HIGHS: usize = ONES << 7;
    let mut words = bytes.chunks_exact(WORD);
    let mut offset = 0;
    for word in words.by_ref() {
        let w = word.try_into().map_or(0, usize::from_ne_bytes) ^ (ONES * usize::from(b'\n'));
        if w.wrapping_sub(ONES) & !w & HIGHS != 0 {
            break;
        }
        offset += WORD;
    }
    let at = bytes.get(offset..)?.iter().position(|&b| b == b'\n')?;
    Some(offset + at)
}

/// A field name, or a token in a field value, equals `lower` (lower-case
/// letters, digits and `-`), ignoring case ([`crate::text::eq_name`]: the
/// bytes a digit or `-` would be taken for are control bytes, which httparse
/// refuses in names and values).
fn is_name(name: &[u8], lower: &[u8]) -> bool {
    crate::text::eq_name(name, lower, true)
}

/// The next item of a comma-separated field value, trimmed (empty items
/// skipped), taken off the front of `rest`; `None` at its end. One plain
/// function for every list field (an iterator chain would be inlined into
/// each).
fn next_item<'v>(rest: &mut &'v [u8]) -> Option<&'v [u8]> {
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        let item = trim(rest.get(..end).unwrap_or_default());
        *rest = rest.get(end + 1..).unwrap_or_default();
        if !item.is_empty() {
            return Some(item);
        }
    }
    None
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Plain decimal digits (1 to 19 of them) as a `u64`, or `None`. Nineteen
/// digits never overflow 64 bits, so the sums need no checks.
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        (digit < 10).then(|| n.wrapping_mul(10).wrapping_add(u64::from(digit)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_only() {
        extern crate std;
        let head = |field: &str| {
            let bytes = std::format!("HTTP/1.1 429 Too Many Requests\r\n{field}Content-Length: 0\r\n\r\n");
            let mut decoder = Decoder::new(Limits::DEFAULT);
            match decoder.decode(bytes.as_bytes(), false) {
                Ok((_, Decoded::Head(head))) => head.retry_after,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(head("Retry-After: 2\r\n"), Some(2));
        assert_eq!(head("retry-after:  120 \r\n"), Some(120));
        assert_eq!(head("Retry-After: 99999999999\r\n"), Some(u32::MAX), "saturated, not wrapped");
        assert_eq!(head("Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n"), None, "an HTTP-date is not taken");
        assert_eq!(head("Retry-After: -1\r\n"), None);
        assert_eq!(head(""), None);
    }

    #[test]
    fn newline_search_matches_a_byte_loop_at_every_offset_and_length() {
        let mut bytes = [b'a'; 40];
        for len in 0..bytes.len() {
            for at in 0..=len {
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = b'\n';
                }
                let input = &bytes[..len];
                assert_eq!(find_newline(input), input.iter().position(|&b| b == b'\n'), "{len} {at}");
                // Bytes next to a newline ("\n" ^ 0x01 = 0x0b) are not one.
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = 0x0b;
                }
                assert_eq!(find_newline(&bytes[..len]), None);
                if let Some(slot) = bytes.get_mut(at) {
                    *slot = b'a';
                }
            }
        }
        assert_eq!(find_newline(b"\x8a\x0a"), Some(1), "a high byte before it");
    }

    #[test]
    fn head_ends_are_found_from_any_offset() {
        // What ends_head means: a '\n' at or after `from` that follows "\n" or "\n\r".
        let reference = |window: &[u8], from: usize| {
            (from..window.len()).any(|i| {
                let at = |back: usize| i.checked_sub(back).and_then(|j| window.get(j)).copied();
                at(0) == Some(b'\n') && (at(1) == Some(b'\n') || (at(1) == Some(b'\r') && at(2) == Some(b'\n')))
            })
        };
        for end in [&b"\n\n"[..], b"\r\n\r\n", b"\n\r\n", b"\r\n", b"\n", b"\r\r\n", b"\n\r\r\n"] {
            for at in 0..8 {
                let mut window = [b'a'; 12].to_vec();
                window.splice(at..at, end.iter().copied());
                for from in 0..=window.len() + 1 {
                    assert_eq!(ends_head(&window, from), reference(&window, from), "{end:?} at {at}, from {from}");
                }
            }
        }
    }

    #[test]
    fn decimals_of_up_to_nineteen_digits() {
        assert_eq!(parse_decimal(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(parse_decimal(b"0000000000000000019"), Some(19));
        assert_eq!(parse_decimal(b"0"), Some(0));
        for bad in [&b""[..], b"99999999999999999999", b"1a", b"-1", b"+1", b" 1", b"1/", b"1:"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn value_tokens_match_as_ascii_case_insensitive_comparison_does() {
        // Every byte httparse accepts in a field value, at every place.
        let value_bytes = (0..=u8::MAX).filter(|&b| b == b'\t' || b >= b' ' && b != 0x7f);
        for wanted in ["chunked", "close", "keep-alive"] {
            for at in 0..wanted.len() {
                for byte in value_bytes.clone() {
                    let mut value = wanted.as_bytes().to_vec();
                    value[at] = byte;
                    assert_eq!(is_name(&value, wanted.as_bytes()), value.eq_ignore_ascii_case(wanted.as_bytes()));
                }
            }
        }
    }

    #[test]
    fn field_names_match_in_any_case_and_only_themselves() {
        extern crate std;
        use std::vec::Vec;
        for wanted in [
            "close",
            "chunked!",
            "connection",
            "content-type",
            "content-length",
            "transfer-encoding",
            "x-aws-ec2-metadata-token-ttl-seconds",
        ] {
            let upper: Vec<u8> = wanted.bytes().map(|b| b.to_ascii_uppercase()).collect();
            assert!(is_name(wanted.as_bytes(), wanted.as_bytes()) && is_name(&upper, wanted.as_bytes()), "{wanted}");
            for at in 0..wanted.len() {
                let mut other = upper.clone();
                other[at] ^= 0x01;
                assert!(!is_name(&other, wanted.as_bytes()), "{wanted} with byte {at} changed");
            }
            assert!(!is_name(&upper[1..], wanted.as_bytes()), "shorter");
        }
    }
}
