//! The bounded walk of the metadata tree: [`Walk`].

use core::fmt;
use core::time::Duration;

use crate::BodyMode;
use crate::buffer::BufferTooSmall;
use crate::client::{Answer, Client, Error, ErrorKind, Operation, TimeoutKind};
use crate::parse::{Listing, ListingError};
use crate::path::{self, JoinError, MAX_PATH_LEN, PathError};
use crate::time::Instant;

/// Bounds on a walk. [`WalkLimits::DEFAULT`]: depth 16, 4,096 nodes, 16 MiB of
/// bodies, 60 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct WalkLimits {
    /// Levels below the root (a child of the root is at depth 1).
    pub max_depth: u8,
    /// Nodes (requests, not counting the token), the root included.
    pub max_nodes: u32,
    /// Bytes of all bodies together, listings included.
    pub max_body_bytes: u64,
    /// Time for the whole walk; each request's own deadline is cut to it.
    pub timeout: Option<Duration>,
}

impl WalkLimits {
    /// Depth 16, 4,096 nodes, 16 MiB of bodies, 60 s.
    pub const DEFAULT: WalkLimits = WalkLimits {
        max_depth: 16,
        max_nodes: 4096,
        max_body_bytes: 16 * 1024 * 1024,
        timeout: Some(Duration::from_secs(60)),
    };
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits::DEFAULT
    }
}

/// The bound that ended a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WalkLimit {
    /// [`WalkLimits::max_depth`].
    Depth,
    /// [`WalkLimits::max_nodes`].
    Nodes,
    /// [`WalkLimits::max_body_bytes`].
    BodyBytes,
    /// [`WalkLimits::timeout`].
    Deadline,
}

/// Why a walk ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WalkError {
    /// The tree is larger, deeper or slower than a bound allows.
    Limit(WalkLimit),
    /// The pending-path buffer cannot hold the paths still to visit.
    Pending(BufferTooSmall),
    /// The root is not a valid path.
    Root(PathError),
    /// A directory's listing is malformed ([`Walk::current`] is the directory).
    Listing(ListingError),
    /// A listed entry does not make a valid path under its directory.
    Join(JoinError),
    /// A request failed (not a 404: that is a [`Visit::Missing`]).
    Request(Error),
    /// [`Walk::visit`] without [`Walk::start_next`], or `start_next` twice.
    WrongStep,
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::Limit(WalkLimit::Depth) => f.write_str("the tree is deeper than the depth limit"),
            WalkError::Limit(WalkLimit::Nodes) => f.write_str("the tree has more nodes than the node limit"),
            WalkError::Limit(WalkLimit::BodyBytes) => f.write_str("the bodies are larger than the byte limit"),
            WalkError::Limit(WalkLimit::Deadline) => f.write_str("the walk took longer than its deadline"),
            WalkError::Pending(e) => write!(f, "pending paths: {e}"),
            WalkError::Root(e) => write!(f, "walk root: {e}"),
            WalkError::Listing(e) => write!(f, "bad listing: {e}"),
            WalkError::Join(e) => write!(f, "listed entry: {e}"),
            WalkError::Request(e) => e.fmt(f),
            WalkError::WrongStep => f.write_str("walk calls out of order"),
        }
    }
}

impl core::error::Error for WalkError {}

/// A node the walk visited.
///
/// `Debug` (and defmt) show a leaf body's length, never its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Visit<'w, 'b> {
    /// A value, with its body (borrowing the receive buffer).
    Leaf {
        /// Its full path.
        path: &'w str,
        /// Its body.
        body: &'b [u8],
    },
    /// A directory; its entries are queued.
    Dir {
        /// Its full path (ending in `/`).
        path: &'w str,
        /// How many entries it listed.
        entries: usize,
    },
    /// A listed path that answered 404.
    Missing {
        /// Its full path.
        path: &'w str,
    },
}

impl fmt::Debug for Visit<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Visit::Leaf { path, body } => {
                f.debug_struct("Leaf").field("path", path).field("body_len", &body.len()).finish()
            }
            Visit::Dir { path, entries } => {
                f.debug_struct("Dir").field("path", path).field("entries", entries).finish()
            }
            Visit::Missing { path } => f.debug_struct("Missing").field("path", path).finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Visit<'_, '_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Visit::Leaf { path, body } => {
                defmt::write!(f, "Leaf {{ path: {=str}, body_len: {=usize} }}", path, body.len())
            }
            Visit::Dir { path, entries } => {
                defmt::write!(f, "Dir {{ path: {=str}, entries: {=usize} }}", path, entries)
            }
            Visit::Missing { path } => defmt::write!(f, "Missing {{ path: {=str} }}", path),
        }
    }
}

/// The paths still to visit: a stack of `[path bytes][length byte]` records in
/// the caller's buffer.
struct Pending<'p> {
    buf: &'p mut [u8],
    top: usize,
}

impl Pending<'_> {
    /// The path on top, if any.
    fn peek(&self) -> Option<&str> {
        let len = usize::from(*self.buf.get(self.top.checked_sub(1)?)?);
        let start = self.top.checked_sub(len + 1)?;
        core::str::from_utf8(self.buf.get(start..self.top - 1)?).ok()
    }

    /// Removes the path on top.
    fn pop(&mut self) {
        let len = self.top.checked_sub(1).and_then(|i| self.buf.get(i)).map_or(0, |&len| usize::from(len));
        self.top = self.top.saturating_sub(len + 1);
    }

    /// Pushes a path produced by `write` into the free room (given all but one
    /// byte of it): it returns the path's length, or a [`JoinError`].
    fn push_with(&mut self, write: impl FnOnce(&mut [u8]) -> Result<usize, JoinError>) -> Result<(), WalkError> {
        let room = self.buf.len().saturating_sub(self.top + 1);
        let free = self.buf.get_mut(self.top..self.top + room).unwrap_or_default();
        let len = write(free).map_err(|e| match e {
            JoinError::BufferTooSmall(e) => WalkError::Pending(BufferTooSmall { required: self.top + e.required + 1 }),
            e => WalkError::Join(e),
        })?;
        let Ok(len_byte) = u8::try_from(len) else {
            return Err(WalkError::Join(JoinError::Path(PathError::TooLong { len })));
        };
        let at = self.top + len;
        *self.buf.get_mut(at).ok_or(WalkError::Pending(BufferTooSmall { required: at + 1 }))? = len_byte;
        self.top = at + 1;
        Ok(())
    }

    /// Reverses the order of the records pushed since `mark` (the top then), so
    /// they pop in the order they were pushed.
    fn reverse_since(&mut self, mark: usize) {
        let Some(region) = self.buf.get_mut(mark..self.top) else { return };
        region.reverse();
        // Each record now reads `[length][path reversed]`: reversing it again
        // gives `[path][length]`.
        let mut at = 0;
        while let Some(&len) = region.get(at) {
            let end = at + 1 + usize::from(len);
            if let Some(record) = region.get_mut(at..end) {
                record.reverse();
            }
            at = end;
        }
    }
}

/// A bounded walk of the metadata tree from any root: one `GET` per node (plus
/// the token), following directories, public keys and the directories some
/// listings name without a slash ([`parse::Listing`](crate::parse::Listing) knows
/// which). No allocation: the paths still to visit live in a buffer you give,
/// as a stack, so the walk goes depth first in listing order.
///
/// Sans-IO like the [`Client`] it drives: [`Walk::start_next`] starts the next
/// node's `GET` on the client; you run that operation to its end (say with
/// [`driver::run`](crate::driver::run)); [`Walk::visit`] takes its outcome and
/// says what was visited. [`driver::walk`](crate::driver::walk) is that loop.
///
/// Every bound ends the walk with a [`WalkError`] naming it, never with a silent
/// truncation: depth, nodes (counted as soon as a listing names them, so a walk
/// that would pass the bound stops before spending requests), body bytes, time,
/// and the room for pending paths (each takes its length plus one byte). A 404
/// inside a walk (a listed path that is gone) is a [`Visit::Missing`], not an error.
pub struct Walk<'p> {
    pending: Pending<'p>,
    current: heapless::String<MAX_PATH_LEN>,
    root_depth: usize,
    limits: WalkLimits,
    deadline: Option<Instant>,
    /// Nodes started.
    nodes: u32,
    /// Nodes started or pending.
    known: u32,
    body_bytes: u64,
    in_flight: bool,
}

impl fmt::Debug for Walk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("current", &self.current.as_str())
            .field("nodes", &self.nodes)
            .field("known", &self.known)
            .field("body_bytes", &self.body_bytes)
            .finish()
    }
}

impl<'p> Walk<'p> {
    /// A walk of the tree under `root` (a directory ends in `/`; a path without
    /// one is fetched as a leaf), starting at `now`, with the pending paths in
    /// `pending`: each pending path takes its full length plus one byte, so what a
    /// tree needs depends on its breadth (the emulated instance's walk from
    /// `/latest/` peaks at 1,166 bytes, `tests/walk.rs` prints it), and at most
    /// `max_nodes * (MAX_PATH_LEN + 1)`.
    pub fn new(now: Instant, root: &str, limits: WalkLimits, pending: &'p mut [u8]) -> Result<Walk<'p>, WalkError> {
        path::validate(root).map_err(WalkError::Root)?;
        if limits.max_nodes == 0 {
            return Err(WalkError::Limit(WalkLimit::Nodes));
        }
        let mut pending = Pending { buf: pending, top: 0 };
        pending.push_with(|room| match crate::buffer::copy_into(room, root.as_bytes()) == root.len() {
            true => Ok(root.len()),
            false => Err(JoinError::BufferTooSmall(BufferTooSmall { required: root.len() })),
        })?;
        let mut current = heapless::String::new();
        // A valid path fits: at most MAX_PATH_LEN bytes.
        let _ = current.push_str(root);
        Ok(Walk {
            pending,
            current,
            root_depth: depth(root),
            limits,
            deadline: limits.timeout.map(|t| now.saturating_add(t)),
            nodes: 0,
            known: 1,
            body_bytes: 0,
            in_flight: false,
        })
    }

    /// Starts the `GET` of the next node on `client` (the [`Operation`]
    /// borrows the walk for its path); or returns `None` when every node was
    /// visited.
    pub fn start_next<'c, 'a, 'w>(
        &'w mut self,
        now: Instant,
        client: &'c mut Client<'a>,
    ) -> Result<Option<Operation<'c, 'a, 'w>>, WalkError> {
        if self.in_flight {
            return Err(WalkError::WrongStep);
        }
        let Some(next) = self.pending.peek() else { return Ok(None) };
        if self.deadline.is_some_and(|d| now >= d) {
            return Err(WalkError::Limit(WalkLimit::Deadline));
        }
        self.current.clear();
        // A pending path is a valid path, at most MAX_PATH_LEN bytes: it fits.
        let _ = self.current.push_str(next);
        self.pending.pop();
        self.nodes += 1;
        self.in_flight = true;
        let mut operation = client.get(now, &self.current, BodyMode::Contiguous);
        if let Some(deadline) = self.deadline {
            operation.shorten_deadline(deadline);
        }
        Ok(Some(operation))
    }

    /// Takes the outcome of the operation [`Walk::start_next`] started (what
    /// [`Operation::answer`] gave), at `now`, and says what was visited. A
    /// directory's entries are queued.
    pub fn visit<'w, 'b>(
        &'w mut self,
        now: Instant,
        outcome: Result<Answer<'b>, Error>,
    ) -> Result<Visit<'w, 'b>, WalkError> {
        if !core::mem::take(&mut self.in_flight) {
            return Err(WalkError::WrongStep);
        }
        let answer = outcome.map_err(|e| match e.kind {
            ErrorKind::Timeout(TimeoutKind::Operation) if self.deadline.is_some_and(|d| now >= d) => {
                WalkError::Limit(WalkLimit::Deadline)
            }
            _ => WalkError::Request(e),
        })?;
        if !answer.found() {
            return Ok(Visit::Missing { path: &self.current });
        }
        self.body_bytes = self.body_bytes.saturating_add(answer.body.len() as u64);
        if self.body_bytes > self.limits.max_body_bytes {
            return Err(WalkError::Limit(WalkLimit::BodyBytes));
        }
        if !path::ends_with_slash(&self.current) {
            return Ok(Visit::Leaf { path: &self.current, body: answer.body });
        }
        let listing = Listing::parse(&self.current, answer.body).map_err(WalkError::Listing)?;
        let child_depth = depth(&self.current) - self.root_depth + 1;
        let mark = self.pending.top;
        let mut entries = 0;
        for entry in listing {
            if child_depth > usize::from(self.limits.max_depth) {
                return Err(WalkError::Limit(WalkLimit::Depth));
            }
            self.known = self.known.saturating_add(1);
            if self.known > self.limits.max_nodes {
                return Err(WalkError::Limit(WalkLimit::Nodes));
            }
            self.pending.push_with(|room| entry.join(room).map(str::len))?;
            entries += 1;
        }
        self.pending.reverse_since(mark);
        Ok(Visit::Dir { path: &self.current, entries })
    }

    /// The path of the node started last (the root before the first): where an
    /// error happened.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Nodes visited or being visited.
    pub fn nodes(&self) -> u32 {
        self.nodes
    }

    /// Bytes of the bodies received so far.
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes
    }

    /// Bytes of the pending-path buffer in use.
    pub fn pending_bytes(&self) -> usize {
        self.pending.top
    }
}

/// Slashes in `path` before its last segment: `/a/b/` and `/a/b` are both 2.
fn depth(path: &str) -> usize {
    let path = crate::path::without_final_slash(path);
    path.bytes().filter(|&b| b == b'/').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn pending_paths_pop_in_the_order_they_were_listed() {
        let mut buf = [0u8; 64];
        let mut pending = Pending { buf: &mut buf, top: 0 };
        for path in ["/z", "/first/", "/second", "/third/x"] {
            pending
                .push_with(|room| {
                    room[..path.len()].copy_from_slice(path.as_bytes());
                    Ok(path.len())
                })
                .unwrap();
        }
        pending.reverse_since(3);
        let mut popped = Vec::new();
        while let Some(path) = pending.peek() {
            popped.push(std::string::String::from(path));
            pending.pop();
        }
        assert_eq!(popped, ["/first/", "/second", "/third/x", "/z"]);
    }

    #[test]
    fn a_full_pending_buffer_is_an_error_with_the_size_needed() {
        let mut buf = [0u8; 8];
        let mut pending = Pending { buf: &mut buf, top: 0 };
        let error = pending.push_with(|room| path::join("/latest", "meta-data", room).map(str::len));
        assert_eq!(error, Err(WalkError::Pending(BufferTooSmall { required: 18 })));
        assert_eq!(pending.top, 0, "nothing pushed");
        let mut small = [0u8; 5];
        assert_eq!(
            Walk::new(Instant::ZERO, "/latest/", WalkLimits::DEFAULT, &mut small).map(|_| ()),
            Err(WalkError::Pending(BufferTooSmall { required: 9 }))
        );
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(
            (depth("/"), depth("/latest/"), depth("/latest"), depth("/latest/meta-data/iam/info")),
            (0, 1, 1, 4)
        );
    }

    #[test]
    fn leaf_bodies_never_reach_debug() {
        let shown = std::format!("{:?}", Visit::Leaf { path: "/latest/x", body: b"wJalrXUtnFEMI" });
        assert_eq!(shown, "Leaf { path: \"/latest/x\", body_len: 13 }");
    }
}
