//! Where the metadata service lives: scheme, host and port.
//!
//! [`Endpoint::IPV4`] and [`Endpoint::IPV6`] are the two addresses of the real
//! service; [`Endpoint::parse`] accepts `http://host[:port][/]` (and `https://`, which
//! the core reports but does not care about: TLS is the transport's business).
//! A host name is borrowed from the URL parsed (`Endpoint<'a>`), not copied:
//! an IP endpoint is an `Endpoint<'static>` of 24 bytes.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

/// Longest host name an [`Endpoint`] holds (a DNS name is at most 253 bytes).
pub const MAX_HOST_NAME_LEN: usize = 253;

/// The URL scheme of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scheme {
    /// Plain HTTP, what the metadata service speaks. Default port 80.
    Http,
    /// HTTP over TLS. The core encodes the same bytes; a transport that cannot do
    /// TLS must refuse such an endpoint. Default port 443.
    Https,
}

impl Scheme {
    /// The port implied when a URL names none.
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `"http"` or `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The host part of an endpoint: an IP literal or a validated DNS-style name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// An IPv4 or IPv6 address literal.
    Ip(IpAddr),
    /// A host name of ASCII letters, digits, `-`, `_` and `.` (at most
    /// [`MAX_HOST_NAME_LEN`] bytes), to be resolved by the transport.
    Name(&'a str),
}

impl Host<'_> {
    /// Calls `out` with the pieces of the host as it appears in a URL and in
    /// the `Host` header (IPv6 in brackets).
    pub(crate) fn write(&self, mut out: impl FnMut(&[u8])) {
        match self {
            Host::Ip(IpAddr::V4(ip)) => crate::text::ipv4(*ip, &mut out),
            Host::Ip(IpAddr::V6(ip)) => {
                out(b"[");
                crate::text::ipv6(*ip, &mut out);
                out(b"]");
            }
            Host::Name(name) => out(name.as_bytes()),
        }
    }
}

impl fmt::Display for Host<'_> {
    /// The host as it appears in a URL and in the `Host` header: IPv6 in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut result = Ok(());
        self.write(|piece| result = result.and_then(|()| f.write_str(core::str::from_utf8(piece).unwrap_or_default())));
        result
    }
}

/// Scheme, host and port of a metadata service.
///
/// `Display` gives the URL (`http://169.254.169.254`, `http://[fd00:ec2::254]`,
/// `http://127.0.0.1:8080`): the port is shown only when it is not the scheme's default.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    scheme: Scheme,
    host: Host<'a>,
    port: u16,
    /// The `Host` header's value, when it is known as text (a parsed URL's
    /// authority, the constants'): written as is, not rendered per request.
    host_text: Option<&'a str>,
}

/// Scheme, host and port make the endpoint; its cached `Host` text does not.
impl PartialEq for Endpoint<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)
    }
}

impl Eq for Endpoint<'_> {}

impl core::hash::Hash for Endpoint<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.scheme, self.host, self.port).hash(state);
    }
}

/// Why an endpoint URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL does not start with `http://` or `https://`.
    UnsupportedScheme,
    /// `user:password@` before the host.
    UserInfo,
    /// Nothing between the scheme and the port or end.
    MissingHost,
    /// The host is neither an IP literal nor a plain host name (bad bytes, an
    /// unclosed `[`, an IPv6 zone, ...).
    InvalidHost,
    /// The host name is longer than [`MAX_HOST_NAME_LEN`].
    HostTooLong,
    /// The host's last label is a number (`0x7f.1`, `10.0.0.010`, `1.2.3`), so
    /// by the URL standard it is an IPv4 address, but not a dotted-decimal one.
    NumericHost,
    /// The port is empty, not decimal, 0, or above 65535.
    InvalidPort,
    /// Something other than a lone `/` follows the authority.
    PathNotAllowed,
    /// A `?query` or `#fragment` follows the authority.
    QueryNotAllowed,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointError::UnsupportedScheme => "endpoint must start with http:// or https://",
            EndpointError::UserInfo => "endpoint must not carry user information",
            EndpointError::MissingHost => "endpoint has no host",
            EndpointError::InvalidHost => "endpoint host is not an IP address or host name",
            EndpointError::HostTooLong => "endpoint host name is longer than 253 bytes",
            EndpointError::NumericHost => "endpoint host ends in a number but is not a dotted-decimal IPv4 address",
            EndpointError::InvalidPort => "endpoint port is not a number in 1..=65535",
            EndpointError::PathNotAllowed => "endpoint must not have a path",
            EndpointError::QueryNotAllowed => "endpoint must not have a query or fragment",
        })
    }
}

impl core::error::Error for EndpointError {}

impl Endpoint<'static> {
    /// The IPv4 metadata service, `http://169.254.169.254` (the default).
    pub const IPV4: Endpoint<'static> = Endpoint {
        scheme: Scheme::Http,
        host: Host::Ip(IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))),
        port: 80,
        host_text: Some("169.254.169.254"),
    };

    /// The IPv6 metadata service on Nitro instances, `http://[fd00:ec2::254]`.
    pub const IPV6: Endpoint<'static> = Endpoint {
        scheme: Scheme::Http,
        host: Host::Ip(IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254))),
        port: 80,
        host_text: Some("[fd00:ec2::254]"),
    };

    /// An `http` endpoint at an IP address and port (for tests and proxies).
    pub const fn from_ip(ip: IpAddr, port: u16) -> Endpoint<'static> {
        Endpoint { scheme: Scheme::Http, host: Host::Ip(ip), port, host_text: None }
    }
}

impl<'a> Endpoint<'a> {
    /// Parses `http://host[:port][/]` or `https://...`; IPv6 literals in brackets.
    /// A host name is borrowed from `url`.
    ///
    /// The scheme is matched case-insensitively. User information, a path other
    /// than `/`, a query and a fragment are refused, as is an empty or zero port.
    pub fn parse(url: &'a str) -> Result<Endpoint<'a>, EndpointError> {
        let (scheme, rest) = split_scheme(url)?;
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at_checked(authority_end).ok_or(EndpointError::InvalidHost)?;
        match tail {
            "" | "/" => {}
            _ if tail.contains(['?', '#']) => return Err(EndpointError::QueryNotAllowed),
            _ => return Err(EndpointError::PathNotAllowed),
        }
        if authority.contains('@') {
            return Err(EndpointError::UserInfo);
        }
        let (host, port_text) = split_host_port(authority)?;
        let port = match port_text {
            None => scheme.default_port(),
            Some(digits) => parse_port(digits)?,
        };
        // The authority is the Host header as is, unless it spells a default
        // port or a port with leading zeros (those are rendered).
        let plain_port = port_text.is_none_or(|digits| port != scheme.default_port() && !digits.starts_with('0'));
        Ok(Endpoint { scheme, host, port, host_text: plain_port.then_some(authority) })
    }

    /// The scheme.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host.
    pub const fn host(&self) -> &Host<'a> {
        &self.host
    }

    /// The TCP port.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Calls `out` with the pieces of the `Host` header's value: the host, plus
    /// `:port` when the port is not the scheme's default.
    pub(crate) fn write_host_header(&self, mut out: impl FnMut(&[u8])) {
        if let Some(text) = self.host_text {
            return out(text.as_bytes());
        }
        self.host.write(&mut out);
        if self.port != self.scheme.default_port() {
            out(b":");
            crate::text::decimal(u32::from(self.port), &mut out);
        }
    }

    /// The value of the `Host` header: the host, plus `:port` when the port is
    /// not the scheme's default.
    pub fn host_header(&self) -> HostHeader<'_, 'a> {
        HostHeader(self)
    }
}

impl Default for Endpoint<'static> {
    fn default() -> Self {
        Endpoint::IPV4
    }
}

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        f.write_str("://")?;
        self.host_header().fmt(f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Host<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        self.write(|piece| defmt::write!(f, "{=str}", core::str::from_utf8(piece).unwrap_or_default()))
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Endpoint<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}://", self.scheme.as_str());
        self.write_host_header(|piece| defmt::write!(f, "{=str}", core::str::from_utf8(piece).unwrap_or_default()))
    }
}

/// `Display`s the `Host` header value of an [`Endpoint`]; see [`Endpoint::host_header`].
#[derive(Debug, Clone, Copy)]
pub struct HostHeader<'e, 'a>(&'e Endpoint<'a>);

impl fmt::Display for HostHeader<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut result = Ok(());
        self.0.write_host_header(|piece| {
            result = result.and_then(|()| f.write_str(core::str::from_utf8(piece).unwrap_or_default()))
        });
        result
    }
}

fn split_scheme(url: &str) -> Result<(Scheme, &str), EndpointError> {
    let (scheme, rest) = url.split_once("://").ok_or(EndpointError::UnsupportedScheme)?;
    if scheme.eq_ignore_ascii_case("http") {
        Ok((Scheme::Http, rest))
    } else if scheme.eq_ignore_ascii_case("https") {
        Ok((Scheme::Https, rest))
    } else {
        Err(EndpointError::UnsupportedScheme)
    }
}

fn split_host_port(authority: &str) -> Result<(Host<'_>, Option<&str>), EndpointError> {
    if authority.is_empty() {
        return Err(EndpointError::MissingHost);
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed.split_once(']').ok_or(EndpointError::InvalidHost)?;
        let ip = Ipv6Addr::from_str(literal).map_err(|_| EndpointError::InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(EndpointError::InvalidHost)?),
        };
        return Ok((Host::Ip(IpAddr::V6(ip)), port));
    }
    let (name, port) = match authority.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    };
    if name.is_empty() {
        return Err(EndpointError::MissingHost);
    }
    if let Ok(ip) = Ipv4Addr::from_str(name) {
        return Ok((Host::Ip(IpAddr::V4(ip)), port));
    }
    // Labels of letters, digits, '-' and '_', separated by single dots (one
    // trailing dot allowed).
    let valid_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let labels = name.strip_suffix('.').unwrap_or(name);
    if !name.bytes().all(valid_byte) || labels.split('.').any(str::is_empty) {
        return Err(EndpointError::InvalidHost);
    }
    // The URL standard: a host whose last label is a number is an IPv4 address,
    // never a name. Only the dotted-decimal form is accepted here; the others
    // (`0x7f.1`, `0177.0.0.1`, `2130706433`) mean 127.0.0.1 to a browser and to
    // the system resolver, and something else to a reader: refused.
    if labels.rsplit('.').next().is_some_and(is_numeric_label) {
        return Err(EndpointError::NumericHost);
    }
    if name.len() > MAX_HOST_NAME_LEN {
        return Err(EndpointError::HostTooLong);
    }
    Ok((Host::Name(name), port))
}

/// A label the URL standard's IPv4 parser would take as a number: decimal
/// digits (octal when they start with `0`), or `0x` with hex digits (or none).
fn is_numeric_label(label: &str) -> bool {
    let hex = label.strip_prefix("0x").or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn parse_port(digits: &str) -> Result<u16, EndpointError> {
    let decimal = !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit());
    match digits.parse::<u16>() {
        Ok(port) if decimal && port != 0 => Ok(port),
        _ => Err(EndpointError::InvalidPort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn well_known_endpoints_display_as_urls() {
        assert_eq!(Endpoint::IPV4.to_string(), "http://169.254.169.254");
        assert_eq!(Endpoint::IPV6.to_string(), "http://[fd00:ec2::254]");
        assert_eq!(Endpoint::default(), Endpoint::IPV4);
    }

    #[test]
    fn the_host_header_is_the_urls_authority_or_rendered() {
        let header = |url: &str| Endpoint::parse(url).unwrap().host_header().to_string();
        assert_eq!(header("http://[FD00:EC2::254]"), "[FD00:EC2::254]", "as written");
        assert_eq!(header("http://Metadata.Local:8080/"), "Metadata.Local:8080");
        assert_eq!(header("http://127.0.0.1:80"), "127.0.0.1", "a default port is left out");
        assert_eq!(header("https://127.0.0.1:443"), "127.0.0.1");
        assert_eq!(header("http://h:08080"), "h:8080", "leading zeros are not repeated");
        assert_eq!(Endpoint::from_ip(IpAddr::V6(Ipv6Addr::LOCALHOST), 80).host_header().to_string(), "[::1]");
        // The text is a cache: equality and hashing ignore it.
        assert_eq!(Endpoint::parse("http://169.254.169.254:80").unwrap(), Endpoint::IPV4);
        assert_eq!(Endpoint::parse("http://[FD00:EC2::254]").unwrap(), Endpoint::IPV6);
    }

    #[test]
    fn parses_hosts_ports_and_schemes() {
        let cases = [
            ("http://169.254.169.254", "http://169.254.169.254", 80),
            ("http://169.254.169.254/", "http://169.254.169.254", 80),
            ("HTTP://[fd00:ec2::254]", "http://[fd00:ec2::254]", 80),
            ("http://[::1]:8080/", "http://[::1]:8080", 8080),
            ("http://127.0.0.1:1338", "http://127.0.0.1:1338", 1338),
            ("http://override:456", "http://override:456", 456),
            ("https://custom", "https://custom", 443),
            ("http://169.254.169.200", "http://169.254.169.200", 80),
            ("http://localhost:80", "http://localhost", 80),
            ("http://imds.internal.:8080", "http://imds.internal.:8080", 8080),
            ("http://a1.b-2_c", "http://a1.b-2_c", 80),
            ("http://123.example", "http://123.example", 80),
            ("http://imds.0xg", "http://imds.0xg", 80),
            ("http://x0x1", "http://x0x1", 80),
            ("https://metadata.example.com", "https://metadata.example.com", 443),
            ("https://metadata.example.com:80", "https://metadata.example.com:80", 80),
        ];
        for (url, shown, port) in cases {
            let endpoint = Endpoint::parse(url).unwrap();
            assert_eq!(endpoint.to_string(), shown, "{url}");
            assert_eq!(endpoint.port(), port, "{url}");
        }
        assert_eq!(Endpoint::parse("https://x").unwrap().scheme(), Scheme::Https);
    }

    #[test]
    fn refuses_what_is_not_a_bare_endpoint() {
        use EndpointError::*;
        let cases = [
            ("169.254.169.254", UnsupportedScheme),
            ("not a uri", UnsupportedScheme),
            ("ftp://host", UnsupportedScheme),
            ("http://", MissingHost),
            ("http://:80", MissingHost),
            ("http:///", MissingHost),
            ("http://user:pw@host", UserInfo),
            ("http://user@host/", UserInfo),
            ("http://host:", InvalidPort),
            ("http://host:0", InvalidPort),
            ("http://host:65536", InvalidPort),
            ("http://host:+80", InvalidPort),
            ("http://host:8o", InvalidPort),
            ("http://[::1]:", InvalidPort),
            ("http://host/latest", PathNotAllowed),
            ("http://host//", PathNotAllowed),
            ("http://host?x=1", QueryNotAllowed),
            ("http://host/#frag", QueryNotAllowed),
            ("http://[::1", InvalidHost),
            ("http://[::1]x", InvalidHost),
            ("http://[fe80::1%25eth0]", InvalidHost),
            ("http://[169.254.169.254]", InvalidHost),
            ("http://ho st", InvalidHost),
            ("http://h\r\nX: y", InvalidHost),
            ("http://hőst", InvalidHost),
            ("http://256.1.1.1", NumericHost),
            ("http://1.2.3", NumericHost),
            ("http://0x7f.1:8080", NumericHost),
            ("http://0x7F.0.0.1", NumericHost),
            ("http://0177.0.0.1", NumericHost),
            ("http://127.0.0.01", NumericHost),
            ("http://2130706433", NumericHost),
            ("http://1.2.3.4.", NumericHost),
            ("http://imds.0x", NumericHost),
            ("http://imds.0XAB", NumericHost),
            ("http://metadata.123", NumericHost),
            ("http://a..b", InvalidHost),
            ("http://.a", InvalidHost),
            ("http://.", InvalidHost),
        ];
        for (url, error) in cases {
            assert_eq!(Endpoint::parse(url), Err(error), "{url:?}");
        }
        let long = std::format!("http://{}", "a".repeat(254));
        assert_eq!(Endpoint::parse(&long), Err(HostTooLong));
    }
}
