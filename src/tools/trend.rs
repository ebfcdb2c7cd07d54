//! Trends in the answer (issue 15): a sparkline, the low and the high leading each metric of a
//! time series, and a share bar in each breakdown row, for the text and the model's summary;
//! and the [`Chart`] the terminal, `--svg` and the MCP Apps view draw.
//!
//! What a model reads costs context, so both stay small: a sparkline is one character per
//! bucket (a long series is grouped, and the text says by how much), and a share bar lives in
//! the padding its number column already has.

use serde_json::{Value, json};

use super::anomaly::{self, AnomalyView};
use super::buckets::Bucket;
use super::catalog::ToolDef;
use super::data::Data;
use super::format::{self, cell, label};
use super::typed::Answer;
use super::window::Resolved;
use crate::chart::{self, Chart, Kind, MAX_SPARK, Metric};

/// Cells a share bar takes at most: two, sixteen lengths. What a model reads costs context
/// (Claude Code and Codex hand it our text), so a bar only fills padding its number column
/// already has and never widens it: each bar glyph still costs two bytes more than the space
/// it replaces, and the list answers must stay under half the raw API JSON in Codex (issue
/// 13), which leaves `get_top_pages` 28 bytes. A column its numbers fill (events' counts, a
/// customer's or a channel's revenue) gets no bar in the text; the view and `--svg` draw them.
const MAX_BAR: usize = 2;

/// The key naming each row: `date`, or the last string column (a table puts its label last:
/// `Plan  Name`).
fn label_key<'a>(rows: &'a [Value], columns: &[&'a str]) -> Option<&'a str> {
    columns.iter().copied().find(|c| *c == "date").or_else(|| {
        columns
            .iter()
            .copied()
            .rfind(|c| rows.iter().any(|r| r.get(*c).is_some_and(Value::is_string)))
    })
}

/// The numeric columns of a table, in the text's order.
fn metric_keys<'a>(rows: &'a [Value], columns: &[&'a str]) -> Vec<&'a str> {
    columns
        .iter()
        .copied()
        .filter(|c| rows.iter().any(|r| r.get(*c).is_some_and(Value::is_number)))
        .collect()
}

fn values(rows: &[Value], key: &str) -> Vec<Option<f64>> {
    rows.iter()
        .map(|r| r.get(key).and_then(Value::as_f64))
        .collect()
}

fn labels(rows: &[Value], key: Option<&str>) -> Vec<String> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| match key.and_then(|k| r.get(k)) {
            Some(Value::String(s)) => format::sanitize(s, 48),
            Some(other) if !other.is_null() => format::sanitize(&other.to_string(), 48),
            _ => format!("#{}", i + 1),
        })
        .collect()
}

/// The chart of a tool answer, or `None` for a tool that has nothing to draw or an answer
/// without numbers.
pub fn chart(tool: &ToolDef, answer: &Answer, window: Option<String>) -> Option<Chart> {
    let rows = answer.data.rows()?;
    let kind = tool.chart?;
    if rows.is_empty() {
        return None;
    }
    let currency = answer.currency();
    let columns = format::columns(rows, tool.columns);
    let key = label_key(rows, &columns);
    let mut keys = metric_keys(rows, &columns);
    if keys.is_empty() {
        return None;
    }
    if kind == Kind::Bars {
        // A breakdown's bar is its first number: page views, visitors, count, revenue.
        keys.truncate(1);
    }
    let previous: &[Value] = answer
        .comparison
        .as_ref()
        .and_then(|c| c.series.as_deref())
        .unwrap_or_default();
    let metrics = keys
        .iter()
        .map(|k| Metric {
            key: (*k).to_string(),
            label: label(k),
            values: values(rows, k),
            display: rows
                .iter()
                .map(|r| cell(k, r.get(*k).unwrap_or(&Value::Null), currency))
                .collect(),
            previous: (!previous.is_empty()).then(|| values(previous, k)),
        })
        .collect();
    // The days that broke the weekly pattern are marked where they are drawn.
    let marked: Vec<&str> = answer.anomalies.iter().map(|a| a.date.as_str()).collect();
    let chart = Chart {
        kind,
        title: tool.title.to_string(),
        window,
        bucket: (kind == Kind::Series).then(|| answer.granularity().to_string()),
        labels: labels(rows, key),
        previous_labels: labels(previous, key),
        marks: Vec::new(),
        metrics,
    };
    Some(chart.marked(&marked))
}

/// The days of a daily series' window that break the weekly pattern (issue 25), one per day,
/// from the first column that does; today so far is not judged. Nothing for other
/// granularities, and nothing in a window under four weeks (the history it needs).
pub fn anomalies(tool: &ToolDef, data: &Data, window: &Resolved) -> Vec<AnomalyView> {
    let Some(rows) = data.rows() else {
        return Vec::new();
    };
    if tool.chart != Some(Kind::Series) {
        return Vec::new();
    }
    let columns: Vec<&str> = tool
        .columns
        .iter()
        .copied()
        .filter(|c| *c != "date")
        .collect();
    let skip: Vec<_> = window
        .includes_today
        .then(|| window.end.date())
        .into_iter()
        .collect();
    anomaly::daily(rows, &columns, window.start.date(), &skip)
}

/// The window as people read it: `2026-11-24 to 2026-11-30 (America/New_York)`.
pub fn window_label(answer: &Answer) -> Option<String> {
    let w = answer.window.as_ref()?;
    let (start, end) = (w.start.date(), w.end.date());
    let span = if start == end {
        start.to_string()
    } else {
        format!("{start} to {end}")
    };
    Some(format!("{span} ({})", w.timezone))
}

/// A metric's value written as the table writes it.
pub fn display(chart_currency: Option<&str>) -> impl Fn(&Metric, f64) -> String {
    let currency = chart_currency.map(str::to_string);
    move |m: &Metric, v: f64| cell(&m.key, &json!(v), currency.as_deref())
}

/// One metric's trend: the sparkline (then the previous period's, on the same scale), the
/// headline with its change, and the low and the high with their dates.
struct Lead {
    spark: String,
    previous: Option<String>,
    headline: String,
    extremes: String,
}

fn leads(chart: &Chart, answer: &Answer) -> (Vec<Lead>, usize) {
    let (changes, currency) = (answer.changes(), answer.currency());
    let totals: std::collections::HashMap<String, f64> =
        super::compare::metrics(&answer.data).into_iter().collect();
    let n = chart.labels.len().max(chart.previous_labels.len());
    let step = chart::step_for(n, MAX_SPARK);
    let leads = chart
        .metrics
        .iter()
        .map(|m| {
            let (lo, hi) = m.range().unwrap_or((0.0, 0.0));
            let spark = chart::sparkline(&chart::downsample(&m.values, step), lo, hi);
            let previous = m
                .previous
                .as_ref()
                .map(|p| chart::sparkline(&chart::downsample(p, step), lo, hi));
            let change = changes.and_then(|c| c.get(&m.key));
            let total = change
                .map(|c| c.current)
                .or_else(|| totals.get(&m.key).copied())
                .map_or(Value::Null, |t| json!(t));
            let headline = format::headline(&m.key, &total, change, currency)
                .trim_end()
                .to_string();
            Lead {
                spark,
                previous,
                headline,
                extremes: extremes(chart, m),
            }
        })
        .collect();
    (leads, step)
}

/// `low 1,059 on 2026-11-29, high 1,521 on 2026-11-30`, `0 throughout`, `flat at 120`.
fn extremes(chart: &Chart, m: &Metric) -> String {
    let Some((lo, hi)) = chart::extremes(&m.values) else {
        return "no values".to_string();
    };
    let at = |i: usize| chart.labels.get(i).map(String::as_str).unwrap_or("?");
    let shown = |i: usize| m.display.get(i).map(String::as_str).unwrap_or("?");
    if m.values.iter().flatten().count() == 1 {
        return format!(
            "one {}: {}",
            chart.bucket.as_deref().unwrap_or("bucket"),
            at(lo)
        );
    }
    if m.values[lo] == m.values[hi] {
        return if m.values[lo] == Some(0.0) {
            "0 throughout".to_string()
        } else {
            format!("flat at {}", shown(lo))
        };
    }
    format!(
        "low {} on {}, high {} on {}",
        shown(lo),
        at(lo),
        shown(hi),
        at(hi)
    )
}

/// `one character per day`, `one character per 2 days (90 days)`.
fn per(chart: &Chart, step: usize) -> String {
    let bucket = chart.bucket.as_deref().unwrap_or("bucket");
    if step > 1 {
        format!(
            "one character per {step} {bucket}s (their mean; {} {bucket}s)",
            chart.labels.len()
        )
    } else {
        format!("one character per {bucket}")
    }
}

/// The series' chart for its lead: each bucket named as the table names it, so a low or a
/// high in a partial bucket says so (`low 820 on 2026-11-01 (1 day)`).
fn lead_chart(tool: &ToolDef, answer: &Answer) -> Option<Chart> {
    let mut chart = chart(tool, answer, None)?;
    let series = answer.series.as_ref();
    if let Some(series) = series.filter(|s| s.source.len() == chart.labels.len()) {
        chart.labels = series.source.iter().map(Bucket::label).collect();
    }
    Some(chart)
}

/// The lines that lead a series' text, from `Totals, one character per day:` on.
pub fn lead_text(tool: &ToolDef, answer: &Answer) -> String {
    let Some(chart) = lead_chart(tool, answer) else {
        return String::new();
    };
    let (leads, step) = leads(&chart, answer);
    let then = if leads.iter().any(|l| l.previous.is_some()) {
        ", then │ the previous period"
    } else {
        ""
    };
    let mut out = format!("Totals, {}{then}:\n", per(&chart, step));
    let width = leads
        .iter()
        .map(|l| l.spark.chars().count())
        .max()
        .unwrap_or(0);
    // Under a table of every bucket the low and the high are in plain sight: what a model
    // reads costs context, so they are said only when the table regroups the buckets.
    let table_has_all = answer
        .series
        .as_ref()
        .is_some_and(|s| s.regrouped.is_none());
    for l in leads {
        let spark = match &l.previous {
            Some(p) => format!("{:<width$} │ {p}", l.spark),
            None => l.spark.clone(),
        };
        if table_has_all {
            out.push_str(&format!("{spark}  {}\n", l.headline));
        } else {
            out.push_str(&format!("{spark}  {}; {}\n", l.headline, l.extremes));
        }
    }
    out
}

/// The series' lead for the model's summary, one clause per metric.
pub fn lead_summary(tool: &ToolDef, answer: &Answer) -> String {
    let Some(chart) = lead_chart(tool, answer) else {
        return String::new();
    };
    let (leads, step) = leads(&chart, answer);
    let clauses: Vec<String> = leads
        .into_iter()
        .map(|l| {
            let previous = l
                .previous
                .map(|p| format!(" (previous period {p})"))
                .unwrap_or_default();
            format!("{}{previous} {}, {}", l.spark, l.headline, l.extremes)
        })
        .collect();
    format!(" totals, {}: {};", per(&chart, step), clauses.join("; "))
}

/// Puts a share bar into the padding of a breakdown table's first number column: `█▊    8,558`
/// (bars scaled to the largest row). `body` holds each row's cells as the table writes them
/// (and whether each is a number); `widths` the column widths, which stay as they are.
pub fn share_bars(
    rows: &[Value],
    columns: &[&str],
    body: &mut [Vec<(String, bool)>],
    widths: &[usize],
) {
    let Some(i) = (0..columns.len()).find(|&i| body.iter().any(|r| r[i].1)) else {
        return;
    };
    let values: Vec<f64> = rows
        .iter()
        .take(body.len())
        .map(|r| r.get(columns[i]).and_then(Value::as_f64).unwrap_or(0.0))
        .collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let number = body
        .iter()
        .map(|r| r[i].0.chars().count())
        .max()
        .unwrap_or(0);
    // The bar starts where the column starts; the number keeps its place on the right.
    let field = widths[i].saturating_sub(number + 1);
    let room = field.min(MAX_BAR);
    if room == 0 {
        return;
    }
    for (row, v) in body.iter_mut().zip(values) {
        let bar = chart::bar(v, max, room);
        row[i].0 = format!("{bar:<field$} {:>number$}", row[i].0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::compare::Comparison;
    use crate::tools::find;
    use crate::tools::typed::{previous_period, series_answer};

    fn series(rows: Value, comparison: Option<Comparison>) -> Answer {
        let mut answer = series_answer(rows, "day");
        answer.comparison = comparison;
        answer
    }

    fn days(values: &[f64]) -> Value {
        Value::Array(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let day = jiff::civil::date(2026, 9, 1)
                        .checked_add(jiff::Span::new().days(i as i64))
                        .unwrap();
                    json!({"date": day.to_string(), "visitors": v})
                })
                .collect(),
        )
    }

    fn text(answer: &Answer) -> String {
        let tool = find("get_timeseries").unwrap();
        format!(
            "{}\n--- summary:{}",
            lead_text(tool, answer),
            lead_summary(tool, answer)
        )
    }

    #[test]
    fn a_flat_series() {
        insta::assert_snapshot!("flat", text(&series(days(&[120.0; 7]), None)));
    }

    #[test]
    fn a_zero_series() {
        insta::assert_snapshot!("zero", text(&series(days(&[0.0; 7]), None)));
    }

    #[test]
    fn one_bucket() {
        insta::assert_snapshot!("one_bucket", text(&series(days(&[42.0]), None)));
    }

    #[test]
    fn a_spike() {
        let v = [10.0, 11.0, 9.0, 10.0, 250.0, 12.0, 10.0];
        insta::assert_snapshot!("spike", text(&series(days(&v), None)));
    }

    #[test]
    fn ninety_days_are_grouped_by_two() {
        let v: Vec<f64> = (0..90).map(|i| (100 + (i * 37) % 50 + i) as f64).collect();
        let out = text(&series(days(&v), None));
        let spark = out.lines().nth(1).unwrap().split("  ").next().unwrap();
        assert_eq!(spark.chars().count(), 45, "{out}");
        insta::assert_snapshot!("ninety_days", out);
    }

    #[test]
    fn negative_revenue_and_a_comparison() {
        let tool = find("get_revenue_timeseries").unwrap();
        let rows = json!([
            {"date": "2026-11-01", "revenue": 120.5, "mrr": 1000.0},
            {"date": "2026-11-02", "revenue": -80.0, "mrr": 990.0},
            {"date": "2026-11-03", "revenue": 40.0, "mrr": 995.0}
        ]);
        let previous = json!([
            {"date": "2026-10-29", "revenue": 60.0, "mrr": 980.0},
            {"date": "2026-10-30", "revenue": 70.0, "mrr": 985.0},
            {"date": "2026-10-31", "revenue": 65.0, "mrr": 990.0}
        ]);
        let mut comparison = previous_period(
            "2026-10-29",
            "2026-10-31",
            &[("revenue", 80.5, 195.0), ("mrr", 995.0, 990.0)],
        );
        comparison.series = previous.as_array().cloned();
        let answer = series(rows, Some(comparison));
        let out = format!(
            "{}\n--- summary:{}",
            lead_text(tool, &answer),
            lead_summary(tool, &answer)
        );
        insta::assert_snapshot!("negative_revenue_compared", out);
    }

    #[test]
    fn share_bars_fill_the_number_column() {
        let rows = json!([
            {"path": "/", "pageViews": 8558},
            {"path": "/pricing", "pageViews": 4457},
            {"path": "/a", "pageViews": 120},
            {"path": "/b", "pageViews": 0}
        ]);
        let rows = rows.as_array().unwrap();
        let mut body: Vec<Vec<(String, bool)>> = rows
            .iter()
            .map(|r| {
                vec![
                    (format::thousands(r["pageViews"].as_i64().unwrap()), true),
                    (r["path"].as_str().unwrap().to_string(), false),
                ]
            })
            .collect();
        share_bars(rows, &["pageViews", "path"], &mut body, &[10, 8]);
        let cells: Vec<&str> = body.iter().map(|r| r[0].0.as_str()).collect();
        insta::assert_snapshot!("share_bars", cells.join("\n"));
        // A column its numbers fill gets no bar: it would widen what the model reads.
        let mut full = vec![vec![("8,558".to_string(), true)]];
        share_bars(&rows[..1], &["pageViews"], &mut full, &[5]);
        assert_eq!(full[0][0].0, "8,558");
    }
}
