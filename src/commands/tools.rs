//! `analytics-mcp tools`: the tool list with parameters, as a person or as `tools/list` JSON.

use serde_json::Value;

use crate::cli::ToolsArgs;
use crate::error::Exit;
use crate::mcp::tool_list;
use crate::output;

pub fn run(args: &ToolsArgs) -> anyhow::Result<Exit> {
    let tools = tool_list();
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
