//! The token between operations: cached with its expiry and refresh times, or
//! the IMDSv1 fallback with its re-probe time. All of the expiry arithmetic.
//!
//! | state | next operation |
//! |---|---|
//! | no token | fetch one |
//! | token, before `refresh_at` | use it |
//! | token, from `refresh_at` to `expires_at` | refresh it; if that fails, keep using it |
//! | token, from `expires_at` | fetch one |
//! | IMDSv1, before `reprobe_at` | no token |
//! | IMDSv1, from `reprobe_at` | fetch one (probe IMDSv2 again) |

use crate::time::Instant;
use crate::token::{Token, TokenError};

/// What the next operation starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// A fresh token: straight to the `GET`.
    UseToken,
    /// A token still valid but due: fetch a new one, keep this one if that fails.
    Refresh,
    /// No usable token: fetch one.
    Fetch,
    /// IMDSv1 until the re-probe time.
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Empty,
    Token,
    V1,
}

/// The session's token, or its absence. The token's bytes live in one place,
/// overwritten in place on refresh (never built on the stack and moved in) and
/// zeroed when replaced, cleared or dropped ([`Token`]'s own `Drop`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenCache {
    /// The token in [`Mode::Token`]; empty and zeroed otherwise.
    token: Token,
    mode: Mode,
    /// [`Mode::Token`]: when the token expires. [`Mode::V1`]: when to probe
    /// IMDSv2 again.
    until: Instant,
    /// The refresh is due this long before `until` (32 bits, where a second
    /// `Instant` would take 64).
    refresh_lead_ms: u32,
}

impl TokenCache {
    pub(crate) const fn new() -> TokenCache {
        TokenCache { token: Token::EMPTY, mode: Mode::Empty, until: Instant::ZERO, refresh_lead_ms: 0 }
    }

    pub(crate) fn plan(&self, now: Instant) -> Plan {
        let refresh_at = Instant::from_millis(self.until.as_millis().saturating_sub(u64::from(self.refresh_lead_ms)));
        match self.mode {
            Mode::Token if now < refresh_at => Plan::UseToken,
            Mode::Token if now < self.until => Plan::Refresh,
            Mode::V1 if now < self.until => Plan::V1,
            _ => Plan::Fetch,
        }
    }

    /// The cached token, valid or not (what a `GET` planned with it sends).
    pub(crate) fn token(&self) -> Option<&Token> {
        (self.mode == Mode::Token).then_some(&self.token)
    }

    /// True while a cached token has not expired.
    pub(crate) fn is_valid(&self, now: Instant) -> bool {
        self.mode == Mode::Token && now < self.until
    }

    /// Milliseconds the cached token stays valid.
    pub(crate) fn ttl_ms(&self, now: Instant) -> Option<u32> {
        (self.mode == Mode::Token).then(|| self.until.ms_since(now))
    }

    /// True after a fallback to IMDSv1, until a token is fetched again.
    pub(crate) fn is_v1(&self) -> bool {
        self.mode == Mode::V1
    }

    /// Validates `body` and caches it as the token, in place: it expires
    /// `ttl_ms` after `now` (when its response was complete) and is due for
    /// refresh `margin_ms` before that, never more than half its lifetime early.
    /// A refused body changes nothing.
    pub(crate) fn store(&mut self, body: &[u8], now: Instant, ttl_ms: u32, margin_ms: u32) -> Result<(), TokenError> {
        self.token.assign(body)?;
        self.mode = Mode::Token;
        self.until = now.plus_ms(ttl_ms);
        self.refresh_lead_ms = margin_ms.min(ttl_ms / 2);
        Ok(())
    }

    /// A refresh failed while the token is still valid: keep it, and try again
    /// when half of its remaining life is gone (at least a second later).
    pub(crate) fn refresh_failed(&mut self, now: Instant) {
        if self.mode == Mode::Token {
            let left = self.until.ms_since(now);
            self.refresh_lead_ms = left - (left / 2).max(1000).min(left);
        }
    }

    /// Go without a token until `reprobe_ms` after `now` (the token is zeroed).
    pub(crate) fn fall_back(&mut self, now: Instant, reprobe_ms: u32) {
        self.token.wipe();
        self.mode = Mode::V1;
        self.until = now.plus_ms(reprobe_ms);
    }

    /// Forget the token (zeroing it), or the fallback.
    pub(crate) fn clear(&mut self) {
        self.token.wipe();
        self.mode = Mode::Empty;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> Instant {
        Instant::from_millis(s * 1000)
    }

    #[test]
    fn plans_follow_the_clock() {
        let mut cache = TokenCache::new();
        assert_eq!(cache.plan(at(0)), Plan::Fetch);
        cache.store(b"tokenA", at(10), 21_600_000, 120_000).unwrap();
        // Expires at 21610 s, due for refresh 120 s before.
        for (s, plan) in [
            (10, Plan::UseToken),
            (21489, Plan::UseToken),
            (21490, Plan::Refresh),
            (21609, Plan::Refresh),
            (21610, Plan::Fetch),
        ] {
            assert_eq!(cache.plan(at(s)), plan, "at {s} s");
        }
        assert_eq!(cache.ttl_ms(at(21600)), Some(10_000));
        assert_eq!((cache.is_valid(at(21609)), cache.is_valid(at(21610))), (true, false));
    }

    #[test]
    fn refresh_margin_is_at_most_half_the_lifetime() {
        let mut cache = TokenCache::new();
        cache.store(b"t", at(0), 60_000, 120_000).unwrap();
        assert_eq!(
            (cache.plan(at(29)), cache.plan(at(30)), cache.plan(at(60))),
            (Plan::UseToken, Plan::Refresh, Plan::Fetch)
        );
    }

    #[test]
    fn a_failed_refresh_halves_the_time_to_the_next_try() {
        let mut cache = TokenCache::new();
        cache.store(b"t", at(0), 1_000_000, 120_000).unwrap();
        cache.refresh_failed(at(900));
        assert_eq!((cache.plan(at(949)), cache.plan(at(950))), (Plan::UseToken, Plan::Refresh));
        cache.refresh_failed(at(999));
        assert_eq!((cache.plan(at(999)), cache.plan(at(1000))), (Plan::UseToken, Plan::Fetch), "never past expiry");
    }

    #[test]
    fn fallback_lasts_until_the_reprobe_and_a_bad_token_changes_nothing() {
        let mut cache = TokenCache::new();
        cache.fall_back(at(0), 300_000);
        assert!(cache.is_v1());
        assert_eq!((cache.plan(at(299)), cache.plan(at(300))), (Plan::V1, Plan::Fetch));
        assert!(cache.store(b"bad token", at(300), 60_000, 0).is_err());
        assert!(cache.is_v1(), "unchanged by a refused token");
        cache.store(b"good", at(300), 60_000, 0).unwrap();
        assert_eq!((cache.is_v1(), cache.token().map(Token::as_bytes)), (false, Some(&b"good"[..])));
        assert!(cache.store(b"bad token", at(301), 60_000, 0).is_err());
        assert_eq!(cache.token().map(Token::as_bytes), Some(&b"good"[..]), "kept when the new one is refused");
        cache.clear();
        assert_eq!((cache.token(), cache.plan(at(301))), (None, Plan::Fetch));
    }
}
