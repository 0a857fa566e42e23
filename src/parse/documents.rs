//! Typed views of the service's JSON documents, zero-copy over the body: the
//! instance identity document, IAM info, security credentials, and the notices
//! (spot instance action, rebalance recommendation, scheduled maintenance).
//!
//! Each checks its document whole when parsed (JSON, field types, timestamps),
//! so its accessors cannot fail. Unknown fields are ignored; a known field
//! given twice is an error; `null` reads as absent.

use core::fmt;

use super::json::{self, Array, JsonError, JsonStr, Object, Value};
use super::timestamp::{Timestamp, TimestampError};

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
    /// A field of the wrong JSON type.
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
        let mut len = 0;
        let mut truncated = false;
        for c in code.chars() {
            // Four bytes always hold a character: this encoding cannot fail.
            let mut utf8 = [0u8; 4];
            let encoded = c.encode_utf8(&mut utf8).as_bytes();
            match bytes.get_mut(len..len + encoded.len()) {
                Some(dst) => len += crate::buffer::copy_into(dst, encoded),
                None => {
                    truncated = true;
                    break;
                }
            }
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

/// How a document's keys are matched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Exact,
    IgnoreAsciiCase,
}

/// The members of `object` named in `names`, each at most once; `aliases`
/// maps a second name onto a slot (`SessionToken` onto `Token`).
fn fields<'a, const N: usize>(
    object: Object<'a>,
    names: [&'static str; N],
    aliases: &[(&'static str, usize)],
    keys: Keys,
) -> Result<[Option<Value<'a>>; N], DocumentError> {
    let mut found = [None; N];
    let matches = |key: JsonStr<'_>, name: &str| match keys {
        Keys::Exact => key.eq_str(name),
        Keys::IgnoreAsciiCase => key.eq_ignore_ascii_case(name),
    };
    for (key, value) in object.members() {
        let slot = names
            .iter()
            .position(|name| matches(key, name))
            .or_else(|| aliases.iter().find(|(alias, _)| matches(key, alias)).map(|&(_, slot)| slot));
        let (Some(slot), Some(name)) = (slot, slot.and_then(|i| names.get(i))) else { continue };
        match found.get_mut(slot) {
            Some(Some(_)) => return Err(DocumentError::DuplicateField(name)),
            Some(place) => *place = Some(value),
            None => {}
        }
    }
    Ok(found)
}

fn object_of(body: &[u8]) -> Result<Object<'_>, DocumentError> {
    json::parse(body)?.as_object().ok_or(DocumentError::NotAnObject)
}

/// A string field: absent or `null` is `None`.
fn string<'a>(value: Option<Value<'a>>, name: &'static str) -> Result<Option<JsonStr<'a>>, DocumentError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DocumentError::WrongType(name)),
    }
}

fn required<'a>(value: Option<Value<'a>>, name: &'static str) -> Result<JsonStr<'a>, DocumentError> {
    string(value, name)?.ok_or(DocumentError::MissingField(name))
}

fn time(
    value: Option<Value<'_>>,
    name: &'static str,
    parse: fn(&str) -> Result<Timestamp, TimestampError>,
) -> Result<Option<Timestamp>, DocumentError> {
    let Some(text) = string(value, name)? else { return Ok(None) };
    // Times are ASCII: one with an escape in it is not a time.
    let text = text.as_str().ok_or(DocumentError::InvalidTime(name, TimestampError::Syntax))?;
    parse(text).map(Some).map_err(|e| DocumentError::InvalidTime(name, e))
}

fn rfc3339(value: Option<Value<'_>>, name: &'static str) -> Result<Option<Timestamp>, DocumentError> {
    time(value, name, Timestamp::parse_rfc3339)
}

fn strings<'a>(value: Option<Value<'a>>, name: &'static str) -> Result<Option<Strings<'a>>, DocumentError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.iter().all(|v| v.as_str().is_some()) => Ok(Some(Strings(a))),
        Some(_) => Err(DocumentError::WrongType(name)),
    }
}

/// A `Code` of `Success` (exactly, as the SDKs compare it) or none is fine.
fn success(value: Option<Value<'_>>) -> Result<(), DocumentError> {
    match string(value, "Code")? {
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
        let names = [
            "accountId",
            "architecture",
            "availabilityZone",
            "billingProducts",
            "devpayProductCodes",
            "imageId",
            "instanceId",
            "instanceType",
            "kernelId",
            "marketplaceProductCodes",
            "pendingTime",
            "privateIp",
            "ramdiskId",
            "region",
            "version",
        ];
        let [
            account,
            arch,
            zone,
            billing,
            devpay,
            image,
            instance,
            kind,
            kernel,
            market,
            pending,
            ip,
            ramdisk,
            region,
            version,
        ] = fields(object_of(body)?, names, &[], Keys::Exact)?;
        Ok(IdentityDocument {
            account_id: string(account, "accountId")?,
            architecture: string(arch, "architecture")?,
            availability_zone: string(zone, "availabilityZone")?,
            billing_products: strings(billing, "billingProducts")?,
            devpay_product_codes: strings(devpay, "devpayProductCodes")?,
            image_id: string(image, "imageId")?,
            instance_id: string(instance, "instanceId")?,
            instance_type: string(kind, "instanceType")?,
            kernel_id: string(kernel, "kernelId")?,
            marketplace_product_codes: strings(market, "marketplaceProductCodes")?,
            pending_time: rfc3339(pending, "pendingTime")?,
            private_ip: string(ip, "privateIp")?,
            ramdisk_id: string(ramdisk, "ramdiskId")?,
            region: string(region, "region")?,
            version: string(version, "version")?,
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
        let names = ["Code", "LastUpdated", "InstanceProfileArn", "InstanceProfileId"];
        let [code, updated, arn, id] = fields(object_of(body)?, names, &[], Keys::Exact)?;
        success(code)?;
        Ok(IamInfo {
            last_updated: rfc3339(updated, "LastUpdated")?,
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
        let names =
            ["Code", "AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId", "LastUpdated", "Type"];
        let [code, key, secret, token, expiration, account, updated, kind] =
            fields(object_of(body)?, names, &[("SessionToken", 3)], Keys::IgnoreAsciiCase)?;
        success(code)?;
        Ok(Credentials {
            access_key_id: required(key, "AccessKeyId")?,
            secret_access_key: Secret(required(secret, "SecretAccessKey")?),
            session_token: Secret(required(token, "Token")?),
            expiration: rfc3339(expiration, "Expiration")?.ok_or(DocumentError::MissingField("Expiration"))?,
            account_id: string(account, "AccountId")?,
            last_updated: rfc3339(updated, "LastUpdated")?,
            kind: string(kind, "Type")?,
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
        let [action, time] = fields(object_of(body)?, ["action", "time"], &[], Keys::Exact)?;
        let action = required(action, "action")?;
        let kind = match action.as_str() {
            Some("terminate") => SpotActionKind::Terminate,
            Some("stop") => SpotActionKind::Stop,
            Some("hibernate") => SpotActionKind::Hibernate,
            _ => SpotActionKind::Other,
        };
        let time = rfc3339(time, "time")?.ok_or(DocumentError::MissingField("time"))?;
        Ok(SpotAction { kind, action, time })
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
        let [notice] = fields(object_of(body)?, ["noticeTime"], &[], Keys::Exact)?;
        let notice_time = rfc3339(notice, "noticeTime")?.ok_or(DocumentError::MissingField("noticeTime"))?;
        Ok(RebalanceRecommendation { notice_time })
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
        let array = json::parse(body)?.as_array().ok_or(DocumentError::NotAnObject)?;
        for item in array.iter() {
            MaintenanceEvent::of(item)?;
        }
        Ok(MaintenanceEvents(array))
    }

    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = MaintenanceEvent<'a>> + 'a {
        self.0.iter().filter_map(|item| MaintenanceEvent::of(item).ok())
    }

    /// True when none is scheduled (`[]`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> MaintenanceEvent<'a> {
    fn of(item: Value<'a>) -> Result<MaintenanceEvent<'a>, DocumentError> {
        let object = item.as_object().ok_or(DocumentError::NotAnObject)?;
        let names = ["Code", "Description", "EventId", "NotBefore", "NotAfter", "NotBeforeDeadline", "State"];
        let [code, description, id, before, after, deadline, state] = fields(object, names, &[], Keys::Exact)?;
        let event_time = |value, name| time(value, name, Timestamp::parse_event_time);
        Ok(MaintenanceEvent {
            code: required(code, "Code")?,
            description: string(description, "Description")?,
            event_id: string(id, "EventId")?,
            not_before: event_time(before, "NotBefore")?.ok_or(DocumentError::MissingField("NotBefore"))?,
            not_after: event_time(after, "NotAfter")?,
            not_before_deadline: event_time(deadline, "NotBeforeDeadline")?,
            state: string(state, "State")?,
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
        let root = json::parse(br#"["AssumeRoleUnauthorizedAccess", "x\u00e9", "0123456789012345678901234567890123456789012345678901234567890123456789"]"#).unwrap();
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
