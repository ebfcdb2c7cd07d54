//! The tests and the code compile on every platform the README offers (Linux, macOS, Windows):
//! each use of a unix-only API (`std::os::unix`) sits under a `cfg` that says so, either on the
//! item just above it or on the whole file's `mod` line. No Windows toolchain can be fetched
//! on these machines, so this reads the source; it fails on a new ungated use, with its place.

use std::path::{Path, PathBuf};

use crate::common::repo;

/// The path of the unix-only APIs (split so this file does not name it itself).
const UNIX_API: &str = concat!("std::os::", "unix");

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a line is a `cfg` that limits what follows to unix (or to one unix system).
fn unix_only(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("#[cfg(") && (line.contains("unix") || line.contains("target_os = \"linux\""))
}

/// The files `tests/it/main.rs` includes only on unix (`#[cfg(…)]` above `mod name;`).
fn gated_modules() -> Vec<String> {
    let main = std::fs::read_to_string(repo().join("tests/it/main.rs")).expect("main.rs");
    let lines: Vec<&str> = main.lines().collect();
    lines
        .windows(2)
        .filter(|w| unix_only(w[0]))
        .filter_map(|w| w[1].trim().strip_prefix("mod ")?.strip_suffix(';'))
        .map(|name| format!("{name}.rs"))
        .collect()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether line `at` sits in an item (or block) gated to unix: walking up through each
/// enclosing opener (a line indented less than the one below it), a unix `cfg` is among the
/// attributes just above one of them, or above the line itself.
fn gated_at(lines: &[&str], at: usize) -> bool {
    let attributes_above = |i: usize| {
        lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("//"))
            .any(|l| unix_only(l))
    };
    let mut level = indent(lines[at]);
    if attributes_above(at) {
        return true;
    }
    for i in (0..at).rev() {
        let line = lines[i];
        if line.trim().is_empty() || indent(line) >= level {
            continue;
        }
        if unix_only(line) || attributes_above(i) {
            return true;
        }
        level = indent(line);
        if level == 0 {
            break;
        }
    }
    false
}

#[test]
fn every_unix_only_api_is_behind_a_unix_cfg() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(&repo().join(dir), &mut files);
    }
    let gated = gated_modules();
    assert!(gated.contains(&"keychain.rs".to_string()), "{gated:?}");
    let mut ungated = Vec::new();
    for file in &files {
        if file.parent() == Some(&repo().join("tests/it"))
            && gated.iter().any(|g| file.ends_with(g))
        {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !line.contains(UNIX_API) {
                continue;
            }
            if !gated_at(&lines, i) {
                let rel = file.strip_prefix(repo()).unwrap_or(file);
                ungated.push(format!("{}:{}: {}", rel.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        ungated.is_empty(),
        "unix-only APIs without #[cfg(unix)] (the tests would not compile on Windows):\n{}",
        ungated.join("\n")
    );
}
