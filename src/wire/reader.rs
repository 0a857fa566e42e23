//! The caller's receive buffer, managed for one response: read into
//! [`Reader::spare`], report with [`Reader::received`] or [`Reader::eof`], then
//! [`Reader::poll`] until it says [`Progress::NeedMore`].
//!
//! Two disciplines, chosen up front with [`BodyMode`]:
//! - [`BodyMode::Contiguous`]: the head stays at the front of the buffer and the
//!   body is gathered right behind it, chunked bodies de-chunked in place, so the
//!   whole body ends up as one slice ([`Response::body`]). A Content-Length that
//!   cannot fit is refused as soon as the head is in.
//! - [`BodyMode::Streaming`]: the head stays at the front; each body piece is handed
//!   out once ([`Progress::Piece`]) and its room reused, so a 16 KiB body passes
//!   through a 1 KiB buffer.

use core::fmt;

use super::response::{DecodeError, Decoded, Decoder, Framing, Limits, ResponseHead};

/// How the body is delivered; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyMode {
    /// The whole body as one slice of the buffer.
    Contiguous,
    /// The body as a sequence of pieces, each valid until the next call.
    Streaming,
}

/// What [`Reader::poll`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// [`Progress`] with a piece as a range of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Advance {
    NeedMore,
    Head(ResponseHead),
    Piece(core::ops::Range<usize>),
    Complete,
}

/// Why the reader could not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReadError {
    /// The buffer is full: it cannot hold the head (and, in contiguous mode, the
    /// body). `required` is the size needed when known (from Content-Length).
    BufferTooSmall {
        /// The buffer size the response needs, when known.
        required: Option<usize>,
    },
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
            ReadError::BufferTooSmall { required: Some(n) } => write!(f, "receive buffer too small: {n} bytes needed"),
            ReadError::BufferTooSmall { required: None } => f.write_str("receive buffer too small"),
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
/// Buffer layout: `[0, kept)` the head and (contiguous mode) the body so far;
/// `[kept, raw)` consumed framing, free to reuse; `[raw, filled)` received bytes
/// not decoded yet. Pass the same buffer to every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    decoder: Decoder,
    mode: BodyMode,
    head: Option<ResponseHead>,
    kept: usize,
    raw: usize,
    filled: usize,
    offered: usize,
    eof: bool,
    complete: bool,
}

impl Reader {
    /// A reader for one response.
    pub const fn new(limits: Limits, mode: BodyMode) -> Reader {
        Reader {
            decoder: Decoder::new(limits),
            mode,
            head: None,
            kept: 0,
            raw: 0,
            filled: 0,
            offered: 0,
            eof: false,
            complete: false,
        }
    }

    /// Forgets everything, ready for the next response.
    pub fn reset(&mut self) {
        *self = Reader::new(self.decoder.limits(), self.mode);
    }

    /// The body mode chosen at construction.
    pub fn mode(&self) -> BodyMode {
        self.mode
    }

    /// The room to read into, after reclaiming what earlier pieces and framing used.
    pub fn spare<'b>(&mut self, buf: &'b mut [u8]) -> Result<&'b mut [u8], ReadError> {
        self.check_buffer(buf)?;
        if self.raw > self.kept {
            buf.copy_within(self.raw..self.filled, self.kept);
            self.filled -= self.raw - self.kept;
            self.raw = self.kept;
        }
        let spare = buf.get_mut(self.filled..).unwrap_or_default();
        if spare.is_empty() && !self.complete {
            return Err(ReadError::BufferTooSmall { required: self.required() });
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
            Advance::Head(head) => Progress::Head(head),
            Advance::Piece(range) => Progress::Piece(buf.get(range).unwrap_or_default()),
            Advance::Complete => Progress::Complete,
        })
    }

    /// [`Reader::poll`] with the piece as a range of `buf`, so a caller can keep
    /// polling in a loop without holding a borrow of `buf`.
    pub(crate) fn advance(&mut self, buf: &mut [u8]) -> Result<Advance, ReadError> {
        if self.complete {
            return Ok(Advance::Complete);
        }
        self.check_buffer(buf)?;
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
                Decoded::Head(head) => {
                    let head = self.keep_head(buf, start, head);
                    if let (BodyMode::Contiguous, Framing::ContentLength(n)) = (self.mode, head.framing) {
                        let required = usize::try_from(n).ok().and_then(|n| n.checked_add(self.kept));
                        if required.is_none_or(|r| r > buf.len()) {
                            return Err(ReadError::BufferTooSmall { required });
                        }
                    }
                    return Ok(Advance::Head(head));
                }
                Decoded::Body(piece) => {
                    let len = piece.len();
                    let from = self.raw - len;
                    match self.mode {
                        BodyMode::Streaming => return Ok(Advance::Piece(from..self.raw)),
                        BodyMode::Contiguous => {
                            buf.copy_within(from..self.raw, self.kept);
                            self.kept += len;
                        }
                    }
                }
            }
        }
    }

    fn check_buffer(&self, buf: &[u8]) -> Result<(), ReadError> {
        match self.filled <= buf.len() {
            true => Ok(()),
            false => Err(ReadError::BufferShrunk),
        }
    }

    /// Moves a just-decoded head to `kept` and records it with buffer offsets.
    fn keep_head(&mut self, buf: &mut [u8], input_start: usize, head: ResponseHead) -> ResponseHead {
        let from = self.raw - head.len;
        buf.copy_within(from..self.raw, self.kept);
        let head = head.moved(from - input_start, self.kept);
        self.kept += head.len;
        self.head = Some(head);
        head
    }

    fn required(&self) -> Option<usize> {
        let head = self.head?;
        match self.mode {
            BodyMode::Contiguous => usize::try_from(head.content_length()?).ok()?.checked_add(head.len),
            BodyMode::Streaming => None,
        }
    }

    /// The response so far, once the head is in: its body is complete after
    /// [`Progress::Complete`] (and always empty in streaming mode).
    pub fn response<'b>(&self, buf: &'b [u8]) -> Option<Response<'b>> {
        let head = self.head?;
        let body = buf.get(head.len..self.kept).unwrap_or_default();
        Some(Response { head, head_bytes: buf.get(..head.len).unwrap_or_default(), body, complete: self.complete })
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

/// A view of a received response, borrowing the receive buffer.
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

    /// Everything the head says.
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
    /// Shows the head and the body's length, never the body: it may be a secret
    /// (a token, credentials).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
