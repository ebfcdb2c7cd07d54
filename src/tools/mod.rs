//! The tools the model sees: their catalog, and running one against the Read API.
//!
//! Both `serve` (through `mcp`) and the terminal `call` run tools through [`Toolbox::call`],
//! so a person at a terminal sees exactly what a model would. Uses `api` and `credentials`.

pub mod dates;
pub mod params;
pub mod render;

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::api::endpoints::{Endpoints, PROJECT_PLACEHOLDER};
use crate::api::{ApiClient, ApiError, Query};
pub use params::ArgsKind;

/// The shape the upstream `data` usually has, for rendering and the output schema's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Rows,
}

/// One tool: what the model reads about it and which arguments it takes.
#[derive(Debug)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: ArgsKind,
    pub shape: Shape,
}

/// Every tool, in the order `tools/list` shows them.
pub const CATALOG: &[ToolDef] = &[
    ToolDef {
        name: "get_project",
        title: "Project",
        description: "The signed-in project: its id, name and time zone. Call first when unsure which site the data is for.",
        args: ArgsKind::None,
        shape: Shape::Object,
    },
    ToolDef {
        name: "get_analytics",
        title: "Traffic overview",
        description: "Headline traffic for a date window: unique visitors, pageviews, sessions, bounce rate (%) and average visit duration (seconds), with the previous period for comparison. Answers 'how many visitors this week?'.",
        args: ArgsKind::Window,
        shape: Shape::Object,
    },
    ToolDef {
        name: "get_timeseries",
        title: "Traffic over time",
        description: "Visitors, pageviews and sessions per hour, day, week or month across a date window. Answers 'how is traffic trending?'.",
        args: ArgsKind::Series,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_realtime",
        title: "Active visitors now",
        description: "How many visitors are on the site right now (last few minutes).",
        args: ArgsKind::None,
        shape: Shape::Object,
    },
    ToolDef {
        name: "get_top_pages",
        title: "Top pages",
        description: "Pages ranked by pageviews in a date window, with visitors per page.",
        args: ArgsKind::List,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_traffic_sources",
        title: "Traffic sources",
        description: "Where visitors came from in a date window, grouped by referrer or by UTM source, medium or campaign.",
        args: ArgsKind::Sources,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_top_locations",
        title: "Top locations",
        description: "Visitors by country, region or city in a date window.",
        args: ArgsKind::Locations,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_events",
        title: "Custom events",
        description: "Custom events (signups, clicks, purchases…) with counts and unique visitors in a date window; filter to one event with eventName.",
        args: ArgsKind::Events,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_revenue",
        title: "Revenue overview",
        description: "Revenue for a date window: MRR, ARR, revenue collected, active, new and churned subscriptions, churn rate. Answers 'what is my MRR?'.",
        args: ArgsKind::Window,
        shape: Shape::Object,
    },
    ToolDef {
        name: "get_revenue_timeseries",
        title: "Revenue over time",
        description: "Revenue, new and churned subscriptions and MRR per hour, day, week or month across a date window.",
        args: ArgsKind::Series,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_top_customers",
        title: "Top customers",
        description: "Customers ranked by revenue in a date window, with plan and start date.",
        args: ArgsKind::List,
        shape: Shape::Rows,
    },
    ToolDef {
        name: "get_channel_roi",
        title: "Channel ROI",
        description: "Per marketing channel in a date window: visitors, customers, revenue, ad spend, CAC, LTV and ROI (%). Answers 'which channel pays off best?'.",
        args: ArgsKind::Window,
        shape: Shape::Rows,
    },
];

/// Finds a tool by name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    CATALOG.iter().find(|t| t.name == name)
}

/// The tool's `outputSchema`: the upstream `data` and the request actually sent.
pub fn output_schema(tool: &ToolDef) -> Map<String, Value> {
    let data_description = match tool.shape {
        Shape::Object => "The Read API's answer, as sent (usually an object of metrics).",
        Shape::Rows => "The Read API's answer, as sent (usually an array of rows).",
    };
    let schema = json!({
        "type": "object",
        "properties": {
            "data": {
                "anyOf": [{"type": "object"}, {"type": "array"}],
                "description": data_description
            },
            "request": {
                "type": "object",
                "description": "What was sent upstream.",
                "properties": {
                    "path": {"type": "string", "description": "Read API path, under the base URL."},
                    "params": {
                        "type": "object",
                        "description": "Query parameters actually sent.",
                        "additionalProperties": {"type": "string"}
                    }
                },
                "required": ["path", "params"]
            }
        },
        "required": ["data", "request"]
    });
    match schema {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A successful tool answer.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What a model or person reads.
    pub text: String,
    /// `structuredContent`, matching [`output_schema`].
    pub structured: Value,
}

/// Why a tool did not answer.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error("invalid arguments for {tool}: {message}")]
    InvalidArgs { tool: &'static str, message: String },
    #[error("not signed in — run `analytics-mcp login` (or set ANALYTICS_MCP_API_KEY)")]
    NotSignedIn,
    #[error("{}", .0.user_message())]
    Api(#[from] ApiError),
}

impl ToolError {
    /// The one sentence shown as the tool result.
    pub fn message(&self) -> String {
        match self {
            Self::UnknownTool(name) => format!(
                "Unknown tool `{}`. Known tools: {}.",
                crate::api::error::clean(name, 60),
                CATALOG
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::InvalidArgs { tool, message } => {
                format!("Invalid arguments for {tool}: {message}")
            }
            other => other.to_string(),
        }
    }
}

/// Runs tools: the API client, the endpoint table and the project id.
#[derive(Debug)]
pub struct Toolbox {
    api: Arc<ApiClient>,
    endpoints: Endpoints,
    fixed_project: Option<String>,
    me: OnceCell<Value>,
}

impl Toolbox {
    pub fn new(api: Arc<ApiClient>, endpoints: Endpoints, project: Option<String>) -> Self {
        Self {
            api,
            endpoints,
            fixed_project: project,
            me: OnceCell::new(),
        }
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// `GET /me`, once per process.
    pub async fn me(&self) -> Result<&Value, ToolError> {
        if !self.api.has_credential() {
            return Err(ToolError::NotSignedIn);
        }
        let path = self
            .endpoints
            .template("get_project")
            .unwrap_or("/me")
            .to_string();
        self.me
            .get_or_try_init(|| async {
                let data = self.api.get(&path, &Query::new()).await?;
                if data.get("projectId").and_then(Value::as_str).is_none() {
                    return Err(ToolError::Api(ApiError::Shape(
                        "GET /me has no data.projectId".into(),
                    )));
                }
                Ok(data)
            })
            .await
    }

    async fn project_id(&self) -> Result<String, ToolError> {
        let id = match &self.fixed_project {
            Some(id) => id.clone(),
            None => self
                .me()
                .await?
                .get("projectId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        };
        // The id lands in a URL path; refuse anything that could change the path's meaning.
        let safe = !id.is_empty()
            && id.len() <= 128
            && id != "."
            && id != ".."
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c));
        if safe {
            Ok(id)
        } else {
            Err(ToolError::Api(ApiError::Shape(format!(
                "project id `{}` has characters a project id cannot have",
                crate::api::error::clean(&id, 40)
            ))))
        }
    }

    /// Runs one tool with the arguments a client sent.
    pub async fn call(
        &self,
        name: &str,
        args: Option<&Map<String, Value>>,
    ) -> Result<ToolOutput, ToolError> {
        let tool = find(name).ok_or_else(|| ToolError::UnknownTool(name.to_string()))?;
        let empty = Map::new();
        let query =
            tool.args
                .parse(args.unwrap_or(&empty))
                .map_err(|message| ToolError::InvalidArgs {
                    tool: tool.name,
                    message,
                })?;
        if !self.api.has_credential() {
            return Err(ToolError::NotSignedIn);
        }
        let template = self.endpoints.template(tool.name).unwrap_or_default();
        let (path, data) = if tool.name == "get_project" {
            (template.to_string(), self.me().await?.clone())
        } else {
            let path = if template.contains(PROJECT_PLACEHOLDER) {
                template.replace(PROJECT_PLACEHOLDER, &self.project_id().await?)
            } else {
                template.to_string()
            };
            let data = self.api.get(&path, &query).await?;
            (path, data)
        };
        // The output schema promises an object or an array.
        let data = match data {
            d @ (Value::Object(_) | Value::Array(_)) => d,
            other => json!({ "value": other }),
        };
        let params: Map<String, Value> = query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let text = render::render(tool, &data, &params);
        Ok(ToolOutput {
            text,
            structured: json!({
                "data": data,
                "request": { "path": path, "params": params },
            }),
        })
    }
}
