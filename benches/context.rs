//! How much of a model's context each answer costs: `cargo bench --bench context`.
//!
//! For every tool on the demo data (default arguments, a pinned date; then the 90-day daily
//! series of traffic and revenue), prints the bytes of the
//! raw upstream JSON for the same request, our compact text and our `structuredContent`, and
//! then what the real clients hand their model: Claude Code and Codex (from `.ci/node`, run
//! headless against the stand-in model API of `tests/it/common/model_api.rs`), with the output
//! mode chosen for them (`auto`) and, for comparison, with `structuredContent` (`structured`).
//! Then the bytes of our tool definitions as each client gives them to the model, and of
//! `tools/list` on the wire. Everything runs on 127.0.0.1; measures sizes, not time.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

#[path = "../tests/it/common/model_api.rs"]
mod model_api;

use std::path::Path;
use std::sync::Arc;

use analytics_mcp::api::endpoints::Endpoints;
use analytics_mcp::api::{ApiClient, Auth};
use analytics_mcp::config::Output;
use analytics_mcp::credentials::{Bound, Origin, Secret};
use analytics_mcp::tools::{ArgsKind, CATALOG, Shape, Toolbox};
use analytics_mcp_sandbox::{self as sandbox, SandboxOptions};
use serde_json::json;

const NOW: &str = "2026-11-21T15:30:00Z";

/// Per call: its label, whether it is a list, and the bytes of raw JSON, text and
/// structuredContent.
type Sizes = Vec<(String, bool, usize, usize, usize)>;

/// The budgets (issue 21), per client in its `auto` mode: all 13 default answers, and each
/// 90-day daily series.
const DEFAULTS_BUDGET: usize = 5000;
const SERIES_BUDGET: usize = 2500;
/// The tool with a budget of its own (2,000 B, issue 25: it asks 13 breakdowns), left out of
/// the 13 default answers' sum.
const OWN_BUDGET: &str = "explain_change";

/// What is measured: every tool with its defaults, then the two 90-day daily series.
fn calls() -> Vec<(&'static str, serde_json::Value)> {
    let mut calls: Vec<_> = CATALOG.iter().map(|t| (t.name, json!({}))).collect();
    for name in ["get_timeseries", "get_revenue_timeseries"] {
        calls.push((name, json!({"period": "last_90_days"})));
    }
    calls
}

fn main() {
    // The clock is read from the environment once per process: pin it for the in-process
    // toolbox too (the clients' servers get it in their env), so every column answers the
    // same question on the same data.
    if std::env::var_os("ANALYTICS_MCP_NOW").is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(std::env::args_os().skip(1))
            .env("ANALYTICS_MCP_NOW", NOW)
            .status()
            .unwrap();
        std::process::exit(status.code().unwrap_or(1));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    analytics_mcp::api::install_crypto_provider();
    let sb = rt
        .block_on(sandbox::start(SandboxOptions {
            now: Some(NOW.parse().unwrap()),
            rate_limit: u32::MAX,
            ..SandboxOptions::default()
        }))
        .unwrap();
    let sizes = rt.block_on(ours(&sb));

    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan: Vec<model_api::Call> = calls()
        .into_iter()
        .map(|(name, args)| (name.to_string(), args))
        .collect();
    let mut columns: Vec<(String, Option<model_api::Recording>)> = Vec::new();
    for (client, program) in [("Claude Code", "claude"), ("Codex", "codex")] {
        for mode in ["auto", "structured"] {
            let label = format!("{client} ({mode})");
            let Some(program) = model_api::node_program(repo, program) else {
                eprintln!("{label}: not installed (bash .ci/install-clients); skipped");
                columns.push((label, None));
                continue;
            };
            let home = tempfile::tempdir().unwrap();
            let server = model_api::Server {
                command: env!("CARGO_BIN_EXE_analytics-mcp").to_string(),
                args: vec!["serve".into()],
                env: vec![
                    (
                        "ANALYTICS_MCP_CONFIG_DIR".into(),
                        home.path().join("config").display().to_string(),
                    ),
                    ("ANALYTICS_MCP_CREDENTIAL_STORE".into(), "file".into()),
                    ("ANALYTICS_MCP_API_URL".into(), sb.base_url()),
                    ("ANALYTICS_MCP_API_KEY".into(), sb.api_key.clone()),
                    ("ANALYTICS_MCP_NOW".into(), NOW.into()),
                    ("ANALYTICS_MCP_OUTPUT".into(), mode.into()),
                ],
            };
            let api = model_api::ModelApi::start(&plan);
            let run = if program.ends_with("claude") {
                model_api::run_claude(&program, &api, &server, &plan, home.path())
            } else {
                model_api::run_codex(&program, &api, &server, &plan, home.path())
            };
            match run {
                Ok(rec) => columns.push((label, Some(rec))),
                Err(e) => {
                    eprintln!("{label}: {e}");
                    columns.push((label, None));
                }
            }
        }
    }

    print!("| tool | raw API JSON | our text | our structuredContent |");
    for (label, _) in &columns {
        print!(" {label} |");
    }
    println!();
    println!("|---|---|---|---|{}", "---|".repeat(columns.len()));
    let mut totals = vec![0usize; columns.len()];
    let (mut text_total, mut structured_total) = (0, 0);
    let mut worst: Vec<f64> = vec![0.0; columns.len()];
    for (k, (tool, is_list, raw, text, structured)) in sizes.iter().enumerate() {
        if k == CATALOG.len() {
            print!("| **all 13** | | {text_total} B | {structured_total} B |");
            for t in &totals {
                print!(" **{t} B** |");
            }
            println!();
        }
        let in_sum = k < CATALOG.len() && tool != OWN_BUDGET;
        if in_sum {
            text_total += text;
            structured_total += structured;
        }
        let raw_cell = if *raw == 0 {
            "—".to_string()
        } else {
            format!("{raw} B")
        };
        print!(
            "| {tool}{} | {raw_cell} | {text} B | {structured} B |",
            if *is_list { " (list)" } else { "" }
        );
        for (i, (_, rec)) in columns.iter().enumerate() {
            match rec.as_ref().and_then(|r| r.result(k)) {
                Some(answer) => {
                    if in_sum {
                        totals[i] += answer.len();
                    }
                    if *is_list && *raw > 0 {
                        worst[i] = worst[i].max(answer.len() as f64 / *raw as f64);
                        print!(
                            " {} B ({:.0}%) |",
                            answer.len(),
                            answer.len() as f64 * 100.0 / *raw as f64
                        );
                    } else {
                        print!(" {} B |", answer.len());
                    }
                }
                None => print!(" — |"),
            }
        }
        println!();
    }
    print!("| largest list answer / raw | | | |");
    for w in &worst {
        print!(" {:.0}% |", w * 100.0);
    }
    println!("\n");
    println!(
        "Budget per client in its `auto` mode: all 13 default answers ≤ {DEFAULTS_BUDGET} B; \
         each 90-day daily series ≤ {SERIES_BUDGET} B."
    );
    for (i, (label, rec)) in columns.iter().enumerate() {
        let Some(rec) = rec.as_ref().filter(|_| label.ends_with("(auto)")) else {
            continue;
        };
        let series = (CATALOG.len()..sizes.len())
            .filter_map(|k| rec.result(k).map(str::len))
            .max()
            .unwrap_or(0);
        let within = totals[i] <= DEFAULTS_BUDGET && series <= SERIES_BUDGET;
        println!(
            "- {label}: {} B, largest 90-day series {series} B: {}",
            totals[i],
            if within { "within" } else { "OVER" }
        );
    }
    println!();

    println!("| tool definitions the model is given | bytes |");
    println!("|---|---|");
    for (label, rec) in &columns {
        if let Some(rec) = rec {
            let extra = if rec.server_bytes > 0 {
                format!(
                    " (tools {} + namespace with instructions {})",
                    rec.definition_bytes() - rec.server_bytes,
                    rec.server_bytes
                )
            } else {
                String::new()
            };
            println!("| {label} | {} B{extra} |", rec.definition_bytes());
        }
    }
    for (label, output) in [
        ("tools/list on the wire (both)", Output::Both),
        ("tools/list on the wire (text)", Output::Text),
    ] {
        let tools = analytics_mcp::mcp::tool_list_for(output);
        let bytes = serde_json::to_string(&json!({ "tools": tools }))
            .unwrap()
            .len();
        println!("| {label} | {bytes} B |");
    }
    println!(
        "| server instructions | {} B |",
        analytics_mcp::tools::guide::INSTRUCTIONS.len()
    );
}

/// Raw upstream JSON, our text and our structuredContent per tool, in-process.
async fn ours(sb: &sandbox::Sandbox) -> Sizes {
    let url = analytics_mcp::config::parse_api_url(&sb.base_url()).unwrap();
    let key = Auth::ApiKey(Bound::new(
        Secret::new(sb.api_key.clone()),
        Origin::of(&url),
    ));
    let api = ApiClient::new(url, Some(key), analytics_mcp::api::Limits::default());
    let toolbox = Toolbox::new(Arc::new(api), Endpoints::default(), None);
    let http = reqwest::Client::new();
    let mut sizes = Vec::new();
    for (name, args) in calls() {
        let tool = analytics_mcp::tools::find(name).unwrap();
        let out = toolbox.call(name, args.as_object()).await.unwrap();
        let raw = match &out.answer.request {
            None => 0, // get_api_usage is answered locally: there is no upstream JSON
            Some(request) => {
                // The raw answer a direct caller gets for the same question: the limit it
                // asked for, not the one extra row the bridge fetches to know if more exist.
                let asked = out.answer.rows.map(|cut| cut.limit);
                let params: Vec<(String, String)> = request
                    .params
                    .iter()
                    .map(|(k, v)| match (k.as_str(), asked) {
                        ("limit", Some(n)) => (k.clone(), n.to_string()),
                        _ => (k.clone(), v.clone()),
                    })
                    .collect();
                http.get(format!("{}{}", sb.base_url(), request.path))
                    .header("X-API-Key", &sb.api_key)
                    .query(&params)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .len()
            }
        };
        let is_list = tool.shape == Shape::Rows && tool.args != ArgsKind::Series;
        let label = match args.get("period") {
            Some(_) => format!("{name} (90 days, daily)"),
            None => name.to_string(),
        };
        sizes.push((
            label,
            is_list,
            raw,
            out.text.len(),
            out.structured.to_string().len(),
        ));
    }
    sizes
}
