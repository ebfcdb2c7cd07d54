//! `analytics-mcp tools`: the tool list with parameters, as a person or as `tools/list` JSON;
//! with a profile that bridges a hosted MCP server, that server's tools (after its filters).

use serde_json::Value;

use super::{App, all_hosted_tools};
use crate::cli::{GlobalArgs, ToolsArgs};
use crate::error::{CliError, Exit};
use crate::mcp::tool_list;
use crate::output;

pub async fn run(global: &GlobalArgs, args: &ToolsArgs) -> anyhow::Result<Exit> {
    // A profile that bridges a hosted MCP server lists that server's tools (filtered). Our
    // own catalog needs no settings, so a broken config.toml only matters with --profile.
    let upstream = match App::if_usable(global)? {
        Some(app) => app.connect_hosted().await,
        None => None,
    };
    let tools = match upstream {
        Some(upstream) => all_hosted_tools(&upstream)
            .await
            .map_err(|e| CliError::new(Exit::Upstream, e))?,
        None => tool_list(),
    };
    if args.json {
        output::data(&serde_json::to_string_pretty(
            &serde_json::json!({ "tools": tools }),
        )?);
        return Ok(Exit::Success);
    }
    let mut out = String::new();
    for tool in &tools {
        out.push_str(&format!(
            "{}\n  {}\n",
            tool.name,
            tool.description.as_deref().unwrap_or_default()
        ));
        let props = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object);
        for (name, schema) in props.into_iter().flatten() {
            let desc = schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push_str(&format!("    {name:<12} {desc}\n"));
        }
        out.push('\n');
    }
    output::data(out.trim_end());
    Ok(Exit::Success)
}
