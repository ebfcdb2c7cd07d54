//! Our stdio server in front of a hosted MCP server ([`Upstream`]): `tools/list` (filtered by
//! the profile's globs, `ttlMs` kept), `tools/call`, `prompts/*`, `resources/*` and
//! `completion/complete` are forwarded; `notifications/*/list_changed` come back through; a
//! cancelled call drops the upstream request (rmcp then cancels it there: a
//! `notifications/cancelled` in a 2025-era session, the closed response stream in 2026-07-28);
//! input requests go to the client that can answer them ([`super::input`]). Imports its
//! siblings.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, Implementation, InitializeResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ResultType, ServerCapabilities,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use super::input::Asker;
pub use super::upstream::Upstream;

/// Results from a 2025-era upstream carry no `resultType`; 2026-07-28 clients need it
/// (`"complete"`), and rmcp strips it again for older clients.
macro_rules! complete {
    ($result:expr) => {{
        // Every forwarded result, cleaned of hidden characters on its way to the model.
        let mut result = crate::text::cleaned($result);
        result.result_type.get_or_insert(ResultType::COMPLETE);
        result
    }};
}

fn forwarded(e: String) -> McpError {
    McpError::internal_error(crate::text::line(&e).into_owned(), None)
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
            .config()
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
            self.upstream.config().url
        ))
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.upstream.set_downstream(context.peer.clone());
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
        self.upstream
            .list_tools(request)
            .await
            .map(|r| complete!(r))
            .map_err(forwarded)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let asker = Asker::of(&context);
        let call = async {
            match asker {
                Asker::Modern => self.upstream.clone().call_tool_relayed(request).await,
                _ => self.upstream.call_tool_for(request, &asker).await,
            }
        };
        tokio::select! {
            result = call => Ok(match result {
                CallToolResponse::Complete(r) => CallToolResponse::Complete(complete!(r)),
                other => other,
            }),
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
            .map(|r| complete!(r))
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
            .map(|r| complete!(r))
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
            .map(|r| complete!(r))
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
            .map(|r| complete!(r))
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
            .map(|r| complete!(r))
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
            .map(|r| complete!(r))
            .map_err(forwarded)
    }
}
