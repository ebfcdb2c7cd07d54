//! The sandbox's hosted MCP server as an rmcp [`ServerHandler`]: Zenovay-style tools,
//! prompts and resources, the switches that make a tool answer with one of Zenovay's error
//! codes or a method hang, and the tools the era tests need (a list that changes, a slow
//! call that records its cancellation, an `x-mcp-header` parameter whose `Mcp-Param-*`
//! header is recorded, a call that needs the user's input). Imports only rmcp, axum's
//! `http` parts and its sibling [`super::catalog`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    DiscoverResult, ElicitRequestParams, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, InitializeRequestParams, InitializeResult, InputRequiredResult,
    ListPromptsResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::McpEra;
use super::catalog::{tools, website_question, websites};
use super::himetrica::{self, ReadApiData};

/// Zenovay's JSON-RPC error codes, as the sandbox answers them.
pub const ERROR_CODES: &[(i64, &str)] = &[
    (
        -32001,
        "Authentication required: the access token is invalid or expired",
    ),
    (-32002, "This feature requires a higher plan"),
    (-32003, "Daily request limit reached"),
    (-32007, "Write permission required"),
    (
        -32008,
        "This tool category is not enabled for your organization",
    ),
];

/// How long a hung request waits before the sandbox answers it after all (bounded, so a
/// test run always ends).
const HANG: std::time::Duration = std::time::Duration::from_secs(300);

/// How long `slow_report` takes unless cancelled.
const SLOW: std::time::Duration = std::time::Duration::from_secs(10);

/// The `ttlMs` on 2026-07-28 list answers: short, since `enable_beta_tools` changes the list.
pub const LIST_TTL_MS: u64 = 5_000;

/// The key of `pick_website`'s input request.
const INPUT_KEY: &str = "website";

/// Which hosted server an endpoint plays.
#[derive(Debug, Clone, Copy)]
pub enum Flavor {
    /// Zenovay-style tools, at `/mcp`.
    Zenovay,
    /// Himetrica's eleven Read API tools, at `/api/v1/mcp` ([`himetrica`]).
    ReadApi(ReadApiData),
}

/// What every session and stateless request of one sandbox shares.
pub struct Shared {
    pub era: McpEra,
    pub flavor: Flavor,
    /// Tool name → the error code its calls answer with.
    pub errors: HashMap<String, i64>,
    /// Methods accepted and never answered (within [`HANG`]); `initialize` stands for the
    /// handshake of either era (`server/discover` too).
    pub hang: Vec<String>,
    pub sessions_created: AtomicU64,
    pub tool_calls: AtomicU64,
    pub tool_lists: AtomicU64,
    pub unknown_sessions: AtomicU64,
    pub cancellations: AtomicU64,
    /// Set by `enable_beta_tools`: `get_funnels` joins the list.
    pub beta: AtomicBool,
    /// `Mcp-Param-*` headers received with tool calls (`name: value`), and the answers
    /// `pick_website` got, in order.
    pub record: Mutex<(Vec<String>, Vec<String>)>,
}

impl Shared {
    pub fn new(
        era: McpEra,
        flavor: Flavor,
        errors: HashMap<String, i64>,
        hang: Vec<String>,
    ) -> Self {
        Self {
            era,
            flavor,
            errors,
            hang,
            sessions_created: AtomicU64::new(0),
            tool_calls: AtomicU64::new(0),
            tool_lists: AtomicU64::new(0),
            unknown_sessions: AtomicU64::new(0),
            cancellations: AtomicU64::new(0),
            beta: AtomicBool::new(false),
            record: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    async fn maybe_hang(&self, method: &str) {
        if self.hang.iter().any(|m| m == method) {
            tokio::time::sleep(HANG).await;
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, (Vec<String>, Vec<String>)> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One handler per session (or stateless request), over the sandbox's [`Shared`] state.
#[derive(Clone)]
pub struct Zenovay(pub std::sync::Arc<Shared>);

/// Zenovay's wording for one of its codes ("Error" for any other).
fn error_message(code: i64) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
        .unwrap_or("Error")
}

fn zenovay_error(code: i64) -> McpError {
    McpError::new(ErrorCode(code as i32), error_message(code), None)
}

/// A value from JSON that is ours, so it always fits its type.
fn from_json<T: DeserializeOwned>(value: Value) -> Result<T, McpError> {
    serde_json::from_value(value).map_err(|e| McpError::internal_error(e.to_string(), None))
}

fn text_result(data: &Value) -> CallToolResult {
    let mut result = CallToolResult::structured(data.clone());
    result.is_error = Some(false);
    result
}

fn knows_ttl(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// The `ttlMs` of a list answer: only 2026-07-28 requests know it.
fn list_ttl(context: &RequestContext<RoleServer>) -> Option<u64> {
    knows_ttl(context).then_some(LIST_TTL_MS)
}

impl Zenovay {
    /// The tools this server's flavor has (Zenovay's beta tool only with `beta`).
    fn listed(&self, beta: bool) -> Vec<Tool> {
        match self.0.flavor {
            Flavor::Zenovay => tools(beta),
            Flavor::ReadApi(_) => himetrica::tools(),
        }
    }

    fn call(&self, request: &CallToolRequestParams) -> Result<CallToolResult, McpError> {
        let empty = serde_json::Map::new();
        let args = request.arguments.as_ref().unwrap_or(&empty);
        let text = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or_default();
        Ok(text_result(&match request.name.as_ref() {
            "list_websites" => json!({"websites": websites()}),
            "get_visitors" => {
                let website = text("website_id");
                if !websites().iter().any(|w| w["id"] == website) {
                    return Ok(CallToolResult::error(vec![
                        rmcp::model::ContentBlock::text(format!(
                            "Unknown website_id `{website}`; call list_websites."
                        )),
                    ]));
                }
                let visitors: i64 = if website == "web_northwind" {
                    9167
                } else {
                    2140
                };
                let mut data =
                    json!({"website_id": website, "visitors": visitors, "period": "last_7_days"});
                if args.get("compare").and_then(Value::as_bool) == Some(true) {
                    data["previous"] = json!(visitors - 333);
                    data["change_percent"] =
                        json!(((333.0 / (visitors - 333) as f64) * 1000.0).round() / 10.0);
                }
                data
            }
            "region_report" => {
                json!({"region": text("region"), "visitors": 4120, "period": "last_7_days"})
            }
            // The sandbox's accounts are read-only, as a read-scoped sign-in would be.
            "create_goal" => return Err(zenovay_error(-32007)),
            "get_funnels" if self.0.beta.load(Ordering::Relaxed) => {
                json!({"funnels": [{"name": "signup", "conversion": 0.31}]})
            }
            "get_api_usage" => {
                json!({"used_today": self.0.tool_calls.load(Ordering::Relaxed), "daily_limit": 1000, "resets": "00:00 UTC"})
            }
            name => {
                return Err(McpError::new(
                    ErrorCode::METHOD_NOT_FOUND,
                    format!("Unknown tool: {name}"),
                    None,
                ));
            }
        }))
    }

    /// `pick_website`: which website, asked of the user. 2026-07-28: an `InputRequiredResult`
    /// the client answers in a retry; 2025-era sessions: an `elicitation/create` request.
    async fn pick_website(
        &self,
        request: &CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let ask = website_question();
        let answer = if let Some(responses) = &request.input_responses {
            responses.get(INPUT_KEY).cloned().unwrap_or(Value::Null)
        } else if knows_ttl(context) {
            let input: rmcp::model::InputRequest = from_json(json!({
                "method": "elicitation/create",
                "params": ask,
            }))?;
            let requests = [(INPUT_KEY.to_string(), input)].into_iter().collect();
            return Ok(InputRequiredResult::new(Some(requests), Some("pick-1".into())).into());
        } else {
            let params: ElicitRequestParams = from_json(ask)?;
            let result =
                context.peer.create_elicitation(params).await.map_err(|e| {
                    McpError::internal_error(format!("elicitation failed: {e}"), None)
                })?;
            serde_json::to_value(result).unwrap_or(Value::Null)
        };
        let website = answer["content"]["website_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let action = answer["action"].as_str().unwrap_or("missing").to_string();
        self.0.record().1.push(format!("{action}:{website}"));
        if action != "accept" {
            return Ok(CallToolResult::error(vec![rmcp::model::ContentBlock::text(
                "No website was chosen.",
            )])
            .into());
        }
        Ok(text_result(&json!({"website_id": website, "chosen": true})).into())
    }
}

impl ServerHandler for Zenovay {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
        .with_server_info(rmcp::model::Implementation::new(
            "zenovay-sandbox",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions("Sandbox stand-in for a hosted analytics MCP server.")
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        match self.0.era {
            McpEra::Stateless => Cow::Owned(vec![ProtocolVersion::V_2026_07_28]),
            McpEra::Session => {
                Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
            }
            McpEra::Both => {
                Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2026_07_28))
            }
        }
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        self.0.maybe_hang("initialize").await;
        context.peer.set_peer_info(request.clone());
        let result = self.negotiate_initialize(&request)?;
        self.0.sessions_created.fetch_add(1, Ordering::Relaxed);
        Ok(result)
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, McpError> {
        self.0.maybe_hang("initialize").await;
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            self.get_info(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.listed(true).into_iter().find(|t| t.name == name)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        self.0.tool_lists.fetch_add(1, Ordering::Relaxed);
        let all = self.listed(self.0.beta.load(Ordering::Relaxed));
        let mut result = ListToolsResult::with_all_items(all);
        result.ttl_ms = list_ttl(&context);
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.0.maybe_hang("tools/call").await;
        self.0.tool_calls.fetch_add(1, Ordering::Relaxed);
        if let Some(parts) = context.extensions.get::<axum::http::request::Parts>() {
            let mut record = self.0.record();
            for (name, value) in &parts.headers {
                if name.as_str().starts_with("mcp-param-") {
                    record.0.push(format!(
                        "{name}: {}",
                        String::from_utf8_lossy(value.as_bytes())
                    ));
                }
            }
        }
        if let Some(code) = self.0.errors.get(request.name.as_ref()) {
            return Err(zenovay_error(*code));
        }
        if let Flavor::ReadApi(data) = self.0.flavor {
            return himetrica::call(data, &request).map(Into::into);
        }
        match request.name.as_ref() {
            "slow_report" => {
                tokio::select! {
                    () = tokio::time::sleep(SLOW) => {}
                    // notifications/cancelled (2025 sessions) or a closed stream (2026-07-28).
                    () = context.ct.cancelled() => {
                        self.0.cancellations.fetch_add(1, Ordering::Relaxed);
                        return Err(McpError::internal_error("request cancelled", None));
                    }
                }
                Ok(text_result(&json!({"report": "done"})).into())
            }
            "enable_beta_tools" => {
                self.0.beta.store(true, Ordering::Relaxed);
                let _ = context.peer.notify_tool_list_changed().await;
                Ok(text_result(&json!({"beta": true})).into())
            }
            "pick_website" => self.pick_website(&request, &context).await,
            _ => self.call(&request).map(Into::into),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let mut result: ListPromptsResult = from_json(json!({"prompts": [{
            "name": "traffic_summary",
            "description": "Summarize a website's traffic.",
            "arguments": [{"name": "website_id", "required": true}]
        }]}))?;
        result.ttl_ms = list_ttl(&context);
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let website = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("website_id"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let result: GetPromptResult = from_json(json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": format!(
                "Summarize the traffic of website {website}."
            )}}]
        }))?;
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        from_json(json!({"resources": [{
            "uri": "zenovay://websites", "name": "websites", "mimeType": "application/json"
        }]}))
    }

    async fn read_resource(
        &self,
        _request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let result: ReadResourceResult = from_json(json!({"contents": [{
            "uri": "zenovay://websites", "mimeType": "application/json",
            "text": json!({"websites": websites()}).to_string()
        }]}))?;
        Ok(result.into())
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        from_json(json!({
            "completion": {"values": ["web_northwind", "web_docs"], "total": 2, "hasMore": false}
        }))
    }
}
