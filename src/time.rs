//! Time as the driver tells it: the core never reads a clock.

use core::time::Duration;

/// A point in time, in milliseconds from any monotonic origin the driver picks
/// (boot, process start, a simulated clock at zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);

    /// Later than any time a clock will tell: a deadline that never comes.
    pub const NEVER: Instant = Instant(u64::MAX);

    /// `ms` milliseconds after the origin.
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms)
    }

    /// `elapsed` after the origin, in whole milliseconds (what a clock made
    /// at the origin reads).
    #[cfg(feature = "std")]
    pub(crate) const fn from_elapsed(elapsed: Duration) -> Instant {
        Instant(millis(elapsed))
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating; whole milliseconds.
    pub const fn saturating_add(self, duration: Duration) -> Instant {
        let ms = duration.as_millis();
        let ms = if ms > u64::MAX as u128 { u64::MAX } else { ms as u64 };
        Instant(self.0.saturating_add(ms))
    }

    /// `self - duration`, saturating at the origin; whole milliseconds.
    pub const fn saturating_sub(self, duration: Duration) -> Instant {
        let ms = duration.as_millis();
        let ms = if ms > u64::MAX as u128 { u64::MAX } else { ms as u64 };
        Instant(self.0.saturating_sub(ms))
    }

    /// `self + ms` milliseconds, saturating. (Not inlined on 32-bit targets,
    /// where a 64-bit saturating sum at each caller weighs more than a call;
    /// on 64-bit ones it is one instruction.)
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub(crate) const fn plus_ms(self, ms: u32) -> Instant {
        Instant(self.0.saturating_add(ms as u64))
    }

    /// Milliseconds from `earlier` to `self` (zero if `earlier` is later),
    /// capped at `u32::MAX`. (Not inlined on 32-bit targets: see `plus_ms`.)
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    pub(crate) const fn ms_since(self, earlier: Instant) -> u32 {
        let ms = self.0.saturating_sub(earlier.0);
        if ms > u32::MAX as u64 { u32::MAX } else { ms as u32 }
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// A duration in whole milliseconds, saturating at `u64::MAX`: seconds and
/// milliseconds apart, no 128-bit arithmetic.
const fn millis(duration: Duration) -> u64 {
    duration.as_secs().saturating_mul(1000).saturating_add(duration.subsec_millis() as u64)
}

/// A duration in whole milliseconds, saturating at `u32::MAX` (49 days): how
/// the client keeps its timeouts.
pub(crate) const fn ms(duration: Duration) -> u32 {
    let ms = millis(duration);
    if ms > u32::MAX as u64 { u32::MAX } else { ms as u32 }
}

/// A duration of `ms` milliseconds (a 32-bit division, no 64-bit one).
pub(crate) const fn from_ms(ms: u32) -> Duration {
    Duration::new((ms / 1000) as u64, (ms % 1000) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_millis(1500);
        assert_eq!(t.saturating_add(Duration::from_millis(500)).as_millis(), 2000);
        assert_eq!(Instant::from_millis(u64::MAX - 1).saturating_add(Duration::MAX).as_millis(), u64::MAX);
        assert_eq!(t.saturating_duration_since(Instant::ZERO), Duration::from_millis(1500));
        assert_eq!(Instant::ZERO.saturating_duration_since(t), Duration::ZERO);
    }
}
