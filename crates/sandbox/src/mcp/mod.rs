//! The sandbox's hosted MCP endpoints: rmcp's Streamable HTTP server
//! ([`StreamableHttpService`] with its in-memory session manager) in front of a handful of
//! Zenovay-style tools at `/mcp` ([`server`]), or of Himetrica's eleven Read API tools at
//! `/api/v1/mcp` ([`himetrica`], issue 24; the same server in another [`Flavor`]), protected by the sandbox's OAuth server (or the demo key
//! as a bearer token; the caller checks that before [`McpEndpoint::handle`]). It speaks
//! either era or both ([`McpEra`]): MCP 2026-07-28 (stateless, `server/discover`, per-request
//! `_meta`) and 2025-11-25 (`initialize`, `Mcp-Session-Id` sessions, 404 for a session it has
//! forgotten). Tests and demos of `serve --profile` need no account. Imports rmcp, axum and
//! its sibling [`server`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};

mod catalog;
mod himetrica;
mod server;

pub use himetrica::ReadApiData;
pub use server::{ERROR_CODES, Flavor, LIST_TTL_MS};
use server::{Shared, Zenovay};

/// The path of the endpoint.
pub const PATH: &str = super::MCP_PATH;

/// Which protocol era the endpoint speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum McpEra {
    /// MCP 2026-07-28 only: stateless; `initialize` is refused.
    Stateless,
    /// MCP 2025-11-25 and older only: `initialize` and a session; a request without a
    /// session (`server/discover` included) is a 400, as such servers answer it.
    #[default]
    Session,
    /// Both on one endpoint, as rmcp serves them: a request with 2026-07-28 `_meta` is served
    /// statelessly, `initialize` opens a session.
    Both,
}

impl std::str::FromStr for McpEra {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "2026-07-28" | "stateless" => Ok(Self::Stateless),
            "2025-11-25" | "session" => Ok(Self::Session),
            "both" => Ok(Self::Both),
            other => Err(format!(
                "`{other}` is not an MCP era: use 2026-07-28, 2025-11-25 or both"
            )),
        }
    }
}

/// What the endpoint has seen, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpStats {
    pub sessions_created: u64,
    pub tool_calls: u64,
    /// `tools/list` requests answered.
    pub tool_lists: u64,
    /// Requests refused for a session id it does not know.
    pub unknown_sessions: u64,
    /// Tool calls (`slow_report`) that saw their cancellation: `notifications/cancelled` in
    /// a session, the closed response stream in 2026-07-28.
    pub cancellations: u64,
    /// `Mcp-Param-*` headers received with tool calls, as `name: value`.
    pub param_headers: Vec<String>,
    /// The answers `pick_website`'s input request got, as `action:website_id`.
    pub inputs: Vec<String>,
}

pub struct McpEndpoint {
    shared: Arc<Shared>,
    sessions: Arc<LocalSessionManager>,
    service: StreamableHttpService<Zenovay, LocalSessionManager>,
}

impl McpEndpoint {
    /// The endpoint for `flavor`, speaking the era and failing the methods `options` say.
    pub fn new(flavor: Flavor, options: &crate::SandboxOptions) -> Self {
        let era = options.mcp_era;
        let (errors, hang) = (options.mcp_errors.clone(), options.mcp_hang.clone());
        let shared = Arc::new(Shared::new(era, flavor, errors, hang));
        let sessions = Arc::new(LocalSessionManager::default());
        let factory = {
            let shared = shared.clone();
            move || Ok(Zenovay(shared.clone()))
        };
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(era != McpEra::Stateless)
            // No keep-alive pings: answers end when their result is sent.
            .with_sse_keep_alive(None);
        Self {
            service: StreamableHttpService::new(factory, sessions.clone(), config),
            shared,
            sessions,
        }
    }

    pub fn stats(&self) -> McpStats {
        let s = &self.shared;
        let (param_headers, inputs) = s.record.lock().unwrap_or_else(|p| p.into_inner()).clone();
        McpStats {
            sessions_created: s.sessions_created.load(Ordering::Relaxed),
            tool_calls: s.tool_calls.load(Ordering::Relaxed),
            tool_lists: s.tool_lists.load(Ordering::Relaxed),
            unknown_sessions: s.unknown_sessions.load(Ordering::Relaxed),
            cancellations: s.cancellations.load(Ordering::Relaxed),
            param_headers,
            inputs,
        }
    }

    /// Forgets every session, as a server restart or a load balancer would.
    pub fn drop_sessions(&self) {
        // Called from test threads outside the runtime: take the lock without awaiting
        // (bounded: the session map is held only briefly by requests).
        for _ in 0..1000 {
            if let Ok(mut sessions) = self.sessions.sessions.try_write() {
                sessions.clear();
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Answers `/mcp` (already authorized).
    pub async fn handle(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Response {
        let session = headers.contains_key("mcp-session-id");
        if self.shared.era == McpEra::Session && method == Method::POST && !session {
            // A 2025-era server knows no request outside a session but `initialize`.
            let message = serde_json::from_slice::<Value>(&body).unwrap_or_default();
            if message["method"]
                .as_str()
                .is_some_and(|m| m != "initialize")
            {
                let answer = json!({"jsonrpc": "2.0", "id": message["id"], "error": {
                    "code": -32600, "message": "Bad Request: Mcp-Session-Id header is required"
                }});
                return (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response();
            }
        }
        let mut request = Request::new(Body::from(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let response = self.service.handle(request).await;
        if session && response.status() == StatusCode::NOT_FOUND {
            self.shared.unknown_sessions.fetch_add(1, Ordering::Relaxed);
        }
        response.map(Body::new)
    }
}
