//! `analytics-mcp tools`: the tool list with parameters, as a person or as `tools/list` JSON;
//! with a profile that bridges a hosted MCP server, that server's tools (after its filters).
//! Each parameter shows what it accepts: its values, range and default (`accepted`). With
//! `--json`, each of our tools also names its Read API path and how sure we are of it.

use super::{App, all_hosted_tools};
use crate::accepted;
use crate::cli::{GlobalArgs, ToolsArgs};
use crate::config::endpoints::Endpoints;
use crate::error::{CliError, Exit};
use crate::mcp::tool_list;
use crate::output;
use crate::text;

/// Adds to each of our tools with a Read API path its `endpoint`: the path template and how
/// sure we are of it (documented, corroborated, inferred, or configured by the user).
fn with_endpoints(tools: &mut serde_json::Value, endpoints: &Endpoints) {
    for tool in tools.as_array_mut().into_iter().flatten() {
        let Some(name) = tool["name"].as_str().map(str::to_string) else {
            continue;
        };
        if let (Some(path), Some(certainty)) =
            (endpoints.template(&name), endpoints.certainty(&name))
        {
            tool["endpoint"] = serde_json::json!({"path": path, "certainty": certainty.name()});
        }
    }
}

/// Where a parameter's accepted values start: under its description.
const INDENT: &str = "                 ";

pub async fn run(global: &GlobalArgs, args: &ToolsArgs) -> anyhow::Result<Exit> {
    // A profile that bridges a hosted MCP server lists that server's tools (filtered). Our
    // own catalog needs no settings, so a broken config.toml only matters with --profile.
    let app = App::if_usable(global)?;
    let upstream = match &app {
        Some(app) => app.connect_hosted().await,
        None => None,
    };
    let ours = upstream.is_none();
    let tools = match upstream {
        Some(upstream) => all_hosted_tools(&upstream)
            .await
            .map_err(|e| CliError::new(Exit::Upstream, e))?,
        None => tool_list(),
    };
    if args.json {
        let mut listed = serde_json::to_value(&tools)?;
        if ours {
            let endpoints = app.map(|a| a.settings.endpoints).unwrap_or_default();
            with_endpoints(&mut listed, &endpoints);
        }
        output::data(&serde_json::to_string_pretty(
            &serde_json::json!({ "tools": listed }),
        )?);
        return Ok(Exit::Success);
    }
    // On a terminal, what a parameter accepts wraps under its description.
    let width = output::width().saturating_sub(INDENT.len()).max(30);
    let mut out = String::new();
    for tool in &tools {
        out.push_str(&format!("{}\n", output::heading(&tool.name)));
        // The description wraps at the terminal's width too, indented under the name.
        let description = text::strip(tool.description.as_deref().unwrap_or_default());
        for line in output::wrap(&description, output::width().saturating_sub(2)).lines() {
            out.push_str(&format!("  {}\n", line.trim_start()));
        }
        for param in accepted::params(&tool.input_schema) {
            out.push_str(&format!(
                "    {:<12} {}\n",
                text::strip(&param.name),
                text::strip(&param.description)
            ));
            let accepts = param.accepts();
            if !accepts.is_empty() {
                for line in output::wrap(&text::strip(&accepts), width).lines() {
                    out.push_str(&format!("{INDENT}{}\n", line.trim_start()));
                }
            }
        }
        out.push('\n');
    }
    // Every part above was stripped, so the headings' bold survives.
    output::styled(out.trim_end());
    Ok(Exit::Success)
}
