//! Every class of upstream failure becomes a tool result with `isError: true` and one
//! actionable sentence, never a key, and the server keeps serving.

use analytics_mcp_sandbox::{Fault, SandboxOptions};
use serde_json::json;

use crate::common::run::session;
use crate::common::{McpSession, TestEnv, TestSandbox, closed_port, text_of};

fn faulty(faults: &[&str]) -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        faults: faults
            .iter()
            .map(|f| f.parse::<Fault>().expect("fault spec"))
            .collect(),
        ..SandboxOptions::default()
    })
}

/// Calls `tool` and returns the error text, checking the shape every error shares.
fn error_text(s: &mut McpSession, tool: &str, key: &str) -> String {
    let r = s.call(tool, json!({}));
    assert_eq!(r["isError"], true, "{tool}: {r}");
    assert!(r.get("structuredContent").is_none());
    let text = text_of(&r);
    assert!(!text.contains(key), "the key leaked into an error: {text}");
    assert!(!text.contains("panicked") && !text.contains("backtrace"));
    text
}

#[test]
fn http_error_statuses_each_get_an_actionable_sentence() {
    let sb = faulty(&[
        "/pages=403",
        "/sources=429:17",
        "/events=500",
        "/revenue/customers=503",
        "/channel-roi=418",
    ]);
    let env = sb.env();
    env.write_config("[endpoints]\nget_top_locations = \"/projects/{project}/no-such-endpoint\"\n");
    let mut s = session(&env, &[]);
    let key = sb.key().to_string();

    let t = error_text(&mut s, "get_top_pages", &key);
    assert!(t.contains("403") && t.contains("plan"), "{t}");
    let t = error_text(&mut s, "get_traffic_sources", &key);
    assert!(
        t.contains("429") && t.contains("Retry in 17 seconds"),
        "{t}"
    );
    let t = error_text(&mut s, "get_events", &key);
    assert!(t.contains("500") && t.contains("retry"), "{t}");
    let t = error_text(&mut s, "get_top_customers", &key);
    assert!(t.contains("503") && t.contains("provider's side"), "{t}");
    let t = error_text(&mut s, "get_channel_roi", &key);
    assert!(t.contains("418"), "{t}");
    let t = error_text(&mut s, "get_top_locations", &key);
    assert!(
        t.contains("404") && t.contains("no-such-endpoint") && t.contains("[endpoints]"),
        "{t}"
    );

    // Still serving, and the healthy endpoints still answer.
    assert_eq!(s.call("get_analytics", json!({}))["isError"], false);
    let done = s.finish();
    assert!(!done.stderr.contains(&key));
}

#[test]
fn a_wrong_key_says_sign_in_again() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    env.set("ANALYTICS_MCP_API_KEY", "hm_sk_wrong_key_00000000000000");
    let mut s = session(&env, &[]);
    let t = error_text(&mut s, "get_analytics", "hm_sk_wrong_key_00000000000000");
    assert!(
        t.contains("401") && t.contains("analytics-mcp login"),
        "{t}"
    );
    assert!(
        t.contains("Invalid API key"),
        "the upstream's own words are kept: {t}"
    );
    s.finish();
}

#[test]
fn the_sandbox_rate_limit_surfaces_as_a_retry_hint() {
    let sb = TestSandbox::rate_limited(3);
    let mut env = sb.env();
    env.set("ANALYTICS_MCP_PROJECT", "prj_demo_northwind");
    // Every call must reach the sandbox, not the cache.
    env.write_config("cache_ttl_secs = 0\n");
    let mut s = session(&env, &[]);
    for _ in 0..3 {
        assert_eq!(s.call("get_realtime", json!({}))["isError"], false);
    }
    let t = error_text(&mut s, "get_realtime", sb.key());
    assert!(t.contains("429") && t.contains("Retry in"), "{t}");
    s.finish();
}

#[test]
fn timeouts_refused_connections_and_non_json_bodies() {
    let sb = faulty(&["/pages=delay:3000", "/events=html"]);
    let mut env = sb.env();
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", "0.5");
    let mut s = session(&env, &[]);
    let key = sb.key().to_string();
    let t = error_text(&mut s, "get_top_pages", &key);
    assert!(t.contains("did not answer within"), "{t}");
    let t = error_text(&mut s, "get_events", &key);
    assert!(t.contains("not JSON") && t.contains("maintenance"), "{t}");
    assert_eq!(s.call("get_revenue", json!({}))["isError"], false);
    s.finish();

    let mut env = TestEnv::new();
    env.set(
        "ANALYTICS_MCP_API_URL",
        &format!("http://127.0.0.1:{}/api/v1", closed_port()),
    );
    env.set("ANALYTICS_MCP_API_KEY", &key);
    let mut s = session(&env, &[]);
    let t = error_text(&mut s, "get_analytics", &key);
    assert!(
        t.contains("Could not connect") && t.contains("127.0.0.1"),
        "{t}"
    );
    s.finish();
}
