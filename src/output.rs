//! Printing for people: data to stdout, messages to stderr as `error:` / `hint:` / `warning:`,
//! with colour and a spinner when a person is watching (issue 20, points 8 and 9).
//!
//! The only module that writes to stdout directly, so `serve` (which never calls it) keeps
//! stdout for JSON-RPC. Everything printed passes [`text::strip`] (or, for JSON on a
//! terminal, [`text::json_for_terminal`]) before colour is added: no control, bidi, tag or
//! zero-width character of a message reaches a terminal, only our own styles. Colour goes
//! through anstream, which drops the escapes when the stream is not a terminal, when
//! `NO_COLOR` is set or `--color never` was given, and keeps them with `CLICOLOR_FORCE` or
//! `--color always`. The spinner draws on stderr only when stderr is a
//! terminal, and stops for good before anything else is printed, so lines never interleave.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};

use crate::text;

const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default();
const HEADING: Style = Style::new().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();

/// How long a command may be silent before the spinner shows.
const SPINNER_AFTER: Duration = Duration::from_secs(1);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// `--color`: `Some(true)` always, `Some(false)` never, `None` decides per stream.
pub fn set_color(always: Option<bool>) {
    let choice = match always {
        Some(true) => anstream::ColorChoice::Always,
        Some(false) => anstream::ColorChoice::Never,
        None => anstream::ColorChoice::Auto,
    };
    choice.write_global();
}

/// Writes data (a tool answer, a table) to stdout.
pub fn data(text: &str) {
    stop_spinner();
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "{}", marks(&text::strip(text)));
}

/// Writes text that carries our own styles (from [`heading`]) to stdout. Only for text
/// composed from parts that were stripped already ([`heading`] strips its own): the styles
/// would not survive [`data`]'s strip.
pub fn styled(text: &str) {
    stop_spinner();
    let _ = writeln!(anstream::stdout().lock(), "{}", marks(text));
}

/// Writes JSON to stdout; on a terminal, characters JSON leaves raw (C1, bidi, tag,
/// zero-width) are escaped as `\uXXXX`, so the text still parses to the same value.
pub fn json(json: &str) {
    stop_spinner();
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        let _ = writeln!(out, "{}", text::json_for_terminal(json));
    } else {
        let _ = writeln!(out, "{json}");
    }
}

/// A tool's text answer: its first line as a heading, changes in colour, and on a terminal
/// long lines wrapped between words at the terminal's width (never inside a number).
pub fn answer(text: &str) {
    let text = text::strip(text);
    let wrapped = match std::io::stdout().is_terminal() {
        true => wrap(&text, width()),
        false => text.to_string(),
    };
    let mut lines = wrapped.lines();
    let first = lines.next().unwrap_or_default();
    let mut styled = format!("{HEADING}{first}{HEADING:#}");
    for line in lines {
        styled.push('\n');
        styled.push_str(&changes(line));
    }
    stop_spinner();
    let _ = writeln!(anstream::stdout().lock(), "{}", marks(&styled));
}

/// A heading (a tool's name in `tools`, a section of a report).
pub fn heading(text: &str) -> String {
    format!("{HEADING}{}{HEADING:#}", text::strip(text))
}

/// A message for the person at the terminal.
pub fn note(text: &str) {
    stop_spinner();
    let _ = writeln!(anstream::stderr().lock(), "{}", marks(&text::strip(text)));
}

pub fn warning(text: &str) {
    stop_spinner();
    let _ = writeln!(
        anstream::stderr().lock(),
        "{WARNING}warning:{WARNING:#} {}",
        text::strip(text)
    );
}

/// Prints an error, its causes and a hint, once.
pub fn error(err: &anyhow::Error, hint: Option<&str>) {
    stop_spinner();
    let mut out = anstream::stderr().lock();
    let _ = writeln!(
        out,
        "{ERROR}error:{ERROR:#} {}",
        text::strip(&err.to_string())
    );
    for cause in err.chain().skip(1) {
        let _ = writeln!(out, "  Caused by: {}", text::strip(&cause.to_string()));
    }
    if let Some(hint) = hint {
        let _ = writeln!(out, "{HINT}hint:{HINT:#} {}", text::strip(hint));
    }
}

/// The terminal's width: `COLUMNS`, else the terminal's own, else 80.
pub fn width() -> usize {
    crate::env_vars::var(crate::env_vars::COLUMNS)
        .and_then(|c| c.trim().parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .filter(|w| *w >= 20)
        .unwrap_or(80)
}

/// ✓ in green and ✗ in red.
fn marks(text: &str) -> String {
    if !text.contains(['✓', '✗']) {
        return text.to_string();
    }
    text.replace('✓', &format!("{GOOD}✓{GOOD:#}"))
        .replace('✗', &format!("{BAD}✗{BAD:#}"))
}

/// A signed percentage or point change (`+5.4%`, `-1.1 pts`): good news in green, bad in red
/// (up is good, but for bounce rate, churn and costs).
fn changes(line: &str) -> String {
    // Where less is better (bounce, churn, cost), a fall is the good news.
    let less_is_better = ["Bounce rate", "Churn", "CAC", "Ad spend"]
        .iter()
        .any(|m| line.starts_with(m));
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(['+', '-', '−']) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let sign = from.chars().next().unwrap_or('+');
        let body = &from[sign.len_utf8()..];
        let digits = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(body.len());
        let unit = [" pts", "%"]
            .into_iter()
            .find(|u| body[digits..].starts_with(u));
        // Only a number right after a sign that starts a word (not `2026-11-01`).
        let starts_word = before.is_empty() || before.ends_with([' ', '(']);
        match unit {
            Some(unit) if digits > 0 && starts_word => {
                let style = if (sign == '+') != less_is_better {
                    GOOD
                } else {
                    BAD
                };
                let end = sign.len_utf8() + digits + unit.len();
                out.push_str(&format!("{style}{}{style:#}", &from[..end]));
                rest = &from[end..];
            }
            _ => {
                out.push(sign);
                rest = body;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Lines wider than `width` broken between words; a continuation starts under the line's
/// second column (after its first run of two spaces) when that is near, else two spaces in.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.chars().count() <= width {
            out.push(line.to_string());
            continue;
        }
        let indent = line
            .find("  ")
            .map(|i| line[..i].chars().count() + 2)
            .filter(|i| *i <= width / 2)
            .unwrap_or(2);
        let mut current = String::new();
        let mut len = 0;
        // At the start of a line (or of a continuation): no space before the next word.
        let mut fresh = true;
        for word in line.split(' ') {
            let word_len = word.chars().count();
            if !fresh && len + 1 + word_len > width && !current.trim().is_empty() {
                out.push(current.trim_end().to_string());
                current = " ".repeat(indent);
                len = indent;
                fresh = true;
            }
            if !fresh {
                current.push(' ');
                len += 1;
            }
            current.push_str(word);
            len += word_len;
            fresh = false;
        }
        out.push(current.trim_end().to_string());
    }
    out.join("\n")
}

/// The spinner's state, shared by its drawing task and every printing function.
struct Spinner {
    /// Still allowed to draw: nothing else has been printed yet.
    active: bool,
    /// A frame is on the screen and must be cleared.
    drawn: bool,
}

static SPINNER: Mutex<Spinner> = Mutex::new(Spinner {
    active: false,
    drawn: false,
});

fn spinner() -> std::sync::MutexGuard<'static, Spinner> {
    SPINNER.lock().unwrap_or_else(|p| p.into_inner())
}

/// Clears the spinner's line and keeps it from drawing again.
fn stop_spinner() {
    let mut s = spinner();
    s.active = false;
    if s.drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
        s.drawn = false;
    }
}

/// Runs `work`; when stderr is a terminal and it takes longer than about a second, shows
/// `⠋ {what}… 3 s` on stderr until it ends (or until it prints something).
pub async fn spinning<T>(what: &str, work: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    spinner().active = true;
    let what = what.to_string();
    let started = Instant::now();
    let ticker = tokio::spawn(async move {
        tokio::time::sleep(SPINNER_AFTER).await;
        for frame in FRAMES.iter().cycle() {
            {
                let mut s = spinner();
                if !s.active {
                    break;
                }
                let mut err = std::io::stderr().lock();
                let secs = started.elapsed().as_secs();
                let _ = write!(err, "\r\x1b[2K{frame} {what}… {secs} s");
                let _ = err.flush();
                s.drawn = true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let out = work.await;
    ticker.abort();
    stop_spinner();
    out
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
    json(&object.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_break_between_words_under_their_second_column() {
        let line =
            "▆▆▄▄▆▆▂▆▆▄▃▆▅▁▆▇  Visitors 117,730; low 797 on 2026-10-04, high 1,696 on 2026-10-15";
        let out = wrap(line, 50);
        for l in out.lines() {
            assert!(l.chars().count() <= 50, "{out}");
        }
        assert!(out.contains("1,696"), "{out}");
        assert!(
            out.lines().nth(1).unwrap().starts_with(&" ".repeat(18)),
            "{out}"
        );
        assert_eq!(wrap("short", 50), "short");
    }

    #[test]
    fn signed_changes_are_coloured_and_dates_are_not() {
        let out = changes("Visitors 9,473 (+5.4% vs 8,984) on 2026-11-01, bounce -1.1 pts");
        assert!(out.contains(&format!("{GOOD}+5.4%{GOOD:#}")), "{out}");
        assert!(out.contains(&format!("{BAD}-1.1 pts{BAD:#}")), "{out}");
        assert!(out.contains("2026-11-01"), "{out}");
        assert_eq!(changes("a-b 2026-11-01"), "a-b 2026-11-01");
        let bounce = changes("Bounce rate 37.9% (-1.7 pts vs 39.6%)");
        assert!(
            bounce.contains(&format!("{GOOD}-1.7 pts{GOOD:#}")),
            "{bounce}"
        );
    }
}
