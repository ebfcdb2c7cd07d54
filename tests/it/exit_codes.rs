//! The exit-code table (README "Exit codes", `src/error.rs`), one test per row, for Read API
//! and hosted profiles alike; with `--json`, a failure is also one JSON object on stdout. Each
//! row's output is a snapshot (exit code, stdout, stderr), as is `status` and `doctor`.
//! (130, Ctrl-C while waiting, is tested where there is something to wait for: device.rs.)

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::Value;

use crate::common::signin::use_fake_browser;
use crate::common::snap::assert_cmd_snapshot;
use crate::common::{TestEnv, TestSandbox, closed_port};

/// An environment signed in to `sb` with its key, through `login --with-key --api-url`.
fn signed_in(sb: &TestSandbox) -> TestEnv {
    let env = TestEnv::new();
    crate::first_run::login_with_key(&env, sb, &[]).expect_code(0);
    env
}

#[test]
fn row_0_success() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = signed_in(&sb);
    let out = env.run(&["status"], "").exits(0);
    assert_cmd_snapshot!("status_signed_in", out);
    let out = env.run(&["doctor"], "").exits(0);
    assert_cmd_snapshot!("doctor_all_good", out);
}

#[test]
fn row_1_failure() {
    let env = TestEnv::new();
    env.write_config("api_url = [1, 2]\n");
    let out = env.run(&["call", "get_analytics"], "").exits(1);
    assert_cmd_snapshot!("call_broken_config", out);
    // doctor with a check failing.
    let env = TestEnv::new();
    let out = env.run(&["doctor"], "").exits(1);
    assert_cmd_snapshot!("doctor_not_signed_in", out);
}

#[test]
fn row_2_usage_on_both_kinds_of_profile() {
    let env = TestEnv::new();
    // An unknown flag, an unknown argument, an unknown tool, an unknown profile.
    env.run(&["status", "--bogus"], "").exits(2);
    env.run(&["call", "get_analytics", "--demo", "perid=x"], "")
        .exits(2);
    env.run(&["call", "get_everything", "--demo"], "").exits(2);
    let out = env.run(&["logout", "--profile", "nope"], "").exits(2);
    assert_cmd_snapshot!("logout_unknown_profile", out);

    // The same unknown tool on a hosted profile: the same code.
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    env.run(
        &[
            "login",
            "--mcp-url",
            &sb.sandbox.mcp_url(),
            "--profile",
            "zen",
            "--timeout",
            "15",
        ],
        "",
    )
    .expect_code(0);
    let out = env
        .run(&["call", "get_everything", "--profile", "zen"], "")
        .exits(2);
    out.stderr_has(&["Unknown tool `get_everything`"]);
}

#[test]
fn row_3_the_tool_answered_with_an_error() {
    let sb = TestSandbox::start(SandboxOptions {
        faults: vec!["/revenue=503".parse().expect("fault")],
        ..SandboxOptions::default()
    });
    let env = signed_in(&sb);
    let out = env.run(&["call", "get_revenue"], "").exits(3);
    assert_cmd_snapshot!("call_upstream_503", out);
    // An API that cannot be reached, named with its cause.
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_KEY", sb.key());
    env.set(
        "ANALYTICS_MCP_API_URL",
        &format!("http://127.0.0.1:{}/api/v1", closed_port()),
    );
    let out = env.run(&["call", "get_analytics"], "").exits(3);
    out.stderr_has(&["connection refused"]);
    assert_cmd_snapshot!("call_connection_refused", out);
    // A base URL without /api/v1: the tool says so, not "the project id may be wrong".
    env.set("ANALYTICS_MCP_API_URL", &sb.sandbox.origin());
    let out = env.run(&["call", "get_project"], "").exits(3);
    out.stderr_has(&["lacks its /api/v1 path"]);
}

#[test]
fn row_4_not_signed_in() {
    let env = TestEnv::new();
    let out = env.run(&["call", "get_analytics"], "").exits(4);
    assert_cmd_snapshot!("call_not_signed_in", out);
    let out = env.run(&["status"], "").exits(4);
    assert_cmd_snapshot!("status_not_signed_in", out);
}

#[test]
fn row_5_the_api_could_not_be_reached_or_refused_the_credential() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = signed_in(&sb);
    // A rejected key at login: said so, and nothing stored.
    let out = env
        .run(
            &["login", "--with-key", "--api-url", &sb.url()],
            "hm_sk_wrong_0000000000000000\n",
        )
        .exits(5);
    assert_cmd_snapshot!("login_rejected_key", out);
    // A base URL without /api/v1.
    let origin = sb.sandbox.origin();
    let out = env
        .run(
            &["login", "--with-key", "--api-url", &origin],
            &format!("{}\n", sb.key()),
        )
        .exits(5);
    assert_cmd_snapshot!("login_without_api_v1", out);
    // Nothing listening: the refused connection and the host, at sign-in and at status.
    let down = format!("http://127.0.0.1:{}/api/v1", closed_port());
    let out = env
        .run(&["login", "--api-url", &down, "--no-browser"], "")
        .exits(5);
    out.stderr_has(&["connection refused"]);
    assert!(!out.stderr.contains("publishes no"), "{}", out.stderr);
    assert_cmd_snapshot!("login_connection_refused", out);
    let out = env.run(&["status", "--api-url", &down], "").exits(5);
    out.stderr_has(&["issued for", "hint: sign in for"]);
    // The stored credential is intact after all of that.
    env.run(&["status"], "").expect_code(0);
}

#[test]
fn with_json_a_failure_is_one_json_object_on_stdout() {
    let env = TestEnv::new();
    for (args, code, kind) in [
        (&["call", "get_analytics", "--json"][..], 4, "not_signed_in"),
        (
            &["call", "get_analytics", "--json", "--demo", "perid=x"][..],
            2,
            "usage",
        ),
        (
            &["call", "get_top_pages", "--json", "--demo", "--limit", "3"][..],
            2,
            "usage",
        ),
        (
            &["call", "get_everything", "--json", "--demo"][..],
            2,
            "usage",
        ),
        (&["tools", "--json", "--profile", "nope"][..], 2, "usage"),
    ] {
        let out = env.run(args, "");
        out.expect_code(code);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", out.stdout);
        let json: Value = serde_json::from_str(lines[0]).expect("one JSON object");
        assert_eq!(json["error"]["kind"], kind, "{json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        assert!(json["error"].get("hint").is_some(), "{json}");
    }
}
