//! One hosted upstream: connected on first use (never by opening a browser), in the era the
//! server speaks (`server/discover` first, `initialize` for older servers, or as the profile's
//! `protocol` pins it), every request under one deadline (`timeout_secs`, as for Read API
//! calls): a server that accepts the connection and never answers costs that long, then an
//! actionable error. A tool call that the server answers with an input request is answered
//! through [`Asker`], else it is a tool error saying why. Before the first call on a
//! connection to a 2026-07-28 server the tools are listed once, so the call carries its
//! `x-mcp-header` parameters as `Mcp-Param-*` headers (SEP-2243). Imports auth, config,
//! credentials, text and its siblings.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::RoleClient;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, Peer, RoleServer, RunningService, ServiceError,
};

use super::client::{UpstreamAuth, WantedScope, transport};
use super::errors;
use super::input::{Answer, Asker, CANNOT_ASK, Events};
use super::relay::Relay;
use crate::config::{Limits, McpUpstream, Protocol};
use crate::credentials::Secret;

/// How long the first request on a new session waits for the session's GET stream.
const SESSION_STREAM_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How many input rounds one call may take (rmcp's own cap).
const MAX_INPUT_ROUNDS: usize = rmcp::model::DEFAULT_MRTR_MAX_ROUNDS;

/// One hosted upstream, connected on first use.
pub struct Upstream {
    config: McpUpstream,
    profile: String,
    auth: UpstreamAuth,
    limits: Limits,
    events: Events,
    service: tokio::sync::Mutex<Option<RunningService<RoleClient, Events>>>,
    /// The scope the server last asked for with `insufficient_scope`.
    wanted_scope: WantedScope,
    /// Whether the whole tool list has been seen on the current connection: rmcp mirrors a
    /// call's `x-mcp-header` parameters from the tool list its transport has seen.
    tools_seen: AtomicBool,
}

impl Upstream {
    pub fn new(
        config: McpUpstream,
        profile: Option<&str>,
        auth: UpstreamAuth,
        limits: Limits,
    ) -> Self {
        Self {
            config,
            profile: profile
                .unwrap_or(crate::config::DEFAULT_PROFILE)
                .to_string(),
            auth,
            limits,
            events: Events::default(),
            service: tokio::sync::Mutex::new(None),
            wanted_scope: WantedScope::default(),
            tools_seen: AtomicBool::new(false),
        }
    }

    /// What a request that ran out of time says.
    fn timed_out(&self, what: &str) -> String {
        format!(
            "the hosted MCP server at {} did not answer {what} within {:.0} s; it may be slow or down: retry shortly, or raise timeout_secs in config.toml (or ANALYTICS_MCP_TIMEOUT_SECS)",
            self.config.url,
            self.limits.timeout.as_secs_f64().max(1.0)
        )
    }

    /// Runs `op` on the upstream (connecting first if needed) within one deadline.
    pub async fn forward<T, F, Fut>(&self, what: &str, op: F) -> Result<T, String>
    where
        F: FnOnce(Peer<RoleClient>) -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let work = async {
            let peer = self.connect().await?;
            op(peer).await.map_err(|e| self.service_error(&e))
        };
        tokio::time::timeout(self.limits.timeout, work)
            .await
            .unwrap_or_else(|_| Err(self.timed_out(what)))
    }

    /// The token manager, when this upstream is signed in through the browser.
    pub fn token_manager(&self) -> Option<&crate::auth::TokenManager> {
        match &self.auth {
            UpstreamAuth::OAuth(m) => Some(m),
            _ => None,
        }
    }

    pub fn config(&self) -> &McpUpstream {
        &self.config
    }

    /// The command that signs this profile in.
    fn login_hint(&self) -> String {
        if self.profile == crate::config::DEFAULT_PROFILE {
            "analytics-mcp login".to_string()
        } else {
            format!("analytics-mcp login --profile {}", self.profile)
        }
    }

    /// A peer on the upstream, connecting (initialize) if there is none yet, within the
    /// deadline.
    pub async fn peer(&self) -> Result<Peer<RoleClient>, String> {
        tokio::time::timeout(self.limits.timeout, self.connect())
            .await
            .unwrap_or_else(|_| Err(self.timed_out("the connection (initialize)")))
    }

    async fn connect(&self) -> Result<Peer<RoleClient>, String> {
        let mut service = self.service.lock().await;
        if let Some(s) = service.as_ref().filter(|s| !s.is_transport_closed()) {
            return Ok(s.peer().clone());
        }
        let events = self.events.clone();
        let connect_timeout = self.limits.connect_timeout.min(self.limits.timeout);
        let (transport, mut session_stream) = transport(
            &self.config.url,
            self.auth.clone(),
            connect_timeout,
            self.wanted_scope.clone(),
        );
        let lifecycle = match self.config.protocol {
            Protocol::Auto => ClientLifecycleMode::Auto {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                legacy_version: Some(ProtocolVersion::V_2025_11_25),
            },
            Protocol::Stateless => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
            Protocol::Session => ClientLifecycleMode::Initialize,
        };
        let running = events
            .serve_with_lifecycle(transport, lifecycle)
            .await
            .map_err(|e| self.connect_error(&e.to_string()))?;
        let peer = running.peer().clone();
        *service = Some(running);
        // A new connection is a new transport, whose tool list starts empty.
        self.tools_seen.store(false, Ordering::Relaxed);
        // A session (2025-era server): rmcp opens the session's GET stream in the background
        // after `initialize`. The first request waits for it (at most SESSION_STREAM_WAIT), so
        // the streams reach the server in their order: one that takes any GET during a call
        // for a resumption of that call's stream (the conformance suite's `sse-retry` server
        // does) would otherwise answer the call on it.
        if !stateless(&peer) {
            let _ =
                tokio::time::timeout(SESSION_STREAM_WAIT, session_stream.wait_for(|open| *open))
                    .await;
        }
        Ok(peer)
    }

    fn connect_error(&self, detail: &str) -> String {
        let detail = crate::text::clean(detail, 300);
        // Step-up authorization: the token works but lacks a scope. Never a browser from
        // here; the person signs in again with the wider scope.
        let wanted = self
            .wanted_scope
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(scope) = wanted.filter(|_| detail.contains("Insufficient scope")) {
            return format!(
                "the hosted MCP server at {} needs more access (scope `{scope}`): sign in again with `{} --scope \"{scope}\"`",
                self.config.url,
                self.login_hint()
            );
        }
        // rmcp wraps the transport's `AuthRequired` (a 401) in its initialize error; its text
        // is the only stable handle on it from here.
        if detail.contains("Auth required") || detail.contains("401") {
            format!(
                "the hosted MCP server at {} wants a sign-in: run `{}`",
                self.config.url,
                self.login_hint()
            )
        } else {
            format!(
                "could not connect to the hosted MCP server at {}: {detail}",
                self.config.url
            )
        }
    }

    /// The upstream's tools that pass the profile's filters (one page).
    pub async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListToolsResult, String> {
        let first_page = request.as_ref().is_none_or(|r| r.cursor.is_none());
        let mut page = self
            .forward("tools/list", |peer| async move {
                peer.list_tools(request).await
            })
            .await?;
        if page.next_cursor.is_none() && first_page {
            self.tools_seen.store(true, Ordering::Relaxed);
        }
        page.tools.retain(|t| self.config.keeps(&t.name));
        Ok(crate::text::cleaned(page))
    }

    /// The downstream client, once it has initialized: it hears list changes and answers a
    /// 2025-era server's input requests.
    pub fn set_downstream(&self, peer: Peer<RoleServer>) {
        let _ = self.events.downstream.set(peer);
    }

    /// Calls `name` upstream within the deadline, for the terminal (no one to answer input
    /// requests); every failure is a tool result the model can read.
    pub async fn call_tool(&self, request: CallToolRequestParams) -> CallToolResult {
        match self.call_tool_for(request, &Asker::Nobody).await {
            CallToolResponse::Complete(result) => result,
            _ => tool_error(
                "the hosted server answered with something other than a tool result".into(),
            ),
        }
    }

    /// Calls `name` upstream for a 2026-07-28 client that can answer input requests: its
    /// retry may carry the answer to a 2025-era server's question ([`Relay`]).
    pub async fn call_tool_relayed(
        self: Arc<Self>,
        request: CallToolRequestParams,
    ) -> CallToolResponse {
        let relay = self.events.relay.clone();
        let state = request.request_state.clone();
        let answer = Relay::answer(request.input_responses.as_ref());
        let upstream = self.clone();
        let call = relay.start_or_resume(state.as_deref(), answer, move || {
            tokio::spawn(async move { upstream.call_tool_for(request, &Asker::Modern).await })
        });
        relay.drive(call).await
    }

    /// Calls `name` upstream within the deadline, with `asker` answering input requests.
    pub async fn call_tool_for(
        &self,
        request: CallToolRequestParams,
        asker: &Asker,
    ) -> CallToolResponse {
        let name = request.name.to_string();
        match tokio::time::timeout(self.limits.timeout, self.call_tool_now(request, asker)).await {
            Ok(result) => result,
            Err(_) => tool_error(self.timed_out(&format!("the call to `{name}`"))).into(),
        }
    }

    async fn call_tool_now(
        &self,
        mut request: CallToolRequestParams,
        asker: &Asker,
    ) -> CallToolResponse {
        let name = request.name.to_string();
        if !self.config.keeps(&name) {
            return tool_error(format!(
                "`{name}` is not among this profile's tools (its `tools`/`exclude_tools` filters in config.toml leave it out); list the tools and pick one of those."
            )).into();
        }
        let peer = match self.connect().await {
            Ok(peer) => peer,
            Err(e) => return tool_error(e).into(),
        };
        // SEP-2243: a 2026-07-28 server reads a tool's `x-mcp-header` parameters from
        // `Mcp-Param-*` headers, which rmcp fills from the tool list it has seen; a client
        // (or the terminal's `call`) that calls without listing first gets the list read here.
        if stateless(&peer) && !self.tools_seen.swap(true, Ordering::Relaxed) {
            let _ = peer.list_all_tools().await;
        }
        let (mut retried, mut relisted) = (false, false);
        for _ in 0..MAX_INPUT_ROUNDS {
            self.events.take_refused();
            let error = match peer.call_tool_once(request.clone()).await {
                Ok(CallToolResponse::InputRequired(input)) => match asker.answer(input).await {
                    Ok(Answer::PassOn(input)) => return input.into(),
                    Ok(Answer::Retry(responses, state)) => {
                        request.input_responses = responses;
                        request.request_state = state;
                        continue;
                    }
                    Ok(Answer::Refused) => {
                        return tool_error(format!("`{name}` {CANNOT_ASK}.")).into();
                    }
                    Err(e) => return tool_error(e).into(),
                },
                Ok(CallToolResponse::Complete(result)) => {
                    return CallToolResponse::Complete(crate::text::cleaned(result));
                }
                Ok(other) => return other,
                Err(_) if self.events.take_refused() => {
                    return tool_error(format!("`{name}` {CANNOT_ASK}.")).into();
                }
                Err(ServiceError::McpError(e)) => e,
                Err(e) => return tool_error(self.service_error(&e)).into(),
            };
            // A 2026-07-28 server refuses a call whose `x-mcp-header` parameters are not
            // mirrored in `Mcp-Param-*` headers; rmcp mirrors them from the tool list it has
            // seen, so list once (filling that cache) and call again.
            if error.code == rmcp::model::ErrorCode::HEADER_MISMATCH && !relisted {
                relisted = true;
                if peer.list_all_tools().await.is_ok() {
                    continue;
                }
            }
            if error.code.0 == errors::AUTH_REQUIRED && !retried {
                retried = true;
                if self.refresh_after_rejection().await {
                    continue;
                }
            }
            return tool_error(errors::describe(
                error.code.0,
                &error.message,
                &name,
                &self.profile,
            ))
            .into();
        }
        tool_error(format!("`{name}` asked for input more than {MAX_INPUT_ROUNDS} times; try again or answer differently.")).into()
    }

    /// Refreshes the OAuth token the upstream just refused; false without OAuth or on failure.
    async fn refresh_after_rejection(&self) -> bool {
        let UpstreamAuth::OAuth(m) = &self.auth else {
            return false;
        };
        let current: Secret<String> = m.tokens().await.access_token;
        m.after_rejection(&current).await.is_ok()
    }

    fn service_error(&self, e: &ServiceError) -> String {
        match e {
            ServiceError::McpError(e) => format!(
                "the hosted MCP server answered with error {}: {}",
                e.code.0,
                crate::text::clean(&e.message, 200)
            ),
            other => self.connect_error(&other.to_string()),
        }
    }
}

/// Whether `peer` speaks the stateless 2026-07-28 revision (no session, no GET stream).
fn stateless(peer: &Peer<RoleClient>) -> bool {
    peer.peer_info()
        .is_some_and(|info| info.protocol_version == ProtocolVersion::V_2026_07_28)
}

pub(super) fn tool_error(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}
