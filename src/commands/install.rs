//! `install`, `uninstall`: setting up clients.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::App;
use crate::cli::{GlobalArgs, InstallArgs, UninstallArgs};
use crate::error::{CliError, Exit};
use crate::install::{self, Client, Edit, Entry};
use crate::output;

fn home() -> anyhow::Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .context("no home directory could be found")
}

fn project_dir(project: bool) -> anyhow::Result<Option<PathBuf>> {
    Ok(if project {
        Some(std::env::current_dir()?)
    } else {
        None
    })
}

/// The file `client` keeps its servers in, or a usage error when it has no such file here.
fn target(client: Client, project: bool) -> anyhow::Result<PathBuf> {
    client
        .config_path(&home()?, project_dir(project)?.as_deref())
        .ok_or_else(|| {
            CliError::new(
                Exit::Usage,
                format!("{} has no project config file", client.id()),
            )
            .with_hint("drop --project to configure it for your user")
            .into()
        })
}

/// `claude` on PATH, for Claude Code's own `claude mcp add`.
fn claude_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("claude"))
        .find(|p| p.is_file())
}

fn read(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Writes `text` to `path` atomically (temp file, fsync, rename), keeping a `.bak` of what
/// was there and the file's permissions.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config");
    let existing = std::fs::metadata(path).ok();
    if existing.is_some() {
        std::fs::copy(path, dir.join(format!("{name}.bak")))
            .with_context(|| format!("could not back up {}", path.display()))?;
    }
    crate::atomic::write(path, text.as_bytes(), crate::atomic::Access::Keep)
        .with_context(|| format!("could not write {}", path.display()))
}

fn diff(path: &Path, edit: &Edit) -> String {
    let shown = path.display().to_string();
    similar::TextDiff::from_lines(&edit.before, &edit.after)
        .unified_diff()
        .header(&shown, &shown)
        .to_string()
}

/// The profile named by `--profile` or `ANALYTICS_MCP_PROFILE`, checked to exist in
/// `config.toml` (an entry for a missing profile would fail in the client, out of sight).
fn profile(global: &GlobalArgs) -> anyhow::Result<Option<String>> {
    if App::named_profile(global)?.is_none() {
        return Ok(None);
    }
    Ok(App::load(global)?.settings.profile)
}

/// `--name`, else `analytics`, or `analytics-PROFILE` so that profiles do not collide.
fn server_name(name: Option<&str>, profile: Option<&str>) -> Result<String, CliError> {
    let name = match (name, profile) {
        (Some(name), _) => name.to_string(),
        (None, Some(profile)) => format!("analytics-{profile}"),
        (None, None) => "analytics".to_string(),
    };
    check_name(&name)?;
    Ok(name)
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

fn check_name(name: &str) -> Result<(), CliError> {
    if crate::config::is_plain_name(name) {
        Ok(())
    } else {
        Err(CliError::new(
            Exit::Usage,
            format!("`{name}` is not a usable server name: use letters, digits, - and _"),
        ))
    }
}

/// Applies `edit` to `path` (or prints it with `dry_run`) and says what happened.
fn apply(path: &Path, edit: &Edit, dry_run: bool, done: &str) -> anyhow::Result<Exit> {
    if !edit.changed() {
        output::note(&format!("Nothing to change in {}.", path.display()));
        return Ok(Exit::Success);
    }
    if dry_run {
        output::data(&diff(path, edit));
        output::note("(dry run: nothing was written)");
        return Ok(Exit::Success);
    }
    write(path, &edit.after)?;
    output::note(done);
    Ok(Exit::Success)
}

pub fn install(global: &GlobalArgs, args: &InstallArgs) -> anyhow::Result<Exit> {
    let profile = profile(global)?;
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

pub fn uninstall(global: &GlobalArgs, args: &UninstallArgs) -> anyhow::Result<Exit> {
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

/// Our entry in Claude Code's user config (`~/.claude.json`), read rather than asked for:
/// `claude mcp get` starts the server to report on it, and `claude mcp add` refuses a name
/// that exists, so a second `install` must know before it runs anything.
fn claude_user_entry(name: &str) -> anyhow::Result<Option<serde_json::Value>> {
    let Some(path) = Client::ClaudeCode.config_path(&home()?, None) else {
        return Ok(None);
    };
    let text = read(&path)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("{} is not valid JSON: {e}", path.display()),
        )
        .with_hint("fix or move the file; Claude Code will not read it either")
    })?;
    Ok(config["mcpServers"].get(name).cloned())
}

/// Runs `claude mcp …` (or prints it with `dry_run`), its chatter on our stderr.
fn claude_mcp(claude: &Path, argv: &[&str], dry_run: bool) -> anyhow::Result<()> {
    if dry_run {
        output::data(&format!("{} mcp {}", claude.display(), argv.join(" ")));
        return Ok(());
    }
    let status = std::process::Command::new(claude)
        .arg("mcp")
        .args(argv)
        .stdin(std::process::Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("could not run {}", claude.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::new(
            Exit::Failure,
            format!("`claude mcp {}` failed ({status})", argv[0]),
        )
        .into())
    }
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
