//! The README starts with the answer and the docs cannot drift (issue 20, point 13): the first
//! screen holds the install and first-answer commands, the Development section keeps the two
//! commands CI runs, every page of `docs/` is linked and every link lands, and every command
//! in a code block marked ```` ```sh runnable ```` runs, against a sandbox on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{TestSandbox, WAIT, bin, finish_within, repo};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The commands of each ```` ```sh runnable ```` block of `text` (comments and blank lines
/// dropped, `\` continuations joined), block by block.
fn runnable(text: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    let mut pending = String::new();
    for line in text.lines() {
        match &mut current {
            None if line.trim() == "```sh runnable" => current = Some(Vec::new()),
            None => {}
            Some(_) if line.trim() == "```" => blocks.extend(current.take()),
            Some(block) => {
                let line = line.trim();
                if let Some(start) = line.strip_suffix('\\') {
                    pending.push_str(start);
                    continue;
                }
                let command = format!("{pending}{line}");
                pending.clear();
                if !command.is_empty() && !command.starts_with('#') {
                    block.push(command);
                }
            }
        }
    }
    blocks
}

#[test]
fn the_readme_starts_with_the_answer_and_keeps_the_ci_commands() {
    let readme = read(&repo().join("README.md"));
    let first_screen: String = readme.lines().take(40).collect::<Vec<_>>().join("\n");
    for needed in [
        "cargo install --locked --path .",
        "analytics-mcp call get_analytics --demo",
        "analytics-mcp login",
        "analytics-mcp install ",
        "analytics-mcp doctor",
        "?\"",
    ] {
        assert!(
            first_screen.contains(needed),
            "not on the first screen: {needed}"
        );
    }
    let development = &readme[readme
        .find("## Development")
        .expect("a Development section")..];
    for ci in [
        "cargo install --locked --path . && analytics-mcp call get_analytics --demo",
        "bash .ci/install-clients && cargo test",
    ] {
        assert!(development.contains(ci), "Development lost `{ci}`");
    }
    // The depth lives in docs/: each page linked from the README, each link landing.
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy();
        assert!(
            readme.contains(&format!("](docs/{name})")),
            "docs/{name} is not linked"
        );
    }
    for page in pages() {
        let text = read(&page);
        for link in text.split("](").skip(1).filter_map(|l| l.split(')').next()) {
            if link.starts_with("http") || link.starts_with('#') || link.starts_with('<') {
                continue;
            }
            let file = link.split('#').next().unwrap();
            let target = page.parent().unwrap().join(file);
            assert!(target.exists(), "{}: broken link {link}", page.display());
        }
    }
}

#[test]
fn every_runnable_command_in_the_readme_and_docs_runs() {
    let sb = TestSandbox::start(Default::default());
    let dir = Path::new(bin()).parent().unwrap().display().to_string();
    let path = format!("{dir}:{}", std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for page in pages() {
        for block in runnable(&read(&page)) {
            // One temp HOME per block, so a block's sign-in is its own.
            let mut env = sb.env();
            env.set("PATH", &path).set("HM_KEY", sb.key());
            if block.iter().any(|c| c.contains(" login")) {
                // A block that signs in stores the key instead of reading the environment's.
                env.vars.retain(|(k, _)| k != "ANALYTICS_MCP_API_KEY");
            }
            for command in block {
                let mut cmd = Command::new("bash");
                cmd.args(["-c", &format!("set -o pipefail; {command}")])
                    .env_remove("ANALYTICS_MCP_API_KEY")
                    .current_dir(env.dir.path())
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                for (k, v) in &env.vars {
                    cmd.env(k, v);
                }
                let out = finish_within(cmd.spawn().unwrap(), WAIT, &command);
                assert!(
                    out.status.success(),
                    "{}: `{command}` failed:\n{}\n{}",
                    page.display(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                ran += 1;
            }
        }
    }
    assert!(ran >= 10, "only {ran} runnable commands");
}
