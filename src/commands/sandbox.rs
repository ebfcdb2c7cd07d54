//! `analytics-mcp sandbox [ARGS…]`: runs the `analytics-mcp-sandbox` binary with the same
//! arguments. The sandbox (a Read API stand-in with an authorization server and a hosted MCP
//! endpoint, for development and for trying sign-in without an account) left the product for
//! its own crate so that the binary users install carries none of it; this command keeps the
//! old spelling working wherever the sandbox is built beside it (`cargo build --workspace`) or
//! on PATH, and otherwise says how to get it.

use std::path::PathBuf;
use std::process::Command;

use crate::cli::SandboxArgs;
use crate::error::{CliError, Exit};

/// The sandbox binary's file name on this platform.
const SANDBOX_BIN: &str = if cfg!(windows) {
    "analytics-mcp-sandbox.exe"
} else {
    "analytics-mcp-sandbox"
};

pub fn run(args: &SandboxArgs) -> anyhow::Result<Exit> {
    let Some(program) = find() else {
        return Err(CliError::new(
            Exit::Usage,
            "the sandbox is not part of this build: it is its own binary, analytics-mcp-sandbox",
        )
        .with_hint(
            "in a clone of the source: cargo run -p analytics-mcp-sandbox -- ARGS (see docs/sandbox.md)",
        )
        .into());
    };
    let mut command = Command::new(&program);
    command.args(&args.args);
    exec(command, &program)
}

/// Beside this executable first (a workspace build puts both in one directory), then PATH.
fn find() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok()?.with_file_name(SANDBOX_BIN);
    if beside.is_file() {
        return Some(beside);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(SANDBOX_BIN))
        .find(|p| p.is_file())
}

/// Unix: this process becomes the sandbox (Ctrl-C, exit code and stdout are its own), named
/// `analytics-mcp sandbox` in its usage lines.
#[cfg(unix)]
fn exec(mut command: Command, program: &std::path::Path) -> anyhow::Result<Exit> {
    use std::os::unix::process::CommandExt;
    let error = command.arg0("analytics-mcp sandbox").exec();
    Err(anyhow::anyhow!(
        "could not run {}: {error}",
        program.display()
    ))
}

/// Elsewhere: run it and end with its exit code.
#[cfg(not(unix))]
fn exec(mut command: Command, program: &std::path::Path) -> anyhow::Result<Exit> {
    let status = command
        .status()
        .map_err(|e| anyhow::anyhow!("could not run {}: {e}", program.display()))?;
    std::process::exit(status.code().unwrap_or(1));
}
