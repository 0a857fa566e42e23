//! # imds
//!
//! A `no_std`, allocation-free, sans-IO client core for the EC2 Instance Metadata
//! Service (IMDSv2). It never opens a socket, reads a clock or allocates: it
//! writes request bytes into your buffer, decodes response bytes from your
//! buffer, and parses what comes back. You bring the transport.
//!
//! - [`client`]: the IMDSv2 session ([`Client`]): token cache and refresh, 401
//!   recovery, IMDSv1 fallback, retries with backoff, deadlines. Sans-IO: you move
//!   bytes and time, it says what to do next ([`Action`]).
//! - [`driver`]: that loop for a blocking [`driver::Transport`] and [`driver::Clock`];
//!   `net` (feature `std`) has both for `std::net::TcpStream`.
//! - [`wire`]: request encoding ([`wire::Request`]) and incremental response
//!   decoding ([`wire::Decoder`] for events, [`wire::Reader`] for a receive buffer).
//! - [`parse`]: directory listings.
//! - [`endpoint`], [`path`], [`token`], [`time`]: the validated values requests are
//!   made of, and time as the driver tells it.
//!
//! The wire core alone:
//!
//! ```
//! use imds::{Endpoint, wire::{BodyMode, Limits, Progress, Reader, Request}};
//!
//! let mut tx = [0u8; imds::wire::MAX_REQUEST_LEN];
//! let get = Request::Get { path: "/latest/meta-data/instance-id", token: None };
//! let n = get.encode(&Endpoint::IPV4, None, &mut tx)?;
//! assert!(tx[..n].starts_with(b"GET /latest/meta-data/instance-id HTTP/1.1\r\n"));
//!
//! // ... write tx[..n] to your socket, then read the answer:
//! let mut wire: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\ni-0123456789abcdef0";
//! let mut rx = [0u8; 512];
//! let mut reader = Reader::new(Limits::DEFAULT, BodyMode::Contiguous);
//! loop {
//!     match reader.poll(&mut rx)? {
//!         Progress::NeedMore => {
//!             let spare = reader.spare(&mut rx)?;
//!             let n = wire.len().min(spare.len()).min(7); // any split works
//!             spare[..n].copy_from_slice(&wire[..n]);
//!             wire = &wire[n..];
//!             if n == 0 { reader.eof() } else { reader.received(n)? }
//!         }
//!         Progress::Complete => break,
//!         Progress::Head(_) | Progress::Piece(_) => {}
//!     }
//! }
//! let response = reader.response(&rx).unwrap();
//! assert_eq!((response.status(), response.body()), (200, &b"i-0123456789abcdef0"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod client;
pub mod driver;
pub mod endpoint;
#[cfg(feature = "std")]
pub mod net;
pub mod parse;
pub mod path;
#[cfg(feature = "std")]
mod std_io;
pub mod time;
pub mod token;
pub mod wire;

pub use client::{Action, Answer, Client, Config, Error, ErrorKind, Phase, V1Fallback};
pub use endpoint::{Endpoint, EndpointError, Host, Scheme};
pub use path::{JoinError, PathError};
pub use time::Instant;
pub use token::{Token, TokenError, TokenTtl, TtlOutOfRange};
