//! Tool arguments: one struct per family of tools, each a [`ToolArgs`], from which come its
//! `inputSchema` (what `tools/list` and `analytics-mcp tools` show), the checks a call's
//! arguments get, and the [`Plan`] of what to ask upstream.
//!
//! The doc comment on each field is the description the model reads, so it is short and names
//! the allowed values. Uses `schema` and `window`.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::schema;
use super::window::{Compare, Period, WindowRequest};
use crate::api::Query;

/// An argument struct. Its fields make the tool's schema; [`Args::parse`] checks a call's
/// arguments against that schema, deserializes them and asks [`ToolArgs::plan`] for the rest.
pub trait ToolArgs: DeserializeOwned + JsonSchema {
    /// The struct as a value: the key its schema is kept under, and what tests and
    /// benchmarks compare a tool's arguments with. One kind per struct.
    const KIND: ArgsKind;
    /// What to ask upstream, refusing what the schema cannot say (`limit` out of range, an
    /// empty event name).
    fn plan(self) -> Result<Plan, String>;
}

/// The names of the argument structs, one per [`ToolArgs`] implementation (each struct's
/// schema is kept under its kind's name in `schemas.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgsKind {
    None,
    Window,
    Compare,
    Series,
    List,
    Sources,
    Locations,
    Events,
    /// `explain_change`'s arguments.
    Explain,
}

// Facts about a tool's arguments are typed here, by kind, not probed from schema property
// names (issue 21); a test checks each against the struct's schema.
impl ArgsKind {
    /// Takes a date window (and so answers for one).
    pub fn takes_window(self) -> bool {
        !matches!(self, Self::None)
    }

    /// Takes a row `limit` (a ranked list).
    pub fn takes_limit(self) -> bool {
        matches!(
            self,
            Self::List | Self::Sources | Self::Locations | Self::Events
        )
    }

    /// Takes `compare` (and so may answer with a comparison).
    pub fn takes_compare(self) -> bool {
        matches!(self, Self::Compare | Self::Series | Self::Explain)
    }
}

/// The arguments a catalog entry takes: a [`ToolArgs`] struct, kept as its functions so the
/// catalog can be a constant.
#[derive(Clone, Copy)]
pub struct Args {
    kind: ArgsKind,
    /// schemars' schema of the struct, which `schemas.json` must equal (tests only: the
    /// binary reads the file, see `schema`).
    #[cfg(test)]
    schema: fn() -> JsonObject,
    plan: fn(Value) -> Result<Plan, String>,
}

impl Args {
    pub const fn of<A: ToolArgs>() -> Self {
        Self {
            kind: A::KIND,
            #[cfg(test)]
            schema: schema::of::<A>,
            plan: plan_of::<A>,
        }
    }

    pub fn kind(&self) -> ArgsKind {
        self.kind
    }

    /// The tool's `inputSchema`, as schemars made it for the struct (`schemas.json`).
    pub fn input_schema(&self) -> Arc<JsonObject> {
        schema::input(&format!("{:?}", self.kind))
    }

    /// True when the schema has an argument `name`.
    pub fn accepts(&self, name: &str) -> bool {
        schema::names(&self.input_schema()).contains(&name)
    }

    /// Checks `args` and returns what to ask upstream.
    pub fn parse(&self, args: &Map<String, Value>) -> Result<Plan, String> {
        let schema = self.input_schema();
        let mut args = args.clone();
        schema::coerce(&schema, &mut args);
        schema::check(&schema, &args)?;
        (self.plan)(Value::Object(args))
    }
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Args").field(&self.kind).finish()
    }
}

impl PartialEq<ArgsKind> for Args {
    fn eq(&self, kind: &ArgsKind) -> bool {
        self.kind == *kind
    }
}

fn plan_of<A: ToolArgs>(value: Value) -> Result<Plan, String> {
    from_value::<A>(value)?.plan()
}

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

impl ToolArgs for WindowArgs {
    const KIND: ArgsKind = ArgsKind::Window;
    fn plan(self) -> Result<Plan, String> {
        Ok(Plan::over(self.window))
    }
}

/// Tools that take a date window and a comparison.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CompareArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Add changes against an earlier window.
    pub compare: Option<Compare>,
}

impl ToolArgs for CompareArgs {
    const KIND: ArgsKind = ArgsKind::Compare;
    fn plan(self) -> Result<Plan, String> {
        Ok(Plan {
            compare: self.compare,
            ..Plan::over(self.window)
        })
    }
}

/// Time series granularity.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Hour,
    #[default]
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

impl ToolArgs for SeriesArgs {
    const KIND: ArgsKind = ArgsKind::Series;
    fn plan(self) -> Result<Plan, String> {
        let granularity = self.granularity.unwrap_or_default();
        Ok(Plan {
            compare: self.compare,
            extra: vec![("granularity".into(), serde_name(&granularity))],
            ..Plan::over(self.window)
        })
    }
}

/// Ranked-list tools.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListArgs {
    #[serde(flatten)]
    pub window: Window,
    /// Rows, 1-100 (default 10).
    pub limit: Option<i64>,
}

impl ToolArgs for ListArgs {
    const KIND: ArgsKind = ArgsKind::List;
    fn plan(self) -> Result<Plan, String> {
        Plan::list(self.window, self.limit)
    }
}

/// How traffic sources are grouped.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceGroup {
    #[default]
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

impl ToolArgs for SourcesArgs {
    const KIND: ArgsKind = ArgsKind::Sources;
    fn plan(self) -> Result<Plan, String> {
        Plan::list(self.window, self.limit)?.grouped(self.group_by)
    }
}

/// How locations are grouped.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LocationGroup {
    #[default]
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

impl ToolArgs for LocationsArgs {
    const KIND: ArgsKind = ArgsKind::Locations;
    fn plan(self) -> Result<Plan, String> {
        Plan::list(self.window, self.limit)?.grouped(self.group_by)
    }
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

impl ToolArgs for EventsArgs {
    const KIND: ArgsKind = ArgsKind::Events;
    fn plan(self) -> Result<Plan, String> {
        let mut plan = Plan::list(self.window, self.limit)?;
        if let Some(name) = self.event_name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
                return Err(
                    "`eventName` must be a non-empty event name of at most 200 characters.".into(),
                );
            }
            plan.extra.push(("eventName".into(), name.to_string()));
        }
        Ok(plan)
    }
}

/// Tools without arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NoArgs {}

impl ToolArgs for NoArgs {
    const KIND: ArgsKind = ArgsKind::None;
    fn plan(self) -> Result<Plan, String> {
        Ok(Plan::default())
    }
}

/// The default row count for list tools.
pub const DEFAULT_LIMIT: i64 = 10;

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
    /// A plan for `window`, the rest to be filled in.
    pub(super) fn over(window: Window) -> Self {
        Self {
            detail: window.detail.unwrap_or(false),
            window: Some(window.into()),
            ..Self::default()
        }
    }

    /// A plan for a list: `window` and the `limit` rows asked for (1 to 100).
    fn list(window: Window, limit: Option<i64>) -> Result<Self, String> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=100).contains(&limit) {
            return Err(format!(
                "`limit` = {limit} is out of range; use a whole number from 1 to 100."
            ));
        }
        Ok(Self {
            limit: Some(limit),
            ..Self::over(window)
        })
    }

    /// Adds `groupBy`, the grouping asked for or the default one.
    fn grouped<G: Serialize + Default>(mut self, group: Option<G>) -> Result<Self, String> {
        let group = group.unwrap_or_default();
        self.extra.push(("groupBy".into(), serde_name(&group)));
        Ok(self)
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

/// Deserializes with the path of the offending field in the message. What the schema checks
/// leave to serde is an enum the schema does not list (`period`, `compare`): its message is
/// said in our words, naming the argument and the accepted values.
fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    let args = value.clone();
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if let Some(said) = unknown_variant(&inner, &path, &args) {
            return said;
        }
        if path == "." || path.is_empty() {
            format!("{inner}.")
        } else {
            format!("`{path}`: {inner}.")
        }
    })
}

/// serde's "unknown variant `x`, expected one of `a`, `b`" as "`period` = "x" is not
/// accepted; use one of `a`, `b`. Did you mean `a`?". Inside a flattened struct serde loses
/// the field's name, so it is found by its value.
fn unknown_variant(inner: &str, path: &str, args: &Value) -> Option<String> {
    let rest = inner.strip_prefix("unknown variant `")?;
    let (given, rest) = rest.split_once('`')?;
    let accepted: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let name = if path.is_empty() || path == "." {
        args.as_object()?
            .iter()
            .find(|(_, v)| v.as_str() == Some(given))
            .map(|(k, _)| k.as_str())?
    } else {
        path
    };
    let list: Vec<String> = accepted.iter().map(|a| format!("`{a}`")).collect();
    Some(format!(
        "`{name}` = \"{}\" is not accepted; use one of {}.{}",
        crate::text::clean(given, 40),
        list.join(", "),
        schema::did_you_mean(given, accepted.iter().copied())
    ))
}

/// The name serde gives a unit enum variant (`utm_source`, `week`): what the upstream is sent.
pub(super) fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `schemas.json` as schemars makes it from this build's types: each argument struct's
    /// schema by kind (found through the catalog), and the typed answer's.
    fn generated_schemas() -> String {
        let mut inputs = Map::new();
        for tool in crate::tools::CATALOG
            .iter()
            .chain([&crate::tools::compare_projects::COMPARE_PROJECTS])
        {
            let kind = format!("{:?}", tool.args.kind());
            if !inputs.contains_key(&kind) {
                inputs.insert(kind, Value::Object((tool.args.schema)()));
            }
        }
        let file = json!({"inputs": inputs, "answer": crate::tools::answer::generated_schema()});
        serde_json::to_string_pretty(&file).unwrap() + "\n"
    }

    /// The binary reads the schemas from `schemas.json` instead of running schemars (see
    /// `schema`); this keeps the file equal to what the types say.
    #[test]
    fn the_stored_schemas_are_what_schemars_makes_of_the_types() {
        let generated = generated_schemas();
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tools/schemas.json");
            std::fs::write(path, &generated).unwrap();
            return;
        }
        assert!(
            generated == schema::STORED,
            "src/tools/schemas.json differs from the argument and answer types; rewrite it \
             with `UPDATE_SCHEMAS=1 cargo test --lib stored_schemas` and review the diff"
        );
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn plans_carry_defaults_and_given_values() {
        let p = Args::of::<SourcesArgs>()
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
        let p = Args::of::<SeriesArgs>()
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
        let e = Args::of::<WindowArgs>()
            .parse(&args(json!({"period": "last_week"})))
            .unwrap_err();
        assert!(
            e.contains("last_7_days") && e.contains("month_to_date"),
            "{e}"
        );
        let e = Args::of::<WindowArgs>()
            .parse(&args(json!({"compare": "previous_year"})))
            .unwrap_err();
        assert!(e.contains("unknown argument `compare`"), "{e}");
    }

    #[test]
    fn refuses_bad_values_with_what_is_accepted() {
        let e = Args::of::<ListArgs>()
            .parse(&args(json!({"limit": 0})))
            .unwrap_err();
        assert!(e.contains("1 to 100"), "{e}");
        let e = Args::of::<ListArgs>()
            .parse(&args(json!({"limit": "ten"})))
            .unwrap_err();
        assert!(e.contains("`limit`"), "{e}");
        let e = Args::of::<LocationsArgs>()
            .parse(&args(json!({"groupBy": "planet"})))
            .unwrap_err();
        assert!(e.contains("country") && e.contains("city"), "{e}");
        let e = Args::of::<WindowArgs>()
            .parse(&args(json!({"start_date": "2026-10-01"})))
            .unwrap_err();
        assert!(
            e.contains("unknown argument `start_date`") && e.contains("startDate"),
            "{e}"
        );
        let e = Args::of::<NoArgs>()
            .parse(&args(json!({"x": 1})))
            .unwrap_err();
        assert!(e.contains("takes no arguments"), "{e}");
    }

    #[test]
    fn each_kind_names_one_struct() {
        for a in crate::tools::CATALOG {
            for b in crate::tools::CATALOG {
                if a.args == b.args.kind() {
                    assert_eq!((a.args.schema)(), (b.args.schema)(), "{}", a.name);
                }
            }
        }
    }

    #[test]
    fn schemas_have_no_bare_true_properties() {
        for tool in crate::tools::CATALOG {
            let kind = tool.args.kind();
            let schema = Value::Object((*tool.args.input_schema()).clone());
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
