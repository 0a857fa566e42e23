//! What a [`Client`](super::Client) is told up front.

use core::fmt;
use core::time::Duration;

use crate::endpoint::Endpoint;
use crate::token::TokenTtl;
use crate::wire::{Limits, validate_user_agent};

/// When to fall back to IMDSv1 (requests without a token). Whatever the mode, a
/// failed refresh while the cached token is still valid keeps using that token,
/// and a 400 on the token `PUT` is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum V1Fallback {
    /// Never: a token failure is an error (the default, and what AWS recommends).
    #[default]
    Never,
    /// When the token `PUT` is rejected with 403, 404 or 405 (IMDSv2 disabled or
    /// an old emulator): IMDSv1 until [`Config::v1_reprobe`] has passed or a
    /// `GET` answers 401.
    Rejected,
    /// As `Rejected`; and a token `PUT` read timeout (a container behind a hop
    /// limit of 1 never sees the response) falls back at once, with the same
    /// re-probe; and 5xx on every attempt falls back for that request only.
    Timeout,
}

impl V1Fallback {
    /// Parses `never`, `rejected` or `timeout`.
    pub fn parse(s: &str) -> Option<V1Fallback> {
        match s {
            "never" => Some(V1Fallback::Never),
            "rejected" => Some(V1Fallback::Rejected),
            "timeout" => Some(V1Fallback::Timeout),
            _ => None,
        }
    }
}

/// A validated `User-Agent` value, borrowed; see [`UserAgent::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserAgent<'a>(&'a str);

/// A `User-Agent` that is empty, longer than 128 bytes, starts or ends with a
/// space, or holds a byte other than visible ASCII and space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct InvalidUserAgent;

impl fmt::Display for InvalidUserAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("user agent is not a valid header value")
    }
}

impl core::error::Error for InvalidUserAgent {}

impl<'a> UserAgent<'a> {
    /// Checks `value` with the request encoder's rules (at most
    /// [`MAX_USER_AGENT_LEN`](crate::wire::MAX_USER_AGENT_LEN) bytes).
    pub fn new(value: &'a str) -> Result<UserAgent<'a>, InvalidUserAgent> {
        validate_user_agent(value).map_err(|_| InvalidUserAgent)?;
        Ok(UserAgent(value))
    }

    /// The value.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Session settings. [`Config::DEFAULT`] matches the AWS SDKs.
///
/// The fields are public and may be set one by one; the struct is
/// `#[non_exhaustive]`, so start from [`Config::DEFAULT`]:
///
/// ```
/// let mut config = imds::Config::DEFAULT;
/// config.max_attempts = 2;
/// config.v1_fallback = imds::V1Fallback::Rejected;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Config<'a> {
    /// Where the service is. Default [`Endpoint::IPV4`].
    pub endpoint: Endpoint<'a>,
    /// Token lifetime to ask for. Default 21600 s.
    pub token_ttl: TokenTtl,
    /// Fetch a new token this long before the old one expires; never more than
    /// half the token's lifetime. Default 120 s.
    pub refresh_margin: Duration,
    /// Refuse a token response without `X-aws-ec2-metadata-token-ttl-seconds`
    /// (by default the requested TTL is assumed, as moto needs).
    pub require_token_ttl: bool,
    /// Attempts per request (token or metadata), at least 1. Default 4. A token
    /// refresh while the cached token is still valid makes one attempt.
    pub max_attempts: u8,
    /// Time to connect. Default 1 s.
    pub connect_timeout: Duration,
    /// Time to wait for the next bytes of a response. Default 1 s.
    pub read_timeout: Duration,
    /// Time for a whole operation (token, retries, backoff and the request).
    /// Default 10 s.
    pub operation_timeout: Option<Duration>,
    /// First backoff delay; it doubles per retry. Default 100 ms.
    pub backoff_base: Duration,
    /// Longest backoff delay. Default 1 s.
    pub backoff_cap: Duration,
    /// IMDSv1 fallback. Default [`V1Fallback::Never`].
    pub v1_fallback: V1Fallback,
    /// After a lasting fallback to IMDSv1, try IMDSv2 again this much later.
    /// Default 5 minutes.
    pub v1_reprobe: Duration,
    /// Head and body limits. Default 8 KiB and 64 KiB.
    pub limits: Limits,
    /// `User-Agent` to send, if any.
    pub user_agent: Option<UserAgent<'a>>,
}

impl Config<'static> {
    /// The AWS SDKs' settings, for [`Endpoint::IPV4`].
    pub const DEFAULT: Config<'static> = Config {
        endpoint: Endpoint::IPV4,
        token_ttl: TokenTtl::MAX,
        refresh_margin: Duration::from_secs(120),
        require_token_ttl: false,
        max_attempts: 4,
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_secs(1),
        operation_timeout: Some(Duration::from_secs(10)),
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_secs(1),
        v1_fallback: V1Fallback::Never,
        v1_reprobe: Duration::from_secs(300),
        limits: Limits::DEFAULT,
        user_agent: None,
    };
}

impl<'a> Config<'a> {
    /// [`Config::DEFAULT`] with another endpoint.
    pub const fn with_endpoint(endpoint: Endpoint<'a>) -> Config<'a> {
        let d = Config::DEFAULT;
        Config {
            endpoint,
            token_ttl: d.token_ttl,
            refresh_margin: d.refresh_margin,
            require_token_ttl: d.require_token_ttl,
            max_attempts: d.max_attempts,
            connect_timeout: d.connect_timeout,
            read_timeout: d.read_timeout,
            operation_timeout: d.operation_timeout,
            backoff_base: d.backoff_base,
            backoff_cap: d.backoff_cap,
            v1_fallback: d.v1_fallback,
            v1_reprobe: d.v1_reprobe,
            limits: d.limits,
            user_agent: None,
        }
    }
}

impl Default for Config<'static> {
    fn default() -> Self {
        Config::DEFAULT
    }
}
