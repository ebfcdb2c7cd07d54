//! The tools the model sees: their catalog, and running one against the Read API.
//!
//! Both `serve` (through `mcp`) and the terminal `call` run tools through [`Toolbox::call`],
//! so a person at a terminal sees exactly what a model would. Uses `api` and `credentials`.

pub mod compare;
pub mod dates;
pub mod guide;
pub mod params;
#[cfg(test)]
mod props;
pub mod render;
pub mod window;

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::api::cache::{Cache, Fetched};
use crate::api::endpoints::{Endpoints, PROJECT_PLACEHOLDER};
use crate::api::{ApiClient, ApiError, Query};
use crate::clock;
pub use params::ArgsKind;
use params::Plan;
use window::Resolved;

/// The shape the upstream `data` usually has, for rendering and the output schema's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Rows,
}

/// One tool: what the model reads about it and which arguments it takes.
#[derive(Debug)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: ArgsKind,
    pub shape: Shape,
    /// Columns the text table shows, in order (numbers first, the label last so it needs no
    /// padding). Empty: every scalar column. `structuredContent` always has every field.
    pub columns: &'static [&'static str],
}

/// Every tool, in the order `tools/list` shows them.
pub const CATALOG: &[ToolDef] = &[
    ToolDef {
        name: "get_project",
        title: "Project",
        description: "The signed-in project: its id, name and time zone. Call first when unsure which site the data is for.",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_analytics",
        title: "Traffic overview",
        description: "Headline traffic for a date window: unique visitors, pageviews, sessions, bounce rate (%) and average visit duration, with the change against the previous period. Answers 'how many visitors this week?' and 'is traffic up?'.",
        args: ArgsKind::Compare,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_timeseries",
        title: "Traffic over time",
        description: "Visitors, pageviews and sessions per hour, day, week or month across a date window; compare adds changes in the totals. Answers 'how is traffic trending?'.",
        args: ArgsKind::Series,
        shape: Shape::Rows,
        columns: &["date", "visitors", "pageViews", "sessions"],
    },
    ToolDef {
        name: "get_realtime",
        title: "Active visitors now",
        description: "How many visitors are on the site right now (last few minutes).",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_top_pages",
        title: "Top pages",
        description: "Pages ranked by pageviews in a date window, with visitors per page.",
        args: ArgsKind::List,
        shape: Shape::Rows,
        columns: &["pageViews", "visitors", "path"],
    },
    ToolDef {
        name: "get_traffic_sources",
        title: "Traffic sources",
        description: "Where visitors came from in a date window, grouped by referrer or by UTM source, medium or campaign.",
        args: ArgsKind::Sources,
        shape: Shape::Rows,
        columns: &["visitors", "source", "referrer"],
    },
    ToolDef {
        name: "get_top_locations",
        title: "Top locations",
        description: "Visitors by country, region or city in a date window.",
        args: ArgsKind::Locations,
        shape: Shape::Rows,
        columns: &["visitors", "city", "region", "country"],
    },
    ToolDef {
        name: "get_events",
        title: "Custom events",
        description: "Custom events (signups, clicks, purchases…) with counts and unique visitors in a date window; filter to one event with eventName.",
        args: ArgsKind::Events,
        shape: Shape::Rows,
        columns: &["count", "eventName"],
    },
    ToolDef {
        name: "get_revenue",
        title: "Revenue overview",
        description: "Revenue for a date window: MRR, ARR, revenue collected, active, new and churned subscriptions, churn rate; compare adds changes. Answers 'what is my MRR?'.",
        args: ArgsKind::Compare,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_revenue_timeseries",
        title: "Revenue over time",
        description: "Revenue, new and churned subscriptions and MRR per hour, day, week or month across a date window; compare adds changes in the totals.",
        args: ArgsKind::Series,
        shape: Shape::Rows,
        columns: &[
            "date",
            "revenue",
            "newSubscriptions",
            "churnedSubscriptions",
            "mrr",
        ],
    },
    ToolDef {
        name: "get_top_customers",
        title: "Top customers",
        description: "Customers ranked by revenue in a date window, with plan and start date.",
        args: ArgsKind::List,
        shape: Shape::Rows,
        columns: &["revenue", "plan", "name"],
    },
    ToolDef {
        name: "get_channel_roi",
        title: "Channel ROI",
        description: "Per marketing channel in a date window: visitors, customers, revenue, ad spend, CAC, LTV and ROI (%). Answers 'which channel pays off best?'.",
        args: ArgsKind::Window,
        shape: Shape::Rows,
        columns: &["revenue", "adSpend", "roi", "channel"],
    },
    ToolDef {
        name: "get_api_usage",
        title: "API usage",
        description: "This server's use of the analytics API: requests left in the current rate-limit window, when it resets, and requests made since start. Costs no API request.",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
];

/// Finds a tool by name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    CATALOG.iter().find(|t| t.name == name)
}

/// The tool's `outputSchema`.
pub fn output_schema(tool: &ToolDef) -> Map<String, Value> {
    let data_description = match tool.shape {
        Shape::Object => "The Read API's answer, as sent (usually an object of metrics).",
        Shape::Rows => "The Read API's answer, as sent (usually an array of rows).",
    };
    let string = json!({"type": "string"});
    let mut properties = Map::new();
    let mut required = vec![json!("data")];
    properties.insert(
        "data".into(),
        json!({"anyOf": [{"type": "object"}, {"type": "array"}], "description": data_description}),
    );
    let window = json!({
        "type": "object",
        "description": "The window actually used.",
        "properties": {
            "startDate": string, "endDate": string,
            "start": {"type": "string", "description": "RFC 3339 instant"},
            "end": {"type": "string", "description": "RFC 3339 instant"},
            "timezone": string,
            "period": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "includesToday": {"type": "boolean", "description": "The window reaches into today, which is not over."}
        },
        "required": ["startDate", "endDate", "start", "end", "timezone", "includesToday"]
    });
    if tool.args != ArgsKind::None {
        properties.insert("window".into(), window.clone());
        required.push(json!("window"));
    }
    if matches!(tool.args, ArgsKind::Compare | ArgsKind::Series) {
        let change = json!({
            "type": "object",
            "properties": {
                "current": {"type": "number"}, "previous": {"type": "number"},
                "change": {"type": "number"},
                "changePercent": {"anyOf": [{"type": "number"}, {"type": "null"}], "description": "null when the previous value is 0"}
            },
            "required": ["current", "previous", "change", "changePercent"]
        });
        properties.insert(
            "comparison".into(),
            json!({
                "type": "object",
                "description": "Present when compared with another window.",
                "properties": {
                    "compare": {"type": "string", "enum": ["previous_period", "previous_year"]},
                    "source": {"type": "string", "enum": ["upstream", "computed"]},
                    "window": window,
                    "metrics": {"type": "object", "additionalProperties": change}
                },
                "required": ["compare", "source", "window", "metrics"]
            }),
        );
    }
    if tool.args.takes_limit() {
        properties.insert(
            "rows".into(),
            json!({
                "type": "object",
                "properties": {
                    "shown": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "truncated": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "description": "More rows exist; null when limit is 100 and that cannot be known."}
                },
                "required": ["shown", "limit", "truncated"]
            }),
        );
        required.push(json!("rows"));
    }
    if tool.name != "get_api_usage" && tool.name != "get_project" {
        properties.insert(
            "as_of".into(),
            json!({"type": "string", "description": "When the API produced this answer (RFC 3339); older than the call when reused from the cache."}),
        );
        required.push(json!("as_of"));
    }
    if tool.name != "get_api_usage" {
        properties.insert(
            "request".into(),
            json!({
                "type": "object",
                "description": "What was sent upstream.",
                "properties": {
                    "path": {"type": "string", "description": "Read API path, under the base URL."},
                    "params": {
                        "type": "object",
                        "description": "Query parameters actually sent.",
                        "additionalProperties": {"type": "string"}
                    }
                },
                "required": ["path", "params"]
            }),
        );
        required.push(json!("request"));
    }
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    schema
}

/// A successful tool answer.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What a model or person reads.
    pub text: String,
    /// `structuredContent`, matching [`output_schema`].
    pub structured: Value,
}

/// Why a tool did not answer.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error("invalid arguments for {tool}: {message}")]
    InvalidArgs { tool: &'static str, message: String },
    #[error("not signed in — run `analytics-mcp login` (or set ANALYTICS_MCP_API_KEY)")]
    NotSignedIn,
    #[error("{}", .0.user_message())]
    Api(#[from] ApiError),
}

impl ToolError {
    /// The one sentence shown as the tool result.
    pub fn message(&self) -> String {
        match self {
            Self::UnknownTool(name) => format!(
                "Unknown tool `{}`. Known tools: {}.",
                crate::api::error::clean(name, 60),
                CATALOG
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::InvalidArgs { tool, message } => {
                format!("Invalid arguments for {tool}: {message}")
            }
            other => other.to_string(),
        }
    }
}

/// Options that shape answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show customer emails as `b…@example.com`, in text and structured content.
    pub mask_emails: bool,
    /// How long answers are reused; `None`: [`DEFAULT_TTL`] ([`REALTIME_TTL`] for realtime).
    pub cache_ttl: Option<std::time::Duration>,
}

/// How long an answer is reused by default.
pub const DEFAULT_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a realtime answer is reused at most.
pub const REALTIME_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs tools: the API client, the endpoint table and the project id.
#[derive(Debug)]
pub struct Toolbox {
    api: Arc<ApiClient>,
    endpoints: Endpoints,
    fixed_project: Option<String>,
    options: Options,
    me: OnceCell<Value>,
    cache: Cache,
}

impl Toolbox {
    pub fn new(api: Arc<ApiClient>, endpoints: Endpoints, project: Option<String>) -> Self {
        Self {
            api,
            endpoints,
            fixed_project: project,
            options: Options::default(),
            me: OnceCell::new(),
            cache: Cache::default(),
        }
    }

    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// `GET /me`, once per process.
    pub async fn me(&self) -> Result<&Value, ToolError> {
        if !self.api.has_credential() {
            return Err(ToolError::NotSignedIn);
        }
        let path = self.endpoints.me().to_string();
        self.me
            .get_or_try_init(|| async {
                let data = self.api.get(&path, &Query::new()).await?;
                if data.get("projectId").and_then(Value::as_str).is_none() {
                    return Err(ToolError::Api(ApiError::Shape(
                        "GET /me has no data.projectId".into(),
                    )));
                }
                Ok(data)
            })
            .await
    }

    async fn project_id(&self) -> Result<String, ToolError> {
        let id = match &self.fixed_project {
            Some(id) => id.clone(),
            None => self
                .me()
                .await?
                .get("projectId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        };
        // The id lands in a URL path; refuse anything that could change the path's meaning.
        let safe = !id.is_empty()
            && id.len() <= 128
            && id != "."
            && id != ".."
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c));
        if safe {
            Ok(id)
        } else {
            Err(ToolError::Api(ApiError::Shape(format!(
                "project id `{}` has characters a project id cannot have",
                crate::api::error::clean(&id, 40)
            ))))
        }
    }

    /// The project's time zone from `GET /me` (UTC when it names none).
    async fn project_timezone(&self) -> Result<String, ToolError> {
        Ok(self
            .me()
            .await?
            .get("timezone")
            .and_then(Value::as_str)
            .unwrap_or("UTC")
            .to_string())
    }

    /// Runs one tool with the arguments a client sent.
    pub async fn call(
        &self,
        name: &str,
        args: Option<&Map<String, Value>>,
    ) -> Result<ToolOutput, ToolError> {
        let tool = find(name).ok_or_else(|| ToolError::UnknownTool(name.to_string()))?;
        let empty = Map::new();
        let invalid = |message: String| ToolError::InvalidArgs {
            tool: tool.name,
            message,
        };
        let plan = tool.args.parse(args.unwrap_or(&empty)).map_err(invalid)?;
        if tool.name == "get_api_usage" {
            return Ok(self.api_usage(tool));
        }
        if !self.api.has_credential() {
            return Err(ToolError::NotSignedIn);
        }
        let template = self.endpoints.template(tool.name).unwrap_or_default();
        if tool.name == "get_project" {
            let data = self.me().await?.clone();
            let structured = json!({"data": data, "request": {"path": template, "params": {}}});
            return Ok(ToolOutput {
                text: render::render(tool, &structured),
                structured,
            });
        }
        let window = match &plan.window {
            Some(req) => {
                // The project's zone is only needed when the call names none.
                let tz = match req.timezone {
                    Some(_) => "UTC".to_string(),
                    None => self.project_timezone().await?,
                };
                // Whole minutes: answers within a minute share a window, and so a cache entry.
                let now = clock::now();
                let now =
                    jiff::Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60))
                        .unwrap_or(now);
                Some(window::resolve(req, &tz, now).map_err(invalid)?)
            }
            None => None,
        };
        let path = if template.contains(PROJECT_PLACEHOLDER) {
            template.replace(PROJECT_PLACEHOLDER, &self.project_id().await?)
        } else {
            template.to_string()
        };
        let query = |w: Option<&Resolved>| -> Query {
            let mut q = w.map(Resolved::query).unwrap_or_default();
            if let Some(limit) = plan.limit {
                // One row more than asked, so "more rows exist" is known, not guessed.
                q.push(("limit".into(), (limit + 1).min(100).to_string()));
            }
            q.extend(plan.extra.iter().cloned());
            q
        };
        let sent = query(window.as_ref());
        let ttl = self.ttl(tool);
        let fetched = self.api.get_shared(&self.cache, &path, &sent, ttl).await?;
        let (as_of, cached) = (fetched.as_of, fetched.cached);
        let mut data = normalize(fetched.data);
        let comparison = self
            .compare(tool, &plan, window.as_ref(), &path, &query, &data)
            .await?;
        let rows = plan.limit.map(|limit| cut_rows(&mut data, limit));
        if self.options.mask_emails {
            mask_emails(&mut data);
        }
        let mut structured = json!({ "data": data });
        if let Some(w) = &window {
            structured["window"] = w.echo();
        }
        if let Some(c) = comparison {
            structured["comparison"] = c;
        }
        if let Some(r) = rows {
            structured["rows"] = r;
        }
        let params: Map<String, Value> = sent
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        structured["request"] = json!({ "path": path, "params": params });
        structured["as_of"] = json!(as_of.to_string());
        let mut text = render::render_with_window(tool, &structured, window.as_ref());
        if cached {
            text.push_str(&format!(
                "\n(Reused answer from {} UTC.)",
                as_of.strftime("%H:%M:%S")
            ));
        }
        Ok(ToolOutput { text, structured })
    }

    /// How long this tool's answers are reused.
    fn ttl(&self, tool: &ToolDef) -> std::time::Duration {
        let ttl = self.options.cache_ttl.unwrap_or(DEFAULT_TTL);
        if tool.name == "get_realtime" {
            ttl.min(REALTIME_TTL)
        } else {
            ttl
        }
    }

    /// The `comparison` member: asked for with `compare`, or offered by the upstream.
    async fn compare(
        &self,
        tool: &ToolDef,
        plan: &Plan,
        window: Option<&Resolved>,
        path: &str,
        query: &impl Fn(Option<&Resolved>) -> Query,
        data: &Value,
    ) -> Result<Option<Value>, ToolError> {
        let Some(window) = window else {
            return Ok(None);
        };
        let upstream = compare::upstream_previous(data);
        let wanted = match (plan.compare, upstream) {
            (Some(c), _) => c,
            // The upstream compared on its own: pass that on, it costs nothing.
            (None, Some(_)) => window::Compare::PreviousPeriod,
            (None, None) => return Ok(None),
        };
        let previous = window
            .previous(wanted)
            .map_err(|message| ToolError::InvalidArgs {
                tool: tool.name,
                message,
            })?;
        let (prev_data, source) = match upstream {
            Some(prev) if wanted == window::Compare::PreviousPeriod => {
                (Value::Object(prev.clone()), "upstream")
            }
            _ => {
                let Fetched { data, .. } = self
                    .api
                    .get_shared(&self.cache, path, &query(Some(&previous)), self.ttl(tool))
                    .await?;
                (normalize(data), "computed")
            }
        };
        Ok(Some(compare::build(
            data,
            &prev_data,
            wanted.name(),
            source,
            previous.echo(),
        )))
    }

    fn api_usage(&self, tool: &ToolDef) -> ToolOutput {
        let rate = self.api.rate_limit();
        let structured = json!({
            "data": {
                "rateLimit": {
                    "limit": rate.limit,
                    "remaining": rate.remaining,
                    "reset": rate.reset,
                },
                "requestsMade": self.api.request_count(),
            }
        });
        let text = match (rate.remaining, rate.limit) {
            (Some(left), Some(limit)) => format!(
                "{}\n{left} of {limit} requests left in the current rate-limit window{}. This server has made {} requests since it started.",
                tool.title,
                rate.reset.as_deref().map(reset_label).unwrap_or_default(),
                self.api.request_count()
            ),
            _ => format!(
                "{}\nNo rate-limit headers seen yet; this server has made {} requests since it started.",
                tool.title,
                self.api.request_count()
            ),
        };
        ToolOutput { text, structured }
    }
}

/// ` (resets in 42 s)`, however the upstream spelled the reset (the limiter's parser and, like
/// the limiter, the real clock, not the pinnable data clock), or the raw value when unreadable.
fn reset_label(raw: &str) -> String {
    match crate::api::limiter::parse_reset(raw, jiff::Timestamp::now()) {
        Some(wait) => format!(" (resets in {} s)", wait.as_secs_f64().ceil()),
        None => format!(" (resets {})", crate::api::error::clean(raw, 40)),
    }
}

/// The output schema promises an object or an array.
fn normalize(data: Value) -> Value {
    match data {
        d @ (Value::Object(_) | Value::Array(_)) => d,
        other => json!({ "value": other }),
    }
}

/// Keeps the first `limit` rows and says whether more exist.
fn cut_rows(data: &mut Value, limit: i64) -> Value {
    let limit = usize::try_from(limit).unwrap_or(0);
    let rows = match data {
        Value::Array(rows) => Some(rows),
        Value::Object(map) => map.values_mut().find_map(|v| v.as_array_mut()),
        _ => None,
    };
    let Some(rows) = rows else {
        return json!({"shown": 0, "limit": limit, "truncated": false});
    };
    let truncated = if rows.len() > limit {
        rows.truncate(limit);
        json!(true)
    } else if limit >= 100 && rows.len() == limit {
        Value::Null
    } else {
        json!(false)
    };
    json!({"shown": rows.len(), "limit": limit, "truncated": truncated})
}

/// `billing@acme.example` → `b…@acme.example`, in every string that looks like an email.
fn mask_emails(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some((local, domain)) = s.split_once('@')
                && !local.is_empty()
                && domain.contains('.')
                && !s.contains(char::is_whitespace)
            {
                let first: String = local.chars().take(1).collect();
                *s = format!("{first}…@{domain}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_emails),
        Value::Object(map) => map.values_mut().for_each(mask_emails),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_to_the_limit_with_an_exact_flag() {
        let mut d = json!([1, 2, 3, 4]);
        assert_eq!(
            cut_rows(&mut d, 3),
            json!({"shown": 3, "limit": 3, "truncated": true})
        );
        assert_eq!(d, json!([1, 2, 3]));
        let mut d = json!([1, 2, 3]);
        assert_eq!(cut_rows(&mut d, 3)["truncated"], false);
        let mut d = Value::Array((0..100).map(|i| json!(i)).collect());
        assert_eq!(cut_rows(&mut d, 100)["truncated"], Value::Null);
    }

    #[test]
    fn emails_are_masked_everywhere() {
        let mut d = json!([{"name": "Acme", "email": "billing@acme.example", "note": "a @ b"}]);
        mask_emails(&mut d);
        assert_eq!(d[0]["email"], "b…@acme.example");
        assert_eq!(d[0]["note"], "a @ b");
    }
}
