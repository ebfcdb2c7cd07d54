//! What `structuredContent` holds: the answer shaped for a model, not the upstream's answer.
//!
//! Claude Code and Codex hand their model `JSON.stringify(structuredContent)` and drop the text
//! (measured through the real clients, issue 13), so this is what most models read. It carries
//! what the compact text carries and nothing more: a `summary` (the text's lead: title,
//! headline numbers with their change, the "more exist" note), the `window` as dates and zone,
//! the answer itself (`metrics` for an object, `columns` + `rows` for a table: the columns the
//! text shows, strings sanitized as in the text), `more` for lists and the `comparison`
//! window with its previous values. No request echo, no instants, no fields the text leaves out
//! (page titles, emails). The upstream's full answer is [`super::ToolOutput::detail`]: `call
//! --json`, or `detail: true` on a tool call.

use serde_json::{Map, Value, json};

use super::catalog::{Shape, ToolDef};
use super::format::{self, Member, headline, members, sanitize, totals};
use crate::chart::Kind;

/// Longest string cell, as in the text.
const MAX_CELL: usize = 48;
/// Rows of a table at most (a time series may have more; they stay in `detail`).
const MAX_ROWS: usize = 100;

/// The model's view of a tool answer. `full` is the detailed answer (`data`, `window`,
/// `comparison`, `rows`); `cached_note` is appended to the summary when the answer was reused.
pub fn view(tool: &ToolDef, full: &Value, cached_note: Option<&str>) -> Value {
    let data = &full["data"];
    let currency = data.get("currency").and_then(Value::as_str);
    let changes = full
        .get("comparison")
        .and_then(|c| c.get("metrics"))
        .and_then(Value::as_object);
    let mut out = Map::new();
    let mut summary = format!("{}:", tool.title);
    match data {
        Value::Array(rows) => {
            if tool.chart == Some(Kind::Series) {
                summary.push_str(&super::trend::lead_summary(tool, full));
            } else if let Some(changes) = changes {
                summary.push_str(" totals ");
                summary.push_str(&joined(totals(changes, currency)));
                summary.push(';');
            }
            summary.push_str(&format!(" {}", rows_note(tool, full, rows.len())));
            table(tool, rows, &mut out);
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
                out.insert("metrics".into(), Value::Object(metrics));
            }
        }
        _ => {}
    }
    if let Some(note) = cached_note {
        summary.push_str(&format!(" ({note})"));
    }
    let summary = summary.trim_end_matches([' ', ':']).to_string();
    let mut view = Map::new();
    view.insert("summary".into(), Value::String(summary));
    if let Some(w) = full.get("window") {
        view.insert("window".into(), window(w));
    }
    view.extend(out);
    if let Some(rows) = full.get("rows") {
        view.insert("more".into(), rows["truncated"].clone());
    }
    if let Some(c) = full.get("comparison") {
        let previous: Map<String, Value> = c["metrics"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, m)| (k.clone(), whole(&m["previous"])))
            .collect();
        let w = &c["window"];
        view.insert(
            "comparison".into(),
            json!({
                "compare": c["compare"],
                "startDate": w["startDate"],
                "endDate": w["endDate"],
                "previous": previous,
            }),
        );
    }
    Value::Object(view)
}

/// `Unique visitors 9,167 (-3.5% vs 9,500); Page views 31,393 (…)`: headline lines as one.
fn joined(lines: impl Iterator<Item = String>) -> String {
    lines
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `10 shown; more exist.`, `all 8 rows.`, `7 rows by day.`
fn rows_note(tool: &ToolDef, full: &Value, count: usize) -> String {
    if tool.chart == Some(Kind::Series) {
        let by = full["request"]["params"]["granularity"]
            .as_str()
            .unwrap_or("day");
        return format!("{count} rows by {by}.");
    }
    match full.get("rows").map(|r| &r["truncated"]) {
        Some(Value::Bool(true)) => format!("top {count} shown; more exist."),
        Some(Value::Null) => format!("{count} shown, the most one call returns; more may exist."),
        _ if count == 0 => "no rows for this window.".to_string(),
        _ => format!("all {count} rows."),
    }
}

/// `columns` and `rows`: the columns the text shows, each row as an array in that order.
fn table(tool: &ToolDef, rows: &[Value], out: &mut Map<String, Value>) {
    let rows = &rows[..rows.len().min(MAX_ROWS)];
    let columns = format::columns(rows, tool.columns);
    let body: Vec<Value> = rows
        .iter()
        .map(|row| {
            Value::Array(
                columns
                    .iter()
                    .map(|c| row.get(*c).map(cell).unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    out.insert("columns".into(), json!(columns));
    out.insert("rows".into(), Value::Array(body));
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

/// The window as dates and zone; `includesToday` only when it does.
fn window(w: &Value) -> Value {
    let mut out = json!({
        "startDate": w["startDate"],
        "endDate": w["endDate"],
        "timezone": w["timezone"],
    });
    if w["includesToday"] == true {
        out["includesToday"] = json!(true);
    }
    out
}

/// The `outputSchema` for what [`view`] returns (with `detail` when asked for).
pub fn output_schema(tool: &ToolDef) -> Map<String, Value> {
    let windowed = tool.args.takes_window();
    let string = || typed("string");
    let mut properties = vec![("summary", string())];
    if windowed {
        let window = [
            ("startDate", string()),
            ("endDate", string()),
            ("timezone", string()),
            ("includesToday", typed("boolean")),
        ];
        let required = ["startDate", "endDate", "timezone"];
        properties.push(("window", Value::Object(object(window, &required))));
        properties.push(("detail", typed("object")));
    }
    match tool.shape {
        Shape::Object => properties.push(("metrics", typed("object"))),
        Shape::Rows => {
            properties.push(("columns", json!({"type": "array", "items": string()})));
            properties.push(("rows", json!({"type": "array", "items": typed("array")})));
        }
    }
    if tool.args.accepts("limit") {
        properties.push(("more", json!({"anyOf": [typed("boolean"), typed("null")]})));
    }
    if tool.args.accepts("compare") {
        let comparison = [
            ("compare", string()),
            ("startDate", string()),
            ("endDate", string()),
            ("previous", typed("object")),
        ];
        let required = ["compare", "startDate", "endDate", "previous"];
        properties.push(("comparison", Value::Object(object(comparison, &required))));
    }
    let required: &[&str] = if windowed {
        &["summary", "window"]
    } else {
        &["summary"]
    };
    object(properties, required)
}

/// `{"type": T}`.
fn typed(name: &str) -> Value {
    json!({ "type": name })
}

/// An object schema with `properties` in order, of which `required` must be present.
fn object(
    properties: impl IntoIterator<Item = (&'static str, Value)>,
    required: &[&str],
) -> Map<String, Value> {
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_string(), schema))
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), json!(required));
    schema
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
        let v = view(tool, &full, Some("Reused answer from 15:30:00 UTC."));
        assert_eq!(
            v,
            json!({
                "summary": "Traffic sources: top 1 shown; more exist. (Reused answer from 15:30:00 UTC.)",
                "window": {"startDate": "2026-11-14", "endDate": "2026-11-20", "timezone": "UTC"},
                "columns": ["visitors", "source"],
                "rows": [[5, "x a"]],
                "more": true
            })
        );
        let schema = Value::Object(output_schema(tool));
        for key in v.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} not in the schema"
            );
        }
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
        let v = view(tool, &full, None);
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
