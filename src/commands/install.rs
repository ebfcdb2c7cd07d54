//! `install`: adding our entry to a client's config (or through `claude mcp add`), and with
//! `--list` where each client's file is and whether our entry is in it.

use std::path::Path;

use anyhow::Context;

use super::App;
use super::client_files::{
    apply, claude_mcp, claude_program, claude_user_entry, home, read, server_name, target,
};
use crate::cli::{GlobalArgs, InstallArgs};
use crate::error::{CliError, Exit};
use crate::install::{self, Client, Entry};
use crate::output;

/// The profile named by `--profile` or `ANALYTICS_MCP_PROFILE`, checked to exist in
/// `config.toml` (an entry for a missing profile would fail in the client, out of sight).
fn profile(global: &GlobalArgs) -> anyhow::Result<Option<String>> {
    if App::named_profile(global)?.is_none() {
        return Ok(None);
    }
    Ok(App::load(global)?.settings.profile)
}

/// Checks an entry over several profiles before it is written: each exists and is a Read
/// API profile, and nothing would point them all at one API or the demo.
fn several(args: &InstallArgs) -> anyhow::Result<()> {
    if args.demo || args.global.api_url.is_some() {
        return Err(CliError::new(
            Exit::Usage,
            "--demo and --api-url apply to one profile, not to several",
        )
        .with_hint("leave them out: each profile's API comes from config.toml")
        .into());
    }
    for name in super::projects::selected(args.global.all_profiles, &args.global.profile)? {
        super::projects::read_api_profile(&name)?;
    }
    Ok(())
}

/// The entry: `serve` with what it needs to reach the same API and credential as this
/// command — the profile, and the API URL when it comes from a flag or the environment (the
/// client has neither) rather than `config.toml`.
fn entry(
    global: &GlobalArgs,
    args: &InstallArgs,
    name: String,
    profile: Option<&str>,
) -> anyhow::Result<Entry> {
    let exe = std::env::current_exe().context("could not find this program's path")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let mut cli_args = vec!["serve".to_string()];
    if args.global.several() {
        // Several projects in one entry (issue 26): each profile's settings and credential
        // come from config.toml and its store, so the entry names the profiles and no more.
        if args.global.all_profiles {
            cli_args.push("--all-profiles".to_string());
        }
        for profile in &args.global.profile {
            cli_args.extend(["--profile".to_string(), profile.clone()]);
        }
        return Ok(Entry {
            name,
            command: exe.display().to_string(),
            args: cli_args,
        });
    }
    if let Some(profile) = profile {
        cli_args.extend(["--profile".to_string(), profile.to_string()]);
    }
    if args.demo {
        cli_args.push("--demo".to_string());
    } else if let Some(url) = super::entries::api_url_arg(global) {
        cli_args.extend(["--api-url".to_string(), url]);
    }
    Ok(Entry {
        name,
        command: exe.display().to_string(),
        args: cli_args,
    })
}

pub fn run(global: &GlobalArgs, args: &InstallArgs) -> anyhow::Result<Exit> {
    if args.skills
        && let Some(client) = args.client
    {
        return super::skills::install(client, args.project, args.dry_run);
    }
    let profile = if args.global.several() {
        several(args)?;
        None
    } else {
        profile(global)?
    };
    let name = server_name(args.name.as_deref(), profile.as_deref())?;
    if args.list {
        return list(&name);
    }
    let Some(client) = args.client else {
        return Err(CliError::new(Exit::Usage, "name a client, or use --list").into());
    };
    let entry = entry(global, args, name, profile.as_deref())?;
    if let Err((problem, fix)) =
        super::entries::check(&install::Selects::of(&entry.args), client.id())
    {
        output::warning(&format!(
            "the entry will not answer yet: {problem}; fix: {fix}"
        ));
    }
    if client == Client::ClaudeCode
        && !args.project
        && let Some(claude) = claude_program()
    {
        return claude_mcp_add(&claude, &entry, args.dry_run);
    }
    let project = args.project || client == Client::ClaudeCode;
    let path = target(client, project)?;
    if client == Client::ClaudeCode && !args.project {
        output::note(
            "`claude` is not on PATH, so the entry goes in this project's .mcp.json (Claude Code reads it when started in this folder).",
        );
    }
    let text = read(&path)?;
    let edit = install::install(client.format(), &path, &text, &entry)
        .map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    apply(
        &path,
        &edit,
        args.dry_run,
        &format!(
            "✓ {} now starts `{} {}` as \"{}\" ({}). Restart it to load the server.",
            client.id(),
            entry.command,
            entry.args.join(" "),
            entry.name,
            path.display()
        ),
    )
}

fn claude_mcp_add(claude: &Path, entry: &Entry, dry_run: bool) -> anyhow::Result<Exit> {
    let started = format!("`{} {}`", entry.command, entry.args.join(" "));
    if let Some(existing) = claude_user_entry(&entry.name)? {
        let same = existing["command"] == entry.command.as_str()
            && existing["args"] == serde_json::json!(entry.args);
        if same {
            output::note(&format!(
                "Claude Code already starts {started} as \"{}\"; nothing to change.",
                entry.name
            ));
            return Ok(Exit::Success);
        }
        // `claude mcp add` will not overwrite; replace the stale entry.
        claude_mcp(claude, &["remove", "--scope", "user", &entry.name], dry_run)?;
    }
    let mut argv = vec!["add", "--scope", "user", entry.name.as_str(), "--"];
    argv.push(entry.command.as_str());
    argv.extend(entry.args.iter().map(String::as_str));
    claude_mcp(claude, &argv, dry_run)?;
    if dry_run {
        output::note("(dry run: nothing was run)");
    } else {
        output::note(&format!(
            "✓ Claude Code now starts {started} as \"{}\".",
            entry.name
        ));
    }
    Ok(Exit::Success)
}

/// One line per client file (user-wide, then this folder's project files that exist): whether
/// it is there, and our entry.
fn list(name: &str) -> anyhow::Result<Exit> {
    let home = home()?;
    let cwd = std::env::current_dir().ok();
    let mut lines = Vec::new();
    for (client, scope, path) in install::locations(&home, cwd.as_deref()) {
        let text = std::fs::read_to_string(&path);
        if scope == install::Scope::Project && text.is_err() {
            continue; // only a project file that is there is worth a line
        }
        let state = match text {
            Ok(text) => match install::find(client.format(), &text, name) {
                Some((command, _)) if Path::new(&command).exists() => {
                    format!("✓ \"{name}\" installed")
                }
                Some((command, _)) => {
                    format!("✗ \"{name}\" points at a missing program: {command}")
                }
                None => "detected, not installed".to_string(),
            },
            // The client's own directory exists (a file right in HOME proves nothing).
            Err(_) if path.parent().is_some_and(|p| p != home && p.exists()) => {
                "detected, not installed".to_string()
            }
            Err(_) => "not detected".to_string(),
        };
        let id = match scope {
            install::Scope::User => client.id().to_string(),
            install::Scope::Project => format!("{} (project)", client.id()),
        };
        lines.push(format!("{id:<15} {state:<32} {}", path.display()));
    }
    if let Some(claude) = claude_program() {
        lines.push(format!(
            "{:<15} `claude` found at {}: install uses `claude mcp add`",
            "",
            claude.display()
        ));
    }
    output::data(&lines.join("\n"));
    Ok(Exit::Success)
}
