//! `analytics-mcp sandbox`: runs the local Read API stand-in (and its authorization server)
//! until Ctrl-C, printing ready-to-paste commands for it. A busy port is named, and when a
//! sandbox already answers there, its commands are printed instead.

use crate::cli::SandboxArgs;
use crate::error::{CliError, Exit};
use crate::output;
use crate::sandbox::{self, DEMO_KEY, SandboxOptions};

pub async fn run(args: &SandboxArgs) -> anyhow::Result<Exit> {
    let started = sandbox::start(SandboxOptions {
        port: args.port,
        rate_limit: args.rate_limit,
        faults: args.fault.clone(),
        mcp_errors: args.mcp_error.iter().cloned().collect(),
        mcp_era: args.mcp_era,
        scenario: args.scenario,
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
        "Sandbox Read API for the demo project on {}. Try:\n{}\nIts hosted MCP endpoint: {} (try: analytics-mcp login --mcp-url {} --profile sandbox)\nPress Ctrl-C to stop.",
        sandbox.addr,
        commands(&sandbox.base_url(), &sandbox.api_key),
        sandbox.mcp_url(),
        sandbox.mcp_url()
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
    let client = crate::http::http_client(|b| b.timeout(std::time::Duration::from_secs(2)));
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
