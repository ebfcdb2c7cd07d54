//! Writing our entry into MCP clients' config files, keeping everything else as it was.
//!
//! One function per file format: JSON/JSONC through a concrete syntax tree (comments, order and
//! formatting survive byte for byte outside our entry) and TOML through `toml_edit`. This
//! module decides where each client keeps its file and what the entry says; it never touches
//! the credential stores, and the entry never holds a secret.

pub mod json;
pub mod toml;

use std::path::{Path, PathBuf};

/// A client we can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Codex,
    Cursor,
    Vscode,
    Windsurf,
    Gemini,
}

pub const ALL: &[Client] = &[
    Client::ClaudeDesktop,
    Client::ClaudeCode,
    Client::Codex,
    Client::Cursor,
    Client::Vscode,
    Client::Windsurf,
    Client::Gemini,
];

/// How a client's file holds servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"mcpServers": {NAME: {"command", "args"}}}` (and the like).
    Json {
        servers_key: &'static str,
        with_type: bool,
    },
    /// Codex's `[mcp_servers.NAME]`.
    Toml,
}

/// What the entry runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
}

impl Client {
    pub fn id(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "claude-desktop",
            Self::ClaudeCode => "claude-code",
            Self::Codex => "codex",
            Self::Cursor => "cursor",
            Self::Vscode => "vscode",
            Self::Windsurf => "windsurf",
            Self::Gemini => "gemini",
        }
    }

    pub fn format(self) -> Format {
        match self {
            Self::Codex => Format::Toml,
            Self::Vscode => Format::Json {
                servers_key: "servers",
                with_type: true,
            },
            Self::ClaudeCode => Format::Json {
                servers_key: "mcpServers",
                with_type: true,
            },
            _ => Format::Json {
                servers_key: "mcpServers",
                with_type: false,
            },
        }
    }

    /// The client's config file: the user-wide one, or the project's (in `project_dir`) for
    /// clients that have one.
    pub fn config_path(self, home: &Path, project_dir: Option<&Path>) -> Option<PathBuf> {
        if let Some(dir) = project_dir {
            return match self {
                Self::Cursor => Some(dir.join(".cursor/mcp.json")),
                Self::Vscode => Some(dir.join(".vscode/mcp.json")),
                Self::Gemini => Some(dir.join(".gemini/settings.json")),
                Self::ClaudeCode => Some(dir.join(".mcp.json")),
                _ => None,
            };
        }
        Some(match self {
            Self::ClaudeDesktop => app_config(home, "Claude").join("claude_desktop_config.json"),
            Self::ClaudeCode => home.join(".claude.json"),
            Self::Codex => match crate::env_vars::var("CODEX_HOME") {
                Some(dir) => PathBuf::from(dir).join("config.toml"),
                None => home.join(".codex/config.toml"),
            },
            Self::Cursor => home.join(".cursor/mcp.json"),
            Self::Vscode => app_config(home, "Code").join("User/mcp.json"),
            Self::Windsurf => home.join(".codeium/windsurf/mcp_config.json"),
            Self::Gemini => home.join(".gemini/settings.json"),
        })
    }
}

/// Where a client's file was found: its user-wide config, or a project's in the current
/// directory (`install --project`, and Claude Code's `.mcp.json` when `claude` is not on PATH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    Project,
}

/// Every client config file `install` may have written, user-wide ones first, then the ones
/// of the project in `project_dir` — so `install --list` and `doctor` look where `install`
/// writes.
pub fn locations(home: &Path, project_dir: Option<&Path>) -> Vec<(Client, Scope, PathBuf)> {
    let user = ALL
        .iter()
        .filter_map(|c| Some((*c, Scope::User, c.config_path(home, None)?)));
    let project = project_dir.into_iter().flat_map(|dir| {
        ALL.iter()
            .filter_map(move |c| Some((*c, Scope::Project, c.config_path(home, Some(dir))?)))
    });
    let mut all: Vec<(Client, Scope, PathBuf)> = Vec::new();
    for (client, scope, path) in user.chain(project) {
        // Run in HOME, a project file can be the user file itself (~/.cursor/mcp.json).
        if !all.iter().any(|(_, _, p)| *p == path) {
            all.push((client, scope, path));
        }
    }
    all
}

/// What a `serve` entry's arguments select: `--profile` (the first, and any more: several
/// projects), `--all-profiles`, `--api-url` and `--demo`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selects {
    pub profile: Option<String>,
    pub more_profiles: Vec<String>,
    pub all_profiles: bool,
    pub api_url: Option<String>,
    pub demo: bool,
}

impl Selects {
    /// Reads the flags of an entry's `args` (as `install` writes them).
    pub fn of(args: &[String]) -> Self {
        let mut selects = Self::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--profile" => selects.add_profile(it.next().cloned()),
                "--all-profiles" => selects.all_profiles = true,
                "--api-url" => selects.api_url = it.next().cloned(),
                "--demo" => selects.demo = true,
                other => {
                    if let Some(v) = other.strip_prefix("--profile=") {
                        selects.add_profile(Some(v.to_string()));
                    } else if let Some(v) = other.strip_prefix("--api-url=") {
                        selects.api_url = Some(v.to_string());
                    }
                }
            }
        }
        selects
    }

    fn add_profile(&mut self, name: Option<String>) {
        match (&self.profile, name) {
            (None, name) => self.profile = name,
            (Some(_), Some(name)) => self.more_profiles.push(name),
            (Some(_), None) => {}
        }
    }

    /// True when the entry serves several profiles' projects.
    pub fn several(&self) -> bool {
        self.all_profiles || !self.more_profiles.is_empty()
    }
}

/// The per-user application config directory the way Electron apps place it.
fn app_config(home: &Path, app: &str) -> PathBuf {
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support").join(app)
    } else if cfg!(windows) {
        match std::env::var_os("APPDATA") {
            Some(appdata) => PathBuf::from(appdata).join(app),
            None => home.join("AppData/Roaming").join(app),
        }
    } else {
        home.join(".config").join(app)
    }
}

/// What changed in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub before: String,
    pub after: String,
}

impl Edit {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Why a client's file could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "{path} is not valid {format}: {message}. It was left as it was; fix it or move it aside, then run this again."
    )]
    Invalid {
        path: String,
        format: &'static str,
        message: String,
    },
    #[error(
        "{path}: `{key}` is not an object/table, so no server entry can go there. It was left as it was."
    )]
    WrongShape { path: String, key: String },
}

/// Adds or updates `entry` in `text`, the content of a file in `format` (empty: a new file).
pub fn install(format: Format, path: &Path, text: &str, entry: &Entry) -> Result<Edit, EditError> {
    match format {
        Format::Json {
            servers_key,
            with_type,
        } => json::upsert(path, text, servers_key, with_type, entry),
        Format::Toml => toml::upsert(path, text, entry),
    }
}

/// Removes the entry called `name`, and nothing else.
pub fn uninstall(format: Format, path: &Path, text: &str, name: &str) -> Result<Edit, EditError> {
    match format {
        Format::Json { servers_key, .. } => json::remove(path, text, servers_key, name),
        Format::Toml => toml::remove(path, text, name),
    }
}

/// The entry `name` in `text`, if any: `(command, args)`.
pub fn find(format: Format, text: &str, name: &str) -> Option<(String, Vec<String>)> {
    match format {
        Format::Json { servers_key, .. } => json::find(text, servers_key, name),
        Format::Toml => toml::find(text, name),
    }
}

/// `(command, args)` of a server entry, from its `command` and its `args` (items that are not
/// strings are skipped), whichever format the config file is in.
fn command_line<'a>(
    command: &str,
    args: Option<impl Iterator<Item = Option<&'a str>>>,
) -> (String, Vec<String>) {
    let args = args.map(|a| a.flatten().map(str::to_string).collect());
    (command.to_string(), args.unwrap_or_default())
}
