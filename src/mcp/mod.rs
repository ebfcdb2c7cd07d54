//! The MCP server: rmcp's `ServerHandler` over the tool catalog, served on stdin/stdout.
//!
//! Tool failures the model can act on (bad arguments, upstream errors, not signed in) are
//! tool results with `isError: true`; JSON-RPC errors are kept for protocol faults such as an
//! unknown tool name. Uses `tools`.

mod guard;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, CustomRequest,
    CustomResult, ErrorCode, Implementation, InitializeResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::tools::{self, CATALOG, ToolError, Toolbox};

pub use guard::serve_stdio;

/// What the client shows the model about this server as a whole.
const INSTRUCTIONS: &str = "Answers questions about one website's analytics (Himetrica) from live data. \
Dates: startDate/endDate take a date (2026-11-01) or RFC 3339 date-time; without them the window is the last 7 days. \
Overview questions: get_analytics. Trends: get_timeseries. Right now: get_realtime. Content: get_top_pages. \
Acquisition: get_traffic_sources, get_channel_roi. Geography: get_top_locations. Product usage: get_events. \
Money: get_revenue, get_revenue_timeseries, get_top_customers. Which site: get_project. \
Visitors are unique people, sessions are visits, pageviews are pages loaded. Every tool is read-only.";

/// The MCP server over a [`Toolbox`].
#[derive(Clone)]
pub struct AnalyticsServer {
    toolbox: Arc<Toolbox>,
}

impl AnalyticsServer {
    pub fn new(toolbox: Arc<Toolbox>) -> Self {
        Self { toolbox }
    }
}

/// The `tools/list` entries.
pub fn tool_list() -> Vec<Tool> {
    CATALOG
        .iter()
        .map(|t| {
            Tool::new_with_raw(t.name, Some(t.description.into()), t.args.input_schema())
                .with_title(t.title)
                .with_raw_output_schema(Arc::new(tools::output_schema(t)))
                .with_annotations(
                    ToolAnnotations::with_title(t.title)
                        .read_only(true)
                        .destructive(false)
                        .idempotent(true)
                        .open_world(true),
                )
        })
        .collect()
}

impl ServerHandler for AnalyticsServer {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("analytics-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("Analytics (Himetrica)"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tool_list()))
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        Err(McpError::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!(
                "Method not found: {}",
                crate::api::error::clean(&request.method, 80)
            ),
            None,
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        let outcome = tokio::select! {
            outcome = self.toolbox.call(&name, request.arguments.as_ref()) => outcome,
            // notifications/cancelled: dropping the future aborts the upstream request.
            () = context.ct.cancelled() => {
                return Err(McpError::internal_error("request cancelled", None));
            }
        };
        match outcome {
            Ok(output) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(output.text)]);
                result.structured_content = Some(output.structured);
                Ok(result.into())
            }
            Err(ToolError::UnknownTool(_)) => {
                let message = ToolError::UnknownTool(name).message();
                Err(McpError::invalid_params(message, None))
            }
            Err(e) => {
                tracing::info!(tool = %name, error = %e, "tool error");
                Ok(CallToolResult::error(vec![ContentBlock::text(e.message())]).into())
            }
        }
    }
}
