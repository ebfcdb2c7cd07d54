//! Several sites in one `serve` (issue 26): `serve --profile shop --profile docs` over two
//! sandboxes with different projects and keys. Each call reaches only its project's origin
//! with its key; tools are listed once, each with `project`; `get_project` lists both;
//! `compare_projects` sets their overviews side by side; one profile's broken credential
//! leaves the other answering; hosted profiles are refused; the terminal does the same.

use analytics_mcp_sandbox::{SandboxOptions, Scenario};
use serde_json::{Value, json};

use crate::common::run::{refusal, session};
use crate::common::{
    McpSession, Output, TestEnv, TestSandbox, bin, python_sdk, repo, skip_or_fail, succeeded,
    text_of, tool_names,
};

const SHOP_KEY: &str = "hm_sk_shop_0a1b2c3d4e5f6a7b";
const DOCS_KEY: &str = "hm_sk_docs_9f8e7d6c5b4a3f2e";

/// Two sites: `shop` (the demo data) and `docs` (another project, with a referrer spike over
/// the last six days), each on its own sandbox with its own key, both signed in.
struct Sites {
    shop: TestSandbox,
    docs: TestSandbox,
    env: TestEnv,
}

fn sites() -> Sites {
    sites_in(TestEnv::new())
}

/// [`sites`] in `env` (a third-party client's environment, say).
fn sites_in(env: TestEnv) -> Sites {
    let shop = TestSandbox::start(SandboxOptions {
        api_key: SHOP_KEY.to_string(),
        project: Some(("prj_shop".into(), "Shop site".into())),
        ..SandboxOptions::default()
    });
    let docs = TestSandbox::start(SandboxOptions {
        api_key: DOCS_KEY.to_string(),
        project: Some(("prj_docs".into(), "Docs site".into())),
        scenario: Some(Scenario::ReferrerSpike),
        ..SandboxOptions::default()
    });
    env.write_config(&format!(
        "[profiles.shop]\napi_url = \"{}\"\n\n[profiles.docs]\napi_url = \"{}\"\n",
        shop.url(),
        docs.url()
    ));
    for (profile, key) in [("shop", SHOP_KEY), ("docs", DOCS_KEY)] {
        env.run(
            &["login", "--with-key", "--profile", profile],
            &format!("{key}\n"),
        )
        .expect_code(0);
    }
    Sites { shop, docs, env }
}

const BOTH: &[&str] = &["--profile", "shop", "--profile", "docs"];

/// `args` run over both profiles (`--profile shop --profile docs` after them).
fn over_both(env: &TestEnv, args: &[&str]) -> Output {
    env.run(&[args, BOTH].concat(), "")
}

fn visitors(result: &Value) -> f64 {
    result["structuredContent"]["metrics"]["uniqueVisitors"]
        .as_f64()
        .unwrap_or_else(|| panic!("no visitors in {result}"))
}

#[test]
fn a_call_with_project_reaches_only_that_projects_origin_with_its_key() {
    let s = sites();
    let mut mcp = McpSession::spawn(&s.env, BOTH);
    let init = mcp.initialize();
    assert!(
        init["instructions"]
            .as_str()
            .unwrap()
            .contains("several projects (profiles): shop, docs"),
        "{init}"
    );

    // Listed once each, with `project` as the profiles, the first the default.
    let list = mcp.request("tools/list", json!({}));
    let names = tool_names(&list);
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique);
    assert_eq!(names.len(), 15, "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("compare_projects"));
    for tool in list["result"]["tools"].as_array().unwrap() {
        if tool["name"] == "compare_projects" {
            continue;
        }
        let project = &tool["inputSchema"]["properties"]["project"];
        assert_eq!(project["enum"], json!(["shop", "docs"]), "{tool}");
    }

    let (shop_before, docs_before) = (s.shop.sandbox.stats(), s.docs.sandbox.stats());
    let docs_answer = mcp.call("get_analytics", json!({"project": "docs"}));
    assert_ne!(docs_answer["isError"], true, "{docs_answer}");
    // Only docs' origin was asked, with docs' key; shop's key never went there.
    assert_eq!(s.shop.sandbox.stats().requests, shop_before.requests);
    assert!(s.docs.sandbox.stats().requests > docs_before.requests);
    assert!(!s.docs.sandbox.received_credential(SHOP_KEY));
    assert!(!s.shop.sandbox.received_credential(DOCS_KEY));

    // No `project`: the first profile, shop, with its own numbers.
    let shop_answer = mcp.call("get_analytics", json!({}));
    assert!(s.shop.sandbox.stats().requests > shop_before.requests);
    assert_ne!(visitors(&shop_answer), visitors(&docs_answer));
    let again = mcp.call("get_analytics", json!({"project": "shop"}));
    assert_eq!(visitors(&again), visitors(&shop_answer));

    // A wrong `project` is refused like any other bad argument, naming what is accepted.
    let args = json!({"project": "dcos"});
    let (_, text) = refusal(&mut mcp, "get_top_pages", args, "`project`");
    assert!(
        text.contains("`shop`, `docs`") && text.contains("Did you mean `docs`?"),
        "{text}"
    );

    // `get_project` lists every project.
    let projects = mcp.call("get_project", json!({}));
    let text = text_of(&projects);
    assert!(
        text.contains("Shop site") && text.contains("prj_shop"),
        "{text}"
    );
    assert!(
        text.contains("Docs site") && text.contains("prj_docs"),
        "{text}"
    );
    assert_eq!(
        projects["structuredContent"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // So does the project resource.
    let read = mcp.request("resources/read", json!({"uri": "analytics://project"}));
    let listed: Value =
        serde_json::from_str(read["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(listed[0]["project"], "shop");
    assert_eq!(listed[1]["name"], "Docs site");
    mcp.finish();
}

#[test]
fn compare_projects_puts_both_side_by_side_with_their_changes() {
    let s = sites();
    let mut mcp = session(&s.env, BOTH);
    let result = mcp.call("compare_projects", json!({}));
    assert_ne!(result["isError"], true, "{result}");
    let text = text_of(&result);
    assert!(
        text.contains("shop · Shop site") && text.contains("docs · Docs site"),
        "{text}"
    );
    // The docs site's referrer spike makes it the fastest growing.
    assert!(
        text.contains("Unique visitors, fastest growth first: docs"),
        "{text}"
    );
    assert!(text.contains("Compared with"), "{text}");
    let structured = &result["structuredContent"];
    let projects = structured["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2);
    for (project, name) in projects.iter().zip(["Shop site", "Docs site"]) {
        assert_eq!(project["name"], name);
        let now = project["metrics"]["uniqueVisitors"].as_f64().unwrap();
        let before = project["comparison"]["previous"]["uniqueVisitors"]
            .as_f64()
            .unwrap();
        assert!(now > 0.0 && before > 0.0, "{project}");
        // The summary the model reads gives the change as the overview does.
        assert!(project["summary"].as_str().unwrap().contains("% vs "));
    }
    assert!(
        structured["summary"]
            .as_str()
            .unwrap()
            .contains("fastest growth first: docs"),
        "{structured}"
    );
    mcp.finish();
}

#[test]
fn a_broken_credential_in_one_profile_leaves_the_other_answering() {
    let s = sites();
    // docs' stored record is corrupt; blog was never signed in.
    let docs_file = s.env.config_dir().join("credentials.docs.json");
    std::fs::write(&docs_file, "{ not json").unwrap();
    let mut config = std::fs::read_to_string(s.env.config_dir().join("config.toml")).unwrap();
    config.push_str(&format!(
        "\n[profiles.blog]\napi_url = \"{}\"\n",
        s.shop.url()
    ));
    s.env.write_config(&config);

    let mut mcp = session(&s.env, &["--all-profiles"]);
    let docs = json!({"project": "docs"});
    let (_, text) = refusal(&mut mcp, "get_analytics", docs, "credentials.docs.json");
    assert!(
        text.starts_with("Project `docs`: ") && text.contains("analytics-mcp login --profile docs"),
        "{text}"
    );
    let shop = mcp.call("get_analytics", json!({"project": "shop"}));
    assert_ne!(shop["isError"], true, "{shop}");
    let blog = mcp.call("get_realtime", json!({"project": "blog"}));
    assert!(
        text_of(&blog).contains("not signed in")
            && text_of(&blog).contains("analytics-mcp login --profile blog"),
        "{blog}"
    );

    // The comparison answers for shop and names each failure with its fix.
    let compared = mcp.call("compare_projects", json!({}));
    assert_ne!(compared["isError"], true, "{compared}");
    let text = text_of(&compared);
    assert!(text.contains("shop · Shop site"), "{text}");
    assert!(
        text.contains("Project `docs`: ") && text.contains("login --profile docs"),
        "{text}"
    );
    assert!(text.contains("Project `blog`: not signed in"), "{text}");
    let projects = compared["structuredContent"]["projects"]
        .as_array()
        .unwrap();
    let errors: Vec<&str> = projects
        .iter()
        .filter(|p| p["error"].is_string())
        .map(|p| p["project"].as_str().unwrap())
        .collect();
    // The top level (`default`) is not signed in either.
    assert_eq!(errors, ["default", "blog", "docs"]);
    let finished = mcp.finish();
    assert!(!finished.stderr.contains(SHOP_KEY));
    // The broken record is left as it was, for the person to look at.
    assert_eq!(std::fs::read_to_string(&docs_file).unwrap(), "{ not json");
}

/// What Claude Code gives its model of the tools `serve ARGS` lists: each one's name,
/// description and input schema, in bytes.
fn definition_bytes(env: &TestEnv, args: &[&str]) -> (usize, Value) {
    let mut mcp = McpSession::spawn(env, args);
    mcp.initialize_as("2025-06-18", "claude-code");
    let list = mcp.request("tools/list", json!({}));
    mcp.finish();
    let bytes = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            json!({"name": t["name"], "description": t["description"], "input_schema": t["inputSchema"]})
                .to_string()
                .len()
        })
        .sum();
    (bytes, list)
}

#[test]
fn one_profile_serves_the_tools_as_before_and_several_cost_little_more() {
    let s = sites();
    let (one, list) = definition_bytes(&s.env, &["--profile", "shop"]);
    assert!(!tool_names(&list).contains(&"compare_projects".to_string()));
    assert!(!list.to_string().contains("\"project\""), "{list}");
    // `project` on every tool and `compare_projects`: 2,135 bytes measured (docs/projects.md).
    let (two, _) = definition_bytes(&s.env, BOTH);
    assert!(two > one && two - one <= 2_500, "{one} → {two} bytes");
}

#[test]
fn hosted_profiles_and_shared_settings_are_refused_with_the_fix() {
    let s = sites();
    let mut config = std::fs::read_to_string(s.env.config_dir().join("config.toml")).unwrap();
    config.push_str("\n[profiles.zen]\nmcp_url = \"http://127.0.0.1:9/mcp\"\n");
    s.env.write_config(&config);
    let out = s
        .env
        .run(&["serve", "--profile", "shop", "--profile", "zen"], "");
    out.expect_code(2);
    out.stderr_has(&[
        "profile `zen` bridges a hosted MCP server",
        "install <client> --profile zen",
    ]);

    // `--all-profiles` leaves hosted profiles out, and says so; the top level (`default`),
    // never signed in, is listed with its fix.
    let out = s
        .env
        .run(&["call", "get_project", "--all-profiles"], "")
        .exits(0);
    out.stderr_has(&[
        "hosted MCP profiles are served one per `serve`",
        "left out: zen",
    ]);
    out.stdout_has(&["Shop site", "Docs site", "Project `default`: not signed in"]);

    let mut env = TestEnv::new();
    env.vars.clone_from(&s.env.vars);
    env.set("ANALYTICS_MCP_API_KEY", SHOP_KEY);
    let out = env
        .run(&["serve", "--profile", "shop", "--profile", "docs"], "")
        .exits(2);
    out.stderr_has(&[
        "ANALYTICS_MCP_API_KEY is set",
        "unset ANALYTICS_MCP_API_KEY",
    ]);
    assert!(!out.all().contains(SHOP_KEY));
}

#[test]
fn the_terminal_compares_and_picks_projects_too() {
    let s = sites();
    let out = over_both(&s.env, &["call", "compare_projects"]);
    out.expect_code(0);
    out.stdout_has(&[
        "shop · Shop site",
        "docs · Docs site",
        "fastest growth first",
    ]);
    // Two projects side by side fit an 80-column terminal: a column per project, a row per
    // metric, each with its change.
    let table: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("shop"))
        .take_while(|l| !l.starts_with("Projects:"))
        .collect();
    assert!(table.len() >= 6, "{}", out.stdout);
    assert!(table[0].contains("docs"), "{}", out.stdout);
    assert!(
        table[1].starts_with("Unique visitors") && table[1].matches('%').count() == 2,
        "{}",
        out.stdout
    );
    assert!(
        table.iter().all(|l| l.chars().count() <= 80),
        "{}",
        out.stdout
    );

    let out = over_both(&s.env, &["call", "get_project", "project=docs"]);
    out.expect_code(0);
    out.stdout_has(&["Docs site"]);
    assert!(!out.stdout.contains("Shop site"), "{}", out.stdout);

    // A wrong project is a usage mistake; a profile not signed in exits 4 with its own fix.
    let out = over_both(&s.env, &["call", "get_top_pages", "project=dcos"]);
    out.expect_code(2);
    out.stderr_has(&["Did you mean `docs`?"]);
    let mut config = std::fs::read_to_string(s.env.config_dir().join("config.toml")).unwrap();
    config.push_str(&format!(
        "\n[profiles.blog]\napi_url = \"{}\"\n",
        s.docs.url()
    ));
    s.env.write_config(&config);
    let out = s
        .env
        .run(
            &[
                "call",
                "get_realtime",
                "project=blog",
                "--profile",
                "shop",
                "--profile",
                "blog",
            ],
            "",
        )
        .exits(4);
    out.stderr_has(&["Project `blog`: not signed in", "login --profile blog"]);

    // With one profile there is nothing to compare, and the message says how.
    let out = s
        .env
        .run(&["call", "compare_projects", "--profile", "shop"], "");
    out.expect_code(2);
    out.stderr_has(&["--profile a --profile b"]);
}

#[test]
fn install_writes_one_entry_for_several_profiles_and_doctor_checks_each() {
    let s = sites();
    let out = over_both(&s.env, &["install", "cursor"]);
    out.expect_code(0);
    let path = s.env.dir.path().join(".cursor/mcp.json");
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let entry = &config["mcpServers"]["analytics"];
    let args: Vec<String> = serde_json::from_value(entry["args"].clone()).unwrap();
    assert_eq!(args, ["serve", "--profile", "shop", "--profile", "docs"]);
    assert!(!config.to_string().contains("hm_sk_"), "{config}");

    // The entry, started as the client starts it, serves both projects.
    let mut cmd = s.env.cmd();
    cmd.args(&args);
    let mut mcp = McpSession::spawn_command(cmd);
    mcp.initialize();
    let list = mcp.request("tools/list", json!({}));
    assert!(tool_names(&list).contains(&"compare_projects".to_string()));
    mcp.finish();

    let out = s.env.run(&["doctor"], "");
    out.stdout_has(&["2 projects:", "as profile shop", "as profile docs"]);
    // One profile's broken credential is named, with its own fix.
    std::fs::write(
        s.env.config_dir().join("credentials.docs.json"),
        "{ not json",
    )
    .unwrap();
    let out = s.env.run(&["doctor"], "").exits(1);
    out.stdout_has(&[
        "credentials.docs.json",
        "analytics-mcp login --profile docs",
    ]);

    // A hosted profile cannot join; nothing is written.
    let mut config = std::fs::read_to_string(s.env.config_dir().join("config.toml")).unwrap();
    config.push_str("\n[profiles.zen]\nmcp_url = \"http://127.0.0.1:9/mcp\"\n");
    s.env.write_config(&config);
    let before = std::fs::read(&path).unwrap();
    let out = s
        .env
        .run(
            &["install", "cursor", "--profile", "shop", "--profile", "zen"],
            "",
        )
        .exits(2);
    out.stderr_has(&["profile `zen` bridges a hosted MCP server"]);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    s.env
        .run(
            &["install", "cursor", "--all-profiles", "--name", "sites"],
            "",
        )
        .exits(0);
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        config["mcpServers"]["sites"]["args"],
        json!(["serve", "--all-profiles"])
    );
}

#[test]
fn the_python_sdk_lists_calls_and_validates_every_tool_in_the_second_project() {
    let Some(python) = python_sdk("mcp, jsonschema") else {
        return;
    };
    let s = sites();
    let mut cmd = std::process::Command::new(python);
    cmd.arg(repo().join("tests/python/check_projects.py"))
        .args([bin(), "shop", "docs"])
        .env_remove("ANALYTICS_MCP_API_KEY");
    for (k, v) in &s.env.vars {
        cmd.env(k, v);
    }
    let stdout = succeeded(&cmd.output().expect("run python"), "python SDK check");
    assert!(stdout.contains("all 15 tools passed"), "{stdout}");
    assert!(stdout.contains("ok compare_projects"), "{stdout}");
    // Every call named docs; docs' key never reached shop's origin.
    assert!(!s.shop.sandbox.received_credential(DOCS_KEY));
}

#[test]
fn the_inspector_lists_several_projects_tools_strictly() {
    let inspector = repo().join(".ci/node/node_modules/.bin/mcp-inspector");
    if !inspector.exists() && skip_or_fail("the MCP Inspector is not installed (.ci/node)") {
        return;
    }
    let s = sites();
    let mut cmd = std::process::Command::new(inspector);
    cmd.arg("--cli");
    // The Inspector starts the server with the environment it is given by `-e`.
    for (k, v) in &s.env.vars {
        cmd.args(["-e", &format!("{k}={v}")]);
    }
    cmd.args([bin(), "serve"])
        .args(BOTH)
        .args(["--method", "tools/list", "--strict"])
        .env("MCP_CATALOG_PATH", s.env.dir.path().join("catalog.json"))
        .env_remove("ANALYTICS_MCP_API_KEY");
    let out = cmd.output().expect("run inspector");
    let stdout = succeeded(&out, "inspector tools/list");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // --strict prints schema portability problems on stderr; there must be none.
    assert!(
        !stderr.contains("Warning") && !stderr.contains("Error"),
        "{stderr}"
    );
    let listed: Value = serde_json::from_str(&stdout).expect("tools/list JSON");
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(15));
}

#[test]
fn claude_code_connects_to_the_several_project_entry_install_added() {
    let Some(claude) = crate::common::model_api::node_program(&repo(), "claude") else {
        skip_or_fail("Claude Code is not installed (bash .ci/install-clients)");
        return;
    };
    let s = sites_in(crate::third_party::client_env());
    over_both(&s.env, &["install", "claude-code"]).expect_code(0);
    // `claude mcp get` starts the server as the entry says and reports; it exits 0 either way.
    let (_, text) = crate::third_party::run_client(&s.env, &claude, &["mcp", "get", "analytics"]);
    assert!(text.contains("✔ Connected"), "{text}");
    assert!(
        text.contains("Args: serve --profile shop --profile docs"),
        "{text}"
    );
}

#[test]
fn each_profiles_key_stays_bound_to_its_own_origin() {
    let s = sites();
    // docs is repointed at shop's API after signing in: its key was issued for docs' origin.
    s.env.write_config(&format!(
        "[profiles.shop]\napi_url = \"{0}\"\n\n[profiles.docs]\napi_url = \"{0}\"\n",
        s.shop.url()
    ));
    let mut mcp = session(&s.env, BOTH);
    let docs = json!({"project": "docs"});
    let (_, text) = refusal(&mut mcp, "get_analytics", docs, "was not sent");
    assert!(text.starts_with("Project `docs`: "), "{text}");
    let shop = mcp.call("get_analytics", json!({"project": "shop"}));
    assert_ne!(shop["isError"], true, "{shop}");
    mcp.finish();
    assert!(!s.shop.sandbox.received_credential(DOCS_KEY));
}
