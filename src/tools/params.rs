//! Tool arguments: one struct per family of tools, their JSON Schemas, and their checks.
//!
//! The doc comment on each field is the description the model reads, so it is short and names
//! the allowed values. Parsing turns arguments into the query string actually sent upstream.

use std::sync::{Arc, OnceLock};

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::window::{Compare, Period, WindowRequest};
use crate::api::Query;

/// The date window every date-taking tool accepts.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    // The date grammar is stated once, in the server instructions; each parameter only
    // names itself (issue 13: it was repeated in 11 tools the model is given).
    /// Preset, e.g. last_7_days (default).
    // A plain string in the schema: the ten names are listed once, in the instructions, not
    // in 11 tools (1.6 KB the model is given); serde still refuses others, naming them all.
    #[schemars(with = "Option<String>")]
    pub period: Option<Period>,
    /// Start date (or date-time).
    pub start_date: Option<String>,
    /// End date, inclusive.
    pub end_date: Option<String>,
    /// IANA zone (default: the project's).
    pub timezone: Option<String>,
    /// Add the raw API answer.
    pub detail: Option<bool>,
}

/// Tools that take only a date window.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct WindowArgs {
    #[serde(flatten)]
    pub window: Window,
}

/// Tools that take a date window and a comparison.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CompareArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Add changes against an earlier window.
    pub compare: Option<Compare>,
}

/// Time series granularity.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Hour,
    Day,
    Week,
    Month,
}

/// Time series tools.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SeriesArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Bucket size (default day; hour: up to 31 days).
    pub granularity: Option<Granularity>,
    /// Add changes in the totals against an earlier window.
    pub compare: Option<Compare>,
}

/// Ranked-list tools.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Rows, 1-100 (default 10).
    pub limit: Option<i64>,
}

/// How traffic sources are grouped.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceGroup {
    Referrer,
    UtmSource,
    UtmMedium,
    UtmCampaign,
}

/// `get_traffic_sources`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourcesArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Rows, 1-100 (default 10).
    pub limit: Option<i64>,
    /// Default referrer.
    pub group_by: Option<SourceGroup>,
}

/// How locations are grouped.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LocationGroup {
    Country,
    Region,
    City,
}

/// `get_top_locations`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationsArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Rows, 1-100 (default 10).
    pub limit: Option<i64>,
    /// Default country.
    pub group_by: Option<LocationGroup>,
}

/// `get_events`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Rows, 1-100 (default 10).
    pub limit: Option<i64>,
    /// Only this event, e.g. signup_completed.
    pub event_name: Option<String>,
}

/// Tools without arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NoArgs {}

/// Which argument struct a tool takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgsKind {
    None,
    Window,
    Compare,
    Series,
    List,
    Sources,
    Locations,
    Events,
}

impl ArgsKind {
    /// List tools: they take `limit` and report whether more rows exist.
    pub fn takes_limit(self) -> bool {
        matches!(
            self,
            Self::List | Self::Sources | Self::Locations | Self::Events
        )
    }
}

/// The default row count for list tools.
pub const DEFAULT_LIMIT: i64 = 10;

impl ArgsKind {
    /// The tool's `inputSchema`, generated once per kind.
    pub fn input_schema(self) -> Arc<JsonObject> {
        static CACHE: OnceLock<Vec<Arc<JsonObject>>> = OnceLock::new();
        let all = CACHE.get_or_init(|| {
            vec![
                schema::<NoArgs>(),
                schema::<WindowArgs>(),
                schema::<CompareArgs>(),
                schema::<SeriesArgs>(),
                schema::<ListArgs>(),
                schema::<SourcesArgs>(),
                schema::<LocationsArgs>(),
                schema::<EventsArgs>(),
            ]
        });
        let index = match self {
            Self::None => 0,
            Self::Window => 1,
            Self::Compare => 2,
            Self::Series => 3,
            Self::List => 4,
            Self::Sources => 5,
            Self::Locations => 6,
            Self::Events => 7,
        };
        all[index].clone()
    }

    /// Checks `args` and returns what to ask upstream. Unknown argument names are refused (a
    /// typo such as `start_date` would otherwise silently widen the window).
    pub fn parse(self, args: &Map<String, Value>) -> Result<Plan, String> {
        let schema = self.input_schema();
        let known: Vec<&str> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if let Some(unknown) = args.keys().find(|k| !known.contains(&k.as_str())) {
            let accepted = if known.is_empty() {
                "this tool takes no arguments".to_string()
            } else {
                format!("accepted: {}", known.join(", "))
            };
            return Err(format!(
                "unknown argument `{}`; {accepted}.",
                crate::text::clean(unknown, 40)
            ));
        }
        check_types(&schema, args)?;
        let value = Value::Object(args.clone());
        let mut plan = Plan::default();
        match self {
            Self::None => {}
            Self::Window => {
                let a: WindowArgs = from_value(value)?;
                plan.set_window(a.window);
            }
            Self::Compare => {
                let a: CompareArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.compare = a.compare;
            }
            Self::Series => {
                let a: SeriesArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.compare = a.compare;
                let g = a.granularity.unwrap_or(Granularity::Day);
                plan.extra.push(("granularity".into(), enum_name(&g)));
            }
            Self::List => {
                let a: ListArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.limit = Some(check_limit(a.limit)?);
            }
            Self::Sources => {
                let a: SourcesArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.limit = Some(check_limit(a.limit)?);
                let g = a.group_by.unwrap_or(SourceGroup::Referrer);
                plan.extra.push(("groupBy".into(), enum_name(&g)));
            }
            Self::Locations => {
                let a: LocationsArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.limit = Some(check_limit(a.limit)?);
                let g = a.group_by.unwrap_or(LocationGroup::Country);
                plan.extra.push(("groupBy".into(), enum_name(&g)));
            }
            Self::Events => {
                let a: EventsArgs = from_value(value)?;
                plan.set_window(a.window);
                plan.limit = Some(check_limit(a.limit)?);
                if let Some(name) = a.event_name {
                    let name = name.trim();
                    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                        return Err(
                            "`eventName` must be a non-empty event name of at most 200 characters."
                                .into(),
                        );
                    }
                    plan.extra.push(("eventName".into(), name.to_string()));
                }
            }
        }
        Ok(plan)
    }
}

/// Checks each argument's JSON type (and enum value) against the schema, so an error names the
/// argument even where serde cannot (inside flattened structs).
fn check_types(schema: &JsonObject, args: &Map<String, Value>) -> Result<(), String> {
    let props = schema.get("properties").and_then(Value::as_object);
    for (name, value) in args {
        let Some(prop) = props.and_then(|p| p.get(name)) else {
            continue;
        };
        let expected = prop.get("type").and_then(Value::as_str).unwrap_or_default();
        let fits = match expected {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        let shown = crate::text::clean(&value.to_string(), 40);
        if !fits {
            let what = match expected {
                "integer" => "a whole number",
                "string" => "a string",
                other => other,
            };
            return Err(format!("`{name}` must be {what}, not {shown}."));
        }
        if let Some(allowed) = prop.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .map(|a| format!("`{a}`"))
                .collect();
            return Err(format!(
                "`{name}` = {shown} is not accepted; use one of {}.",
                list.join(", ")
            ));
        }
    }
    Ok(())
}

/// What a tool call asks of the upstream, once its arguments are checked.
#[derive(Debug, Default)]
pub struct Plan {
    /// The date window, still to be resolved in the project's time zone.
    pub window: Option<WindowRequest>,
    pub compare: Option<Compare>,
    /// Rows the caller wants (list tools).
    pub limit: Option<i64>,
    /// Other query parameters, in the order sent.
    pub extra: Query,
    /// The caller asked for the API's full answer too (`detail: true`).
    pub detail: bool,
}

impl Plan {
    fn set_window(&mut self, window: Window) {
        self.detail = window.detail.unwrap_or(false);
        self.window = Some(window.into());
    }
}

impl From<Window> for WindowRequest {
    fn from(w: Window) -> Self {
        WindowRequest {
            start_date: w.start_date,
            end_date: w.end_date,
            period: w.period,
            timezone: w.timezone,
        }
    }
}

/// A JSON Schema (2020-12) for `T` as clients validate it: optional arguments are simply not
/// required (no `"type": [..., "null"]`, which single-type schema dialects reject), and the
/// Rust type's own name and doc stay out of what the model reads.
fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    // Inlined enums: some clients do not resolve `$ref`.
    let root = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = serde_json::to_value(root).unwrap_or_default();
    drop_null_branches(&mut value);
    strip_in(&mut value, &["format"]);
    let mut object = match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    object.remove("title");
    object.remove("description");
    // Clients hand the schema to the model as it is: `$schema` and `format: int64` cost
    // bytes in every tool and tell the model nothing (issue 13).
    object.remove("$schema");

    object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    Arc::new(object)
}

/// Removes `keys` from every schema object in `value` (no argument is named like them).
fn strip_in(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for key in keys {
                map.remove(*key);
            }
            map.values_mut().for_each(|v| strip_in(v, keys));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_in(v, keys)),
        _ => {}
    }
}

/// `Option<T>` fields come out of schemars as `"type": [T, "null"]`, `anyOf: [T, null]` or an
/// `enum` that lists `null`.
/// An argument that may be left out needs no `null`, so both become plain `T`.
fn drop_null_branches(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let single = types.remove(0);
                    map.insert("type".into(), single);
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            if let Some(Value::Array(branches)) = map.get("anyOf") {
                let kept: Vec<Value> = branches
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                    .cloned()
                    .collect();
                if let [Value::Object(only)] = kept.as_slice() {
                    map.remove("anyOf");
                    for (k, v) in only {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            map.values_mut().for_each(drop_null_branches);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_branches),
        _ => {}
    }
}

/// Deserializes with the path of the offending field in the message.
fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            format!("{inner}.")
        } else {
            format!("`{path}`: {inner}.")
        }
    })
}

/// The serde name of a unit enum variant (`utm_source`, `week`).
fn enum_name<T: std::fmt::Debug>(value: &T) -> String {
    let debug = format!("{value:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn check_limit(limit: Option<i64>) -> Result<i64, String> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=100).contains(&limit) {
        return Err(format!(
            "`limit` = {limit} is out of range; use a whole number from 1 to 100."
        ));
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn plans_carry_defaults_and_given_values() {
        let p = ArgsKind::Sources
            .parse(&args(
                json!({"startDate": "2026-10-01", "groupBy": "utm_campaign", "limit": 5}),
            ))
            .unwrap();
        assert_eq!(p.window.unwrap().start_date.as_deref(), Some("2026-10-01"));
        assert_eq!(p.limit, Some(5));
        assert_eq!(
            p.extra,
            vec![("groupBy".to_string(), "utm_campaign".to_string())]
        );
        let p = ArgsKind::Series
            .parse(&args(
                json!({"period": "last_month", "compare": "previous_year"}),
            ))
            .unwrap();
        assert_eq!(p.window.unwrap().period, Some(Period::LastMonth));
        assert_eq!(p.compare, Some(Compare::PreviousYear));
        assert_eq!(
            p.extra,
            vec![("granularity".to_string(), "day".to_string())]
        );
        let e = ArgsKind::Window
            .parse(&args(json!({"period": "last_week"})))
            .unwrap_err();
        assert!(
            e.contains("last_7_days") && e.contains("month_to_date"),
            "{e}"
        );
        let e = ArgsKind::Window
            .parse(&args(json!({"compare": "previous_year"})))
            .unwrap_err();
        assert!(e.contains("unknown argument `compare`"), "{e}");
    }

    #[test]
    fn refuses_bad_values_with_what_is_accepted() {
        let e = ArgsKind::List
            .parse(&args(json!({"limit": 0})))
            .unwrap_err();
        assert!(e.contains("1 to 100"), "{e}");
        let e = ArgsKind::List
            .parse(&args(json!({"limit": "ten"})))
            .unwrap_err();
        assert!(e.contains("`limit`"), "{e}");
        let e = ArgsKind::Locations
            .parse(&args(json!({"groupBy": "planet"})))
            .unwrap_err();
        assert!(e.contains("country") && e.contains("city"), "{e}");
        let e = ArgsKind::Window
            .parse(&args(json!({"start_date": "2026-10-01"})))
            .unwrap_err();
        assert!(
            e.contains("unknown argument `start_date`") && e.contains("startDate"),
            "{e}"
        );
        let e = ArgsKind::None.parse(&args(json!({"x": 1}))).unwrap_err();
        assert!(e.contains("takes no arguments"), "{e}");
    }

    #[test]
    fn schemas_have_no_bare_true_properties() {
        for kind in [
            ArgsKind::None,
            ArgsKind::Window,
            ArgsKind::Compare,
            ArgsKind::Series,
            ArgsKind::List,
            ArgsKind::Sources,
            ArgsKind::Locations,
            ArgsKind::Events,
        ] {
            let schema = Value::Object((*kind.input_schema()).clone());
            assert_eq!(schema["type"], "object");
            let text = schema.to_string();
            assert!(
                !text.contains("null") && !text.contains("$ref"),
                "{kind:?}: {text}"
            );
            if let Some(props) = schema["properties"].as_object() {
                for (name, p) in props {
                    assert!(p.is_object(), "{kind:?}.{name} is {p}");
                }
            }
        }
    }
}
