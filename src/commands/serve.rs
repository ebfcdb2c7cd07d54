//! `analytics-mcp serve`: the stdio MCP server. Never prompts, never opens a browser; with no
//! credential it still starts and every tool says how to sign in.

use crate::cli::{GlobalArgs, ServeArgs};
use crate::error::{CliError, Exit};
use crate::hosted::proxy::HostedServer;
use crate::mcp::{AnalyticsServer, serve_stdio};

/// The longest a refresh in flight may delay exit (it is bounded by its own deadlines).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<Exit> {
    let settings = super::settings_for(global, args.project.as_deref())?;
    if let Some(mcp) = settings.mcp.clone() {
        if args.demo {
            return Err(CliError::new(
                Exit::Usage,
                "--demo serves the built-in Read API project; this profile bridges a hosted MCP server",
            )
            .into());
        }
        let max_in_flight = settings.limits.max_in_flight;
        let upstream = super::hosted(&settings, mcp).await;
        let served = serve_stdio(HostedServer::new(upstream.clone()), max_in_flight).await;
        if let Some(tokens) = upstream.token_manager() {
            tokens.settle(SETTLE).await;
        }
        served?;
        return Ok(Exit::Success);
    }
    let max_in_flight = settings.limits.max_in_flight;
    let (toolbox, _sandbox) = super::toolbox(settings, args.demo).await?;
    if !toolbox.api().has_credential() {
        tracing::warn!("not signed in; tools will answer with how to sign in");
    }
    let served = serve_stdio(AnalyticsServer::new(toolbox.clone()), max_in_flight).await;
    // The client has gone; a refresh still running stores its rotated tokens before exit.
    if let Some(tokens) = toolbox.api().token_manager() {
        tokens.settle(SETTLE).await;
    }
    served?;
    Ok(Exit::Success)
}
