//! `analytics-mcp sandbox`: runs the local Read API stand-in (and its authorization server)
//! until Ctrl-C.

use crate::cli::SandboxArgs;
use crate::error::Exit;
use crate::output;
use crate::sandbox::{self, SandboxOptions};

pub async fn run(args: &SandboxArgs) -> anyhow::Result<Exit> {
    let sandbox = sandbox::start(SandboxOptions {
        port: args.port,
        rate_limit: args.rate_limit,
        faults: args.fault.clone(),
        mcp_errors: args.mcp_error.iter().cloned().collect(),
        mcp_era: args.mcp_era,
        oauth: sandbox::oauth::OAuthOptions {
            access_ttl: std::time::Duration::from_secs(args.token_ttl.max(1)),
            ..Default::default()
        },
        ..SandboxOptions::default()
    })
    .await?;
    // First two lines of stdout: the base URL, then the demo key (not a secret), for scripts.
    output::data(&sandbox.base_url());
    output::data(&sandbox.api_key);
    output::note(&format!(
        "Sandbox Read API for the demo project on {}. Try:\n  ANALYTICS_MCP_API_URL={} ANALYTICS_MCP_API_KEY=<the key above> analytics-mcp call get_analytics\nor sign in with its authorization server ({}, consent page in the browser):\n  analytics-mcp login --api-url {}\nIts hosted MCP endpoint: {} (try: analytics-mcp login --mcp-url {} --profile sandbox)\nPress Ctrl-C to stop.",
        sandbox.addr,
        sandbox.base_url(),
        sandbox.origin(),
        sandbox.base_url(),
        sandbox.mcp_url(),
        sandbox.mcp_url()
    ));
    tokio::signal::ctrl_c().await?;
    Ok(Exit::Success)
}
