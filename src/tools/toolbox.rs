//! Running one tool: its arguments checked, its window resolved, the upstream asked (through
//! the shared cache), the comparison fetched or passed on, and one typed [`Answer`] built, of
//! which the text, `structuredContent` and the chart are views ([`output`]). What the runner does for a tool is read from its catalog
//! entry. Uses `api`, `config` and `clock`, and the `tools` files that shape an answer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::buckets::{Series, Span, Unit};
use super::catalog::{Source, ToolDef};
use super::compare::Comparison;
use super::data::{Data, cut_rows, mask_data, rank};
use super::params::Plan;
use super::typed::{Answer, Me, Request};
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
    me: OnceCell<Me>,
    cache: Cache,
    /// Himetrica's hosted MCP server, for a path that is missing (issue 24).
    fallback: Option<super::fallback::Fallback>,
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
            fallback: None,
        }
    }

    /// Tools whose path is missing are answered by `fallback` (issue 24).
    pub fn with_fallback(mut self, fallback: super::fallback::Fallback) -> Self {
        self.fallback = Some(fallback);
        self
    }

    pub fn fallback(&self) -> Option<&super::fallback::Fallback> {
        self.fallback.as_ref()
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The project id set by `--project` or config, if any.
    pub(super) fn fixed_project(&self) -> Option<&str> {
        self.fixed_project.as_deref()
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
    pub async fn me(&self) -> Result<&Me, ToolError> {
        if !self.api.has_credential().await {
            return Err(ToolError::NotSignedIn);
        }
        let path = self.endpoints.me().to_string();
        self.me
            .get_or_try_init(|| async {
                let data = self.api.get(&path, &Query::new()).await?;
                Me::parse(data).ok_or_else(|| {
                    ToolError::Api(ApiError::Shape("GET /me has no data.projectId".into()))
                })
            })
            .await
    }

    async fn project_id(&self) -> Result<String, ToolError> {
        let id = match &self.fixed_project {
            Some(id) => id.clone(),
            None => self.me().await?.project_id.clone(),
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
        let me = self.me().await?;
        Ok(me.timezone.clone().unwrap_or_else(|| "UTC".to_string()))
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
            Source::Endpoint => super::fallback::answer(self, tool, &plan).await,
            Source::Explain => {
                if !self.api.has_credential().await {
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
        let mut answer = Answer::of(Data::parse(self.me().await?.data.clone()));
        answer.request = Some(Request {
            path: self.endpoints.me().to_string(),
            params: Vec::new(),
        });
        Ok(output(tool, answer, false))
    }

    /// The window a plan asks for, in the call's zone or else the project's, as of this
    /// minute: answers within a minute share a window, and so a cache entry.
    pub(super) async fn window(
        &self,
        tool: &ToolDef,
        plan: &Plan,
    ) -> Result<Option<Resolved>, ToolError> {
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
    pub(super) async fn ask(&self, tool: &ToolDef, plan: &Plan) -> Result<ToolOutput, ToolError> {
        if !self.api.has_credential().await {
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
        let data = Data::parse(fetched.data);
        let comparison = self
            .compare(tool, plan, window.as_ref(), &path, &query, &data)
            .await?;
        let answer = Answer {
            data,
            window,
            comparison,
            request: Some(Request { path, params: sent }),
            as_of: Some(fetched.as_of),
            cached: fetched.cached,
            ..Answer::default()
        };
        Ok(self.finish(tool, plan, answer))
    }

    /// The typed answer and its views, from what a source sent (`data`, with the window,
    /// comparison and request beside it): rows ranked and cut, a series bucketed, emails
    /// masked, anomalies flagged. Every source of an answer ends here.
    pub(super) fn finish(&self, tool: &ToolDef, plan: &Plan, mut answer: Answer) -> ToolOutput {
        if let Some(key) = tool.rank_by {
            rank(&mut answer.data, key);
        }
        answer.rows = plan.limit.map(|limit| cut_rows(&mut answer.data, limit));
        // A series' rows as spans of the window, re-bucketed when long (nothing is cut).
        answer.series = match (&answer.window, tool.chart, &answer.data) {
            (Some(w), Some(Kind::Series), Data::Rows(rows)) => {
                let granularity = answer
                    .request
                    .iter()
                    .flat_map(|r| &r.params)
                    .find(|(k, _)| k == "granularity");
                Unit::parse(granularity.map(|(_, v)| v.as_str()))
                    .and_then(|unit| Series::new(rows, unit, Span::of(w), w.start.time_zone()))
            }
            _ => None,
        };
        if self.options.mask_emails {
            mask_data(&mut answer.data);
        }
        // Days that break the weekly pattern (issue 25).
        answer.anomalies = answer
            .window
            .as_ref()
            .map(|w| trend::anomalies(tool, &answer.data, w))
            .unwrap_or_default();
        output(tool, answer, plan.detail)
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
        data: &Data,
    ) -> Result<Option<Comparison>, ToolError> {
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
                (Data::Object(prev.clone()), "upstream")
            }
            _ => {
                let Fetched { data, .. } = self
                    .api
                    .get_shared(&self.cache, path, &query(Some(&previous)), self.ttl(tool))
                    .await?;
                (Data::parse(data), "computed")
            }
        };
        Ok(Some(Comparison {
            compare: wanted.name(),
            source,
            metrics: compare::changes(data, &prev_data),
            window: previous,
            same_elapsed_time: window.includes_today,
            // The previous period's buckets, so a trend can be drawn beside the current one.
            series: match prev_data {
                Data::Rows(rows) => Some(rows),
                Data::Object(_) => None,
            },
        }))
    }

    fn api_usage(&self, tool: &ToolDef) -> ToolOutput {
        // One reading of the counters, of which the text and the metrics are both views.
        let (rate, made) = (self.api.rate_limit(), self.api.request_count());
        let answer = Answer::of(Data::parse(json!({
            "rateLimit": {
                "limit": rate.limit,
                "remaining": rate.remaining,
                "reset": rate.reset,
            },
            "requestsMade": made,
        })));
        let text = match (rate.remaining, rate.limit) {
            (Some(left), Some(limit)) => format!(
                "{}\n{left} of {limit} requests left in this rate-limit window{}; {made} made by this server.",
                tool.title,
                rate.reset.as_deref().map(reset_label).unwrap_or_default(),
            ),
            _ => format!(
                "{}\nNo rate-limit headers seen yet; {made} requests made by this server.",
                tool.title,
            ),
        };
        // The text's sentence is the summary; the numbers are the metrics.
        let mut view = shape::view(tool, &answer);
        view.summary = text.replace('\n', ": ");
        ToolOutput {
            text,
            structured: to_value(view),
            answer,
            chart: None,
        }
    }
}

/// Every view of one typed answer: the text, `structuredContent` (with `detail`, the answer's
/// whole JSON, too) and the chart.
pub fn output(tool: &ToolDef, answer: Answer, detail: bool) -> ToolOutput {
    let text = render::render(tool, &answer);
    let mut view = shape::view(tool, &answer);
    if detail {
        view.detail = serde_json::to_value(&answer)
            .ok()
            .and_then(|v| v.as_object().cloned());
    }
    let chart = trend::chart(tool, &answer, trend::window_label(&answer));
    ToolOutput {
        text,
        structured: to_value(view),
        answer,
        chart,
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
        let direct = self.api.get_shared(&self.cache, &path, &query, ttl);
        // The path, or Himetrica's hosted tool where the path is missing (issue 24).
        let (value, cached) = super::fallback::fetch(self, tool, &query, direct).await?;
        // Parsed as every answer is (a scalar becomes `{"value": …}`), then handed on whole.
        let data = serde_json::to_value(Data::parse(value)).unwrap_or_default();
        Ok((data, cached))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::CATALOG;
    use crate::tools::catalog::Shape;
    use crate::tools::format::cell;

    /// An answer of `tool`'s shape whose one number is `n`, under `key`.
    fn answer(tool: &ToolDef, key: &str, n: i64) -> Answer {
        let data = match tool.shape {
            Shape::Object => json!({ key: n }),
            Shape::Rows => json!([
                {"date": "2026-11-01", key: n, "name": "a"},
                {"date": "2026-11-02", key: 1, "name": "b"}
            ]),
        };
        let mut answer = Answer::of(Data::parse(data));
        answer.request = Some(Request {
            path: "/p".into(),
            params: Vec::new(),
        });
        answer
    }

    #[test]
    fn the_text_structured_content_and_chart_are_views_of_one_typed_answer() {
        for tool in CATALOG.iter().filter(|t| t.source != Source::Counters) {
            // The tool's first number column (or any number, for an overview).
            let key = tool
                .columns
                .iter()
                .copied()
                .find(|c| *c != "date")
                .unwrap_or("visitors");
            let mut seen = Vec::new();
            for n in [4242, 9191] {
                let out = output(tool, answer(tool, key, n), true);
                let shown = cell(key, &json!(n), None);
                assert!(
                    out.text.contains(&shown),
                    "{}: {shown} in {}",
                    tool.name,
                    out.text
                );
                let structured = out.structured.to_string();
                let raw = format!(":{n}");
                let view = structured.split("\"detail\"").next().unwrap_or_default();
                assert!(
                    view.contains(&n.to_string()),
                    "{}: {n} in {view}",
                    tool.name
                );
                // `detail: true` attaches the same value's JSON, as `call --json` prints it.
                assert_eq!(
                    out.structured["detail"],
                    serde_json::to_value(&out.answer).unwrap(),
                    "{}",
                    tool.name
                );
                assert!(
                    serde_json::to_string(&out.answer).unwrap().contains(&raw),
                    "{}",
                    tool.name
                );
                if let Some(chart) = &out.chart {
                    assert!(
                        chart.metrics[0].values.contains(&Some(n as f64)),
                        "{}",
                        tool.name
                    );
                }
                seen.push((shown, out.text, view.to_string()));
            }
            // The first number is gone from every view of the second answer.
            let (old, _, _) = &seen[0];
            let (_, text, view) = &seen[1];
            assert!(
                !text.contains(old.as_str()),
                "{}: {old} in {text}",
                tool.name
            );
            assert!(!view.contains("4242"), "{}: 4242 in {view}", tool.name);
        }
    }
}
