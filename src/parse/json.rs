//! A strict JSON scanner (RFC 8259) for the service's documents: no allocation,
//! zero-copy, one left-to-right pass.
//!
//! [`parse`] checks a whole document in one pass and returns its root
//! [`Value`]; reading the value afterwards cannot fail (it reads the checked
//! bytes again, lazily, as far as you go). Strings are borrowed raw
//! ([`JsonStr`]): compare them, print them or [`JsonStr::unescape_into`] a
//! buffer of yours; escapes are decoded only then.
//!
//! Refused, each with the byte offset where it was found ([`JsonError`]): any
//! syntax error; escapes other than `\" \\ \/ \b \f \n \r \t \uXXXX`; a lone or
//! mismatched UTF-16 surrogate; invalid UTF-8; a control byte in a string;
//! leading zeros, bare `-`, `1.` or `1e`; bytes after the document; a key that
//! repeats one of its object (`"a"` and `"\u0061"` are the same key); nesting
//! deeper than [`JsonLimits::max_depth`]; more than [`MAX_OPEN_KEYS`] keys in
//! the objects open at one time (an object's own, and those of the objects it
//! is inside), which bounds the duplicate check.
//!
//! The work is linear in the document on every input: each byte is looked at
//! once (strings a machine word at a time), nesting is a bit per level (no
//! recursion, so no stack per level), and a key is compared only with the
//! keys before it in its object, at most [`MAX_OPEN_KEYS`] of them, by their
//! offsets, never by reading their values again.

use core::fmt;

use crate::buffer::BufferTooSmall;

/// Keys the duplicate check of [`parse`] holds at once: the members of the
/// objects open at one time, counted together (an object's keys leave when it
/// closes). 64 entries of a key's position and depth: 768 bytes of stack on a
/// 32-bit target, 1.5 KiB on a 64-bit one, while [`parse`] runs.
pub const MAX_OPEN_KEYS: usize = 64;

/// Bounds on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JsonLimits {
    /// Deepest nesting of arrays and objects (the root counts as 1; 0 allows
    /// only a scalar). Default 16. Every value holds, 255 included: nesting
    /// costs a bit per level, not stack.
    pub max_depth: u8,
}

impl JsonLimits {
    /// Depth 16: far beyond any of the service's documents (they nest 2 deep).
    pub const DEFAULT: JsonLimits = JsonLimits { max_depth: 16 };
}

impl Default for JsonLimits {
    fn default() -> Self {
        JsonLimits::DEFAULT
    }
}

/// Why a document was refused, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JsonError {
    /// Byte offset in the document.
    pub offset: usize,
    /// What is wrong there.
    pub kind: JsonErrorKind,
}

/// What is wrong with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The document ends inside a value (or is empty).
    UnexpectedEnd,
    /// This byte cannot be here.
    UnexpectedByte(u8),
    /// A number not in JSON's grammar (`01`, `-`, `1.`, `1e`, `1.5.2`).
    InvalidNumber,
    /// A backslash escape JSON does not have.
    InvalidEscape,
    /// `\u` not followed by four hex digits.
    InvalidUnicodeEscape,
    /// A UTF-16 surrogate escape without its pair.
    LoneSurrogate,
    /// A control byte (below 0x20) inside a string.
    ControlInString,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// Something other than whitespace after the document.
    TrailingBytes,
    /// A key seen before in the same object.
    DuplicateKey,
    /// Nesting deeper than [`JsonLimits::max_depth`].
    TooDeep,
    /// More than [`MAX_OPEN_KEYS`] keys in the objects open at once (for a
    /// typed document: more keys it does not know than it keeps, see
    /// [`crate::parse::DocumentError`]).
    TooManyMembers,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            JsonErrorKind::UnexpectedEnd => "the document ends too early",
            JsonErrorKind::UnexpectedByte(b) => return write!(f, "unexpected byte 0x{b:02x} at byte {}", self.offset),
            JsonErrorKind::InvalidNumber => "invalid number",
            JsonErrorKind::InvalidEscape => "invalid escape",
            JsonErrorKind::InvalidUnicodeEscape => "invalid \\u escape",
            JsonErrorKind::LoneSurrogate => "unpaired UTF-16 surrogate",
            JsonErrorKind::ControlInString => "control byte in a string",
            JsonErrorKind::InvalidUtf8 => "invalid UTF-8",
            JsonErrorKind::TrailingBytes => "bytes after the document",
            JsonErrorKind::DuplicateKey => "duplicate key",
            JsonErrorKind::TooDeep => "nested too deep",
            JsonErrorKind::TooManyMembers => "too many keys in the open objects",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for JsonError {}

/// Checks `document` with [`JsonLimits::DEFAULT`] and returns its root value.
pub fn parse(document: &[u8]) -> Result<Value<'_>, JsonError> {
    parse_with(document, JsonLimits::DEFAULT)
}

/// Checks `document` within `limits`, in one pass, and returns its root value.
pub fn parse_with(document: &[u8], limits: JsonLimits) -> Result<Value<'_>, JsonError> {
    let mut scanner = Scanner::new(document, limits.max_depth);
    let mut table = KeyTable::<MAX_OPEN_KEYS>::new();
    let first = scanner.next()?;
    let value = scanner.value(first, Some(&mut Keys::new(&mut table)))?;
    scanner.end()?;
    Ok(value)
}

/// One token of a document. A key's or a string's text is the scanner's
/// [`Scanner::text`]; a number's is [`Scanner::token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// `{`.
    Object,
    /// `[`.
    Array,
    /// `}` or `]`.
    Close,
    /// A member's key (its `:` taken too).
    Key,
    /// A string value.
    Str,
    /// A number.
    Number,
    /// `true`.
    True,
    /// `false`.
    False,
    /// `null`.
    Null,
    /// The document is wrong here ([`Scanner::next`] gives the error).
    Error,
}

/// What the grammar allows next: a set of these bits. The states are
/// `VALUE` (the root, or after `:` or an array's `,`), `VALUE | CLOSE` (after
/// `[`), `KEY | CLOSE` (after `{`), `KEY` (after an object's `,`),
/// `COMMA | CLOSE` (after a value in a container), `END` (after the root)
/// and none (after an error: the scanner stays failed, as h11's connections do).
mod expect {
    pub(super) const KEY: u8 = 1;
    pub(super) const VALUE: u8 = 2;
    pub(super) const CLOSE: u8 = 4;
    pub(super) const COMMA: u8 = 8;
    pub(super) const END: u8 = 16;
    pub(super) const FAILED: u8 = 0;
}

/// The pull scanner: tokens, left to right, each checked once. Nesting is a
/// bit per level (object or array), so it needs no stack per level.
/// Duplicate keys are the caller's ([`Keys`]): the scanner checks the rest.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    /// The next byte to look at.
    at: usize,
    /// Where the last token began.
    start: usize,
    /// The last key's or string's text.
    text: JsonStr<'a>,
    /// Whether that text holds an escape.
    escaped: bool,

    /// Why the scanner failed (when `expect` is `FAILED`).
    error: JsonError,
    depth: u8,
    max_depth: u8,
    /// What may come next ([`expect`]).
    expect: u8,
    /// Bit `d`: the container at depth `d` is an object. A word is added as
    /// the nesting reaches it (each bit is set or cleared when its container
    /// opens, before it is read), so making a scanner zeroes nothing.
    objects: heapless::Vec<u32, 8>,
}

impl<'a> Scanner<'a> {
    pub(crate) const fn new(bytes: &'a [u8], max_depth: u8) -> Scanner<'a> {
        Scanner {
            bytes,
            at: 0,
            start: 0,
            text: JsonStr { raw: &[] },
            escaped: false,
            error: JsonError { offset: 0, kind: JsonErrorKind::UnexpectedEnd },
            depth: 0,
            max_depth,
            expect: expect::VALUE,
            objects: heapless::Vec::new(),
        }
    }

    /// Containers open.
    pub(crate) fn depth(&self) -> u8 {
        self.depth
    }

    /// Where the last token began.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    /// The last key's or string's text.
    pub(crate) fn text(&self) -> JsonStr<'a> {
        self.text
    }

    /// `Err` once the scanner failed: for the callers of [`Scanner::next_key`]
    /// and [`Scanner::string_value`], whose `None` may be a failure.
    pub(crate) fn check(&self) -> Result<(), JsonError> {
        match self.expect {
            expect::FAILED => Err(self.error),
            _ => Ok(()),
        }
    }

    /// The last token as written.
    pub(crate) fn token(&self) -> &'a [u8] {
        self.since(self.start)
    }

    /// The bytes from `from` to just past the last token.
    pub(crate) fn since(&self, from: usize) -> &'a [u8] {
        self.bytes.get(from..self.at).unwrap_or_default()
    }

    /// Fails the scanner: [`Token::Error`], and `kind` at `offset` for good.
    #[cold]
    #[inline(never)]
    pub(crate) fn fail(&mut self, offset: usize, kind: JsonErrorKind) -> Token {
        if self.expect != expect::FAILED {
            self.error = JsonError { offset, kind };
            self.expect = expect::FAILED;
        }
        Token::Error
    }

    /// Fails on `byte` (the one at `self.at`, or the end) where it is.
    fn unexpected(&mut self, byte: Option<u8>) -> Token {
        self.fail(self.at, byte.map_or(JsonErrorKind::UnexpectedEnd, JsonErrorKind::UnexpectedByte))
    }

    /// Skips whitespace; the byte after it.
    fn skip_ws(&mut self) -> Option<u8> {
        self.at = skip_ws(self.bytes, self.at);
        self.bytes.get(self.at).copied()
    }

    /// After the root value: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), JsonError> {
        match (self.skip_ws(), self.expect) {
            (_, expect::FAILED) => Err(self.error),
            (None, _) => Ok(()),
            (Some(_), _) => Err(JsonError { offset: self.at, kind: JsonErrorKind::TrailingBytes }),
        }
    }

    /// The next token, or why the document is wrong; past the root value,
    /// [`JsonErrorKind::UnexpectedEnd`] (call [`Scanner::end`] there instead).
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Result<Token, JsonError> {
        match self.step() {
            Token::Error => Err(self.error),
            token => Ok(token),
        }
    }

    /// In an object, after its `{` or a member's value: the next key (its
    /// `:` taken) and how it was read, or `None` at the object's `}` or when
    /// the document is wrong ([`Scanner::check`] tells). With a `guess` (a
    /// name of ASCII letters, matched ignoring their case with `fold`),
    /// a key that is that name is taken without being scanned: such bytes are
    /// a valid string. The common bytes are taken here; anything else goes
    /// to [`Scanner::step`], which checks it.
    #[inline(always)]
    pub(crate) fn next_key(&mut self, guess: &[u8], fold: bool) -> Option<(JsonStr<'a>, KeyRead)> {
        if !FAST {
            return self.key_by_step();
        }
        let bytes = self.bytes;
        let allowed = self.expect;
        let mut at = self.at;
        // EC2 writes `,\n  "` between members: taken in one comparison.
        if word4(bytes, at) == u32::from_le_bytes(*b",\n  ") && allowed & expect::COMMA != 0 {
            at += 4;
        } else {
            at = skip_ws(bytes, at);
            if bytes.get(at) == Some(&b',') && allowed & expect::COMMA != 0 {
                at = skip_ws(bytes, at + 1);
            } else if allowed & expect::KEY == 0 {
                at = usize::MAX;
            }
        }
        if bytes.get(at) == Some(&b'"') {
            let guessed = at + 1 + guess.len();
            let fits = !guess.is_empty() && bytes.get(guessed) == Some(&b'"');
            let scanned = match bytes.get(at + 1..guessed) {
                Some(text) if fits && crate::text::eq_name(text, guess, fold) => {
                    Some((guessed, text, KeyRead::Guessed))
                }
                _ => match scan_string(bytes, at) {
                    (end, status @ (PLAIN | ESCAPED)) => {
                        let text = bytes.get(at + 1..end).unwrap_or_default();
                        Some((end, text, if status == PLAIN { KeyRead::Plain } else { KeyRead::Escaped }))
                    }
                    // Not a key after all: step() says why.
                    _ => None,
                },
            };
            if let Some((end, text, read)) = scanned {
                // And `" : "` after a key, up to the value's quote.
                let value = match word4(bytes, end + 1) == u32::from_le_bytes(*b" : \"") {
                    true => Some(end + 4),
                    false => {
                        Some(skip_ws(bytes, end + 1)).filter(|&colon| bytes.get(colon) == Some(&b':')).map(|c| c + 1)
                    }
                };
                if let Some(value) = value {
                    self.start = at;
                    self.at = value;
                    self.expect = expect::VALUE;
                    return Some((JsonStr { raw: text }, read));
                }
            }
        }
        // The object's `}`, where one may come.
        let close = skip_ws(bytes, self.at);
        if bytes.get(close) == Some(&b'}') && allowed & expect::CLOSE != 0 && self.in_object() {
            self.start = close;
            self.at = close + 1;
            self.depth = self.depth.saturating_sub(1);
            self.after_value();
            return None;
        }
        self.key_by_step()
    }

    /// [`Scanner::next_key`] through [`Scanner::step`].
    fn key_by_step(&mut self) -> Option<(JsonStr<'a>, KeyRead)> {
        match self.step() {
            Token::Key => Some((self.text, if self.escaped { KeyRead::Escaped } else { KeyRead::Plain })),
            _ => None,
        }
    }

    /// After a key: its value, when it is a string (the common case), or
    /// `None`, and [`Scanner::next`] gives the value's first token.
    #[inline(always)]
    pub(crate) fn string_value(&mut self) -> Option<JsonStr<'a>> {
        if !FAST {
            return None;
        }
        let bytes = self.bytes;
        let at = skip_ws(bytes, self.at);
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let (end, status) = scan_string(bytes, at);
        if status > ESCAPED {
            // Not a string after all: next() says why.
            return None;
        }
        self.at = end + 1;
        self.after_value();
        Some(JsonStr { raw: bytes.get(at + 1..end).unwrap_or_default() })
    }

    /// After a key: true, and the value is taken, when it is `null` (as
    /// absent fields often are).
    #[inline(always)]
    pub(crate) fn null_value(&mut self) -> bool {
        if !FAST {
            return false;
        }
        let at = skip_ws(self.bytes, self.at);
        let word = self.bytes.get(at..at + 4).map(|w| u32::from_le_bytes(w.try_into().unwrap_or_default()));
        if self.expect != expect::VALUE || word != Some(u32::from_le_bytes(*b"null")) {
            return false;
        }
        self.start = at;
        self.at = at + 4;
        self.after_value();
        true
    }

    /// The next token ([`Token::Error`] once wrong).
    pub(crate) fn step(&mut self) -> Token {
        use expect::*;
        loop {
            let byte = self.skip_ws();
            self.start = self.at;
            let allowed = self.expect;
            match byte {
                Some(b'"') if allowed & (KEY | VALUE) != 0 => {
                    if !self.string() {
                        return Token::Error;
                    }
                    if allowed & KEY == 0 {
                        self.after_value();
                        return Token::Str;
                    }
                    let colon = self.skip_ws();
                    if colon != Some(b':') {
                        return self.unexpected(colon);
                    }
                    self.at += 1;
                    self.expect = VALUE;
                    return Token::Key;
                }
                Some(b',') if allowed & COMMA != 0 => {
                    self.at += 1;
                    self.expect = if self.in_object() { KEY } else { VALUE };
                }
                Some(close @ (b'}' | b']')) if allowed & CLOSE != 0 && (close == b'}') == self.in_object() => {
                    self.at += 1;
                    self.depth = self.depth.saturating_sub(1);
                    self.after_value();
                    return Token::Close;
                }
                Some(byte) if allowed & VALUE != 0 => return self.value_token(byte),
                _ if allowed == FAILED => return Token::Error,
                _ if allowed == END => return self.fail(self.at, JsonErrorKind::UnexpectedEnd),
                _ => return self.unexpected(byte),
            }
        }
    }

    fn in_object(&self) -> bool {
        let (word, bit) = (usize::from(self.depth / 32), self.depth % 32);
        self.objects.get(word).is_some_and(|w| w >> bit & 1 == 1)
    }

    #[cfg_attr(not(all(target_pointer_width = "64", not(imds_small))), inline(never))]
    fn after_value(&mut self) {
        self.expect = if self.depth == 0 { expect::END } else { expect::COMMA | expect::CLOSE };
    }

    fn open(&mut self, object: bool) -> Token {
        if self.depth >= self.max_depth {
            return self.fail(self.at, JsonErrorKind::TooDeep);
        }
        self.depth += 1;
        self.at += 1;
        let (word, bit) = (usize::from(self.depth / 32), self.depth % 32);
        if word == self.objects.len() {
            // Cannot fail: eight words hold depth 255.
            let _ = self.objects.push(0);
        }
        if let Some(w) = self.objects.get_mut(word) {
            *w = (*w & !(1 << bit)) | (u32::from(object) << bit);
        }
        if object {
            self.expect = expect::KEY | expect::CLOSE;
            Token::Object
        } else {
            self.expect = expect::VALUE | expect::CLOSE;
            Token::Array
        }
    }

    fn value_token(&mut self, byte: u8) -> Token {
        let (token, word): (Token, &[u8]) = match byte {
            b'{' => return self.open(true),
            b'[' => return self.open(false),
            b't' => (Token::True, b"true"),
            b'f' => (Token::False, b"false"),
            b'n' => (Token::Null, b"null"),
            b'-' | b'0'..=b'9' => match number_len(self.bytes.get(self.at..).unwrap_or_default()) {
                Some(len) => {
                    self.at += len;
                    (Token::Number, b"")
                }
                None => return self.fail(self.at, JsonErrorKind::InvalidNumber),
            },
            other => return self.unexpected(Some(other)),
        };
        for &expected in word {
            let byte = self.bytes.get(self.at).copied();
            if byte != Some(expected) {
                return self.unexpected(byte);
            }
            self.at += 1;
        }
        self.after_value();
        token
    }

    /// The string whose opening quote is at `self.at`, into `self.text`, and
    /// past its close: false (the scanner failed) if it is not one.
    fn string(&mut self) -> bool {
        let (end, status) = scan_string(self.bytes, self.at);
        let Some(text) = self.text_of(end, status) else {
            return false;
        };
        self.text = text;
        self.escaped = status == ESCAPED;
        self.at = end + 1;
        true
    }

    /// What [`scan_string`] found from `self.at`: the text, or `None` and the
    /// scanner failed.
    fn text_of(&mut self, end: usize, status: u8) -> Option<JsonStr<'a>> {
        match status {
            PLAIN | ESCAPED => Some(JsonStr { raw: self.bytes.get(self.at + 1..end).unwrap_or_default() }),
            _ => {
                self.fail(
                    end,
                    KINDS.get(usize::from(status - FAILED)).copied().unwrap_or(JsonErrorKind::UnexpectedEnd),
                );
                None
            }
        }
    }

    /// Reads the rest of the value `first` begins (nothing more for a
    /// scalar), its keys checked in `keys` (`None` for a document checked
    /// already); the value, borrowing the document. `first` is a token the
    /// scanner gave where a value goes (a key or a close reads as `null`).
    pub(crate) fn value(&mut self, first: Token, keys: Option<&mut Keys<'_, 'a>>) -> Result<Value<'a>, JsonError> {
        let from = self.start;
        let scalar = match first {
            Token::Str => Value::String(self.text),
            Token::Number => Value::Number(Number { raw: core::str::from_utf8(self.token()).unwrap_or_default() }),
            Token::True => Value::Bool(true),
            Token::False => Value::Bool(false),
            Token::Object | Token::Array => {
                self.skip(first, keys);
                let bytes = self.since(from);
                if first == Token::Object { Value::Object(Object { bytes }) } else { Value::Array(Array { bytes }) }
            }
            Token::Null | Token::Key | Token::Close | Token::Error => Value::Null,
        };
        self.check().map(|()| scalar)
    }

    /// Reads the rest of the container `first` opened, if it opened one, its
    /// keys checked in `keys`: the scanner fails if it is wrong.
    pub(crate) fn skip(&mut self, first: Token, mut keys: Option<&mut Keys<'_, 'a>>) {
        if !matches!(first, Token::Object | Token::Array) {
            return;
        }
        let outside = self.depth.saturating_sub(1);
        while self.depth > outside {
            match (self.step(), keys.as_deref_mut()) {
                (Token::Key, Some(keys)) => {
                    if let Err(e) = keys.insert(self.text, self.depth, self.start) {
                        self.fail(e.offset, e.kind);
                    }
                }
                (Token::Close, Some(keys)) => keys.close(self.depth),
                (Token::Error, _) => return,
                _ => {}
            }
        }
    }
}

/// The first byte from `at` on that is not whitespace (or the end).
#[cfg_attr(all(target_pointer_width = "64", not(imds_small)), inline(always))]
fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The four bytes at `at` as a little-endian word (0 past the end): for
/// matching the service's own layout (`,\n  "` between members, `" : "`
/// after a key) in one comparison.
#[inline(always)]
fn word4(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..).and_then(<[u8]>::first_chunk::<4>).map_or(0, |w| u32::from_le_bytes(*w))
}

/// Whether the scanner takes its fast paths for the common shape of a
/// member (`"key" : "string"`, in EC2's layout): on 64-bit targets. On
/// smaller ones they are left out for flash, and every token goes through
/// [`Scanner::step`], the path any input can take on a 64-bit target too.
const FAST: bool = crate::WIDE;

/// How [`Scanner::next_key`] read a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRead {
    /// Scanned: no escape in it.
    Plain,
    /// Scanned: it holds an escape.
    Escaped,
    /// It is the guess.
    Guessed,
}

/// What [`scan_string`] found: a string without escapes, one with, or a
/// failure (`FAILED` + the index of its kind in [`KINDS`]).
const PLAIN: u8 = 0;
const ESCAPED: u8 = 1;
const FAILED: u8 = 2;
const KINDS: [JsonErrorKind; 6] = [
    JsonErrorKind::UnexpectedEnd,
    JsonErrorKind::ControlInString,
    JsonErrorKind::InvalidUtf8,
    JsonErrorKind::InvalidEscape,
    JsonErrorKind::InvalidUnicodeEscape,
    JsonErrorKind::LoneSurrogate,
];

/// Scans the string whose opening quote is at `quote`: the offset of its
/// closing quote and [`PLAIN`] or [`ESCAPED`]; or where it is wrong and
/// `FAILED` + the kind's index in [`KINDS`]. A pair of registers, not a
/// `Result` in memory: this runs for every string of every document.
///
/// The bytes that need no look (not `"`, `\`, a control byte or a byte of a
/// multi-byte UTF-8 character) go a machine word at a time: a byte is
/// flagged when its bit 7 is set in `word - ONES * c` for the byte `c` it
/// must not be (a borrow out of a zero byte), or in the word itself (bytes of
/// 0x80 and more, which also cover every other way bit 7 can be set there).
/// Borrows only run upward, so the lowest flagged byte is exact.
#[inline(never)]
fn scan_string(bytes: &[u8], quote: usize) -> (usize, u8) {
    let mut at = quote + 1 + plain_len(bytes, quote + 1);
    // Within the body's last word, byte by byte (the last string of every
    // document ends there).
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => return (at, PLAIN),
            b' '..=0x7f if byte != b'\\' => at += 1,
            _ => break,
        }
    }
    scan_string_rest(bytes, at)
}

/// [`scan_string`] from the first byte that needs a look, kept out of the
/// common path (a string without escapes, all of it ASCII).
#[cold]
#[inline(never)]
fn scan_string_rest(bytes: &[u8], from: usize) -> (usize, u8) {
    let mut at = from;
    let mut status = PLAIN;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        let kind = match rest.first() {
            Some(b'"') => return (at, status),
            Some(b'\\') => match escape(rest) {
                Ok((_, len)) => {
                    status = ESCAPED;
                    len
                }
                Err(JsonErrorKind::InvalidEscape) => return (at, FAILED + 3),
                Err(JsonErrorKind::InvalidUnicodeEscape) => return (at, FAILED + 4),
                Err(JsonErrorKind::LoneSurrogate) => return (at, FAILED + 5),
                Err(_) => return (at, FAILED),
            },
            Some(&byte) if byte >= 0x80 => match utf8_len(rest) {
                Ok(len) => len,
                // A character cut by the end: the end is what is wrong.
                Err(JsonErrorKind::UnexpectedEnd) => return (bytes.len(), FAILED),
                Err(_) => return (at, FAILED + 2),
            },
            // A plain byte of the last few, which no word covered.
            Some(&byte) if byte >= 0x20 => 1,
            Some(_) => return (at, FAILED + 1),
            None => return (at, FAILED),
        };
        at += kind;
        at += plain_len(bytes, at);
    }
}

/// Bytes from `from` on that need no look in a string: not `"`, `\\`, a
/// control byte or a byte of a multi-byte UTF-8 character. A machine word at
/// a time; the last few bytes (less than a word) are left to the caller.
#[inline(always)]
fn plain_len(bytes: &[u8], from: usize) -> usize {
    const WORD: usize = size_of::<usize>();
    const ONES: usize = usize::MAX / 0xff;
    let mut len = 0;
    for chunk in bytes.get(from..).unwrap_or_default().chunks_exact(WORD) {
        let word = usize::from_le_bytes(chunk.try_into().unwrap_or([0; WORD]));
        let quote = (word ^ (ONES * usize::from(b'"'))).wrapping_sub(ONES);
        let backslash = (word ^ (ONES * usize::from(b'\\'))).wrapping_sub(ONES);
        let control = word.wrapping_sub(ONES * 0x20);
        let flagged = (quote | backslash | control | word) & (ONES << 7);
        if flagged != 0 {
            return len + (flagged.trailing_zeros() / 8) as usize;
        }
        len += WORD;
    }
    len
}

/// The length of the UTF-8 character at the front of `bytes` (whose first byte
/// is 0x80 or more), checked by `core::str::from_utf8` on its bytes (which a
/// firmware links already): [`JsonErrorKind::InvalidUtf8`] if it is not one,
/// [`JsonErrorKind::UnexpectedEnd`] if `bytes` ends inside it.
fn utf8_len(bytes: &[u8]) -> Result<usize, JsonErrorKind> {
    let width = match bytes.first() {
        Some(0xc0..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        _ => 4,
    };
    let window = bytes.get(..width).unwrap_or(bytes);
    match core::str::from_utf8(window) {
        Ok(_) => Ok(width),
        Err(e) if e.error_len().is_none() => Err(JsonErrorKind::UnexpectedEnd),
        Err(_) => Err(JsonErrorKind::InvalidUtf8),
    }
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` at the front of
/// `bytes`, not followed by anything that would make it another number: its
/// length.
fn number_len(bytes: &[u8]) -> Option<usize> {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let digits =
        |from: usize| from + bytes.get(from..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(at(0) == b'-');
    i = match at(i) {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i),
        _ => return None,
    };
    if at(i) == b'.' {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if at(i) | 0x20 == b'e' {
        i += 1;
        if matches!(at(i), b'+' | b'-') {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    match at(i) {
        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-' => None,
        _ => Some(i),
    }
}

/// The escape at the front of `bytes` (a backslash): the code point it
/// stands for and its length, a surrogate pair taken as one. One function
/// for checking escapes as they are scanned and decoding them afterwards.
fn escape(bytes: &[u8]) -> Result<(u32, usize), JsonErrorKind> {
    let hex = |at: usize| hex4(bytes.get(at..at + 4)).map(u32::from).ok_or(JsonErrorKind::InvalidUnicodeEscape);
    let simple = |byte: u8| b"\"\\/bfnrt".iter().position(|&b| b == byte).and_then(|i| b"\"\\/\x08\x0c\n\r\t".get(i));
    let code = match bytes.get(1).copied() {
        Some(b'u') => {
            return match hex(2)? {
                high @ 0xd800..0xdc00 => match (bytes.get(6..8), hex(8)) {
                    (Some(b"\\u"), Ok(low @ 0xdc00..0xe000)) => {
                        Ok((0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00), 12))
                    }
                    (Some(b"\\u"), Err(e)) => Err(e),
                    _ => Err(JsonErrorKind::LoneSurrogate),
                },
                0xdc00..0xe000 => Err(JsonErrorKind::LoneSurrogate),
                unit => Ok((unit, 6)),
            };
        }
        Some(byte) => u32::from(*simple(byte).ok_or(JsonErrorKind::InvalidEscape)?),
        None => return Err(JsonErrorKind::UnexpectedEnd),
    };
    Ok((code, 2))
}

fn hex4(digits: Option<&[u8]>) -> Option<u16> {
    let digits = digits.filter(|d| d.len() == 4)?;
    digits.iter().try_fold(0u16, |n, &b| {
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some(n << 4 | u16::from(v))
    })
}

/// A key table of `N` entries: each key of an open object, and its depth
/// beside it (8 bytes and 1 a key on a 32-bit target). Not zeroed when made
/// (`heapless::Vec`s): making one costs nothing.
pub(crate) struct KeyTable<'a, const N: usize> {
    keys: heapless::Vec<JsonStr<'a>, N>,
    depths: heapless::Vec<u8, N>,
}

impl<'a, const N: usize> KeyTable<'a, N> {
    pub(crate) const fn new() -> KeyTable<'a, N> {
        KeyTable { keys: heapless::Vec::new(), depths: heapless::Vec::new() }
    }
}

/// The duplicate check: the keys of the objects open at once, with their
/// depth, in a table the caller sizes. A key is compared with the keys before
/// it at its depth (its object's); an object's keys leave when it closes.
pub(crate) struct Keys<'k, 'a> {
    keys: &'k mut heapless::vec::VecView<JsonStr<'a>>,
    depths: &'k mut heapless::vec::VecView<u8>,
    /// Keys compared, for the tests that bound the work.
    #[cfg(test)]
    compared: usize,
}

impl<'k, 'a> Keys<'k, 'a> {
    pub(crate) fn new<const N: usize>(table: &'k mut KeyTable<'a, N>) -> Keys<'k, 'a> {
        table.keys.clear();
        table.depths.clear();
        Keys {
            keys: table.keys.as_mut_view(),
            depths: table.depths.as_mut_view(),
            #[cfg(test)]
            compared: 0,
        }
    }

    /// Records `key`, at `offset`, of the object at `depth`: a
    /// [`JsonErrorKind::DuplicateKey`] if that object had it already, a
    /// [`JsonErrorKind::TooManyMembers`] when the table is full.
    pub(crate) fn insert(&mut self, key: JsonStr<'a>, depth: u8, offset: usize) -> Result<(), JsonError> {
        let same_object = self.keys.iter().zip(self.depths.iter()).rev().take_while(|(_, d)| **d == depth);
        #[cfg(test)]
        {
            self.compared += same_object.clone().count();
        }
        if same_object.into_iter().any(|(earlier, _)| *earlier == key) {
            return Err(JsonError { offset, kind: JsonErrorKind::DuplicateKey });
        }
        let full = JsonError { offset, kind: JsonErrorKind::TooManyMembers };
        self.keys.push(key).map_err(|_| full)?;
        self.depths.push(depth).map_err(|_| full)
    }

    /// Forgets the keys of objects deeper than `depth` (they have closed).
    pub(crate) fn close(&mut self, depth: u8) {
        while self.depths.last().is_some_and(|d| *d > depth) {
            self.depths.pop();
            self.keys.pop();
        }
    }
}

/// A JSON string as written, between its quotes: valid UTF-8 and escapes.
///
/// `Debug` (and defmt) show its length only (it may be a secret); `Display`
/// writes its characters, unescaped. As small as a slice: whether it holds an
/// escape is looked up when an accessor needs to know.
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    raw: &'a [u8],
}

impl<'a> JsonStr<'a> {
    /// The text between the quotes, escapes as written (checked UTF-8).
    pub fn raw(&self) -> &'a str {
        // Checked when scanned: this cannot fail.
        core::str::from_utf8(self.raw).unwrap_or_default()
    }

    /// The bytes between the quotes, escapes as written.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// The text, borrowed, when it holds no escape (the common case).
    pub fn as_str(&self) -> Option<&'a str> {
        (!self.has_escapes()).then(|| self.raw())
    }

    /// True when it holds an escape (so [`JsonStr::as_str`] is `None`).
    pub fn has_escapes(&self) -> bool {
        // A plain loop: `contains` would bring core's `memchr` (150 bytes of
        // a firmware) for strings this short.
        #[allow(clippy::manual_contains)]
        self.raw.iter().any(|&b| b == b'\\')
    }

    /// Its characters, unescaped.
    pub fn chars(&self) -> Chars<'a> {
        Chars { pieces: Pieces { rest: self.raw }, text: "".chars() }
    }

    /// Its UTF-8 bytes, unescaped.
    pub(crate) fn bytes(&self) -> Unescaped<'a> {
        Unescaped { rest: self.raw, pending: 0, plain: false }
    }

    /// Bytes of its UTF-8 text once unescaped.
    pub fn unescaped_len(&self) -> usize {
        match self.has_escapes() {
            true => self.bytes().count(),
            false => self.raw.len(),
        }
    }

    /// Writes its unescaped text into `buf` and returns it.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let required = self.unescaped_len();
        let out = buf.get_mut(..required).ok_or(BufferTooSmall { required })?;
        for (dst, byte) in out.iter_mut().zip(self.bytes()) {
            *dst = byte;
        }
        // Characters written back to back are UTF-8.
        core::str::from_utf8(out).map_err(|_| BufferTooSmall { required })
    }

    /// True when its unescaped text is `text`.
    pub fn eq_str(&self, text: &str) -> bool {
        crate::text::eq_name(self.raw, text.as_bytes(), false)
            || self.has_escapes() && same_text(self.bytes(), plain(text), false)
    }

    /// True when its unescaped text is `text`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, text: &str) -> bool {
        same_text(self.bytes(), plain(text), true)
    }
}

impl PartialEq for JsonStr<'_> {
    /// Equal when their unescaped texts are.
    fn eq(&self, other: &Self) -> bool {
        crate::text::eq_name(self.raw, other.raw, false)
            || (self.has_escapes() || other.has_escapes()) && same_text(self.bytes(), other.bytes(), false)
    }
}

impl Eq for JsonStr<'_> {}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pieces = Pieces { rest: self.raw };
        pieces.try_for_each(|piece| match piece {
            Piece::Text(text) => f.write_str(text),
            Piece::Char(c) => fmt::Write::write_char(f, c),
        })
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonStr(<{} bytes>)", self.raw.len())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for JsonStr<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "JsonStr(<{=usize} bytes>)", self.raw.len())
    }
}

/// The code point of the escape at the front of checked `bytes`, and the
/// escape's length.
fn decode_escape(bytes: &[u8]) -> (u32, usize) {
    escape(bytes).unwrap_or((0, 2))
}

/// A checked string's text in pieces: runs as written, escapes decoded.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
}

struct Pieces<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.first()? == &b'\\' {
            let (code, len) = decode_escape(self.rest);
            self.rest = self.rest.get(len..).unwrap_or_default();
            return Some(Piece::Char(char::from_u32(code).unwrap_or_default()));
        }
        let run = self.rest.iter().position(|&b| b == b'\\').unwrap_or(self.rest.len());
        let (text, rest) = self.rest.split_at_checked(run)?;
        self.rest = rest;
        Some(Piece::Text(core::str::from_utf8(text).unwrap_or_default()))
    }
}

/// The unescaped UTF-8 bytes of a checked string. An escape's code point is
/// encoded by hand; the bytes after the first wait in `pending`, low byte
/// first (continuation bytes are never zero, so zero means none). `plain`:
/// text that has no escapes, a backslash being a backslash.
pub(crate) struct Unescaped<'a> {
    rest: &'a [u8],
    pending: u32,
    plain: bool,
}

/// The bytes of `text`, which holds no escapes, for [`same_text`].
fn plain(text: &str) -> Unescaped<'_> {
    Unescaped { rest: text.as_bytes(), pending: 0, plain: true }
}

/// Two texts' unescaped bytes are the same (ignoring ASCII case when
/// `fold`): the one comparison of escaped text, for every kind of it.
#[inline(never)]
fn same_text(a: Unescaped<'_>, b: Unescaped<'_>, fold: bool) -> bool {
    let lower = |c: u8| if fold { c.to_ascii_lowercase() } else { c };
    a.map(lower).eq(b.map(lower))
}

impl Iterator for Unescaped<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.pending != 0 {
            let byte = self.pending as u8;
            self.pending >>= 8;
            return Some(byte);
        }
        let (&first, rest) = self.rest.split_first()?;
        if first != b'\\' || self.plain {
            self.rest = rest;
            return Some(first);
        }
        let (code, len) = decode_escape(self.rest);
        self.rest = self.rest.get(len..).unwrap_or_default();
        let continuation = |shift: u32| 0x80 | (code >> shift & 0x3f);
        let (lead, pending) = match code {
            0..0x80 => (code, 0),
            0x80..0x800 => (0xc0 | code >> 6, continuation(0)),
            0x800..0x10000 => (0xe0 | code >> 12, continuation(6) | continuation(0) << 8),
            _ => (0xf0 | code >> 18, continuation(12) | continuation(6) << 8 | continuation(0) << 16),
        };
        self.pending = pending;
        Some(lead as u8)
    }
}

/// The unescaped characters of a [`JsonStr`].
#[derive(Clone)]
pub struct Chars<'a> {
    pieces: Pieces<'a>,
    text: core::str::Chars<'a>,
}

impl Clone for Pieces<'_> {
    fn clone(&self) -> Self {
        Pieces { rest: self.rest }
    }
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        loop {
            if let Some(c) = self.text.next() {
                return Some(c);
            }
            match self.pieces.next()? {
                Piece::Text(text) => self.text = text.chars(),
                Piece::Char(c) => return Some(c),
            }
        }
    }
}

impl fmt::Debug for Chars<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Chars(<redacted>)")
    }
}

/// A number as written; read it as the type you need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Number<'a> {
    raw: &'a str,
}

impl<'a> Number<'a> {
    /// The number as written.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// As an unsigned integer, if it is one that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.raw.parse().ok()
    }

    /// As a signed integer, if it is one that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.raw.parse().ok()
    }

    /// As a float, if finite.
    pub fn as_f64(&self) -> Option<f64> {
        self.raw.parse().ok().filter(|f: &f64| f.is_finite())
    }
}

/// A value of a checked document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number<'a>),
    /// A string.
    String(JsonStr<'a>),
    /// An array.
    Array(Array<'a>),
    /// An object.
    Object(Object<'a>),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Value::String(s) => Some(*s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<Object<'a>> {
        match self {
            Value::Object(o) => Some(*o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<Array<'a>> {
        match self {
            Value::Array(a) => Some(*a),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        *self == Value::Null
    }
}

impl fmt::Display for Value<'_> {
    /// The value as compact JSON, strings as written (escapes kept). Written
    /// token by token, without recursion.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = match self {
            Value::Null => return f.write_str("null"),
            Value::Bool(b) => return write!(f, "{b}"),
            Value::Number(n) => return f.write_str(n.raw),
            Value::String(s) => return write!(f, "\"{}\"", s.raw()),
            Value::Array(Array { bytes }) | Value::Object(Object { bytes }) => bytes,
        };
        let mut scanner = Scanner::new(bytes, u8::MAX);
        // A comma goes before anything but the first item of a container.
        let mut first = true;
        while let Ok(token) = scanner.next() {
            if !first && !matches!(token, Token::Close) {
                f.write_str(",")?;
            }
            first = matches!(token, Token::Object | Token::Array | Token::Key);
            match token {
                Token::Key => write!(f, "\"{}\":", scanner.text().raw())?,
                Token::Str => write!(f, "\"{}\"", scanner.text().raw())?,
                // Every other token is ASCII, written as it is.
                _ => f.write_str(core::str::from_utf8(scanner.token()).unwrap_or_default())?,
            }
            if scanner.depth() == 0 {
                break;
            }
        }
        Ok(())
    }
}

/// An object of a checked document.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    /// From its `{` to its `}`.
    bytes: &'a [u8],
}

impl<'a> Object<'a> {
    /// Its members in order: key and value.
    pub fn members(&self) -> Members<'a> {
        Members { items: Items::of(self.bytes) }
    }

    /// The value of `key` (matched exactly, after unescaping).
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.members().find(|(k, _)| k.eq_str(key)).map(|(_, v)| v)
    }

    /// The object as written, from its `{` to its `}`.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Bytes of the object as written.
    pub fn len_bytes(&self) -> usize {
        self.bytes.len()
    }
}

impl fmt::Debug for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Object(<{} bytes>)", self.bytes.len())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Object<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Object(<{=usize} bytes>)", self.bytes.len())
    }
}

/// An array of a checked document.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Array<'a> {
    /// From its `[` to its `]`.
    bytes: &'a [u8],
}

impl<'a> Array<'a> {
    /// The array whose `[` .. `]` is `bytes`, already checked.
    pub(crate) fn checked(bytes: &'a [u8]) -> Array<'a> {
        Array { bytes }
    }

    /// Its values in order.
    pub fn iter(&self) -> Items<'a> {
        Items::of(self.bytes)
    }

    /// True when it has no value.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl fmt::Debug for Array<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Array(<{} bytes>)", self.bytes.len())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Array<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Array(<{=usize} bytes>)", self.bytes.len())
    }
}

/// The members of an [`Object`].
#[derive(Clone)]
pub struct Members<'a> {
    items: Items<'a>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let Ok(Token::Key) = self.items.scanner.next() else { return None };
        let key = self.items.scanner.text();
        Some((key, self.items.next()?))
    }
}

impl fmt::Debug for Members<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Members(<{} bytes left>)", self.items.scanner.bytes.len() - self.items.scanner.at)
    }
}

/// The values of an [`Array`].
#[derive(Clone)]
pub struct Items<'a> {
    /// Inside the container (a checked one: the scanner finds no error).
    scanner: Scanner<'a>,
}

impl<'a> Items<'a> {
    fn of(bytes: &'a [u8]) -> Items<'a> {
        let mut scanner = Scanner::new(bytes, u8::MAX);
        let _ = scanner.next();
        Items { scanner }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let token = self.scanner.next().ok().filter(|t| *t != Token::Close)?;
        self.scanner.value(token, None).ok()
    }
}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Items(<{} bytes left>)", self.scanner.bytes.len() - self.scanner.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn error(doc: &str) -> (usize, JsonErrorKind) {
        let e = parse(doc.as_bytes()).unwrap_err();
        (e.offset, e.kind)
    }

    #[test]
    fn accepts_every_kind_of_value() {
        let doc = br#" { "s" : "a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00", "n" : -12.5e+3, "z": 0, "t": true, "f": false,
            "null": null, "a": [1, "x", [], {}], "o": {"k": [ {"d": 1} ]}, "e\u0301": "" } "#;
        let root = parse(doc).unwrap().as_object().unwrap();
        let s = root.get("s").unwrap().as_str().unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(s.unescape_into(&mut buf), Ok("a\"b\\c/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}"));
        assert_eq!(s.to_string(), "a\"b\\c/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}");
        assert_eq!(s.as_str(), None, "escaped: not borrowable as is");
        assert_eq!(root.get("n").map(|n| matches!(n, Value::Number(n) if n.as_f64() == Some(-12500.0))), Some(true));
        assert_eq!(
            root.get("z").and_then(|n| match n {
                Value::Number(n) => n.as_u64(),
                _ => None,
            }),
            Some(0)
        );
        assert_eq!(
            (root.get("t"), root.get("f"), root.get("null")),
            (Some(Value::Bool(true)), Some(Value::Bool(false)), Some(Value::Null))
        );
        let a: Vec<String> = root.get("a").unwrap().as_array().unwrap().iter().map(|v| v.to_string()).collect();
        assert_eq!(a, ["1", "\"x\"", "[]", "{}"]);
        assert_eq!(root.get("o").unwrap().to_string(), r#"{"k":[{"d":1}]}"#);
        assert_eq!(root.get("e\u{301}").map(|v| v.to_string()), Some("\"\"".into()), "keys match unescaped");
        assert_eq!(root.members().count(), 9);
        let mut small = [0u8; 4];
        let required = "a\"b\\c/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}".len();
        assert_eq!((s.unescaped_len(), s.unescape_into(&mut small)), (required, Err(BufferTooSmall { required })));
        // Long plain runs cross machine words; every stop byte is found
        // wherever it falls in one.
        for len in 0..40 {
            for stop in ["\\n", "\u{e9}", "\\\"", "\\u0041"] {
                let text = std::format!("\"{}{stop}{}\"", "a".repeat(len), "b".repeat(len % 9));
                let s = parse(text.as_bytes()).unwrap().as_str().unwrap();
                assert_eq!(s.to_string().len(), len + len % 9 + if stop == "\u{e9}" { 2 } else { 1 }, "{text}");
            }
            let control = std::format!("\"{}\u{1}\"", "a".repeat(len));
            assert_eq!(error(&control), (len + 1, JsonErrorKind::ControlInString));
        }
        for scalar in ["1", "\"x\"", "true", "null", " [ ] "] {
            assert!(parse(scalar.as_bytes()).is_ok(), "{scalar}");
        }
    }

    #[test]
    fn refuses_with_offsets() {
        use JsonErrorKind::*;
        let cases: &[(&str, usize, JsonErrorKind)] = &[
            ("", 0, UnexpectedEnd),
            ("   ", 3, UnexpectedEnd),
            ("{", 1, UnexpectedEnd),
            (r#"{"a":1,}"#, 7, UnexpectedByte(b'}')),
            (r#"{"a" 1}"#, 5, UnexpectedByte(b'1')),
            ("[1 2]", 3, UnexpectedByte(b'2')),
            ("[1,]", 3, UnexpectedByte(b']')),
            ("tru", 3, UnexpectedEnd),
            ("nul!", 3, UnexpectedByte(b'!')),
            ("01", 0, InvalidNumber),
            ("[1, -01]", 4, InvalidNumber),
            ("-", 0, InvalidNumber),
            ("1.", 0, InvalidNumber),
            ("1e", 0, InvalidNumber),
            ("+1", 0, UnexpectedByte(b'+')),
            ("1.5.2", 0, InvalidNumber),
            (r#""abc"#, 4, UnexpectedEnd),
            (r#""a\x""#, 2, InvalidEscape),
            (r#""\u12G4""#, 1, InvalidUnicodeEscape),
            (r#""\ud800""#, 1, LoneSurrogate),
            (r#""\ud800\u0041""#, 1, LoneSurrogate),
            (r#""\udc00""#, 1, LoneSurrogate),
            ("\"a\tb\"", 2, ControlInString),
            ("\"a\u{0}\"", 2, ControlInString),
            ("{} x", 3, TrailingBytes),
            ("{}{}", 2, TrailingBytes),
            (r#"{"a":1,"a":2}"#, 7, DuplicateKey),
            (r#"{"a":1,"\u0061":2}"#, 7, DuplicateKey),
            (r#"{"x":{"a":[],"b":{},"a":0}}"#, 20, DuplicateKey),
            (r#"{"a":{"a":1},"a":2}"#, 13, DuplicateKey),
            (r#"{"ab":1,"a\u0062":2}"#, 8, DuplicateKey),
            ("1 2", 2, TrailingBytes),
            ("[1}", 2, UnexpectedByte(b'}')),
            ("{\"a\":1]", 6, UnexpectedByte(b']')),
            ("-0.5e", 0, InvalidNumber),
            ("1E+", 0, InvalidNumber),
            ("[1-]", 1, InvalidNumber),
        ];
        for &(doc, offset, kind) in cases {
            assert_eq!(error(doc), (offset, kind), "{doc:?}");
        }
        assert_eq!(parse(b"\"caf\xc3\"").map_err(|e| (e.offset, e.kind)), Err((4, InvalidUtf8)));
        assert_eq!(parse(b"\"\xff\"").map_err(|e| (e.offset, e.kind)), Err((1, InvalidUtf8)));
        assert_eq!(parse(b"\xef\xbb\xbf{}").map_err(|e| e.kind), Err(UnexpectedByte(0xef)), "no BOM");
        // UTF-8 as RFC 3629 has it: no overlong forms, surrogates or code
        // points past U+10FFFF; a character cut by the end is the end.
        for bad in [
            &b"\"\xc0\x80\""[..],
            b"\"\xe0\x80\x80\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\xf5\x80\x80\x80\"",
            b"\"\x80\"",
        ] {
            assert_eq!(parse(bad).map_err(|e| (e.offset, e.kind)), Err((1, InvalidUtf8)), "{bad:?}");
        }
        assert_eq!(parse(b"\"\xe2\x82").map_err(|e| (e.offset, e.kind)), Err((3, UnexpectedEnd)));
        for good in ["\"\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}\u{e9}\"", "\"\u{d7ff}\u{e000}\""] {
            assert!(parse(good.as_bytes()).is_ok(), "{good}");
        }
    }

    #[test]
    fn depth_and_open_keys_are_bounded() {
        let deep = |n: usize| [String::from("[").repeat(n), String::from("]").repeat(n)].concat();
        assert!(parse(deep(16).as_bytes()).is_ok());
        assert_eq!(error(&deep(17)), (16, JsonErrorKind::TooDeep));
        assert_eq!(error(&deep(100_000)).1, JsonErrorKind::TooDeep, "no stack overflow");
        // Every limit holds, 255 included (it once turned the check off).
        for max_depth in [0u8, 1, 2, 254, 255] {
            let limits = JsonLimits { max_depth };
            let n = usize::from(max_depth);
            assert!(n == 0 || parse_with(deep(n).as_bytes(), limits).is_ok(), "{n} deep within {max_depth}");
            assert_eq!(
                parse_with(deep(n + 1).as_bytes(), limits).map_err(|e| (e.offset, e.kind)),
                Err((n, JsonErrorKind::TooDeep))
            );
            let objects = [r#"{"a":"#.repeat(n + 1), "1".into(), "}".repeat(n + 1)].concat();
            // Nested objects hold a key open each: past the table first.
            let kind = if n < MAX_OPEN_KEYS { JsonErrorKind::TooDeep } else { JsonErrorKind::TooManyMembers };
            assert_eq!(parse_with(objects.as_bytes(), limits).map_err(|e| e.kind), Err(kind));
        }
        assert!(parse_with(b"1", JsonLimits { max_depth: 0 }).is_ok());
        let deep = deep(100_000);
        assert_eq!(
            parse_with(deep.as_bytes(), JsonLimits { max_depth: 255 }).map_err(|e| (e.offset, e.kind)),
            Err((255, JsonErrorKind::TooDeep))
        );
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| std::format!("\"k{i}\":{i}")).collect();
            std::format!("{{{}}}", body.join(","))
        };
        assert!(parse(members(MAX_OPEN_KEYS).as_bytes()).is_ok());
        assert_eq!(error(&members(MAX_OPEN_KEYS + 1)).1, JsonErrorKind::TooManyMembers);
        // Keys leave with their object: siblings do not add up, nor clash.
        let siblings: Vec<String> = (0..10).map(|_| members(MAX_OPEN_KEYS)).collect();
        assert!(parse(std::format!("[{}]", siblings.join(",")).as_bytes()).is_ok());
        // An object's keys and those of the objects around it do.
        let nested = std::format!(r#"{{"outer":1,"x":{}}}"#, members(MAX_OPEN_KEYS - 1));
        assert_eq!(error(&nested).1, JsonErrorKind::TooManyMembers);
        assert!(parse(br#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#).is_ok(), "the same key in other objects");
    }

    /// Colliding keys once cost a re-scan of the object each (10.8 s for a
    /// 60 KB document): the duplicate check now compares a key with its
    /// object's earlier keys only, never reading a value again. Counted, not
    /// timed: at most MAX_OPEN_KEYS comparisons a key, whatever the keys.
    #[test]
    fn duplicate_check_work_is_bounded_per_key() {
        // The attack's shape: 15 nested objects of many keys that share
        // their length and all but their last bytes, with long values.
        let value = "v".repeat(400);
        let mut doc = String::new();
        let per_object = MAX_OPEN_KEYS / 15 - 1;
        for level in 0..15 {
            doc.push('{');
            for k in 0..per_object {
                doc.push_str(&std::format!(r#""{:a>40}{level:02}{k:03}":"{value}","#, ""));
            }
            doc.push_str(r#""x":"#);
        }
        doc.push('1');
        doc.push_str(&"}".repeat(15));
        let mut scanner = Scanner::new(doc.as_bytes(), 16);
        let mut table = KeyTable::<MAX_OPEN_KEYS>::new();
        let first = scanner.next().unwrap();
        let mut keys = Keys::new(&mut table);
        scanner.value(first, Some(&mut keys)).unwrap();
        let key_count = 15 * (per_object + 1);
        assert!(keys.compared <= key_count * MAX_OPEN_KEYS, "{} comparisons", keys.compared);
        // Within an object: each key against the ones before it, no more.
        assert!(keys.compared <= 15 * (per_object + 1) * per_object / 2 + 15, "{} comparisons", keys.compared);
        // And the scanner looks at each byte once: its position only moves on.
        let mut scanner = Scanner::new(doc.as_bytes(), 16);
        let mut last = 0;
        while scanner.next().is_ok() {
            assert!(scanner.at > last, "the scanner moved back or stood still");
            last = scanner.at;
        }
        assert_eq!(last, doc.len());
    }

    #[test]
    fn huge_numbers_are_valid_but_do_not_fit() {
        let huge = "9".repeat(400);
        let Value::Number(n) = parse(huge.as_bytes()).unwrap() else { panic!() };
        assert_eq!((n.as_u64(), n.as_i64(), n.as_f64()), (None, None, None));
        assert_eq!(
            parse(b"18446744073709551615").map(|v| matches!(v, Value::Number(n) if n.as_u64() == Some(u64::MAX))),
            Ok(true)
        );
    }

    #[test]
    fn strings_never_reach_debug() {
        let root = parse(br#"{"SecretAccessKey":"wJalrXUtnFEMI"}"#).unwrap();
        let shown = std::format!("{root:?} {:?}", root.as_object().unwrap().members().collect::<Vec<_>>());
        assert!(!shown.contains("wJalr") && !shown.contains("Secret"), "{shown}");
    }
}
