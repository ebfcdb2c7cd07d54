//! analytics-mcp: a local MCP server and terminal client for the Himetrica Read API.
//!
//! Data flows one way, and a module uses only what stands to its left:
//! `cli` → `commands` → `config` / `credentials` → `api` → `tools` → `mcp`.
//! `sandbox` is a stand-alone stand-in for the upstream. Leaf helpers (`env_vars`, `output`,
//! `error`) may be used anywhere.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod env_vars;
pub mod error;
pub mod mcp;
pub mod output;
pub mod sandbox;
pub mod tools;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command, and maps the outcome to an exit code.
pub fn run() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(
                &anyhow::anyhow!("could not start the async runtime: {e}"),
                None,
            );
            return ExitCode::from(error::Exit::Failure as u8);
        }
    };
    let outcome = runtime.block_on(commands::dispatch(cli));
    // Do not wait for stray blocking tasks (a hung keychain call) on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            let (exit, hint) = match err.downcast_ref::<error::CliError>() {
                Some(e) => (e.exit, e.hint.clone()),
                None => (error::Exit::Failure, None),
            };
            output::error(&err, hint.as_deref());
            ExitCode::from(exit as u8)
        }
    }
}

/// Logs go to stderr only; stdout belongs to JSON-RPC and data.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_new(
        // rmcp logs every JSON-RPC error answer as a warning; those are answers, not problems.
        env_vars::var(env_vars::LOG)
            .or_else(|| env_vars::var(env_vars::RUST_LOG))
            .unwrap_or_else(|| "warn,rmcp=error".to_string()),
    )
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rmcp=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
