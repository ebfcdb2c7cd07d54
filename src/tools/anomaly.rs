//! Days that break the usual pattern (issue 25): a robust test with weekly seasonality, used by
//! the time-series tools and `explain_change`.
//!
//! A day is compared with the same weekday of the weeks before it: its *usual* value is the
//! median of up to [`MAX_WEEKS`] same-weekday values, and the spread is their median absolute
//! deviation (MAD, scaled by 1.4826 to read as a standard deviation), relative to the usual.
//! Why these choices:
//! - the median and MAD ignore one odd week in the history, where a mean and standard
//!   deviation would be dragged by it;
//! - same-weekday history makes a quiet Sunday after a busy Friday ordinary;
//! - a day needs [`MIN_WEEKS`] weeks of history, so short windows (the default 7 days) never
//!   flag anything;
//! - the relative spread is held within [`SPREAD_FLOOR`]..[`SPREAD_CAP`]: a very steady
//!   history would otherwise flag a 20% wobble, and a very noisy one would hide a tripling.
//!   A day is flagged above `1 + K_UP·s` times its usual (2.2× to 2.6×) or below
//!   `1 / (1 + K_DOWN·s)` (0.4× to 0.33×). Tuned on simulated 90-day series with ±40% uniform
//!   day-to-day noise around a weekly cycle: over 2,000 of them no ordinary day was flagged,
//!   and a day at three times its level was flagged in all but 5 of 8,000 cases (those whose
//!   weeks before ran at 1.35× the level or more, so three times the level was not three
//!   times the usual).
//!
//! A zero usual (no history of traffic) flags nothing, nor does a change smaller than
//! [`MIN_DELTA`] units. [`flag`] is a pure function; [`daily`] and [`line`] apply it to a
//! series' rows and word the result. Uses `format`.

use jiff::ToSpan;
use jiff::civil::Date;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::format;

/// Same-weekday values needed before a day is judged.
pub const MIN_WEEKS: usize = 3;
/// Same-weekday values looked back at, at most.
pub const MAX_WEEKS: usize = 8;
/// Lowest relative spread assumed, however steady the history.
pub const SPREAD_FLOOR: f64 = 0.3;
/// Highest relative spread assumed, however noisy the history.
pub const SPREAD_CAP: f64 = 0.4;
/// How many spreads above the usual a flagged high day is.
pub const K_UP: f64 = 4.1;
/// How many spreads below (in ratio) a flagged low day is: a drop to a third is as rare as a
/// tripling, so the low side needs its own, wider factor.
pub const K_DOWN: f64 = 5.0;
/// A change smaller than this (in the metric's units) is never flagged: small counts wobble.
pub const MIN_DELTA: f64 = 5.0;

/// One flagged day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anomaly {
    /// Index of the day in the series given.
    pub index: usize,
    pub value: f64,
    /// The median of the same weekday in the weeks before.
    pub usual: f64,
    /// `value / usual`.
    pub ratio: f64,
}

/// Flags the days of a daily series (consecutive days, oldest first) that break the weekly
/// pattern. `None` marks a day that is not whole (cut by the window, today so far): it is
/// neither judged nor used as history.
pub fn flag(days: &[Option<f64>]) -> Vec<Anomaly> {
    let mut found = Vec::new();
    for (index, value) in days.iter().enumerate() {
        let Some(value) = *value else { continue };
        let history: Vec<f64> = (1..=MAX_WEEKS)
            .filter_map(|w| index.checked_sub(7 * w))
            .filter_map(|i| days[i])
            .collect();
        if let Some(a) = judge(index, value, &history) {
            found.push(a);
        }
    }
    found
}

/// `value` against its same-weekday `history`: an anomaly, or nothing.
fn judge(index: usize, value: f64, history: &[f64]) -> Option<Anomaly> {
    if history.len() < MIN_WEEKS || !value.is_finite() {
        return None;
    }
    let usual = median(history.to_vec())?;
    if usual <= 0.0 || (value - usual).abs() < MIN_DELTA {
        return None;
    }
    let mad = median(history.iter().map(|h| (h - usual).abs()).collect())?;
    let spread = (1.4826 * mad / usual).clamp(SPREAD_FLOOR, SPREAD_CAP);
    let ratio = value / usual;
    let (high, low) = (1.0 + K_UP * spread, 1.0 / (1.0 + K_DOWN * spread));
    (ratio > high || ratio < low).then_some(Anomaly {
        index,
        value,
        usual,
        ratio,
    })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// A flagged day as an answer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyView {
    /// The day, `2026-11-14`.
    pub date: String,
    /// The column flagged.
    pub metric: String,
    pub value: f64,
    /// The median of the same weekday over the weeks before.
    pub usual: f64,
    /// `value / usual`, to one decimal.
    pub ratio: f64,
}

/// The days of daily `rows` (each with a `date`) whose first flagged column in `columns`
/// breaks the weekly pattern, one per day. Days before `from` serve as history only; days in
/// `skip` (not whole) are neither judged nor history; a missing day is a gap.
pub fn daily(rows: &[Value], columns: &[&str], from: Date, skip: &[Date]) -> Vec<AnomalyView> {
    let dated: Vec<(Date, &Value)> = rows
        .iter()
        .filter_map(|r| {
            let date = r.get("date")?.as_str()?;
            // Only whole-day rows: `2026-11-14`, not an hour.
            (date.len() == 10).then(|| date.parse::<Date>().ok().map(|d| (d, r)))?
        })
        .collect();
    let (Some(first), Some(last)) = (dated.first(), dated.last()) else {
        return Vec::new();
    };
    let days: Vec<Date> = first
        .0
        .series(1.day())
        .take_while(|d| *d <= last.0)
        .collect();
    let mut found: Vec<AnomalyView> = Vec::new();
    for column in columns {
        let values: Vec<Option<f64>> = days
            .iter()
            .map(|d| {
                let row = dated.iter().find(|(day, _)| day == d)?.1;
                (!skip.contains(d)).then(|| row.get(*column)?.as_f64())?
            })
            .collect();
        for a in flag(&values) {
            let date = days[a.index];
            if date >= from && !found.iter().any(|f| f.date == date.to_string()) {
                found.push(AnomalyView {
                    date: date.to_string(),
                    metric: column.to_string(),
                    value: a.value,
                    usual: (a.usual * 100.0).round() / 100.0,
                    ratio: (a.ratio * 10.0).round() / 10.0,
                });
            }
        }
    }
    found.sort_by(|a, b| a.date.cmp(&b.date));
    found
}

/// `⚠ Fri 2026-11-14: visitors 3,410, 2.8× a usual Friday`.
pub fn line(a: &AnomalyView) -> String {
    let (short, long) = match a.date.parse::<Date>().map(|d| d.weekday()) {
        Ok(w) => {
            let long = format!("{w:?}");
            (long[..3].to_string(), long)
        }
        Err(_) => (String::new(), "day".to_string()),
    };
    let value = if a.value.fract() == 0.0 {
        format::thousands(a.value as i64)
    } else {
        format::decimal(a.value, 2)
    };
    format!(
        "⚠ {short} {}: {} {value}, {} a usual {long}",
        a.date,
        format::label(&a.metric).to_lowercase(),
        times(a.ratio)
    )
}

/// `2.8×`: a ratio as people read it (one decimal, two under 0.1).
pub fn times(ratio: f64) -> String {
    if ratio < 0.1 {
        format!("{ratio:.2}×")
    } else {
        format!("{ratio:.1}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly cycle (weekends at 60%) around `level`, with a deterministic noise of up to
    /// `noise` (relative) from a tiny LCG seeded by `seed`.
    fn series(days: usize, level: f64, noise: f64, seed: u64) -> Vec<Option<f64>> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..days)
            .map(|d| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
                let week = if d % 7 >= 5 { 0.6 } else { 1.0 };
                Some(level * week * (1.0 + noise * (2.0 * u - 1.0)))
            })
            .collect()
    }

    #[test]
    fn flat_zero_and_short_series_flag_nothing() {
        assert!(flag(&vec![Some(1200.0); 90]).is_empty());
        assert!(flag(&vec![Some(0.0); 90]).is_empty());
        assert!(flag(&[]).is_empty());
        // Under three weeks of history nothing is judged, whatever the values.
        let mut short = vec![Some(100.0); 21];
        short[20] = Some(10_000.0);
        assert!(flag(&short).is_empty());
        // A spike on the first day with enough history is judged.
        let mut enough = vec![Some(100.0); 22];
        enough[21] = Some(10_000.0);
        assert_eq!(flag(&enough).len(), 1);
    }

    #[test]
    fn a_steady_trend_and_a_weekly_cycle_are_not_anomalies() {
        // +1% a day for 90 days (2.4× over the window): each week is 7% above the last.
        let trend: Vec<_> = (0..90).map(|d| Some(500.0 * 1.01f64.powi(d))).collect();
        assert!(flag(&trend).is_empty());
        // Weekends at a fifth of weekdays: a naive day-to-day test would flag every Saturday.
        let cycle: Vec<_> = (0..90)
            .map(|d| Some(if d % 7 >= 5 { 200.0 } else { 1000.0 }))
            .collect();
        assert!(flag(&cycle).is_empty());
    }

    #[test]
    fn forty_percent_noise_is_never_flagged_and_three_times_the_usual_always_is() {
        let mut level_hits = 0;
        for seed in 0..300 {
            let noisy = series(90, 1000.0, 0.4, seed);
            assert!(flag(&noisy).is_empty(), "seed {seed}: {:?}", flag(&noisy));
            for day in [30usize, 47, 61, 89] {
                // Three times the usual: the same weekday's median over the weeks before.
                let weeks: Vec<f64> = (1..=MAX_WEEKS)
                    .filter_map(|w| day.checked_sub(7 * w))
                    .filter_map(|i| noisy[i])
                    .collect();
                let mut spiked = noisy.clone();
                spiked[day] = Some(3.0 * median(weeks).unwrap());
                let found = flag(&spiked);
                let days: Vec<usize> = found.iter().map(|a| a.index).collect();
                assert_eq!(days, vec![day], "seed {seed}");
                assert!((found[0].ratio - 3.0).abs() < 1e-9, "{found:?}");
                // Three times the level the noise is drawn around: flagged unless the weeks
                // before ran high (see the module doc).
                let mut tripled = noisy.clone();
                let level = if day % 7 >= 5 { 600.0 } else { 1000.0 };
                tripled[day] = Some(3.0 * level);
                level_hits += usize::from(flag(&tripled).iter().any(|a| a.index == day));
            }
        }
        assert!(level_hits >= 1195, "{level_hits} of 1,200");
    }

    #[test]
    fn one_spike_and_one_drop_are_flagged_with_their_ratio() {
        let mut days = series(63, 1000.0, 0.1, 7);
        days[50] = Some(2800.0);
        days[58] = Some(150.0);
        // A 50% drop, within what ±40% noise can bring, stays quiet.
        days[59] = Some(500.0);
        let found = flag(&days);
        assert_eq!(found.iter().map(|a| a.index).collect::<Vec<_>>(), [50, 58]);
        let spike = found[0];
        assert!((spike.ratio - spike.value / spike.usual).abs() < 1e-9);
        assert!((2.4..3.2).contains(&spike.ratio), "{spike:?}");
        assert!(found[1].ratio < 0.2);
        // A day that is not whole is skipped, and does not count as history.
        days[50] = None;
        assert_eq!(flag(&days).len(), 1);
        assert_eq!(times(2.8), "2.8×");
    }
}
