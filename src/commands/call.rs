//! `analytics-mcp call TOOL [name=value ...]`: one tool, through the same code as `serve`.

use std::io::IsTerminal;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::chart;
use crate::cli::{CallArgs, GlobalArgs};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::output;
use crate::tools::{self, ToolError, trend};

use super::{App, Connected};

pub async fn run(global: &GlobalArgs, args: &CallArgs) -> anyhow::Result<Exit> {
    let app = App::with_project(global, args.project.as_deref())?;
    let hosted = app.hosted() && !args.demo;
    if !hosted && tools::find(&args.tool).is_none() {
        return Err(CliError::new(
            Exit::Usage,
            ToolError::UnknownTool(args.tool.clone()).message(),
        )
        .with_hint("run `analytics-mcp tools` to see each tool's parameters")
        .into());
    }
    let arguments = parse_pairs(&args.args)?;
    if hosted && (args.svg.is_some() || args.chart) {
        // A hosted server's answer is its own text; there are no series of ours to draw.
        output::warning("--svg and --chart draw this bridge's own answers, not a hosted server's");
    }
    let connected = app.connect(args.demo).await?;
    match &connected {
        Connected::ReadApi(read) => {
            let outcome = read.toolbox.call(&args.tool, Some(&arguments)).await;
            // A refresh this call started (and perhaps timed out on) stores its tokens first.
            connected.settle().await;
            answer(args, outcome)
        }
        Connected::Hosted(upstream) => {
            let request = rmcp::model::CallToolRequestParams::new(args.tool.clone())
                .with_arguments(arguments);
            let result = upstream.call_tool(request).await;
            connected.settle().await;
            hosted_answer(args, &result)
        }
    }
}

/// Our own tool's answer: its text (or with `--json` its detail) and charts.
fn answer(args: &CallArgs, outcome: Result<tools::ToolOutput, ToolError>) -> anyhow::Result<Exit> {
    match outcome {
        Ok(out) => {
            if args.json {
                // Scripts get everything: the upstream's answer as sent, the window's instants,
                // the comparison per metric and the request (the model gets `structured`).
                output::data(&serde_json::to_string_pretty(&out.detail)?);
            } else {
                output::data(&out.text);
            }
            charts(args, &out)?;
            Ok(Exit::Success)
        }
        Err(e @ ToolError::NotSignedIn) => Err(CliError::new(Exit::NotSignedIn, e.message())
            .with_hint("run `analytics-mcp login` (browser) or `login --with-key`, or try `--demo`")
            .into()),
        Err(e) => Err(CliError::new(Exit::ToolError, e.message()).into()),
    }
}

/// The chart under the table (on a terminal, or with `--chart`) and the `--svg` file.
fn charts(args: &CallArgs, out: &tools::ToolOutput) -> anyhow::Result<()> {
    let Some(tool) = tools::find(&args.tool) else {
        return Ok(());
    };
    let chart = out.chart.as_ref();
    let fmt = trend::display(out.detail["data"].get("currency").and_then(Value::as_str));
    let on_terminal = std::io::stdout().is_terminal() && !args.no_chart;
    // A breakdown's text already has its bars; the terminal chart is for a trend.
    if let Some(chart) = chart.filter(|c| c.kind == chart::Kind::Series)
        && !args.json
        && (args.chart || on_terminal)
    {
        let width = std::env::var(env_vars::COLUMNS)
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80);
        output::data(&format!(
            "\n{}",
            chart::terminal::render(chart, width, &fmt)
        ));
    }
    if let Some(path) = &args.svg {
        let Some(chart) = chart else {
            return Err(CliError::new(
                Exit::Usage,
                format!("{} has no chart to write to {}", tool.name, path.display()),
            )
            .with_hint("--svg draws time series and breakdowns, e.g. call get_timeseries --svg traffic.svg")
            .into());
        };
        std::fs::write(path, chart::svg::render(chart, &fmt))
            .with_context(|| format!("could not write {}", path.display()))?;
        output::note(&format!("Wrote the chart to {}", path.display()));
    }
    Ok(())
}

/// A hosted MCP server's answer: the text blocks (or with `--json` the structured content,
/// else the whole result); exit 3 when the tool answered with an error.
fn hosted_answer(args: &CallArgs, result: &rmcp::model::CallToolResult) -> anyhow::Result<Exit> {
    let text: Vec<String> = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.clone()))
        .collect();
    if result.is_error == Some(true) {
        return Err(CliError::new(Exit::ToolError, text.join("\n")).into());
    }
    if args.json {
        let value = match &result.structured_content {
            Some(v) => v.clone(),
            None => serde_json::to_value(result)?,
        };
        output::data(&serde_json::to_string_pretty(&value)?);
    } else {
        output::data(&text.join("\n"));
    }
    Ok(Exit::Success)
}

/// `name=value` pairs into tool arguments. Values that read as JSON numbers or booleans are
/// passed as such (`limit=5`); everything else is a string (`startDate=2026-11-01`).
fn parse_pairs(pairs: &[String]) -> Result<Map<String, Value>, CliError> {
    let mut map = Map::new();
    for pair in pairs {
        let Some((name, raw)) = pair.split_once('=') else {
            return Err(CliError::new(
                Exit::Usage,
                format!("argument `{pair}` is not of the form name=value"),
            )
            .with_hint(
                "for example: analytics-mcp call get_top_pages limit=5 startDate=2026-11-01",
            ));
        };
        let value = match serde_json::from_str::<Value>(raw) {
            Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
            _ => Value::String(raw.to_string()),
        };
        if map.insert(name.to_string(), value).is_some() {
            return Err(CliError::new(
                Exit::Usage,
                format!("argument `{name}` is given twice"),
            ));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_become_typed_arguments() {
        let m = parse_pairs(&[
            "limit=5".into(),
            "startDate=2026-11-01".into(),
            "groupBy=city".into(),
        ])
        .unwrap();
        assert_eq!(m["limit"], 5);
        assert_eq!(m["startDate"], "2026-11-01");
        assert!(parse_pairs(&["limit".into()]).is_err());
        assert!(parse_pairs(&["a=1".into(), "a=2".into()]).is_err());
    }
}
