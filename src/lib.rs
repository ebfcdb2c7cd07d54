//! analytics-mcp: a local MCP server and terminal client for the Himetrica Read API.
//!
//! Data flows one way, and the imports between modules have no cycle (`tests/it/layout.rs`
//! fails on a new one):
//! - `commands` (one per subcommand, reading `cli`) use everything else, composed once per
//!   command in `commands/app.rs` (settings → credential → upstream → toolbox; its module doc
//!   follows `call` through the code);
//! - `config` (settings, limits, the endpoint table) → `credentials` (bound to their origin)
//!   → `auth` (sign-in and tokens) → `api` (the Read API client) → `tools` → `mcp`;
//! - `hosted` (the bridge to hosted MCP servers) stands beside `api`, on `auth` and `config`;
//! - `chart` (SVG and terminal drawings, on `text`) stands under `tools`;
//! - `demo` (the offline sample project behind `--demo`: its Read API on 127.0.0.1, no sign-in,
//!   no MCP server) stands alone on `clock`; `install` edits client configs. The sandbox (a
//!   stand-in upstream with an authorization server) is another crate, never linked here;
//! - `probe` (which Read API paths answer, at `login` and `doctor`) stands on `api`, `tools`
//!   and `config`, and serves the commands;
//! - `usage` (how a failed command ends: exit code, hint, clap's refusals) serves `run` only.
//!
//! Leaf helpers may be used anywhere and import none of the above: `env_vars`, `output`,
//! `error`, `clock`, `text` (sanitizing upstream text), `http` (the one HTTP client, the one
//! URL policy and the one retry schedule), `atomic` (the one atomic file write).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod accepted;
pub mod api;
pub mod atomic;
pub mod auth;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod complete;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod env_vars;
pub mod error;
pub mod hosted;
pub mod http;
pub mod install;
pub mod mcp;
pub mod output;
pub mod probe;
pub mod skills;
pub mod text;
pub mod tools;
mod usage;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// Parses the command line, runs the command, and maps the outcome to an exit code (the table
/// in [`error`]).
pub fn run() -> ExitCode {
    end_on_panic();
    // A shell asking for completions (`COMPLETE=bash analytics-mcp -- WORDS…`, from the
    // script `completions` prints) is answered here, and the process ends. Looked up first:
    // clap_complete's own look costs every start-up 0.06 ms (measured, issue 23).
    if std::env::var_os(env_vars::COMPLETE).is_some() {
        clap_complete::CompleteEnv::with_factory(cli::Cli::command)
            .var(env_vars::COMPLETE)
            .complete();
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage::clap_error(e),
    };
    output::set_color(match cli.command.color() {
        cli::ColorChoice::Always => Some(true),
        cli::ColorChoice::Never => Some(false),
        cli::ColorChoice::Auto => None,
    });
    let json = matches!(&cli.command, cli::Command::Call(a) if a.json)
        || matches!(&cli.command, cli::Command::Tools(a) if a.json);
    init_logging();
    // One worker beside the main thread (which drives the command and, in `serve`, the
    // `initialize` handshake): every call's tasks then run on one thread, without a wake-up
    // of a second worker between them. Measured against two workers: 0.07–0.13 ms less per
    // call with the upstream in another process, and the 20,000-call flood 20% quicker
    // (BENCHMARKS.md, issue 23).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
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
            let (exit, hint) = usage::classify(&err);
            if json {
                output::error_json(exit.kind(), &err, hint.as_deref());
            }
            output::error(&err, hint.as_deref());
            ExitCode::from(exit as u8)
        }
    }
}

/// A panic is a bug, and it ends the process in every build: its message (where, and what) on
/// stderr, stdin and stdout as `serve` found them, and exit code 101, as a panic on the main
/// thread ends a Rust program. The release build aborts on a panic (`panic = "abort"`: no
/// unwinding tables to carry, BENCHMARKS.md, issue 23), so a panic in a spawned task could not
/// leave the process serving anyway; before, it left that call unanswered for good.
fn end_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        mcp::put_back_stdio();
        std::process::exit(error::Exit::Bug as i32);
    }));
}

/// Logs go to stderr only; stdout belongs to JSON-RPC and data. The filter is a level or a
/// `target=level` list (`debug`, `warn,analytics_mcp=trace`): tracing's `Targets`, which needs
/// no regex engine (about half a megabyte of binary).
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    // rmcp logs every JSON-RPC error answer as a warning; those are answers, not problems.
    let default = "warn,rmcp=error";
    let filter: Targets = env_vars::var(env_vars::LOG)
        .or_else(|| env_vars::var(env_vars::RUST_LOG))
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| default.parse().unwrap_or_default());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
