//! `analytics-mcp completions SHELL`: the shell's registration script for clap_complete's
//! dynamic completion. The script calls the binary back (`COMPLETE=SHELL analytics-mcp --
//! WORDS…`), so it completes what only the binary knows (profiles, tools, their parameters)
//! and never goes stale after an upgrade. `lib::run` answers those calls before parsing.

use crate::cli::CompletionsArgs;
use crate::env_vars;
use crate::error::Exit;
use crate::output;

pub fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let name = args.shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let shell = shells
        .completer(&name)
        .ok_or_else(|| anyhow::anyhow!("no completion script for {name}"))?;
    let mut out = Vec::new();
    // The script calls `analytics-mcp` from PATH, as the user typed it.
    shell.write_registration(
        env_vars::COMPLETE,
        "analytics-mcp",
        "analytics-mcp",
        "analytics-mcp",
        &mut out,
    )?;
    output::data(String::from_utf8_lossy(&out).trim_end());
    Ok(Exit::Success)
}
