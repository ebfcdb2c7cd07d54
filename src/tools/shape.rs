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
//! the typed [`super::answer::View`], whose schema is the tool's `outputSchema`, built from the
//! call's typed [`Answer`] like the text. No request echo, no instants, no fields the text
//! leaves out (page titles, emails). The whole answer is [`super::ToolOutput::answer`]: `call
//! --json`, or `detail: true` on a tool call.

use serde_json::{Map, Value, json};

use super::answer::{ComparisonView, More, SeriesView, View, WindowView};
use super::catalog::ToolDef;
use super::compare::Comparison;
use super::data::Data;
use super::format::{self, Member, headline, members, sanitize, totals};
use super::typed::Answer;
use super::window::Resolved;
use crate::chart::Kind;

/// Longest string cell, as in the text.
const MAX_CELL: usize = 48;
/// Rows of a table at most: a list is cut by its `limit` (at most 100), a series re-bucketed.
const MAX_ROWS: usize = 100;

/// The model's view of a tool answer; an answer reused from the cache says so in its summary
/// and its `asOf`.
pub fn view(tool: &ToolDef, answer: &Answer) -> View {
    let currency = answer.currency();
    let changes = answer.changes();
    let mut out = View::default();
    let mut summary = format!("{}:", tool.title);
    match &answer.data {
        Data::Rows(rows) => {
            if tool.chart == Some(Kind::Series) {
                summary.push_str(&super::trend::lead_summary(tool, answer));
            } else if let Some(changes) = changes {
                summary.push_str(" totals ");
                summary.push_str(&joined(totals(changes, currency)));
                summary.push(';');
            }
            match &answer.series {
                Some(series) => {
                    summary.push_str(&format!(" {}", series.note()));
                    table(tool, &series.rows(), &mut out);
                    out.series = Some(SeriesView::of(series));
                }
                None => {
                    summary.push_str(&format!(" {}", rows_note(tool, answer, rows.len())));
                    table(tool, rows, &mut out);
                }
            }
        }
        Data::Object(map) => {
            let mut metrics = Map::new();
            let mut lines = Vec::new();
            let mut name = None;
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
                        let value = cell(scalar);
                        if let ("name", Value::String(text)) = (key, &value) {
                            name = Some(text.clone());
                        }
                        metrics.insert(key.to_string(), value);
                    }
                }
            }
            summary.push(' ');
            if lines.is_empty() {
                // Nothing to count (the project): its name is the lead.
                if let Some(name) = &name {
                    summary.push_str(name);
                }
            }
            summary.push_str(&joined(lines.into_iter()));
            if !metrics.is_empty() {
                out.metrics = Some(metrics);
            }
        }
    }
    // Freshness: an answer reused from the cache says when the API was asked.
    if let Some(note) = answer.reused() {
        summary.push_str(&format!(" ({note})"));
        out.as_of = answer.as_of.map(|t| t.to_string());
    }
    out.summary = summary.trim_end_matches([' ', ':']).to_string();
    out.window = answer.window.as_ref().map(window);
    out.more = answer.rows.map(|cut| match cut.truncated {
        Some(b) => More::Known(b),
        None => More::Unknown,
    });
    out.comparison = answer.comparison.as_ref().map(comparison);
    out.anomalies = (!answer.anomalies.is_empty()).then(|| answer.anomalies.clone());
    out
}

/// The comparison as the model gets it: one shape whether the API compared or we asked again.
fn comparison(c: &Comparison) -> ComparisonView {
    let previous: Map<String, Value> = c
        .metrics
        .iter()
        .map(|(k, m)| (k.to_string(), whole(&json!(m.previous))))
        .collect();
    ComparisonView {
        compare: c.compare.to_string(),
        start_date: c.window.start.date().to_string(),
        end_date: c.window.end.date().to_string(),
        same_elapsed_time: c.same_elapsed_time,
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
fn rows_note(tool: &ToolDef, answer: &Answer, count: usize) -> String {
    if tool.chart == Some(Kind::Series) {
        let by = answer.granularity();
        // Only a series whose dates could not be read gets here; it is never cut silently.
        if count > MAX_ROWS {
            return format!(
                "first {MAX_ROWS} of {count} rows by {by}; ask for a shorter window or a coarser granularity."
            );
        }
        return format!("{count} rows by {by}.");
    }
    match answer.rows.map(|cut| cut.truncated) {
        Some(Some(true)) => {
            format!("top {count} shown (limit={count}); more exist.")
        }
        Some(None) => format!("{count} shown, the most one call returns; more may exist."),
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
pub(super) fn window(w: &Resolved) -> WindowView {
    WindowView {
        start_date: w.start.date().to_string(),
        end_date: w.end.date().to_string(),
        timezone: w.timezone.clone(),
        includes_today: w.includes_today,
        until: w
            .includes_today
            .then(|| w.end.strftime("%H:%M").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::data::Cut;
    use crate::tools::find;
    use crate::tools::typed::days_window;
    use crate::tools::typed::previous_period;

    #[test]
    fn a_list_becomes_the_text_columns_with_clean_strings_and_no_echo() {
        let tool = find("get_traffic_sources").unwrap();
        let mut answer = Answer::of(Data::parse(json!(
            [{"source": "<b>x</b> [a](http://e.example)", "visitors": 5, "sessions": 9}]
        )));
        answer.window = Some(days_window("2026-11-14", "2026-11-20"));
        answer.rows = Some(Cut {
            shown: 1,
            limit: 1,
            truncated: Some(true),
        });
        answer.as_of = Some("2026-11-21T15:30:00Z".parse().unwrap());
        answer.cached = true;
        let v = serde_json::to_value(view(tool, &answer)).unwrap();
        assert_eq!(
            v,
            json!({
                "summary": "Traffic sources: top 1 shown (limit=1); more exist. (Reused answer from 15:30:00 UTC.)",
                "window": {"startDate": "2026-11-14", "endDate": "2026-11-20", "timezone": "UTC"},
                "columns": ["visitors", "source"],
                "rows": [[5, "x a"]],
                "more": true,
                "asOf": "2026-11-21T15:30:00Z"
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
        let v = view(tool, &Answer::of(Data::Rows(rows)));
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
        let mut answer = Answer::of(Data::parse(
            json!({"mrr": 120.0, "churnRate": 2.5, "currency": "USD"}),
        ));
        answer.window = Some(days_window("2026-11-14", "2026-11-20"));
        answer.comparison = Some(previous_period(
            "2026-11-07",
            "2026-11-13",
            &[("mrr", 120.0, 100.0), ("churnRate", 2.5, 3.0)],
        ));
        let v = serde_json::to_value(view(tool, &answer)).unwrap();
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
