//! What the sandbox's hosted MCP server offers: its tools (with `get_funnels` once the beta
//! is on), its websites, and the question `pick_website` asks. Imports rmcp's model and the
//! sandbox's data.

use rmcp::model::Tool;
use serde_json::{Value, json};

use analytics_mcp::demo::data;

/// `pick_website`'s question: a form with one choice, offered with a default (SEP-1034).
pub fn website_question() -> Value {
    json!({
        "mode": "form",
        "message": "Which website should the report cover?",
        "requestedSchema": {
            "type": "object",
            "properties": {"website_id": {"type": "string", "enum": ["web_northwind", "web_docs"], "default": "web_northwind"}},
            "required": ["website_id"]
        }
    })
}

pub fn websites() -> Vec<Value> {
    vec![
        json!({"id": "web_northwind", "domain": data::PROJECT_DOMAIN, "name": data::PROJECT_NAME}),
        json!({"id": "web_docs", "domain": "docs.northwind-notes.example", "name": "Northwind Notes docs"}),
    ]
}

/// The tool list (with `get_funnels` once the beta is on).
pub fn tools(beta: bool) -> Vec<Tool> {
    let empty = json!({"type": "object", "properties": {}});
    let mut list = vec![
        (
            "list_websites",
            "The websites this account can read.",
            empty.clone(),
        ),
        (
            "get_visitors",
            "Unique visitors of a website over the last 7 days, optionally compared with the 7 days before.",
            json!({"type": "object", "properties": {
                "website_id": {"type": "string", "description": "From list_websites."},
                "compare": {"type": "boolean", "description": "Add the previous period."}
            }, "required": ["website_id"]}),
        ),
        (
            "get_api_usage",
            "Requests used today against the daily limit.",
            empty.clone(),
        ),
        (
            "enable_beta_tools",
            "Turn on beta tools (the tool list changes).",
            empty.clone(),
        ),
        (
            "slow_report",
            "A report that takes a while (10 s).",
            empty.clone(),
        ),
        (
            "create_goal",
            "Create a conversion goal (needs write permission).",
            json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
        ),
        (
            "region_report",
            "Visitors from one region (the region also travels in the Mcp-Param-Region header).",
            json!({"type": "object", "properties": {
                "region": {"type": "string", "description": "e.g. EU", "x-mcp-header": "Region"}
            }, "required": ["region"]}),
        ),
        (
            "pick_website",
            "Asks the user which website to report on.",
            empty.clone(),
        ),
    ];
    if beta {
        list.push(("get_funnels", "Funnel conversion by step (beta).", empty));
    }
    list.into_iter()
        .filter_map(|(name, description, schema)| {
            serde_json::from_value(
                json!({"name": name, "description": description, "inputSchema": schema}),
            )
            .ok()
        })
        .collect()
}
