//! Third-party MCP clients drive the real binary: the official Python SDK and the MCP
//! Inspector CLI (which validates with the TypeScript SDK). `.ci/run` installs both at pinned
//! versions; locally the tests skip with a reason when they are missing, under CI they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bin, skip_or_fail};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with the `mcp` package: `ANALYTICS_MCP_TEST_PYTHON`, the CI venv, or `python3`.
fn python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ANALYTICS_MCP_TEST_PYTHON").map(PathBuf::from),
        Some(repo().join(".ci/venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", "import mcp, jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn python_sdk_calls_every_tool_and_validates_structured_content() {
    let Some(python) = python() else {
        skip_or_fail(
            "the Python `mcp` SDK is not installed (pip install -r tests/python/requirements.txt)",
        );
        return;
    };
    for mode in ["auto", "legacy"] {
        let out = Command::new(&python)
            .arg(repo().join("tests/python/check_client.py"))
            .arg(bin())
            .arg(mode)
            .env_remove("ANALYTICS_MCP_API_KEY")
            .output()
            .expect("run python");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "python SDK check ({mode}) failed:\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("all 13 tools passed"), "{stdout}");
    }
}

fn inspector() -> Option<PathBuf> {
    let local = repo().join(".ci/node/node_modules/.bin/mcp-inspector");
    local.exists().then_some(local)
}

fn run_inspector(inspector: &Path, catalog: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(inspector)
        .arg("--cli")
        .arg(bin())
        .args(["serve", "--demo"])
        .args(args)
        .env("MCP_CATALOG_PATH", catalog)
        .env_remove("ANALYTICS_MCP_API_KEY")
        .output()
        .expect("run inspector");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn inspector_cli_lists_tools_strictly_and_calls_one() {
    let Some(inspector) = inspector() else {
        skip_or_fail(
            "the MCP Inspector is not installed (run .ci/run, or npm install in .ci/node)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = dir.path().join("catalog.json");

    let (ok, stdout, stderr) = run_inspector(
        &inspector,
        &catalog,
        &["--method", "tools/list", "--strict"],
    );
    assert!(ok, "inspector tools/list failed:\n{stdout}\n{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("tools/list JSON");
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(13));
    // --strict prints schema portability problems on stderr; there must be none.
    assert!(
        !stderr.contains("Warning") && !stderr.contains("Error"),
        "{stderr}"
    );

    let (ok, stdout, stderr) = run_inspector(
        &inspector,
        &catalog,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "get_top_pages",
            "--tool-arg",
            "limit=3",
            "startDate=2026-10-01",
        ],
    );
    assert!(ok, "inspector tools/call failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).expect("tools/call JSON");
    assert_eq!(result["isError"], false, "{stdout}");
    assert_eq!(
        result["structuredContent"]["data"].as_array().map(Vec::len),
        Some(3)
    );
    assert!(!stderr.to_lowercase().contains("error"), "{stderr}");
}

#[test]
fn inspector_launches_the_entry_install_wrote_for_claude_desktop() {
    let Some(inspector) = inspector() else {
        skip_or_fail(
            "the MCP Inspector is not installed (run .ci/run, or npm install in .ci/node)",
        );
        return;
    };
    let env = crate::common::TestEnv::new();
    let out = env.run(&["install", "claude-desktop", "--demo"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = env
        .dir
        .path()
        .join(".config/Claude/claude_desktop_config.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("written")).expect("JSON");
    let entry = &config["mcpServers"]["analytics"];
    let command = entry["command"].as_str().expect("command");
    let args: Vec<&str> = entry["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    let catalog = env.dir.path().join("catalog.json");
    let out = Command::new(&inspector)
        .arg("--cli")
        .arg(command)
        .args(&args)
        .args(["--method", "tools/list"])
        .env("MCP_CATALOG_PATH", &catalog)
        .env_remove("ANALYTICS_MCP_API_KEY")
        .output()
        .expect("run inspector");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("tools/list JSON");
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(13));
}
