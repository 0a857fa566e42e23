//! What a [`Client`](super::Client) is told up front.

use core::fmt;
use core::time::Duration;

use crate::endpoint::Endpoint;
use crate::token::TokenTtl;
use crate::wire::{Limits, MAX_USER_AGENT_LEN};

/// When to fall back to IMDSv1 (requests without a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum V1Fallback {
    /// Never: a token failure is an error (the default, and what AWS recommends).
    #[default]
    Never,
    /// When the token `PUT` is rejected with 403, 404 or 405 (IMDSv2 disabled or
    /// an old emulator).
    Rejected,
    /// As `Rejected`, and also when the token `PUT` gets no usable answer: a read
    /// timeout (a container behind a hop limit of 1 never sees the response; no
    /// retry is spent on it) or 5xx on every attempt.
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

/// A validated `User-Agent` value; see [`UserAgent::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserAgent(heapless::String<MAX_USER_AGENT_LEN>);

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

impl UserAgent {
    /// Checks `value` with the request encoder's rules and keeps a copy.
    pub fn new(value: &str) -> Result<UserAgent, InvalidUserAgent> {
        crate::wire::request::validate_user_agent(value).map_err(|_| InvalidUserAgent)?;
        heapless::String::try_from(value).map(UserAgent).map_err(|_| InvalidUserAgent)
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Session settings. `Config::default()` matches the AWS SDKs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Where the service is. Default [`Endpoint::IPV4`].
    pub endpoint: Endpoint,
    /// Token lifetime to ask for. Default 21600 s.
    pub token_ttl: TokenTtl,
    /// Fetch a new token this long before the old one expires; never more than
    /// half the token's lifetime. Default 120 s.
    pub refresh_margin: Duration,
    /// Refuse a token response without `X-aws-ec2-metadata-token-ttl-seconds`
    /// (by default the requested TTL is assumed, as moto needs).
    pub require_token_ttl: bool,
    /// Attempts per request (token or metadata), at least 1. Default 4.
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
    /// Head and body limits. Default 8 KiB and 64 KiB.
    pub limits: Limits,
    /// `User-Agent` to send, if any.
    pub user_agent: Option<UserAgent>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
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
            limits: Limits::DEFAULT,
            user_agent: None,
        }
    }
}
