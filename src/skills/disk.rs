//! Our skills on disk, where Claude Code and Codex load skills from: one folder per skill
//! holding its `SKILL.md` — Claude Code's `~/.claude/skills/` (`$CLAUDE_CONFIG_DIR/skills`
//! when set) and Codex's `~/.agents/skills/`, or a project's `.claude/skills/` and
//! `.agents/skills/`. Writing is atomic (`atomic::write`, through a link to where the file
//! lives) and changes nothing when the file already says the same; removing touches only a
//! folder named `analytics-mcp-…` whose `SKILL.md` carries our marker, so a user's own skill
//! in the same folder survives both.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{ALL, PREFIX, Skill, is_ours};
use crate::atomic::{self, Access};
use crate::install::Client;

/// The folder `client` loads skills from: the user's, or the project's in `project_dir`.
/// `None` for a client that loads no skills from disk.
pub fn dir(client: Client, home: &Path, project_dir: Option<&Path>) -> Option<PathBuf> {
    let base = match (client, project_dir) {
        (Client::ClaudeCode, Some(dir)) => dir.join(".claude"),
        (Client::ClaudeCode, None) => match crate::env_vars::var("CLAUDE_CONFIG_DIR") {
            Some(config) => PathBuf::from(config),
            None => home.join(".claude"),
        },
        (Client::Codex, Some(dir)) => dir.join(".agents"),
        (Client::Codex, None) => home.join(".agents"),
        _ => return None,
    };
    Some(base.join("skills"))
}

/// The clients that load skills from a folder.
pub const CLIENTS: &[Client] = &[Client::ClaudeCode, Client::Codex];

/// True when `client` looks installed for this user (its own folder exists), so that
/// `doctor` reports on its skills.
pub fn detected(client: Client, home: &Path) -> bool {
    let own = match client {
        Client::ClaudeCode => {
            dir(client, home, None).and_then(|d| d.parent().map(Path::to_path_buf))
        }
        Client::Codex => Some(match crate::env_vars::var("CODEX_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => home.join(".codex"),
        }),
        _ => None,
    };
    own.is_some_and(|d| d.is_dir()) || dir(client, home, None).is_some_and(|d| d.is_dir())
}

/// Where a skill's `SKILL.md` goes in `dir`.
pub fn path(dir: &Path, skill: &Skill) -> PathBuf {
    dir.join(skill.name).join("SKILL.md")
}

/// What a skill's file in a folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// This version of it.
    Installed,
    /// Ours, from another version.
    Outdated,
    Missing,
    /// A file of the same name that we did not write.
    Foreign,
}

/// The state of `skill` in `dir`.
pub fn state(dir: &Path, skill: &Skill) -> std::io::Result<State> {
    match std::fs::read(path(dir, skill)) {
        Ok(bytes) if bytes == skill.text.as_bytes() => Ok(State::Installed),
        Ok(bytes) if is_ours(&String::from_utf8_lossy(&bytes)) => Ok(State::Outdated),
        Ok(_) => Ok(State::Foreign),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(State::Missing),
        Err(e) => Err(e),
    }
}

/// What installing one skill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New,
    Updated,
    Unchanged,
    /// Left alone: a skill of that name that is not ours.
    KeptForeign,
}

/// Writes every skill into `dir` (or, with `dry_run`, says what it would write).
pub fn install(dir: &Path, dry_run: bool) -> std::io::Result<Vec<(&'static Skill, Written)>> {
    let mut done = Vec::new();
    for skill in ALL {
        let written = match state(dir, skill)? {
            State::Installed => Written::Unchanged,
            State::Foreign => Written::KeptForeign,
            State::Outdated => Written::Updated,
            State::Missing => Written::New,
        };
        if matches!(written, Written::New | Written::Updated) && !dry_run {
            atomic::write(&path(dir, skill), skill.text.as_bytes(), Access::Keep)?;
        }
        done.push((skill, written));
    }
    Ok(done)
}

/// What uninstalling found in one `analytics-mcp-…` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// Our `SKILL.md` and its (then empty) folder.
    Skill(String),
    /// Our `SKILL.md`; the folder holds other files, so it stays.
    KeptFolder(String),
    /// A folder with our prefix whose `SKILL.md` is not ours: untouched.
    NotOurs(String),
}

/// Removes every skill of ours from `dir` — the current ones and any an earlier version
/// wrote — and nothing else (with `dry_run`, only says what it would remove).
pub fn uninstall(dir: &Path, dry_run: bool) -> std::io::Result<Vec<Removed>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        // A real folder only: a link there is the user's arrangement, never ours.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with(PREFIX))
        .collect();
    names.sort();
    let mut removed = Vec::new();
    for name in names {
        let folder = dir.join(&name);
        let file = folder.join("SKILL.md");
        let ours = std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
            && std::fs::read_to_string(&file).is_ok_and(|text| is_ours(&text));
        if !ours {
            removed.push(Removed::NotOurs(name));
            continue;
        }
        if dry_run {
            removed.push(Removed::Skill(name));
            continue;
        }
        std::fs::remove_file(&file)?;
        match std::fs::remove_dir(&folder) {
            Ok(()) => removed.push(Removed::Skill(name)),
            Err(_) => removed.push(Removed::KeptFolder(name)),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_twice_then_uninstall_leaves_only_the_users_skill() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("skills");
        let mine = dir.join("my-report/SKILL.md");
        std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
        std::fs::write(&mine, "---\nname: my-report\ndescription: Mine.\n---\n").unwrap();

        let first = install(&dir, false).unwrap();
        assert!(first.iter().all(|(_, w)| *w == Written::New));
        let second = install(&dir, false).unwrap();
        assert!(second.iter().all(|(_, w)| *w == Written::Unchanged));
        for skill in ALL {
            assert_eq!(state(&dir, skill).unwrap(), State::Installed);
        }

        let removed = uninstall(&dir, false).unwrap();
        assert_eq!(removed.len(), ALL.len());
        assert!(removed.iter().all(|r| matches!(r, Removed::Skill(_))));
        assert!(mine.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn a_foreign_file_of_our_name_is_kept_and_an_old_one_updated() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("skills");
        let [first, second, ..] = ALL else {
            panic!("skills")
        };
        std::fs::create_dir_all(dir.join(first.name)).unwrap();
        std::fs::write(path(&dir, first), "---\nname: x\ndescription: y\n---\n").unwrap();
        std::fs::create_dir_all(dir.join(second.name)).unwrap();
        let old = second.text.replace("# ", "# Old ");
        std::fs::write(path(&dir, second), &old).unwrap();
        assert_eq!(state(&dir, second).unwrap(), State::Outdated);

        let done = install(&dir, false).unwrap();
        assert_eq!(done[0].1, Written::KeptForeign);
        assert_eq!(done[1].1, Written::Updated);
        assert_eq!(state(&dir, first).unwrap(), State::Foreign);
        assert_eq!(state(&dir, second).unwrap(), State::Installed);
        let removed = uninstall(&dir, false).unwrap();
        assert!(removed.contains(&Removed::NotOurs(first.name.to_string())));
        assert!(path(&dir, first).exists());
    }

    #[test]
    fn only_claude_code_and_codex_load_skills_from_disk() {
        let home = Path::new("/home/u");
        assert_eq!(
            dir(Client::Codex, home, None),
            Some(PathBuf::from("/home/u/.agents/skills"))
        );
        assert_eq!(
            dir(Client::ClaudeCode, home, Some(Path::new("/p"))),
            Some(PathBuf::from("/p/.claude/skills"))
        );
        assert_eq!(dir(Client::Cursor, home, None), None);
    }
}
