//! Printing for people: data to stdout, messages to stderr as `error:` / `hint:` / `warning:`.
//!
//! The only module that writes to stdout directly, so `serve` (which never calls it) keeps
//! stdout for JSON-RPC. Everything printed passes [`text::strip`] (or, for JSON on a
//! terminal, [`text::json_for_terminal`]) first: no control, bidi, tag or zero-width character
//! reaches a terminal, whatever string a message was built from.

use std::io::{IsTerminal, Write};

use crate::text;

/// Writes data (a tool answer, a table) to stdout.
pub fn data(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text::strip(text));
}

/// Writes JSON to stdout; on a terminal, characters JSON leaves raw (C1, bidi, tag,
/// zero-width) are escaped as `\uXXXX`, so the text still parses to the same value.
pub fn json(json: &str) {
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        let _ = writeln!(out, "{}", text::json_for_terminal(json));
    } else {
        let _ = writeln!(out, "{json}");
    }
}

/// A message for the person at the terminal.
pub fn note(text: &str) {
    eprintln!("{}", text::strip(text));
}

pub fn warning(text: &str) {
    eprintln!("warning: {}", text::strip(text));
}

/// Prints an error, its causes and a hint, once.
pub fn error(err: &anyhow::Error, hint: Option<&str>) {
    eprintln!("error: {}", text::strip(&err.to_string()));
    for cause in err.chain().skip(1) {
        eprintln!("  Caused by: {}", text::strip(&cause.to_string()));
    }
    if let Some(hint) = hint {
        eprintln!("hint: {}", text::strip(hint));
    }
}
