//! Skills (issue 26): over MCP, the skills extension (SEP-2640) for a client that declares it
//! — listed, got and read, the bytes the same as `skills/` in the repository, checked by a raw
//! JSON-RPC client, by the official TypeScript SDK's skills client and by the MCP Inspector's
//! SEP-2640 verifier — and nothing new for a client that does not; on disk, `install --skills` for Claude Code and Codex in a temp
//! HOME (a second run changes nothing), `doctor` reporting them, `uninstall --skills` removing
//! only ours; and the real Claude Code and Codex, headless against a stand-in model API,
//! handing their model the skills `install --skills` wrote.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::model_api::{self, ModelApi, Server};
use crate::common::{McpSession, NOW, TestEnv, bin, repo, skip_or_fail};

const EXTENSION: &str = "io.modelcontextprotocol/skills";
const NAMES: [&str; 4] = [
    "analytics-mcp-weekly-report",
    "analytics-mcp-traffic-drop",
    "analytics-mcp-revenue-review",
    "analytics-mcp-channel-roi",
];

/// The `SKILL.md` of `name` as the repository holds it.
fn shipped(name: &str) -> String {
    std::fs::read_to_string(repo().join("skills").join(name).join("SKILL.md")).unwrap()
}

/// `serve --demo`, initialized with `capabilities`.
fn session(capabilities: Value) -> (McpSession, TestEnv, Value) {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    let init = s.initialize_declaring(capabilities, "skills-host");
    (s, env, init)
}

fn with_skills() -> Value {
    json!({"extensions": {EXTENSION: {}}})
}

fn result(s: &mut McpSession, method: &str, params: Value) -> Value {
    let r = s.request(method, params);
    assert!(r.get("error").is_none(), "{method}: {r}");
    r["result"].clone()
}

#[test]
fn a_client_declaring_the_extension_lists_gets_and_reads_every_skill() {
    let (mut s, _env, init) = session(with_skills());
    assert_eq!(init["capabilities"]["extensions"][EXTENSION], json!({}));
    assert!(init["capabilities"]["resources"].is_object());

    let listed = result(&mut s, "skills/list", json!({}));
    let skills = listed["skills"].as_array().expect("skills");
    let names: Vec<&str> = skills
        .iter()
        .filter_map(|e| e["frontmatter"]["name"].as_str())
        .collect();
    assert_eq!(names, NAMES);
    assert!(listed.get("nextCursor").is_none());

    let resources = result(&mut s, "resources/list", json!({}))["resources"].clone();
    for entry in skills {
        let name = entry["frontmatter"]["name"].as_str().unwrap();
        let uri = format!("skill://{name}/SKILL.md");
        assert_eq!(entry["uri"], uri.as_str());
        let file = shipped(name);

        // The frontmatter is the file's, field for field (including our marker).
        let description = entry["frontmatter"]["description"].as_str().unwrap();
        assert!(
            file.contains(&format!("\ndescription: {description}\n")),
            "{name}"
        );
        assert_eq!(
            entry["frontmatter"]["metadata"],
            json!({"author": "analytics-mcp"})
        );
        assert_eq!(
            entry["frontmatter"].as_object().unwrap().len(),
            3,
            "{entry}"
        );

        // Its manifest is the one file, whose bytes the read returns and the digest covers.
        let read = result(&mut s, "resources/read", json!({"uri": uri}));
        let text = read["contents"][0]["text"].as_str().unwrap();
        assert_eq!(text, file, "{name}: served as shipped");
        assert_eq!(read["contents"][0]["mimeType"], "text/markdown");
        assert_eq!(
            entry["resources"],
            json!([{"uri": uri, "digest": rmcp::model::sha256_digest(file.as_bytes()), "size": file.len()}])
        );

        // skills/get gives the same entry; resources/list names the file.
        let got = result(&mut s, "skills/get", json!({"uri": uri}));
        assert_eq!(&got["skill"], entry);
        let listed = resources
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["uri"] == uri.as_str())
            .unwrap_or_else(|| panic!("{uri} not in resources/list: {resources}"));
        assert_eq!(listed["name"], name);
        assert_eq!(listed["description"], description);
        assert_eq!(listed["mimeType"], "text/markdown");
    }

    // An unknown skill is "invalid params" naming the ones served; the server keeps serving.
    let unknown = s.request(
        "skills/get",
        json!({"uri": "skill://analytics-mcp-nothing/SKILL.md"}),
    );
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    let message = unknown["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("skill://analytics-mcp-weekly-report/SKILL.md"),
        "{message}"
    );
    assert!(result(&mut s, "tools/list", json!({}))["tools"].is_array());
    s.finish();
}

#[test]
fn a_client_without_the_extension_sees_nothing_new() {
    let (mut with, _e1, _) = session(with_skills());
    let (mut without, _e2, init) = session(json!({}));
    let caps = init["capabilities"].as_object().unwrap();
    assert!(caps.get("extensions").is_none(), "{init}");

    for method in ["skills/list", "skills/get"] {
        let r = without.request(
            method,
            json!({"uri": "skill://analytics-mcp-weekly-report/SKILL.md"}),
        );
        assert_eq!(r["error"]["code"], -32601, "{method}: {r}");
    }
    // Tools, prompts and resources as before: the skills are the only difference.
    for method in ["tools/list", "prompts/list"] {
        assert_eq!(
            result(&mut with, method, json!({})),
            result(&mut without, method, json!({})),
            "{method}"
        );
    }
    let uris = |s: &mut McpSession| -> Vec<String> {
        result(s, "resources/list", json!({}))["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uri"].as_str().unwrap().to_string())
            .collect()
    };
    let plain = uris(&mut without);
    assert_eq!(plain, ["analytics://project", "analytics://glossary"]);
    let mut more = uris(&mut with);
    more.retain(|u| !u.starts_with("skill://"));
    assert_eq!(more, plain);
    with.finish();
    without.finish();
}

/// `_meta` of a stateless 2026-07-28 request declaring `capabilities`.
fn meta_2026(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "skills-host", "version": "1"}
    })
}

/// On 2026-07-28 a client declares the extension per request: `server/discover` and
/// `skills/*` follow what each request declares, and results carry the caching fields.
#[test]
fn a_2026_07_28_client_declares_the_extension_per_request() {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    let discover = |s: &mut McpSession, caps: Value| {
        result(s, "server/discover", json!({"_meta": meta_2026(caps)}))["capabilities"].clone()
    };
    assert_eq!(
        discover(&mut s, with_skills())["extensions"][EXTENSION],
        json!({})
    );
    assert!(discover(&mut s, json!({})).get("extensions").is_none());

    let listed = result(
        &mut s,
        "skills/list",
        json!({"_meta": meta_2026(with_skills())}),
    );
    assert_eq!(listed["resultType"], "complete", "{listed}");
    assert_eq!(listed["ttlMs"], 86_400_000, "{listed}");
    assert_eq!(listed["cacheScope"], "public", "{listed}");
    assert_eq!(listed["skills"].as_array().map(Vec::len), Some(NAMES.len()));
    let uri = listed["skills"][0]["uri"].clone();
    let got = result(
        &mut s,
        "skills/get",
        json!({"uri": uri, "_meta": meta_2026(with_skills())}),
    );
    assert_eq!(got["skill"], listed["skills"][0]);
    assert_eq!(got["ttlMs"], 86_400_000, "{got}");
    let refused = s.request("skills/list", json!({"_meta": meta_2026(json!({}))}));
    assert_eq!(refused["error"]["code"], -32601, "{refused}");
    s.finish();
}

/// The MCP Inspector CLI, which declares the extension and runs its own SEP-2640 checks
/// (`--verify`: entry shape, frontmatter against the file, digests and sizes), lists and gets
/// every skill.
#[test]
fn the_mcp_inspector_verifies_every_skill() {
    let Some(inspector) = crate::third_party::inspector() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&inspector)
            .arg("--cli")
            .arg(bin())
            .args(["serve", "--demo"])
            .args(args)
            .env("MCP_CATALOG_PATH", dir.path().join("catalog.json"))
            .env("HOME", dir.path())
            .env_remove("ANALYTICS_MCP_API_KEY")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}:\n{stdout}\n{stderr}");
        stdout
    };
    let listed: Value = serde_json::from_str(&run(&["--method", "skills/list"])).unwrap();
    let uris: Vec<&str> = listed["skills"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uri"].as_str())
        .collect();
    assert_eq!(uris.len(), NAMES.len(), "{listed}");

    let reports = run(&["--method", "skills/list", "--verify", "--require-digests"]);
    let reports: Vec<Value> = reports
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), NAMES.len(), "{reports:?}");
    for report in &reports {
        assert_eq!(report["outcome"], "verified", "{report}");
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["conformance"], json!([]), "{report}");
        assert_eq!(report["frontmatter"], json!([]), "{report}");
    }
    for uri in uris {
        let one = run(&["--method", "skills/get", "--uri", uri, "--verify"]);
        let report: Value = serde_json::from_str(one.lines().next().unwrap_or_default()).unwrap();
        assert_eq!(report["uri"], uri, "{one}");
        assert_eq!(report["outcome"], "verified", "{one}");
    }
}

/// The official TypeScript SDK's skills client (`@modelcontextprotocol/client` 2.4.0, installed
/// by `.ci/install-clients` as `mcp-sdk-client-skills`; `ANALYTICS_MCP_TEST_NODE_MODULES`
/// names another `node_modules` holding it): declaring the extension it lists, gets and reads
/// every skill, verifying each file (size, digest, frontmatter against the entry, parsed with
/// its own YAML reader); without it, it finds no skills.
#[test]
fn the_typescript_sdk_skills_client_verifies_every_skill() {
    const PACKAGE: &str = "mcp-sdk-client-skills";
    let modules = std::env::var_os("ANALYTICS_MCP_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".ci/node/node_modules"));
    if !modules.join(PACKAGE).exists() {
        skip_or_fail("the TypeScript SDK client 2.4.0 is not installed (bash .ci/install-clients)");
        return;
    }
    let out = std::process::Command::new("node")
        .arg(repo().join("tests/skills/ts_sdk_client.mjs"))
        .arg(&modules)
        .arg(PACKAGE)
        .arg(bin())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    assert_eq!(seen["supported"], true, "{seen}");
    assert_eq!(seen["invalid"], json!([]), "{seen}");
    let skills = seen["skills"].as_array().unwrap();
    let names: Vec<&str> = skills.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, NAMES);
    for skill in skills {
        let name = skill["name"].as_str().unwrap();
        assert_eq!(skill["verified"], true, "{skill}");
        assert_eq!(skill["sameAsListed"], true, "{skill}");
        assert_eq!(skill["bytes"], shipped(name).len(), "{skill}");
        assert_eq!(skill["frontmatter"]["name"], name, "{skill}");
        assert_eq!(skill["bodyStartsWith"], "# ", "{skill}");
    }
    assert_eq!(
        seen["withoutExtension"],
        json!({"supported": false, "listed": 0}),
        "{seen}"
    );
}

/// A temp HOME with a skill of the user's own in both clients' folders.
fn home_with_own_skills() -> (TestEnv, PathBuf, PathBuf) {
    let env = TestEnv::new();
    let claude = env.dir.path().join(".claude/skills");
    let codex = env.dir.path().join(".agents/skills");
    for dir in [&claude, &codex] {
        let own = dir.join("my-weekly-notes/SKILL.md");
        std::fs::create_dir_all(own.parent().unwrap()).unwrap();
        std::fs::write(
            own,
            "---\nname: my-weekly-notes\ndescription: My own notes.\n---\n\n# Mine\n",
        )
        .unwrap();
    }
    (env, claude, codex)
}

fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let bytes = std::fs::read(dir.join(&name).join("SKILL.md")).unwrap_or_default();
            (name, bytes)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn install_skills_writes_them_once_doctor_reports_them_and_uninstall_removes_only_ours() {
    let (env, claude, codex) = home_with_own_skills();
    for (client, dir) in [("claude-code", &claude), ("codex", &codex)] {
        let out = env.run(&["install", "--skills", client], "");
        out.expect_code(0).stderr_has(&["4 written"]);
        for name in NAMES {
            let written = std::fs::read_to_string(dir.join(name).join("SKILL.md")).unwrap();
            assert_eq!(written, shipped(name), "{client} {name}");
        }

        // A second run changes nothing and says so.
        let before = folder_bytes(dir);
        let again = env.run(&["install", "--skills", client], "");
        again.expect_code(0).stderr_has(&["nothing to change"]);
        assert_eq!(
            again.stderr.matches(" unchanged\n").count(),
            4,
            "{}",
            again.all()
        );
        assert_eq!(folder_bytes(dir), before);
    }

    // doctor: installed, then one outdated (ours from another version), with the fix.
    let doctor = env.run(&["doctor"], "");
    doctor.stdout_has(&["✓ skills          claude-code: 4 of 4 installed"]);
    doctor.stdout_has(&["codex: 4 of 4 installed"]);
    let old = claude.join("analytics-mcp-traffic-drop/SKILL.md");
    std::fs::write(
        &old,
        shipped("analytics-mcp-traffic-drop").replace("# Diagnose", "# Old"),
    )
    .unwrap();
    let doctor = env.run(&["doctor"], "");
    doctor.stdout_has(&["✗ skills          claude-code: 3 of 4 installed, 1 outdated"]);
    doctor.stdout_has(&["fix: analytics-mcp install --skills claude-code"]);
    let update = env.run(&["install", "--skills", "claude-code"], "");
    update.expect_code(0).stderr_has(&["1 updated"]);

    // uninstall removes ours and only ours; a second run has nothing to remove.
    for (client, dir) in [("claude-code", &claude), ("codex", &codex)] {
        let out = env.run(&["uninstall", "--skills", client], "");
        out.expect_code(0)
            .stderr_has(&["Removed 4 analytics skills"]);
        let left: Vec<String> = folder_bytes(dir).into_iter().map(|(n, _)| n).collect();
        assert_eq!(left, ["my-weekly-notes"], "{client}");
        let twice = env.run(&["uninstall", "--skills", client], "");
        twice.expect_code(0).stderr_has(&["nothing to remove"]);
    }
    let doctor = env.run(&["doctor"], "");
    doctor.stdout_has(&[
        "- skills          claude-code: 0 of 4 installed",
        "(add: analytics-mcp install --skills claude-code)",
    ]);

    // A client that loads no skills from a folder is a usage error that says who does.
    let cursor = env.run(&["install", "--skills", "cursor"], "");
    cursor.expect_code(2).stderr_has(&["claude-code or codex"]);
}

#[test]
fn install_skills_keeps_a_users_skill_of_the_same_name() {
    let env = TestEnv::new();
    let theirs = env
        .dir
        .path()
        .join(".agents/skills/analytics-mcp-channel-roi/SKILL.md");
    std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    let text = "---\nname: analytics-mcp-channel-roi\ndescription: Theirs.\n---\n# Theirs\n";
    std::fs::write(&theirs, text).unwrap();
    let out = env.run(&["install", "--skills", "codex"], "");
    out.expect_code(1).stderr_has(&["did not write"]);
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), text);
    let doctor = env.run(&["doctor"], "");
    doctor.stdout_has(&["codex: 3 of 4 installed, 1 missing (1 of them taken by a skill of yours"]);
    env.run(&["uninstall", "--skills", "codex"], "").exits(0);
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), text);
}

/// The demo server for a client run.
fn demo_server() -> Server {
    Server {
        command: bin().to_string(),
        args: vec!["serve".into(), "--demo".into()],
        env: vec![("ANALYTICS_MCP_NOW".into(), NOW.into())],
    }
}

/// Runs the client `program` of `.ci/node` headless (`run`: `model_api::run_claude` or
/// `run_codex`) in a temp HOME where `install --skills CLIENT` wrote the skills, and checks
/// that what it sent its model names each skill with its description.
fn hands_its_model_the_skills(label: &str, program: &str, client: &str, run: ClientRun) {
    let Some(program) = model_api::node_program(&repo(), program) else {
        skip_or_fail(&format!(
            "{label} is not installed (bash .ci/install-clients)"
        ));
        return;
    };
    let env = TestEnv::new();
    env.run(&["install", "--skills", client], "").expect_code(0);
    let api = ModelApi::start(&[]);
    run(&program, &api, &demo_server(), &[], env.dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let sent = api
        .requests()
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    for name in NAMES {
        let description = shipped(name)
            .lines()
            .find_map(|l| l.strip_prefix("description: "))
            .unwrap()
            .to_string();
        assert!(sent.contains(name), "{label} did not hand its model {name}");
        assert!(
            sent.contains(&description),
            "{label} did not hand its model the description of {name}"
        );
    }
}

type ClientRun = fn(
    &Path,
    &ModelApi,
    &Server,
    &[model_api::Call],
    &Path,
) -> Result<model_api::Recording, String>;

/// The strongest proof that the folders are right: the real Claude Code, run headless with
/// the temp HOME, lists the skills `install --skills claude-code` wrote to its model.
#[test]
fn claude_code_hands_its_model_the_installed_skills() {
    hands_its_model_the_skills(
        "Claude Code",
        "claude",
        "claude-code",
        model_api::run_claude,
    );
}

/// The same for the real Codex, with the skills in `~/.agents/skills`.
#[test]
fn codex_hands_its_model_the_installed_skills() {
    hands_its_model_the_skills("Codex", "codex", "codex", model_api::run_codex);
}
