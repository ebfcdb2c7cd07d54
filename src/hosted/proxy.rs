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

/// A `ServerHandler` method passed through as it is: the request goes to the hosted server's
/// method of the same name (as `$method` in errors), and its result comes back marked complete
/// (converted into the response type where rmcp wants one).
macro_rules! forward {
    ($name:ident($params:ty) -> $response:ty, $method:literal) => {
        async fn $name(
            &self,
            request: $params,
            _context: RequestContext<RoleServer>,
        ) -> Result<$response, McpError> {
            self.upstream
                .forward($method, |peer| async move { peer.$name(request).await })
                .await
                .map(|r| <$response>::from(complete!(r)))
                .map_err(forwarded)
        }
    };
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

    forward!(
        list_prompts(Option<PaginatedRequestParams>) -> ListPromptsResult,
        "prompts/list"
    );
    forward!(get_prompt(GetPromptRequestParams) -> GetPromptResponse, "prompts/get");
    forward!(
        list_resources(Option<PaginatedRequestParams>) -> ListResourcesResult,
        "resources/list"
    );
    forward!(
        list_resource_templates(Option<PaginatedRequestParams>) -> ListResourceTemplatesResult,
        "resources/templates/list"
    );
    forward!(read_resource(ReadResourceRequestParams) -> ReadResourceResponse, "resources/read");
    forward!(complete(CompleteRequestParams) -> CompleteResult, "completion/complete");
}
