//! `analytics-mcp call TOOL [name=value ...]`: one tool, through the same code as `serve`.

use std::io::IsTerminal;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::chart;
use crate::cli::{CallArgs, GlobalArgs};
use crate::error::{CliError, Exit};
use crate::output;
use crate::tools::{self, ToolError, trend};

use super::projects::Several;
use super::{App, Connected};
use crate::tools::compare_projects::COMPARE_PROJECTS;

pub async fn run(global: &GlobalArgs, args: &CallArgs) -> anyhow::Result<Exit> {
    if args.global.several() {
        return several(args).await;
    }
    let app = App::with_project(global, args.project.as_deref())?;
    let hosted = app.hosted() && !args.demo;
    if !hosted && args.tool == COMPARE_PROJECTS.name {
        return Err(CliError::new(
            Exit::Usage,
            "compare_projects compares the projects of several profiles",
        )
        .with_hint("name them: `analytics-mcp call compare_projects --profile a --profile b` (or --all-profiles)")
        .into());
    }
    if !hosted && tools::find(&args.tool).is_none() {
        return Err(unknown_tool(
            &args.tool,
            ToolError::UnknownTool(args.tool.clone()).message(),
            tools::CATALOG.iter().map(|t| t.name),
        )
        .into());
    }
    // Before any request: a tool without a chart cannot fill the file `--svg` names.
    if let Some(path) = &args.svg
        && let Some(tool) = tools::find(&args.tool).filter(|t| t.chart.is_none() && !hosted)
    {
        return Err(CliError::new(
            Exit::Usage,
            format!("{} has no chart to write to {}", tool.name, path.display()),
        )
        .with_hint(format!(
            "--svg draws time series and breakdowns: {}",
            tools::CATALOG
                .iter()
                .filter(|t| t.chart.is_some())
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    if args.tool == "get_api_usage" && !args.json {
        // Usage is counted from the rate-limit headers this process has seen, and a `call`
        // is a process of its own.
        output::note(
            "note: each `call` is a new process, so this shows only what this one saw; the server the client starts (`serve`) counts for its whole session",
        );
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
            if result.is_error == Some(true)
                && let Ok(listed) = super::all_hosted_tools(upstream).await
                && !listed.iter().any(|t| t.name == args.tool)
            {
                // The same exit code as an unknown tool of a Read API profile.
                return Err(unknown_tool(
                    &args.tool,
                    format!(
                        "Unknown tool `{}` on this hosted server.",
                        crate::text::clean(&args.tool, 60)
                    ),
                    listed.iter().map(|t| t.name.as_ref()),
                )
                .into());
            }
            hosted_answer(args, &result)
        }
    }
}

/// One tool over several profiles' projects (`--profile a --profile b`): what a server over
/// them answers, `project=NAME` picking one, `compare_projects` comparing them all.
async fn several(args: &CallArgs) -> anyhow::Result<Exit> {
    if args.tool != COMPARE_PROJECTS.name && tools::find(&args.tool).is_none() {
        let known = tools::CATALOG.iter().map(|t| t.name);
        return Err(unknown_tool(
            &args.tool,
            ToolError::UnknownTool(args.tool.clone()).message(),
            known.chain([COMPARE_PROJECTS.name]),
        )
        .into());
    }
    let arguments = parse_pairs(&args.args)?;
    let set = Several::connect(&args.global, args.demo, args.project.as_deref()).await?;
    let outcome = set.projects().call(&args.tool, Some(&arguments)).await;
    set.settle().await;
    answer(args, outcome)
}

/// Our own tool's answer: its text (or with `--json` its detail) and charts.
fn answer(args: &CallArgs, outcome: Result<tools::ToolOutput, ToolError>) -> anyhow::Result<Exit> {
    match outcome {
        Ok(out) => {
            if args.json {
                // Scripts get the whole typed answer: the upstream's answer as sent, the
                // window's instants, the comparison per metric and the request (the model gets
                // `structured`, a view of the same value).
                output::json(&serde_json::to_string_pretty(&out.answer)?);
            } else {
                output::answer(&out.text);
            }
            charts(args, &out)?;
            Ok(Exit::Success)
        }
        Err(e) if matches!(e.root(), ToolError::NotSignedIn) => {
            let hint = match &e {
                // One project of several: its profile's sign-in (`--demo` is for one).
                ToolError::InProject { project, .. } => tools::projects::for_profile(
                    project,
                    "run `analytics-mcp login` (browser) or `analytics-mcp login --with-key`",
                ),
                _ => "run `analytics-mcp login` (browser) or `login --with-key`, or try `--demo`"
                    .to_string(),
            };
            Err(CliError::new(Exit::NotSignedIn, e.message())
                .with_hint(hint)
                .into())
        }
        // A mistake in the command line, like an unknown flag.
        Err(e @ ToolError::InvalidArgs { .. }) => Err(CliError::new(Exit::Usage, e.message())
            .with_hint(format!(
                "run `analytics-mcp tools` to see what {} accepts",
                args.tool
            ))
            .into()),
        Err(e) => Err(CliError::new(Exit::ToolError, e.message()).into()),
    }
}

/// An unknown tool (exit 2 on every kind of profile), with the nearest name if it is a typo.
fn unknown_tool<'a>(
    given: &str,
    message: String,
    known: impl IntoIterator<Item = &'a str>,
) -> CliError {
    let hint = match tools::schema::nearest(given, known) {
        Some(near) => format!("did you mean `{near}`? (`analytics-mcp tools` lists them all)"),
        None => "run `analytics-mcp tools` to list the tools and their parameters".to_string(),
    };
    CliError::new(Exit::Usage, message).with_hint(hint)
}

/// The chart under the table (on a terminal, or with `--chart`) and the `--svg` file.
fn charts(args: &CallArgs, out: &tools::ToolOutput) -> anyhow::Result<()> {
    let Some(tool) = tools::find(&args.tool) else {
        return Ok(());
    };
    let chart = out.chart.as_ref();
    let fmt = trend::display(out.answer.currency());
    let on_terminal = std::io::stdout().is_terminal() && !args.no_chart;
    if let Some(chart) = chart
        && !args.json
        && (args.chart || on_terminal)
    {
        output::data(&format!(
            "\n{}",
            chart::terminal::render(chart, output::width(), &fmt)
        ));
    }
    if let Some(path) = &args.svg {
        let Some(chart) = chart else {
            // A tool with a chart whose answer had no rows (or no numbers) to draw.
            return Err(CliError::new(
                Exit::ToolError,
                format!(
                    "{}'s answer has nothing to draw; {} was not written",
                    tool.name,
                    path.display()
                ),
            )
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
        output::json(&serde_json::to_string_pretty(&value)?);
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
