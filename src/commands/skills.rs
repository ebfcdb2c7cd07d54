//! `install --skills CLIENT` and `uninstall --skills CLIENT`: our skills in the folder Claude
//! Code or Codex loads skills from (`skills::disk`), each change said once, a second run
//! saying nothing changed; and the one line per client `doctor` shows for them.

use std::path::PathBuf;

use anyhow::Context;

use super::client_files::{home, project_dir};
use crate::error::{CliError, Exit};
use crate::install::Client;
use crate::output;
use crate::skills::ALL;
use crate::skills::disk::{self, Removed, State, Written};

/// The client's skills folder, or a usage error for a client that loads none from disk.
fn folder(client: Client, project: bool) -> anyhow::Result<PathBuf> {
    disk::dir(client, &home()?, project_dir(project)?.as_deref()).ok_or_else(|| {
        CliError::new(
            Exit::Usage,
            format!("{} does not load skills from a folder", client.id()),
        )
        .with_hint(
            "use --skills with claude-code or codex; other clients get the skills over MCP when they support the skills extension (docs/skills.md)",
        )
        .into()
    })
}

pub fn install(client: Client, project: bool, dry_run: bool) -> anyhow::Result<Exit> {
    let dir = folder(client, project)?;
    let done = disk::install(&dir, dry_run)
        .with_context(|| format!("could not write the skills in {}", dir.display()))?;
    let mut kept = false;
    for (skill, written) in &done {
        let what = match written {
            Written::New if dry_run => "would be written",
            Written::Updated if dry_run => "would be updated",
            Written::New => "written",
            Written::Updated => "updated",
            Written::Unchanged => "unchanged",
            Written::KeptForeign => {
                kept = true;
                "kept: a skill of that name that analytics-mcp did not write"
            }
        };
        output::note(&format!("  {:<30} {what}", skill.name));
    }
    let count = |w: Written| done.iter().filter(|(_, x)| *x == w).count();
    let (new, updated) = (count(Written::New), count(Written::Updated));
    if dry_run {
        output::note("(dry run: nothing was written)");
    } else if new + updated == 0 && !kept {
        output::note(&format!(
            "{}'s skills in {} are up to date ({} unchanged); nothing to change.",
            client.id(),
            dir.display(),
            count(Written::Unchanged)
        ));
    } else if new + updated > 0 {
        output::note(&format!(
            "✓ {} loads {} analytics skills from {} ({new} written, {updated} updated). Start a new session to load them.",
            client.id(),
            new + updated + count(Written::Unchanged),
            dir.display()
        ));
    }
    if kept {
        output::warning(
            "a skill named above was left as it is; move it aside and run this again to install ours",
        );
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}

pub fn uninstall(client: Client, project: bool, dry_run: bool) -> anyhow::Result<Exit> {
    let dir = folder(client, project)?;
    let removed = disk::uninstall(&dir, dry_run)
        .with_context(|| format!("could not remove the skills in {}", dir.display()))?;
    let mut count = 0;
    for r in &removed {
        let line = match r {
            Removed::Skill(name) if dry_run => format!("  {name:<30} would be removed"),
            Removed::Skill(name) => format!("  {name:<30} removed"),
            Removed::KeptFolder(name) => {
                format!("  {name:<30} SKILL.md removed; the folder holds other files, so it stays")
            }
            Removed::NotOurs(name) => {
                format!("  {name:<30} kept: analytics-mcp did not write it")
            }
        };
        count += usize::from(!matches!(r, Removed::NotOurs(_)));
        output::note(&line);
    }
    if count == 0 {
        output::note(&format!(
            "No analytics-mcp skills in {}; nothing to remove.",
            dir.display()
        ));
    } else if dry_run {
        output::note("(dry run: nothing was removed)");
    } else {
        output::note(&format!(
            "✓ Removed {count} analytics skills from {}; other skills there were left as they are.",
            dir.display()
        ));
    }
    Ok(Exit::Success)
}

/// What `doctor` says of one client's skills.
pub enum Verdict {
    /// Every skill installed, this version.
    Current(String),
    /// Some not installed (a note, with the command that adds them).
    Missing(String),
    /// Some from another version: the detail and the fix.
    Outdated(String, String),
}

/// `doctor`'s view of the skills: one verdict per client that looks installed here.
pub fn doctor() -> Vec<Verdict> {
    let Ok(home) = home() else {
        return Vec::new();
    };
    let mut verdicts = Vec::new();
    for &client in disk::CLIENTS {
        let Some(dir) = disk::dir(client, &home, None).filter(|_| disk::detected(client, &home))
        else {
            continue;
        };
        let states: Vec<State> = ALL
            .iter()
            .map(|s| disk::state(&dir, s).unwrap_or(State::Missing))
            .collect();
        let n = |state: State| states.iter().filter(|s| **s == state).count();
        let fix = format!("analytics-mcp install --skills {}", client.id());
        let foreign = match n(State::Foreign) {
            0 => String::new(),
            k => format!(" ({k} of them taken by a skill of yours with the same name)"),
        };
        // Only the counts that are not zero, and the folder under `~`, so the line fits a
        // terminal.
        let mut detail = format!(
            "{}: {} of {} installed",
            client.id(),
            n(State::Installed),
            ALL.len()
        );
        for (count, what) in [
            (n(State::Outdated), "outdated"),
            (n(State::Missing) + n(State::Foreign), "missing"),
        ] {
            if count > 0 {
                detail.push_str(&format!(", {count} {what}"));
            }
        }
        let shown = match dir.strip_prefix(&home) {
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => dir.display().to_string(),
        };
        detail.push_str(&format!("{foreign} in {shown}"));
        verdicts.push(if n(State::Outdated) > 0 {
            Verdict::Outdated(detail, fix)
        } else if n(State::Installed) == ALL.len() {
            Verdict::Current(detail)
        } else {
            Verdict::Missing(format!("{detail} (add: {fix})"))
        });
    }
    verdicts
}
