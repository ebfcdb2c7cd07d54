//! What `structuredContent` holds: the answer shaped for a model, not the upstream's answer.
//!
//! Claude Code and Codex hand their model `JSON.stringify(structuredContent)` and drop the text
//! (measured through the real clients, issue 13), so this is what most models read. It carries
//! what the compact text carries and nothing more: a `summary` (the text's lead: title,
//! headline numbers with their change, the "more exist" note), the `window` as dates and zone,
//! the answer itself (`metrics` for an object, `columns` + `rows` for a table: the columns the
//! text shows, strings sanitized as in the text; a series' rows as the text shows them, with
//! `series` saying how they were bucketed and which are partial), `more` for lists and the
//! `comparison` window with its previous values, in one shape however it was made. The value is
//! the typed [`super::answer::View`], whose schema is the tool's `outputSchema`. No request echo, no instants, no fields the text leaves out
//! (page titles, emails). The upstream's full answer is [`super::ToolOutput::detail`]: `call
//! --json`, or `detail: true` on a tool call.

use serde_json::{Map, Value, json};

use super::answer::{ComparisonView, More, SeriesView, View, WindowView};
use super::buckets::Series;
use super::catalog::ToolDef;
use super::format::{self, Member, headline, members, sanitize, totals};
use crate::chart::Kind;

/// Longest string cell, as in the text.
const MAX_CELL: usize = 48;
/// Rows of a table at most: a list is cut by its `limit` (at most 100), a series re-bucketed.
const MAX_ROWS: usize = 100;

/// The model's view of a tool answer. `full` is the detailed answer (`data`, `window`,
/// `comparison`, `rows`), `series` its buckets when it is a time series; `cached_note` is
/// appended to the summary when the answer was reused.
pub fn view(
    tool: &ToolDef,
    full: &Value,
    series: Option<&Series>,
    cached_note: Option<&str>,
) -> View {
    let data = &full["data"];
    let currency = data.get("currency").and_then(Value::as_str);
    let changes = full
        .get("comparison")
        .and_then(|c| c.get("metrics"))
        .and_then(Value::as_object);
    let mut out = View::default();
    let mut summary = format!("{}:", tool.title);
    match data {
        Value::Array(rows) => {
            if tool.chart == Some(Kind::Series) {
                summary.push_str(&super::trend::lead_summary(tool, full, series));
            } else if let Some(changes) = changes {
                summary.push_str(" totals ");
                summary.push_str(&joined(totals(changes, currency)));
                summary.push(';');
            }
            match series {
                Some(series) => {
                    summary.push_str(&format!(" {}", series.note()));
                    table(tool, &series.rows(), &mut out);
                    out.series = Some(SeriesView::of(series));
                }
                None => {
                    summary.push_str(&format!(" {}", rows_note(tool, full, rows.len())));
                    table(tool, rows, &mut out);
                }
            }
        }
        Value::Object(map) => {
            let mut metrics = Map::new();
            let mut lines = Vec::new();
            for (key, member) in members(tool, map) {
                match member {
                    // An object that holds a table: the table is the answer.
                    Member::Table(rows) => table(tool, rows, &mut out),
                    Member::Group(scalars) if !scalars.is_empty() => {
                        let scalars: Map<String, Value> = scalars
                            .iter()
                            .map(|(k, v)| (k.to_string(), cell(v)))
                            .collect();
                        metrics.insert(key.to_string(), Value::Object(scalars));
                    }
                    Member::Group(_) | Member::Value(Value::Array(_)) => {}
                    Member::Value(scalar) => {
                        // Numbers lead; names and ids are in `metrics` once.
                        if scalar.is_number() {
                            let change = changes.and_then(|c| c.get(key));
                            lines.push(headline(key, scalar, change, currency));
                        }
                        metrics.insert(key.to_string(), cell(scalar));
                    }
                }
            }
            summary.push(' ');
            if lines.is_empty() {
                // Nothing to count (the project): its name is the lead.
                if let Some(Value::String(name)) = metrics.get("name") {
                    summary.push_str(name);
                }
            }
            summary.push_str(&joined(lines.into_iter()));
            if !metrics.is_empty() {
                out.metrics = Some(metrics);
            }
        }
        _ => {}
    }
    if let Some(note) = cached_note {
        summary.push_str(&format!(" ({note})"));
    }
    out.summary = summary.trim_end_matches([' ', ':']).to_string();
    out.window = full.get("window").map(window);
    if let Some(rows) = full.get("rows") {
        out.more = Some(match rows["truncated"] {
            Value::Bool(b) => More::Known(b),
            _ => More::Unknown,
        });
    }
    out.comparison = full.get("comparison").map(comparison);
    out
}

/// The comparison as the model gets it: one shape whether the API compared or we asked again.
fn comparison(c: &Value) -> ComparisonView {
    let previous: Map<String, Value> = c["metrics"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, m)| (k.clone(), whole(&m["previous"])))
        .collect();
    let w = &c["window"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    ComparisonView {
        compare: text(&c["compare"]),
        start_date: text(&w["startDate"]),
        end_date: text(&w["endDate"]),
        same_elapsed_time: c["sameElapsedTime"] == true,
        previous,
    }
}

/// `Unique visitors 9,167 (-3.5% vs 9,500); Page views 31,393 (…)`: headline lines as one.
fn joined(lines: impl Iterator<Item = String>) -> String {
    lines
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `top 10 shown; more exist.`, `all 8 rows.`
fn rows_note(tool: &ToolDef, full: &Value, count: usize) -> String {
    if tool.chart == Some(Kind::Series) {
        let by = full["request"]["params"]["granularity"]
            .as_str()
            .unwrap_or("day");
        // Only a series whose dates could not be read gets here; it is never cut silently.
        if count > MAX_ROWS {
            return format!(
                "first {MAX_ROWS} of {count} rows by {by}; ask for a shorter window or a coarser granularity."
            );
        }
        return format!("{count} rows by {by}.");
    }
    match full.get("rows").map(|r| &r["truncated"]) {
        Some(Value::Bool(true)) => {
            format!("top {count} shown (limit={count}); more exist.")
        }
        Some(Value::Null) => format!("{count} shown, the most one call returns; more may exist."),
        _ if count == 0 => "no rows for this window.".to_string(),
        _ => match tool.rank_by {
            Some(key) => format!(
                "all {count} rows, ranked by {}.",
                format::label(key).to_lowercase()
            ),
            None => format!("all {count} rows."),
        },
    }
}

/// `columns` and `rows`: the columns the text shows, each row as an array in that order.
fn table(tool: &ToolDef, rows: &[Value], out: &mut View) {
    let rows = &rows[..rows.len().min(MAX_ROWS)];
    let columns = format::columns(rows, tool.columns);
    let body: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(*c).map(cell).unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    out.columns = Some(columns.iter().map(|c| c.to_string()).collect());
    out.rows = Some(body);
}

/// A value as the model gets it: upstream strings sanitized as in the text.
fn cell(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(sanitize(s, MAX_CELL)),
        other => other.clone(),
    }
}

/// `34304.0` → `34304`: comparisons are computed in floats, counts read better whole.
fn whole(value: &Value) -> Value {
    match value.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => json!(x as i64),
        _ => value.clone(),
    }
}

/// The window as dates and zone; `includesToday` and the time it runs to only when it does.
fn window(w: &Value) -> WindowView {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let includes_today = w["includesToday"] == true;
    WindowView {
        start_date: text(&w["startDate"]),
        end_date: text(&w["endDate"]),
        timezone: text(&w["timezone"]),
        includes_today,
        until: includes_today
            .then(|| {
                w["end"]
                    .as_str()
                    .and_then(|e| e.get(11..16))
                    .map(str::to_string)
            })
            .flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::find;

    #[test]
    fn a_list_becomes_the_text_columns_with_clean_strings_and_no_echo() {
        let tool = find("get_traffic_sources").unwrap();
        let full = json!({
            "data": [{"source": "<b>x</b> [a](http://e.example)", "visitors": 5, "sessions": 9}],
            "window": {"startDate": "2026-11-14", "endDate": "2026-11-20",
                       "start": "2026-11-14T00:00:00-05:00", "timezone": "UTC",
                       "includesToday": false, "period": "last_7_days"},
            "rows": {"shown": 1, "limit": 1, "truncated": true},
            "request": {"path": "/p", "params": {}},
            "as_of": "2026-11-21T15:30:00Z"
        });
        let v = serde_json::to_value(view(
            tool,
            &full,
            None,
            Some("Reused answer from 15:30:00 UTC."),
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({
                "summary": "Traffic sources: top 1 shown (limit=1); more exist. (Reused answer from 15:30:00 UTC.)",
                "window": {"startDate": "2026-11-14", "endDate": "2026-11-20", "timezone": "UTC"},
                "columns": ["visitors", "source"],
                "rows": [[5, "x a"]],
                "more": true
            })
        );
        let schema = Value::Object(crate::tools::answer::output_schema(tool));
        for key in v.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} not in the schema"
            );
        }
    }

    #[test]
    fn a_series_it_cannot_bucket_says_what_it_shows() {
        let tool = find("get_timeseries").unwrap();
        let rows: Vec<Value> = (0..150)
            .map(|i| json!({"date": format!("week {i}"), "visitors": i}))
            .collect();
        let v = view(tool, &json!({"data": rows}), None, None);
        assert_eq!(v.rows.map(|r| r.len()), Some(100));
        assert!(
            v.summary.ends_with(
                "first 100 of 150 rows by day; ask for a shorter window or a coarser granularity."
            ),
            "{}",
            v.summary
        );
    }

    #[test]
    fn an_overview_leads_with_its_headline_and_keeps_the_previous_values() {
        let tool = find("get_revenue").unwrap();
        let full = json!({
            "data": {"mrr": 120.0, "churnRate": 2.5, "currency": "USD"},
            "window": {"startDate": "2026-11-14", "endDate": "2026-11-20", "timezone": "UTC"},
            "comparison": {"compare": "previous_period", "source": "computed",
                "window": {"startDate": "2026-11-07", "endDate": "2026-11-13"},
                "metrics": {
                    "mrr": {"current": 120.0, "previous": 100.0, "change": 20.0, "changePercent": 20.0},
                    "churnRate": {"current": 2.5, "previous": 3.0, "change": -0.5, "changePercent": -16.7}
                }}
        });
        let v = serde_json::to_value(view(tool, &full, None, None)).unwrap();
        assert_eq!(
            v["summary"],
            "Revenue overview: MRR $120.00 (+20.0% vs $100.00); Churn rate 2.5% (-0.5 pts vs 3.0%)"
        );
        assert_eq!(v["metrics"], json!({"mrr": 120.0, "churnRate": 2.5}));
        assert_eq!(
            v["comparison"],
            json!({"compare": "previous_period", "startDate": "2026-11-07",
                   "endDate": "2026-11-13", "previous": {"mrr": 100, "churnRate": 3}})
        );
    }
}
