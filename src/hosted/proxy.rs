//! Our stdio server in front of a hosted MCP server: `tools/list` (filtered by the profile's
//! globs), `tools/call`, `prompts/*`, `resources/*` and `completion/complete` are forwarded;
//! `notifications/*/list_changed` come back through; a cancelled call drops the upstream
//! request (rmcp then sends `notifications/cancelled` upstream). The upstream is connected
//! on first use, never by opening a browser. Connecting and every forwarded request run under
//! one deadline (`timeout_secs`, as for Read API calls): a server that accepts the connection
//! and never answers costs that long, then an actionable error.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientConfig, CompleteRequestParams,
    CompleteResult, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, NotificationContext, Peer, RequestContext,
    RunningService, ServiceError,
};
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, RoleServer, ServerHandler};

use super::client::{UpstreamAuth, WantedScope, transport};
use super::errors;
use crate::config::{Limits, McpUpstream, Protocol};
use crate::credentials::Secret;

/// Passes the upstream's list-changed notifications to our client.
#[derive(Clone)]
struct Events {
    downstream: Arc<OnceLock<Peer<RoleServer>>>,
}

impl ClientHandler for Events {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            Default::default(),
            Implementation::new("analytics-mcp", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_tool_list_changed().await;
        }
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_prompt_list_changed().await;
        }
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_resource_list_changed().await;
        }
    }
}

/// One hosted upstream, connected on first use.
pub struct Upstream {
    config: McpUpstream,
    profile: String,
    auth: UpstreamAuth,
    limits: Limits,
    downstream: Arc<OnceLock<Peer<RoleServer>>>,
    service: tokio::sync::Mutex<Option<RunningService<RoleClient, Events>>>,
    /// The scope the server last asked for with `insufficient_scope`.
    wanted_scope: WantedScope,
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
            downstream: Arc::new(OnceLock::new()),
            service: tokio::sync::Mutex::new(None),
            wanted_scope: WantedScope::default(),
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
        let events = Events {
            downstream: self.downstream.clone(),
        };
        let connect_timeout = self.limits.connect_timeout.min(self.limits.timeout);
        let transport = transport(
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
        let mut page = self
            .forward("tools/list", |peer| async move {
                peer.list_tools(request).await
            })
            .await?;
        page.tools.retain(|t| self.config.keeps(&t.name));
        Ok(page)
    }

    /// Calls `name` upstream within the deadline; every failure is a tool result the model
    /// can read.
    pub async fn call_tool(&self, request: CallToolRequestParams) -> CallToolResult {
        let name = request.name.to_string();
        match tokio::time::timeout(self.limits.timeout, self.call_tool_now(request)).await {
            Ok(result) => result,
            Err(_) => tool_error(self.timed_out(&format!("the call to `{name}`"))),
        }
    }

    async fn call_tool_now(&self, request: CallToolRequestParams) -> CallToolResult {
        let name = request.name.to_string();
        if !self.config.keeps(&name) {
            return tool_error(format!(
                "`{name}` is not among this profile's tools (its `tools`/`exclude_tools` filters in config.toml leave it out); list the tools and pick one of those."
            ));
        }
        let peer = match self.connect().await {
            Ok(peer) => peer,
            Err(e) => return tool_error(e),
        };
        let mut retried = false;
        loop {
            match peer.call_tool(request.clone()).await {
                Ok(result) => return result,
                Err(ServiceError::McpError(e)) if e.code.0 == errors::AUTH_REQUIRED && !retried => {
                    retried = true;
                    if !self.refresh_after_rejection().await {
                        return tool_error(errors::describe(
                            e.code.0,
                            &e.message,
                            &name,
                            &self.profile,
                        ));
                    }
                }
                Err(ServiceError::McpError(e)) => {
                    return tool_error(errors::describe(
                        e.code.0,
                        &e.message,
                        &name,
                        &self.profile,
                    ));
                }
                Err(e) => return tool_error(self.service_error(&e)),
            }
        }
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

fn tool_error(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

fn forwarded(e: String) -> McpError {
    McpError::internal_error(e, None)
}

/// The stdio-facing server.
#[derive(Clone)]
pub struct HostedServer {
    upstream: Arc<Upstream>,
}

impl HostedServer {
    pub fn new(upstream: Arc<Upstream>) -> Self {
        Self { upstream }
    }
}

impl ServerHandler for HostedServer {
    fn get_info(&self) -> InitializeResult {
        let host = self
            .upstream
            .config
            .url
            .host_str()
            .unwrap_or("?")
            .to_string();
        InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
        .with_server_info(
            Implementation::new("analytics-mcp", env!("CARGO_PKG_VERSION"))
                .with_title(format!("Analytics (hosted MCP at {host})")),
        )
        .with_instructions(format!(
            "Bridges the hosted analytics MCP server at {}. Its tools, prompts and resources are the server's own; errors come back as tool results that say what to do.",
            self.upstream.config.url
        ))
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let _ = self.upstream.downstream.set(context.peer.clone());
        // Connect now, so the first tools/list does not wait for it.
        let upstream = self.upstream.clone();
        tokio::spawn(async move {
            if let Err(e) = upstream.peer().await {
                tracing::warn!("{e}");
            }
        });
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        self.upstream.list_tools(request).await.map_err(forwarded)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        tokio::select! {
            result = self.upstream.call_tool(request) => Ok(result.into()),
            // Dropping the upstream request makes rmcp cancel it there too.
            () = context.ct.cancelled() => Err(McpError::internal_error("request cancelled", None)),
        }
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        self.upstream
            .forward("prompts/list", |peer| async move {
                peer.list_prompts(request).await
            })
            .await
            .map_err(forwarded)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        self.upstream
            .forward("prompts/get", |peer| async move {
                peer.get_prompt(request).await
            })
            .await
            .map(Into::into)
            .map_err(forwarded)
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.upstream
            .forward("resources/list", |peer| async move {
                peer.list_resources(request).await
            })
            .await
            .map_err(forwarded)
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        self.upstream
            .forward("resources/templates/list", |peer| async move {
                peer.list_resource_templates(request).await
            })
            .await
            .map_err(forwarded)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        self.upstream
            .forward("resources/read", |peer| async move {
                peer.read_resource(request).await
            })
            .await
            .map(Into::into)
            .map_err(forwarded)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        self.upstream
            .forward("completion/complete", |peer| async move {
                peer.complete(request).await
            })
            .await
            .map_err(forwarded)
    }
}
