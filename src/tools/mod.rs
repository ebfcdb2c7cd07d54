//! The tools the model sees: their catalog, and running one against the Read API.
//!
//! Both `serve` (through `mcp`) and the terminal `call` run tools through [`Toolbox::call`],
//! so a person at a terminal sees exactly what a model would. Everything code needs to know
//! about a tool is a field of its [`ToolDef`] in [`CATALOG`]. Uses `api`, `config`, `clock`,
//! `chart`, `text` and `hosted` (the client of Himetrica's MCP server, the fallback).
//!
//! The files, in the order data flows: `catalog` (the tools), `params` and `schema` (their
//! arguments), `window` and `dates` (date windows), `toolbox` (the runner), `data`, `compare`,
//! `buckets` (a series' rows as spans of the window, re-bucketed when long), `format`, `trend`,
//! `typed` (the one typed answer of a call, built from them), `render` and `shape` (its text
//! and `structuredContent`), `answer` (the typed `structuredContent` and the `outputSchema`
//! derived from it), and `guide` and `icons` (what the model and the client read beside the
//! tools). `explain` (with `explain_args` and `explain_math`) answers `explain_change` from
//! several of those paths; `anomaly` flags the days of a series that break the weekly pattern.
//! `projects` runs the tools over several profiles' toolboxes at once (a `project` argument,
//! `get_project` listing them all) and `compare_projects` sets their overviews side by side.
//! `fallback` chooses an endpoint's source: its path, or Himetrica's hosted MCP tool of the
//! same name when the path is missing (with `hosted_call`, that call's arguments and answer,
//! and `runner`, the toolbox's steps as the fallback sees them).

pub mod anomaly;
pub mod answer;
pub mod buckets;
pub mod catalog;
pub mod compare;
pub mod compare_projects;
pub mod data;
pub mod dates;
pub mod explain;
pub mod explain_args;
pub mod explain_math;
pub mod fallback;
pub mod format;
pub mod guide;
pub mod hosted_call;
pub mod icons;
pub mod params;
pub mod projects;
#[cfg(test)]
mod props;
pub mod render;
mod runner;
pub mod schema;
pub mod shape;
pub mod toolbox;
pub mod trend;
pub mod typed;
pub mod window;

use serde_json::{Map, Value};

use crate::api::ApiError;
pub use catalog::{CATALOG, REALTIME_TTL, Shape, Source, ToolDef, find};
pub use params::{Args, ArgsKind, ToolArgs};
pub use projects::{Project, Projects};
pub use toolbox::Toolbox;

/// The tool's `outputSchema`: derived from [`answer::View`], what [`shape::view`] builds.
pub fn output_schema(tool: &ToolDef) -> Map<String, Value> {
    answer::output_schema(tool)
}

/// A successful tool answer.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What a model or person reads.
    pub text: String,
    /// `structuredContent`, matching [`output_schema`]: the answer shaped for a model.
    pub structured: Value,
    /// The one typed answer every part of this output is a view of. Its JSON (the upstream's
    /// `data`, the resolved `window` with instants, the `comparison` per metric, `rows`, the
    /// `request` sent and `as_of`) is what `call --json` prints, and
    /// `structuredContent.detail` with `detail: true`.
    pub answer: typed::Answer,
    /// What the terminal, `--svg` and the MCP Apps view draw: built once with the answer,
    /// over every bucket of the window; `None` for a tool without a chart.
    pub chart: Option<crate::chart::Chart>,
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
    /// One project's failure when `serve` runs over several (issue 26): said with its name
    /// and the fix for its profile.
    #[error("project `{project}`: {error}")]
    InProject {
        project: String,
        error: Box<ToolError>,
    },
    /// No project of several answered: each one's reason.
    #[error("{0}")]
    Projects(String),
}

impl ToolError {
    /// The one sentence shown as the tool result.
    pub fn message(&self) -> String {
        match self {
            Self::UnknownTool(name) => format!(
                "Unknown tool `{}`. Known tools: {}.",
                crate::text::clean(name, 60),
                catalog::names()
            ),
            Self::InvalidArgs { tool, message } => {
                format!("Invalid arguments for {tool}: {message}")
            }
            Self::InProject { project, error } => format!(
                "Project `{project}`: {}",
                projects::for_profile(project, &error.message())
            ),
            other => other.to_string(),
        }
    }

    /// The failure itself, whichever project it happened in.
    pub fn root(&self) -> &ToolError {
        match self {
            Self::InProject { error, .. } => error.root(),
            other => other,
        }
    }
}

/// Options that shape answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show customer emails as `b…@example.com`, in text and structured content.
    pub mask_emails: bool,
    /// How long answers are reused; `None`: [`DEFAULT_TTL`] (at most a tool's
    /// [`ToolDef::max_ttl`]).
    pub cache_ttl: Option<std::time::Duration>,
    /// What `serve` puts in a tool result (the shape is the same; which parts are sent).
    pub output: crate::config::Output,
}

/// How long an answer is reused by default.
pub const DEFAULT_TTL: std::time::Duration = std::time::Duration::from_secs(60);
