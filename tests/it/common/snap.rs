//! Snapshots of a command the way uv writes them: exit code, stdout and stderr in one text,
//! with what changes between runs (ports, temp paths, the binary's path, instants) filtered.

use super::Output;

/// The text a snapshot holds.
pub fn render(out: &Output) -> String {
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.code == 0,
        out.code,
        out.stdout.trim_end(),
        out.stderr.trim_end()
    )
}

/// The filters every command snapshot gets.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    // The binary wherever the target directory is (CARGO_TARGET_DIR), also as canonicalized.
    let bin = std::path::Path::new(super::bin());
    for path in [Some(bin.to_path_buf()), bin.canonicalize().ok()]
        .into_iter()
        .flatten()
    {
        settings.add_filter(&escape(&path.display().to_string()), "[BIN]");
    }
    settings.add_filter(
        &escape(concat!(" ", env!("CARGO_PKG_VERSION"))),
        " [VERSION]",
    );
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"(/private)?/\S*/\.tmp[A-Za-z0-9]+", "[TEMP]"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
        (r"\(in \d+ (h \d+ )?min\)", "(in [SPAN])"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}

/// `text` as a regular expression that matches it literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `assert_cmd_snapshot!("name", output)`: the command's snapshot under `name`, filtered.
macro_rules! assert_cmd_snapshot {
    ($name:expr, $out:expr) => {{
        let rendered = $crate::common::snap::render(&$out);
        $crate::common::snap::settings().bind(|| insta::assert_snapshot!($name, rendered));
    }};
}
pub(crate) use assert_cmd_snapshot;
