//! Request bytes: the token `PUT` and the metadata `GET`, written into the
//! caller's buffer. Pure: no state, no allocation.
//!
//! ```text
//! PUT /latest/api/token HTTP/1.1          GET /latest/meta-data/ami-id HTTP/1.1
//! Host: 169.254.169.254                   Host: 169.254.169.254
//! User-Agent: <optional>                  User-Agent: <optional>
//! X-aws-ec2-metadata-token-ttl-seconds: N X-aws-ec2-metadata-token: <token, if any>
//! Content-Length: 0
//! ```
//! Every line ends in CRLF and the head in an empty line. Nothing else is sent: in
//! particular never `X-Forwarded-For`, which makes the service refuse a token.

use core::fmt;

use crate::buffer::BufferTooSmall;
use crate::endpoint::{Endpoint, MAX_HOST_NAME_LEN};
use crate::path::{self, MAX_PATH_LEN, PathError};
use crate::text::Writer;
use crate::token::{MAX_TOKEN_LEN, Token, TokenTtl};

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/latest/api/token";

/// Longest `User-Agent` value accepted, in bytes.
pub const MAX_USER_AGENT_LEN: usize = 128;

/// Bytes needed for the largest request whose path is at most `max_path_len`
/// bytes, with the longest host, token and user agent: size transmit buffers with it.
/// Saturates at `usize::MAX` (no path is that long: [`MAX_PATH_LEN`] bounds them all).
pub const fn max_request_len(max_path_len: usize) -> usize {
    const fn max(a: usize, b: usize) -> usize {
        if a > b { a } else { b }
    }
    let host = "Host: ".len() + MAX_HOST_NAME_LEN + ":65535".len() + 2;
    let user_agent = "User-Agent: ".len() + MAX_USER_AGENT_LEN + 2;
    let get_fixed = "GET ".len()
        + " HTTP/1.1\r\n".len()
        + host
        + user_agent
        + "X-aws-ec2-metadata-token: ".len()
        + MAX_TOKEN_LEN
        + 2
        + 2;
    let get = max_path_len.saturating_add(get_fixed);
    let put = "PUT /latest/api/token HTTP/1.1\r\n".len()
        + host
        + user_agent
        + "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n".len()
        + "Content-Length: 0\r\n".len()
        + 2;
    max(get, put)
}

/// [`max_request_len`] for the longest valid path: no request is ever longer.
pub const MAX_REQUEST_LEN: usize = max_request_len(MAX_PATH_LEN);

/// One request to the metadata service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Request<'a> {
    /// `PUT /latest/api/token`, asking for a token that lives `ttl`.
    PutToken {
        /// The token lifetime to ask for.
        ttl: TokenTtl,
    },
    /// `GET path`, with the token header when `token` is given (IMDSv2) and
    /// without it otherwise (IMDSv1).
    Get {
        /// An absolute metadata path, checked by [`path::validate`].
        path: &'a str,
        /// The session token, if any.
        token: Option<&'a Token>,
    },
}

/// Why a request could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is smaller than the request (`required` is exact); nothing
    /// useful was written.
    BufferTooSmall(BufferTooSmall),
    /// The path is not valid.
    Path(PathError),
    /// The user agent is empty, longer than [`MAX_USER_AGENT_LEN`], starts or ends
    /// with a space, or holds a byte other than visible ASCII and space.
    InvalidUserAgent,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall(e) => write!(f, "request {e}"),
            EncodeError::Path(e) => e.fmt(f),
            EncodeError::InvalidUserAgent => f.write_str("user agent is not a valid header value"),
        }
    }
}

impl core::error::Error for EncodeError {}

impl From<PathError> for EncodeError {
    fn from(e: PathError) -> Self {
        EncodeError::Path(e)
    }
}

impl Request<'_> {
    /// Writes the request into `buf` and returns its length.
    ///
    /// Validates the path and user agent first; a buffer too small gives
    /// [`EncodeError::BufferTooSmall`] with the exact size needed.
    pub fn encode(
        &self,
        endpoint: &Endpoint<'_>,
        user_agent: Option<&str>,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        if let Request::Get { path, .. } = self {
            path::validate(path)?;
        }
        if let Some(agent) = user_agent {
            validate_user_agent(agent)?;
        }
        self.write(endpoint, user_agent, buf).map_err(EncodeError::BufferTooSmall)
    }

    /// [`Request::encode`] for a path and user agent already validated (the
    /// client checks each once). Written piece by piece, without `core::fmt`.
    pub(crate) fn write(
        &self,
        endpoint: &Endpoint<'_>,
        user_agent: Option<&str>,
        buf: &mut [u8],
    ) -> Result<usize, BufferTooSmall> {
        let mut out = Writer::new(buf);
        match self {
            Request::PutToken { .. } => out.put(b"PUT /latest/api/token HTTP/1.1\r\nHost: "),
            Request::Get { path, .. } => {
                out.put(b"GET ");
                out.put(path.as_bytes());
                out.put(b" HTTP/1.1\r\nHost: ");
            }
        }
        endpoint.write_host_header(|piece| out.put(piece));
        out.put(b"\r\n");
        if let Some(agent) = user_agent {
            out.put(b"User-Agent: ");
            out.put(agent.as_bytes());
            out.put(b"\r\n");
        }
        match self {
            Request::PutToken { ttl } => {
                out.put(b"X-aws-ec2-metadata-token-ttl-seconds: ");
                crate::text::decimal(ttl.seconds(), &mut |digits| out.put(digits));
                out.put(b"\r\nContent-Length: 0\r\n");
            }
            Request::Get { token: Some(token), .. } => {
                out.put(b"X-aws-ec2-metadata-token: ");
                out.put(token.as_bytes());
                out.put(b"\r\n");
            }
            Request::Get { token: None, .. } => {}
        }
        out.put(b"\r\n");
        match out.fits() {
            true => Ok(out.len),
            false => Err(BufferTooSmall { required: out.len }),
        }
    }
}

pub(crate) fn validate_user_agent(agent: &str) -> Result<(), EncodeError> {
    let bytes = agent.as_bytes();
    let fits = !bytes.is_empty() && bytes.len() <= MAX_USER_AGENT_LEN;
    let edges = !agent.starts_with(' ') && !agent.ends_with(' ');
    let content = bytes.iter().all(|&b| b == b' ' || crate::token::is_visible_ascii(b));
    match fits && edges && content {
        true => Ok(()),
        false => Err(EncodeError::InvalidUserAgent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use core::net::{IpAddr, Ipv4Addr};

    fn encode(request: Request<'_>, endpoint: &Endpoint<'_>, agent: Option<&str>) -> std::string::String {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let n = request.encode(endpoint, agent, &mut buf).unwrap();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn golden_token_put() {
        let put = Request::PutToken { ttl: TokenTtl::MAX };
        assert_eq!(
            encode(put, &Endpoint::IPV4, None),
            "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n\
             X-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn golden_gets() {
        let token = Token::new(b"AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==").unwrap();
        let get = Request::Get { path: "/latest/meta-data/ami-id", token: Some(&token) };
        assert_eq!(
            encode(get, &Endpoint::IPV4, Some("imds-rs/0.1 (test)")),
            "GET /latest/meta-data/ami-id HTTP/1.1\r\nHost: 169.254.169.254\r\nUser-Agent: imds-rs/0.1 (test)\r\n\
             X-aws-ec2-metadata-token: AQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==\r\n\r\n"
        );
        let v1 = Request::Get { path: "/latest/meta-data/", token: None };
        assert_eq!(
            encode(v1, &Endpoint::IPV6, None),
            "GET /latest/meta-data/ HTTP/1.1\r\nHost: [fd00:ec2::254]\r\n\r\n"
        );
        let local = Endpoint::from_ip(IpAddr::V4(Ipv4Addr::LOCALHOST), 1338);
        assert_eq!(encode(v1, &local, None), "GET /latest/meta-data/ HTTP/1.1\r\nHost: 127.0.0.1:1338\r\n\r\n");
        let v6 = Endpoint::parse("http://[::1]:8080").unwrap();
        assert_eq!(encode(v1, &v6, None), "GET /latest/meta-data/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    }

    #[test]
    fn small_buffer_reports_the_exact_size() {
        let get = Request::Get { path: "/latest/meta-data/ami-id", token: None };
        let full = encode(get, &Endpoint::IPV4, None).len();
        let mut buf = [0u8; 64];
        for len in 0..full {
            assert_eq!(
                get.encode(&Endpoint::IPV4, None, &mut buf[..len]),
                Err(EncodeError::BufferTooSmall(BufferTooSmall { required: full }))
            );
        }
        assert_eq!(get.encode(&Endpoint::IPV4, None, &mut buf[..full]), Ok(full));
    }

    #[test]
    fn refuses_bad_paths_and_user_agents() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let bad = Request::Get { path: "/a\r\nX-Forwarded-For: x", token: None };
        assert!(matches!(bad.encode(&Endpoint::IPV4, None, &mut buf), Err(EncodeError::Path(_))));
        let get = Request::Get { path: "/", token: None };
        for agent in ["", " a", "a ", "a\r\nb", "a\tb", "ü", &"a".repeat(MAX_USER_AGENT_LEN + 1)] {
            assert_eq!(
                get.encode(&Endpoint::IPV4, Some(agent), &mut buf),
                Err(EncodeError::InvalidUserAgent),
                "{agent:?}"
            );
        }
    }

    #[test]
    fn max_request_len_saturates_instead_of_overflowing() {
        assert_eq!(max_request_len(usize::MAX), usize::MAX);
        assert_eq!(max_request_len(usize::MAX - 10), usize::MAX);
        assert!(max_request_len(0) < max_request_len(1));
        const { assert!(max_request_len(usize::MAX / 2) > usize::MAX / 2) };
    }

    #[test]
    fn the_longest_request_fits_max_request_len() {
        let token = Token::new(&[b'T'; MAX_TOKEN_LEN]).unwrap();
        let host = std::format!("http://{}:65535", "h".repeat(MAX_HOST_NAME_LEN));
        let endpoint = Endpoint::parse(&host).unwrap();
        let path = std::format!("/{}", "p".repeat(MAX_PATH_LEN - 1));
        let agent = "u".repeat(MAX_USER_AGENT_LEN);
        let get = Request::Get { path: &path, token: Some(&token) };
        assert_eq!(encode(get, &endpoint, Some(&agent)).len(), MAX_REQUEST_LEN);
        let put = Request::PutToken { ttl: TokenTtl::MAX };
        assert!(encode(put, &endpoint, Some(&agent)).len() <= max_request_len(0));
    }
}
