//! A strict JSON scanner (RFC 8259) for the service's documents: no allocation,
//! zero-copy, validated once.
//!
//! [`parse`] checks a whole document and returns its root [`Value`]; iterating it
//! afterwards cannot fail. Strings are borrowed raw ([`JsonStr`]): compare them,
//! iterate their characters or [`JsonStr::unescape_into`] a buffer of yours.
//!
//! Refused, each with the byte offset where it was found ([`JsonError`]): any
//! syntax error; escapes other than `\" \\ \/ \b \f \n \r \t \uXXXX`; a lone or
//! mismatched UTF-16 surrogate; invalid UTF-8; a control byte in a string;
//! leading zeros, bare `-`, `1.` or `1e`; bytes after the document; a key that
//! repeats one of its object (`"a"` and `"\u0061"` are the same key); nesting
//! deeper than [`JsonLimits::max_depth`]; an object of more than
//! [`JsonLimits::max_members`] members (which bounds the duplicate check).
//!
//! Byte-level nom combinators only (see the design notes: the char-based ones
//! misbehave on `&[u8]`).

use core::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};

use crate::buffer::BufferTooSmall;

/// Bounds on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JsonLimits {
    /// Deepest nesting of arrays and objects (the root counts as 1). Default 16.
    pub max_depth: u8,
    /// Most members of one object. Default 128.
    pub max_members: u16,
}

impl JsonLimits {
    /// Depth 16, 128 members per object: far beyond any of the service's documents.
    pub const DEFAULT: JsonLimits = JsonLimits { max_depth: 16, max_members: 128 };
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
    /// A number not in JSON's grammar (`01`, `-`, `1.`, `1e`, `+1`).
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
    /// An object with more than [`JsonLimits::max_members`] members.
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
            JsonErrorKind::TooManyMembers => "too many members in an object",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for JsonError {}

/// Checks `document` with [`JsonLimits::DEFAULT`] and returns its root value.
pub fn parse(document: &[u8]) -> Result<Value<'_>, JsonError> {
    parse_with(document, JsonLimits::DEFAULT)
}

/// Checks `document` within `limits` and returns its root value.
pub fn parse_with(document: &[u8], limits: JsonLimits) -> Result<Value<'_>, JsonError> {
    let scan = Scan { limits, check: true };
    let at = |rest: &[u8]| document.len() - rest.len();
    let fail = |f: Fail<'_>| JsonError { offset: at(f.rest), kind: f.kind };
    let (rest, ()) = scan.value(document, 0).map_err(|e| fail(unwrap_nom(e)))?;
    let (rest, _) = ws(rest).map_err(|e| fail(unwrap_nom(e)))?;
    if !rest.is_empty() {
        return Err(JsonError { offset: at(rest), kind: JsonErrorKind::TrailingBytes });
    }
    // Valid: the root value, without the whitespace around it.
    Ok(read_value(document).map_or(Value::Null, |(_, value)| value))
}

/// A failure inside the scanner: where (the input left) and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fail<'a> {
    rest: &'a [u8],
    kind: JsonErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for Fail<'a> {
    fn from_error_kind(rest: &'a [u8], _: nom::error::ErrorKind) -> Self {
        let kind = rest.first().map_or(JsonErrorKind::UnexpectedEnd, |&b| JsonErrorKind::UnexpectedByte(b));
        Fail { rest, kind }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a [u8], T, Fail<'a>>;

fn fail<T>(rest: &[u8], kind: JsonErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(Fail { rest, kind }))
}

fn unwrap_nom(e: nom::Err<Fail<'_>>) -> Fail<'_> {
    match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f,
        nom::Err::Incomplete(_) => Fail { rest: &[], kind: JsonErrorKind::UnexpectedEnd },
    }
}

fn ws(input: &[u8]) -> PResult<'_, &[u8]> {
    take_while(|b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).parse(input)
}

fn digits(input: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(input)
}

/// The scanner, validating (`check`) or only measuring an already valid value.
#[derive(Clone, Copy)]
struct Scan {
    limits: JsonLimits,
    check: bool,
}

impl Scan {
    fn value<'a>(&self, input: &'a [u8], depth: u8) -> PResult<'a, ()> {
        let (input, _) = ws(input)?;
        match input.first() {
            Some(b'{') => self.object(input, depth.saturating_add(1)),
            Some(b'[') => self.array(input, depth.saturating_add(1)),
            Some(b'"') => string(input).map(|(rest, _)| (rest, ())),
            Some(b't') => literal(input, b"true"),
            Some(b'f') => literal(input, b"false"),
            Some(b'n') => literal(input, b"null"),
            Some(b'-' | b'0'..=b'9') => number(input).map(|(rest, _)| (rest, ())),
            Some(&b) => fail(input, JsonErrorKind::UnexpectedByte(b)),
            None => fail(input, JsonErrorKind::UnexpectedEnd),
        }
    }

    fn object<'a>(&self, start: &'a [u8], depth: u8) -> PResult<'a, ()> {
        if depth > self.limits.max_depth {
            return fail(start, JsonErrorKind::TooDeep);
        }
        let (mut input, _) = tag(&b"{"[..]).parse(start)?;
        let mut seen = Bloom::default();
        let mut members: u16 = 0;
        (input, _) = ws(input)?;
        if let Ok((rest, _)) = tag::<_, _, Fail<'a>>(&b"}"[..]).parse(input) {
            return Ok((rest, ()));
        }
        loop {
            (input, _) = ws(input)?;
            if input.first() != Some(&b'"') {
                return fail(
                    input,
                    input.first().map_or(JsonErrorKind::UnexpectedEnd, |&b| JsonErrorKind::UnexpectedByte(b)),
                );
            }
            let key_at = input;
            let (rest, key) = string(input)?;
            if self.check {
                members += 1;
                if members > self.limits.max_members {
                    return fail(key_at, JsonErrorKind::TooManyMembers);
                }
                if seen.insert(key) && self.repeats(start, key_at, key) {
                    return fail(key_at, JsonErrorKind::DuplicateKey);
                }
            }
            (input, _) = (ws, tag(&b":"[..])).parse(rest)?;
            (input, ()) = self.value(input, depth)?;
            (input, _) = ws(input)?;
            match input.first() {
                Some(b',') => input = input.get(1..).unwrap_or_default(),
                Some(b'}') => return Ok((input.get(1..).unwrap_or_default(), ())),
                Some(&b) => return fail(input, JsonErrorKind::UnexpectedByte(b)),
                None => return fail(input, JsonErrorKind::UnexpectedEnd),
            }
        }
    }

    /// True when `key`, at `key_at`, repeats a key of the object starting at
    /// `start` (a re-scan of the members before it: only on a Bloom hit).
    fn repeats(&self, start: &[u8], key_at: &[u8], key: JsonStr<'_>) -> bool {
        let before = start.len() - key_at.len();
        let object = start.get(..before).unwrap_or_default();
        let measure = Scan { check: false, ..*self };
        let mut members = Members { rest: object.get(1..).unwrap_or_default(), scan: measure };
        members.any(|(earlier, _)| earlier == key)
    }

    fn array<'a>(&self, input: &'a [u8], depth: u8) -> PResult<'a, ()> {
        if depth > self.limits.max_depth {
            return fail(input, JsonErrorKind::TooDeep);
        }
        let (mut input, _) = (tag(&b"["[..]), ws).parse(input)?;
        if let Ok((rest, _)) = tag::<_, _, Fail<'a>>(&b"]"[..]).parse(input) {
            return Ok((rest, ()));
        }
        loop {
            (input, ()) = self.value(input, depth)?;
            (input, _) = ws(input)?;
            match input.first() {
                Some(b',') => input = input.get(1..).unwrap_or_default(),
                Some(b']') => return Ok((input.get(1..).unwrap_or_default(), ())),
                Some(&b) => return fail(input, JsonErrorKind::UnexpectedByte(b)),
                None => return fail(input, JsonErrorKind::UnexpectedEnd),
            }
        }
    }
}

fn literal<'a>(input: &'a [u8], word: &'static [u8]) -> PResult<'a, ()> {
    match tag::<_, _, Fail<'a>>(word).parse(input) {
        Ok((rest, _)) => Ok((rest, ())),
        Err(_) => {
            // Point at the first byte that differs.
            let same = input.iter().zip(word).take_while(|(a, b)| a == b).count();
            let at = input.get(same..).unwrap_or_default();
            fail(at, at.first().map_or(JsonErrorKind::UnexpectedEnd, |&b| JsonErrorKind::UnexpectedByte(b)))
        }
    }
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, not followed by
/// anything that would make it another number; an error points at its start.
fn number(input: &[u8]) -> PResult<'_, &[u8]> {
    let int = alt((tag(&b"0"[..]), digits));
    let frac = (tag(&b"."[..]), digits);
    let exp = (alt((tag(&b"e"[..]), tag(&b"E"[..]))), opt(alt((tag(&b"+"[..]), tag(&b"-"[..])))), digits);
    match recognize((opt(tag(&b"-"[..])), int, opt(frac), opt(exp))).parse(input) {
        Ok((rest, raw))
            if !rest.first().is_some_and(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')) =>
        {
            Ok((rest, raw))
        }
        // A number's errors point at its start.
        _ => fail(input, JsonErrorKind::InvalidNumber),
    }
}

/// A string at the start of `input` (which starts with `"`): its raw content.
fn string(input: &[u8]) -> PResult<'_, JsonStr<'_>> {
    let (body, _) = tag(&b"\""[..]).parse(input)?;
    let mut at = 0;
    let mut escapes = false;
    loop {
        let rest = body.get(at..).unwrap_or_default();
        match rest.first() {
            None => return fail(rest, JsonErrorKind::UnexpectedEnd),
            Some(b'"') => break,
            Some(b'\\') => {
                escapes = true;
                at += escape_len(rest).map_err(|kind| nom::Err::Failure(Fail { rest, kind }))?;
            }
            Some(&b) if b < 0x20 => return fail(rest, JsonErrorKind::ControlInString),
            Some(_) => {
                // A run of plain bytes: the next quote, backslash or control byte.
                at += rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len());
            }
        }
    }
    let raw = body.get(..at).unwrap_or_default();
    let raw = match core::str::from_utf8(raw) {
        Ok(raw) => raw,
        Err(e) => return fail(body.get(e.valid_up_to()..).unwrap_or_default(), JsonErrorKind::InvalidUtf8),
    };
    Ok((body.get(at + 1..).unwrap_or_default(), JsonStr { raw, escapes }))
}

/// The length of the escape at the start of `input` (a backslash), surrogate
/// pairs taken together.
fn escape_len(input: &[u8]) -> Result<usize, JsonErrorKind> {
    match input.get(1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(2),
        Some(b'u') => {
            let unit = hex4(input.get(2..6)).ok_or(JsonErrorKind::InvalidUnicodeEscape)?;
            match unit {
                0xd800..=0xdbff => {
                    let low = match (input.get(6..8), hex4(input.get(8..12))) {
                        (Some(b"\\u"), Some(low)) => low,
                        (Some(b"\\u"), None) => return Err(JsonErrorKind::InvalidUnicodeEscape),
                        _ => return Err(JsonErrorKind::LoneSurrogate),
                    };
                    match low {
                        0xdc00..=0xdfff => Ok(12),
                        _ => Err(JsonErrorKind::LoneSurrogate),
                    }
                }
                0xdc00..=0xdfff => Err(JsonErrorKind::LoneSurrogate),
                _ => Ok(6),
            }
        }
        Some(_) => Err(JsonErrorKind::InvalidEscape),
        None => Err(JsonErrorKind::UnexpectedEnd),
    }
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

/// 256 bits of "keys maybe seen", by a hash of their characters.
#[derive(Default)]
struct Bloom([u64; 4]);

impl Bloom {
    /// Records `key`; true if it may have been recorded before.
    fn insert(&mut self, key: JsonStr<'_>) -> bool {
        let hash = key
            .chars()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, c| (h ^ u64::from(u32::from(c))).wrapping_mul(0x100_0000_01b3));
        let mut seen = true;
        for bit in [hash & 0xff, (hash >> 8) & 0xff] {
            let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
            if let Some(w) = self.0.get_mut(word) {
                seen &= *w & mask != 0;
                *w |= mask;
            }
        }
        seen
    }
}

/// A JSON string as written, between its quotes: valid UTF-8 and escapes.
///
/// `Debug` (and defmt) show its length only (it may be a secret); `Display`
/// writes its characters, unescaped.
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    raw: &'a str,
    escapes: bool,
}

impl<'a> JsonStr<'a> {
    /// The text between the quotes, escapes as written.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The text, borrowed, when it holds no escape (the common case).
    pub fn as_str(&self) -> Option<&'a str> {
        (!self.escapes).then_some(self.raw)
    }

    /// Its characters, unescaped.
    pub fn chars(&self) -> Chars<'a> {
        Chars { rest: self.raw.as_bytes(), text: self.raw }
    }

    /// Bytes of its UTF-8 text once unescaped.
    pub fn unescaped_len(&self) -> usize {
        match self.escapes {
            true => self.chars().map(char::len_utf8).sum(),
            false => self.raw.len(),
        }
    }

    /// Writes its unescaped text into `buf` and returns it.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let required = self.unescaped_len();
        let out = buf.get_mut(..required).ok_or(BufferTooSmall { required })?;
        let mut at = 0;
        for c in self.chars() {
            let end = at + c.len_utf8();
            if let Some(dst) = out.get_mut(at..end) {
                c.encode_utf8(dst);
            }
            at = end;
        }
        // Characters encoded back to back are UTF-8.
        core::str::from_utf8(out).map_err(|_| BufferTooSmall { required })
    }

    /// True when its unescaped text is `text`.
    pub fn eq_str(&self, text: &str) -> bool {
        match self.escapes {
            false => self.raw == text,
            true => self.chars().eq(text.chars()),
        }
    }

    /// True when its unescaped text is `text`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, text: &str) -> bool {
        match self.escapes {
            false => self.raw.eq_ignore_ascii_case(text),
            true => self.chars().map(|c| c.to_ascii_lowercase()).eq(text.chars().map(|c| c.to_ascii_lowercase())),
        }
    }
}

impl PartialEq for JsonStr<'_> {
    /// Equal when their unescaped texts are.
    fn eq(&self, other: &Self) -> bool {
        match (self.escapes, other.escapes) {
            (false, false) => self.raw == other.raw,
            _ => self.chars().eq(other.chars()),
        }
    }
}

impl Eq for JsonStr<'_> {}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => f.write_str(text),
            None => self.chars().try_for_each(|c| fmt::Write::write_char(f, c)),
        }
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

/// The unescaped characters of a [`JsonStr`].
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    rest: &'a [u8],
    text: &'a str,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let (&first, after) = self.rest.split_first()?;
        if first != b'\\' {
            // Plain text: a whole UTF-8 character from the validated str.
            let at = self.text.len() - self.rest.len();
            let c = self.text.get(at..)?.chars().next()?;
            self.rest = self.rest.get(c.len_utf8()..).unwrap_or_default();
            return Some(c);
        }
        let (&kind, after) = after.split_first()?;
        self.rest = after;
        Some(match kind {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(after.get(..4))?;
                self.rest = after.get(4..).unwrap_or_default();
                if (0xd800..0xdc00).contains(&unit) {
                    let low = hex4(self.rest.get(2..6))?;
                    self.rest = self.rest.get(6..).unwrap_or_default();
                    let code = 0x10000 + ((u32::from(unit) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
                    char::from_u32(code)?
                } else {
                    char::from_u32(u32::from(unit))?
                }
            }
            other => char::from(other),
        })
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

/// A value of a validated document.
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
    /// The value as compact JSON, strings as written (escapes kept).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(n.raw),
            Value::String(s) => write!(f, "\"{}\"", s.raw),
            Value::Array(a) => {
                f.write_str("[")?;
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(o) => {
                f.write_str("{")?;
                for (i, (key, value)) in o.members().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "\"{}\":{value}", key.raw)?;
                }
                f.write_str("}")
            }
        }
    }
}

/// An object of a validated document.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    /// From its `{` to its `}`.
    bytes: &'a [u8],
}

impl<'a> Object<'a> {
    /// Its members in order: key and value.
    pub fn members(&self) -> Members<'a> {
        Members {
            rest: self.bytes.get(1..).unwrap_or_default(),
            scan: Scan { limits: JsonLimits::DEFAULT, check: false },
        }
    }

    /// The value of `key` (matched exactly, after unescaping).
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.members().find(|(k, _)| k.eq_str(key)).map(|(_, v)| v)
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

/// An array of a validated document.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Array<'a> {
    /// From its `[` to its `]`.
    bytes: &'a [u8],
}

impl<'a> Array<'a> {
    /// Its values in order.
    pub fn iter(&self) -> Items<'a> {
        Items { rest: self.bytes.get(1..).unwrap_or_default() }
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
    rest: &'a [u8],
    scan: Scan,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (rest, _) = ws(self.rest).ok()?;
        let rest = match rest.first() {
            Some(b',') => ws(rest.get(1..)?).ok()?.0,
            Some(b'"') => rest,
            _ => return None,
        };
        let (rest, key) = string(rest).ok()?;
        let (rest, _) = (ws, tag(&b":"[..])).parse(rest).ok()?;
        let (rest, value) = read_value_with(rest, self.scan)?;
        self.rest = rest;
        Some((key, value))
    }
}

impl fmt::Debug for Members<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Members(<{} bytes left>)", self.rest.len())
    }
}

/// The values of an [`Array`].
#[derive(Clone)]
pub struct Items<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Items<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let (rest, _) = ws(self.rest).ok()?;
        let rest = match rest.first() {
            Some(b',') => rest.get(1..)?,
            Some(b']') | None => return None,
            Some(_) => rest,
        };
        let (rest, value) = read_value(rest)?;
        self.rest = rest;
        Some(value)
    }
}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Items(<{} bytes left>)", self.rest.len())
    }
}

/// The value at the start of an already validated `input`, and what follows it.
fn read_value(input: &[u8]) -> Option<(&[u8], Value<'_>)> {
    read_value_with(input, Scan { limits: JsonLimits { max_depth: u8::MAX, max_members: u16::MAX }, check: false })
}

fn read_value_with(input: &[u8], scan: Scan) -> Option<(&[u8], Value<'_>)> {
    let scan = Scan { limits: JsonLimits { max_depth: u8::MAX, ..scan.limits }, check: false };
    let (input, _) = ws(input).ok()?;
    let (rest, ()) = scan.value(input, 0).ok()?;
    let bytes = input.get(..input.len() - rest.len())?;
    let value = match bytes.first()? {
        b'{' => Value::Object(Object { bytes }),
        b'[' => Value::Array(Array { bytes }),
        b'"' => Value::String(string(bytes).ok()?.1),
        b't' => Value::Bool(true),
        b'f' => Value::Bool(false),
        b'n' => Value::Null,
        _ => Value::Number(Number { raw: core::str::from_utf8(bytes).ok()? }),
    };
    Some((rest, value))
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
        ];
        for &(doc, offset, kind) in cases {
            assert_eq!(error(doc), (offset, kind), "{doc:?}");
        }
        assert_eq!(parse(b"\"caf\xc3\"").map_err(|e| (e.offset, e.kind)), Err((4, InvalidUtf8)));
        assert_eq!(parse(b"\"\xff\"").map_err(|e| (e.offset, e.kind)), Err((1, InvalidUtf8)));
        assert_eq!(parse(b"\xef\xbb\xbf{}").map_err(|e| e.kind), Err(UnexpectedByte(0xef)), "no BOM");
    }

    #[test]
    fn depth_and_members_are_bounded() {
        let deep = |n: usize| [String::from("[").repeat(n), String::from("]").repeat(n)].concat();
        assert!(parse(deep(16).as_bytes()).is_ok());
        assert_eq!(error(&deep(17)), (16, JsonErrorKind::TooDeep));
        assert_eq!(error(&deep(100_000)).1, JsonErrorKind::TooDeep, "no stack overflow");
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| std::format!("\"k{i}\":{i}")).collect();
            std::format!("{{{}}}", body.join(","))
        };
        assert!(parse(members(128).as_bytes()).is_ok());
        assert_eq!(error(&members(129)).1, JsonErrorKind::TooManyMembers);
        let limits = JsonLimits { max_depth: 2, max_members: 1 };
        assert_eq!(parse_with(b"[[1]]", limits).map(|_| ()), Ok(()));
        assert_eq!(parse_with(b"[[[1]]]", limits).map_err(|e| e.kind), Err(JsonErrorKind::TooDeep));
        assert_eq!(parse_with(br#"{"a":1,"b":2}"#, limits).map_err(|e| e.kind), Err(JsonErrorKind::TooManyMembers));
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
