//! `analytics-mcp-sandbox`: runs the local Read API stand-in (and its authorization server
//! and hosted MCP endpoint) until Ctrl-C, printing ready-to-paste commands for it. A busy port
//! is named, and when a sandbox already answers there, its commands are printed instead. It
//! takes the arguments `analytics-mcp sandbox` took (which now runs this binary when it is
//! installed beside it). Errors end as the product's do: `error:`, a hint, exit 2 for usage.

#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use analytics_mcp::error::{CliError, Exit};
use analytics_mcp::output;
use analytics_mcp_sandbox::{self as sandbox, DEMO_KEY, Fault, SandboxOptions};
use clap::Parser;

/// Run a local stand-in for the Read API with demo data, for trying things out and tests
#[derive(Debug, Parser)]
#[command(name = "analytics-mcp-sandbox", version)]
struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Requests per minute before answering 429
    #[arg(long, default_value_t = sandbox::DEFAULT_RATE_LIMIT)]
    rate_limit: u32,
    /// Inject a fault into requests whose path contains PATH: PATH=503 (any 4xx or 5xx status),
    /// PATH=429:30 (with Retry-After), PATH=delay:1500 (ms, then the answer), PATH=html,
    /// PATH=invalid-json (cut off), PATH=reset (dropped mid-body), PATH=stall (never ends),
    /// PATH=huge:50 (MiB) or PATH=redirect:URL; add *N to fault the first N requests only.
    /// Repeatable.
    #[arg(long, value_name = "PATH=SPEC")]
    fault: Vec<Fault>,
    /// Make a tool of the hosted MCP endpoint (/mcp) answer with a JSON-RPC error code, e.g.
    /// get_visitors=-32003. Repeatable.
    #[arg(long, value_name = "TOOL=CODE", value_parser = parse_mcp_error)]
    mcp_error: Vec<(String, i64)>,
    /// The MCP protocol era(s) /mcp speaks: 2026-07-28 (stateless), 2025-11-25 (sessions) or
    /// both on one endpoint
    #[arg(long, value_name = "ERA", default_value = "both")]
    mcp_era: sandbox::mcp::McpEra,
    /// Lifetime of the access tokens its authorization server issues, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_ttl: u64,
    /// Plant a change on top of the demo data, for explain_change and the anomaly flags:
    /// page-drop, referrer-spike, country-shift, event-surge, day-spike or revenue-drop
    #[arg(long, value_name = "NAME", value_parser = sandbox::Scenario::parse)]
    scenario: Option<sandbox::Scenario>,
    /// Move the eight inferred Read API paths (they answer 404 where analytics-mcp expects
    /// them; their data is under /projects/ID/reports/… and through the hosted MCP server at
    /// /api/v1/mcp), as if the API differed from analytics-mcp's reading of it
    #[arg(long)]
    moved_paths: bool,
}

fn parse_mcp_error(raw: &str) -> Result<(String, i64), String> {
    let (tool, code) = raw
        .split_once('=')
        .ok_or("expected TOOL=CODE, e.g. get_visitors=-32003")?;
    let code = code
        .parse::<i64>()
        .map_err(|_| format!("`{code}` is not a JSON-RPC error code"))?;
    Ok((tool.to_string(), code))
}

fn main() -> ExitCode {
    let args = SandboxArgs::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(&args)));
    match outcome {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            let (exit, hint) = match err.downcast_ref::<CliError>() {
                Some(e) => (e.exit, e.hint.clone()),
                None => (Exit::Failure, None),
            };
            output::error(&err, hint.as_deref());
            ExitCode::from(exit as u8)
        }
    }
}

async fn run(args: &SandboxArgs) -> anyhow::Result<Exit> {
    let started = sandbox::start(SandboxOptions {
        port: args.port,
        rate_limit: args.rate_limit,
        faults: args.fault.clone(),
        mcp_errors: args.mcp_error.iter().cloned().collect(),
        mcp_era: args.mcp_era,
        scenario: args.scenario,
        moved_paths: args.moved_paths,
        oauth: sandbox::oauth::OAuthOptions {
            access_ttl: std::time::Duration::from_secs(args.token_ttl.max(1)),
            ..Default::default()
        },
        ..SandboxOptions::default()
    })
    .await;
    let sandbox = match started {
        Ok(sandbox) => sandbox,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err(busy(args.port).await),
        Err(e) => return Err(e.into()),
    };
    // First two lines of stdout: the base URL, then the demo key (not a secret), for scripts.
    output::data(&sandbox.base_url());
    output::data(&sandbox.api_key);
    output::note(&format!(
        "Sandbox Read API for the demo project on {}. Try:\n{}\nIts hosted MCP endpoint: {} (try: analytics-mcp login --mcp-url {} --profile sandbox)\nHimetrica-like hosted MCP server for the Read API tools: {}{}\nPress Ctrl-C to stop.",
        sandbox.addr,
        commands(&sandbox.base_url(), &sandbox.api_key),
        sandbox.mcp_url(),
        sandbox.mcp_url(),
        sandbox.read_api_mcp_url(),
        if args.moved_paths {
            " (the eight inferred Read API paths are moved: analytics-mcp serves them from it)"
        } else {
            ""
        }
    ));
    tokio::signal::ctrl_c().await?;
    Ok(Exit::Success)
}

/// Ready-to-paste commands for a sandbox at `base_url` with the demo key `key` (a sample key,
/// not a secret).
fn commands(base_url: &str, key: &str) -> String {
    format!(
        "  echo {key} | analytics-mcp login --with-key --api-url {base_url}\n  analytics-mcp call get_analytics\nor sign in with its authorization server (consent page in the browser):\n  analytics-mcp login --api-url {base_url}"
    )
}

/// The port is taken: by a sandbox already (its `/me` answers the demo key), whose commands
/// are then printed, or by something else.
async fn busy(port: u16) -> anyhow::Error {
    let base_url = format!("http://127.0.0.1:{port}/api/v1");
    let client = analytics_mcp::http::http_client(|b| b.timeout(std::time::Duration::from_secs(2)));
    let is_sandbox = client
        .get(format!("{base_url}/me"))
        .header("X-API-Key", DEMO_KEY)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    let error = CliError::new(
        Exit::Usage,
        format!("port {port} on 127.0.0.1 is already in use"),
    );
    if is_sandbox {
        output::note(&format!(
            "A sandbox already answers at {base_url}. Use it:\n{}",
            commands(&base_url, DEMO_KEY)
        ));
        error.with_hint("use the sandbox above, or start another with --port 0 (a free port)")
    } else {
        error.with_hint(format!(
            "stop what listens on port {port}, or pick another with --port N (--port 0: a free one)"
        ))
    }
    .into()
}
