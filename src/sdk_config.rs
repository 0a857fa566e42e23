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
//! | instance profile (the IAM role) | `Settings::instance_profile_name` | `AWS_EC2_INSTANCE_PROFILE_NAME` | `ec2_instance_profile_name` |
//!
//! Precedence, as aws-config's 14 endpoint test cases pin it down (each is in
//! `tests/sdk_config.rs`): explicit > environment > profile; an endpoint from
//! any source beats a mode from any source, and a mode is only read (and only
//! refused when invalid) when no endpoint is set. Modes are `IPv4` or `IPv6`
//! in any case. `AWS_EC2_METADATA_DISABLED` disables the service when it is
//! `true` in any case and not otherwise, as every SDK reads it; the IMDSv1
//! switch takes `true` or `false` in any case, and anything else is an error.
//! The instance profile name (the SDKs' `ec2InstanceProfileName`, from their
//! IMDS credentials specification) names the role to fetch credentials for,
//! instead of the first the listing names; an empty one is an error.
//!
//! [`profile_values`] reads a shared config file's bytes as the SDKs' profile
//! parser does, and refuses what they refuse, with the line.

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
    /// The IAM role (instance profile) to fetch credentials for.
    pub instance_profile_name: Option<&'a str>,
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
    /// The IAM role set in code or on the command line.
    pub instance_profile_name: Option<&'a str>,
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
    /// The IAM role to fetch credentials for (`None`: the first listed).
    pub instance_profile_name: Option<&'a str>,
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
    /// The instance profile name is empty.
    InstanceProfileName(Origin),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (origin, what) = match self {
            ConfigError::Endpoint(origin, e) => {
                return write!(f, "{}: invalid metadata endpoint: {e}", origin_name(*origin, "endpoint"));
            }
            ConfigError::EndpointMode(origin) => (origin, "endpoint_mode"),
            ConfigError::V1Disabled(origin) => (origin, "v1_disabled"),
            ConfigError::InstanceProfileName(origin) => (origin, "instance_profile_name"),
        };
        match what {
            "endpoint_mode" => write!(f, "{}: not a valid endpoint mode (IPv4 or IPv6)", origin_name(*origin, what)),
            "instance_profile_name" => write!(f, "{}: empty", origin_name(*origin, what)),
            _ => write!(f, "{}: not true or false", origin_name(*origin, what)),
        }
    }
}

fn origin_name(origin: Origin, setting: &str) -> &'static str {
    match (origin, setting) {
        (Origin::Explicit, _) => "explicit setting",
        (Origin::Environment, "endpoint") => "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        (Origin::Environment, "endpoint_mode") => "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        (Origin::Environment, "instance_profile_name") => "AWS_EC2_INSTANCE_PROFILE_NAME",
        (Origin::Environment, _) => "AWS_EC2_METADATA_V1_DISABLED",
        (Origin::Profile, "endpoint") => "profile key ec2_metadata_service_endpoint",
        (Origin::Profile, "endpoint_mode") => "profile key ec2_metadata_service_endpoint_mode",
        (Origin::Profile, "instance_profile_name") => "profile key ec2_instance_profile_name",
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
    let instance_profile_name = [
        (settings.instance_profile_name, Origin::Explicit),
        (settings.environment.instance_profile_name, Origin::Environment),
        (settings.profile.instance_profile_name, Origin::Profile),
    ]
    .into_iter()
    .find_map(|(name, origin)| name.map(|n| (n, origin)))
    .map(|(name, origin)| if name.is_empty() { Err(ConfigError::InstanceProfileName(origin)) } else { Ok(name) })
    .transpose()?;
    Ok(Resolved { endpoint, disabled, v1_disabled, instance_profile_name })
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

/// A shared config file the SDKs would refuse: what is wrong, and on which
/// line (counted from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FileError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub kind: FileErrorKind,
}

/// What is wrong with a line of a shared config file; each is an error in
/// the SDKs' profile parser (aws-config's `profile/parser/parse.rs`, the
/// Java SDK's `ProfileFileReader`), with the message shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FileErrorKind {
    /// Bytes that are not UTF-8 on a line that is not a comment (the SDKs
    /// read the file as UTF-8 and refuse it whole).
    NotUtf8,
    /// A property before any `[section]`: "Expected a profile definition".
    NoSection,
    /// `[profile x` or `[profile x] junk`: "Profile definition must end with ']'".
    UnclosedSection,
    /// An indented line right after a `[section]`: "Expected a property
    /// definition, found continuation".
    OrphanContinuation,
    /// A property line without `=`: "Expected an '=' sign defining a property".
    NoEquals,
    /// `= value`: "Property did not have a name".
    NoName,
    /// An indented line under a property with an empty value (a
    /// sub-property) that is not `name = value`.
    BadSubProperty,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FileErrorKind::NotUtf8 => "not UTF-8 (outside a comment line)",
            FileErrorKind::NoSection => "expected a profile definition before this property",
            FileErrorKind::UnclosedSection => "profile definition must end with ']'",
            FileErrorKind::OrphanContinuation => "expected a property definition, found continuation",
            FileErrorKind::NoEquals => "expected an '=' sign defining a property",
            FileErrorKind::NoName => "property did not have a name",
            FileErrorKind::BadSubProperty => "expected an '=' sign defining a sub-property",
        };
        write!(f, "line {}: {what}", self.line)
    }
}

impl core::error::Error for FileError {}

const BLANK: [char; 2] = [' ', '\t'];

/// The values of `keys` in `profile` of a shared config file, read as the
/// SDKs read it; `None` for a key the profile does not set.
///
/// The rules, each the SDKs' own (their profile-parser test suite):
/// - a UTF-8 byte-order mark at the start is skipped; lines end in `\n` or `\r\n`;
/// - a line that is blank, or starts with `#` or `;` in its first column, is
///   skipped whatever its bytes; any other line must be UTF-8 ([`FileErrorKind::NotUtf8`]);
/// - `[default]` and `[profile NAME]` open profiles (the name trimmed, made of
///   letters, digits and `_-/.%@:+`); other sections (`[sso-session x]`,
///   `[services x]`, `[profiled]`, invalid names) are read and ignored;
///   `#` or `;` anywhere after the `]` starts a comment, anything else there is
///   [`FileErrorKind::UnclosedSection`];
/// - when both `[profile default]` and `[default]` exist, `[profile default]`
///   is the profile and `[default]` is ignored; repeated sections merge;
/// - `name = value`, both trimmed; `#` or `;` after a blank starts a comment;
///   the last of repeated keys wins;
/// - an indented line continues the property above it: its value, on a new
///   line, or a `name = value` sub-property when the value was empty. An
///   indented line with no property above is an error.
///
/// The whole file is checked, not only the selected profile, as the SDKs
/// refuse a file with an error anywhere. A continued value spans its lines
/// (the file's bytes, indentation included).
pub fn profile_values<'a, const N: usize>(
    file: &'a [u8],
    profile: &str,
    keys: [&str; N],
) -> Result<[Option<&'a str>; N], FileError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Section {
        Before,
        Ignored,
        Bare,
        Named,
    }
    let file = file.strip_prefix(b"\xef\xbb\xbf").unwrap_or(file);
    // What `[default]` and what `[profile NAME]` sections set.
    let mut found = [[None; N]; 2];
    let mut named_default = false;
    let mut section = Section::Before;
    // The property above, while the next line may continue it: whether its
    // value was empty, and which key it set with where its value starts.
    let mut property: Option<(bool, Option<(usize, usize)>)> = None;
    for (index, raw) in file.split(|&b| b == b'\n').enumerate() {
        let error = |kind| FileError { line: index + 1, kind };
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| matches!(b, b' ' | b'\t')) || raw.starts_with(b"#") || raw.starts_with(b";") {
            continue;
        }
        let line = core::str::from_utf8(raw).map_err(|_| error(FileErrorKind::NotUtf8))?;
        let selected = match section {
            Section::Bare => Some(0),
            Section::Named => Some(1),
            _ => None,
        };
        let mut set = |slot: usize, value| {
            if let Some(v) = selected.and_then(|s| found.get_mut(s)).and_then(|values| values.get_mut(slot)) {
                *v = Some(value);
            }
        };
        if line.starts_with('[') {
            let name = without_comment(line, false)
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or(error(FileErrorKind::UnclosedSection))?
                .trim_matches(BLANK);
            let profile_name = name.strip_prefix("profile").filter(|rest| rest.starts_with(BLANK));
            section = match profile_name.map(|rest| rest.trim_matches(BLANK)) {
                Some(name) if name == profile && valid_name(name) => Section::Named,
                None if name == "default" && profile == "default" => Section::Bare,
                _ => Section::Ignored,
            };
            named_default |= section == Section::Named && profile == "default";
            property = None;
        } else if line.starts_with(BLANK) {
            let Some((empty_value, key)) = property else {
                return Err(error(match section {
                    Section::Before => FileErrorKind::NoSection,
                    _ => FileErrorKind::OrphanContinuation,
                }));
            };
            if empty_value {
                let sub = without_comment(line, true).split_once('=');
                if sub.is_none_or(|(name, _)| name.trim_matches(BLANK).is_empty()) {
                    return Err(error(FileErrorKind::BadSubProperty));
                }
            } else if let Some((slot, start)) = key {
                let line = line.trim_matches(BLANK);
                let end = offset(file, line) + line.len();
                if let Some(value) = file.get(start..end).and_then(|v| core::str::from_utf8(v).ok()) {
                    set(slot, value);
                }
            }
        } else {
            if section == Section::Before {
                return Err(error(FileErrorKind::NoSection));
            }
            let (name, value) = without_comment(line, true).split_once('=').ok_or(error(FileErrorKind::NoEquals))?;
            let (name, value) = (name.trim_matches(BLANK), value.trim_matches(BLANK));
            if name.is_empty() {
                return Err(error(FileErrorKind::NoName));
            }
            let slot = keys.iter().position(|key| *key == name).filter(|_| selected.is_some());
            if let Some(slot) = slot {
                set(slot, value);
            }
            property = Some((value.is_empty(), slot.map(|slot| (slot, offset(file, value)))));
        }
    }
    let [bare, named] = found;
    Ok(if profile == "default" && !named_default { bare } else { named })
}

/// Where `part` (a slice of `file`) starts in `file`.
fn offset(file: &[u8], part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(file.as_ptr() as usize)
}

/// `line` trimmed, without its comment: from the first `#` or `;`, or (when
/// `after_blank`) the first that follows a blank.
fn without_comment(line: &str, after_blank: bool) -> &str {
    let line = line.trim_matches(BLANK);
    let mut previous_blank = false;
    let cut = line.char_indices().find_map(|(at, c)| {
        let found = matches!(c, '#' | ';') && (previous_blank || !after_blank);
        previous_blank = c.is_whitespace();
        found.then_some(at)
    });
    cut.and_then(|at| line.get(..at)).unwrap_or(line).trim_matches(BLANK)
}

/// A profile name the SDKs accept.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

#[cfg(feature = "std")]
pub use loader::{LoadError, LoadErrorKind, Loaded, MAX_CONFIG_FILE_LEN, load};

#[cfg(feature = "std")]
mod loader {
    extern crate std;
    use std::io::Read;
    use std::path::{Path, PathBuf};
    use std::string::String;
    use std::vec::Vec;

    use super::{ConfigError, FileError, Resolved, Settings, Source, profile_values, resolve};

    /// The largest shared config file [`load`] reads: 1 MiB.
    pub const MAX_CONFIG_FILE_LEN: u64 = 1 << 20;

    const ENVIRONMENT: [&str; 5] = [
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_EC2_METADATA_V1_DISABLED",
        "AWS_EC2_INSTANCE_PROFILE_NAME",
    ];
    const PROFILE_KEYS: [&str; 4] = [
        "ec2_metadata_service_endpoint",
        "ec2_metadata_service_endpoint_mode",
        "ec2_metadata_v1_disabled",
        "ec2_instance_profile_name",
    ];

    /// What [`load`] read (owned): resolve it with [`Loaded::resolve`].
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Loaded {
        /// The environment's five variables.
        pub environment: [Option<String>; 5],
        /// The profile's four keys.
        pub profile: [Option<String>; 4],
        /// The config file read, if any.
        pub config_file: Option<PathBuf>,
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
            let [endpoint, mode, disabled, v1, name] = &self.environment;
            let [p_endpoint, p_mode, p_v1, p_name] = &self.profile;
            let environment = Source {
                endpoint: endpoint.as_deref(),
                endpoint_mode: mode.as_deref(),
                disabled: disabled.as_deref(),
                v1_disabled: v1.as_deref(),
                instance_profile_name: name.as_deref(),
            };
            let profile = Source {
                endpoint: p_endpoint.as_deref(),
                endpoint_mode: p_mode.as_deref(),
                disabled: None,
                v1_disabled: p_v1.as_deref(),
                instance_profile_name: p_name.as_deref(),
            };
            (environment, profile)
        }
    }

    /// A shared config file that could not be used, by name.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LoadError {
        /// The file.
        pub path: PathBuf,
        /// Why.
        pub kind: LoadErrorKind,
    }

    /// Why a shared config file could not be used.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum LoadErrorKind {
        /// It exists but is not a regular file (a FIFO, a device, a
        /// directory): reading it could block or never end.
        NotAFile,
        /// It is larger than [`MAX_CONFIG_FILE_LEN`].
        TooLarge,
        /// It could not be read.
        Io(std::io::ErrorKind),
        /// The SDKs would refuse it.
        File(FileError),
    }

    impl core::fmt::Display for LoadError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            let path = self.path.display();
            match self.kind {
                LoadErrorKind::NotAFile => write!(f, "{path}: not a regular file"),
                LoadErrorKind::TooLarge => write!(f, "{path}: larger than {MAX_CONFIG_FILE_LEN} bytes"),
                LoadErrorKind::Io(kind) => write!(f, "{path}: cannot be read: {kind}"),
                LoadErrorKind::File(e) => write!(f, "{path}: {e}"),
            }
        }
    }

    impl std::error::Error for LoadError {}

    /// Reads the environment through `getenv` and the selected profile of the
    /// shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`; profile
    /// `AWS_PROFILE`, else `default`); [`Loaded::resolve`] then puts the
    /// explicit settings on top. `getenv` is `|k| std::env::var(k).ok()` in a
    /// program, a table in a test.
    ///
    /// A missing file (and `/dev/null`) has no settings. Anything else that
    /// keeps the file from being read is an error naming it: not a regular
    /// file (checked before it is opened, and again once open, so a FIFO never
    /// blocks), more than [`MAX_CONFIG_FILE_LEN`] bytes, an I/O error, or a
    /// [`FileError`] from [`profile_values`](super::profile_values).
    pub fn load(getenv: impl Fn(&str) -> Option<String>) -> Result<Loaded, LoadError> {
        let environment = ENVIRONMENT.map(&getenv);
        let config_file = getenv("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| getenv("HOME").map(|home| Path::new(&home).join(".aws/config")));
        let profile_name = getenv("AWS_PROFILE").unwrap_or_else(|| String::from("default"));
        let bytes = match &config_file {
            Some(path) => read(path).map_err(|kind| LoadError { path: path.clone(), kind })?,
            None => Vec::new(),
        };
        let values = profile_values(&bytes, &profile_name, PROFILE_KEYS)
            .map_err(|e| LoadError { path: config_file.clone().unwrap_or_default(), kind: LoadErrorKind::File(e) })?;
        Ok(Loaded { environment, profile: values.map(|v| v.map(String::from)), config_file })
    }

    fn read(path: &Path) -> Result<Vec<u8>, LoadErrorKind> {
        let io = |e: std::io::Error| LoadErrorKind::Io(e.kind());
        let regular = |metadata: std::fs::Metadata| match (metadata.is_file(), metadata.len() > MAX_CONFIG_FILE_LEN) {
            (false, _) => Err(LoadErrorKind::NotAFile),
            (true, true) => Err(LoadErrorKind::TooLarge),
            (true, false) => Ok(()),
        };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            _ if path == Path::new("/dev/null") => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
            Ok(metadata) => regular(metadata)?,
        }
        let file = std::fs::File::open(path).map_err(io)?;
        regular(file.metadata().map_err(io)?)?;
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_FILE_LEN + 1).read_to_end(&mut bytes).map_err(io)?;
        match bytes.len() as u64 > MAX_CONFIG_FILE_LEN {
            true => Err(LoadErrorKind::TooLarge),
            false => Ok(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    const KEYS: [&str; 3] = ["ec2_metadata_service_endpoint", "ec2_metadata_service_endpoint_mode", "key"];

    fn values<'a>(file: &'a str, profile: &str) -> [Option<&'a str>; 3] {
        profile_values(file.as_bytes(), profile, KEYS).unwrap()
    }

    fn refused(file: &[u8]) -> (usize, FileErrorKind) {
        let error = profile_values(file, "default", KEYS).unwrap_err();
        (error.line, error.kind)
    }

    #[test]
    fn profile_sections_keys_and_comments() {
        let file = "# comment\n[default]\nec2_metadata_service_endpoint = http://a:1 # trailing\nkey=x;y\n\
                    [profile dev]\nec2_metadata_service_endpoint_mode = ipv6\n\
                    s3 =\n  max_concurrent_requests = 10\n[profile  spaced ] ; comment\nkey = v1\nkey = v2\n\
                    [sso-session x]\nkey = no\n[profiled]\nkey = no\n[profile bad name]\nkey = no\n; end";
        assert_eq!(values(file, "default"), [Some("http://a:1"), None, Some("x;y")]);
        assert_eq!(values(file, "dev"), [None, Some("ipv6"), None]);
        assert_eq!(values(file, "spaced"), [None, None, Some("v2")], "the last one wins");
        assert_eq!(values(file, "x"), [None; 3], "not a profile section");
        assert_eq!(values(file, "bad name"), [None; 3], "an invalid name is ignored");
        assert_eq!(values(file, "nope"), [None; 3]);
        assert_eq!(values("[profile default]\nkey=v", "default"), [None, None, Some("v")]);
    }

    #[test]
    fn profile_default_beats_default() {
        let file = "[default]\nkey = bare\nec2_metadata_service_endpoint = http://bare\n[profile default]\nkey = named\n[default]\nkey = later";
        assert_eq!(values(file, "default"), [None, None, Some("named")], "[default] is ignored whole");
        assert_eq!(values("[default]\nkey = a\n[default]\nkey = b", "default"), [None, None, Some("b")]);
        assert_eq!(values("[default]\nkey = a", "profile"), [None; 3]);
    }

    #[test]
    fn bytes_bom_and_continuations() {
        let file = b"\xef\xbb\xbf# caf\xe9 (Latin-1)\r\n[default]\r\n; \xff\r\nkey = a\r\n  b\r\n";
        let [_, _, key] = profile_values(file, "default", KEYS).unwrap();
        assert_eq!(key, Some("a\r\n  b"), "a continued value spans its lines");
        assert_eq!(refused(b"[default]\nkey = caf\xe9"), (2, FileErrorKind::NotUtf8));
        assert_eq!(refused(b"[default]\n  # caf\xe9"), (2, FileErrorKind::NotUtf8), "indented: not a comment");
        assert_eq!(refused(b"\xef\xbb\xbf\xef\xbb\xbf[default]"), (1, FileErrorKind::NoSection), "one BOM only");
    }

    #[test]
    fn malformed_lines_are_refused_with_their_line() {
        assert_eq!(refused(b"key = v\n[default]"), (1, FileErrorKind::NoSection));
        assert_eq!(refused(b"  key = v\n[default]"), (1, FileErrorKind::NoSection));
        assert_eq!(refused(b"[default]\nk=v\n[profile x"), (3, FileErrorKind::UnclosedSection));
        assert_eq!(refused(b"[profile x] junk\n"), (1, FileErrorKind::UnclosedSection));
        assert_eq!(refused(b"[default]\n\n  orphan = 1"), (3, FileErrorKind::OrphanContinuation));
        assert_eq!(refused(b"[default]\nno equals"), (2, FileErrorKind::NoEquals));
        assert_eq!(refused(b"[default]\n= v"), (2, FileErrorKind::NoName));
        assert_eq!(refused(b"[default]\ns3 =\n  no equals"), (3, FileErrorKind::BadSubProperty));
        assert_eq!(refused(b"[default]\ns3 =\n  = v"), (3, FileErrorKind::BadSubProperty));
        assert_eq!(refused(b"[profile other]\nbad"), (2, FileErrorKind::NoEquals), "anywhere in the file");
        let error = FileError { line: 3, kind: FileErrorKind::UnclosedSection };
        assert_eq!(std::format!("{error}"), "line 3: profile definition must end with ']'");
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

    #[test]
    fn instance_profile_name_flag_then_environment_then_profile() {
        let name = |explicit, env, profile| {
            let settings = Settings {
                instance_profile_name: explicit,
                environment: Source { instance_profile_name: env, ..Source::default() },
                profile: Source { instance_profile_name: profile, ..Source::default() },
                ..Settings::default()
            };
            resolve(&settings).map(|r| r.instance_profile_name)
        };
        assert_eq!(name(Some("flag"), Some("env"), Some("file")), Ok(Some("flag")));
        assert_eq!(name(None, Some("env"), Some("file")), Ok(Some("env")));
        assert_eq!(name(None, None, Some("file")), Ok(Some("file")));
        assert_eq!(name(None, None, None), Ok(None));
        assert_eq!(name(None, Some(""), Some("file")), Err(ConfigError::InstanceProfileName(Origin::Environment)));
        let error = ConfigError::InstanceProfileName(Origin::Profile);
        assert_eq!(std::format!("{error}"), "profile key ec2_instance_profile_name: empty");
    }
}
