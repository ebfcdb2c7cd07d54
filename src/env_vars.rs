//! Every environment variable analytics-mcp reads, in one place.
//!
//! Each constant's doc is what the table in docs/configuration.md and the man page's
//! ENVIRONMENT say about it (the man page reads this file). Nothing else in the crate
//! spells the name of one of ours; the clients' own (`CODEX_HOME`, `APPDATA`) are read where
//! their config files are found (`install`).

/// A secret key (`hm_sk_…`) that overrides any stored credential.
pub const API_KEY: &str = "ANALYTICS_MCP_API_KEY";
/// The Read API base URL (default `https://app.himetrica.com/api/v1`).
pub const API_URL: &str = "ANALYTICS_MCP_API_URL";
/// The project id to query, skipping the `GET /me` look-up.
pub const PROJECT: &str = "ANALYTICS_MCP_PROJECT";
/// The profile to use, a `[profiles.NAME]` table of `config.toml` (default: the top level).
pub const PROFILE: &str = "ANALYTICS_MCP_PROFILE";
/// The browser `login` opens, a program and arguments (`%s` stands for the URL); default:
/// the system's. The same variable gh, git and xdg-open read.
pub const BROWSER: &str = "BROWSER";
/// The terminal's width in columns (set by shells), for the chart under `call`'s table.
pub const COLUMNS: &str = "COLUMNS";
/// Where `config.toml` and the credentials file live (default: the OS config directory).
pub const CONFIG_DIR: &str = "ANALYTICS_MCP_CONFIG_DIR";
/// Where the probe's findings (which Read API paths answer, per API origin) are kept
/// (default: the OS data directory, e.g. `~/.local/share/analytics-mcp`).
pub const DATA_DIR: &str = "ANALYTICS_MCP_DATA_DIR";
/// Force a credential backend: `file` or `keyring` (default: keyring, falling back to file).
pub const CREDENTIAL_STORE: &str = "ANALYTICS_MCP_CREDENTIAL_STORE";
/// Whole-request timeout for Read API calls, in seconds (default 30).
pub const TIMEOUT_SECS: &str = "ANALYTICS_MCP_TIMEOUT_SECS";
/// What tool results carry: `auto` (by client, the default), `text`, `structured` or `both`.
pub const OUTPUT: &str = "ANALYTICS_MCP_OUTPUT";
/// Log filter for stderr logs: a level (`debug`) or per-target levels
/// (`warn,analytics_mcp=trace`), tracing-subscriber's `Targets` syntax — no span filters or
/// regexes; an unreadable filter is ignored (default `warn`, with rmcp's own logs at `error`).
pub const LOG: &str = "ANALYTICS_MCP_LOG";
/// The conventional log filter, used when `ANALYTICS_MCP_LOG` is not set.
pub const RUST_LOG: &str = "RUST_LOG";
/// Pins "now" to an RFC 3339 instant for date presets and the sandbox (tests, recorded demos).
pub const NOW: &str = "ANALYTICS_MCP_NOW";
/// Set by the script `analytics-mcp completions SHELL` prints when the shell asks the binary
/// for completions (the shell's name); not for people to set.
pub const COMPLETE: &str = "COMPLETE";
/// Turns colour off (any value), as <https://no-color.org> asks; read through anstream.
pub const NO_COLOR: &str = "NO_COLOR";
/// Turns colour on even when the output is not a terminal (any value but `0`).
pub const CLICOLOR_FORCE: &str = "CLICOLOR_FORCE";
/// When set (any value but empty or `0`), tests that need an external program fail instead
/// of skipping. Set by every CI system.
pub const CI: &str = "CI";

/// Reads a variable, treating an empty value as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
