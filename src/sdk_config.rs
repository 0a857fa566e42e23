//! The metadata-service settings the AWS SDKs read, resolved as they resolve
//! them: a pure function ([`resolve`]) from what each source says to the
//! endpoint and switches to use, and (feature `std`) [`load`], which reads the
//! environment and the shared config file.
//!
//! | setting | explicit | environment | profile (shared config file) |
//! |---|---|---|---|
//! | endpoint | `Settings::endpoint` | `AWS_EC2_METADATA_SERVICE_ENDPOINT` | `ec2_metadata_service_endpoint` |
//! | endpoint mode | `Settings::endpoint_mode` | `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` | `ec2_metadata_service_endpoint_mode` |
//! | disabled | `Settings::disabled` | `AWS_EC2_METADATA_DISABLED` | (none) |
//! | IMDSv1 disabled | `Settings::v1_disabled` | `AWS_EC2_METADATA_V1_DISABLED` | `ec2_metadata_v1_disabled` |
//!
//! Precedence, as aws-config's 14 endpoint test cases pin it down (each is in
//! `tests/sdk_config.rs`): explicit > environment > profile; an endpoint from
//! any source beats a mode from any source, and a mode is only read (and only
//! refused when invalid) when no endpoint is set. Modes are `IPv4` or `IPv6`
//! in any case. `AWS_EC2_METADATA_DISABLED` disables the service when it is
//! `true` in any case and not otherwise, as every SDK reads it; the IMDSv1
//! switch takes `true` or `false` in any case, and anything else is an error.

use core::fmt;

use crate::endpoint::{Endpoint, EndpointError};

/// `IPv4` (`http://169.254.169.254`) or `IPv6` (`http://[fd00:ec2::254]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EndpointMode {
    /// `http://169.254.169.254`, the default.
    IPv4,
    /// `http://[fd00:ec2::254]` (Nitro instances with IPv6 metadata on).
    IPv6,
}

impl EndpointMode {
    /// `IPv4` or `IPv6`, in any case.
    pub fn parse(text: &str) -> Option<EndpointMode> {
        if text.eq_ignore_ascii_case("ipv4") {
            Some(EndpointMode::IPv4)
        } else if text.eq_ignore_ascii_case("ipv6") {
            Some(EndpointMode::IPv6)
        } else {
            None
        }
    }

    /// The endpoint of this mode.
    pub const fn endpoint(self) -> Endpoint<'static> {
        match self {
            EndpointMode::IPv4 => Endpoint::IPV4,
            EndpointMode::IPv6 => Endpoint::IPV6,
        }
    }
}

/// What one source (the environment, or a profile) says, as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Source<'a> {
    /// The endpoint URL.
    pub endpoint: Option<&'a str>,
    /// The endpoint mode.
    pub endpoint_mode: Option<&'a str>,
    /// Whether the service is disabled (the environment only, in the SDKs).
    pub disabled: Option<&'a str>,
    /// Whether IMDSv1 (a request without a token) is disabled.
    pub v1_disabled: Option<&'a str>,
}

/// Everything the resolution looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings<'a> {
    /// An endpoint set in code or on the command line.
    pub endpoint: Option<&'a str>,
    /// A mode set in code or on the command line.
    pub endpoint_mode: Option<EndpointMode>,
    /// Disabled in code.
    pub disabled: Option<bool>,
    /// IMDSv1 disabled in code.
    pub v1_disabled: Option<bool>,
    /// The environment.
    pub environment: Source<'a>,
    /// The selected profile of the shared config file.
    pub profile: Source<'a>,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Resolved<'a> {
    /// Where the service is (a host name borrows the setting's text).
    pub endpoint: Endpoint<'a>,
    /// The service must not be used (`AWS_EC2_METADATA_DISABLED=true`).
    pub disabled: bool,
    /// Requests must carry a token: no IMDSv1 fallback.
    pub v1_disabled: bool,
}

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Origin {
    /// Code or the command line.
    Explicit,
    /// An environment variable.
    Environment,
    /// The shared config file's profile.
    Profile,
}

/// An invalid setting, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// The endpoint is not an endpoint URL.
    Endpoint(Origin, EndpointError),
    /// The mode is not `IPv4` or `IPv6`.
    EndpointMode(Origin),
    /// The IMDSv1 switch is not `true` or `false`.
    V1Disabled(Origin),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (origin, what) = match self {
            ConfigError::Endpoint(origin, e) => {
                return write!(f, "{}: invalid metadata endpoint: {e}", origin_name(*origin, "endpoint"));
            }
            ConfigError::EndpointMode(origin) => (origin, "endpoint_mode"),
            ConfigError::V1Disabled(origin) => (origin, "v1_disabled"),
        };
        match what {
            "endpoint_mode" => write!(f, "{}: not a valid endpoint mode (IPv4 or IPv6)", origin_name(*origin, what)),
            _ => write!(f, "{}: not true or false", origin_name(*origin, what)),
        }
    }
}

fn origin_name(origin: Origin, setting: &str) -> &'static str {
    match (origin, setting) {
        (Origin::Explicit, _) => "explicit setting",
        (Origin::Environment, "endpoint") => "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        (Origin::Environment, "endpoint_mode") => "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        (Origin::Environment, _) => "AWS_EC2_METADATA_V1_DISABLED",
        (Origin::Profile, "endpoint") => "profile key ec2_metadata_service_endpoint",
        (Origin::Profile, "endpoint_mode") => "profile key ec2_metadata_service_endpoint_mode",
        (Origin::Profile, _) => "profile key ec2_metadata_v1_disabled",
    }
}

impl core::error::Error for ConfigError {}

/// Resolves `settings` with the SDKs' precedence; see the [module docs](self).
pub fn resolve<'a>(settings: &Settings<'a>) -> Result<Resolved<'a>, ConfigError> {
    let endpoint = [
        (settings.endpoint, Origin::Explicit),
        (settings.environment.endpoint, Origin::Environment),
        (settings.profile.endpoint, Origin::Profile),
    ]
    .into_iter()
    .find_map(|(url, origin)| url.map(|url| Endpoint::parse(url).map_err(|e| ConfigError::Endpoint(origin, e))));
    let endpoint = match endpoint {
        Some(endpoint) => endpoint?,
        None => mode(settings)?.endpoint(),
    };
    let disabled = settings
        .disabled
        .unwrap_or_else(|| settings.environment.disabled.is_some_and(|v| v.eq_ignore_ascii_case("true")));
    let v1_disabled = match settings.v1_disabled {
        Some(v1_disabled) => v1_disabled,
        None => {
            [(settings.environment.v1_disabled, Origin::Environment), (settings.profile.v1_disabled, Origin::Profile)]
                .into_iter()
                .find_map(|(value, origin)| value.map(|v| boolean(v).ok_or(ConfigError::V1Disabled(origin))))
                .transpose()?
                .unwrap_or(false)
        }
    };
    Ok(Resolved { endpoint, disabled, v1_disabled })
}

fn mode(settings: &Settings<'_>) -> Result<EndpointMode, ConfigError> {
    if let Some(mode) = settings.endpoint_mode {
        return Ok(mode);
    }
    [(settings.environment.endpoint_mode, Origin::Environment), (settings.profile.endpoint_mode, Origin::Profile)]
        .into_iter()
        .find_map(|(text, origin)| text.map(|t| EndpointMode::parse(t).ok_or(ConfigError::EndpointMode(origin))))
        .unwrap_or(Ok(EndpointMode::IPv4))
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The value of `key` in `profile` of a shared config file's text: the
/// section `[default]` (or `[profile default]`) for the profile `default`,
/// `[profile NAME]` for others. Keys and section names are trimmed; `#` and
/// `;` start comment lines (and comments after a value when preceded by
/// whitespace); indented lines continue a previous key (sub-properties,
/// ignored); the last of repeated keys wins, as in the SDKs.
pub fn profile_value<'a>(file: &'a str, profile: &str, key: &str) -> Option<&'a str> {
    let mut in_profile = false;
    let mut found = None;
    for line in file.lines() {
        if line.starts_with([' ', '\t']) {
            continue; // a continuation or sub-property
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            let name = section.split(']').next().unwrap_or_default().trim();
            let name = match name.strip_prefix("profile") {
                Some(rest) if rest.starts_with([' ', '\t']) => rest.trim(),
                _ if name == "default" => "default",
                _ => {
                    in_profile = false;
                    continue;
                }
            };
            in_profile = name == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            let value = v.trim();
            let value = value.find([' ', '\t']).map_or(value, |at| {
                let (before, after) = value.split_at(at);
                match after.trim_start().starts_with(['#', ';']) {
                    true => before,
                    false => value,
                }
            });
            found = Some(value.trim());
        }
    }
    found
}

#[cfg(feature = "std")]
pub use loader::{Loaded, load};

#[cfg(feature = "std")]
mod loader {
    extern crate std;
    use std::string::String;

    use super::{ConfigError, Resolved, Settings, Source, profile_value, resolve};

    /// What [`load`] read (owned): resolve it with [`Loaded::resolve`].
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Loaded {
        /// The environment's four variables.
        pub environment: [Option<String>; 4],
        /// The profile's three keys.
        pub profile: [Option<String>; 3],
        /// The config file read, if any.
        pub config_file: Option<std::path::PathBuf>,
    }

    impl Loaded {
        /// Resolves these sources with `explicit` on top; the endpoint
        /// borrows the text it came from.
        pub fn resolve<'a>(&'a self, explicit: Settings<'a>) -> Result<Resolved<'a>, ConfigError> {
            let (environment, profile) = self.sources();
            resolve(&Settings { environment, profile, ..explicit })
        }

        /// The sources, borrowed, for [`resolve`].
        pub fn sources(&self) -> (Source<'_>, Source<'_>) {
            let [endpoint, mode, disabled, v1] = &self.environment;
            let [p_endpoint, p_mode, p_v1] = &self.profile;
            let environment = Source {
                endpoint: endpoint.as_deref(),
                endpoint_mode: mode.as_deref(),
                disabled: disabled.as_deref(),
                v1_disabled: v1.as_deref(),
            };
            let profile = Source {
                endpoint: p_endpoint.as_deref(),
                endpoint_mode: p_mode.as_deref(),
                disabled: None,
                v1_disabled: p_v1.as_deref(),
            };
            (environment, profile)
        }
    }

    /// Reads the environment through `getenv` and the selected profile of the
    /// shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`; profile
    /// `AWS_PROFILE`, else `default`; a missing or unreadable file has no
    /// settings); [`Loaded::resolve`] then puts the explicit settings on top.
    /// `getenv` is `|k| std::env::var(k).ok()` in a program, a table in a test.
    pub fn load(getenv: impl Fn(&str) -> Option<String>) -> Loaded {
        let environment = [
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
            "AWS_EC2_METADATA_DISABLED",
            "AWS_EC2_METADATA_V1_DISABLED",
        ]
        .map(&getenv);
        let config_file = getenv("AWS_CONFIG_FILE")
            .map(std::path::PathBuf::from)
            .or_else(|| getenv("HOME").map(|home| std::path::Path::new(&home).join(".aws").join("config")));
        let profile_name = getenv("AWS_PROFILE").unwrap_or_else(|| String::from("default"));
        let text = config_file.as_ref().and_then(|path| std::fs::read_to_string(path).ok()).unwrap_or_default();
        let profile =
            ["ec2_metadata_service_endpoint", "ec2_metadata_service_endpoint_mode", "ec2_metadata_v1_disabled"]
                .map(|key| profile_value(&text, &profile_name, key).map(String::from));
        Loaded { environment, profile, config_file }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_sections_keys_and_comments() {
        let file = "# comment\n[default]\nec2_metadata_service_endpoint = http://a:1 # trailing\nregion=x\n\
                    [profile dev]\n  ec2_metadata_service_endpoint_mode=IPv6\nec2_metadata_service_endpoint_mode = ipv6\n\
                    s3 =\n  max_concurrent_requests = 10\n[profile  spaced ]\nkey = v1\nkey = v2\n[sso-session x]\nkey = no\n\
                    [profiled]\nkey = no\n; end";
        assert_eq!(profile_value(file, "default", "ec2_metadata_service_endpoint"), Some("http://a:1"));
        assert_eq!(profile_value(file, "default", "region"), Some("x"));
        assert_eq!(profile_value(file, "dev", "ec2_metadata_service_endpoint_mode"), Some("ipv6"));
        assert_eq!(profile_value(file, "dev", "max_concurrent_requests"), None, "sub-properties are not keys");
        assert_eq!(profile_value(file, "spaced", "key"), Some("v2"), "the last one wins");
        assert_eq!(profile_value(file, "x", "key"), None, "not a profile section");
        assert_eq!(profile_value(file, "nope", "region"), None);
        assert_eq!(profile_value("[profile default]\nk=v", "default", "k"), Some("v"));
    }

    #[test]
    fn booleans_and_disabled() {
        let env = |disabled, v1| Settings {
            environment: Source { disabled, v1_disabled: v1, ..Source::default() },
            ..Settings::default()
        };
        let resolved = |s: Settings<'_>| resolve(&s).map(|r| (r.disabled, r.v1_disabled));
        assert_eq!(resolved(env(Some("TRUE"), Some("True"))), Ok((true, true)));
        assert_eq!(resolved(env(Some("yes"), Some("false"))), Ok((false, false)), "only true disables, as the SDKs");
        assert_eq!(resolved(env(None, Some("1"))), Err(ConfigError::V1Disabled(Origin::Environment)));
        let profile =
            Settings { profile: Source { v1_disabled: Some("nope"), ..Source::default() }, ..Settings::default() };
        assert_eq!(resolved(profile), Err(ConfigError::V1Disabled(Origin::Profile)));
        assert_eq!(resolved(Settings { v1_disabled: Some(true), ..profile }), Ok((false, true)), "explicit first");
    }
}
