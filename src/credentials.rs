//! Credentials of the instance's IAM role, fetched as the AWS SDKs do.

use core::fmt;

use crate::BodyMode;
use crate::catalog::{self, MetadataPath};
use crate::client::{Answer, Client, Error, ErrorKind, Operation};
use crate::flow::{Flow, Step};
use crate::parse::{Credentials, DocumentError, Timestamp};
use crate::time::Instant;

/// Seconds before expiry that credentials are due for refresh, at least; up
/// to [`REFRESH_JITTER_SECS`] more spread a fleet's refreshes.
pub const REFRESH_BEFORE_EXPIRY_SECS: i64 = 5 * 60;

/// The most jitter added to [`REFRESH_BEFORE_EXPIRY_SECS`].
pub const REFRESH_JITTER_SECS: i64 = 5 * 60;

/// The smallest clock error taken out of [`FetchedCredentials`]' times: a
/// minute (less is the fetch's own duration and `Date`'s one-second grain).
pub const MIN_CLOCK_SKEW_SECS: i64 = 60;

/// Seconds an already expired credential is kept for (static stability), plus
/// up to [`STALE_JITTER_SECS`]: aws-config's figures.
pub const STALE_EXTENSION_SECS: i64 = 10 * 60;

/// The most jitter added to [`STALE_EXTENSION_SECS`].
pub const STALE_JITTER_SECS: i64 = 5 * 60;

/// Which credentials API the service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CredentialsApi {
    /// Not known yet: the extended API is tried first.
    Unknown,
    /// `iam/security-credentials-extended/` (with `AccountId`).
    Extended,
    /// `iam/security-credentials/` (the extended API answered 404 or 5xx).
    Legacy,
}

/// Why no credentials came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CredentialsError {
    /// The instance has no IAM role: the role listing answered 404 or is empty.
    NoRole,
    /// The role listing's first line (or the role given) is not an IAM role name.
    InvalidRole,
    /// The role's credentials answered 404 (a given role on both APIs).
    NotFound,
    /// The credentials document is invalid, or its `Code` is not `Success`
    /// ([`DocumentError::Code`]).
    Document(DocumentError),
    /// A request failed.
    Request(Error),
    /// [`Flow`] calls out of order.
    WrongStep,
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NoRole => f.write_str("the instance has no IAM role (no role listed)"),
            CredentialsError::InvalidRole => f.write_str("the role listing does not name an IAM role"),
            CredentialsError::NotFound => f.write_str("the role's credentials are not there (404)"),
            CredentialsError::Document(e) => e.fmt(f),
            CredentialsError::Request(e) => e.fmt(f),
            CredentialsError::WrongStep => f.write_str("credentials calls out of order"),
        }
    }
}

impl core::error::Error for CredentialsError {}

impl From<Error> for CredentialsError {
    fn from(e: Error) -> Self {
        CredentialsError::Request(e)
    }
}

/// Credentials as a caller uses them: the document, when they are due for
/// refresh, and whether they were served expired. Its secrets are
/// [`Secret`](crate::parse::Secret)s: `<redacted>` in `Debug` and defmt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FetchedCredentials<'b> {
    /// The document (secrets inside are [`Secret`](crate::parse::Secret)s).
    pub credentials: Credentials<'b>,
    /// When to stop using them: their `Expiration`, or, when the service served
    /// them already expired, a short while from now (static stability).
    pub expires_at: Timestamp,
    /// When to fetch new ones: [`REFRESH_BEFORE_EXPIRY_SECS`] plus up to
    /// [`REFRESH_JITTER_SECS`] before `expires_at`, and not before now.
    pub refresh_at: Timestamp,
    /// The service served them expired; `expires_at` was extended by
    /// [`STALE_EXTENSION_SECS`] plus jitter, and a refresh should come soon.
    /// Warn about it: the service may be having trouble.
    pub stale: bool,
    /// The service's clock (its answer's `Date`) minus the caller's
    /// (`wall_now`), when they differ by [`MIN_CLOCK_SKEW_SECS`] or more; else
    /// 0. `expires_at` and `refresh_at` are on the caller's clock: this is
    /// taken out of them, so a wall clock set back or ahead (a VM restored
    /// from a snapshot) still refreshes before the service's expiry.
    pub clock_skew_secs: i64,
}

impl<'b> FetchedCredentials<'b> {
    fn of(credentials: Credentials<'b>, wall_now: Timestamp, server_now: Option<Timestamp>) -> FetchedCredentials<'b> {
        let skew = server_now.map_or(0, |server| server.unix_seconds().saturating_sub(wall_now.unix_seconds()));
        let clock_skew_secs = if skew.unsigned_abs() >= MIN_CLOCK_SKEW_SECS as u64 { skew } else { 0 };
        let expiration = credentials.expiration.saturating_add_secs(clock_skew_secs.saturating_neg());
        let stale = expiration <= wall_now;
        // Seeded per instance: a fleet shares the clock (and, restored from
        // one snapshot, everything else), not its access key ids.
        let key = credentials.access_key_id.raw().bytes();
        let mixed = key.fold(0x811c_9dc5 ^ credentials.expiration.unix_seconds() as u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        let mut seed = (mixed ^ wall_now.unix_seconds() as u32) | 1;
        let mut jitter = |most: i64| i64::from(crate::client::xorshift32(&mut seed) % (most as u32 + 1));
        let expires_at = match stale {
            false => expiration,
            true => wall_now.saturating_add_secs(STALE_EXTENSION_SECS + jitter(STALE_JITTER_SECS)),
        };
        let lead = REFRESH_BEFORE_EXPIRY_SECS + jitter(REFRESH_JITTER_SECS);
        let refresh_at = expires_at.saturating_add_secs(-lead).max(wall_now);
        FetchedCredentials { credentials, expires_at, refresh_at, stale, clock_skew_secs }
    }
}

/// Fetches credentials as the AWS SDKs do (their shared test specification
/// for IMDS credentials, with the extended API): make one per session and call
/// [`CredentialsFlow::fetch`] for each refresh.
///
/// - The role is discovered from `iam/security-credentials-extended/` (its
///   first line), or from `iam/security-credentials/` once that answered 404:
///   the legacy API is remembered. A role given with
///   [`CredentialsFlow::with_role`] is not discovered.
/// - The credentials come from `…-extended/<role>` (with `AccountId`), or from
///   the legacy `iam/security-credentials/<role>`.
/// - The role is kept for the next fetch; if its credentials then answer 404
///   (the instance profile changed), it is discovered again. A given role that
///   answers 404 on both APIs is [`CredentialsError::NotFound`].
/// - A 404, or a 5xx after the request's retries (moto answers 500), from the
///   extended API's first request moves to the legacy API, and that is
///   remembered; once the extended API has answered, any failure is an error.
///   [`CredentialsFlow::with_api`] fixes the API instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsFlow {
    api: CredentialsApi,
    role: heapless::String<64>,
    given_role: bool,
}

impl Default for CredentialsFlow {
    fn default() -> Self {
        CredentialsFlow::new()
    }
}

impl CredentialsFlow {
    /// Nothing known yet: the API and the role are found on the first fetch.
    pub const fn new() -> CredentialsFlow {
        CredentialsFlow { api: CredentialsApi::Unknown, role: heapless::String::new(), given_role: false }
    }

    /// With the role (instance profile) given, as the SDKs'
    /// `ec2InstanceProfileName`: no discovery.
    pub fn with_role(role: &str) -> Result<CredentialsFlow, CredentialsError> {
        if !catalog::is_role(role) {
            return Err(CredentialsError::InvalidRole);
        }
        let mut flow = CredentialsFlow::new();
        flow.role.push_str(role).map_err(|_| CredentialsError::InvalidRole)?;
        flow.given_role = true;
        Ok(flow)
    }

    /// With the API fixed instead of probed (say [`CredentialsApi::Legacy`]
    /// for a server without the extended one that does not answer it with 404).
    pub fn with_api(self, api: CredentialsApi) -> CredentialsFlow {
        CredentialsFlow { api, ..self }
    }

    /// The API found so far.
    pub fn api(&self) -> CredentialsApi {
        self.api
    }

    /// The role found (or given), once known.
    pub fn role(&self) -> Option<&str> {
        (!self.role.is_empty()).then_some(self.role.as_str())
    }

    /// One fetch, at wall-clock time `wall_now` (for expiry): a [`Flow`].
    pub fn fetch(&mut self, wall_now: Timestamp) -> CredentialsFetch<'_> {
        let api = self.api.probed();
        let step = match self.role.is_empty() {
            true => Fetching::List { api },
            false => Fetching::Get { api, fresh: false },
        };
        CredentialsFetch { flow: self, wall_now, step, path: None }
    }
}

impl CredentialsApi {
    /// The API to ask: the extended one unless the legacy one is known.
    fn probed(self) -> CredentialsApi {
        match self {
            CredentialsApi::Legacy => CredentialsApi::Legacy,
            _ => CredentialsApi::Extended,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetching {
    /// Discovering the role through `api`'s listing.
    List {
        api: CredentialsApi,
    },
    /// Getting the role's credentials through `api`; `fresh`: the role was
    /// just discovered (a 404 now is not a changed profile).
    Get {
        api: CredentialsApi,
        fresh: bool,
    },
    Done,
}

/// One fetch of credentials; see [`CredentialsFlow`].
#[derive(Debug)]
pub struct CredentialsFetch<'f> {
    flow: &'f mut CredentialsFlow,
    wall_now: Timestamp,
    step: Fetching,
    /// The path of the role's credentials, once built.
    path: Option<MetadataPath>,
}

impl Flow for CredentialsFetch<'_> {
    type Output<'b> = FetchedCredentials<'b>;
    type Error = CredentialsError;

    fn start<'c, 'a, 'f>(
        &'f mut self,
        now: Instant,
        client: &'c mut Client<'a>,
    ) -> Result<Operation<'c, 'a, 'f>, CredentialsError> {
        let role = &self.flow.role;
        let path = match self.step {
            Fetching::List { api: CredentialsApi::Legacy } => catalog::IAM_SECURITY_CREDENTIALS,
            Fetching::List { .. } => catalog::IAM_SECURITY_CREDENTIALS_EXTENDED,
            Fetching::Get { api, .. } => {
                let built = match api {
                    CredentialsApi::Legacy => catalog::security_credentials(role),
                    _ => catalog::security_credentials_extended(role),
                };
                self.path.insert(built.map_err(|_| CredentialsError::InvalidRole)?).as_str()
            }
            Fetching::Done => return Err(CredentialsError::WrongStep),
        };
        Ok(client.get(now, path, BodyMode::Contiguous))
    }

    fn finish(&mut self, _now: Instant, outcome: Result<Answer<'_>, Error>) -> Result<Step, CredentialsError> {
        let flow = &mut *self.flow;
        // Probing the extended API: its first request, before it ever answered.
        let probing = flow.api == CredentialsApi::Unknown
            && match self.step {
                Fetching::List { api: CredentialsApi::Extended } => true,
                Fetching::Get { api: CredentialsApi::Extended, .. } => flow.given_role,
                _ => false,
            };
        let answer = match outcome {
            Ok(answer) => Some(answer).filter(Answer::found),
            // A 5xx after the request's retries, while probing (moto answers
            // the extended API with 500): missing, as a 404 is.
            Err(Error { kind: ErrorKind::Status(500..=599), .. }) if probing => None,
            Err(e) => return Err(CredentialsError::Request(e)),
        };
        self.step = match (self.step, answer) {
            // No extended listing: the legacy API, from now on.
            (Fetching::List { api: CredentialsApi::Extended }, None) if probing => {
                flow.api = CredentialsApi::Legacy;
                Fetching::List { api: CredentialsApi::Legacy }
            }
            (Fetching::List { .. }, None) => return Err(CredentialsError::NoRole),
            (Fetching::List { api }, Some(answer)) => {
                let role = first_line(answer.body).ok_or(CredentialsError::NoRole)?;
                if !catalog::is_role(role) {
                    return Err(CredentialsError::InvalidRole);
                }
                flow.role.clear();
                flow.role.push_str(role).map_err(|_| CredentialsError::InvalidRole)?;
                Fetching::Get { api, fresh: true }
            }
            (Fetching::Get { api, .. }, Some(answer)) => {
                Credentials::parse(answer.body).map_err(CredentialsError::Document)?;
                flow.api = api;
                self.step = Fetching::Done;
                return Ok(Step::Done);
            }
            // A given role: try the legacy API before giving up.
            (Fetching::Get { api: CredentialsApi::Extended, fresh }, None) if flow.given_role => {
                Fetching::Get { api: CredentialsApi::Legacy, fresh }
            }
            // A kept role that is gone: discover it again.
            (Fetching::Get { api, fresh: false }, None) if !flow.given_role => {
                flow.role.clear();
                Fetching::List { api }
            }
            (Fetching::Get { .. }, None) => return Err(CredentialsError::NotFound),
            (Fetching::Done, _) => return Err(CredentialsError::WrongStep),
        };
        Ok(Step::More)
    }

    fn output<'b>(&self, answer: Answer<'b>) -> Result<FetchedCredentials<'b>, CredentialsError> {
        if self.step != Fetching::Done {
            return Err(CredentialsError::WrongStep);
        }
        let credentials = Credentials::parse(answer.body).map_err(CredentialsError::Document)?;
        let date = answer.date.and_then(|date| core::str::from_utf8(date).ok());
        let server_now = date.and_then(|date| Timestamp::parse_http_date(date).ok());
        Ok(FetchedCredentials::of(credentials, self.wall_now, server_now))
    }
}

/// The first line of a listing, trimmed; `None` if empty or not UTF-8.
pub(crate) fn first_line(body: &[u8]) -> Option<&str> {
    let line = body.split(|&b| b == b'\n').next()?;
    let line = core::str::from_utf8(line).ok()?.trim();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    fn fetched(expiration: &str, now: &str) -> FetchedCredentials<'static> {
        fetched_by("a", expiration, now)
    }

    fn fetched_by(key: &str, expiration: &str, now: &str) -> FetchedCredentials<'static> {
        let body: &'static [u8] = std::boxed::Box::leak(
            std::format!(r#"{{"AccessKeyId":"{key}","SecretAccessKey":"s","Token":"t","Expiration":"{expiration}"}}"#)
                .into_bytes()
                .into_boxed_slice(),
        );
        FetchedCredentials::of(Credentials::parse(body).unwrap(), Timestamp::parse_rfc3339(now).unwrap(), None)
    }

    #[test]
    fn refresh_five_to_ten_minutes_before_expiry_not_before_now() {
        let f = fetched("2026-11-26T21:47:55Z", "2026-11-26T15:12:40Z");
        let lead = f.expires_at.unix_seconds() - f.refresh_at.unix_seconds();
        assert_eq!((f.stale, f.expires_at.to_string()), (false, "2026-11-26T21:47:55Z".into()));
        assert!((300..=600).contains(&lead), "{lead}");
        let leads: std::collections::BTreeSet<i64> = (0..24)
            .map(|hour| {
                let f = fetched_by("ASIAONE", &std::format!("2026-11-27T{hour:02}:00:00Z"), "2026-11-26T15:12:40Z");
                f.expires_at.unix_seconds() - f.refresh_at.unix_seconds()
            })
            .collect();
        assert!(leads.len() >= 12 && leads.iter().all(|l| (300..=600).contains(l)), "spread: {leads:?}");
        let f = fetched("2026-11-26T21:47:55Z", "2026-11-26T21:45:00Z");
        assert_eq!((f.stale, f.refresh_at.to_string()), (false, "2026-11-26T21:45:00Z".into()), "due now");
    }

    #[test]
    fn the_jitter_differs_between_instances_at_the_same_instant() {
        let extensions: std::collections::BTreeSet<_> = (0..8)
            .map(|n| {
                fetched_by(&std::format!("ASIA{n:016}"), "2026-11-26T21:00:00Z", "2026-11-26T22:00:00Z").expires_at
            })
            .collect();
        assert!(extensions.len() >= 6, "{extensions:?}");
    }

    #[test]
    fn the_clock_skew_from_date_is_taken_out() {
        let body = br#"{"AccessKeyId":"a","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-26T21:00:00Z"}"#;
        let at = |now: &str, date: Option<&str>| {
            let date = date.map(|d| Timestamp::parse_http_date(d).unwrap());
            FetchedCredentials::of(Credentials::parse(body).unwrap(), Timestamp::parse_rfc3339(now).unwrap(), date)
        };
        // The caller's clock is an hour behind the service's: its expiry is an hour earlier on it.
        let behind = at("2026-11-26T14:00:00Z", Some("Thu, 26 Nov 2026 15:00:00 GMT"));
        assert_eq!((behind.clock_skew_secs, behind.expires_at.to_string()), (3600, "2026-11-26T20:00:00Z".into()));
        // An hour ahead: served valid, but expired on the caller's clock unless corrected.
        let ahead = at("2026-11-26T21:30:00Z", Some("Thu, 26 Nov 2026 20:30:00 GMT"));
        assert_eq!((ahead.clock_skew_secs, ahead.stale), (-3600, false));
        assert_eq!(ahead.expires_at.to_string(), "2026-11-26T22:00:00Z");
        // Under a minute, or no Date: nothing taken out.
        assert_eq!(at("2026-11-26T15:00:00Z", Some("Thu, 26 Nov 2026 15:00:59 GMT")).clock_skew_secs, 0);
        assert_eq!(at("2026-11-26T15:00:00Z", None).expires_at.to_string(), "2026-11-26T21:00:00Z");
        assert!(Timestamp::parse_http_date("Thu 26 Nov 2026 15:00:00 GMT").is_err());
        assert!(Timestamp::parse_http_date("Thu, 6 Nov 2026 15:00:00 GMT").is_err(), "IMF-fixdate has two digits");
    }

    #[test]
    fn expired_credentials_are_kept_a_while() {
        let now = Timestamp::parse_rfc3339("2026-11-26T22:00:00Z").unwrap();
        for expiration in ["2026-11-26T21:47:55Z", "2026-11-26T22:00:00Z"] {
            let f = fetched(expiration, "2026-11-26T22:00:00Z");
            let extension = f.expires_at.unix_seconds() - now.unix_seconds();
            assert!(
                f.stale && (STALE_EXTENSION_SECS..=STALE_EXTENSION_SECS + STALE_JITTER_SECS).contains(&extension),
                "{extension}"
            );
            let lead = f.expires_at.unix_seconds() - f.refresh_at.unix_seconds();
            let most = REFRESH_BEFORE_EXPIRY_SECS + REFRESH_JITTER_SECS;
            assert!((REFRESH_BEFORE_EXPIRY_SECS..=most).contains(&lead) && f.refresh_at >= now, "{lead}");
        }
    }

    #[test]
    fn role_is_the_first_line() {
        assert_eq!(first_line(b"imds-test-role\n"), Some("imds-test-role"));
        assert_eq!(first_line(b" role-a\r\nrole-b"), Some("role-a"));
        assert_eq!((first_line(b""), first_line(b"\n"), first_line(b"\xff")), (None, None, None));
    }
}
