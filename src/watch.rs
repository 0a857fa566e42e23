//! Interruption notices, watched: a schedule that polls the spot instance
//! action, the rebalance recommendation and the scheduled maintenance events,
//! and reports each new or changed notice once.

use core::fmt;
use core::time::Duration;

use crate::BodyMode;
use crate::catalog;
use crate::client::{Answer, Client, Error, Operation};
use crate::parse::{DocumentError, MaintenanceEvents, RebalanceRecommendation, SpotAction};
use crate::time::Instant;

/// How often a round of polls starts by default: every 5 seconds (AWS advises
/// checking for a spot interruption every 5 s; it gives two minutes' notice).
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(5);

/// The paths of one round, in order.
const PATHS: [&str; 3] =
    [catalog::SPOT_INSTANCE_ACTION, catalog::EVENTS_RECOMMENDATIONS_REBALANCE, catalog::EVENTS_MAINTENANCE_SCHEDULED];

/// A new or changed notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Notice<'b> {
    /// The spot instance will be interrupted.
    Spot(SpotAction<'b>),
    /// The instance is at elevated risk of interruption.
    Rebalance(RebalanceRecommendation),
    /// Maintenance is scheduled (never an empty list).
    Maintenance(MaintenanceEvents<'b>),
}

/// Which notice a document error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NoticeKind {
    /// `spot/instance-action`.
    Spot,
    /// `events/recommendations/rebalance`.
    Rebalance,
    /// `events/maintenance/scheduled`.
    Maintenance,
}

/// Why a poll gave no notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WatchError {
    /// A notice is not a valid document (it is reported again next round).
    Document(NoticeKind, DocumentError),
    /// The request failed (the round goes on with the next path).
    Request(Error),
    /// [`Watch::finish`] without [`Watch::start`], or `start` twice.
    WrongStep,
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Document(kind, e) => {
                let what = match kind {
                    NoticeKind::Spot => "spot instance action",
                    NoticeKind::Rebalance => "rebalance recommendation",
                    NoticeKind::Maintenance => "scheduled maintenance",
                };
                write!(f, "{what}: {e}")
            }
            WatchError::Request(e) => e.fmt(f),
            WatchError::WrongStep => f.write_str("watch calls out of order"),
        }
    }
}

impl core::error::Error for WatchError {}

/// The schedule and what was seen. Sans-IO: [`Watch::poll_at`] says when to
/// [`Watch::start`] the next `GET` on the client; [`Watch::finish`] takes its
/// outcome and gives a notice when one is new or changed.
/// [`driver::watch`](crate::driver::watch) is that loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    interval: Duration,
    round_started: Instant,
    next_round: Instant,
    /// The path to poll next (0..3), or 3 between rounds.
    next: usize,
    in_flight: bool,
    /// A fingerprint of each path's last body (none after a 404).
    seen: [Option<u64>; 3],
}

impl Watch {
    /// A watch whose first round is due at `now`, then one every `interval`.
    pub const fn new(now: Instant, interval: Duration) -> Watch {
        Watch { interval, round_started: now, next_round: now, next: PATHS.len(), in_flight: false, seen: [None; 3] }
    }

    /// When to call [`Watch::start`] next: now while a round is under way.
    pub fn poll_at(&self) -> Instant {
        match self.next < PATHS.len() {
            true => self.round_started,
            false => self.next_round,
        }
    }

    /// When to call [`Watch::start`] next, seen from `now`: [`Watch::poll_at`],
    /// but never more than one interval ahead (and now while a round is under
    /// way), so a clock that went backwards (a VM restored from a snapshot)
    /// does not hold the watch back.
    pub fn next_poll(&self, now: Instant) -> Instant {
        let under_way = self.next < PATHS.len();
        self.poll_at().min(if under_way { now } else { now.saturating_add(self.interval) })
    }

    /// Whether no round is under way (none started yet, or the last one has
    /// polled every path): the next [`Watch::start`] begins a new one.
    pub fn round_done(&self) -> bool {
        self.next >= PATHS.len() && !self.in_flight
    }

    /// Starts the `GET` of the next path on `client` (a new round if one is due).
    pub fn start<'c, 'a>(
        &mut self,
        now: Instant,
        client: &'c mut Client<'a>,
    ) -> Result<Operation<'c, 'a, 'static>, WatchError> {
        if self.in_flight {
            return Err(WatchError::WrongStep);
        }
        if self.next >= PATHS.len() {
            self.next = 0;
            self.round_started = now;
        }
        let path = PATHS.get(self.next).copied().unwrap_or(catalog::SPOT_INSTANCE_ACTION);
        let operation = client.get(now, path, BodyMode::Contiguous);
        self.in_flight = true;
        Ok(operation)
    }

    /// Takes the outcome of the `GET` [`Watch::start`] started, at `now`: a notice
    /// when it is new or changed since the last poll of its path.
    pub fn finish<'b>(
        &mut self,
        now: Instant,
        outcome: Result<Answer<'b>, Error>,
    ) -> Result<Option<Notice<'b>>, WatchError> {
        if !core::mem::take(&mut self.in_flight) {
            return Err(WatchError::WrongStep);
        }
        let index = self.next;
        self.next += 1;
        if self.next >= PATHS.len() {
            self.next_round = self.round_started.saturating_add(self.interval).max(now);
        }
        let answer = outcome.map_err(WatchError::Request)?;
        let Some(seen) = self.seen.get_mut(index) else { return Err(WatchError::WrongStep) };
        if !answer.found() {
            *seen = None;
            return Ok(None);
        }
        let fingerprint = fnv1a(answer.body);
        if *seen == Some(fingerprint) {
            return Ok(None);
        }
        let notice = match index {
            0 => SpotAction::parse(answer.body)
                .map(Notice::Spot)
                .map_err(|e| WatchError::Document(NoticeKind::Spot, e))?,
            1 => RebalanceRecommendation::parse(answer.body)
                .map(Notice::Rebalance)
                .map_err(|e| WatchError::Document(NoticeKind::Rebalance, e))?,
            _ => MaintenanceEvents::parse(answer.body)
                .map(Notice::Maintenance)
                .map_err(|e| WatchError::Document(NoticeKind::Maintenance, e))?,
        };
        *seen = Some(fingerprint);
        Ok(match notice {
            Notice::Maintenance(events) if events.is_empty() => None,
            notice => Some(notice),
        })
    }
}

/// FNV-1a, 64 bits: a body's fingerprint.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}
