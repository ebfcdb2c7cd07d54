//! Tests wait for events, not the clock: no sleep in `tests/` is longer than [`MAX_SLEEP_MS`].
//! A longer wait is a poll with a deadline (`common::wait::wait_for`) on what the test expects
//! to happen, or a sandbox hook that makes it happen (`expire_access_tokens`,
//! `delays_abandoned`). Read from the source: every line that sleeps must say for how long, as
//! a literal (`from_millis(50)`, `from_secs(1)`, a shell's or Python's `sleep 0.05`) or a
//! constant of the same file holding one.

use std::path::Path;

use crate::common::repo;

/// The longest fixed sleep a test may take: a poll interval, not a wait for something.
const MAX_SLEEP_MS: f64 = 100.0;

/// The number at the start of `text` (digits, `_`, one `.`), if any.
fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    text[..end].replace('_', "").parse().ok()
}

/// How long the sleep that starts `after` (the text following `sleep`) lasts, in ms, with
/// `file` to look constants up in; `None` when it cannot be told.
fn sleep_ms(after: &str, file: &str) -> Option<f64> {
    let after = after.trim_start();
    for (unit, ms) in [
        ("from_millis(", 1.0),
        ("from_secs_f64(", 1000.0),
        ("from_secs_f32(", 1000.0),
        ("from_secs(", 1000.0),
        ("from_micros(", 0.001),
    ] {
        if let Some(at) = after.find(unit) {
            return leading_number(&after[at + unit.len()..]).map(|n| n * ms);
        }
    }
    // `sleep(POLL)` with `const POLL: Duration = …` in the same file.
    if let Some(arg) = after.strip_prefix('(') {
        let name: String = arg
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| !c.is_ascii_lowercase())
        {
            let line = file
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("const {name}:")))?;
            let value = line.split_once('=')?.1;
            return sleep_ms(&format!("({value}"), "");
        }
        // Python's `time.sleep(0.5)`: seconds.
        return leading_number(arg.trim_start()).map(|s| s * 1000.0);
    }
    // A shell's `sleep 0.05`: seconds.
    leading_number(after).map(|s| s * 1000.0)
}

/// Every sleep in `text` that is longer than [`MAX_SLEEP_MS`] or whose length cannot be told,
/// as `line: text`.
fn long_sleeps(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("sleep") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "sleep".len()..];
            // A call rustfmt wrapped goes on on the next line.
            let after = format!("{rest} {}", lines.get(i + 1).map_or("", |l| l.trim()));
            // `sleep` as a word: not `sleeps`, not `asleep`, not an identifier part.
            let word_end = rest.chars().next();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                || word_end.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            match sleep_ms(&after, text) {
                Some(ms) if ms.round() <= MAX_SLEEP_MS => {}
                _ => found.push(format!("{}: {}", i + 1, line.trim())),
            }
        }
    }
    found
}

/// Every test source under `dir`: Rust, Python, shell and JavaScript.
fn test_sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        if p.is_dir() && name != "snapshots" && name != "node_modules" && name != "__pycache__" {
            test_sources(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| ["rs", "py", "sh", "js", "mjs"].contains(&&*e.to_string_lossy()))
        {
            out.push(p);
        }
    }
}

#[test]
fn no_test_sleeps_longer_than_a_poll_interval() {
    let root = repo();
    let mut files = Vec::new();
    test_sources(&root.join("tests"), &mut files);
    assert!(files.len() > 30, "the tests were not read: {files:?}");
    let this = Path::new(file!()).file_name().unwrap();
    let mut over = Vec::new();
    for file in files.iter().filter(|f| f.file_name() != Some(this)) {
        let text = std::fs::read_to_string(file).unwrap();
        for hit in long_sleeps(&text) {
            over.push(format!(
                "{}:{hit}",
                file.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        over.is_empty(),
        "sleeps over {MAX_SLEEP_MS} ms (or of a length that cannot be read); wait for the \
         event with common::wait::wait_for or a sandbox hook instead:\n{}",
        over.join("\n")
    );
}

#[test]
fn the_sleep_finder_finds_long_sleeps() {
    let long = [
        "std::thread::sleep(Duration::from_millis(4100));",
        "std::thread::sleep(std::time::Duration::from_secs(2));",
        "tokio::time::sleep(Duration::from_secs_f64(0.5)).await;",
        "std::thread::sleep(Duration::from_millis(wait_ms as u64));",
        "  sleep 1",
        "time.sleep(0.25)",
        "std::thread::sleep(\n    Duration::from_secs(1),\n);",
    ];
    for line in long {
        assert_eq!(long_sleeps(line).len(), 1, "{line}");
    }
    let short = [
        "std::thread::sleep(Duration::from_millis(100));",
        "std::thread::sleep(Duration::from_millis(20));",
        "  sleep 0.05",
        "time.sleep(0.1)",
        "// a comment on why we never sleep(5)",
        "fn sleeps_nothing() {}",
        "std::thread::sleep(\n    Duration::from_millis(50),\n);",
        "const POLL: Duration = Duration::from_millis(20);\nstd::thread::sleep(POLL);",
    ];
    for text in short {
        assert_eq!(long_sleeps(text), Vec::<String>::new(), "{text}");
    }
    let slow_const = "const NAP: Duration = Duration::from_secs(3);\nstd::thread::sleep(NAP);";
    assert_eq!(long_sleeps(slow_const).len(), 1);
}
