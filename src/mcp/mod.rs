//! The MCP server: rmcp's `ServerHandler` over the tool catalog, served on stdin/stdout.
//!
//! Tool failures the model can act on (bad arguments, upstream errors, not signed in) are
//! tool results with `isError: true`; JSON-RPC errors are kept for protocol faults such as an
//! unknown tool name. Uses `tools`.

mod guard;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, CustomRequest, CustomResult, ErrorCode, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, InitializeResult, ListPromptsResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, Prompt, PromptArgument,
    PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, Role, ServerCapabilities, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::tools::guide::{self, GLOSSARY, INSTRUCTIONS, PROMPTS};
use crate::tools::{self, CATALOG, ToolError, Toolbox};

pub use guard::serve_stdio;

/// The resources: the project (live, from `GET /me`) and the glossary.
const PROJECT_URI: &str = "analytics://project";
const GLOSSARY_URI: &str = "analytics://glossary";

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
        InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_completions()
                .build(),
        )
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

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let prompts = PROMPTS
            .iter()
            .map(|p| {
                let args = p
                    .arguments
                    .iter()
                    .map(|(name, desc)| {
                        PromptArgument::new(*name)
                            .with_description(*desc)
                            .with_required(false)
                    })
                    .collect();
                Prompt::new(p.name, Some(p.description), Some(args)).with_title(p.title)
            })
            .collect();
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let arg = |name: &str| {
            request
                .arguments
                .as_ref()
                .and_then(|a| a.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let text = guide::prompt_text(
            &request.name,
            arg("period").as_deref(),
            arg("metric").as_deref(),
        )
        .map_err(|e| McpError::invalid_params(e, None))?;
        let description = PROMPTS
            .iter()
            .find(|p| p.name == request.name)
            .map(|p| p.description)
            .unwrap_or_default();
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(description)
                .into(),
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(PROJECT_URI, "project")
                .with_title("The signed-in project")
                .with_description("Project id, name and time zone, from the analytics API.")
                .with_mime_type("application/json"),
            Resource::new(GLOSSARY_URI, "glossary")
                .with_title("Analytics glossary")
                .with_description("What each metric and date window means.")
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let contents = match request.uri.as_str() {
            GLOSSARY_URI => {
                ResourceContents::text(GLOSSARY, GLOSSARY_URI).with_mime_type("text/markdown")
            }
            PROJECT_URI => {
                let me = self
                    .toolbox
                    .me()
                    .await
                    .map_err(|e| McpError::internal_error(e.message(), None))?;
                let text = serde_json::to_string_pretty(me).unwrap_or_default();
                ResourceContents::text(text, PROJECT_URI).with_mime_type("application/json")
            }
            other => {
                return Err(McpError::resource_not_found(
                    format!(
                        "no resource {}; known: {PROJECT_URI}, {GLOSSARY_URI}",
                        crate::api::error::clean(other, 80)
                    ),
                    None,
                ));
            }
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let values = match request.r#ref.as_prompt_name() {
            Some(name) if PROMPTS.iter().any(|p| p.name == name) => {
                guide::complete(&request.argument.name, &request.argument.value)
            }
            _ => Vec::new(),
        };
        let info = CompletionInfo::with_all_values(values)
            .map_err(|e| McpError::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
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
