//! `install` / `uninstall` for each client, against real files in a temp HOME: a fresh file, a
//! file with other servers and comments (kept byte for byte), a second run, an invalid file,
//! `--dry-run`, and removal.

use std::path::PathBuf;

use crate::common::{TestEnv, bin};

/// (client, path under HOME, key holding servers, comment syntax or None for TOML)
const JSON_CLIENTS: &[(&str, &str, &str)] = &[
    (
        "claude-desktop",
        ".config/Claude/claude_desktop_config.json",
        "mcpServers",
    ),
    ("cursor", ".cursor/mcp.json", "mcpServers"),
    ("vscode", ".config/Code/User/mcp.json", "servers"),
    (
        "windsurf",
        ".codeium/windsurf/mcp_config.json",
        "mcpServers",
    ),
    ("gemini", ".gemini/settings.json", "mcpServers"),
];

fn env() -> TestEnv {
    let mut env = TestEnv::new();
    // No `claude` program: Claude Code falls back to .mcp.json.
    env.set("PATH", "/usr/bin:/bin");
    env
}

/// A fresh environment and the path `rel` names in its home, its directory made.
fn env_with_dir_for(rel: &str) -> (TestEnv, PathBuf) {
    let env = env();
    let path = home(&env).join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    (env, path)
}

fn home(env: &TestEnv) -> PathBuf {
    env.dir.path().to_path_buf()
}

fn binary() -> String {
    PathBuf::from(bin())
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn json_clients_fresh_files_get_a_working_entry() {
    for (client, rel, key) in JSON_CLIENTS {
        let env = env();
        let out = env.run(&["install", client], "");
        assert_eq!(out.code, 0, "{client}: {}", out.stderr);
        let text = std::fs::read_to_string(home(&env).join(rel)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let entry = &v[key]["analytics"];
        assert_eq!(entry["command"], binary(), "{client}");
        assert_eq!(entry["args"], serde_json::json!(["serve"]), "{client}");
        assert_eq!(
            entry["type"] == "stdio",
            *client == "vscode",
            "{client}: {entry}"
        );
        assert!(!text.contains("hm_sk_"), "no secret in a client config");
    }
}

#[test]
fn json_clients_keep_everything_else_byte_for_byte() {
    for (client, rel, key) in JSON_CLIENTS {
        let (env, path) = env_with_dir_for(rel);
        let original = format!(
            "{{\n    // hand-written, with a comment\n    \"theme\":   \"dark\",\n    \"{key}\": {{\n        \"other\": {{ \"command\": \"npx\", \"args\": [\"-y\", \"other\"] }}\n    }},\n    \"zeta\": [1,2,3]\n}}\n"
        );
        std::fs::write(&path, &original).unwrap();

        assert_eq!(env.run(&["install", client], "").code, 0, "{client}");
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            after.contains("// hand-written, with a comment"),
            "{client}: {after}"
        );
        assert!(
            after.contains("\"theme\":   \"dark\""),
            "{client}: formatting kept"
        );
        assert!(
            after.contains("\"other\": { \"command\": \"npx\", \"args\": [\"-y\", \"other\"] }")
        );
        assert!(after.contains("\"analytics\""));
        assert_eq!(
            std::fs::read_to_string(path.with_extension("json.bak")).unwrap(),
            original
        );

        // A second run changes nothing at all.
        let again = env.run(&["install", client], "");
        assert!(
            again.stderr.contains("Nothing to change"),
            "{client}: {}",
            again.stderr
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

        // Uninstall removes only our entry: the file is the user's again.
        assert_eq!(env.run(&["uninstall", client], "").code, 0);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            original,
            "{client}"
        );
        let gone = env.run(&["uninstall", client], "");
        assert!(gone.stderr.contains("nothing to remove"), "{client}");
    }
}

#[test]
fn invalid_files_are_left_alone_with_line_and_column() {
    for (client, rel, _) in JSON_CLIENTS {
        let (env, path) = env_with_dir_for(rel);
        let broken = "{\n  \"mcpServers\": {\n    \"a\": 1,,\n  }\n";
        std::fs::write(&path, broken).unwrap();
        let out = env.run(&["install", client], "");
        assert_eq!(out.code, 1, "{client}");
        assert!(
            out.stderr.contains("is not valid JSON") && out.stderr.contains("line 3"),
            "{client}: {}",
            out.stderr
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    }
    let env = env();
    let path = home(&env).join(".codex/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "[mcp_servers\nfoo = 1\n").unwrap();
    let out = env.run(&["install", "codex"], "").exits(1);
    out.stderr_has(&["is not valid TOML", "line 1"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[mcp_servers\nfoo = 1\n"
    );
}

#[test]
fn codex_keeps_comments_and_other_servers_and_honours_codex_home() {
    let mut env = env();
    let codex_home = home(&env).join("elsewhere");
    env.set("CODEX_HOME", &codex_home.display().to_string());
    std::fs::create_dir_all(&codex_home).unwrap();
    let original = "# my codex config\nmodel = \"o4\"  # keep me\n\n[mcp_servers.other]\ncommand = \"other-server\"\nargs = [\"--x\"]\n";
    let path = codex_home.join("config.toml");
    std::fs::write(&path, original).unwrap();

    let dry = env.run(&["install", "codex", "--dry-run", "--demo"], "");
    dry.stdout_has(&["+[mcp_servers.analytics]", "\"--demo\""]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original,
        "dry run writes nothing"
    );

    assert_eq!(env.run(&["install", "codex", "--demo"], "").code, 0);
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with(original),
        "everything before our table is untouched:\n{after}"
    );
    let doc: toml::Table = after.parse().unwrap();
    let ours = &doc["mcp_servers"]["analytics"];
    assert_eq!(ours["command"].as_str(), Some(binary().as_str()));
    assert_eq!(ours["args"].as_array().unwrap().len(), 2);
    assert_eq!(ours["startup_timeout_sec"].as_integer(), Some(10));
    assert_eq!(ours["tool_timeout_sec"].as_integer(), Some(60));

    assert!(
        env.run(&["install", "codex", "--demo"], "")
            .stderr
            .contains("Nothing to change")
    );
    assert_eq!(env.run(&["uninstall", "codex"], "").code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn claude_code_without_the_claude_program_writes_the_project_mcp_json() {
    let env = env();
    let project = home(&env).join("proj");
    std::fs::create_dir_all(&project).unwrap();
    let out = env
        .cmd()
        .args(["install", "claude-code", "--name", "site-stats"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.join(".mcp.json")).unwrap()).unwrap();
    assert_eq!(v["mcpServers"]["site-stats"]["type"], "stdio");
    assert_eq!(v["mcpServers"]["site-stats"]["command"], binary());
}

#[test]
fn list_names_each_client_and_bad_names_are_refused() {
    let env = env();
    assert_eq!(env.run(&["install", "cursor"], "").code, 0);
    let out = env.run(&["install", "--list"], "").exits(0);
    out.stdout_has(&[
        "claude-desktop",
        "claude-code",
        "codex",
        "cursor",
        "vscode",
        "windsurf",
        "gemini",
    ]);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("cursor") && l.contains("✓ \"analytics\" installed")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("windsurf") && l.contains("not detected"))
    );
    env.run(&["install", "cursor", "--name", "a b\"c"], "")
        .exits(2);
}

#[test]
fn doctor_checks_everything_and_names_each_fix() {
    use analytics_mcp_sandbox::SandboxOptions;
    let sb = crate::common::TestSandbox::start(SandboxOptions::default());
    let mut env = env();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());

    // Signed out, nothing installed: a failure with its fix.
    let out = env.run(&["doctor"], "").exits(1);
    out.stdout_has(&["✗ credential", "fix: analytics-mcp login"]);

    // Signed in and installed: all green.
    assert_eq!(env.run(&["login", "--with-key"], sb.key()).code, 0);
    assert_eq!(env.run(&["install", "cursor"], "").code, 0);
    let out = env.run(&["doctor"], "").exits(0);
    out.stdout_has(&["✓ binary", "✓ config", "✓ credential", "✓ API", "✓ cursor"]);
    out.stdout_has(&["Northwind Notes (demo)"]);
    assert!(!out.all().contains(sb.key()), "doctor never prints the key");

    // An entry pointing at a program that is gone.
    let cursor = home(&env).join(".cursor/mcp.json");
    let moved = std::fs::read_to_string(&cursor)
        .unwrap()
        .replace(&binary(), "/nowhere/analytics-mcp");
    std::fs::write(&cursor, moved).unwrap();
    let out = env.run(&["doctor"], "").exits(1);
    out.stdout_has(&["✗ cursor", "fix: analytics-mcp install cursor"]);
}
