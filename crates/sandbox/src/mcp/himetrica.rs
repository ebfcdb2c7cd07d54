//! The tools of the sandbox's Himetrica-like hosted MCP server, `/api/v1/mcp` (issue 24): the
//! eleven Read API tools by the names the bridge uses, each answered from the same demo data
//! (with the sandbox's scenario planted) at the path where the data truly is, whatever
//! `--moved-paths` does to the Read API. Every tool takes `startDate`/`endDate` (and
//! `timezone`), as Himetrica's hosted tools do; list tools take `limit`, breakdowns `groupBy`.
//! The answer is the Read API's `data` as JSON text, and as `structuredContent` `{"data": …}`.
//! Imports rmcp's model, the product's demo route table (`analytics_mcp::demo`, through the
//! sandbox's `scenarios`) and the endpoint table's default paths.

use std::collections::HashMap;

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ErrorCode, Tool};
use serde_json::{Value, json};

use crate::scenarios::{self, Scenario};
use analytics_mcp::config::endpoints::{DEFAULT_PATHS, PROJECT_PLACEHOLDER};
use analytics_mcp::demo::data::PROJECT_ID;

/// What the Himetrica-like server answers from: the planted scenario and the sandbox's "now".
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadApiData {
    pub scenario: Option<Scenario>,
    /// `None`: the clock (which `ANALYTICS_MCP_NOW` can pin).
    pub now: Option<jiff::Timestamp>,
}

/// The eleven tools (every row of the endpoint table but `/me`).
pub fn tools() -> Vec<Tool> {
    DEFAULT_PATHS
        .iter()
        .filter(|(name, ..)| *name != "get_project")
        .filter_map(|(name, ..)| {
            serde_json::from_value(json!({
                "name": name,
                "description": format!("Himetrica's {name}, from the Read API."),
                "inputSchema": schema(name),
            }))
            .ok()
        })
        .collect()
}

/// The input schema of `name`: a window for all but realtime, and the tool's own extras.
fn schema(name: &str) -> Value {
    let mut properties = serde_json::Map::new();
    if name != "get_realtime" {
        for (key, what) in [
            ("startDate", "Start of the window (ISO 8601)."),
            ("endDate", "End of the window (ISO 8601)."),
            ("timezone", "IANA time zone (default: the project's)."),
        ] {
            properties.insert(key.into(), json!({"type": "string", "description": what}));
        }
    }
    let extras: &[(&str, Value)] = match name {
        "get_top_pages" | "get_top_customers" => &[("limit", json!({"type": "integer"}))],
        "get_traffic_sources" | "get_top_locations" => &[
            ("limit", json!({"type": "integer"})),
            ("groupBy", json!({"type": "string"})),
        ],
        "get_events" => &[
            ("limit", json!({"type": "integer"})),
            ("eventName", json!({"type": "string"})),
        ],
        "get_timeseries" | "get_revenue_timeseries" => {
            &[("granularity", json!({"type": "string"}))]
        }
        _ => &[],
    };
    for (key, schema) in extras {
        properties.insert((*key).into(), schema.clone());
    }
    json!({"type": "object", "properties": properties})
}

/// Answers `request` from the demo data; an unknown tool is a JSON-RPC error, a bad argument
/// a tool error (as the Read API's 400 would say).
pub fn call(
    data: ReadApiData,
    request: &CallToolRequestParams,
) -> Result<CallToolResult, McpError> {
    let name = request.name.as_ref();
    let Some((_, template, _)) = DEFAULT_PATHS
        .iter()
        .find(|(tool, ..)| *tool == name && *tool != "get_project")
    else {
        return Err(McpError::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Unknown tool: {name}"),
            None,
        ));
    };
    let path = template.replace(PROJECT_PLACEHOLDER, PROJECT_ID);
    // Arguments become the Read API's query, as Himetrica's tools forward them.
    let params: HashMap<String, String> = request
        .arguments
        .iter()
        .flatten()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let now = data.now.unwrap_or_else(analytics_mcp::clock::now);
    match scenarios::route(data.scenario, &path, &params, now) {
        Ok(answer) => {
            let mut result = CallToolResult::structured(json!({ "data": answer }));
            result.content = vec![ContentBlock::text(answer.to_string())];
            result.is_error = Some(false);
            Ok(result)
        }
        Err((_, message)) => Ok(CallToolResult::error(vec![ContentBlock::text(message)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_tools_with_a_window_and_the_extras_they_take() {
        let tools = tools();
        assert_eq!(tools.len(), 11);
        let props = |name: &str| {
            let t = tools.iter().find(|t| t.name == name).unwrap();
            t.input_schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert!(props("get_realtime").is_empty());
        assert!(props("get_analytics").contains(&"startDate".to_string()));
        assert!(props("get_top_pages").contains(&"limit".to_string()));
        assert!(!props("get_revenue").contains(&"limit".to_string()));
    }
}
