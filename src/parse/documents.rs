//! Typed views of the service's JSON documents, zero-copy over the body: the
//! instance identity document, IAM info, security credentials, and the notices
//! (spot instance action, rebalance recommendation, scheduled maintenance).
//!
//! Each reads its document in one left-to-right pass: the JSON is checked,
//! the known fields matched, their types and times read, and the depth and
//! duplicate checks made, all together, so the accessors cannot fail.
//! Unknown fields are checked as JSON and otherwise ignored; a known field
//! given twice is an error; `null` reads as absent.
//!
//! When a document is wrong in more than one way, the error is the first of:
//! the JSON's ([`DocumentError::Json`], whatever comes later in the body);
//! the first field problem in the body (a known field twice, of the wrong
//! type, or a time that is not one; a duplicate before the others); a `Code`
//! other than `Success`; a missing field.

use core::fmt;

use super::json::{Array, JsonError, JsonLimits, JsonStr, KeyRead, KeyTable, Keys, Scanner, Token};
use super::timestamp::{Timestamp, TimestampError};

/// Keys a typed document may hold that it does not know, in the objects open
/// at once (those of its own object, and of unknown values nested in it); one
/// more is [`super::json::JsonErrorKind::TooManyMembers`]. The service's documents
/// have none today; 16 leaves room for fields EC2 may add. The table is 12
/// bytes an entry on a 32-bit target (192 bytes), on the stack while parsing.
pub const MAX_UNKNOWN_KEYS: usize = 16;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DocumentError {
    /// Not JSON.
    Json(JsonError),
    /// Not a JSON object (or, for maintenance events, not an array of objects).
    NotAnObject,
    /// A field the document must have.
    MissingField(&'static str),
    /// A field given twice (credentials' keys are matched ignoring case, and
    /// `Token` and `SessionToken` are the same field).
    DuplicateField(&'static str),
    /// A field of the wrong JSON type (or, in a list of strings, an item
    /// that is not a string).
    WrongType(&'static str),
    /// A time that is not valid.
    InvalidTime(&'static str, TimestampError),
    /// The document's `Code` is not `Success`: the service says why it has no
    /// credentials (say `AssumeRoleUnauthorizedAccess`).
    Code(ErrorCode),
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentError::Json(e) => write!(f, "invalid JSON: {e}"),
            DocumentError::NotAnObject => f.write_str("not a JSON object"),
            DocumentError::MissingField(name) => write!(f, "no `{name}` field"),
            DocumentError::DuplicateField(name) => write!(f, "`{name}` given twice"),
            DocumentError::WrongType(name) => write!(f, "`{name}` has the wrong type"),
            DocumentError::InvalidTime(name, e) => write!(f, "`{name}`: {e}"),
            DocumentError::Code(code) => write!(f, "the service answered Code {code}"),
        }
    }
}

impl core::error::Error for DocumentError {}

impl From<JsonError> for DocumentError {
    fn from(e: JsonError) -> Self {
        DocumentError::Json(e)
    }
}

/// A `Code` from the service, kept inline (`Copy`, no allocation): up to 64
/// bytes; a longer one is marked truncated, and shown with `…`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    bytes: [u8; 64],
    len: u8,
    truncated: bool,
}

impl ErrorCode {
    fn of(code: JsonStr<'_>) -> ErrorCode {
        let mut bytes = [0u8; 64];
        let (mut len, mut last_start, mut truncated) = (0, 0, false);
        for byte in code.bytes() {
            let starts_char = byte & 0xc0 != 0x80;
            if starts_char {
                last_start = len;
            }
            match bytes.get_mut(len) {
                Some(slot) => *slot = byte,
                None => {
                    // Cut before a character that would not fit whole.
                    truncated = true;
                    if !starts_char {
                        len = last_start;
                    }
                    break;
                }
            }
            len += 1;
        }
        for slot in bytes.iter_mut().skip(len) {
            *slot = 0;
        }
        ErrorCode { bytes, len: len as u8, truncated }
    }

    /// The code (its first 64 bytes, when [`ErrorCode::is_truncated`]).
    pub fn as_str(&self) -> &str {
        // Whole characters were copied: UTF-8.
        core::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or_default()).unwrap_or_default()
    }

    /// True when the code was longer than 64 bytes.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorCode({:?}{})", self.as_str(), if self.truncated { "…" } else { "" })
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for ErrorCode {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "ErrorCode({=str})", self.as_str())
    }
}

/// A secret value (a secret access key, a session token): `Debug`, `Display`
/// and defmt show `<redacted>`; [`Secret::expose`] gives the string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret<'a>(JsonStr<'a>);

impl<'a> Secret<'a> {
    /// The secret, to use it (write it where it must go, not to a log).
    pub fn expose(&self) -> JsonStr<'a> {
        self.0
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Secret<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "<redacted>")
    }
}

/// An array of strings (product codes), checked to hold strings only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Strings<'a>(Array<'a>);

impl<'a> Strings<'a> {
    /// The strings, in order.
    pub fn iter(&self) -> impl Iterator<Item = JsonStr<'a>> + 'a {
        self.0.iter().filter_map(|v| v.as_str())
    }
}

/// Where a known field's value goes, as it is read.
enum Slot<'s, 'a> {
    Text(&'s mut Option<JsonStr<'a>>),
    Texts(&'s mut Option<Strings<'a>>),
    /// A time, in the schema's form ([`Schema::time`]).
    Time(&'s mut Option<Timestamp>),
}

/// A document's known fields: `names[i]` goes to slot `i`; `alias` names a
/// second key for one slot (`SessionToken` for `Token`); `fold` matches keys
/// ignoring ASCII case. Names are ASCII letters only (a test holds every
/// schema to it), which [`crate::text::eq_name`] relies on.
struct Schema {
    names: &'static [&'static str],
    alias: Option<(&'static str, usize)>,
    fold: bool,
    /// The parser of the document's times (one form a document).
    time: fn(&[u8]) -> Result<Timestamp, TimestampError>,
}

impl Schema {
    /// The slot `key` names, if any, looked for from slot `from` on (then
    /// from the first): documents come in the order EC2 writes them, which
    /// is the order of `names`, so a key is usually found at the first try.
    fn slot(&self, key: JsonStr<'_>, escaped: bool, from: usize) -> Option<usize> {
        let matches = |name: &str| match (escaped, self.fold) {
            (false, fold) => crate::text::eq_name(key.as_bytes(), name.as_bytes(), fold),
            (true, false) => key.eq_str(name),
            (true, true) => key.eq_ignore_ascii_case(name),
        };
        let count = self.names.len();
        for k in 0..count {
            let i = if from + k < count { from + k } else { from + k - count };
            if self.names.get(i).is_some_and(|name| matches(name)) {
                return Some(i);
            }
        }
        match self.alias {
            Some((alias, slot)) if matches(alias) => Some(slot),
            _ => None,
        }
    }
}

/// One pass over a document: its JSON checked, the known fields of its
/// object (or of each object of its array) read into their slots.
struct Reader<'k, 'a> {
    scanner: Scanner<'a>,
    keys: Keys<'k, 'a>,
    /// The first field problem (a duplicate replaces any other).
    problem: Option<Problem>,
}

/// A field problem found in the pass: the [`DocumentError`] it becomes, kept
/// small while the pass goes on.
#[derive(Clone, Copy)]
enum Problem {
    Duplicate(&'static str),
    WrongType(&'static str),
    Time(&'static str, TimestampError),
    Missing(&'static str),
    NotAnObject,
}

impl From<Problem> for DocumentError {
    fn from(problem: Problem) -> DocumentError {
        match problem {
            Problem::Duplicate(name) => DocumentError::DuplicateField(name),
            Problem::WrongType(name) => DocumentError::WrongType(name),
            Problem::Time(name, e) => DocumentError::InvalidTime(name, e),
            Problem::Missing(name) => DocumentError::MissingField(name),
            Problem::NotAnObject => DocumentError::NotAnObject,
        }
    }
}

impl<'k, 'a> Reader<'k, 'a> {
    fn note(&mut self, problem: Problem) {
        let duplicate = |p: &Option<Problem>| matches!(p, Some(Problem::Duplicate(_)));
        if self.problem.is_none() || duplicate(&Some(problem)) && !duplicate(&self.problem) {
            self.problem = Some(problem);
        }
    }

    /// A string value into its slot (a text or a time).
    fn string(&mut self, slot: &mut Slot<'_, 'a>, text: JsonStr<'a>, name: &'static str, schema: &Schema) {
        match slot {
            Slot::Text(place) => **place = Some(text),
            Slot::Time(place) => time(place, text, name, schema.time).map_or_else(|e| self.note(e), |()| ()),
            Slot::Texts(_) => {}
        }
    }

    /// Reads the rest of the value `first` begins, only checking it.
    fn skip(&mut self, first: Token) {
        self.scanner.skip(first, Some(&mut self.keys));
    }

    /// The members of the object whose `{` was the last token, known fields
    /// into `slots`. A JSON error fails the scanner, which [`Reader::finish`]
    /// reports: every loop here ends at [`Token::Error`].
    fn object(&mut self, schema: &Schema, slots: &mut [Slot<'_, 'a>]) {
        let depth = self.scanner.depth();
        let (mut seen, mut next) = (0u32, 0);
        loop {
            let guess = schema.names.get(next).copied().unwrap_or_default();
            let Some((key, read)) = self.scanner.next_key(guess.as_bytes(), schema.fold) else { break };
            let at = self.scanner.start();
            let known = match read {
                KeyRead::Guessed => Some(next),
                _ => schema.slot(key, read == KeyRead::Escaped, next),
            };
            let (Some(i), Some(slot)) = (known, known.and_then(|i| slots.get_mut(i))) else {
                if let Err(e) = self.keys.insert(key, depth, at) {
                    self.scanner.fail(e.offset, e.kind);
                }
                let first = self.scanner.step();
                self.skip(first);
                continue;
            };
            let name = match read {
                KeyRead::Guessed => guess,
                _ => schema.names.get(i).copied().unwrap_or_default(),
            };
            next = i + 1;
            // Schemas have fewer than 32 names (a test holds them to it).
            let bit = 1u32.wrapping_shl(i as u32);
            if seen & bit != 0 {
                self.note(Problem::Duplicate(name));
            }
            seen |= bit;
            // The common case, a string where one goes, without a token.
            if !matches!(slot, Slot::Texts(_))
                && let Some(text) = self.scanner.string_value()
            {
                self.string(slot, text, name, schema);
                continue;
            }
            if self.scanner.null_value() {
                continue;
            }
            let wrong = match (slot, self.scanner.step()) {
                (_, Token::Null) => false,
                (_, Token::Error) => break,
                (slot @ (Slot::Text(_) | Slot::Time(_)), Token::Str) => {
                    let text = self.scanner.text();
                    self.string(slot, text, name, schema);
                    false
                }
                (Slot::Texts(place), Token::Array) => {
                    let from = self.scanner.start();
                    let mut all_strings = true;
                    loop {
                        match self.scanner.step() {
                            Token::Close | Token::Error => break,
                            Token::Str => {}
                            other => {
                                all_strings = false;
                                self.skip(other);
                            }
                        }
                    }
                    if all_strings {
                        **place = Some(Strings(Array::checked(self.scanner.since(from))));
                    }
                    !all_strings
                }
                (_, other) => {
                    self.skip(other);
                    true
                }
            };
            if wrong {
                self.note(Problem::WrongType(name));
            }
        }
        // The object closed: its unknown keys leave the table.
        self.keys.close(self.scanner.depth());
    }
}

/// A time field's value: refused with an escape in it (times are ASCII).
fn time(
    place: &mut Option<Timestamp>,
    text: JsonStr<'_>,
    name: &'static str,
    parse: fn(&[u8]) -> Result<Timestamp, TimestampError>,
) -> Result<(), Problem> {
    // Times are ASCII: one with an escape in it is no time (and fails to parse).
    let parsed = parse(text.as_bytes());
    *place = Some(parsed.map_err(|e| Problem::Time(name, e))?);
    Ok(())
}

impl<'k, 'a> Reader<'k, 'a> {
    fn new<const N: usize>(body: &'a [u8], table: &'k mut KeyTable<'a, N>) -> Reader<'k, 'a> {
        Reader { scanner: Scanner::new(body, JsonLimits::DEFAULT.max_depth), keys: Keys::new(table), problem: None }
    }

    /// A value where an object must be: checked, and noted.
    fn not_an_object(&mut self, first: Token) {
        self.skip(first);
        self.note(Problem::NotAnObject);
    }

    /// The end of the body; the first problem, if any.
    fn finish(&mut self) -> Result<(), DocumentError> {
        self.scanner.end()?;
        self.problem.map_or(Ok(()), |problem| Err(problem.into()))
    }
}

/// Reads `body`, an object whose known fields go to `slots`, in one pass.
fn read<'a>(body: &'a [u8], schema: &Schema, slots: &mut [Slot<'_, 'a>]) -> Result<(), DocumentError> {
    let mut table = KeyTable::<MAX_UNKNOWN_KEYS>::new();
    let mut reader = Reader::new(body, &mut table);
    match reader.scanner.step() {
        Token::Object => reader.object(schema, slots),
        other => reader.not_an_object(other),
    }
    reader.finish()
}

fn required<T>(value: Option<T>, name: &'static str) -> Result<T, DocumentError> {
    value.ok_or(DocumentError::MissingField(name))
}

/// A `Code` of `Success` (exactly, as the SDKs compare it) or none is fine.
fn success(code: Option<JsonStr<'_>>) -> Result<(), DocumentError> {
    match code {
        Some(code) if !code.eq_str("Success") => Err(DocumentError::Code(ErrorCode::of(code))),
        _ => Ok(()),
    }
}

/// `/latest/dynamic/instance-identity/document`: every field, `null` as `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IdentityDocument<'a> {
    /// `accountId`.
    pub account_id: Option<JsonStr<'a>>,
    /// `architecture` (`x86_64`, `arm64`, `i386`).
    pub architecture: Option<JsonStr<'a>>,
    /// `availabilityZone`.
    pub availability_zone: Option<JsonStr<'a>>,
    /// `billingProducts`.
    pub billing_products: Option<Strings<'a>>,
    /// `devpayProductCodes` (deprecated, usually `null`).
    pub devpay_product_codes: Option<Strings<'a>>,
    /// `imageId`.
    pub image_id: Option<JsonStr<'a>>,
    /// `instanceId`.
    pub instance_id: Option<JsonStr<'a>>,
    /// `instanceType`.
    pub instance_type: Option<JsonStr<'a>>,
    /// `kernelId`.
    pub kernel_id: Option<JsonStr<'a>>,
    /// `marketplaceProductCodes`.
    pub marketplace_product_codes: Option<Strings<'a>>,
    /// `pendingTime`.
    pub pending_time: Option<Timestamp>,
    /// `privateIp`.
    pub private_ip: Option<JsonStr<'a>>,
    /// `ramdiskId`.
    pub ramdisk_id: Option<JsonStr<'a>>,
    /// `region`.
    pub region: Option<JsonStr<'a>>,
    /// `version` (the document's format, `2017-09-30`).
    pub version: Option<JsonStr<'a>>,
}

impl<'a> IdentityDocument<'a> {
    /// Parses the document.
    pub fn parse(body: &'a [u8]) -> Result<IdentityDocument<'a>, DocumentError> {
        const SCHEMA: Schema = Schema {
            names: &[
                "accountId",
                "architecture",
                "availabilityZone",
                "billingProducts",
                "devpayProductCodes",
                "marketplaceProductCodes",
                "imageId",
                "instanceId",
                "instanceType",
                "kernelId",
                "pendingTime",
                "privateIp",
                "ramdiskId",
                "region",
                "version",
            ],
            alias: None,
            fold: false,
            time: Timestamp::rfc3339,
        };
        // Separate fields, and the document made at the end from them: no
        // zeroing of a whole document, and no copy of one.
        let (mut account_id, mut architecture, mut availability_zone, mut image_id, mut instance_id) =
            (None, None, None, None, None);
        let (mut instance_type, mut kernel_id, mut private_ip, mut ramdisk_id, mut region, mut version) =
            (None, None, None, None, None, None);
        let (mut billing_products, mut devpay_product_codes, mut marketplace_product_codes, mut pending_time) =
            (None, None, None, None);
        let mut slots = [
            Slot::Text(&mut account_id),
            Slot::Text(&mut architecture),
            Slot::Text(&mut availability_zone),
            Slot::Texts(&mut billing_products),
            Slot::Texts(&mut devpay_product_codes),
            Slot::Texts(&mut marketplace_product_codes),
            Slot::Text(&mut image_id),
            Slot::Text(&mut instance_id),
            Slot::Text(&mut instance_type),
            Slot::Text(&mut kernel_id),
            Slot::Time(&mut pending_time),
            Slot::Text(&mut private_ip),
            Slot::Text(&mut ramdisk_id),
            Slot::Text(&mut region),
            Slot::Text(&mut version),
        ];
        read(body, &SCHEMA, &mut slots)?;
        Ok(IdentityDocument {
            account_id,
            architecture,
            availability_zone,
            billing_products,
            devpay_product_codes,
            marketplace_product_codes,
            image_id,
            instance_id,
            instance_type,
            kernel_id,
            pending_time,
            private_ip,
            ramdisk_id,
            region,
            version,
        })
    }
}

/// `/latest/meta-data/iam/info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IamInfo<'a> {
    /// `LastUpdated`.
    pub last_updated: Option<Timestamp>,
    /// `InstanceProfileArn`.
    pub instance_profile_arn: JsonStr<'a>,
    /// `InstanceProfileId`.
    pub instance_profile_id: JsonStr<'a>,
}

impl<'a> IamInfo<'a> {
    /// Parses the document; a `Code` other than `Success` is an error.
    pub fn parse(body: &'a [u8]) -> Result<IamInfo<'a>, DocumentError> {
        const SCHEMA: Schema = Schema {
            names: &["Code", "LastUpdated", "InstanceProfileArn", "InstanceProfileId"],
            alias: None,
            fold: false,
            time: Timestamp::rfc3339,
        };
        let (mut code, mut last_updated, mut arn, mut id) = (None, None, None, None);
        let mut slots =
            [Slot::Text(&mut code), Slot::Time(&mut last_updated), Slot::Text(&mut arn), Slot::Text(&mut id)];
        read(body, &SCHEMA, &mut slots)?;
        success(code)?;
        Ok(IamInfo {
            last_updated,
            instance_profile_arn: required(arn, "InstanceProfileArn")?,
            instance_profile_id: required(id, "InstanceProfileId")?,
        })
    }
}

/// `/latest/meta-data/iam/security-credentials[-extended]/<role>`: keys matched
/// ignoring case (as aws-config does); `Token` or `SessionToken`; a `Code`
/// other than `Success` is [`DocumentError::Code`].
///
/// `Debug` and defmt show the key id and times; the secret key and the session
/// token only as `<redacted>` ([`Secret`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// `AccessKeyId`.
    pub access_key_id: JsonStr<'a>,
    /// `SecretAccessKey`.
    pub secret_access_key: Secret<'a>,
    /// `Token` (or `SessionToken`).
    pub session_token: Secret<'a>,
    /// `Expiration`.
    pub expiration: Timestamp,
    /// `AccountId` (the extended API gives it).
    pub account_id: Option<JsonStr<'a>>,
    /// `LastUpdated`.
    pub last_updated: Option<Timestamp>,
    /// `Type` (`AWS-HMAC`).
    pub kind: Option<JsonStr<'a>>,
}

impl<'a> Credentials<'a> {
    /// Parses the document.
    pub fn parse(body: &'a [u8]) -> Result<Credentials<'a>, DocumentError> {
        const SCHEMA: Schema = Schema {
            names: &[
                "Code",
                "LastUpdated",
                "Type",
                "AccessKeyId",
                "SecretAccessKey",
                "Token",
                "Expiration",
                "AccountId",
            ],
            alias: Some(("SessionToken", 5)),
            fold: true,
            time: Timestamp::rfc3339,
        };
        let (mut code, mut key, mut secret, mut token) = (None, None, None, None);
        let (mut expiration, mut account_id, mut last_updated, mut kind) = (None, None, None, None);
        let mut slots = [
            Slot::Text(&mut code),
            Slot::Time(&mut last_updated),
            Slot::Text(&mut kind),
            Slot::Text(&mut key),
            Slot::Text(&mut secret),
            Slot::Text(&mut token),
            Slot::Time(&mut expiration),
            Slot::Text(&mut account_id),
        ];
        read(body, &SCHEMA, &mut slots)?;
        success(code)?;
        Ok(Credentials {
            access_key_id: required(key, "AccessKeyId")?,
            secret_access_key: Secret(required(secret, "SecretAccessKey")?),
            session_token: Secret(required(token, "Token")?),
            expiration: required(expiration, "Expiration")?,
            account_id,
            last_updated,
            kind,
        })
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Credentials<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Credentials {{ access_key_id: {}, secret_access_key: <redacted>, session_token: <redacted>, expiration: {} }}",
            self.access_key_id,
            self.expiration
        )
    }
}

/// What a spot interruption will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SpotActionKind {
    /// `terminate`.
    Terminate,
    /// `stop`.
    Stop,
    /// `hibernate`.
    Hibernate,
    /// Anything else (kept as served).
    Other,
}

/// `/latest/meta-data/spot/instance-action`: `{"action": "terminate", "time": "…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SpotAction<'a> {
    /// What will happen.
    pub kind: SpotActionKind,
    /// The `action` as served.
    pub action: JsonStr<'a>,
    /// When.
    pub time: Timestamp,
}

impl<'a> SpotAction<'a> {
    /// Parses the notice.
    pub fn parse(body: &'a [u8]) -> Result<SpotAction<'a>, DocumentError> {
        const SCHEMA: Schema =
            Schema { names: &["action", "time"], alias: None, fold: false, time: Timestamp::rfc3339 };
        let (mut action, mut time) = (None, None);
        read(body, &SCHEMA, &mut [Slot::Text(&mut action), Slot::Time(&mut time)])?;
        let action = required(action, "action")?;
        let kind = match action.as_bytes() {
            b"terminate" if !action.has_escapes() => SpotActionKind::Terminate,
            b"stop" if !action.has_escapes() => SpotActionKind::Stop,
            b"hibernate" if !action.has_escapes() => SpotActionKind::Hibernate,
            _ if action.eq_str("terminate") => SpotActionKind::Terminate,
            _ if action.eq_str("stop") => SpotActionKind::Stop,
            _ if action.eq_str("hibernate") => SpotActionKind::Hibernate,
            _ => SpotActionKind::Other,
        };
        Ok(SpotAction { kind, action, time: required(time, "time")? })
    }
}

/// `/latest/meta-data/events/recommendations/rebalance`: `{"noticeTime": "…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RebalanceRecommendation {
    /// When the recommendation was made.
    pub notice_time: Timestamp,
}

impl RebalanceRecommendation {
    /// Parses the notice.
    pub fn parse(body: &[u8]) -> Result<RebalanceRecommendation, DocumentError> {
        const SCHEMA: Schema = Schema { names: &["noticeTime"], alias: None, fold: false, time: Timestamp::rfc3339 };
        let mut notice = None;
        read(body, &SCHEMA, &mut [Slot::Time(&mut notice)])?;
        Ok(RebalanceRecommendation { notice_time: required(notice, "noticeTime")? })
    }
}

/// `/latest/meta-data/events/maintenance/scheduled` (and `history`): an array
/// of events, each checked when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MaintenanceEvents<'a>(Array<'a>);

/// One scheduled maintenance event. Its times are in the service's
/// `21 Jan 2019 09:00:43 GMT` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MaintenanceEvent<'a> {
    /// `Code` (`system-reboot`, `instance-stop`, ...).
    pub code: JsonStr<'a>,
    /// `Description`.
    pub description: Option<JsonStr<'a>>,
    /// `EventId`.
    pub event_id: Option<JsonStr<'a>>,
    /// `NotBefore`.
    pub not_before: Timestamp,
    /// `NotAfter`.
    pub not_after: Option<Timestamp>,
    /// `NotBeforeDeadline`.
    pub not_before_deadline: Option<Timestamp>,
    /// `State` (`active`, `completed`, `canceled`).
    pub state: Option<JsonStr<'a>>,
}

impl<'a> MaintenanceEvents<'a> {
    /// Parses the list, checking every event.
    pub fn parse(body: &'a [u8]) -> Result<MaintenanceEvents<'a>, DocumentError> {
        let mut table = KeyTable::<MAX_UNKNOWN_KEYS>::new();
        let mut reader = Reader::new(body, &mut table);
        let first = reader.scanner.step();
        let from = reader.scanner.start();
        if first != Token::Array {
            reader.not_an_object(first);
        } else {
            loop {
                match reader.scanner.step() {
                    Token::Close | Token::Error => break,
                    Token::Object => {
                        let mut event = Event::default();
                        reader.object(&EVENT, &mut event.slots());
                        // The two fields an event must have.
                        let missing = match (event.code, event.not_before) {
                            (None, _) => Some("Code"),
                            (_, None) => Some("NotBefore"),
                            _ => None,
                        };
                        if let (None, Some(name)) = (reader.problem, missing) {
                            reader.note(Problem::Missing(name));
                        }
                    }
                    other => reader.not_an_object(other),
                }
            }
        }
        let array = Array::checked(reader.scanner.since(from));
        reader.finish()?;
        Ok(MaintenanceEvents(array))
    }

    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = MaintenanceEvent<'a>> + 'a {
        self.0.iter().filter_map(|item| {
            let mut event = Event::default();
            read(item.as_object()?.as_bytes(), &EVENT, &mut event.slots()).ok()?;
            event.finish().ok()
        })
    }

    /// True when none is scheduled (`[]`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const EVENT: Schema = Schema {
    names: &["Code", "Description", "EventId", "NotBefore", "NotAfter", "NotBeforeDeadline", "State"],
    alias: None,
    fold: false,
    time: Timestamp::event_time,
};

/// One event's fields as read.
#[derive(Default)]
struct Event<'a> {
    code: Option<JsonStr<'a>>,
    description: Option<JsonStr<'a>>,
    event_id: Option<JsonStr<'a>>,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    not_before_deadline: Option<Timestamp>,
    state: Option<JsonStr<'a>>,
}

impl<'a> Event<'a> {
    fn slots(&mut self) -> [Slot<'_, 'a>; 7] {
        let Event { code, description, event_id, not_before, not_after, not_before_deadline, state } = self;
        [
            Slot::Text(code),
            Slot::Text(description),
            Slot::Text(event_id),
            Slot::Time(not_before),
            Slot::Time(not_after),
            Slot::Time(not_before_deadline),
            Slot::Text(state),
        ]
    }

    fn finish(&self) -> Result<MaintenanceEvent<'a>, DocumentError> {
        Ok(MaintenanceEvent {
            code: required(self.code, "Code")?,
            description: self.description,
            event_id: self.event_id,
            not_before: required(self.not_before, "NotBefore")?,
            not_after: self.not_after,
            not_before_deadline: self.not_before_deadline,
            state: self.state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn error_codes_are_kept_whole_or_marked() {
        let root = crate::parse::json::parse(br#"["AssumeRoleUnauthorizedAccess", "x\u00e9", "0123456789012345678901234567890123456789012345678901234567890123456789"]"#).unwrap();
        let codes: Vec<ErrorCode> =
            root.as_array().unwrap().iter().map(|v| ErrorCode::of(v.as_str().unwrap())).collect();
        assert_eq!(codes[0].to_string(), "AssumeRoleUnauthorizedAccess");
        assert_eq!(codes[1].as_str(), "x\u{e9}");
        assert!(codes[2].is_truncated() && codes[2].as_str().len() == 64 && codes[2].to_string().ends_with('…'));
    }

    #[test]
    fn secrets_never_show() {
        let body = br#"{"AccessKeyId":"ASIA1","SecretAccessKey":"wJalrXUtnFEMI","Token":"IQoJsessiontoken","Expiration":"2026-11-26T21:47:55Z"}"#;
        let credentials = Credentials::parse(body).unwrap();
        let shown = std::format!("{credentials:?} {} {}", credentials.secret_access_key, credentials.session_token);
        assert!(!shown.contains("wJalr") && !shown.contains("IQoJ"), "{shown}");
        assert_eq!(credentials.secret_access_key.expose().as_str(), Some("wJalrXUtnFEMI"));
    }
}
