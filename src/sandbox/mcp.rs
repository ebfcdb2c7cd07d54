//! The sandbox's hosted MCP endpoint, `POST /mcp`: a small Streamable HTTP server in the
//! manner of Zenovay's (JSON answers, `Mcp-Session-Id` sessions, 404 for a session it no
//! longer knows), protected by the sandbox's OAuth server (or the demo key as a bearer
//! token), with a handful of Zenovay-style tools and switches that make a tool answer with
//! each of Zenovay's error codes. Tests and demos of `serve --profile` need no account.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::data;

/// The path of the endpoint.
pub const PATH: &str = super::MCP_PATH;

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

/// Counters for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct McpStats {
    pub sessions_created: u64,
    pub tool_calls: u64,
    /// Requests refused for a session id it does not know.
    pub unknown_sessions: u64,
    /// `notifications/cancelled` received.
    pub cancellations: u64,
}

pub struct McpEndpoint {
    /// Tool name → the error code its calls answer with.
    errors: HashMap<String, i64>,
    sessions: Mutex<HashSet<String>>,
    sessions_created: AtomicU64,
    tool_calls: AtomicU64,
    unknown_sessions: AtomicU64,
    cancellations: AtomicU64,
    /// Set by `enable_beta_tools`: `get_funnels` joins the list.
    beta: std::sync::atomic::AtomicBool,
    /// Methods whose requests are accepted and never answered (within [`HANG`]).
    hang: Vec<String>,
}

/// How long a hung request waits before the sandbox answers it after all (bounded, so a
/// test run always ends).
const HANG: std::time::Duration = std::time::Duration::from_secs(300);

/// How long `slow_report` takes unless cancelled.
const SLOW: std::time::Duration = std::time::Duration::from_secs(10);

/// Zenovay's wording for one of its codes ("Error" for any other).
fn error_message(code: i64) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
        .unwrap_or("Error")
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

impl McpEndpoint {
    pub fn new(errors: HashMap<String, i64>, hang: Vec<String>) -> Self {
        Self {
            errors,
            hang,
            sessions: Mutex::new(HashSet::new()),
            sessions_created: AtomicU64::new(0),
            tool_calls: AtomicU64::new(0),
            unknown_sessions: AtomicU64::new(0),
            cancellations: AtomicU64::new(0),
            beta: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn stats(&self) -> McpStats {
        McpStats {
            sessions_created: self.sessions_created.load(Ordering::Relaxed),
            tool_calls: self.tool_calls.load(Ordering::Relaxed),
            unknown_sessions: self.unknown_sessions.load(Ordering::Relaxed),
            cancellations: self.cancellations.load(Ordering::Relaxed),
        }
    }

    /// Forgets every session, as a server restart or a load balancer would.
    pub fn drop_sessions(&self) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Answers `/mcp` (already authorized).
    pub async fn handle(&self, method: &Method, headers: &HeaderMap, body: &[u8]) -> Response {
        let session = headers
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let known = |id: &str| {
            self.sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(id)
        };
        match *method {
            Method::GET => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
            Method::DELETE => {
                if let Some(id) = session {
                    self.sessions
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                }
                return StatusCode::OK.into_response();
            }
            Method::POST => {}
            _ => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
        }
        let Ok(message) = serde_json::from_slice::<Value>(body) else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(rpc_error(&Value::Null, -32700, "Parse error")),
            )
                .into_response();
        };
        let id = message.get("id").cloned();
        let method_name = message["method"].as_str().unwrap_or_default().to_string();
        if id.is_some() && self.hang.contains(&method_name) {
            tokio::time::sleep(HANG).await;
        }
        if method_name == "initialize" {
            let new_id = super::random("sbx_session_");
            self.sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(new_id.clone());
            self.sessions_created.fetch_add(1, Ordering::Relaxed);
            let version = message["params"]["protocolVersion"]
                .as_str()
                .unwrap_or("2025-06-18");
            let mut r = axum::Json(json!({
                "jsonrpc": "2.0",
                "id": id,
                "result": {
                    "protocolVersion": version,
                    "capabilities": {
                        "tools": {"listChanged": true},
                        "prompts": {},
                        "resources": {},
                        "completions": {}
                    },
                    "serverInfo": {"name": "zenovay-sandbox", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Sandbox stand-in for a hosted analytics MCP server."
                }
            }))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&new_id) {
                r.headers_mut().insert("mcp-session-id", v);
            }
            return r;
        }
        match session {
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(rpc_error(
                        id.as_ref().unwrap_or(&Value::Null),
                        -32600,
                        "Missing Mcp-Session-Id",
                    )),
                )
                    .into_response();
            }
            Some(s) if !known(&s) => {
                self.unknown_sessions.fetch_add(1, Ordering::Relaxed);
                return (StatusCode::NOT_FOUND, "Session not found").into_response();
            }
            Some(_) => {}
        }
        let Some(id) = id else {
            // A notification (initialized, cancelled, …): accepted, nothing to answer.
            if method_name == "notifications/cancelled" {
                self.cancellations.fetch_add(1, Ordering::Relaxed);
            }
            return StatusCode::ACCEPTED.into_response();
        };
        let tool = message["params"]["name"].as_str().unwrap_or_default();
        if method_name == "tools/call" && tool == "slow_report" {
            self.tool_calls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(SLOW).await;
            return axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": text_result(&json!({"report": "done"}))})).into_response();
        }
        if method_name == "tools/call" && tool == "enable_beta_tools" {
            // The answer is an SSE stream: the list-changed notification, then the result.
            self.tool_calls.fetch_add(1, Ordering::Relaxed);
            self.beta.store(true, Ordering::Relaxed);
            let notice = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"});
            let result =
                json!({"jsonrpc": "2.0", "id": id, "result": text_result(&json!({"beta": true}))});
            let body =
                format!("event: message\ndata: {notice}\n\nevent: message\ndata: {result}\n\n");
            return ([("content-type", "text/event-stream")], body).into_response();
        }
        let answer = match method_name.as_str() {
            "ping" => json!({"jsonrpc": "2.0", "id": id, "result": {}}),
            "tools/list" => {
                let mut list = tools();
                if self.beta.load(Ordering::Relaxed)
                    && let Some(items) = list.as_array_mut()
                {
                    items.push(json!({
                        "name": "get_funnels",
                        "description": "Funnel conversion by step (beta).",
                        "inputSchema": {"type": "object", "properties": {}}
                    }));
                }
                json!({"jsonrpc": "2.0", "id": id, "result": {"tools": list}})
            }
            "tools/call" => self.call(&id, &message["params"]),
            "prompts/list" => json!({"jsonrpc": "2.0", "id": id, "result": {"prompts": [{
                "name": "traffic_summary",
                "description": "Summarize a website's traffic.",
                "arguments": [{"name": "website_id", "required": true}]
            }]}}),
            "prompts/get" => json!({"jsonrpc": "2.0", "id": id, "result": {
                "messages": [{"role": "user", "content": {"type": "text", "text": format!(
                    "Summarize the traffic of website {}.",
                    message["params"]["arguments"]["website_id"].as_str().unwrap_or("?")
                )}}]
            }}),
            "resources/list" => json!({"jsonrpc": "2.0", "id": id, "result": {"resources": [{
                "uri": "zenovay://websites", "name": "websites", "mimeType": "application/json"
            }]}}),
            "resources/read" => json!({"jsonrpc": "2.0", "id": id, "result": {"contents": [{
                "uri": "zenovay://websites", "mimeType": "application/json",
                "text": json!({"websites": websites()}).to_string()
            }]}}),
            "completion/complete" => json!({"jsonrpc": "2.0", "id": id, "result": {
                "completion": {"values": ["web_northwind", "web_docs"], "total": 2, "hasMore": false}
            }}),
            other => rpc_error(&id, -32601, &format!("Method not found: {other}")),
        };
        axum::Json(answer).into_response()
    }

    fn call(&self, id: &Value, params: &Value) -> Value {
        self.tool_calls.fetch_add(1, Ordering::Relaxed);
        let name = params["name"].as_str().unwrap_or_default();
        if let Some(code) = self.errors.get(name) {
            return rpc_error(id, *code, error_message(*code));
        }
        let args = &params["arguments"];
        let result = match name {
            "list_websites" => {
                let data = json!({"websites": websites()});
                text_result(&data)
            }
            "get_visitors" => {
                let website = args["website_id"].as_str().unwrap_or_default();
                if !websites().iter().any(|w| w["id"] == website) {
                    return json!({"jsonrpc": "2.0", "id": id, "result": {
                        "content": [{"type": "text", "text": format!("Unknown website_id `{website}`; call list_websites.")}],
                        "isError": true
                    }});
                }
                let visitors = if website == "web_northwind" {
                    9167
                } else {
                    2140
                };
                let mut data =
                    json!({"website_id": website, "visitors": visitors, "period": "last_7_days"});
                if args["compare"].as_bool() == Some(true) {
                    data["previous"] = json!(visitors - 333);
                    data["change_percent"] =
                        json!(((333.0 / (visitors - 333) as f64) * 1000.0).round() / 10.0);
                }
                text_result(&data)
            }
            // The sandbox's accounts are read-only, as a read-scoped sign-in would be.
            "create_goal" => {
                return rpc_error(id, -32007, error_message(-32007));
            }
            "get_funnels" if self.beta.load(Ordering::Relaxed) => {
                text_result(&json!({"funnels": [{"name": "signup", "conversion": 0.31}]}))
            }
            "get_api_usage" => text_result(
                &json!({"used_today": self.tool_calls.load(Ordering::Relaxed), "daily_limit": 1000, "resets": "00:00 UTC"}),
            ),
            _ => return rpc_error(id, -32601, &format!("Unknown tool: {name}")),
        };
        json!({"jsonrpc": "2.0", "id": id, "result": result})
    }
}

fn text_result(data: &Value) -> Value {
    json!({"content": [{"type": "text", "text": data.to_string()}], "structuredContent": data, "isError": false})
}

fn websites() -> Vec<Value> {
    vec![
        json!({"id": "web_northwind", "domain": data::PROJECT_DOMAIN, "name": data::PROJECT_NAME}),
        json!({"id": "web_docs", "domain": "docs.northwind-notes.example", "name": "Northwind Notes docs"}),
    ]
}

fn tools() -> Value {
    json!([
        {
            "name": "list_websites",
            "description": "The websites this account can read.",
            "inputSchema": {"type": "object", "properties": {}}
        },
        {
            "name": "get_visitors",
            "description": "Unique visitors of a website over the last 7 days, optionally compared with the 7 days before.",
            "inputSchema": {"type": "object", "properties": {
                "website_id": {"type": "string", "description": "From list_websites."},
                "compare": {"type": "boolean", "description": "Add the previous period."}
            }, "required": ["website_id"]}
        },
        {
            "name": "get_api_usage",
            "description": "Requests used today against the daily limit.",
            "inputSchema": {"type": "object", "properties": {}}
        },
        {
            "name": "enable_beta_tools",
            "description": "Turn on beta tools (the tool list changes).",
            "inputSchema": {"type": "object", "properties": {}}
        },
        {
            "name": "slow_report",
            "description": "A report that takes a while (10 s).",
            "inputSchema": {"type": "object", "properties": {}}
        },
        {
            "name": "create_goal",
            "description": "Create a conversion goal (needs write permission).",
            "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        }
    ])
}
