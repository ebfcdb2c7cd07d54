//! Running one tool: its arguments checked, its window resolved, the upstream asked (through
//! the shared cache), the comparison fetched or passed on, and the answer shaped as text,
//! `structuredContent` and `detail`. What the runner does for a tool is read from its catalog
//! entry. Uses `api`, `config` and `clock`, and the `tools` files that shape an answer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::buckets::{Series, Span, Unit};
use super::catalog::{Source, ToolDef};
use super::data::{cut_rows, mask_emails, normalize, rank};
use super::params::Plan;
use super::window::{self, Resolved};
use super::{DEFAULT_TTL, Options, ToolError, ToolOutput, compare, find, render, shape, trend};
use crate::api::cache::{Cache, Fetched};
use crate::api::{ApiClient, ApiError, Query};
use crate::chart::Kind;
use crate::clock;
use crate::config::endpoints::{Endpoints, PROJECT_PLACEHOLDER};

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
        let plan = tool
            .args
            .parse(args.unwrap_or(&empty))
            .map_err(|message| invalid(tool, message))?;
        match tool.source {
            Source::Counters => Ok(self.api_usage(tool)),
            Source::Me => self.project(tool).await,
            Source::Endpoint => self.ask(tool, &plan).await,
            Source::Explain => {
                if !self.api.has_credential() {
                    return Err(ToolError::NotSignedIn);
                }
                let window = self
                    .window(tool, &plan)
                    .await?
                    .ok_or_else(|| invalid(tool, "a window is needed".into()))?;
                super::explain::run(self, tool, &plan, window).await
            }
        }
    }

    /// The project's own answer: `GET /me`, as asked once per process.
    async fn project(&self, tool: &ToolDef) -> Result<ToolOutput, ToolError> {
        let data = self.me().await?.clone();
        let template = self.endpoints.me();
        let detail = json!({"data": data, "request": {"path": template, "params": {}}});
        Ok(ToolOutput {
            text: render::render(tool, &detail),
            structured: to_value(shape::view(tool, &detail, None, None)),
            detail,
            chart: None,
        })
    }

    /// The window a plan asks for, in the call's zone or else the project's, as of this
    /// minute: answers within a minute share a window, and so a cache entry.
    async fn window(&self, tool: &ToolDef, plan: &Plan) -> Result<Option<Resolved>, ToolError> {
        let Some(req) = &plan.window else {
            return Ok(None);
        };
        // The project's zone is only needed when the call names none.
        let tz = match req.timezone {
            Some(_) => "UTC".to_string(),
            None => self.project_timezone().await?,
        };
        let now = clock::now();
        let now = jiff::Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60))
            .unwrap_or(now);
        window::resolve(req, &tz, now)
            .map(Some)
            .map_err(|message| invalid(tool, message))
    }

    /// A tool answered by its endpoint: the window resolved, the upstream asked (and for the
    /// comparison), the rows cut, and the answer shaped.
    async fn ask(&self, tool: &ToolDef, plan: &Plan) -> Result<ToolOutput, ToolError> {
        if !self.api.has_credential() {
            return Err(ToolError::NotSignedIn);
        }
        let template = self.endpoints.template(tool.name).unwrap_or_default();
        let window = self.window(tool, plan).await?;
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
            .compare(tool, plan, window.as_ref(), &path, &query, &data)
            .await?;
        if let Some(key) = tool.rank_by {
            rank(&mut data, key);
        }
        let rows = plan.limit.map(|limit| cut_rows(&mut data, limit));
        // A series' rows as spans of the window, re-bucketed when long (nothing is cut).
        let series = match (&window, tool.chart, data.as_array()) {
            (Some(w), Some(Kind::Series), Some(rows)) => {
                let granularity = sent.iter().find(|(k, _)| k == "granularity");
                Unit::parse(granularity.map(|(_, v)| v.as_str()))
                    .and_then(|unit| Series::new(rows, unit, Span::of(w), w.start.time_zone()))
            }
            _ => None,
        };
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
        let mut text = render::render_with_window(tool, &detail, window.as_ref(), series.as_ref());
        // Days that break the weekly pattern, under the series (issue 25).
        let anomalies = window
            .as_ref()
            .map(|w| trend::anomalies(tool, &detail, w))
            .unwrap_or_default();
        for a in &anomalies {
            text.push_str(&format!("\n{}", super::anomaly::line(a)));
        }
        let reused = format!("Reused answer from {} UTC.", as_of.strftime("%H:%M:%S"));
        let cached_note = cached.then_some(reused.as_str());
        if let Some(note) = cached_note {
            text.push_str(&format!("\n({note})"));
        }
        let mut view = shape::view(tool, &detail, series.as_ref(), cached_note);
        view.anomalies = (!anomalies.is_empty()).then(|| anomalies.clone());
        // Freshness: an answer reused from the cache says when the API was asked.
        view.as_of = cached.then(|| as_of.to_string());
        if plan.detail {
            view.detail = detail.as_object().cloned();
        }
        let structured = to_value(view);
        let chart = trend::chart(tool, &detail, trend::window_label(&detail)).map(|c| {
            c.marked(
                &anomalies
                    .iter()
                    .map(|a| a.date.as_str())
                    .collect::<Vec<_>>(),
            )
        });
        Ok(ToolOutput {
            text,
            structured,
            detail,
            chart,
        })
    }

    /// How long this tool's answers are reused.
    fn ttl(&self, tool: &ToolDef) -> Duration {
        let ttl = self.options.cache_ttl.unwrap_or(DEFAULT_TTL);
        tool.max_ttl.map_or(ttl, |max| ttl.min(max))
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
        // The API's own previous period is a whole one: a window that ends now (today is
        // not over) is compared with the same elapsed time of the earlier window instead,
        // which takes a request of our own. Tools that take no `compare` get none.
        let upstream = compare::upstream_previous(data).filter(|_| !window.includes_today);
        if !tool.args.kind().takes_compare() {
            return Ok(None);
        }
        let wanted = match (plan.compare, upstream) {
            (Some(c), _) => c,
            // The upstream compared on its own: pass that on, it costs nothing.
            (None, Some(_)) => window::Compare::PreviousPeriod,
            (None, None) if compare::upstream_previous(data).is_some() => {
                window::Compare::PreviousPeriod
            }
            (None, None) => return Ok(None),
        };
        let previous = window
            .previous(wanted)
            .map_err(|message| invalid(tool, message))?;
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
        if window.includes_today {
            comparison["sameElapsedTime"] = json!(true);
        }
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
                "{}\n{left} of {limit} requests left in this rate-limit window{}; {} made by this server.",
                tool.title,
                rate.reset.as_deref().map(reset_label).unwrap_or_default(),
                self.api.request_count()
            ),
            _ => format!(
                "{}\nNo rate-limit headers seen yet; {} requests made by this server.",
                tool.title,
                self.api.request_count()
            ),
        };
        // The text's sentence is the summary; the numbers are the metrics.
        let mut view = shape::view(tool, &detail, None, None);
        view.summary = text.replace('\n', ": ");
        let structured = to_value(view);
        ToolOutput {
            text,
            structured,
            detail,
            chart: None,
        }
    }
}

/// `explain_change` asks the paths of other tools, through the same cache and limiter.
impl super::explain::Upstream for Toolbox {
    async fn fetch(&self, tool: &'static str, query: Query) -> Result<(Value, bool), ToolError> {
        let template = self.endpoints.template(tool).unwrap_or_default();
        let path = if template.contains(PROJECT_PLACEHOLDER) {
            template.replace(PROJECT_PLACEHOLDER, &self.project_id().await?)
        } else {
            template.to_string()
        };
        let ttl = find(tool).map_or(DEFAULT_TTL, |t| self.ttl(t));
        let fetched = self.api.get_shared(&self.cache, &path, &query, ttl).await?;
        Ok((normalize(fetched.data), fetched.cached))
    }
}

/// `structuredContent` from the typed view (serializing plain maps and strings cannot fail).
fn to_value(view: super::answer::View) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// Arguments `tool` cannot take, and why.
fn invalid(tool: &ToolDef, message: String) -> ToolError {
    ToolError::InvalidArgs {
        tool: tool.name,
        message,
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
