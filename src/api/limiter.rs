//! A client-side rate limiter fed by the upstream's `X-RateLimit-*` headers.
//!
//! Each response says how many requests are left in the window and when it resets. The
//! limiter counts down locally as requests go out, so a burst of concurrent tool calls stops
//! at the upstream's limit instead of running into 429s, and waits for (or reports) the reset.
//! Before any headers are seen it lets everything through.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::HeaderMap;
use serde::Serialize;

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
    left: Option<u64>,
    reset_at: Option<Instant>,
}

impl Limiter {
    pub fn state(&self) -> RateLimitState {
        self.seen.clone()
    }

    /// Takes a slot for one request. `None`: go ahead. `Some(wait)`: the window is used up
    /// and resets in `wait`.
    pub fn acquire(&mut self, now: Instant) -> Option<Duration> {
        if self.reset_at.is_some_and(|r| now >= r) {
            // A new window: the next response will tell how much of it is left.
            self.left = None;
            self.reset_at = None;
        }
        match self.left {
            Some(0) => Some(
                self.reset_at
                    .map(|r| r.saturating_duration_since(now))
                    .unwrap_or(Duration::from_secs(1))
                    .max(Duration::from_millis(1)),
            ),
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
            reset: reset.map(|r| crate::api::error::clean(r, 64)),
        };
        let reset_at = reset
            .and_then(|r| parse_reset(r, now))
            .map(|d| now_instant + d);
        if let Some(remaining) = remaining {
            // Responses to requests in flight arrive in any order: within one window keep the
            // smaller count; a new reset time means a new window.
            let same_window = match (self.reset_at, reset_at) {
                (Some(a), Some(b)) => a.max(b) - a.min(b) < Duration::from_secs(2),
                _ => false,
            };
            self.left = Some(match (same_window, self.left) {
                (true, Some(left)) => left.min(remaining),
                _ => remaining,
            });
        }
        if reset_at.is_some() {
            self.reset_at = reset_at;
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
}
