//! What the shell completes beyond clap's own knowledge of flags and subcommands: profile
//! names after `--profile`, tool names after `call`, and a tool's `name=value` parameters
//! (with their accepted values) after the tool. clap_complete's dynamic engine asks the binary
//! itself (`COMPLETE=bash analytics-mcp -- WORDS…`), so these run in that process only.
//!
//! It reads `config` (the profiles), `mcp` (the tool list a model sees) and `accepted`; `cli`
//! refers to these functions, and nothing here imports `cli` or `commands`.

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;

use crate::accepted::{self, Param};
use crate::config::{self, DEFAULT_PROFILE};

/// `default` and every `[profiles.NAME]` of `config.toml` (none when it cannot be read).
pub fn profiles() -> Vec<CompletionCandidate> {
    let names = config::config_dir()
        .ok()
        .and_then(|dir| config::read_config_file(&dir).ok())
        .map(|file| file.profiles.into_keys().collect::<Vec<_>>())
        .unwrap_or_default();
    std::iter::once(DEFAULT_PROFILE.to_string())
        .chain(names)
        .map(CompletionCandidate::new)
        .collect()
}

/// Every tool of our catalog, with its title as the help a shell shows beside it.
pub fn tools() -> Vec<CompletionCandidate> {
    crate::mcp::tool_list()
        .into_iter()
        .map(|t| {
            let help = t.title.clone().unwrap_or_default();
            CompletionCandidate::new(t.name.to_string()).help(Some(help.into()))
        })
        .collect()
}

/// The `name=` parameters of the tool named on the command line, or after `name=` the values
/// that parameter accepts.
pub fn tool_arguments(current: &OsStr) -> Vec<CompletionCandidate> {
    let words: Vec<String> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let current = current.to_string_lossy();
    candidates(&words, &current)
}

/// [`tool_arguments`] for the shell's `words` (the command line, the current word last).
pub fn candidates(words: &[String], current: &str) -> Vec<CompletionCandidate> {
    let Some(params) = tool_params(words) else {
        return Vec::new();
    };
    if let Some((name, typed)) = current.split_once('=') {
        return values(&params, name, typed, &format!("{name}="));
    }
    // Bash splits `period=la` into `period`, `=`, `la` (`=` is in its COMP_WORDBREAKS): the
    // value of the word before the `=` is being completed, and bash replaces only its last part.
    let before: Vec<&str> = words
        .iter()
        .rev()
        .skip(1)
        .take(2)
        .map(String::as_str)
        .collect();
    match (current, before.as_slice()) {
        ("=", [name, ..]) => return values(&params, name, "", "="),
        (_, ["=", name]) => return values(&params, name, current, ""),
        _ => {}
    }
    let given: Vec<&str> = words
        .iter()
        .filter_map(|w| w.split_once('=').map(|(n, _)| n))
        .collect();
    params
        .iter()
        .filter(|p| p.name.starts_with(current) && !given.contains(&p.name.as_str()))
        .map(|p| CompletionCandidate::new(format!("{}=", p.name)).help(Some(help(p).into())))
        .collect()
}

/// The values of parameter `name` that start with `typed`, each written after `prefix`.
fn values(params: &[Param], name: &str, typed: &str, prefix: &str) -> Vec<CompletionCandidate> {
    params
        .iter()
        .filter(|p| p.name == name)
        .flat_map(|p| p.values.iter())
        .filter(|v| v.starts_with(typed))
        .map(|v| CompletionCandidate::new(format!("{prefix}{v}")))
        .collect()
}

/// The first sentence of a parameter's description, and what it accepts.
fn help(p: &Param) -> String {
    let first = p.description.split(". ").next().unwrap_or_default();
    match p.accepts() {
        accepts if accepts.is_empty() => first.to_string(),
        accepts => format!("{first} ({accepts})"),
    }
}

/// The parameters of the tool after `call` among `words`, if it is one of ours.
fn tool_params(words: &[String]) -> Option<Vec<Param>> {
    let call = words.iter().position(|w| w == "call")?;
    let tool = words[call + 1..].iter().find(|w| !w.starts_with('-'))?;
    let tool = crate::mcp::tool_list()
        .into_iter()
        .find(|t| t.name == tool.as_str())?;
    Some(accepted::params(&tool.input_schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(words: &[&str], current: &str) -> Vec<String> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        candidates(&words, current)
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn parameters_then_their_values() {
        let line = ["analytics-mcp", "call", "get_top_locations", "gr"];
        assert_eq!(shown(&line, "gr"), ["groupBy="]);
        let values = shown(
            &["analytics-mcp", "call", "get_top_locations", "groupBy=c"],
            "groupBy=c",
        );
        assert!(values.contains(&"groupBy=city".to_string()), "{values:?}");
        assert!(
            values.iter().all(|v| v.starts_with("groupBy=c")),
            "{values:?}"
        );
        // Bash's split words.
        let split = [
            "analytics-mcp",
            "call",
            "get_top_locations",
            "groupBy",
            "=",
            "ci",
        ];
        assert_eq!(shown(&split, "ci"), ["city"]);
        assert!(shown(&["analytics-mcp", "call", "nope", "x"], "x").is_empty());
    }
}
