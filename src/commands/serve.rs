//! `analytics-mcp serve`: the stdio MCP server. Never prompts, never opens a browser; with no
//! credential it still starts and every tool says how to sign in. With several Read API
//! profiles (`--profile a --profile b`, `--all-profiles`) one server answers for each of their
//! projects (`projects`, issue 26).

use std::io::IsTerminal;

use super::projects::Several;
use super::{App, Connected};
use crate::cli::ServeArgs;
use crate::error::{CliError, Exit};
use crate::hosted::proxy::HostedServer;
use crate::mcp::{AnalyticsServer, serve_stdio};
use crate::output;

/// What a person who started `serve` by hand sees (on stderr: stdout stays JSON-RPC only).
const HINT: &str = "analytics-mcp serve is waiting for an MCP client on stdin/stdout; set one \
up with `analytics-mcp install <client>`, or try a tool with `analytics-mcp call get_analytics \
--demo` (Ctrl-C to stop)";

pub async fn run(args: &ServeArgs) -> anyhow::Result<Exit> {
    // MCP clients start `serve` with pipes; a terminal on stdin means a person typed it.
    if std::io::stdin().is_terminal() {
        output::note(HINT);
    }
    if args.global.several() {
        return several(args).await;
    }
    let app = App::with_project(&args.global.single(), args.project.as_deref())?;
    if app.hosted() && args.demo {
        return Err(CliError::new(
            Exit::Usage,
            "--demo serves the built-in Read API project; this profile bridges a hosted MCP server",
        )
        .into());
    }
    let max_in_flight = app.settings.limits.max_in_flight;
    let connected = app.connect(args.demo).await?;
    let served = match &connected {
        Connected::Hosted(upstream) => {
            serve_stdio(HostedServer::new(upstream.clone()), max_in_flight).await
        }
        // The credential is read by the first tool call that needs it, not here: start-up
        // does only what `initialize` and `tools/list` need.
        Connected::ReadApi(read) => {
            let server = AnalyticsServer::new(read.toolbox.clone());
            server.prepare_listing();
            serve_stdio(server, max_in_flight).await
        }
    };
    // The client has gone; a refresh still running stores its rotated tokens before exit.
    connected.settle().await;
    served?;
    Ok(Exit::Success)
}

/// One server over several Read API profiles, each with its own credential, API and cache.
async fn several(args: &ServeArgs) -> anyhow::Result<Exit> {
    let set = Several::connect(&args.global, args.demo, args.project.as_deref()).await?;
    // Each profile's credential is read by its first tool call, not here (as with one).
    let server = AnalyticsServer::over(set.projects());
    server.prepare_listing();
    let served = serve_stdio(server, set.max_in_flight).await;
    set.settle().await;
    served?;
    Ok(Exit::Success)
}
