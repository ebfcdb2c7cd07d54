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

/// A resolved window: whole days in a time zone, and today there.
pub(super) struct Window {
    pub start: Date,
    pub end: Date,
    pub today: Date,
    tz_name: String,
}

impl Window {
    pub(super) fn parse(
        params: &HashMap<String, String>,
        now: jiff::Timestamp,
    ) -> Result<Self, (StatusCode, String)> {
        let tz_name = params
            .get("timezone")
            .cloned()
            .unwrap_or_else(|| data::PROJECT_TIMEZONE.to_string());
        let tz =
            TimeZone::get(&tz_name).map_err(|_| bad(format!("Invalid timezone: {tz_name}")))?;
        let today = now.to_zoned(tz.clone()).date();
        let day_of = |name: &str| -> Result<Option<Date>, (StatusCode, String)> {
            let Some(raw) = params.get(name) else {
                return Ok(None);
            };
            if raw.len() == 10
                && let Ok(d) = raw.parse::<Date>()
            {
                return Ok(Some(d));
            }
            raw.parse::<jiff::Timestamp>()
                .map(|ts| Some(ts.to_zoned(tz.clone()).date()))
                .map_err(|_| bad(format!("Invalid {name}: expected ISO 8601")))
        };
        let end = day_of("endDate")?.unwrap_or(today);
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
            tz_name,
        })
    }

    pub(super) fn days(&self) -> impl Iterator<Item = Date> + '_ {
        self.start.series(1.day()).take_while(|d| *d <= self.end)
    }

    pub(super) fn total(&self) -> Day {
        let mut sum = Day::default();
        for d in self.days() {
            sum.add(&data::day(d, self.today));
        }
        sum
    }

    /// The window of the same length just before this one.
    pub(super) fn previous(&self) -> Self {
        let len = self.days().count() as i64;
        let end = self.start.yesterday().unwrap_or(self.start);
        let start = end.checked_sub((len - 1).days()).unwrap_or(end);
        Self {
            start,
            end,
            today: self.today,
            tz_name: self.tz_name.clone(),
        }
    }

    pub(super) fn echo(&self) -> Value {
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
