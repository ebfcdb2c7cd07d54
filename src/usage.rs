//! How a failed command ends: its exit code and hint (the table in [`crate::error`]), and
//! the command-line mistakes clap reports, said in this program's terms where clap's own
//! advice would mislead (`call get_top_pages --limit 3` is a tool argument, `limit=3`, not a
//! flag to put after `--`). Used by `lib::run` only; imports `config` (for its errors), `cli`
//! and the leaves.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::config::ConfigError;
use crate::error::{CliError, Exit};
use crate::output;

/// The exit code and hint of a command's error: a [`CliError`] carries both; a profile that
/// is not there is a mistake in the command, like an unknown flag; anything else is 1.
pub(crate) fn classify(err: &anyhow::Error) -> (Exit, Option<String>) {
    if let Some(e) = err.downcast_ref::<CliError>() {
        return (e.exit, e.hint.clone());
    }
    for cause in err.chain() {
        if let Some(config) = cause.downcast_ref::<ConfigError>() {
            let exit = match config {
                ConfigError::UnknownProfile { .. } | ConfigError::BadProfileName(_) => Exit::Usage,
                _ => Exit::Failure,
            };
            return (exit, config.hint());
        }
    }
    (Exit::Failure, None)
}

/// A command line clap refused. `call TOOL --name value` where `name` is a tool argument gets
/// the `name=value` it meant; everything else is clap's own message (exit 2, or 0 for
/// `--help` and `--version`). With `--json` anywhere on the line, a usage error is also one
/// JSON object on stdout.
pub(crate) fn clap_error(e: clap::Error) -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let exit = e.exit_code();
    if let Some(fixed) = tool_argument_as_flag(&e, &argv) {
        let err = anyhow::Error::new(fixed.0);
        if argv.iter().any(|a| a == "--json") {
            output::error_json(Exit::Usage.kind(), &err, Some(&fixed.1));
        }
        output::error(&err, Some(&fixed.1));
        return ExitCode::from(Exit::Usage as u8);
    }
    if exit == Exit::Usage as i32 && argv.iter().any(|a| a == "--json") {
        let message = e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let err = anyhow::anyhow!(message);
        output::error_json(Exit::Usage.kind(), &err, None);
    }
    let _ = e.print();
    ExitCode::from(u8::try_from(exit).unwrap_or(Exit::Usage as u8))
}

/// `call TOOL … --limit 3` (or `--limit=3`): the refused flag as the tool argument it is.
fn tool_argument_as_flag(e: &clap::Error, argv: &[String]) -> Option<(CliError, String)> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let call = argv.iter().position(|a| a == "call")?;
    let Some(ContextValue::String(flag)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let bare = flag.strip_prefix("--")?;
    let (name, inline) = match bare.split_once('=') {
        Some((name, value)) => (name, Some(value.to_string())),
        None => (bare, None),
    };
    let at = argv.iter().skip(call).position(|a| a == flag)? + call;
    let value = inline.or_else(|| argv.get(at + 1).filter(|v| !v.starts_with("--")).cloned());
    let pair = format!("{name}={}", value.as_deref().unwrap_or("VALUE"));
    let error = CliError::new(
        Exit::Usage,
        format!("`{flag}` is not a flag of `call`; tool arguments are written name=value"),
    );
    let tool = argv
        .get(call + 1)
        .filter(|t| !t.starts_with('-'))
        .map_or("TOOL", String::as_str);
    Some((
        error,
        format!("write `{pair}`: `analytics-mcp call {tool} {pair}`"),
    ))
}
