//! Bridging a hosted MCP server: the sandbox's Streamable HTTP endpoint (`/mcp`, behind its
//! OAuth server) reached through `serve --profile`, `call` and `tools`, over real stdio and
//! real HTTP.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::SandboxOptions;
use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::signin::{
    expire_now, hosted_profile, set_expiry_in, store_hosted_key, stored_at, use_fake_browser,
};
use crate::common::{McpSession, TestEnv, TestSandbox, text_of, tool_names};

fn hosted_sandbox(oauth: OAuthOptions, errors: &[(&str, i64)]) -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        oauth,
        mcp_errors: errors
            .iter()
            .map(|(t, c)| (t.to_string(), *c))
            .collect::<HashMap<_, _>>(),
        ..SandboxOptions::default()
    })
}

/// A signed-in profile `zen` bridging the sandbox's MCP endpoint (browser sign-in through the
/// fake browser), with `extra` lines added to its table.
fn signed_in(sb: &TestSandbox, extra: &str) -> TestEnv {
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    env.write_config(&format!(
        "[profiles.zen]\nmcp_url = \"{}\"\n{extra}",
        sb.sandbox.mcp_url()
    ));
    env.run(&["login", "--profile", "zen", "--timeout", "15"], "")
        .exits(0);
    env
}

fn credentials(env: &TestEnv) -> std::path::PathBuf {
    env.config_dir().join("credentials.zen.json")
}

fn stored(env: &TestEnv) -> Value {
    stored_at(&credentials(env))
}

fn set_expiry(env: &TestEnv, from_now: i64) {
    set_expiry_in(&credentials(env), from_now);
}

#[test]
fn login_mcp_url_creates_the_profile_and_signs_in_to_the_mcp_resource() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    env.write_config("# my settings\nmask_emails = true\n");
    let out = env.login_zen(&sb.sandbox.mcp_url(), &["--timeout", "15"], "");
    out.expect_code(0);
    out.stderr_has(&["with the browser to http://127.0.0.1"]);
    out.stderr_has(&[": 8 tools"]);
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).expect("config");
    assert!(
        config.starts_with("# my settings\nmask_emails = true\n"),
        "{config}"
    );
    assert!(config.contains("[profiles.zen]"), "{config}");
    let record = stored(&env);
    assert_eq!(
        record["oauth"]["resource"],
        sb.sandbox.mcp_url(),
        "the token is for the MCP URL"
    );

    let out = env.run(&["profiles"], "");
    out.stdout_has(&["(hosted MCP)"]);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("zen") && l.contains("signed in (OAuth token")),
        "{}",
        out.stdout
    );

    // --mcp-url without --profile is refused before anything is written.
    env.run(&["login", "--mcp-url", &sb.sandbox.mcp_url()], "")
        .exits(2);
}

#[test]
fn serve_forwards_tools_prompts_resources_and_completion_with_filters() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(
        &sb,
        "tools = [\"get_*\", \"list_*\"]\nexclude_tools = [\"get_api_usage\"]\n",
    );
    let mut s = McpSession::spawn(&env, &["--profile", "zen"]);
    let init = s.initialize();
    assert!(
        init["instructions"]
            .as_str()
            .unwrap_or_default()
            .contains("/mcp"),
        "{init}"
    );

    let list = s.request("tools/list", json!({}));
    assert_eq!(
        tool_names(&list),
        vec!["list_websites", "get_visitors"],
        "{list}"
    );

    let result = s.call(
        "get_visitors",
        json!({"website_id": "web_northwind", "compare": true}),
    );
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["structuredContent"]["visitors"], 9167);
    assert_eq!(result["structuredContent"]["previous"], 8834);

    // Filtered out: the model is told, and the upstream never sees the call.
    let calls = sb.sandbox.mcp_stats().tool_calls;
    let result = s.call("get_api_usage", json!({}));
    assert_eq!(result["isError"], true);
    assert!(
        text_of(&result).contains("not among this profile's tools"),
        "{result}"
    );
    assert_eq!(sb.sandbox.mcp_stats().tool_calls, calls);

    let prompts = s.request("prompts/list", json!({}));
    assert_eq!(
        prompts["result"]["prompts"][0]["name"], "traffic_summary",
        "{prompts}"
    );
    let prompt = s.request(
        "prompts/get",
        json!({"name": "traffic_summary", "arguments": {"website_id": "web_docs"}}),
    );
    assert!(prompt.to_string().contains("website web_docs"), "{prompt}");
    let read = s.request("resources/read", json!({"uri": "zenovay://websites"}));
    assert!(read.to_string().contains("web_northwind"), "{read}");
    let done = s.request(
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "traffic_summary"}, "argument": {"name": "website_id", "value": "web"}}),
    );
    assert_eq!(
        done["result"]["completion"]["values"],
        json!(["web_northwind", "web_docs"]),
        "{done}"
    );
    let finished = s.finish();
    for line in finished.stdout_lines {
        serde_json::from_str::<Value>(&line).expect("stdout carries JSON-RPC only");
    }
}

#[test]
fn tools_and_call_work_from_the_terminal() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(&sb, "");
    let out = env.run(&["tools", "--profile", "zen"], "").exits(0);
    out.stdout_has(&["get_visitors", "website_id"]);
    let out = env
        .run_words(
            "call get_visitors website_id=web_docs --json --profile zen",
            "",
        )
        .exits(0);
    let data: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(data["visitors"], 2140);
    let out = env
        .run_words("call get_visitors website_id=nope --profile zen", "")
        .exits(3);
    out.stderr_has(&["Unknown website_id"]);
}

/// `call get_visitors` for one website through the hosted profile `zen`.
fn call_visitors(env: &TestEnv) -> crate::common::Output {
    env.run_words("call get_visitors website_id=web_docs --profile zen", "")
}

#[test]
fn each_upstream_error_code_becomes_an_actionable_tool_result() {
    for (code, expect) in [
        (-32002, "needs a higher plan"),
        (-32003, "do not retry before 00:00 UTC"),
        (-32007, "needs write permission"),
        (-32008, "not enabled for this organization"),
    ] {
        let sb = hosted_sandbox(OAuthOptions::default(), &[("get_visitors", code)]);
        let env = signed_in(&sb, "");
        let out = call_visitors(&env);
        assert_eq!(out.code, 3, "{code}: {}", out.all());
        assert!(out.stderr.contains(expect), "{code}: {}", out.stderr);
        assert_eq!(
            sb.sandbox.oauth_stats().refreshes,
            0,
            "{code} is not a sign-in problem"
        );
    }
    // -32601: a tool the server does not have, exit 2 as on a Read API profile.
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(&sb, "");
    let out = env
        .run(&["call", "get_funnels", "--profile", "zen"], "")
        .exits(2);
    out.stderr_has(&["Unknown tool `get_funnels` on this hosted server"]);

    // -32001: refreshed once, then "sign in again" naming the profile.
    let sb = hosted_sandbox(OAuthOptions::default(), &[("get_visitors", -32001)]);
    let env = signed_in(&sb, "");
    let out = call_visitors(&env);
    out.expect_code(3);
    out.stderr_has(&["analytics-mcp login --profile zen"]);
    assert_eq!(
        sb.sandbox.oauth_stats().refreshes,
        1,
        "one refresh before giving up"
    );
    assert_eq!(
        sb.sandbox.mcp_stats().tool_calls,
        2,
        "the call was tried again once"
    );
}

#[test]
fn an_expired_token_is_refreshed_mid_session_and_a_dropped_session_is_reestablished() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(&sb, "");
    let mut s = session(&env, &["--profile", "zen"]);
    let first = s.call("list_websites", json!({}));
    assert_eq!(first["isError"], false, "{first}");

    // (On a loaded machine the first call may already have refreshed: count from here.)
    let before = sb.sandbox.oauth_stats().refreshes;
    // The token's lifetime runs out, for the sandbox (which no longer accepts it) and in the
    // store (its recorded expiry is past), which the running process reads again when the
    // file changes, as it would after another process's refresh.
    expire_now(&sb, &credentials(&env));
    let again = s.call("get_visitors", json!({"website_id": "web_northwind"}));
    assert_eq!(again["isError"], false, "{again}");
    assert_eq!(sb.sandbox.oauth_stats().refreshes, before + 1);
    assert_eq!(
        sb.sandbox.oauth_stats().bearer_rejected,
        0,
        "refreshed before expiry"
    );

    // The upstream forgets its sessions (a restart): the bridge starts a new one and the
    // call goes through.
    let sessions = sb.sandbox.mcp_stats().sessions_created;
    sb.sandbox.drop_mcp_sessions();
    let after = s.call("get_visitors", json!({"website_id": "web_docs"}));
    assert_eq!(after["isError"], false, "{after}");
    let stats = sb.sandbox.mcp_stats();
    assert!(stats.unknown_sessions >= 1, "{stats:?}");
    assert_eq!(stats.sessions_created, sessions + 1, "{stats:?}");
    s.finish();
}

#[test]
fn two_serve_processes_share_one_refresh_token() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(&sb, "");
    set_expiry(&env, -10);
    let mut a = McpSession::spawn(&env, &["--profile", "zen"]);
    let mut b = McpSession::spawn(&env, &["--profile", "zen"]);
    a.initialize();
    b.initialize();
    for (s, id) in [(&mut a, 7001), (&mut b, 7002)] {
        s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "list_websites", "arguments": {}}}));
    }
    for (s, id) in [(&mut a, 7001), (&mut b, 7002)] {
        let resp = s.recv_id(&json!(id));
        assert_eq!(resp["result"]["isError"], false, "{resp}");
    }
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(
        (stats.refreshes, stats.refresh_rejected),
        (1, 0),
        "{stats:?}"
    );
    a.finish();
    b.finish();
}

#[test]
fn a_static_key_in_a_configurable_header_works_and_no_sign_in_says_how() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = TestEnv::new();
    let url = sb.sandbox.mcp_url();
    // The profile is created even though this first key is refused (and not stored).
    let out = env.login_zen(
        &url,
        &["--key-header", "X-API-Key", "--with-key"],
        "wrong-key-123\n",
    );
    out.expect_code(5);
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).expect("config");
    assert!(config.contains("key_header = \"X-API-Key\""), "{config}");
    assert!(!credentials(&env).exists());

    // Not signed in: the server starts, and the client is told how to sign in.
    let mut s = session(&env, &["--profile", "zen"]);
    let list = s.request("tools/list", json!({}));
    assert!(
        list.to_string()
            .contains("analytics-mcp login --profile zen"),
        "{list}"
    );
    s.finish();

    let out = env
        .run(
            &["login", "--with-key", "--profile", "zen"],
            &format!("{}\n", sb.key()),
        )
        .exits(0);
    out.stderr_has(&["sent as X-API-Key"]);
    assert!(!out.all().contains(sb.key()), "the key is never printed");
    let out = env
        .run(&["call", "list_websites", "--profile", "zen"], "")
        .exits(0);
    out.stdout_has(&["web_northwind"]);

    // A wrong key is refused and the stored one stays.
    env.run(
        &["login", "--with-key", "--profile", "zen"],
        "wrong-key-123\n",
    )
    .exits(5);
    let out = env.run(&["call", "list_websites", "--profile", "zen"], "");
    assert_eq!(out.code, 0, "the earlier key still works: {}", out.all());
}

#[test]
fn list_changed_notifications_and_cancellation_pass_through() {
    let sb = hosted_sandbox(OAuthOptions::default(), &[]);
    let env = signed_in(&sb, "");
    let mut s = session(&env, &["--profile", "zen"]);
    assert!(!tool_names(&s.request("tools/list", json!({}))).contains(&"get_funnels".to_string()));

    // The upstream announces a changed tool list inside its answer; our client hears it.
    let result = s.call("enable_beta_tools", json!({}));
    assert_eq!(result["isError"], false, "{result}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let heard = |lines: &[String]| {
        lines
            .iter()
            .any(|l| l.contains("notifications/tools/list_changed"))
    };
    while !heard(&s.stdout_lines) && std::time::Instant::now() < deadline {
        s.send(&json!({"jsonrpc": "2.0", "id": 8000, "method": "ping"}));
        s.recv_id(&json!(8000));
    }
    assert!(heard(&s.stdout_lines), "{:?}", s.stdout_lines);
    assert!(tool_names(&s.request("tools/list", json!({}))).contains(&"get_funnels".to_string()));

    // A cancelled call is cancelled upstream too, and the session carries on.
    s.send(&json!({"jsonrpc": "2.0", "id": 9001, "method": "tools/call", "params": {"name": "slow_report", "arguments": {}}}));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sb.sandbox.mcp_stats().tool_calls < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9001, "reason": "user stopped"}}));
    while sb.sandbox.mcp_stats().cancellations == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sb.sandbox.mcp_stats().cancellations, 1);
    let after = s.call("list_websites", json!({}));
    assert_eq!(after["isError"], false, "{after}");
    s.finish();
}

#[test]
fn without_protected_resource_metadata_the_servers_own_origin_is_asked() {
    // Zenovay publishes only /.well-known/oauth-authorization-server on the API's origin.
    let sb = hosted_sandbox(
        OAuthOptions {
            resource_metadata: false,
            ..OAuthOptions::default()
        },
        &[],
    );
    let env = signed_in(&sb, "");
    let record = stored(&env);
    assert_eq!(record["oauth"]["issuer"], sb.sandbox.origin());
    assert_eq!(record["oauth"]["resource"], sb.sandbox.mcp_url());
    env.run(&["call", "list_websites", "--profile", "zen"], "")
        .exits(0);
}

/// A hosted profile `zen` with its key stored, whose server accepts `method` and never answers
/// it, and a 1 s deadline.
fn hosted_hanging_on(method: &str) -> (TestSandbox, TestEnv) {
    let sb = TestSandbox::start(SandboxOptions {
        mcp_hang: vec![method.into()],
        ..SandboxOptions::default()
    });
    let mut env = hosted_profile(&sb);
    store_hosted_key(&env, sb.key(), &sb.sandbox.origin());
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", "1");
    (sb, env)
}

#[test]
fn a_hosted_server_that_never_answers_costs_one_deadline() {
    // Hangs on initialize: `call` gives up at the deadline with what to do.
    let (_hung, env) = hosted_hanging_on("initialize");
    let started = Instant::now();
    let out = env
        .run(&["call", "list_websites", "--profile", "zen"], "")
        .exits(3);
    out.stderr_has(&["did not answer", "timeout_secs"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // Hangs on tools/call: `serve` answers that call with an error and keeps serving.
    let (_slow, env) = hosted_hanging_on("tools/call");
    let mut s = session(&env, &["--profile", "zen"]);
    let r = s.call("list_websites", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(text_of(&r).contains("did not answer"), "{r}");
    let list = s.request("tools/list", json!({}));
    assert!(
        list["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{list}"
    );
    s.finish();
}
