//! `uninstall`: removing our entry from a client's config (or through `claude mcp remove`).

use super::App;
use super::client_files::{
    apply, claude_mcp, claude_program, claude_user_entry, read, server_name, target,
};
use crate::cli::{GlobalArgs, UninstallArgs};
use crate::error::{CliError, Exit};
use crate::install::{self, Client};
use crate::output;

pub fn run(global: &GlobalArgs, args: &UninstallArgs) -> anyhow::Result<Exit> {
    if args.skills {
        return super::skills::uninstall(args.client, args.project, args.dry_run);
    }
    let profile = App::named_profile(global)?;
    let name = &server_name(args.name.as_deref(), profile.as_deref())?;
    if args.client == Client::ClaudeCode
        && !args.project
        && let Some(claude) = claude_program()
    {
        if claude_user_entry(name)?.is_none() {
            output::note(&format!(
                "No entry \"{}\" in Claude Code's user config; nothing to remove.",
                name
            ));
            return Ok(Exit::Success);
        }
        return claude_mcp(&claude, &["remove", "--scope", "user", name], args.dry_run).map(|()| {
            if !args.dry_run {
                output::note(&format!("✓ Removed \"{}\" from Claude Code.", name));
            }
            Exit::Success
        });
    }
    let project = args.project || args.client == Client::ClaudeCode;
    let path = target(args.client, project)?;
    let text = read(&path)?;
    let edit = install::uninstall(args.client.format(), &path, &text, name)
        .map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    if !edit.changed() {
        output::note(&format!(
            "No entry \"{}\" in {}; nothing to remove.",
            name,
            path.display()
        ));
        return Ok(Exit::Success);
    }
    apply(
        &path,
        &edit,
        args.dry_run,
        &format!("✓ Removed \"{}\" from {}.", name, path.display()),
    )
}
