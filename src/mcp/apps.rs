//! The MCP Apps view (the `io.modelcontextprotocol/ui` extension, SEP-1865): a chart of a time
//! series or a breakdown that hosts which render MCP Apps show beside the answer (issue 15).
//!
//! Offered only to a client whose `initialize` capabilities declare the extension: then the
//! time-series and breakdown tools carry `_meta.ui.resourceUri` (and the legacy
//! `_meta["ui/resourceUri"]` some hosts still read), `resources/list` names the view, and each
//! of their results carries the chart's data in `_meta` (which hosts hand the view, not the
//! model). Every other client sees exactly what it saw before. The view is one HTML file,
//! inline script and style, no network, shipped in the binary.

use rmcp::RoleServer;
use rmcp::model::{MetaObject, Resource, ResourceContents, Tool};
use rmcp::service::RequestContext;
use serde_json::{Value, json};

use crate::tools;

/// The extension's identifier in `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";
/// The view's resource.
pub const VIEW_URI: &str = "ui://analytics/chart.html";
/// The MCP Apps HTML profile.
pub const MIME: &str = "text/html;profile=mcp-app";
/// Where a tool result carries the chart's data for the view.
pub const CHART_META: &str = "analytics-mcp/chart";
/// The view itself.
pub const VIEW_HTML: &str = include_str!("chart.html");

/// True when this request's client declared the extension (with our MIME type, when it lists
/// the types it renders).
pub fn declared(context: &RequestContext<RoleServer>) -> bool {
    let Some(caps) = context.client_capabilities() else {
        return false;
    };
    let Some(ui) = caps.extensions.as_ref().and_then(|e| e.get(EXTENSION)) else {
        return false;
    };
    match ui.get("mimeTypes") {
        Some(Value::Array(types)) => types.iter().any(|t| t == MIME),
        _ => true,
    }
}

/// True for the tools the view draws: time series and breakdowns.
pub fn draws(name: &str) -> bool {
    tools::find(name).is_some_and(|t| t.chart.is_some())
}

/// A tool entry with the view declared on it, when it is one the view draws.
pub fn with_view(mut tool: Tool) -> Tool {
    if draws(&tool.name) {
        let mut meta = tool.meta.take().unwrap_or_default();
        meta.insert("ui".into(), json!({ "resourceUri": VIEW_URI }));
        meta.insert("ui/resourceUri".into(), json!(VIEW_URI));
        tool.meta = Some(meta);
    }
    tool
}

/// The resource's `_meta.ui`: no network at all, and a border, please.
fn resource_meta() -> MetaObject {
    let mut meta = MetaObject::default();
    meta.insert(
        "ui".into(),
        json!({"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": true}),
    );
    meta
}

/// The `resources/list` entry.
pub fn resource() -> Resource {
    Resource::new(VIEW_URI, "chart")
        .with_title("Analytics chart")
        .with_description("An interactive chart of a time series or a breakdown (MCP Apps view).")
        .with_mime_type(MIME)
}

/// The `resources/read` contents.
pub fn contents() -> ResourceContents {
    ResourceContents::text(VIEW_HTML, VIEW_URI)
        .with_mime_type(MIME)
        .with_meta(resource_meta())
}

/// The tool result's `_meta` for the view: the answer's chart, or `None` for a tool it does
/// not draw.
pub fn result_meta(answer: &tools::ToolOutput) -> Option<MetaObject> {
    let chart = answer.chart.as_ref()?;
    let mut meta = MetaObject::default();
    meta.insert(CHART_META.into(), serde_json::to_value(chart).ok()?);
    Some(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_one_file_that_fetches_nothing() {
        assert!(VIEW_HTML.contains("default-src 'none'"));
        for external in [
            "src=\"http",
            "href=\"http",
            "fetch(",
            "XMLHttpRequest",
            "import(",
        ] {
            assert!(!VIEW_HTML.contains(external), "{external}");
        }
        for method in [
            "ui/initialize",
            "ui/notifications/initialized",
            "ui/notifications/tool-input",
            "ui/notifications/tool-result",
            "ui/notifications/size-changed",
        ] {
            assert!(VIEW_HTML.contains(method), "{method}");
        }
    }

    #[test]
    fn only_charts_get_the_view() {
        assert!(draws("get_timeseries"));
        assert!(draws("get_revenue_timeseries"));
        assert!(draws("get_top_pages"));
        assert!(draws("get_channel_roi"));
        assert!(!draws("get_analytics"));
        assert!(!draws("get_realtime"));
        assert!(!draws("get_api_usage"));
    }
}
