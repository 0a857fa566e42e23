//! # imds
//!
//! A `no_std`, allocation-free, sans-IO client core for the EC2 Instance Metadata
//! Service (IMDSv2). It never opens a socket, reads a clock or allocates: it
//! writes request bytes into your buffer, decodes response bytes from your
//! buffer, and parses what comes back. You bring the transport.
//!
//! - [`Client`]: the IMDSv2 session: token cache and refresh, 401 recovery,
//!   IMDSv1 fallback, retries with backoff, deadlines; [`Operation`]: one `GET`
//!   on it. Sans-IO: you move bytes and time, it says what to do next ([`Action`]).
//! - [`Walk`]: a bounded walk of the metadata tree, driving a [`Client`].
//! - [`driver`]: those loops for a blocking [`driver::Transport`] and
//!   [`driver::Clock`]; `net` (feature `std`) has both for `std::net::TcpStream`.
//!   The transport contract (those traits, their `async` twins and
//!   [`driver::TransportError`]) lives one floor below the session, so the
//!   layers import downward only: `wire` and `parse` below `client`, `client`
//!   below `driver` (`.ci/module_cycles.py` fails CI on any import cycle).
//! - [`wire`]: request encoding ([`wire::Request`]) and incremental response
//!   decoding ([`wire::Decoder`] for events, [`wire::Reader`] for a receive buffer).
//! - [`parse`]: directory listings. [`path`]: the path validator and joins.
//!
//! A whole session, over an in-memory transport standing in for a socket:
//!
//! ```
//! use imds::driver::{ManualClock, MemoryTransport, run};
//! use imds::{BodyMode, Client, Config, Instant};
//!
//! // The service: a token for the PUT, the instance id for the GET.
//! let mut transport = MemoryTransport::new(|request: &[u8]| {
//!     Some(if request.starts_with(b"PUT /latest/api/token") {
//!         &b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 5\r\n\r\ntoken"[..]
//!     } else {
//!         &b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\nConnection: close\r\n\r\ni-0123456789abcdef0"[..]
//!     })
//! });
//! let mut clock = ManualClock::new(Instant::ZERO);
//!
//! let mut client = Client::new(Config::DEFAULT, 42); // a Client<'static>: it can live in a static
//! let mut tx = [0u8; imds::wire::MAX_REQUEST_LEN];
//! let mut rx = [0u8; 1024];
//! let mut operation = client.get(clock.now, "/latest/meta-data/instance-id", BodyMode::Contiguous);
//! let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_piece| {})?;
//! assert_eq!((answer.status, answer.body), (200, &b"i-0123456789abcdef0"[..]));
//! assert!(answer.token_ttl.is_some()); // the token is cached for the next GET
//! # Ok::<(), imds::Error>(())
//! ```
//!
//! ## Buffers
//!
//! The caller owns all the memory a request needs besides the [`Client`]:
//!
//! - `tx`, for one request at a time: [`wire::MAX_REQUEST_LEN`] bytes always
//!   suffice; [`wire::max_request_len`] gives less for shorter paths. A too
//!   small one is a [`UsageError::SendBuffer`] with the exact size.
//!   [`driver::run`] zeroes each request once written (it may carry the token).
//! - `rx`, for one response at a time. The head arrives at its front and, once
//!   parsed, is compacted to its reason phrase, Content-Type and Date when the
//!   body needs its room (nothing moves when the whole response fits); the body goes
//!   right behind ([`BodyMode::Contiguous`]), or passes through in pieces
//!   ([`BodyMode::Streaming`], [`Action::Piece`]). `max_head_len +
//!   max_body_len` of the [`wire::Limits`] always suffices (8 KiB + 64 KiB by
//!   default: size the limits to your buffer); streaming needs only the head's.
//!   A too small one is a [`UsageError::ReceiveBuffer`], exact when a
//!   Content-Length gave the size.
//! - The [`Answer`] borrows `rx`: its body is valid until `rx` is reused. A
//!   token's response is zeroed in `rx` after the client copied it; answers
//!   (credentials, say) are yours to zero.
//! - A [`Walk`] also takes a buffer for the paths still to visit.
//!
//! ## One path per item
//!
//! Everything is re-exported once: the session and the values it is made of at
//! the root, the rest in [`driver`], [`wire`], [`parse`], [`path`] and `net`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod buffer;
pub mod catalog;
mod client;
mod credentials;
pub mod driver;
mod endpoint;
mod flow;
#[cfg(feature = "std")]
pub mod net;
pub mod parse;
pub mod path;
mod region;
pub mod sdk_config;
#[cfg(feature = "std")]
mod std_io;
mod text;
mod time;
mod token;
mod transport;
#[cfg(feature = "verify")]
pub mod verify;
mod walk;
mod watch;
pub mod wire;

pub use buffer::{BufferTooSmall, wipe};
pub use client::{
    Action, Answer, Client, Config, Error, ErrorKind, InvalidUserAgent, Operation, Phase, REQUEST_STATE_BYTES,
    TimeoutKind, UsageError, UserAgent, V1Fallback, reason_phrase,
};
pub use credentials::{
    CredentialsApi, CredentialsError, CredentialsFetch, CredentialsFlow, FetchedCredentials, MIN_CLOCK_SKEW_SECS,
    REFRESH_BEFORE_EXPIRY_SECS, REFRESH_JITTER_SECS, STALE_EXTENSION_SECS, STALE_JITTER_SECS,
};
pub use endpoint::{Endpoint, EndpointError, Host, HostHeader, MAX_HOST_NAME_LEN, Scheme};
pub use flow::{Flow, Step};
pub use region::{RegionError, RegionFlow};
pub use time::Instant;
pub use token::{MAX_TOKEN_LEN, Token, TokenError, TokenTtl, TtlOutOfRange};
pub use walk::{Visit, Walk, WalkError, WalkLimit, WalkLimits};
pub use watch::{DEFAULT_WATCH_INTERVAL, Notice, NoticeKind, Watch, WatchError};
pub use wire::reader::BodyMode;

/// Speed or size: on 64-bit targets the crate takes its fast paths (a
/// `memcpy`, word-at-a-time reads, the documents' member shortcuts); on
/// smaller ones, where flash counts, the small general code instead, which
/// every input can also take on a 64-bit target. `--cfg imds_small` picks the
/// small code on any target, so that the tests run it on the host too.
const WIDE: bool = cfg!(all(target_pointer_width = "64", not(imds_small)));

/// The README's Rust blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The Rust blocks of `docs/session.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/session.md")]
pub struct SessionDoctests;

/// The Rust blocks of `docs/verify.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/verify.md")]
pub struct VerifyDoctests;
