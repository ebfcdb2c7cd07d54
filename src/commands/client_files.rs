//! A client's config file and Claude Code's own `claude mcp`, for `install` and `uninstall`:
//! where the file is, reading it, writing it back atomically with a `.bak`, showing or
//! applying an edit, and the server name an entry goes by.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{CliError, Exit};
use crate::install::{Client, Edit};
use crate::output;

pub(super) fn home() -> anyhow::Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .context("no home directory could be found")
}

pub(super) fn project_dir(project: bool) -> anyhow::Result<Option<PathBuf>> {
    Ok(if project {
        Some(std::env::current_dir()?)
    } else {
        None
    })
}

/// The file `client` keeps its servers in, or a usage error when it has no such file here.
pub(super) fn target(client: Client, project: bool) -> anyhow::Result<PathBuf> {
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
pub(super) fn claude_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("claude"))
        .find(|p| p.is_file())
}

pub(super) fn read(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Writes `text` to `path` atomically (temp file, fsync, rename), keeping a `.bak` of what
/// was there and the file's permissions.
pub(super) fn write(path: &Path, text: &str) -> anyhow::Result<()> {
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

pub(super) fn diff(path: &Path, edit: &Edit) -> String {
    let shown = path.display().to_string();
    similar::TextDiff::from_lines(&edit.before, &edit.after)
        .unified_diff()
        .header(&shown, &shown)
        .to_string()
}

/// `--name`, else `analytics`, or `analytics-PROFILE` so that profiles do not collide.
pub(super) fn server_name(name: Option<&str>, profile: Option<&str>) -> Result<String, CliError> {
    let name = match (name, profile) {
        (Some(name), _) => name.to_string(),
        (None, Some(profile)) => format!("analytics-{profile}"),
        (None, None) => "analytics".to_string(),
    };
    check_name(&name)?;
    Ok(name)
}

pub(super) fn check_name(name: &str) -> Result<(), CliError> {
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
pub(super) fn apply(path: &Path, edit: &Edit, dry_run: bool, done: &str) -> anyhow::Result<Exit> {
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

/// Our entry in Claude Code's user config (`~/.claude.json`), read rather than asked for:
/// `claude mcp get` starts the server to report on it, and `claude mcp add` refuses a name
/// that exists, so a second `install` must know before it runs anything.
pub(super) fn claude_user_entry(name: &str) -> anyhow::Result<Option<serde_json::Value>> {
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
pub(super) fn claude_mcp(claude: &Path, argv: &[&str], dry_run: bool) -> anyhow::Result<()> {
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
