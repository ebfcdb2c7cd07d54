//! The MCP server: rmcp's `ServerHandler` over the tool catalog, served on stdin/stdout.
//!
//! Tool failures the model can act on (bad arguments, upstream errors, not signed in) are
//! tool results with `isError: true`; JSON-RPC errors are kept for protocol faults such as an
//! unknown tool name. What a result carries depends on the client (`output_for`): Claude Code
//! and Codex give their model `structuredContent` instead of the text when both are there, so
//! they get the text alone. What a client declares adds to what it sees: the MCP Apps view
//! (`apps.rs`) and the skills (`skills.rs`). Uses `tools` and `skills` (and the `output`
//! setting from `config`).

mod apps;
mod guard;
mod skills;
mod stdio;
mod transport;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, CustomRequest, CustomResult, DiscoverResult, ErrorCode,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, GetSkillRequestParams,
    GetSkillResult, Implementation, InitializeRequestParams, InitializeResult, ListPromptsResult,
    ListResourcesResult, ListSkillsResult, ListToolsResult, PaginatedRequestParams, Prompt,
    PromptArgument, PromptMessage, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, Role, ServerCapabilities,
    Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::config::Output;
use crate::tools::guide::{self, GLOSSARY, INSTRUCTIONS, PROMPTS};
use crate::tools::icons::Icon;
use crate::tools::projects::{Listed, catalog_listing};
use crate::tools::{Projects, ToolError, Toolbox};

pub use stdio::put_back as put_back_stdio;
pub use transport::serve_stdio;

/// The resources: the project (live, from `GET /me`) and the glossary.
const PROJECT_URI: &str = "analytics://project";
const GLOSSARY_URI: &str = "analytics://glossary";

/// The MCP server over a [`Toolbox`], or over several projects' (issue 26).
#[derive(Clone)]
pub struct AnalyticsServer {
    projects: Arc<Projects>,
}

impl AnalyticsServer {
    pub fn new(toolbox: Arc<Toolbox>) -> Self {
        Self::over(Projects::one(toolbox))
    }

    /// The server over every project in `projects` (one toolbox each).
    pub fn over(projects: Projects) -> Self {
        Self {
            projects: Arc::new(projects),
        }
    }

    /// Makes the `tools/list` entries' schemas now, on the runtime's worker, while the
    /// client's `initialize` is answered on the main thread (rmcp's handshake runs in the
    /// future `serve` awaits): the first `tools/list` comes right after it and finds them made
    /// (about 0.6 ms of a cold start, BENCHMARKS.md).
    pub fn prepare_listing(&self) {
        let projects = self.projects.clone();
        tokio::spawn(async move {
            projects.listing();
        });
    }
}

/// Clients known to hand their model only `structuredContent` when a result has it (and drop
/// the text): Claude Code and Codex, measured through the real clients (tests/it/clients.rs);
/// VS Code, as reported by its users. They get the compact text alone: measured, it is
/// 10-25% smaller than the same answer as JSON for every list tool (an aligned table needs no
/// quotes, brackets or keys), and without `structuredContent` these clients read the text.
const TEXT_FIRST: &[&str] = &["claude-code", "codex-mcp-client", "Visual Studio Code"];

/// How long a client may keep our `tools/list` and `prompts/list` (2026-07-28 `ttlMs`): they
/// never change while the process runs.
const LIST_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The output mode for the client of this request: the configured one, or with `auto` the one
/// its name at `initialize` (or, on 2026-07-28, in the request's `_meta`) calls for.
fn output_for(configured: Output, context: &RequestContext<RoleServer>) -> Output {
    if configured != Output::Auto {
        return configured;
    }
    let name = context
        .meta
        .client_info()
        .map(|info| info.name)
        .or_else(|| context.peer.peer_info().map(|p| p.client_info.name.clone()));
    match name {
        Some(name) if TEXT_FIRST.contains(&name.as_str()) => Output::Text,
        _ => Output::Both,
    }
}

/// The `ttlMs` of a list result: only for a request that speaks 2026-07-28 or later, which
/// knows it.
fn list_ttl(context: &RequestContext<RoleServer>) -> Option<u64> {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
        .then_some(LIST_TTL_MS)
}

fn icon(icon: Icon) -> rmcp::model::Icon {
    rmcp::model::Icon::new(icon.data_uri())
        .with_mime_type("image/svg+xml")
        .with_sizes(vec!["any".into()])
}

/// The `tools/list` entries, as clients that get both text and `structuredContent` see them.
pub fn tool_list() -> Vec<Tool> {
    tool_list_for(Output::Both)
}

/// The `tools/list` entries for an output mode: with `text`, no `outputSchema` (a declared one
/// obliges the result to carry `structuredContent`).
pub fn tool_list_for(output: Output) -> Vec<Tool> {
    tools_of(&catalog_listing(), output)
}

/// `tools/list` entries from a listing (the catalog, or several projects' tools).
fn tools_of(listing: &[Listed], output: Output) -> Vec<Tool> {
    listing
        .iter()
        .map(|listed| {
            let t = listed.def;
            let tool = Tool::new_with_raw(t.name, Some(t.description.into()), listed.input.clone())
                .with_title(t.title)
                .with_icons(vec![icon(t.icon)])
                .with_annotations(
                    ToolAnnotations::with_title(t.title)
                        .read_only(true)
                        .destructive(false)
                        .idempotent(true)
                        .open_world(true),
                );
            match output {
                Output::Text => tool,
                _ => tool.with_raw_output_schema(listed.output.clone()),
            }
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
                // Declared to a client only when it declares the extension too (`initialize`).
                .enable_skills()
                .build(),
        )
        .with_server_info(
            Implementation::new("analytics-mcp", env!("CARGO_PKG_VERSION"))
                .with_title("Analytics (Himetrica)")
                .with_icons(vec![icon(Icon::Traffic)]),
        )
        .with_instructions(match self.projects.instructions() {
            Some(several) => format!("{INSTRUCTIONS}{several}"),
            None => INSTRUCTIONS.to_string(),
        })
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        let mut info = self.negotiate_initialize(&request)?;
        if !skills::declared_by(&request.capabilities) {
            info.capabilities = skills::hidden(info.capabilities);
        }
        Ok(info)
    }

    async fn discover(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, McpError> {
        let mut info = self.get_info();
        if !skills::declared(&context) {
            info.capabilities = skills::hidden(info.capabilities);
        }
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            info,
        ))
    }

    async fn list_skills(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, McpError> {
        skills::list(&context)
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, McpError> {
        skills::get(&request.uri, &context)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let output = output_for(self.projects.options().output, &context);
        let mut tools = tools_of(&self.projects.listing(), output);
        if apps::declared(&context) {
            tools = tools.into_iter().map(apps::with_view).collect();
        }
        let mut result = ListToolsResult::with_all_items(tools);
        result.ttl_ms = list_ttl(&context);
        Ok(result)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
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
        let mut result = ListPromptsResult::with_all_items(prompts);
        result.ttl_ms = list_ttl(&context);
        Ok(result)
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let mut resources = vec![
            Resource::new(PROJECT_URI, "project")
                .with_title("The signed-in project")
                .with_description("Project id, name and time zone, from the analytics API.")
                .with_mime_type("application/json"),
            Resource::new(GLOSSARY_URI, "glossary")
                .with_title("Analytics glossary")
                .with_description("What each metric and date window means.")
                .with_mime_type("text/markdown"),
        ];
        // The MCP Apps view, for a client that renders one.
        resources.extend(apps::declared(&context).then(apps::resource));
        // The skills' SKILL.md files, for a client that declared the skills extension.
        if skills::declared(&context) {
            resources.extend(skills::resources());
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if let Some(skill) = skills::contents(&request.uri) {
            return Ok(ReadResourceResult::new(vec![skill]).into());
        }
        let contents = match request.uri.as_str() {
            apps::VIEW_URI => apps::contents(),
            GLOSSARY_URI => {
                ResourceContents::text(GLOSSARY, GLOSSARY_URI).with_mime_type("text/markdown")
            }
            PROJECT_URI => {
                let me = self
                    .projects
                    .me()
                    .await
                    .map_err(|e| McpError::internal_error(e.message(), None))?;
                let text = serde_json::to_string_pretty(&me).unwrap_or_default();
                ResourceContents::text(text, PROJECT_URI).with_mime_type("application/json")
            }
            other => {
                return Err(McpError::resource_not_found(
                    format!(
                        "no resource {}; known: {PROJECT_URI}, {GLOSSARY_URI}",
                        crate::text::clean(other, 80)
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
            // Only the arguments this prompt has complete.
            Some(name)
                if PROMPTS.iter().any(|p| {
                    p.name == name && p.arguments.iter().any(|(a, _)| *a == request.argument.name)
                }) =>
            {
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
                crate::text::clean(&request.method, 80)
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
        let output = output_for(self.projects.options().output, &context);
        let outcome = tokio::select! {
            outcome = self.projects.call(&name, request.arguments.as_ref()) => outcome,
            // notifications/cancelled: dropping the future aborts the upstream request.
            () = context.ct.cancelled() => {
                return Err(McpError::internal_error("request cancelled", None));
            }
        };
        // The view's data rides in the result's `_meta`, which hosts give the view, not the model.
        let view = match &outcome {
            Ok(answer) if apps::declared(&context) => apps::result_meta(answer),
            _ => None,
        };
        let response = match outcome {
            // The same answer in each mode; what differs is which parts are sent, so a
            // client pays for it once where it looks.
            Ok(answer) => Ok(match output {
                Output::Text => CallToolResult::success(vec![ContentBlock::text(answer.text)]),
                Output::Structured => {
                    let summary = answer.structured["summary"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    let mut result = CallToolResult::success(vec![ContentBlock::text(summary)]);
                    result.structured_content = Some(answer.structured);
                    result
                }
                Output::Both | Output::Auto => {
                    let mut result = CallToolResult::success(vec![ContentBlock::text(answer.text)]);
                    result.structured_content = Some(answer.structured);
                    result
                }
            }
            .into()),
            Err(ToolError::UnknownTool(_)) => {
                let message = ToolError::UnknownTool(name).message();
                Err(McpError::invalid_params(message, None))
            }
            Err(e) => {
                tracing::info!(tool = %name, error = %e, "tool error");
                Ok(CallToolResult::error(vec![ContentBlock::text(e.message())]).into())
            }
        };
        // The last gate before the model: upstream strings were cleaned on the way in, and
        // this also catches what a tool echoes (an argument, a message).
        let mut response = response.map(|r| match r {
            CallToolResponse::Complete(result) => {
                CallToolResponse::Complete(crate::text::cleaned(result))
            }
            other => other,
        });
        if let (Ok(CallToolResponse::Complete(result)), Some(meta)) = (&mut response, view) {
            result.meta = Some(meta);
        }
        response
    }
}
