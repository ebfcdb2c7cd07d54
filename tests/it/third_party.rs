//! Third-party MCP clients drive the real binary: the official Python SDK and the MCP
//! Inspector CLI (which validates with the TypeScript SDK). `.ci/run` installs both at pinned
//! versions; locally the tests skip with a reason when they are missing, under CI they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{bin, printed, python_sdk, repo, skip_or_fail, succeeded};

#[test]
fn python_sdk_calls_every_tool_and_validates_structured_content() {
    let Some(python) = python_sdk("mcp, jsonschema") else {
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
        let stdout = succeeded(&out, &format!("python SDK check ({mode})"));
        assert!(stdout.contains("all 14 tools passed"), "{stdout}");
        assert!(stdout.contains("ok explain_change"), "{stdout}");
    }
}

/// The MCP Inspector CLI from `.ci/node`, or None after a skip (a failure under CI).
pub(crate) fn inspector() -> Option<PathBuf> {
    let local = repo().join(".ci/node/node_modules/.bin/mcp-inspector");
    if !local.exists() {
        skip_or_fail(
            "the MCP Inspector is not installed (run .ci/run, or npm install in .ci/node)",
        );
        return None;
    }
    Some(local)
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
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(14));
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
        result["structuredContent"]["rows"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(result["structuredContent"]["more"], true, "{stdout}");
    assert!(!stderr.to_lowercase().contains("error"), "{stderr}");
}

#[test]
fn inspector_launches_the_entry_install_wrote_for_claude_desktop() {
    let Some(inspector) = inspector() else {
        return;
    };
    let env = crate::common::TestEnv::new();
    env.run(&["install", "claude-desktop", "--demo"], "")
        .exits(0);
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
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(14));
}

/// The npm program `program` (Claude Code, Codex CLI) from `.ci/node`, an environment for it,
/// and what `install <client> --demo` printed (it succeeded); `None` when the program is not
/// installed (a skip, or under CI a failure).
fn installed(
    name: &str,
    program: &str,
    client: &str,
) -> Option<(PathBuf, crate::common::TestEnv, crate::common::Output)> {
    let Some(path) = crate::common::model_api::node_program(&repo(), program) else {
        skip_or_fail(&format!(
            "{name} is not installed (bash .ci/install-clients)"
        ));
        return None;
    };
    let env = client_env();
    let out = env.run(&["install", client, "--demo"], "").exits(0);
    Some((path, env, out))
}

/// A TestEnv whose PATH starts with `.ci/node`'s programs, and a Command for one of them in
/// it. Claude Code's switches keep it offline and quiet (no updater, telemetry or reports).
pub(crate) fn client_env() -> crate::common::TestEnv {
    let mut env = crate::common::TestEnv::new();
    let path = std::env::var("PATH").unwrap_or_default();
    let bin_dir = repo().join(".ci/node/node_modules/.bin");
    env.set("PATH", &format!("{}:{path}", bin_dir.display()));
    for var in [
        "DISABLE_AUTOUPDATER",
        "DISABLE_TELEMETRY",
        "DISABLE_ERROR_REPORTING",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
    ] {
        env.set(var, "1");
    }
    let codex_home = env.dir.path().join("codex-home");
    std::fs::create_dir_all(&codex_home).expect("mkdir");
    env.set("CODEX_HOME", &codex_home.display().to_string());
    env
}

fn client_cmd(env: &crate::common::TestEnv, program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("ANALYTICS_MCP_API_KEY")
        .stdin(std::process::Stdio::null());
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    cmd
}

pub(crate) fn run_client(
    env: &crate::common::TestEnv,
    program: &Path,
    args: &[&str],
) -> (bool, String) {
    let out = client_cmd(env, program)
        .args(args)
        .output()
        .expect("run client");
    (out.status.success(), printed(&out))
}

#[test]
fn claude_code_connects_to_the_entry_install_added() {
    let Some((claude, env, out)) = installed("Claude Code", "claude", "claude-code") else {
        return;
    };
    out.stderr_has(&["✓ Claude Code now starts"]);
    assert!(
        out.stdout.is_empty(),
        "claude's chatter goes to stderr: {}",
        out.stdout
    );

    // `claude mcp get` starts the server and reports; it exits 0 either way, so read it.
    let (_, text) = run_client(&env, &claude, &["mcp", "get", "analytics"]);
    assert!(text.contains("✔ Connected"), "{text}");
    assert!(text.contains(&format!("Command: {}", bin())), "{text}");
    assert!(text.contains("Args: serve --demo"), "{text}");

    // A second install changes nothing (and does not trip over `claude mcp add`'s refusal).
    let before = std::fs::read(env.dir.path().join(".claude.json")).expect(".claude.json");
    let again = env.run(&["install", "claude-code", "--demo"], "");
    again.expect_code(0).stderr_has(&["nothing to change"]);
    let after = std::fs::read(env.dir.path().join(".claude.json")).expect(".claude.json");
    let servers = |bytes: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(bytes).expect("JSON")["mcpServers"].clone()
    };
    assert_eq!(servers(&before), servers(&after));

    // Without --demo the entry is replaced, not refused.
    env.run(&["install", "claude-code"], "").exits(0);
    let (_, text) = run_client(&env, &claude, &["mcp", "get", "analytics"]);
    assert!(text.contains("Args: serve\n"), "{text}");

    env.run(&["uninstall", "claude-code"], "").exits(0);
    let (_, text) = run_client(&env, &claude, &["mcp", "get", "analytics"]);
    assert!(text.contains("No MCP server named \"analytics\""), "{text}");
    let twice = env.run(&["uninstall", "claude-code"], "");
    twice.expect_code(0).stderr_has(&["nothing to remove"]);
}

#[test]
fn codex_reads_the_entry_and_its_app_server_lists_our_tools() {
    let Some((codex, env, _)) = installed("Codex CLI", "codex", "codex") else {
        return;
    };

    let (ok, text) = run_client(&env, &codex, &["mcp", "get", "analytics", "--json"]);
    assert!(ok, "{text}");
    let json_start = text.find('{').expect("JSON in codex's answer");
    let entry: serde_json::Value = serde_json::Deserializer::from_str(&text[json_start..])
        .into_iter()
        .next()
        .expect("one value")
        .expect("codex mcp get --json");
    assert_eq!(entry["enabled"], true);
    assert_eq!(entry["transport"]["type"], "stdio");
    assert_eq!(entry["transport"]["command"], bin());
    assert_eq!(
        entry["transport"]["args"],
        serde_json::json!(["serve", "--demo"])
    );
    assert_eq!(entry["startup_timeout_sec"], 10.0);
    assert_eq!(entry["tool_timeout_sec"], 60.0);

    // The app server starts our server from that entry and lists its tools.
    let listed = codex_app_server_status(&env, &codex);
    let servers = listed["result"]["data"].as_array().expect("data");
    let ours = servers
        .iter()
        .find(|s| s["name"] == "analytics")
        .unwrap_or_else(|| panic!("no analytics server in {listed}"));
    assert_eq!(ours["serverInfo"]["name"], "analytics-mcp");
    assert!(ours["toolsError"].is_null(), "{ours}");
    let tools = ours["tools"].as_object().expect("tools");
    assert_eq!(tools.len(), 14, "{:?}", tools.keys().collect::<Vec<_>>());
    assert!(tools.contains_key("get_analytics") && tools.contains_key("get_revenue"));

    env.run(&["uninstall", "codex"], "").exits(0);
    let (ok, text) = run_client(&env, &codex, &["mcp", "get", "analytics"]);
    assert!(!ok, "codex still finds the entry: {text}");
}

/// `initialize`, then `mcpServerStatus/list` over `codex app-server`'s JSON-RPC lines; the
/// answer to the second request. Every read is bounded by `WAIT`.
fn codex_app_server_status(env: &crate::common::TestEnv, codex: &Path) -> serde_json::Value {
    use std::io::{BufRead, BufReader, Write};
    let mut child = client_cmd(env, codex)
        .arg("app-server")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start codex app-server");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let answer = |stdin: &mut std::process::ChildStdin, id: u64, method: &str, params| {
        let request =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{request}").expect("write");
        let deadline = std::time::Instant::now() + crate::common::WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("codex app-server did not answer {method}"));
            let message: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
            if message["id"] == id {
                return message;
            }
        }
    };
    let init = answer(
        &mut stdin,
        1,
        "initialize",
        serde_json::json!({"clientInfo": {"name": "analytics-mcp-tests", "version": "1"}}),
    );
    assert!(init.get("result").is_some(), "{init}");
    writeln!(
        stdin,
        "{}",
        serde_json::json!({"jsonrpc": "2.0", "method": "initialized"})
    )
    .expect("write");
    let listed = answer(&mut stdin, 2, "mcpServerStatus/list", serde_json::json!({}));
    let _ = child.kill();
    let _ = child.wait();
    listed
}
