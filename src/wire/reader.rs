//! The caller's receive buffer, managed for one response: read into
//! [`Reader::spare`], report with [`Reader::received`] or [`Reader::eof`], then
//! [`Reader::poll`] until it says [`Progress::NeedMore`].
//!
//! Two disciplines, chosen up front with [`BodyMode`]:
//! - [`BodyMode::Contiguous`]: the body is gathered right behind the head,
//!   chunked bodies de-chunked in place, so the whole body ends up as one slice
//!   ([`Response::body`]). A Content-Length that cannot fit is refused as soon as
//!   the head is in.
//! - [`BodyMode::Streaming`]: each body piece is handed out once
//!   ([`Progress::Piece`]) and its room reused, so a 16 KiB body passes through a
//!   1 KiB buffer.
//!
//! Once parsed, the head is compacted to what [`Response`] shows from it (the
//! reason phrase, the Content-Type and the Date); the rest of its room goes to the body.
//! On 64-bit targets, a contiguous body whose Content-Length fits behind the
//! head as received needs none of that room, and then nothing moves (the
//! common case: the buffer is larger than the response). So a buffer of
//! `max_head_len + max_body_len` bytes takes the largest head with the largest
//! body in every framing, with room to spare for the last chunk's framing and
//! for seeing the end of a close-delimited body.

use core::fmt;
use core::ops::Range;

use super::error::DecodeError;
use super::response::{Decoded, Decoder, Limits, ResponseHead, Span};
use crate::buffer::BufferTooSmall;

/// How a body is delivered: [`Client::get`](crate::Client::get)'s choice, and
/// [`Reader`]'s. Defined here, below the session; `imds::BodyMode` at the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyMode {
    /// The whole body as one slice of the receive buffer, behind the head.
    Contiguous,
    /// The body as a sequence of pieces ([`Action::Piece`](crate::Action::Piece)), each valid until the
    /// next call; the receive buffer only needs to hold the head.
    Streaming,
}

/// What [`Reader::poll`] found.
///
/// `Debug` (and defmt) show a piece's length, never its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Progress<'b> {
    /// Read more into [`Reader::spare`] (or report the end), then poll again.
    NeedMore,
    /// The head is complete (once per response); [`Reader::response`] shows it.
    Head(ResponseHead),
    /// A piece of the body ([`BodyMode::Streaming`] only), valid until the next call.
    Piece(&'b [u8]),
    /// The response is complete; [`Reader::response`] has it all.
    Complete,
}

impl fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::NeedMore => f.write_str("NeedMore"),
            Progress::Head(head) => f.debug_tuple("Head").field(head).finish(),
            Progress::Piece(piece) => write!(f, "Piece(<{} bytes>)", piece.len()),
            Progress::Complete => f.write_str("Complete"),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Progress<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Progress::NeedMore => defmt::write!(f, "NeedMore"),
            Progress::Head(head) => defmt::write!(f, "Head({})", head),
            Progress::Piece(piece) => defmt::write!(f, "Piece(<{=usize} bytes>)", piece.len()),
            Progress::Complete => defmt::write!(f, "Complete"),
        }
    }
}

/// [`Progress`] with a piece as a range of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Advance {
    NeedMore,
    Head(ResponseHead),
    Piece(Range<usize>),
    Complete,
}

/// What happens to the body once the head is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Gathered behind the head ([`BodyMode::Contiguous`]).
    Keep,
    /// Handed out in pieces ([`BodyMode::Streaming`]).
    Stream,
    /// Consumed and dropped: nobody wants it (an error page).
    Discard,
}

impl Body {
    /// What `mode` does with a body.
    pub(crate) const fn of(mode: BodyMode) -> Body {
        match mode {
            BodyMode::Contiguous => Body::Keep,
            BodyMode::Streaming => Body::Stream,
        }
    }
}

/// Why the reader could not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReadError {
    /// The buffer is full: it cannot hold the head (and, in contiguous mode, the
    /// body). The size is exact when a Content-Length gave it.
    BufferTooSmall(BufferTooSmall),
    /// [`Reader::received`] reported more bytes than [`Reader::spare`] offered.
    Overrun,
    /// The buffer passed is shorter than the bytes already received into it: pass
    /// the same buffer to every call.
    BufferShrunk,
    /// The response itself is bad.
    Decode(DecodeError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::BufferTooSmall(e) => write!(f, "receive {e}"),
            ReadError::Overrun => f.write_str("received more bytes than the spare room offered"),
            ReadError::BufferShrunk => f.write_str("receive buffer shorter than the bytes received into it"),
            ReadError::Decode(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for ReadError {}

impl From<DecodeError> for ReadError {
    fn from(e: DecodeError) -> Self {
        ReadError::Decode(e)
    }
}

/// Receives one response into a caller buffer. No allocation, no lifetime.
///
/// Buffer layout: `[0, head_kept)` the compacted head; `[head_kept, kept)` the
/// body so far (contiguous mode); `[kept, raw)` consumed framing, free to reuse;
/// `[raw, filled)` received bytes not decoded yet. Pass the same buffer to every call.
///
/// Laid out in order (`repr(C)`), `body` between the counters: no run of zero
/// bytes to start it is long enough for a small target's compiler to call
/// `memset` (0.2 KiB of flash on a Cortex-M).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Reader {
    decoder: Decoder,
    head: Option<ResponseHead>,
    head_kept: usize,
    kept: usize,
    raw: usize,
    body: Body,
    filled: usize,
    offered: usize,
    eof: bool,
    complete: bool,
    /// Pieces of the body were handed out (streaming).
    delivered: bool,
}

impl Reader {
    /// A reader for one response.
    // Not inlined: built where the caller's place is (an `Operation` field), not
    // aside and copied (a `memcpy`, and 0.7 KiB of it, on small targets).
    #[inline(never)]
    pub const fn new(limits: Limits, mode: BodyMode) -> Reader {
        Reader {
            decoder: Decoder::new(limits),
            body: Body::of(mode),
            head: None,
            head_kept: 0,
            kept: 0,
            raw: 0,
            filled: 0,
            offered: 0,
            eof: false,
            complete: false,
            delivered: false,
        }
    }

    /// Forgets everything, ready for the next response.
    pub fn reset(&mut self) {
        let mode = match self.body {
            Body::Keep => BodyMode::Contiguous,
            Body::Stream | Body::Discard => BodyMode::Streaming,
        };
        self.restart(self.decoder.limits(), mode);
    }

    /// [`Reader::new`] in place, field by field: an assignment of a new reader
    /// would build it aside and copy it.
    pub(crate) fn restart(&mut self, limits: Limits, mode: BodyMode) {
        let Reader { decoder, body, head, head_kept, kept, raw, filled, offered, eof, complete, delivered } = self;
        *decoder = Decoder::new(limits);
        *body = Body::of(mode);
        *head = None;
        (*head_kept, *kept, *raw, *filled, *offered) = (0, 0, 0, 0, 0);
        (*eof, *complete, *delivered) = (false, false, false);
    }

    /// The room to read into, after reclaiming what earlier pieces and framing used.
    pub fn spare<'b>(&mut self, buf: &'b mut [u8]) -> Result<&'b mut [u8], ReadError> {
        self.check_buffer(buf)?;
        if self.raw > self.kept {
            move_within(buf, self.raw..self.filled, self.kept);
            self.filled -= self.raw - self.kept;
            self.raw = self.kept;
        }
        let spare = buf.get_mut(self.filled..).unwrap_or_default();
        if spare.is_empty() && !self.complete {
            let required = self.required().unwrap_or(self.filled.saturating_add(1));
            return Err(ReadError::BufferTooSmall(BufferTooSmall { required }));
        }
        self.offered = spare.len();
        Ok(spare)
    }

    /// Reports that `n` bytes were written at the start of the last [`Reader::spare`].
    pub fn received(&mut self, n: usize) -> Result<(), ReadError> {
        if n > self.offered {
            return Err(ReadError::Overrun);
        }
        self.offered -= n;
        self.filled += n;
        Ok(())
    }

    /// Reports that the connection ended: no bytes will follow.
    pub fn eof(&mut self) {
        self.eof = true;
    }

    /// Decodes what was received; call until it returns [`Progress::NeedMore`]
    /// (or [`Progress::Complete`], which it then keeps returning).
    pub fn poll<'b>(&mut self, buf: &'b mut [u8]) -> Result<Progress<'b>, ReadError> {
        Ok(match self.advance(buf)? {
            Advance::NeedMore => Progress::NeedMore,
            Advance::Head(head) => {
                self.check_fit(buf.len())?;
                Progress::Head(head)
            }
            Advance::Piece(range) => Progress::Piece(buf.get(range).unwrap_or_default()),
            Advance::Complete => Progress::Complete,
        })
    }

    /// [`Reader::poll`] with the piece as a range of `buf`, so a caller can keep
    /// polling in a loop without holding a borrow of `buf`. The fit of a
    /// contiguous body is not checked at the head: the caller decides what to do
    /// with the body first ([`Reader::set_body`]).
    #[inline]
    pub(crate) fn advance(&mut self, buf: &mut [u8]) -> Result<Advance, ReadError> {
        if self.complete {
            return Ok(Advance::Complete);
        }
        self.check_buffer(buf)?;
        if self.raw == self.filled && !self.eof && self.decoder.awaits_head() {
            return Ok(Advance::NeedMore); // nothing to look at yet (right after sending)
        }
        loop {
            let input = buf.get(self.raw..self.filled).unwrap_or_default();
            let (consumed, decoded) = self.decoder.decode(input, self.eof)?;
            let start = self.raw;
            self.raw += consumed;
            match decoded {
                Decoded::NeedMore => return Ok(Advance::NeedMore),
                Decoded::End => {
                    self.complete = true;
                    return Ok(Advance::Complete);
                }
                Decoded::Head(head) => return Ok(Advance::Head(self.keep_head(buf, start, head))),
                Decoded::Body(piece) => {
                    let piece = self.raw - piece.len()..self.raw;
                    match self.body {
                        Body::Stream => {
                            self.delivered = true;
                            return Ok(Advance::Piece(piece));
                        }
                        Body::Keep => {
                            let len = piece.len();
                            move_within(buf, piece, self.kept);
                            self.kept += len;
                        }
                        Body::Discard => {}
                    }
                }
            }
        }
    }

    /// Decides what happens to the body, once the head is in (before any body
    /// byte was decoded); a contiguous body whose Content-Length cannot fit in
    /// `buf_len` bytes is refused at once.
    pub(crate) fn set_body(&mut self, body: Body, buf_len: usize) -> Result<(), ReadError> {
        self.body = body;
        self.check_fit(buf_len)
    }

    /// Lowers the body limit (for a token, which is short).
    pub(crate) fn limit_body(&mut self, max_body_len: u32) {
        self.decoder.limit_body(max_body_len);
    }

    /// True once a piece of the body was handed out.
    pub(crate) fn delivered(&self) -> bool {
        self.delivered
    }

    /// The range of the body in the buffer (contiguous mode).
    pub(crate) fn body_range(&self) -> Range<usize> {
        self.head_kept..self.kept
    }

    /// The head, once it is in.
    pub(crate) fn head(&self) -> Option<ResponseHead> {
        self.head
    }

    /// Zeroes every received byte behind the head (the body, and the framing
    /// and copies left behind by de-chunking): for a token's response.
    pub(crate) fn wipe_body(&self, buf: &mut [u8]) {
        if let Some(received) = buf.get_mut(self.head_kept..self.filled) {
            crate::buffer::wipe(received);
        }
    }

    fn check_fit(&self, buf_len: usize) -> Result<(), ReadError> {
        match self.required() {
            Some(required) if required > buf_len => Err(ReadError::BufferTooSmall(BufferTooSmall { required })),
            _ => Ok(()),
        }
    }

    fn check_buffer(&self, buf: &[u8]) -> Result<(), ReadError> {
        match self.filled <= buf.len() {
            true => Ok(()),
            false => Err(ReadError::BufferShrunk),
        }
    }

    /// Records a just-decoded head with buffer offsets, compacted to its
    /// reason phrase, Content-Type and Date at `kept` unless its body fits behind it.
    fn keep_head(&mut self, buf: &mut [u8], input_start: usize, head: ResponseHead) -> ResponseHead {
        // A body whose Content-Length fits behind the head as it came needs
        // none of the head's room: the head stays where it is, nothing moves.
        // A speed path (`WIDE`): on small targets its copies of the head cost
        // more flash (a `memcpy`) and stack than the moves it saves.
        let fits = crate::WIDE
            && matches!(self.body, Body::Keep)
            && head
                .content_length()
                .is_some_and(|n| (n as usize).checked_add(self.raw).is_some_and(|end| end <= buf.len()));
        let head = if fits {
            self.kept = self.raw;
            head.moved(0, input_start)
        } else {
            self.compact_head(buf, input_start, head)
        };
        self.head_kept = self.kept;
        self.head = Some(head);
        head
    }

    /// Moves the reason phrase, Content-Type and Date of a just-decoded head
    /// to `kept`: the head with buffer offsets.
    fn compact_head(&mut self, buf: &mut [u8], input_start: usize, head: ResponseHead) -> ResponseHead {
        // The reason phrase comes before the other fields in the head, and all
        // after `kept`: moving them in order never overwrites a source.
        let mut keep = |span: Span| {
            let from = input_start + span.start..input_start + span.end;
            let at = self.kept;
            self.kept += from.len();
            move_within(buf, from, at);
            Span { start: at, end: self.kept }
        };
        let reason = keep(head.reason);
        // Then the Content-Type and the Date, in the order they came.
        let (content_type, date) = match (head.content_type, head.date) {
            (Some(content_type), Some(date)) if date.start < content_type.start => {
                let date = keep(date);
                (Some(keep(content_type)), Some(date))
            }
            (content_type, date) => {
                let content_type = content_type.map(&mut keep);
                (content_type, date.map(keep))
            }
        };
        ResponseHead { reason, content_type, date, ..head }
    }

    /// The buffer size a contiguous body with a Content-Length needs.
    fn required(&self) -> Option<usize> {
        let head = self.head?;
        match self.body {
            Body::Keep => usize::try_from(head.content_length()?).ok()?.checked_add(self.head_kept),
            Body::Stream | Body::Discard => None,
        }
    }

    /// The response so far, once the head is in: its body is complete after
    /// [`Progress::Complete`] (and always empty in streaming mode).
    pub fn response<'b>(&self, buf: &'b [u8]) -> Option<Response<'b>> {
        let head = self.head?;
        let body = match self.body {
            Body::Keep => buf.get(self.body_range()).unwrap_or_default(),
            Body::Stream | Body::Discard => &[],
        };
        Some(Response {
            head,
            head_bytes: buf.get(..self.head_kept).unwrap_or_default(),
            body,
            complete: self.complete,
        })
    }

    /// True once the whole response was decoded.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Bytes received after the end of the response (a well-behaved server sends
    /// none; a connection with any should not be reused).
    pub fn trailing_len(&self) -> usize {
        match self.complete {
            true => self.filled - self.raw,
            false => 0,
        }
    }
}

/// Moves `buf[from]` to start at `to`, toward the front (the reader only ever
/// compacts).
fn move_within(buf: &mut [u8], from: Range<usize>, to: usize) {
    crate::buffer::move_to_front(buf, from.start, from.len(), to);
}

/// A view of a received response, borrowing the receive buffer.
///
/// `Debug` (and defmt) show the head and the body's length, never the body: it
/// may be a secret (a token, credentials).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Response<'b> {
    head: ResponseHead,
    head_bytes: &'b [u8],
    body: &'b [u8],
    complete: bool,
}

impl<'b> Response<'b> {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// The reason phrase (empty if the server sent none or it is not UTF-8).
    pub fn reason(&self) -> &'b str {
        core::str::from_utf8(self.head.reason.of(self.head_bytes)).unwrap_or_default()
    }

    /// The Content-Type value, as sent.
    pub fn content_type(&self) -> Option<&'b [u8]> {
        self.head.content_type.map(|span| span.of(self.head_bytes))
    }

    /// The `X-aws-ec2-metadata-token-ttl-seconds` value, if sent.
    pub fn token_ttl(&self) -> Option<u32> {
        self.head.token_ttl
    }

    /// Whether the connection may be reused after this response.
    pub fn keep_alive(&self) -> bool {
        self.head.keep_alive
    }

    /// Everything the head says; its spans index the receive buffer.
    pub fn head(&self) -> &ResponseHead {
        &self.head
    }

    /// The body (de-chunked): all of it once complete, in contiguous mode.
    pub fn body(&self) -> &'b [u8] {
        self.body
    }

    /// The body as UTF-8 text.
    pub fn body_str(&self) -> Result<&'b str, core::str::Utf8Error> {
        core::str::from_utf8(self.body)
    }

    /// True when the body is complete.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}

impl fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.head.status)
            .field("reason", &self.reason())
            .field("token_ttl", &self.head.token_ttl)
            .field("keep_alive", &self.head.keep_alive)
            .field("body_len", &self.body.len())
            .field("complete", &self.complete)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Response<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Response {{ status: {=u16}, token_ttl: {}, keep_alive: {=bool}, body_len: {=usize}, complete: {=bool} }}",
            self.head.status,
            self.head.token_ttl,
            self.head.keep_alive,
            self.body.len(),
            self.complete
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let mut buf = [0u8; 64];
        let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
        let spare = reader.spare(&mut buf).unwrap();
        spare[..12].copy_from_slice(b"HTTP/1.1 200");
        assert_eq!(reader.received(65), Err(ReadError::Overrun));
        reader.received(12).unwrap();
        assert_eq!(reader.received(53), Err(ReadError::Overrun));
        assert_eq!(reader.poll(&mut buf), Ok(Progress::NeedMore));
        assert_eq!(reader.poll(&mut buf[..4]), Err(ReadError::BufferShrunk));
        assert_eq!(reader.spare(&mut buf[..4]).map(|s| s.len()), Err(ReadError::BufferShrunk));
        assert_eq!(reader.spare(&mut buf).map(|s| s.len()), Ok(52));
        reader.eof();
        let eof = ReadError::Decode(DecodeError::UnexpectedEof(super::super::EofPhase::Head));
        assert_eq!(reader.poll(&mut buf), Err(eof));
        assert_eq!(reader.poll(&mut buf), Err(eof), "poisoned");
        reader.reset();
        assert_eq!(reader.poll(&mut buf), Ok(Progress::NeedMore));
    }

    #[test]
    fn the_head_is_compacted_to_reason_and_content_type() {
        let wire =
            b"HTTP/1.1 404 Not Found\r\nServer: EC2ws\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\ngone";
        // Two bytes short of the whole response: the head must give up its room.
        let mut buf = [0u8; 87];
        let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
        reader.spare(&mut buf).unwrap().copy_from_slice(&wire[..87]);
        reader.received(87).unwrap();
        assert!(matches!(reader.poll(&mut buf), Ok(Progress::Head(h)) if h.len == wire.len() - 4));
        assert_eq!(reader.poll(&mut buf), Ok(Progress::NeedMore));
        let spare = reader.spare(&mut buf).unwrap();
        spare[..2].copy_from_slice(&wire[87..]);
        reader.received(2).unwrap();
        assert_eq!(reader.poll(&mut buf), Ok(Progress::Complete));
        let response = reader.response(&buf).unwrap();
        assert_eq!(
            (response.reason(), response.content_type(), response.body()),
            ("Not Found", Some(&b"text/html"[..]), &b"gone"[..])
        );
        assert_eq!(&buf[..22], b"Not Foundtext/htmlgone", "18 bytes of head kept, not 86");
    }

    #[test]
    fn a_body_that_fits_behind_the_head_moves_nothing() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
        let mut buf = [0u8; 128];
        let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
        reader.spare(&mut buf).unwrap()[..wire.len()].copy_from_slice(wire);
        reader.received(wire.len()).unwrap();
        assert!(matches!(reader.poll(&mut buf), Ok(Progress::Head(_))));
        assert_eq!(reader.poll(&mut buf), Ok(Progress::Complete));
        let response = reader.response(&buf).unwrap();
        assert_eq!(
            (response.reason(), response.content_type(), response.body()),
            ("OK", Some(&b"text/plain"[..]), &b"hello"[..])
        );
        // On 64-bit targets the head stays as received; on small ones it is compacted.
        let moved = &buf[..wire.len()] != wire;
        assert_eq!(moved, !crate::WIDE);
    }

    #[test]
    fn the_date_is_kept_before_or_after_the_content_type() {
        let date = "Mon, 07 Dec 2026 20:34:00 GMT";
        for wire in [
            std::format!("HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"),
            std::format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: {date}\r\nContent-Length: 2\r\n\r\nhi"),
        ] {
            let mut buf = [0u8; 256];
            let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
            reader.spare(&mut buf).unwrap()[..wire.len()].copy_from_slice(wire.as_bytes());
            reader.received(wire.len()).unwrap();
            let Ok(Progress::Head(head)) = reader.poll(&mut buf) else { panic!("{wire}") };
            assert_eq!(reader.poll(&mut buf), Ok(Progress::Complete));
            assert_eq!(head.date.map(|span| span.of(&buf)), Some(date.as_bytes()), "{wire}");
            assert_eq!(reader.response(&buf).unwrap().content_type(), Some(&b"text/plain"[..]), "{wire}");
            assert_eq!(reader.response(&buf).unwrap().body(), b"hi");
        }
    }

    #[test]
    fn bodies_never_reach_debug() {
        let shown = std::format!("{:?}", Progress::Piece(b"wJalrXUtnFEMI/K7MDENG"));
        assert_eq!(shown, "Piece(<21 bytes>)");
    }
}
