//! The terminal side: `call`, `tools`, `sandbox`, `--help`, settings errors and exit codes.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::Value;

use crate::common::{TestEnv, TestSandbox};

#[test]
fn call_prints_a_table_and_json_with_demo() {
    let env = TestEnv::new();
    let out = env
        .run_words(
            "call get_top_pages --demo limit=3 startDate=2026-10-01 endDate=2026-10-07",
            "",
        )
        .exits(0);
    insta::assert_snapshot!("call_top_pages_text", out.stdout);

    let out = env
        .run(
            &["call", "get_top_pages", "--demo", "--json", "limit=3"],
            "",
        )
        .exits(0);
    let json: Value = serde_json::from_str(&out.stdout).expect("--json prints JSON");
    assert_eq!(json["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        json["request"]["params"]["limit"], "4",
        "one more than shown"
    );
    assert_eq!(json["rows"]["truncated"], true);
    // A script gets every upstream field, including those the model is not sent.
    assert!(json["data"][0]["title"].is_string(), "{json}");
    assert!(json["window"]["start"].is_string(), "{json}");
}

#[test]
fn call_exit_codes_follow_the_table() {
    let env = TestEnv::new();
    // 2: an argument out of range is a mistake in the command line, like an unknown flag.
    let out = env
        .run(&["call", "get_top_pages", "--demo", "limit=0"], "")
        .exits(2);
    out.stderr_has(&["error: Invalid arguments for get_top_pages"]);
    assert!(out.stdout.is_empty());
    // 2: unknown tool or malformed argument.
    let out = env.run(&["call", "get_everything"], "").exits(2);
    out.stderr_has(&["Unknown tool", "analytics-mcp tools"]);
    let out = env.run(&["call", "get_top_pages", "limit"], "").exits(2);
    out.stderr_has(&["name=value"]);
    // 4: not signed in.
    let out = env.run(&["call", "get_analytics"], "").exits(4);
    out.stderr_has(&["not signed in", "--demo"]);
}

#[test]
fn call_reports_upstream_errors_with_exit_3() {
    let sb = TestSandbox::start(SandboxOptions {
        faults: vec!["/revenue=503".parse().expect("fault")],
        ..SandboxOptions::default()
    });
    let env = sb.env();
    let out = env.run(&["call", "get_revenue"], "").exits(3);
    out.stderr_has(&["503"]);
}

#[test]
fn tools_lists_every_tool_with_its_parameters() {
    let env = TestEnv::new();
    let out = env.run(&["tools"], "").exits(0);
    insta::assert_snapshot!("tools_text", out.stdout);
    let out = env.run(&["tools", "--json"], "");
    let json: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["tools"].as_array().map(Vec::len), Some(14));
}

#[test]
fn help_lists_the_commands() {
    let env = TestEnv::new();
    let out = env.run(&["--help"], "").exits(0);
    insta::assert_snapshot!("help", out.stdout);
    env.run(&["frobnicate"], "").exits(2);
}

#[test]
fn insecure_api_urls_and_bad_config_are_refused_clearly() {
    let env = TestEnv::new();
    let out = env
        .run_words(
            "call get_analytics --api-url http://analytics.example.com/api/v1",
            "",
        )
        .exits(1);
    out.stderr_has(&["only https is allowed"]);

    let env = TestEnv::new();
    env.write_config("[endpoints]\nget_pages = \"/x\"\n");
    let out = env.run(&["call", "get_analytics"], "").exits(1);
    out.stderr_has(&["unknown tool `get_pages`", "get_top_pages"]);

    let env = TestEnv::new();
    env.write_config("api_url = \n");
    let out = env.run(&["status"], "").exits(1);
    out.stderr_has(&["config.toml is not valid"]);
}

#[test]
fn config_file_sets_the_base_url_and_overrides_a_path() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_KEY", sb.key());
    // The sandbox has no `/top-pages`; pointing get_top_pages at `/pages` under another
    // spelling proves the override is used.
    env.write_config(&format!(
        "api_url = \"{}\"\n[endpoints]\nget_top_pages = \"/projects/{{project}}/pages\"\nget_events = \"/projects/{{project}}/top-events\"\n",
        sb.url()
    ));
    env.run(&["call", "get_top_pages", "--json", "limit=2"], "")
        .exits(0);
    let out = env.run(&["call", "get_events"], "").exits(3);
    out.stderr_has(&["/projects/prj_demo_northwind/top-events"]);
}

#[test]
fn project_flag_skips_the_me_lookup() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = sb.env();
    let out = env
        .run(
            &["call", "get_realtime", "--json", "--project", "prj_other"],
            "",
        )
        .exits(3);
    out.stderr_has(&["/projects/prj_other/analytics/realtime"]);
}

#[test]
fn sandbox_command_prints_url_and_key_first_and_serves_them() {
    let env = TestEnv::new();
    let mut child = env
        .cmd()
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sandbox");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().expect("url line").expect("read");
    let key = lines.next().expect("key line").expect("read");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1"),
        "{url}"
    );
    assert!(key.starts_with("hm_sk_"), "{key}");

    let mut env2 = TestEnv::new();
    env2.set("ANALYTICS_MCP_API_URL", &url);
    env2.set("ANALYTICS_MCP_API_KEY", &key);
    let out = env2.run(&["call", "get_project", "--json"], "");
    let _ = child.kill();
    let _ = child.wait();
    out.expect_code(0);
    out.stdout_has(&["prj_demo_northwind"]);
}

#[test]
fn status_and_login_use_the_configured_me_path() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = sb.env();
    env.write_config("[endpoints]\nget_project = \"/whoami\"\n");
    let out = env.run(&["status"], "").exits(5);
    out.stderr_has(&["/whoami", "404"]);
    let out = env.run(&["call", "get_project"], "");
    assert!(
        out.stderr.contains("/whoami"),
        "tools and commands agree: {}",
        out.stderr
    );
}
