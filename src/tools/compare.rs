//! Period comparison: absolute and percent change for every metric.
//!
//! An object answer (`get_analytics`, `get_revenue`) compares its top-level numbers; a time
//! series compares its totals (sums for counts and money, the last bucket for MRR/ARR, the
//! mean for rates and averages). When the upstream already sent the previous period (as
//! Himetrica's analytics endpoint does), that is used instead of a second request, unless the
//! window ends now: then the runner asks for the same elapsed time of the earlier window.
//!
//! The result is the typed [`Comparison`] every view reads (text, `structuredContent`, the
//! chart, `call --json`). Uses `data` and `window`.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::data::Data;
use super::window::Resolved;

/// Keys of an upstream object that hold the previous period's numbers.
const UPSTREAM_PREVIOUS: &[&str] = &["previousPeriod", "previous", "comparison"];

/// A comparison with an earlier window, however it was made.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// `previous_period` or `previous_year`.
    pub compare: &'static str,
    /// `upstream` (the API sent the earlier numbers) or `computed` (asked for them again).
    pub source: &'static str,
    /// The earlier window.
    #[serde(serialize_with = "echo")]
    pub window: Resolved,
    /// The change of each metric both windows have, in the current answer's order.
    pub metrics: Changes,
    /// The earlier window is cut at the same time of day as the current one, which ends now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub same_elapsed_time: bool,
    /// A series' earlier buckets, so a trend can be drawn beside the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<Value>>,
}

/// A resolved window as answers echo it (see [`Resolved::echo`]).
pub fn echo<S: Serializer>(w: &Resolved, s: S) -> Result<S::Ok, S::Error> {
    w.echo().serialize(s)
}

/// One metric's change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub current: f64,
    pub previous: f64,
    pub change: f64,
    /// `None` (null) when the earlier value is 0.
    pub change_percent: Option<f64>,
}

/// Changes by metric name, in order (a JSON object when serialized).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(pub Vec<(String, Change)>);

impl Changes {
    pub fn get(&self, key: &str) -> Option<&Change> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, c)| c)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Change)> {
        self.0.iter().map(|(k, c)| (k.as_str(), c))
    }
}

impl Serialize for Changes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, c)| (k, c)))
    }
}

/// The upstream's own previous-period numbers, when its answer carries them.
pub fn upstream_previous(data: &Data) -> Option<&Map<String, Value>> {
    let Data::Object(map) = data else {
        return None;
    };
    UPSTREAM_PREVIOUS
        .iter()
        .filter_map(|k| map.get(*k)?.as_object())
        .find(|prev| prev.values().any(Value::is_number))
}

/// Keys whose values are echoes or metadata, never metrics.
pub fn is_metadata(key: &str) -> bool {
    UPSTREAM_PREVIOUS.contains(&key)
        || matches!(
            key,
            "period"
                | "changePercent"
                | "change"
                | "currency"
                | "startDate"
                | "endDate"
                | "timezone"
        )
}

/// The metrics of an answer: top-level numbers of an object, or totals of a series.
pub fn metrics(data: &Data) -> Vec<(String, f64)> {
    match data {
        Data::Object(map) => map
            .iter()
            .filter(|(k, _)| !is_metadata(k))
            .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
            .collect(),
        Data::Rows(rows) => series_totals(rows),
    }
}

/// How a series column adds up.
pub fn aggregate(key: &str) -> Aggregate {
    let k = key.to_ascii_lowercase();
    if k == "mrr" || k == "arr" || k.starts_with("active") {
        Aggregate::Last
    } else if k.contains("rate")
        || k.contains("avg")
        || k.contains("duration")
        || k.contains("percent")
        || k == "roi"
    {
        Aggregate::Mean
    } else {
        Aggregate::Sum
    }
}

/// How a column of buckets adds up to a total.
pub enum Aggregate {
    /// Counts and money: the sum.
    Sum,
    /// Rates and averages: the mean.
    Mean,
    /// Levels (MRR, active subscriptions): the last value.
    Last,
}

fn series_totals(rows: &[Value]) -> Vec<(String, f64)> {
    let mut keys: Vec<String> = Vec::new();
    for row in rows {
        for (k, v) in row.as_object().into_iter().flatten() {
            if v.is_number() && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys.into_iter()
        .map(|k| {
            let values: Vec<f64> = rows.iter().filter_map(|r| r.get(&k)?.as_f64()).collect();
            let total = match aggregate(&k) {
                Aggregate::Sum => values.iter().sum(),
                Aggregate::Mean if values.is_empty() => 0.0,
                Aggregate::Mean => values.iter().sum::<f64>() / values.len() as f64,
                Aggregate::Last => values.last().copied().unwrap_or(0.0),
            };
            (k, total)
        })
        .collect()
}

/// The change from `previous` to `current`, rounded to cents; no percent when the base is 0.
pub fn change(current: f64, previous: f64) -> Change {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Change {
        current: round(current),
        previous: round(previous),
        change: round(current - previous),
        change_percent: (previous != 0.0)
            .then(|| ((current - previous) / previous.abs() * 1000.0).round() / 10.0),
    }
}

/// The changes of every metric `current` and `previous` both have.
pub fn changes(current: &Data, previous: &Data) -> Changes {
    let before = metrics(previous);
    Changes(
        metrics(current)
            .into_iter()
            .filter_map(|(key, now)| {
                let prev = before.iter().find(|(k, _)| *k == key)?.1;
                // A sum too large for a float has no change to tell.
                prev.is_finite().then(|| (key, change(now, prev)))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_have_absolute_and_percent_values_and_null_on_zero_base() {
        assert_eq!(
            serde_json::to_value(change(120.0, 100.0)).unwrap(),
            json!({"current": 120.0, "previous": 100.0, "change": 20.0, "changePercent": 20.0})
        );
        assert_eq!(change(5.0, 0.0).change_percent, None);
        assert_eq!(change(0.0, 8.0).change_percent, Some(-100.0));
    }

    #[test]
    fn series_totals_sum_counts_and_keep_the_last_mrr() {
        let rows = Data::parse(json!([
            {"date": "a", "visitors": 10, "mrr": 100.0, "bounceRate": 40.0},
            {"date": "b", "visitors": 5, "mrr": 110.0, "bounceRate": 50.0}
        ]));
        let m: std::collections::HashMap<String, f64> = metrics(&rows).into_iter().collect();
        assert_eq!(m["visitors"], 15.0);
        assert_eq!(m["mrr"], 110.0);
        assert_eq!(m["bounceRate"], 45.0);
    }

    #[test]
    fn upstream_previous_is_found_and_metadata_skipped() {
        let data = Data::parse(
            json!({"uniqueVisitors": 10, "previousPeriod": {"uniqueVisitors": 8}, "period": {"x": 1}}),
        );
        let previous = Data::Object(upstream_previous(&data).unwrap().clone());
        let c = changes(&data, &previous);
        assert_eq!(c.get("uniqueVisitors").unwrap().change_percent, Some(25.0));
        assert_eq!(c.0.len(), 1);
    }
}
