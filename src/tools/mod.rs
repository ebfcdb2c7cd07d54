//! The tools the model sees: their catalog, and running one against the Read API.
//!
//! Both `serve` (through `mcp`) and the terminal `call` run tools through [`Toolbox::call`],
//! so a person at a terminal sees exactly what a model would. Uses `api`, `config` and `text`.

pub mod compare;
pub mod dates;
pub mod format;
pub mod guide;
pub mod icons;
pub mod params;
#[cfg(test)]
mod props;
pub mod render;
pub mod shape;
pub mod trend;
pub mod window;

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::api::cache::{Cache, Fetched};
use crate::api::{ApiClient, ApiError, Query};
use crate::clock;
use crate::config::endpoints::{Endpoints, PROJECT_PLACEHOLDER};
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
    /// padding). Empty: every scalar column. `structuredContent` has the same columns; the
    /// upstream's full rows are in `detail`.
    pub columns: &'static [&'static str],
}

/// Every tool, in the order `tools/list` shows them.
pub const CATALOG: &[ToolDef] = &[
    ToolDef {
        name: "get_project",
        title: "Project",
        description: "Which project the data is for: id, name and time zone.",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_analytics",
        title: "Traffic overview",
        description: "Visitors, pageviews, sessions, bounce rate and visit length for a window, with changes: 'how many visitors?', 'is traffic up?'.",
        args: ArgsKind::Compare,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_timeseries",
        title: "Traffic over time",
        description: "Visitors, pageviews and sessions per hour, day, week or month, for trends.",
        args: ArgsKind::Series,
        shape: Shape::Rows,
        columns: &["date", "visitors", "pageViews", "sessions"],
    },
    ToolDef {
        name: "get_realtime",
        title: "Active visitors now",
        description: "Visitors on the site right now.",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_top_pages",
        title: "Top pages",
        description: "Pages ranked by pageviews, with visitors: which content is read.",
        args: ArgsKind::List,
        shape: Shape::Rows,
        columns: &["pageViews", "visitors", "path"],
    },
    ToolDef {
        name: "get_traffic_sources",
        title: "Traffic sources",
        description: "Where visitors came from, by referrer or UTM tag.",
        args: ArgsKind::Sources,
        shape: Shape::Rows,
        columns: &["visitors", "source", "referrer"],
    },
    ToolDef {
        name: "get_top_locations",
        title: "Top locations",
        description: "Visitors by country, region or city.",
        args: ArgsKind::Locations,
        shape: Shape::Rows,
        columns: &["visitors", "city", "region", "country"],
    },
    ToolDef {
        name: "get_events",
        title: "Custom events",
        description: "Custom events (signups, clicks, purchases) with counts.",
        args: ArgsKind::Events,
        shape: Shape::Rows,
        columns: &["count", "eventName"],
    },
    ToolDef {
        name: "get_revenue",
        title: "Revenue overview",
        description: "MRR, ARR, revenue, subscriptions and churn for a window, with changes: 'what is my MRR?'.",
        args: ArgsKind::Compare,
        shape: Shape::Object,
        columns: &[],
    },
    ToolDef {
        name: "get_revenue_timeseries",
        title: "Revenue over time",
        description: "Revenue, subscriptions and MRR per hour, day, week or month.",
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
        description: "Customers ranked by revenue, with plan.",
        args: ArgsKind::List,
        shape: Shape::Rows,
        columns: &["revenue", "plan", "name"],
    },
    ToolDef {
        name: "get_channel_roi",
        title: "Channel ROI",
        description: "Revenue, ad spend, CAC, LTV and ROI per marketing channel: 'which channel pays off?'.",
        args: ArgsKind::Window,
        shape: Shape::Rows,
        columns: &["revenue", "adSpend", "roi", "channel"],
    },
    ToolDef {
        name: "get_api_usage",
        title: "API usage",
        description: "Requests left in the analytics API's rate limit; costs no request.",
        args: ArgsKind::None,
        shape: Shape::Object,
        columns: &[],
    },
];

/// Finds a tool by name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    CATALOG.iter().find(|t| t.name == name)
}

/// The tool's `outputSchema`: what [`shape::view`] puts in `structuredContent`.
pub fn output_schema(tool: &ToolDef) -> Map<String, Value> {
    shape::output_schema(tool)
}

/// A successful tool answer.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What a model or person reads.
    pub text: String,
    /// `structuredContent`, matching [`output_schema`]: the answer shaped for a model.
    pub structured: Value,
    /// Everything: the upstream's `data` as sent, the resolved `window` with instants, the
    /// `comparison` per metric, `rows`, the `request` sent and `as_of`. What `call --json`
    /// prints, and `structuredContent.detail` with `detail: true`.
    pub detail: Value,
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
                crate::text::clean(name, 60),
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
    /// What `serve` puts in a tool result (the shape is the same; which parts are sent).
    pub output: crate::config::Output,
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

    pub fn options(&self) -> Options {
        self.options
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
                crate::text::clean(&id, 40)
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
            let detail = json!({"data": data, "request": {"path": template, "params": {}}});
            return Ok(ToolOutput {
                text: render::render(tool, &detail),
                structured: shape::view(tool, &detail, None),
                detail,
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
        let mut detail = json!({ "data": data });
        if let Some(w) = &window {
            detail["window"] = w.echo();
        }
        if let Some(c) = comparison {
            detail["comparison"] = c;
        }
        if let Some(r) = rows {
            detail["rows"] = r;
        }
        let params: Map<String, Value> = sent
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        detail["request"] = json!({ "path": path, "params": params });
        detail["as_of"] = json!(as_of.to_string());
        let mut text = render::render_with_window(tool, &detail, window.as_ref());
        let reused = format!("Reused answer from {} UTC.", as_of.strftime("%H:%M:%S"));
        let cached_note = cached.then_some(reused.as_str());
        if let Some(note) = cached_note {
            text.push_str(&format!("\n({note})"));
        }
        let mut structured = shape::view(tool, &detail, cached_note);
        if plan.detail {
            structured["detail"] = detail.clone();
        }
        Ok(ToolOutput {
            text,
            structured,
            detail,
        })
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
        let mut comparison =
            compare::build(data, &prev_data, wanted.name(), source, previous.echo());
        if prev_data.is_array() {
            // The previous period's buckets, so a trend can be drawn beside the current one.
            comparison["series"] = prev_data;
        }
        Ok(Some(comparison))
    }

    fn api_usage(&self, tool: &ToolDef) -> ToolOutput {
        let rate = self.api.rate_limit();
        let detail = json!({
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
        // The text's sentence is the summary; the numbers are the metrics.
        let mut structured = shape::view(tool, &detail, None);
        structured["summary"] = json!(text.replace('\n', ": "));
        ToolOutput {
            text,
            structured,
            detail,
        }
    }
}

/// ` (resets in 42 s)`, however the upstream spelled the reset (the limiter's parser and, like
/// the limiter, the real clock, not the pinnable data clock), or the raw value when unreadable.
fn reset_label(raw: &str) -> String {
    match crate::api::limiter::parse_reset(raw, jiff::Timestamp::now()) {
        Some(wait) => format!(" (resets in {} s)", wait.as_secs_f64().ceil()),
        None => format!(" (resets {})", crate::text::clean(raw, 40)),
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
