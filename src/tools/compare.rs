//! Period comparison: absolute and percent change for every metric.
//!
//! An object answer (`get_analytics`, `get_revenue`) compares its top-level numbers; a time
//! series compares its totals (sums for counts and money, the last bucket for MRR/ARR, the
//! mean for rates and averages). When the upstream already sent the previous period (as
//! Himetrica's analytics endpoint does), that is used instead of a second request, unless the
//! window ends now: then the runner asks for the same elapsed time of the earlier window.

use serde_json::{Map, Value, json};

/// Keys of an upstream object that hold the previous period's numbers.
const UPSTREAM_PREVIOUS: &[&str] = &["previousPeriod", "previous", "comparison"];

/// The upstream's own previous-period numbers, when its answer carries them.
pub fn upstream_previous(data: &Value) -> Option<&Map<String, Value>> {
    let map = data.as_object()?;
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
pub fn metrics(data: &Value) -> Vec<(String, f64)> {
    match data {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !is_metadata(k))
            .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
            .collect(),
        Value::Array(rows) => series_totals(rows),
        _ => Vec::new(),
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

/// `{current, previous, change, changePercent}`; `changePercent` is `null` when the base is 0.
pub fn change(current: f64, previous: f64) -> Value {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let percent = if previous == 0.0 {
        Value::Null
    } else {
        json!(((current - previous) / previous.abs() * 1000.0).round() / 10.0)
    };
    json!({
        "current": round(current),
        "previous": round(previous),
        "change": round(current - previous),
        "changePercent": percent,
    })
}

/// The `comparison` member of a result.
pub fn build(
    current: &Value,
    previous: &Value,
    compare: &str,
    source: &str,
    window: Value,
) -> Value {
    let before: Map<String, Value> = metrics(previous)
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let mut out = Map::new();
    for (key, now) in metrics(current) {
        if let Some(prev) = before.get(&key).and_then(Value::as_f64) {
            out.insert(key, change(now, prev));
        }
    }
    json!({
        "compare": compare,
        "source": source,
        "window": window,
        "metrics": out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_have_absolute_and_percent_values_and_null_on_zero_base() {
        assert_eq!(
            change(120.0, 100.0),
            json!({"current": 120.0, "previous": 100.0, "change": 20.0, "changePercent": 20.0})
        );
        assert_eq!(change(5.0, 0.0)["changePercent"], Value::Null);
        assert_eq!(change(0.0, 8.0)["changePercent"], -100.0);
    }

    #[test]
    fn series_totals_sum_counts_and_keep_the_last_mrr() {
        let rows = json!([
            {"date": "a", "visitors": 10, "mrr": 100.0, "bounceRate": 40.0},
            {"date": "b", "visitors": 5, "mrr": 110.0, "bounceRate": 50.0}
        ]);
        let m: std::collections::HashMap<String, f64> = metrics(&rows).into_iter().collect();
        assert_eq!(m["visitors"], 15.0);
        assert_eq!(m["mrr"], 110.0);
        assert_eq!(m["bounceRate"], 45.0);
    }

    #[test]
    fn upstream_previous_is_found_and_metadata_skipped() {
        let data = json!({"uniqueVisitors": 10, "previousPeriod": {"uniqueVisitors": 8}, "period": {"x": 1}});
        assert!(upstream_previous(&data).is_some());
        let c = build(
            &data,
            &json!(upstream_previous(&data)),
            "previous_period",
            "upstream",
            json!({}),
        );
        assert_eq!(c["metrics"]["uniqueVisitors"]["changePercent"], 25.0);
        assert!(c["metrics"].get("previousPeriod").is_none());
    }
}
