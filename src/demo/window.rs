//! The Read API's query window: `startDate`/`endDate`/`timezone` resolved to whole days in a
//! time zone (with today there and the period before), `limit`, and the 400 answers for bad
//! values. Imports [`super::data`] only.

use std::collections::HashMap;

use axum::http::StatusCode;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::data::{self, Day};

/// The longest window the sandbox computes, in days.
const MAX_DAYS: i64 = 1100;

pub type Routed = Result<Value, (StatusCode, String)>;

pub(super) fn bad(message: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.into())
}

/// A resolved window: days in a time zone, today there, and how many whole hours of its last
/// day it holds (today's so far, or up to an `endDate` date-time): the sandbox serves nothing
/// after the current time, and a window that ends at 10:30 gets the hours before 10:00.
pub struct Window {
    pub start: Date,
    pub end: Date,
    pub today: Date,
    /// Whole hours of `end` included; 24 for a whole day.
    pub end_hours: usize,
    tz_name: String,
}

impl Window {
    pub fn parse(
        params: &HashMap<String, String>,
        now: jiff::Timestamp,
    ) -> Result<Self, (StatusCode, String)> {
        let tz_name = params
            .get("timezone")
            .cloned()
            .unwrap_or_else(|| data::PROJECT_TIMEZONE.to_string());
        let tz =
            TimeZone::get(&tz_name).map_err(|_| bad(format!("Invalid timezone: {tz_name}")))?;
        let now = now.to_zoned(tz.clone());
        let today = now.date();
        let at = |name: &str| -> Result<Option<jiff::civil::DateTime>, (StatusCode, String)> {
            let Some(raw) = params.get(name) else {
                return Ok(None);
            };
            if raw.len() == 10
                && let Ok(d) = raw.parse::<Date>()
            {
                // A date alone means the whole day.
                return Ok(Some(d.at(23, 59, 59, 0)));
            }
            raw.parse::<jiff::Timestamp>()
                .map(|ts| Some(ts.to_zoned(tz.clone()).datetime()))
                .map_err(|_| bad(format!("Invalid {name}: expected ISO 8601")))
        };
        let day_of = |name: &str| at(name).map(|t| t.map(|t| t.date()));
        let end_at = at("endDate")?.unwrap_or(now.datetime()).min(now.datetime());
        let end = end_at.date();
        // The last second of a day counts as its end; any other time cuts the day at its hour.
        let end_hours = if end_at.time() >= jiff::civil::time(23, 59, 59, 0) {
            24
        } else {
            usize::try_from(end_at.hour()).unwrap_or(0)
        };
        let start = match day_of("startDate")? {
            Some(d) => d,
            None => end
                .checked_sub(6.days())
                .map_err(|_| bad("Invalid range"))?,
        };
        if start > end {
            return Err(bad("startDate must be before endDate"));
        }
        let days = i64::from(
            start
                .until(end)
                .map_err(|_| bad("Invalid range"))?
                .get_days(),
        );
        if days >= MAX_DAYS {
            return Err(bad(format!("Date range too long (max {MAX_DAYS} days)")));
        }
        Ok(Self {
            start,
            end,
            today,
            end_hours,
            tz_name,
        })
    }

    /// Whole hours of `d` inside the window: 24, or fewer on its cut last day.
    pub fn hours(&self, d: Date) -> usize {
        if d == self.end { self.end_hours } else { 24 }
    }

    /// The data of `d` inside the window (its first hours on a cut last day).
    pub fn day(&self, d: Date) -> Day {
        let day = data::day(d, self.today);
        match self.hours(d) {
            24 => day,
            hours => data::first_hours(&day, hours),
        }
    }

    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        self.start.series(1.day()).take_while(|d| *d <= self.end)
    }

    pub fn total(&self) -> Day {
        let mut sum = Day::default();
        for d in self.days() {
            sum.add(&self.day(d));
        }
        sum
    }

    /// The window of the same length just before this one.
    pub fn previous(&self) -> Self {
        let len = self.days().count() as i64;
        let end = self.start.yesterday().unwrap_or(self.start);
        let start = end.checked_sub((len - 1).days()).unwrap_or(end);
        Self {
            start,
            end,
            today: self.today,
            end_hours: 24,
            tz_name: self.tz_name.clone(),
        }
    }

    pub fn echo(&self) -> Value {
        json!({
            "startDate": self.start.to_string(),
            "endDate": self.end.to_string(),
            "timezone": self.tz_name,
        })
    }
}

pub(super) fn parse_limit(params: &HashMap<String, String>) -> Result<usize, (StatusCode, String)> {
    match params.get("limit") {
        None => Ok(10),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(bad("limit must be between 1 and 100")),
        },
    }
}
