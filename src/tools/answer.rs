//! The typed answer a model is sent as `structuredContent` (issue 21): one Rust type, from
//! which both the value and the tool's `outputSchema` come, so the two cannot drift apart.
//!
//! [`View`] is built by `shape` from the call's answer; [`output_schema`] cuts the schema
//! schemars makes of the same types (kept in `schemas.json`, which a test holds to the types)
//! to the members the tool can have (facts typed on its catalog entry: a window, a limit, a
//! comparison, a series). Uses `catalog`, `buckets` and `schema`.

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::anomaly::AnomalyView;
use super::buckets::{Partial, Series, Unit};
use super::catalog::{Shape, Source, ToolDef};
use super::explain_math::Explanation;
use crate::chart::Kind;

/// What `structuredContent` holds: the answer first, then what it is about.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The answer in one line: headline numbers with their change, or the trend.
    pub summary: String,
    /// The window answered for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowView>,
    /// An overview's numbers, by the API's names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Map<String, Value>>,
    /// A table's columns, in the order of each row's cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// A table's rows: every row the API sent (a list: up to `limit`; a long series:
    /// re-bucketed, see `series`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Cells>>")]
    pub rows: Option<Vec<Vec<Value>>>,
    /// A time series' buckets: the granularity, any regrouping and the partial rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesView>,
    /// A list: true when more rows exist than `limit`, null when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<More>,
    /// The window compared with and its values, however the comparison was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonView>,
    /// `explain_change`: the change and the items in each breakdown that carry it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// Days that break the weekly pattern (same weekday over the weeks before); only when
    /// some do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<Vec<AnomalyView>>,
    /// Only on an answer reused from the cache: when the API was asked (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// With `detail: true`: the API's answer as sent, the request and the window's instants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Map<String, Value>>,
}

/// A row's cells (strings, numbers or null) in the order of `columns`. Declared as an array
/// of anything: a bare `true` item schema is what strict clients (Inspector `--strict`) refuse.
struct Cells;

impl JsonSchema for Cells {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cells".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "array"})
    }
}

/// The window as dates and zone, and whether its end is now (today is not over).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    pub start_date: String,
    pub end_date: String,
    pub timezone: String,
    /// Only when true: the window ends now, inside an unfinished today.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub includes_today: bool,
    /// With `includesToday`: the local time the data runs to, `10:30`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Whether a list has more rows than it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum More {
    Known(bool),
    /// The list is as long as one call returns: more may exist.
    Unknown,
}

impl JsonSchema for More {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "More".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"anyOf": [{"type": "boolean"}, {"type": "null"}]})
    }
}

/// A series' buckets as the answer shows them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesView {
    /// The granularity the API answered in.
    pub granularity: Unit,
    /// How many buckets it sent.
    pub buckets: usize,
    /// When the series was long: the older buckets grouped by this unit, the newest kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regrouped: Option<Unit>,
    /// Rows that are not a whole bucket: cut by the window, or unfinished.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<PartialRow>,
}

/// A row that is not a whole bucket.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartialRow {
    /// The row's `date`.
    pub date: String,
    /// The days it covers.
    pub days: i64,
    /// Only when true: it runs to now (today so far).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
}

impl SeriesView {
    pub fn of(series: &Series) -> Self {
        Self {
            granularity: series.unit,
            buckets: series.source.len(),
            regrouped: series.regrouped,
            partial: series
                .partial()
                .map(|b| PartialRow {
                    date: b.date(),
                    days: b.days(),
                    unfinished: b.partial == Some(Partial::Unfinished),
                })
                .collect(),
        }
    }
}

/// The comparison: which, over which dates, and the earlier values by metric.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonView {
    /// `previous_period` or `previous_year`.
    pub compare: String,
    pub start_date: String,
    pub end_date: String,
    /// Only when true: the earlier window is cut at the same time of day as this one, which
    /// ends now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub same_elapsed_time: bool,
    /// The earlier window's value of each compared metric.
    pub previous: Map<String, Value>,
}

/// [`View`]'s schema as schemars makes it, which `schemas.json` must equal (tests only: the
/// binary reads the file, see `schema`; generating it at run time made a cold start's first
/// `tools/list` cost milliseconds, BENCHMARKS.md, issue 23).
#[cfg(test)]
pub fn generated_schema() -> Value {
    use schemars::generate::{Contract, SchemaSettings};
    let root = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.contract = Contract::Serialize;
        })
        .into_generator()
        .into_root_schema_for::<View>();
    let mut value = serde_json::to_value(root).unwrap_or_default();
    // The docs above are for readers of this code; clients hand the schema on as it is, and
    // every tool would pay for them (no member of `View` is named like these keys).
    super::schema::strip_in(&mut value, &["$schema", "title", "description"]);
    value
}

/// [`View`]'s members as every tool's `outputSchema` shows them, cut once per process:
/// optional members are left out, never null (`more` alone is null by design).
static MEMBERS: std::sync::LazyLock<JsonObject> = std::sync::LazyLock::new(|| {
    let mut members = match super::schema::answer().get("properties") {
        Some(Value::Object(members)) => members.clone(),
        _ => JsonObject::new(),
    };
    for (name, member) in members.iter_mut() {
        if name != "more" {
            super::schema::drop_null_branches(member);
        }
    }
    members
});

/// The tool's `outputSchema`: [`View`]'s schema, with the members this tool can have. Only
/// those are copied: a cold start's first `tools/list` makes one per tool.
pub fn output_schema(tool: &ToolDef) -> JsonObject {
    let windowed = tool.args.kind().takes_window();
    let keep = |name: &str| match name {
        "summary" => true,
        "window" | "detail" => windowed,
        "metrics" => tool.shape == Shape::Object && tool.source != Source::Explain,
        "explanation" => tool.source == Source::Explain,
        "anomalies" => tool.chart == Some(Kind::Series) || tool.source == Source::Explain,
        "columns" | "rows" => tool.shape == Shape::Rows,
        "series" => tool.chart == Some(Kind::Series),
        "more" => tool.args.kind().takes_limit(),
        "comparison" => tool.args.kind().takes_compare(),
        "asOf" => tool.source == Source::Endpoint,
        _ => false,
    };
    let mut schema = JsonObject::new();
    if let Value::Object(answer) = super::schema::answer() {
        for (key, value) in answer {
            let value = if key == "properties" {
                let kept = MEMBERS.iter().filter(|(name, _)| keep(name));
                Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
            } else {
                value.clone()
            };
            schema.insert(key.clone(), value);
        }
    }
    let required: &[&str] = if windowed {
        &["summary", "window"]
    } else {
        &["summary"]
    };
    schema.insert("required".into(), json!(required));
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::CATALOG;

    #[test]
    fn each_schema_has_what_its_tool_can_answer() {
        for tool in CATALOG {
            let schema = Value::Object(output_schema(tool));
            let props = schema["properties"].as_object().unwrap();
            assert_eq!(props["summary"]["type"], "string", "{}", tool.name);
            assert_eq!(
                props.contains_key("comparison"),
                tool.args.kind().takes_compare(),
                "{}",
                tool.name
            );
            assert_eq!(
                props.contains_key("series"),
                tool.chart == Some(Kind::Series)
            );
        }
        let series = Value::Object(output_schema(crate::tools::find("get_timeseries").unwrap()));
        assert_eq!(
            series["properties"]["series"]["properties"]["granularity"]["enum"],
            json!(["hour", "day", "week", "month"])
        );
        let list = Value::Object(output_schema(crate::tools::find("get_top_pages").unwrap()));
        assert_eq!(
            list["properties"]["more"]["anyOf"],
            json!([{"type": "boolean"}, {"type": "null"}])
        );
    }
}
