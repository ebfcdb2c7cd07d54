//! A time series' buckets as spans of the window (issue 21): each row's start and end, which
//! rows do not cover a whole bucket (clipped by the window, or today's unfinished one), and a
//! long series re-bucketed so that its answer stays small without cutting anything.
//!
//! A series longer than [`MAX_ROWS`] keeps its newest buckets at the asked granularity (the
//! last 7 days of a daily series) and groups the older ones by the next coarser unit that fits
//! (day → week → month): every source bucket lands in exactly one row, so the rows still cover
//! the whole window once and add up to the API's totals. Uses `compare` (how a column adds up).

use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::compare::{Aggregate, aggregate};

/// Rows a series answer shows at most before it is re-bucketed: a month of days stays daily.
pub const MAX_ROWS: usize = 31;

/// A bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Hour,
    Day,
    Week,
    Month,
}

impl Unit {
    /// The unit a `granularity` argument names (the API's default is a day).
    pub fn parse(name: Option<&str>) -> Option<Self> {
        match name.unwrap_or("day") {
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// `weekly`, as in "13 weekly rows".
    pub fn adjective(self) -> &'static str {
        match self {
            Self::Hour => "hourly",
            Self::Day => "daily",
            Self::Week => "weekly",
            Self::Month => "monthly",
        }
    }

    /// The start of the bucket of this unit that holds `t` (weeks start on Monday).
    pub fn floor(self, t: DateTime) -> DateTime {
        let d = t.date();
        match self {
            Self::Hour => d.at(t.hour(), 0, 0, 0),
            Self::Day => d.at(0, 0, 0, 0),
            Self::Week => d
                .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
                .unwrap_or(d)
                .at(0, 0, 0, 0),
            Self::Month => d.first_of_month().at(0, 0, 0, 0),
        }
    }

    /// The start of the bucket after the one starting at `start` (a floor).
    fn next(self, start: DateTime) -> DateTime {
        let span = match self {
            Self::Hour => 1.hour(),
            Self::Day => 1.day(),
            Self::Week => 1.week(),
            Self::Month => 1.month(),
        };
        start.checked_add(span).unwrap_or(DateTime::MAX)
    }

    /// How many of the newest buckets stay at this unit when a series is re-bucketed.
    fn recent(self) -> usize {
        match self {
            Self::Hour => 24,
            Self::Day => 7,
            Self::Week => 4,
            Self::Month => 3,
        }
    }

    /// The coarser units older buckets may be grouped by, finest first.
    fn coarser(self) -> &'static [Unit] {
        match self {
            Self::Hour => &[Self::Day, Self::Week, Self::Month],
            Self::Day => &[Self::Week, Self::Month],
            Self::Week => &[Self::Month],
            Self::Month => &[],
        }
    }
}

/// Why a row does not stand for a whole bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partial {
    /// The window (or the re-bucketing's cut) starts or ends inside it: it has fewer days.
    Clipped,
    /// It holds the unfinished present: today (or this hour, week, month) so far.
    Unfinished,
}

/// One row of a series: the span it covers, the unit it stands for, and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: DateTime,
    /// Exclusive.
    pub end: DateTime,
    pub unit: Unit,
    /// The row as the API sent it (or the grouped sum), with `date` naming its start.
    pub row: Map<String, Value>,
    pub partial: Option<Partial>,
}

impl Bucket {
    /// Whole days it covers (a part of a day counts as one).
    pub fn days(&self) -> i64 {
        let whole = self
            .start
            .date()
            .until(self.end.date())
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(0);
        whole + i64::from(self.end.time() != jiff::civil::Time::midnight())
    }

    /// The row's `date`: its start, `2026-11-15` (or `2026-11-21T10:00` for an hour).
    pub fn date(&self) -> String {
        date_label(self.start, self.unit)
    }

    /// The row's label in text: `2026-11-15`, `2026-08-20 (4 days)`, `2026-11-21 (so far)`.
    pub fn label(&self) -> String {
        let start = self.date();
        match self.partial {
            None => start,
            Some(Partial::Unfinished) => format!("{start} (so far)"),
            Some(Partial::Clipped) if self.unit > Unit::Day => {
                let days = self.days();
                format!("{start} ({days} day{})", if days == 1 { "" } else { "s" })
            }
            Some(Partial::Clipped) => format!("{start} (part)"),
        }
    }
}

/// The window a series covers: its first instant and its end (exclusive), as civil times in
/// the window's zone, and whether that end is now.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: DateTime,
    pub end: DateTime,
    pub unfinished: bool,
}

impl Span {
    /// The span of a resolved window: from its first instant to the end of its last second,
    /// or to now when it includes today.
    pub fn of(w: &super::window::Resolved) -> Self {
        let end = if w.includes_today {
            w.end.datetime()
        } else {
            w.end
                .datetime()
                .checked_add(1.second())
                .unwrap_or(DateTime::MAX)
        };
        Self {
            start: w.start.datetime(),
            end,
            unfinished: w.includes_today,
        }
    }
}

/// A series answer's rows: what the API sent, as spans, and what the answer shows.
#[derive(Debug, Clone)]
pub struct Series {
    /// The unit the API answered in.
    pub unit: Unit,
    /// The API's buckets, one per row it sent.
    pub source: Vec<Bucket>,
    /// What the answer shows: `source`, or the older ones grouped by `regrouped`.
    pub shown: Vec<Bucket>,
    /// The coarser unit older buckets were grouped by, when the series was too long.
    pub regrouped: Option<Unit>,
}

impl Series {
    /// The series of `rows` (each with a `date` label) in `unit` over `span`, re-bucketed to
    /// at most [`MAX_ROWS`] rows where a coarser unit fits; `None` when a label is not a date
    /// or the labels are not in order (then the rows are shown as they are).
    pub fn new(rows: &[Value], unit: Unit, span: Span, tz: &TimeZone) -> Option<Self> {
        let source = spans(rows, unit, span, tz)?;
        let (shown, regrouped) = regroup(&source, unit, span);
        Some(Self {
            unit,
            source,
            shown,
            regrouped,
        })
    }

    /// The rows shown, as objects (the API's columns, grouped values where regrouped).
    pub fn rows(&self) -> Vec<Value> {
        self.shown
            .iter()
            .map(|b| Value::Object(b.row.clone()))
            .collect()
    }

    /// The shown rows that do not stand for a whole bucket.
    pub fn partial(&self) -> impl Iterator<Item = &Bucket> {
        self.shown.iter().filter(|b| b.partial.is_some())
    }

    /// The rows kept at the asked unit after a regrouping.
    pub fn recent(&self) -> usize {
        self.shown.iter().filter(|b| b.unit == self.unit).count()
    }

    /// What the rows are, said once for the text and the summary: `7 daily rows.`, or for a
    /// regrouped series `13 weekly rows, then the last 7 days daily (90 daily buckets; for
    /// every day, ask for at most 31 days).` It names only what any reader can ask for.
    pub fn note(&self) -> String {
        let unit = self.unit;
        let Some(coarse) = self.regrouped else {
            let n = self.shown.len();
            let rows = if n == 1 { "row" } else { "rows" };
            return format!("{n} {} {rows}.", unit.adjective());
        };
        let recent = self.recent();
        let older = self.shown.len() - recent;
        format!(
            "{older} {} rows, then the last {recent} {}s {} ({} {} buckets; for every {}, ask for at most {MAX_ROWS} {}s).",
            coarse.adjective(),
            unit.name(),
            unit.adjective(),
            self.source.len(),
            unit.adjective(),
            unit.name(),
            unit.name(),
        )
    }
}

/// A label as a civil time in `tz`: `2026-11-21`, `2026-11-21T10:00`, or an instant.
fn parse_label(label: &str, tz: &TimeZone) -> Option<DateTime> {
    // jiff reads a date out of a date-time too: only a bare date is a day's start.
    if label.len() == 10
        && let Ok(d) = label.parse::<Date>()
    {
        return Some(d.at(0, 0, 0, 0));
    }
    if !label.ends_with('Z')
        && let Ok(t) = label.parse::<DateTime>()
    {
        return Some(t);
    }
    label
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|ts| ts.to_zoned(tz.clone()).datetime())
}

/// Each row as the span from its label (or the window's start) to the next row's label (or
/// the window's end), with its partial flag.
fn spans(rows: &[Value], unit: Unit, span: Span, tz: &TimeZone) -> Option<Vec<Bucket>> {
    let mut starts = Vec::with_capacity(rows.len());
    for row in rows {
        let label = row.get("date")?.as_str()?;
        starts.push(parse_label(label, tz)?.max(span.start));
    }
    if starts.windows(2).any(|w| w[0] >= w[1]) || starts.last().is_some_and(|s| *s >= span.end) {
        return None;
    }
    let buckets = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let start = starts[i];
            let end = starts.get(i + 1).copied().unwrap_or(span.end);
            let mut row = row.as_object().cloned().unwrap_or_default();
            row.insert("date".into(), json!(date_label(start, unit)));
            Bucket {
                partial: partial(start, end, unit, span),
                start,
                end,
                unit,
                row,
            }
        })
        .collect();
    Some(buckets)
}

fn date_label(start: DateTime, unit: Unit) -> String {
    match unit {
        Unit::Hour => start.strftime("%Y-%m-%dT%H:%M").to_string(),
        _ => start.date().to_string(),
    }
}

/// Whether `[start, end)` is less than the whole `unit` bucket it lies in.
fn partial(start: DateTime, end: DateTime, unit: Unit, span: Span) -> Option<Partial> {
    let floor = unit.floor(start);
    let whole_end = unit.next(floor);
    if end < whole_end && end == span.end && span.unfinished {
        Some(Partial::Unfinished)
    } else if start != floor || end < whole_end {
        Some(Partial::Clipped)
    } else {
        None
    }
}

/// The buckets as shown: as they are when few enough, else the newest `unit.recent()` kept and
/// the older ones grouped by the finest coarser unit that fits in [`MAX_ROWS`] (the coarsest
/// when none does).
fn regroup(source: &[Bucket], unit: Unit, span: Span) -> (Vec<Bucket>, Option<Unit>) {
    if source.len() <= MAX_ROWS || unit.coarser().is_empty() {
        return (source.to_vec(), None);
    }
    let keep = unit.recent().min(source.len());
    let (older, newer) = source.split_at(source.len() - keep);
    let mut choice = None;
    for &coarse in unit.coarser() {
        let groups = group(older, coarse, span);
        let fits = groups.len() + newer.len() <= MAX_ROWS;
        choice = Some((groups, coarse));
        if fits {
            break;
        }
    }
    let Some((mut shown, coarse)) = choice else {
        return (source.to_vec(), None);
    };
    shown.extend_from_slice(newer);
    (shown, Some(coarse))
}

/// Consecutive buckets in the same `coarse` bucket, merged.
fn group(buckets: &[Bucket], coarse: Unit, span: Span) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    let mut members: Vec<&Bucket> = Vec::new();
    let flush = |members: &mut Vec<&Bucket>, out: &mut Vec<Bucket>| {
        if let Some(merged) = merge(members, coarse, span) {
            out.push(merged);
        }
        members.clear();
    };
    for b in buckets {
        if members
            .first()
            .is_some_and(|m| coarse.floor(m.start) != coarse.floor(b.start))
        {
            flush(&mut members, &mut out);
        }
        members.push(b);
    }
    flush(&mut members, &mut out);
    out
}

/// One row for `members`: their span, and each number column added up the way it adds up.
fn merge(members: &[&Bucket], unit: Unit, span: Span) -> Option<Bucket> {
    let (first, last) = (members.first()?, members.last()?);
    let mut row = Map::new();
    row.insert("date".into(), json!(date_label(first.start, unit)));
    let mut keys: Vec<&String> = Vec::new();
    for m in members {
        for (k, v) in &m.row {
            if v.is_number() && !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    for key in keys {
        let values: Vec<&Value> = members.iter().filter_map(|m| m.row.get(key)).collect();
        row.insert(key.clone(), combine(key, &values));
    }
    Some(Bucket {
        start: first.start,
        end: last.end,
        unit,
        partial: partial(first.start, last.end, unit, span),
        row,
    })
}

/// The values of one column over a group, added up as the column adds up: whole numbers stay
/// whole, money keeps its cents.
fn combine(key: &str, values: &[&Value]) -> Value {
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    if numbers.is_empty() {
        return Value::Null;
    }
    let whole = values.iter().all(|v| v.is_i64() || v.is_u64());
    let total = match aggregate(key) {
        Aggregate::Sum => numbers.iter().sum(),
        Aggregate::Mean => numbers.iter().sum::<f64>() / numbers.len() as f64,
        Aggregate::Last => numbers[numbers.len() - 1],
    };
    if whole && total.fract() == 0.0 && total.abs() < 1e15 {
        json!(total as i64)
    } else {
        json!((total * 100.0).round() / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily(start: Date, n: i64) -> Vec<Value> {
        (0..n)
            .map(|i| {
                let d = start.checked_add(i.days()).unwrap();
                json!({"date": d.to_string(), "visitors": 10 + i, "mrr": 100.0 + i as f64})
            })
            .collect()
    }

    fn span(start: Date, days: i64, unfinished: bool) -> Span {
        let end = start.checked_add((days - 1).days()).unwrap();
        Span {
            start: start.at(0, 0, 0, 0),
            end: if unfinished {
                end.at(10, 30, 0, 0)
            } else {
                end.tomorrow().unwrap().at(0, 0, 0, 0)
            },
            unfinished,
        }
    }

    #[test]
    fn ninety_days_become_weeks_then_the_last_seven_days() {
        let start = Date::constant(2026, 8, 24);
        let s = Series::new(
            &daily(start, 90),
            Unit::Day,
            span(start, 90, true),
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(s.regrouped, Some(Unit::Week));
        assert_eq!(s.recent(), 7);
        assert!(s.shown.len() <= MAX_ROWS, "{}", s.shown.len());
        let labels: Vec<String> = s.shown.iter().map(Bucket::label).collect();
        assert_eq!(labels[0], "2026-08-24");
        // The week cut by the daily tail has fewer days, and today is unfinished.
        assert_eq!(labels[labels.len() - 8], "2026-11-09 (6 days)");
        assert_eq!(labels[labels.len() - 7], "2026-11-15");
        assert_eq!(labels.last().unwrap(), "2026-11-21 (so far)");
        let total: i64 = s
            .rows()
            .iter()
            .map(|r| r["visitors"].as_i64().unwrap())
            .sum();
        assert_eq!(total, (0..90).map(|i| 10 + i).sum::<i64>());
        // MRR is a level, not a flow: a week shows its last day's.
        assert_eq!(s.shown[0].row["mrr"], 106.0);
    }

    #[test]
    fn short_series_are_shown_as_sent_with_their_partial_ends() {
        let start = Date::constant(2026, 10, 1);
        let rows = json!([{"date": "2026-10-01", "v": 1}, {"date": "2026-10-05", "v": 2}]);
        let s = Series::new(
            rows.as_array().unwrap(),
            Unit::Week,
            span(start, 7, false),
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(s.regrouped, None);
        let labels: Vec<String> = s.shown.iter().map(Bucket::label).collect();
        assert_eq!(labels, ["2026-10-01 (4 days)", "2026-10-05 (3 days)"]);
    }
}
