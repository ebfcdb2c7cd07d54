//! A client-side rate limiter fed by the upstream's `X-RateLimit-*` headers.
//!
//! Each response says how many requests are left in the window and when it resets. The
//! limiter counts down locally as requests go out, so a burst of concurrent tool calls stops
//! at the upstream's limit instead of running into 429s, and waits for (or reports) the reset.
//! Every request takes a slot, including one that had to wait: when a window resets, the new
//! one starts with the limit the headers named, not with "unknown". Headers that say nothing
//! is left but give no usable reset count as a [`FALLBACK_WINDOW`]. Before any headers are
//! seen it lets everything through.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::HeaderMap;
use serde::Serialize;

/// The window assumed when the upstream says a window is used up but not when it resets.
pub const FALLBACK_WINDOW: Duration = Duration::from_secs(60);
/// The longest wait any `Retry-After` or reset is read as (a year).
pub const LONGEST_RETRY: Duration = Duration::from_secs(366 * 86_400);
/// How long a request waits when a new window's slots are used up before any response of
/// that window has said when it resets.
const PROBE_WAIT: Duration = Duration::from_millis(100);
/// Resets this close together name the same window (responses arrive in any order).
const SAME_WINDOW: Duration = Duration::from_millis(1500);

/// The `X-RateLimit-*` headers of the most recent response that had them, as sent.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RateLimitState {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// As the upstream sent it (seconds, epoch seconds or milliseconds, or a date).
    pub reset: Option<String>,
}

/// The limiter's view: what the headers said, and what is left after requests in flight.
#[derive(Debug, Default)]
pub struct Limiter {
    seen: RateLimitState,
    /// The window's size, from `X-RateLimit-Limit`.
    limit: Option<u64>,
    /// Requests left in this window after those already sent.
    left: Option<u64>,
    reset_at: Option<Instant>,
    /// The reset that ended the previous window: late responses that still name it are
    /// about a window that is over, and must not cut into this one's count.
    ended: Option<Instant>,
    /// True when `reset_at` is the [`FALLBACK_WINDOW`] guess, which any reset the upstream
    /// names replaces.
    assumed: bool,
    /// When the current wait for word of this window's reset began (or the last probe went).
    probing_since: Option<Instant>,
}

/// How long requests wait for a new window's reset to be named before one goes out anyway
/// to learn it (its answer may carry no headers: a connection error, a proxy's 502).
const PROBE_LIMIT: Duration = Duration::from_secs(2);

impl Limiter {
    pub fn state(&self) -> RateLimitState {
        self.seen.clone()
    }

    /// Takes a slot for one request. `None`: go ahead. `Some(wait)`: the window is used up;
    /// ask again after `wait`.
    pub fn acquire(&mut self, now: Instant) -> Option<Duration> {
        if let Some(reset) = self.reset_at.filter(|r| now >= *r) {
            // A new window, as large as the last one (unknown if no limit was ever named).
            self.ended = Some(reset);
            self.reset_at = None;
            self.assumed = false;
            self.left = self.limit;
        }
        match self.left {
            Some(0) => match self.reset_at {
                Some(r) => Some(
                    r.saturating_duration_since(now)
                        .max(Duration::from_millis(1)),
                ),
                // No answer of this window has named its reset yet: wait briefly for one,
                // but never for ever — now and then one request goes out to learn it.
                None => {
                    let since = *self.probing_since.get_or_insert(now);
                    if now.saturating_duration_since(since) >= PROBE_LIMIT {
                        self.probing_since = Some(now);
                        None
                    } else {
                        Some(PROBE_WAIT)
                    }
                }
            },
            Some(n) => {
                self.left = Some(n - 1);
                None
            }
            None => None,
        }
    }

    /// Learns from a response's headers.
    pub fn observe(&mut self, headers: &HeaderMap, now: Timestamp, now_instant: Instant) {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let num = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        let (limit, remaining) = (num("x-ratelimit-limit"), num("x-ratelimit-remaining"));
        let reset = text("x-ratelimit-reset");
        if limit.is_none() && remaining.is_none() && reset.is_none() {
            return;
        }
        self.seen = RateLimitState {
            limit,
            remaining,
            reset: reset.map(|r| crate::text::clean(r, 64)),
        };
        if limit.is_some() {
            self.limit = limit;
        }
        let reset_at = reset
            .and_then(|r| parse_reset(r, now))
            .map(|d| now_instant + d);
        if let Some(r) = reset_at {
            if self.assumed {
                // A named reset beats the guess.
                self.reset_at = None;
                self.assumed = false;
            }
            let stale = self.ended.is_some_and(|ended| r < ended + SAME_WINDOW)
                || self.reset_at.is_some_and(|a| r + SAME_WINDOW < a);
            if stale {
                return; // a late answer from a window that has already ended
            }
            self.probing_since = None;
        }
        if let Some(remaining) = remaining {
            // Within one window keep the smaller count (answers to requests in flight arrive
            // in any order); a reset further on means a new window, counted afresh.
            let new_window = match (self.reset_at, reset_at) {
                (Some(a), Some(b)) => b > a + SAME_WINDOW,
                _ => false,
            };
            self.left = Some(match (new_window, self.left) {
                (false, Some(left)) => left.min(remaining),
                _ => remaining,
            });
        }
        match reset_at {
            Some(r) if self.reset_at.is_none_or(|a| r > a + SAME_WINDOW) => self.reset_at = Some(r),
            Some(_) => {}
            // Nothing left and no word of when that ends: assume a window, so a request
            // goes out again (and learns more) after it instead of never.
            None if self.left == Some(0) && self.reset_at.is_none() => {
                self.reset_at = Some(now_instant + FALLBACK_WINDOW);
                self.assumed = true;
            }
            None => {}
        }
    }
}

/// How long until a reset given as delta seconds, epoch seconds, epoch milliseconds, an RFC
/// 3339 instant or an HTTP date.
pub fn parse_reset(raw: &str, now: Timestamp) -> Option<Duration> {
    let raw = raw.trim();
    let at = if let Ok(n) = raw.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        if n >= 1e12 {
            Timestamp::from_millisecond(n as i64).ok()?
        } else if n >= 1e9 {
            Timestamp::from_second(n as i64).ok()?
        } else {
            return Some(Duration::from_secs_f64(n.min(86_400.0)));
        }
    } else if let Ok(ts) = raw.parse::<Timestamp>() {
        ts
    } else {
        jiff::fmt::rfc2822::parse(raw).ok()?.timestamp()
    };
    let secs = (at.as_millisecond() - now.as_millisecond()) as f64 / 1000.0;
    Some(Duration::from_secs_f64(secs.clamp(0.0, 86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> Timestamp {
        "2026-11-21T15:30:00Z".parse().unwrap()
    }

    #[test]
    fn resets_parse_in_every_form() {
        let n = now();
        assert_eq!(parse_reset("42", n), Some(Duration::from_secs(42)));
        assert_eq!(parse_reset("1795275030", n), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_reset("1795275030000", n),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_reset("2026-11-21T15:31:00Z", n),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_reset("Sat, 21 Nov 2026 15:30:10 GMT", n),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_reset("2026-11-21T15:00:00Z", n),
            Some(Duration::ZERO),
            "past: no wait"
        );
        assert_eq!(parse_reset("soon", n), None);
        assert_eq!(parse_reset("-5", n), None);
    }

    #[test]
    fn the_limiter_counts_down_and_waits_for_the_reset() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        assert_eq!(l.acquire(t0), None, "nothing known: go");
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("100"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("2"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("30"));
        l.observe(&h, now(), t0);
        assert_eq!(l.acquire(t0), None);
        assert_eq!(l.acquire(t0), None);
        let wait = l.acquire(t0).expect("used up");
        assert!(wait <= Duration::from_secs(30) && wait > Duration::from_secs(29));
        assert_eq!(l.acquire(t0 + Duration::from_secs(31)), None, "new window");
        assert_eq!(l.state().remaining, Some(2));
    }

    fn headers(limit: &str, remaining: &str, reset: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_str(limit).unwrap());
        h.insert(
            "x-ratelimit-remaining",
            HeaderValue::from_str(remaining).unwrap(),
        );
        if let Some(r) = reset {
            h.insert("x-ratelimit-reset", HeaderValue::from_str(r).unwrap());
        }
        h
    }

    #[test]
    fn after_a_reset_every_request_takes_a_slot_of_the_new_window() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        l.observe(&headers("3", "0", Some("5")), now(), t0);
        assert!(l.acquire(t0).is_some(), "used up");
        let t1 = t0 + Duration::from_secs(6);
        // The waiters all wake after the reset: only the limit's worth go.
        assert_eq!(l.acquire(t1), None);
        assert_eq!(l.acquire(t1), None);
        assert_eq!(l.acquire(t1), None);
        assert_eq!(l.acquire(t1), Some(PROBE_WAIT), "the fourth waits");
        // A late answer from the window that ended does not cut into this one.
        l.observe(&headers("3", "2", Some("5")), now(), t0);
        assert_eq!(l.acquire(t1), Some(PROBE_WAIT));
        // This window's first answer says when it ends.
        let later: Timestamp = "2026-11-21T15:30:06Z".parse().unwrap();
        l.observe(&headers("3", "2", Some("4")), later, t1);
        let wait = l.acquire(t1).expect("still used up");
        assert!(wait > Duration::from_secs(3), "{wait:?}");
    }

    #[test]
    fn nothing_left_without_a_reset_is_a_bounded_window_not_a_lock_out() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        l.observe(&headers("10", "0", None), now(), t0);
        let wait = l.acquire(t0).expect("used up");
        assert!(
            wait <= FALLBACK_WINDOW && wait > FALLBACK_WINDOW / 2,
            "{wait:?}"
        );
        let after = t0 + FALLBACK_WINDOW + Duration::from_millis(1);
        assert_eq!(l.acquire(after), None, "a request goes out again");
        // An unparsable reset is the same as none.
        let mut l = Limiter::default();
        l.observe(&headers("10", "0", Some("soon")), now(), t0);
        assert!(l.acquire(t0).is_some_and(|w| w <= FALLBACK_WINDOW));
        assert_eq!(l.acquire(after), None);
    }

    #[test]
    fn a_new_window_whose_answers_carry_no_headers_still_lets_a_probe_out() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        l.observe(&headers("2", "0", Some("1")), now(), t0);
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(l.acquire(t1), None);
        assert_eq!(l.acquire(t1), None);
        // Both failed without headers (a connection error): nothing names the reset.
        assert_eq!(l.acquire(t1), Some(PROBE_WAIT));
        assert_eq!(l.acquire(t1 + Duration::from_secs(1)), Some(PROBE_WAIT));
        assert_eq!(
            l.acquire(t1 + PROBE_LIMIT),
            None,
            "a probe goes out instead of a lock-out"
        );
        assert_eq!(l.acquire(t1 + PROBE_LIMIT), Some(PROBE_WAIT));
    }

    #[test]
    fn a_named_reset_replaces_the_assumed_window() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        l.observe(&headers("10", "0", None), now(), t0);
        assert!(l.acquire(t0).is_some_and(|w| w > Duration::from_secs(50)));
        l.observe(&headers("10", "0", Some("5")), now(), t0);
        let wait = l.acquire(t0).expect("still used up");
        assert!(wait <= Duration::from_secs(5), "{wait:?}");
    }
}
