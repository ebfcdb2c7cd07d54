//! Date windows: presets (`period`), explicit bounds, and the windows they are compared with.
//!
//! Everything is resolved in one IANA time zone (the `timezone` argument, else the project's,
//! else UTC) with `jiff`, so "yesterday" is the project's yesterday, and a window across a DST
//! change still covers whole local days. The upstream receives both bounds as RFC 3339 instants
//! with the zone's offset, which no reader can misread, plus the zone's name.
//!
//! Preset meanings, with today = the current local date:
//! - `today`, `month_to_date`, `year_to_date`: up to now (today is unfinished, and flagged).
//! - `yesterday`, `last_N_days`: whole days ending yesterday.
//! - `last_month`: the previous calendar month; `last_12_months`: the 12 calendar months
//!   before this one.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::dates::{self, Bound};

/// A named date window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Period {
    #[serde(rename = "today")]
    Today,
    #[serde(rename = "yesterday")]
    Yesterday,
    #[serde(rename = "last_7_days")]
    Last7Days,
    #[serde(rename = "last_28_days")]
    Last28Days,
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    #[serde(rename = "month_to_date")]
    MonthToDate,
    #[serde(rename = "last_month")]
    LastMonth,
    #[serde(rename = "year_to_date")]
    YearToDate,
    #[serde(rename = "last_12_months")]
    Last12Months,
}

/// Every preset, in the order the docs list them.
pub const PERIODS: &[(Period, &str)] = &[
    (Period::Today, "today"),
    (Period::Yesterday, "yesterday"),
    (Period::Last7Days, "last_7_days"),
    (Period::Last28Days, "last_28_days"),
    (Period::Last30Days, "last_30_days"),
    (Period::Last90Days, "last_90_days"),
    (Period::MonthToDate, "month_to_date"),
    (Period::LastMonth, "last_month"),
    (Period::YearToDate, "year_to_date"),
    (Period::Last12Months, "last_12_months"),
];

impl Period {
    pub fn name(self) -> &'static str {
        PERIODS
            .iter()
            .find(|(p, _)| *p == self)
            .map(|(_, n)| *n)
            .unwrap_or("custom")
    }

    /// `(first day, last day)` of the preset, given today's local date.
    fn days(self, today: Date) -> Result<(Date, Date), jiff::Error> {
        let yesterday = today.yesterday()?;
        let first_of_month = today.first_of_month();
        Ok(match self {
            Self::Today => (today, today),
            Self::Yesterday => (yesterday, yesterday),
            Self::Last7Days => (today.checked_sub(7.days())?, yesterday),
            Self::Last28Days => (today.checked_sub(28.days())?, yesterday),
            Self::Last30Days => (today.checked_sub(30.days())?, yesterday),
            Self::Last90Days => (today.checked_sub(90.days())?, yesterday),
            Self::MonthToDate => (first_of_month, today),
            Self::LastMonth => {
                let last = first_of_month.yesterday()?;
                (last.first_of_month(), last)
            }
            Self::YearToDate => (today.first_of_year(), today),
            Self::Last12Months => (
                first_of_month.checked_sub(12.months())?,
                first_of_month.yesterday()?,
            ),
        })
    }
}

/// How to pick the window a result is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    // Plain comments, not docs: a documented variant makes schemars emit a `oneOf` per
    // value, which the model would read for every tool that compares.
    // The window of the same length just before.
    PreviousPeriod,
    // The same dates one year earlier.
    PreviousYear,
}

impl Compare {
    pub fn name(self) -> &'static str {
        match self {
            Self::PreviousPeriod => "previous_period",
            Self::PreviousYear => "previous_year",
        }
    }
}

/// What a client asked for, before resolution.
#[derive(Debug, Default, Clone)]
pub struct WindowRequest {
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub period: Option<Period>,
    pub timezone: Option<String>,
}

/// A resolved window: two instants in one zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub start: Zoned,
    pub end: Zoned,
    pub timezone: String,
    /// The preset it came from (`None` for explicit dates).
    pub period: Option<Period>,
    /// True when no dates or period were given and the default preset was used.
    pub defaulted: bool,
    /// True when the window reaches into today, which is not over yet.
    pub includes_today: bool,
    /// True when both bounds are whole local days (then comparisons shift by days).
    day_aligned: bool,
}

/// The preset used when a client gives no dates.
pub const DEFAULT_PERIOD: Period = Period::Last7Days;

/// Resolves a request in `default_tz` (unless it names its own zone) at the instant `now`.
pub fn resolve(req: &WindowRequest, default_tz: &str, now: Timestamp) -> Result<Resolved, String> {
    let (tz, tz_name) = match &req.timezone {
        Some(raw) => (dates::parse_timezone(raw)?, raw.trim().to_string()),
        None => match TimeZone::get(default_tz) {
            Ok(tz) => (tz, default_tz.to_string()),
            Err(_) => (TimeZone::UTC, "UTC".to_string()),
        },
    };
    let now = now.to_zoned(tz.clone());
    let today = now.date();
    let oops = |e: jiff::Error| format!("that date window cannot be computed: {e}");

    if req.period.is_some() && (req.start_date.is_some() || req.end_date.is_some()) {
        return Err(format!(
            "give either `period` or `startDate`/`endDate`, not both. Periods: {}.",
            period_list()
        ));
    }
    let start_bound = req
        .start_date
        .as_deref()
        .map(|r| Bound::parse("startDate", r))
        .transpose()?;
    let end_bound = req
        .end_date
        .as_deref()
        .map(|r| Bound::parse("endDate", r))
        .transpose()?;

    let defaulted = req.period.is_none() && start_bound.is_none() && end_bound.is_none();
    let period = req.period.or(defaulted.then_some(DEFAULT_PERIOD));

    let (start, end, day_aligned) = if let Some(p) = period {
        let (first, last) = p.days(today).map_err(oops)?;
        (
            start_of(first, &tz).map_err(oops)?,
            end_of(last, &now).map_err(oops)?,
            true,
        )
    } else {
        let end = match &end_bound {
            Some(Bound::Date(d)) => end_of(*d, &now).map_err(oops)?,
            Some(Bound::Instant(ts)) => ts.to_zoned(tz.clone()),
            None => now.clone(),
        };
        let start = match &start_bound {
            Some(Bound::Date(d)) => start_of(*d, &tz).map_err(oops)?,
            Some(Bound::Instant(ts)) => ts.to_zoned(tz.clone()),
            None => start_of(end.date().checked_sub(6.days()).map_err(oops)?, &tz).map_err(oops)?,
        };
        let aligned = !matches!(start_bound, Some(Bound::Instant(_)))
            && !matches!(end_bound, Some(Bound::Instant(_)));
        (start, end, aligned)
    };

    for (field, date) in [("startDate", start.date()), ("endDate", end.date())] {
        if date > today {
            return Err(format!(
                "`{field}` {date} is in the future; the latest date with data is today, {today} ({tz_name})."
            ));
        }
    }
    if start > end {
        return Err(
            "`startDate` is after `endDate`: the range is reversed. Give the earlier date as startDate."
                .to_string(),
        );
    }
    Ok(Resolved {
        includes_today: end.date() == today,
        start,
        end,
        timezone: tz_name,
        period,
        defaulted,
        day_aligned,
    })
}

/// `today, yesterday, last_7_days, …` for error messages and docs.
pub fn period_list() -> String {
    PERIODS
        .iter()
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first instant of `day` in `tz` (the first existing one on a DST-gap midnight).
fn start_of(day: Date, tz: &TimeZone) -> Result<Zoned, jiff::Error> {
    day.to_zoned(tz.clone())
}

/// The last second of `day`, or `now` when `day` is today.
fn end_of(day: Date, now: &Zoned) -> Result<Zoned, jiff::Error> {
    if day == now.date() {
        return Ok(now.clone());
    }
    let next = day.tomorrow()?.to_zoned(now.time_zone().clone())?;
    next.checked_sub(1.second())
}

/// RFC 3339 with the zone's offset, e.g. `2026-11-15T00:00:00-05:00`.
pub fn rfc3339(z: &Zoned) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

impl Resolved {
    /// The window as query parameters: `startDate`, `endDate`, `timezone`.
    pub fn query(&self) -> Vec<(String, String)> {
        vec![
            ("startDate".to_string(), rfc3339(&self.start)),
            ("endDate".to_string(), rfc3339(&self.end)),
            ("timezone".to_string(), self.timezone.clone()),
        ]
    }

    /// What results echo: the window actually used.
    pub fn echo(&self) -> Value {
        json!({
            "startDate": self.start.date().to_string(),
            "endDate": self.end.date().to_string(),
            "start": rfc3339(&self.start),
            "end": rfc3339(&self.end),
            "timezone": self.timezone,
            "period": self.period.map(Period::name),
            "includesToday": self.includes_today,
        })
    }

    /// `2026-11-14 to 2026-11-20 (America/New_York, last 7 days)`, plus a note when today is
    /// unfinished. Short: it heads every answer.
    pub fn label(&self) -> String {
        let (s, e) = (self.start.date(), self.end.date());
        let span = if s == e {
            s.to_string()
        } else {
            format!("{s} to {e}")
        };
        let mut label = format!("{span} ({}", self.timezone);
        if let Some(p) = self.period {
            label.push_str(&format!(", {}", p.name().replace('_', " ")));
        }
        label.push(')');
        if self.includes_today {
            label.push_str(&format!(", today until {}", self.end.strftime("%H:%M")));
        }
        label
    }

    /// The window this one is compared with.
    pub fn previous(&self, compare: Compare) -> Result<Resolved, String> {
        let oops = |e: jiff::Error| format!("the comparison window cannot be computed: {e}");
        let (start, end) = match compare {
            Compare::PreviousYear => (
                self.start.checked_sub(1.year()).map_err(oops)?,
                self.end.checked_sub(1.year()).map_err(oops)?,
            ),
            Compare::PreviousPeriod if self.day_aligned => {
                // Whole local days: shift by the same number of calendar days, so DST changes
                // do not tilt the comparison by an hour.
                let days = i64::from(
                    self.start
                        .date()
                        .until(self.end.date())
                        .map_err(oops)?
                        .get_days(),
                ) + 1;
                (
                    self.start.checked_sub(days.days()).map_err(oops)?,
                    self.end.checked_sub(days.days()).map_err(oops)?,
                )
            }
            Compare::PreviousPeriod => {
                let span = self.start.duration_until(&self.end);
                let end = self
                    .start
                    .checked_sub(jiff::SignedDuration::from_secs(1))
                    .map_err(oops)?;
                (end.checked_sub(span).map_err(oops)?, end)
            }
        };
        Ok(Resolved {
            start,
            end,
            timezone: self.timezone.clone(),
            period: None,
            defaulted: false,
            includes_today: false,
            day_aligned: self.day_aligned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(now: &str, tz: &str, req: WindowRequest) -> Result<(String, String, bool), String> {
        let now: Timestamp = now.parse().unwrap();
        let r = resolve(&req, tz, now)?;
        Ok((rfc3339(&r.start), rfc3339(&r.end), r.includes_today))
    }

    fn period(p: Period) -> WindowRequest {
        WindowRequest {
            period: Some(p),
            ..Default::default()
        }
    }

    #[test]
    fn presets_resolve_in_the_project_time_zone() {
        // 2026-11-21 03:30 UTC is still 2026-11-20 in New York, and already the 21st in
        // Kiritimati (UTC+14).
        let now = "2026-11-21T03:30:00Z";
        let cases: &[(&str, Period, &str, &str, bool)] = &[
            (
                "America/New_York",
                Period::Today,
                "2026-11-20T00:00:00-05:00",
                "2026-11-20T22:30:00-05:00",
                true,
            ),
            (
                "America/New_York",
                Period::Yesterday,
                "2026-11-19T00:00:00-05:00",
                "2026-11-19T23:59:59-05:00",
                false,
            ),
            (
                "America/New_York",
                Period::Last7Days,
                "2026-11-13T00:00:00-05:00",
                "2026-11-19T23:59:59-05:00",
                false,
            ),
            (
                "America/New_York",
                Period::Last28Days,
                "2026-10-23T00:00:00-04:00",
                "2026-11-19T23:59:59-05:00",
                false,
            ),
            (
                "America/New_York",
                Period::Last30Days,
                "2026-10-21T00:00:00-04:00",
                "2026-11-19T23:59:59-05:00",
                false,
            ),
            (
                "America/New_York",
                Period::Last90Days,
                "2026-08-22T00:00:00-04:00",
                "2026-11-19T23:59:59-05:00",
                false,
            ),
            (
                "America/New_York",
                Period::MonthToDate,
                "2026-11-01T00:00:00-04:00",
                "2026-11-20T22:30:00-05:00",
                true,
            ),
            (
                "America/New_York",
                Period::LastMonth,
                "2026-10-01T00:00:00-04:00",
                "2026-10-31T23:59:59-04:00",
                false,
            ),
            (
                "America/New_York",
                Period::YearToDate,
                "2026-01-01T00:00:00-05:00",
                "2026-11-20T22:30:00-05:00",
                true,
            ),
            (
                "America/New_York",
                Period::Last12Months,
                "2025-11-01T00:00:00-04:00",
                "2026-10-31T23:59:59-04:00",
                false,
            ),
            (
                "Pacific/Kiritimati",
                Period::Today,
                "2026-11-21T00:00:00+14:00",
                "2026-11-21T17:30:00+14:00",
                true,
            ),
            (
                "Pacific/Kiritimati",
                Period::Yesterday,
                "2026-11-20T00:00:00+14:00",
                "2026-11-20T23:59:59+14:00",
                false,
            ),
            (
                "UTC",
                Period::Today,
                "2026-11-21T00:00:00+00:00",
                "2026-11-21T03:30:00+00:00",
                true,
            ),
        ];
        for (tz, p, start, end, today) in cases {
            let got = at(now, tz, period(*p)).unwrap();
            assert_eq!(
                got,
                (start.to_string(), end.to_string(), *today),
                "{tz} {p:?}"
            );
        }
    }

    #[test]
    fn a_window_across_a_dst_change_covers_whole_local_days() {
        // New York falls back on 2026-11-01: that day has 25 hours.
        let r = resolve(
            &WindowRequest {
                start_date: Some("2026-10-31".into()),
                end_date: Some("2026-11-02".into()),
                ..Default::default()
            },
            "America/New_York",
            "2026-11-21T12:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(rfc3339(&r.start), "2026-10-31T00:00:00-04:00");
        assert_eq!(rfc3339(&r.end), "2026-11-02T23:59:59-05:00");
        // The previous period is the three whole local days before, not 72 hours before.
        let p = r.previous(Compare::PreviousPeriod).unwrap();
        assert_eq!(rfc3339(&p.start), "2026-10-28T00:00:00-04:00");
        assert_eq!(rfc3339(&p.end), "2026-10-30T23:59:59-04:00");
        // Spring forward: 2026-03-08 has 23 hours.
        let r = resolve(
            &WindowRequest {
                start_date: Some("2026-03-08".into()),
                end_date: Some("2026-03-08".into()),
                ..Default::default()
            },
            "America/New_York",
            "2026-11-21T12:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(r.start.duration_until(&r.end).as_secs(), 23 * 3600 - 1);
    }

    #[test]
    fn comparisons_shift_by_period_or_year() {
        let now: Timestamp = "2026-11-21T15:00:00Z".parse().unwrap();
        let r = resolve(&period(Period::LastMonth), "UTC", now).unwrap();
        let prev = r.previous(Compare::PreviousPeriod).unwrap();
        assert_eq!(
            (prev.start.date().to_string(), prev.end.date().to_string()),
            ("2026-08-31".into(), "2026-09-30".into())
        );
        let year = r.previous(Compare::PreviousYear).unwrap();
        assert_eq!(
            (year.start.date().to_string(), year.end.date().to_string()),
            ("2025-10-01".into(), "2025-10-31".into())
        );
        // Today so far vs the same hours yesterday.
        let t = resolve(&period(Period::Today), "UTC", now).unwrap();
        let y = t.previous(Compare::PreviousPeriod).unwrap();
        assert_eq!(
            (rfc3339(&y.start), rfc3339(&y.end)),
            (
                "2026-11-20T00:00:00+00:00".into(),
                "2026-11-20T15:00:00+00:00".into()
            )
        );
        // Leap day one year back.
        let leap = resolve(
            &WindowRequest {
                start_date: Some("2028-02-29".into()),
                end_date: Some("2028-02-29".into()),
                ..Default::default()
            },
            "UTC",
            "2028-03-05T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(
            leap.previous(Compare::PreviousYear)
                .unwrap()
                .start
                .date()
                .to_string(),
            "2027-02-28"
        );
    }

    #[test]
    fn explicit_and_default_windows() {
        let now = "2026-11-21T15:00:00Z";
        let only_start = WindowRequest {
            start_date: Some("2026-11-01".into()),
            ..Default::default()
        };
        assert_eq!(
            at(now, "UTC", only_start).unwrap(),
            (
                "2026-11-01T00:00:00+00:00".into(),
                "2026-11-21T15:00:00+00:00".into(),
                true
            )
        );
        let only_end = WindowRequest {
            end_date: Some("2026-11-10".into()),
            ..Default::default()
        };
        assert_eq!(
            at(now, "UTC", only_end).unwrap(),
            (
                "2026-11-04T00:00:00+00:00".into(),
                "2026-11-10T23:59:59+00:00".into(),
                false
            )
        );
        let instant = WindowRequest {
            start_date: Some("2026-11-20T09:00:00+02:00".into()),
            ..Default::default()
        };
        assert_eq!(
            at(now, "UTC", instant).unwrap().0,
            "2026-11-20T07:00:00+00:00"
        );
        let r = resolve(
            &WindowRequest::default(),
            "Europe/Berlin",
            now.parse().unwrap(),
        )
        .unwrap();
        assert!(r.defaulted && r.period == Some(Period::Last7Days));
        assert_eq!(r.timezone, "Europe/Berlin");
        assert_eq!(
            r.label(),
            "2026-11-14 to 2026-11-20 (Europe/Berlin, last 7 days)"
        );
        // A project zone that is not a real zone falls back to UTC rather than failing.
        assert_eq!(
            resolve(&WindowRequest::default(), "Not/AZone", now.parse().unwrap())
                .unwrap()
                .timezone,
            "UTC"
        );
    }

    #[test]
    fn every_refusal_says_what_is_accepted() {
        let now = "2026-11-21T15:00:00Z";
        let cases: &[(WindowRequest, &str)] = &[
            (
                WindowRequest {
                    period: Some(Period::Today),
                    start_date: Some("2026-11-01".into()),
                    ..Default::default()
                },
                "either `period` or",
            ),
            (
                WindowRequest {
                    start_date: Some("2026-11-10".into()),
                    end_date: Some("2026-11-01".into()),
                    ..Default::default()
                },
                "reversed",
            ),
            (
                WindowRequest {
                    end_date: Some("2026-11-22".into()),
                    ..Default::default()
                },
                "in the future; the latest date with data is today, 2026-11-21",
            ),
            (
                WindowRequest {
                    start_date: Some("2027-01-01".into()),
                    ..Default::default()
                },
                "`startDate` 2027-01-01 is in the future",
            ),
            (
                WindowRequest {
                    start_date: Some("2026-02-30".into()),
                    ..Default::default()
                },
                "not a valid date",
            ),
            (
                WindowRequest {
                    timezone: Some("Mars/Olympus".into()),
                    ..Default::default()
                },
                "IANA",
            ),
        ];
        for (req, needle) in cases {
            let err = at(now, "UTC", req.clone()).unwrap_err();
            assert!(err.contains(needle), "{req:?}: {err}");
        }
        // "Today" in Kiritimati is already tomorrow in UTC: the 22nd is allowed there.
        let kiri = WindowRequest {
            end_date: Some("2026-11-22".into()),
            ..Default::default()
        };
        assert!(at("2026-11-21T12:00:00Z", "Pacific/Kiritimati", kiri).is_ok());
    }
}
