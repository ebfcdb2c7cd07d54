//! `analytics-mcp serve`: the stdio MCP server. Never prompts, never opens a browser; with no
//! credential it still starts and every tool says how to sign in.

use crate::cli::{GlobalArgs, ServeArgs};
use crate::error::{CliError, Exit};
use crate::hosted::proxy::HostedServer;
use crate::mcp::{AnalyticsServer, serve_stdio};

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
        serve_stdio(
            HostedServer::new(super::hosted(&settings, mcp).await),
            max_in_flight,
        )
        .await?;
        return Ok(Exit::Success);
    }
    let max_in_flight = settings.limits.max_in_flight;
    let (toolbox, _sandbox) = super::toolbox(settings, args.demo).await?;
    if !toolbox.api().has_credential() {
        tracing::warn!("not signed in; tools will answer with how to sign in");
    }
    serve_stdio(AnalyticsServer::new(toolbox), max_in_flight).await?;
    Ok(Exit::Success)
}
