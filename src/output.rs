//! Printing for people: data to stdout, messages to stderr as `error:` / `hint:` / `warning:`.
//!
//! The only module that writes to stdout directly, so `serve` (which never calls it) keeps
//! stdout for JSON-RPC.

use std::io::Write;

/// Writes data (a tool answer, a table, JSON) to stdout.
pub fn data(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// A message for the person at the terminal.
pub fn note(text: &str) {
    eprintln!("{text}");
}

pub fn warning(text: &str) {
    eprintln!("warning: {text}");
}

/// Prints an error, its causes and a hint, once.
pub fn error(err: &anyhow::Error, hint: Option<&str>) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  Caused by: {cause}");
    }
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}

/// A failure as one JSON object on stdout, for `--json` callers (beside the exit code and the
/// usual message on stderr): `{"error": {"kind", "message", "hint"}}`.
pub fn error_json(kind: &str, err: &anyhow::Error, hint: Option<&str>) {
    let message = err
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    let object = serde_json::json!({"error": {"kind": kind, "message": message, "hint": hint}});
    data(&object.to_string());
}
