//! `explain_change` (issue 25): why a metric changed between two windows, from the breakdowns
//! that carry it, and which days of the window broke the weekly pattern.
//!
//! What one call asks the API, all at once and each through the shared cache and the limiter
//! (so a second identical call within the cache lifetime asks nothing): the overview in both
//! windows (none for events, whose total is their list's sum), each breakdown in both windows
//! with `limit` 100, and one daily series from eight weeks before the window to its end (none
//! for events): at most `2 × (dimensions + 1) + 1` requests. The arithmetic is
//! `explain_math`'s; the days flagged are `anomaly`'s. Uses `api`, `window`, `format`.

use futures_util::future::try_join_all;
use jiff::ToSpan;
use serde_json::{Value, json};

use super::anomaly::{self, AnomalyView};
use super::answer::{ComparisonView, View};
use super::catalog::ToolDef;
use super::data::Data;
use super::explain_args::{Dimension, Metric, of_plan};
use super::explain_math::{self, Contributor, Explanation};
use super::format;
use super::params::Plan;
use super::shape;
use super::typed::Answer;
use super::window::{Compare, Resolved, rfc3339};
use super::{ToolError, ToolOutput};
use crate::api::Query;

/// Rows asked for per breakdown: the most one request returns.
pub const LIMIT: usize = 100;
/// Weeks of daily history asked for before the window, for the anomaly flags.
const HISTORY_WEEKS: i64 = 8;

/// Where the runner asks the API: the toolbox, through its cache and limiter.
pub(crate) trait Upstream {
    /// `tool`'s path asked with `query`: the answer's data and whether the cache held it.
    fn fetch(
        &self,
        tool: &'static str,
        query: Query,
    ) -> impl Future<Output = Result<(Value, bool), ToolError>>;
}

/// Runs `explain_change` for a plan from `ExplainArgs` over `window`.
pub(crate) async fn run(
    up: &impl Upstream,
    tool: &ToolDef,
    plan: &Plan,
    window: Resolved,
) -> Result<ToolOutput, ToolError> {
    let (metric, dimensions) = of_plan(plan);
    let compare = plan.compare.unwrap_or(Compare::PreviousPeriod);
    let previous = window
        .previous(compare)
        .map_err(|message| ToolError::InvalidArgs {
            tool: tool.name,
            message,
        })?;
    // Every request of the call, in a fixed order: overview, breakdowns, series.
    let mut asks: Vec<(&'static str, Query)> = Vec::new();
    if let Some(overview) = metric.overview() {
        asks.push((overview, window.query()));
        asks.push((overview, previous.query()));
    }
    for d in &dimensions {
        let (source, group) = d.source();
        for w in [&window, &previous] {
            let mut q = w.query();
            q.push(("limit".into(), LIMIT.to_string()));
            if let Some(g) = group {
                q.push(("groupBy".into(), g.into()));
            }
            asks.push((source, q));
        }
    }
    let series = metric.series().map(|(source, column)| {
        let from = window.start.date().checked_sub((7 * HISTORY_WEEKS).days());
        let start = from
            .ok()
            .and_then(|d| d.to_zoned(window.start.time_zone().clone()).ok())
            .unwrap_or_else(|| window.start.clone());
        let q: Query = vec![
            ("startDate".into(), rfc3339(&start)),
            ("endDate".into(), rfc3339(&window.end)),
            ("timezone".into(), window.timezone.clone()),
            ("granularity".into(), "day".into()),
        ];
        asks.push((source, q));
        column
    });
    let answers = try_join_all(asks.iter().map(|(t, q)| up.fetch(t, q.clone()))).await?;
    let requests = answers.iter().filter(|(_, cached)| !cached).count();
    let mut data = answers.into_iter().map(|(v, _)| v);

    let mut totals = Vec::new();
    if metric.overview().is_some() {
        totals.push(data.next().unwrap_or_default());
        totals.push(data.next().unwrap_or_default());
    }
    let lists: Vec<(Dimension, Value, Value)> = dimensions
        .iter()
        .map(|d| {
            (
                *d,
                data.next().unwrap_or_default(),
                data.next().unwrap_or_default(),
            )
        })
        .collect();
    let (current, before) = match totals.as_slice() {
        [now, then] => (value(now, metric), value(then, metric)),
        // Events: the total is the list's sum.
        _ => lists
            .first()
            .map(|(d, now, then)| (sum(&items(*d, now, metric)), sum(&items(*d, then, metric))))
            .unwrap_or((0.0, 0.0)),
    };
    let change = current - before;
    let dims = lists
        .iter()
        .map(|(d, now, then)| {
            let (now, then) = (items(*d, now, metric), items(*d, then, metric));
            let cut = now.len() >= LIMIT || then.len() >= LIMIT;
            explain_math::dimension(&d.name(), &now, &then, change, cut)
        })
        .collect();
    let explanation = explain_math::explanation(&metric.name(), current, before, dims);
    let anomalies = match (series, data.next()) {
        (Some(column), Some(rows)) => flagged(&rows, column, &window),
        _ => Vec::new(),
    };
    let mut out = output(
        tool,
        &window,
        &previous,
        compare,
        explanation,
        anomalies,
        requests,
    );
    if plan.detail {
        // `detail: true`: the whole explanation and the windows' instants beside the view.
        if let Value::Object(view) = &mut out.structured {
            view.insert(
                "detail".into(),
                serde_json::to_value(&out.answer).unwrap_or_default(),
            );
        }
    }
    Ok(out)
}

/// The days of the window that break the weekly pattern; today so far is not judged.
fn flagged(rows: &Value, column: &str, window: &Resolved) -> Vec<AnomalyView> {
    let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    let skip: Vec<_> = window
        .includes_today
        .then(|| window.end.date())
        .into_iter()
        .collect();
    anomaly::daily(rows, &[column], window.start.date(), &skip)
}

/// An overview's total of `metric`.
fn value(data: &Value, metric: Metric) -> f64 {
    metric
        .fields()
        .iter()
        .find_map(|f| data.get(*f).and_then(Value::as_f64))
        .unwrap_or(0.0)
}

/// A breakdown's `(item, value)` pairs: rows without a name or a value are left out.
fn items(dimension: Dimension, data: &Value, metric: Metric) -> Vec<(String, f64)> {
    let rows = data.as_array().map(Vec::as_slice).unwrap_or_default();
    rows.iter()
        .filter_map(|row| {
            let name = dimension
                .labels()
                .iter()
                .find_map(|l| row.get(*l).and_then(Value::as_str))?;
            Some((format::sanitize(name, 60), value(row, metric)))
        })
        .collect()
}

fn sum(items: &[(String, f64)]) -> f64 {
    items.iter().map(|(_, v)| v).sum()
}

/// The answer: text, the typed view, and `detail`.
fn output(
    tool: &ToolDef,
    window: &Resolved,
    previous: &Resolved,
    compare: Compare,
    e: Explanation,
    anomalies: Vec<AnomalyView>,
    requests: usize,
) -> ToolOutput {
    let (headline, lead) = headline(&e);
    let summary = match &lead {
        Some(lead) => format!("{}: {headline}; largest: {lead}.", tool.title),
        None => format!("{}: {headline}.", tool.title),
    };
    let mut text = format!(
        "{}\n{}\nvs {}\n{headline}\n",
        tool.title,
        window.label(),
        previous.label()
    );
    if let Some(lead) = &lead {
        text.push_str(&format!("Largest: {lead}\n"));
    }
    for d in &e.dimensions {
        text.push('\n');
        text.push_str(&dimension_text(d, e.change, &e.metric));
    }
    if !anomalies.is_empty() {
        text.push('\n');
        for a in &anomalies {
            text.push_str(&anomaly::line(a));
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "\n{requests} request{} to the API for this answer.",
        if requests == 1 { "" } else { "s" }
    ));
    let view = View {
        summary,
        window: Some(shape::window(window)),
        comparison: Some(ComparisonView {
            compare: compare.name().into(),
            start_date: previous.start.date().to_string(),
            end_date: previous.end.date().to_string(),
            same_elapsed_time: window.includes_today,
            previous: [(
                e.metric.clone(),
                serde_json::to_value(&e)
                    .map(|v| v["previous"].clone())
                    .unwrap_or_default(),
            )]
            .into_iter()
            .collect(),
        }),
        explanation: Some(e.clone()),
        anomalies: (!anomalies.is_empty()).then(|| anomalies.clone()),
        ..View::default()
    };
    // `call --json` and `detail: true`: the whole explanation, the earlier window and the
    // requests it cost, as this call's one answer.
    let answer = Answer {
        data: Data::parse(json!({
            "explanation": e,
            "previousWindow": previous.echo(),
            "requests": requests,
        })),
        window: Some(window.clone()),
        anomalies,
        ..Answer::default()
    };
    ToolOutput {
        text,
        structured: serde_json::to_value(view).unwrap_or_default(),
        answer,
        chart: None,
    }
}

/// `Visitors 8,120 vs 6,410: +1,710 (+26.7%)`, and the item that carries the most of the
/// change in its direction: `news.ycombinator.com +2,519 (referrers)`.
fn headline(e: &Explanation) -> (String, Option<String>) {
    let mut s = format!(
        "{} {} vs {}: {}",
        format::label(&e.metric),
        number(e.current, &e.metric),
        number(e.previous, &e.metric),
        signed(e.change, &e.metric)
    );
    if let Some(p) = e.change_percent {
        s.push_str(&format!(" ({}%)", plus(p, format::decimal(p, 1))));
    }
    let lead = e
        .dimensions
        .iter()
        .flat_map(|d| {
            let side = if e.change >= 0.0 { &d.up } else { &d.down };
            side.first().map(|c| (c, &d.dimension))
        })
        .max_by(|a, b| a.0.change.abs().total_cmp(&b.0.change.abs()))
        .map(|(c, dim)| {
            let item: String = c.item.chars().take(40).collect();
            format!("{item} {} ({dim})", signed(c.change, &e.metric))
        });
    (s, lead)
}

/// One dimension in text: what its items carry, what they do not, then the contributors up
/// and down.
fn dimension_text(d: &explain_math::Dimension, change: f64, metric: &str) -> String {
    let carried = d
        .coverage
        .map(|c| format!(", {}% of it", format::decimal(c, 1)));
    let which = if d.cut {
        format!("top {}", d.items)
    } else {
        format!("all {}", d.items)
    };
    let mut out = format!(
        "{} ({which}): carry {}{}",
        format::label(&d.dimension),
        // What the listed items carry together: the change minus `other`.
        signed(change - d.other, metric),
        carried.unwrap_or_default()
    );
    if d.other != 0.0 {
        let beyond = if d.cut {
            "beyond the list"
        } else {
            "not in this breakdown"
        };
        out.push_str(&format!("; {} {beyond}", signed(d.other, metric)));
    }
    out.push('\n');
    for (arrow, c) in
        d.up.iter()
            .map(|c| ("▲", c))
            .chain(d.down.iter().map(|c| ("▼", c)))
    {
        out.push_str(&contributor_line(arrow, c, metric));
    }
    out
}

fn contributor_line(arrow: &str, c: &Contributor, metric: &str) -> String {
    let share = c
        .share
        .map(|s| format!("{}%", format::decimal(s, 1)))
        .unwrap_or_default();
    let status = match c.status {
        Some(s) => format!(
            " ({})",
            serde_json::to_value(s)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("")
        ),
        None => String::new(),
    };
    let item: String = c.item.chars().take(40).collect();
    format!(
        "  {arrow} {item:<40} {:>12} {share:>8}{status}\n",
        signed(c.change, metric)
    )
}

fn number(x: f64, metric: &str) -> String {
    if metric == "revenue" {
        format::decimal(x, 2)
    } else {
        format::thousands(x.round() as i64)
    }
}

fn signed(x: f64, metric: &str) -> String {
    plus(x, number(x, metric))
}

fn plus(x: f64, text: String) -> String {
    if x > 0.0 { format!("+{text}") } else { text }
}
