//! `analytics-mcp man`: one man page for the whole program. clap_mangen renders the name,
//! synopsis and options; every subcommand is described in COMMANDS on the same page (so the
//! page refers to no `analytics-mcp-serve(1)` that does not exist), followed by EXAMPLES,
//! ENVIRONMENT (read from `src/env_vars.rs`, so a new variable is documented by its doc
//! comment), FILES and EXIT STATUS (from `error.rs`'s table).

use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::Cli;
use crate::error::Exit;
use crate::output;

/// Commands worth trying first, with what each does.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "analytics-mcp call get_analytics --demo",
        "An answer from the built-in demo project, no account needed.",
    ),
    (
        "analytics-mcp login",
        "Sign in with the browser (or --with-key to store a secret key).",
    ),
    (
        "analytics-mcp install claude-desktop",
        "Add the server to an MCP client's config (see install --list).",
    ),
    (
        "analytics-mcp doctor",
        "Check the config, the credential, a live call and each client's entry.",
    ),
    (
        "analytics-mcp call get_top_pages period=last_30_days limit=5",
        "One tool from the terminal; `analytics-mcp tools` lists them and what they accept.",
    ),
    (
        "source <(analytics-mcp completions bash)",
        "Completion of commands, flags, profiles, tools and their parameters.",
    ),
];

/// The files under the config directory, and what each holds.
const FILES: &[(&str, &str)] = &[
    (
        "config.toml",
        "Settings and [profiles.NAME] tables; flags and environment variables override it.",
    ),
    (
        "credentials.json, credentials.NAME.json",
        "The credential (mode 0600) when no OS keychain is reachable, per profile.",
    ),
    (
        "credentials.lock, credentials.NAME.lock",
        "Held by the one process that refreshes or stores a credential at a time.",
    ),
    (
        "oauth-clients.json",
        "A cache of the OAuth clients registered with each authorization server.",
    ),
];

pub fn run() -> anyhow::Result<Exit> {
    output::data(render()?.trim_end());
    Ok(Exit::Success)
}

/// The page, in roff.
pub fn render() -> anyhow::Result<String> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = Roff::new();
    commands(&mut page, &cmd);
    let pairs = |rows: &[(&str, &str)]| -> Vec<(String, String)> {
        rows.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    items(&mut page, "EXAMPLES", None, &pairs(EXAMPLES));
    items(&mut page, "ENVIRONMENT", None, &environment());
    let where_ = "In the config directory: $ANALYTICS_MCP_CONFIG_DIR, else ~/.config/analytics-mcp \
                  on Linux and ~/Library/Application Support/analytics-mcp on macOS.";
    items(&mut page, "FILES", Some(where_), &pairs(FILES));
    items(&mut page, "EXIT STATUS", None, &exit_codes());
    out.extend(page.render().into_bytes());
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A section of tagged paragraphs: each term in bold, what it means under it.
fn items(page: &mut Roff, title: &str, intro: Option<&str>, rows: &[(String, String)]) {
    page.control("SH", [title]);
    if let Some(intro) = intro {
        page.text([roman(intro)]);
    }
    for (term, meaning) in rows {
        page.control("TP", [])
            .text([bold(term.as_str())])
            .text([roman(meaning.as_str())]);
    }
}

/// Each subcommand: its usage, what it does, and its options.
fn commands(page: &mut Roff, cmd: &clap::Command) {
    page.control("SH", ["COMMANDS"]);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut usage = sub
            .clone()
            .bin_name(format!("analytics-mcp {}", sub.get_name()));
        let usage = usage.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        page.control("TP", []).text([bold(usage)]);
        page.text([roman(
            sub.get_about().map(|a| a.to_string()).unwrap_or_default(),
        )]);
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let name = match (arg.get_long(), arg.get_value_names()) {
                (Some(long), Some(values)) if arg.get_action().takes_values() => {
                    format!("--{long} {}", values.join(" "))
                }
                (Some(long), _) => format!("--{long}"),
                (None, Some(values)) => values.join(" "),
                (None, None) => arg.get_id().to_string().to_uppercase(),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            let values = if values.is_empty() || !arg.get_action().takes_values() {
                String::new()
            } else {
                format!(" [{}]", values.join(", "))
            };
            page.control("RS", ["4"])
                .control("TP", [])
                .text([bold(name)])
                .text([roman(format!("{help}{values}"))])
                .control("RE", []);
        }
    }
}

/// `(NAME, doc)` for every `pub const NAME: &str = "VALUE";` of `src/env_vars.rs`, its doc
/// comment joined into one paragraph: the source is the one list, so it cannot drift.
pub fn environment() -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut doc = Vec::new();
    for line in include_str!("../env_vars.rs").lines().map(str::trim) {
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            if let Some(value) = rest.split('"').nth(1) {
                vars.push((value.to_string(), doc.join(" ")));
            }
            doc.clear();
        } else {
            doc.clear();
        }
    }
    vars
}

/// `(code, meaning)` for each exit code, from the table in `error.rs`'s module doc.
fn exit_codes() -> Vec<(String, String)> {
    include_str!("../error.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter_map(|row| {
            let mut cells = row.trim_end_matches('|').split(" | ");
            let code = cells.next()?.trim();
            let meaning = cells.next()?.trim();
            code.parse::<u16>()
                .ok()
                .map(|_| (code.to_string(), meaning.replace('`', "")))
        })
        .collect()
}
