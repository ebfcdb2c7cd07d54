//! Where a tool's answer comes from (issue 24): its Read API path, or — when that path is not
//! found (404) or answers with a shape the tool does not know — the hosted MCP tool of the
//! same name on Himetrica's own server, on the same origin and with the same key. What is
//! missing is learned once per process (or read from the probe's record, `api::probed`), so a
//! 404 is paid at most once; a path the user pinned under `[endpoints]` is always asked, and
//! `fallback = false` turns this off. When the hosted server cannot answer either, the tool
//! says what it says today (the 404 naming the path and the fix), or shows the unknown shape
//! as sent, with a note, never as an empty table. The hosted call itself (arguments, answer)
//! is [`super::hosted_call`]. Uses `api` (the error, the routes), `hosted` (the client) and
//! the `tools` runner.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::Tool;
use serde_json::{Map, Value, json};
use tokio::sync::OwnedMutexGuard;
use url::Url;

use super::catalog::ToolDef;
use super::data::Data;
use super::find;
use super::hosted_call;
use super::params::Plan;
use super::typed::Answer;
use super::window::Resolved;
use super::{ToolError, ToolOutput};
use crate::api::cache::Fetched;
use crate::api::probed::{Outcome, Routes};
use crate::api::{ApiClient, ApiError, Auth, Query};
use crate::config::endpoints::Endpoints;
use crate::hosted::proxy::Upstream;

/// Builds the hosted server's client for the Read API's credential (`None`: not signed in).
pub type MakeUpstream = Box<dyn Fn(Option<&Auth>) -> Upstream + Send + Sync>;

/// What the fallback needs of the runner (the `Toolbox`, which implements it; a trait so that
/// this file does not import the runner that calls it).
pub(crate) trait Runner {
    fn endpoints(&self) -> &Endpoints;
    fn fallback(&self) -> Option<&Fallback>;
    async fn signed_in(&self) -> bool;
    /// The tool answered by its Read API path.
    async fn ask(&self, tool: &ToolDef, plan: &Plan) -> Result<ToolOutput, ToolError>;
    /// The window the plan asks for, resolved in the project's time zone.
    async fn window(&self, tool: &ToolDef, plan: &Plan) -> Result<Option<Resolved>, ToolError>;
    /// The typed answer and its views, from what a source sent.
    fn finish(&self, tool: &ToolDef, plan: &Plan, answer: Answer) -> ToolOutput;
    /// The project id in use when it is not the key's own project (`--project`), which a
    /// hosted tool answers for only if it takes a `projectId`.
    async fn foreign_project(&self) -> Option<String>;
}

/// The most characters of an answer of unknown shape shown as sent.
const RAW_BUDGET: usize = 4_000;

/// Himetrica's hosted MCP server as the second source of the Read API tools.
pub struct Fallback {
    url: Url,
    /// The Read API's client, whose credential the hosted server takes.
    api: Arc<ApiClient>,
    make: MakeUpstream,
    /// Built on the first hosted call, once the credential has been read (start-up reads
    /// none).
    upstream: tokio::sync::OnceCell<Upstream>,
    routes: Routes,
    /// Each hosted tool's input schema, read once (a failed read is tried again later).
    schemas: tokio::sync::OnceCell<HashMap<String, Tool>>,
    /// Per tool, the gate its calls pass one at a time until what its path does is settled
    /// ([`Routes::settled`]), so calls that come together pay a 404 once.
    gates: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback").field("url", &self.url).finish()
    }
}

impl Fallback {
    /// `make` builds the client of the hosted server at `url` with `api`'s credential (bound
    /// to the API's origin, so a `hosted_mcp_url` elsewhere never receives it); `routes` what
    /// is known of the Read API's paths.
    pub fn new(url: Url, api: Arc<ApiClient>, make: MakeUpstream, routes: Routes) -> Self {
        Self {
            url,
            api,
            make,
            upstream: tokio::sync::OnceCell::new(),
            routes,
            schemas: tokio::sync::OnceCell::new(),
            gates: std::sync::Mutex::default(),
        }
    }

    /// Waits for `tool`'s gate while what its path does is not settled; the guard lets the
    /// next call through when dropped.
    async fn first_ask(&self, tool: &str, template: &str) -> Option<OwnedMutexGuard<()>> {
        if self.routes.settled(tool, template) {
            return None;
        }
        let gate = Arc::clone(
            self.gates
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(tool.to_string())
                .or_default(),
        );
        let guard = gate.lock_owned().await;
        // The call ahead may have settled it meanwhile.
        (!self.routes.settled(tool, template)).then_some(guard)
    }

    /// The hosted client, built with the credential the first time it is needed.
    async fn upstream(&self) -> &Upstream {
        self.upstream
            .get_or_init(|| async { (self.make)(self.api.auth().await) })
            .await
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// The hosted server's tools by name, listed once.
    pub async fn tools(&self) -> Result<&HashMap<String, Tool>, String> {
        self.schemas
            .get_or_try_init(|| async {
                let tools = self
                    .upstream()
                    .await
                    .forward(
                        "tools/list",
                        |peer| async move { peer.list_all_tools().await },
                    )
                    .await?;
                Ok(tools
                    .into_iter()
                    .map(|t| (t.name.to_string(), crate::text::cleaned(t)))
                    .collect())
            })
            .await
    }

    /// Remembers for this process that `tool`'s path is missing (`why`).
    fn learned(&self, tool: &str, template: &str, why: Outcome) -> &Self {
        self.routes.learn(tool, template, why);
        self
    }

    /// One call of the hosted tool named like `tool`: its data, when it is a shape we know.
    async fn call(&self, tool: &ToolDef, call: &hosted_call::Call) -> Result<Data, String> {
        let request = rmcp::model::CallToolRequestParams::new(tool.name)
            .with_arguments(call.arguments.clone());
        hosted_call::data(tool, &self.upstream().await.call_tool(request).await)
    }

    /// The input schema of the hosted tool named like `tool`.
    async fn schema(&self, tool: &ToolDef) -> Result<Arc<Map<String, Value>>, String> {
        self.tools()
            .await?
            .get(tool.name)
            .map(|t| t.input_schema.clone())
            .ok_or_else(|| format!("the hosted MCP server has no tool `{}`", tool.name))
    }

    /// The hosted tool's data for a Read API `query` (its parameters as arguments, each only
    /// where declared; the window always).
    async fn raw(&self, tool: &ToolDef, query: &Query) -> Result<Value, String> {
        let schema = self.schema(tool).await?;
        let mut call = hosted_call::Call::default();
        for (name, value) in query {
            if name == "startDate" || name == "endDate" || hosted_call::declares(&schema, name) {
                let value = match value.parse::<i64>() {
                    Ok(n) if name == "limit" => json!(n),
                    _ => json!(value),
                };
                call.put(name, value);
            }
        }
        let data = self.call(tool, &call).await?;
        Ok(serde_json::to_value(data).unwrap_or_default())
    }

    /// Asks the hosted tool named like `tool`; its answer as ours, or why not.
    async fn serve(
        &self,
        toolbox: &impl Runner,
        tool: &ToolDef,
        plan: &Plan,
        why: Outcome,
        template: &str,
    ) -> Result<ToolOutput, String> {
        let answered: Result<ToolOutput, String> = async {
            let schema = self.schema(tool).await?;
            let window = toolbox.window(tool, plan).await.map_err(|e| e.message())?;
            let project = toolbox.foreign_project().await;
            // The key's own project is what the hosted server answers for by default.
            if let Some(project) = &project
                && !hosted_call::declares(&schema, "projectId")
            {
                return Err(format!(
                    "the hosted tool answers for the key's own project, not {project}"
                ));
            }
            let arguments = |window: Option<&Resolved>| {
                let mut call = hosted_call::arguments(&schema, window, plan);
                if let Some(project) = &project {
                    call.put("projectId", json!(project));
                }
                call
            };
            let call = arguments(window.as_ref());
            let data = self.call(tool, &call).await?;
            // A comparison asked for is computed from a second call, for the earlier window.
            let comparison = match (&window, plan.compare) {
                (Some(w), Some(compare)) if tool.args.kind().takes_compare() => {
                    let previous = w.previous(compare)?;
                    let before = self.call(tool, &arguments(Some(&previous))).await?;
                    Some(hosted_call::comparison(compare, w, previous, &data, before))
                }
                _ => None,
            };
            let mut answer = hosted_call::answer(&self.url, tool, data, window, call);
            answer.comparison = comparison;
            let mut out = toolbox.finish(tool, plan, answer);
            let because = if why == Outcome::Unrecognized {
                format!(
                    "the Read API path {template} answered with a shape this tool does not know"
                )
            } else {
                format!("the Read API path {template} was not found")
            };
            note(
                &mut out,
                &format!(
                    "Answered by Himetrica's MCP server (its `{}` tool): {because}.",
                    tool.name
                ),
            );
            Ok(out)
        }
        .await;
        if let Err(why) = &answered {
            tracing::debug!(tool = tool.name, %why, "the hosted MCP server did not answer");
        }
        answered
    }
}

/// A tool answered by its endpoint, or by the hosted tool of the same name when the path is
/// missing: the one place the runner chooses the source of an endpoint's answer.
pub(crate) async fn answer(
    toolbox: &impl Runner,
    tool: &ToolDef,
    plan: &Plan,
) -> Result<ToolOutput, ToolError> {
    let endpoints = toolbox.endpoints();
    let template = endpoints
        .template(tool.name)
        .unwrap_or_default()
        .to_string();
    let fallback = match toolbox.fallback() {
        Some(f) if !endpoints.is_pinned(tool.name) && toolbox.signed_in().await => f,
        _ => return toolbox.ask(tool, plan).await,
    };
    let _first = fallback.first_ask(tool.name, &template).await;
    if fallback.routes.missing(tool.name, &template) {
        if let Ok(out) = fallback
            .serve(toolbox, tool, plan, Outcome::NotFound, &template)
            .await
        {
            return Ok(out);
        }
        // The hosted server cannot answer either: the path is asked, and says what is wrong
        // as it always has (the 404 names the path and the fix).
        return as_sent(toolbox, tool, plan, &template).await;
    }
    match toolbox.ask(tool, plan).await {
        Err(ToolError::Api(ApiError::NotFound { path, excerpt })) => fallback
            .learned(tool.name, &template, Outcome::NotFound)
            .serve(toolbox, tool, plan, Outcome::NotFound, &template)
            .await
            // Nothing stands in: the 404, naming the path and the fix, as it always was.
            .map_err(|_| ToolError::Api(ApiError::NotFound { path, excerpt })),
        Ok(out) if !tool.recognizes(&out.answer.data) => Ok(fallback
            .learned(tool.name, &template, Outcome::Unrecognized)
            .serve(toolbox, tool, plan, Outcome::Unrecognized, &template)
            .await
            .unwrap_or_else(|_| unexpected(tool, out, &template))),
        other => {
            let found = if other.is_ok() {
                Outcome::Answers
            } else {
                Outcome::Failed
            };
            fallback.learned(tool.name, &template, found);
            other
        }
    }
}

/// `explain_change`'s ask of `tool`'s path with `query` (`direct`, not yet sent), or of the
/// hosted tool of the same name when the path is missing: the data, and whether the cache
/// held it.
pub(crate) async fn fetch(
    toolbox: &impl Runner,
    tool: &'static str,
    query: &Query,
    direct: impl Future<Output = Result<Fetched, ApiError>>,
) -> Result<(Value, bool), ToolError> {
    let template = toolbox
        .endpoints()
        .template(tool)
        .unwrap_or_default()
        .to_string();
    let (Some(fallback), Some(def)) = (toolbox.fallback(), find(tool)) else {
        return Ok(direct.await.map(|f| (f.data, f.cached))?);
    };
    if toolbox.endpoints().is_pinned(tool) || toolbox.foreign_project().await.is_some() {
        return Ok(direct.await.map(|f| (f.data, f.cached))?);
    }
    let _first = fallback.first_ask(tool, &template).await;
    if fallback.routes.missing(tool, &template)
        && let Ok(data) = fallback.raw(def, query).await
    {
        return Ok((data, false));
    }
    match direct.await {
        Err(ApiError::NotFound { path, excerpt }) => {
            let data = fallback
                .learned(tool, &template, Outcome::NotFound)
                .raw(def, query)
                .await
                .map_err(|_| ApiError::NotFound { path, excerpt })?;
            Ok((data, false))
        }
        other => {
            let found = if other.is_ok() {
                Outcome::Answers
            } else {
                Outcome::Failed
            };
            fallback.learned(tool, &template, found);
            Ok(other.map(|f| (f.data, f.cached))?)
        }
    }
}

/// The path's own answer, with a note instead of an empty table when its shape is unknown.
async fn as_sent(
    toolbox: &impl Runner,
    tool: &ToolDef,
    plan: &Plan,
    template: &str,
) -> Result<ToolOutput, ToolError> {
    let out = toolbox.ask(tool, plan).await?;
    Ok(if tool.recognizes(&out.answer.data) {
        out
    } else {
        unexpected(tool, out, template)
    })
}

/// An answer of a shape `tool` does not know: what was sent, cleaned (it was, on arrival) and
/// within [`RAW_BUDGET`], with a note saying so, so no empty table or zero reads as an answer.
pub fn unexpected(tool: &ToolDef, mut out: ToolOutput, template: &str) -> ToolOutput {
    let sent = serde_json::to_string(&out.answer.data).unwrap_or_default();
    let shown: String = sent.chars().take(RAW_BUDGET).collect();
    let cut = if shown.len() < sent.len() {
        format!(" (first {RAW_BUDGET} characters)")
    } else {
        String::new()
    };
    let note = format!(
        "The Read API path {template} answered with a shape {} does not know (none of the fields it reads); here is what it sent{cut}, unchanged:",
        tool.name
    );
    out.text = format!("{}\n{note}\n{shown}", tool.title);
    let mut structured = Map::new();
    structured.insert("summary".into(), json!(note));
    if cut.is_empty() {
        // Within the budget: the data itself, for a client that reads only this part.
        structured.insert("detail".into(), json!({ "data": &out.answer.data }));
    }
    out.structured = Value::Object(structured);
    out.chart = None;
    out
}

/// Says where the numbers came from: a line under the text's heading, and at the end of the
/// summary (which starts with the tool's title, as every summary does).
fn note(out: &mut ToolOutput, line: &str) {
    out.text = match out.text.split_once('\n') {
        Some((heading, rest)) => format!("{heading}\n{line}\n{rest}"),
        None => format!("{}\n{line}", out.text),
    };
    if let Some(Value::String(summary)) = out.structured.get_mut("summary") {
        *summary = format!("{summary} ({line})");
    }
}
