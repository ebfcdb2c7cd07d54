//! Under upstream faults, hostile input and a busy client, `serve` keeps serving, loses nothing
//! and leaks nothing. Every case is a real tool call over stdio against a sandbox on 127.0.0.1;
//! `McpSession::finish` checks that stdout stayed pure JSON-RPC.

use std::time::{Duration, Instant};

use analytics_mcp_sandbox::{Fault, SandboxOptions};
use serde_json::{Value, json};

use crate::common::run::{error_message, refusal, session};
use crate::common::wait::wait_for;
use crate::common::{McpSession, TestEnv, TestSandbox, text_of};

/// A session against a sandbox with `faults`, the cache off so every call reaches it.
fn faulty(faults: Vec<Fault>, timeout: &str) -> (McpSession, TestSandbox, TestEnv) {
    let sb = TestSandbox::start(SandboxOptions {
        faults,
        ..SandboxOptions::default()
    });
    let mut env = sb.env();
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", timeout);
    env.write_config("cache_ttl_secs = 0\n");
    (session(&env, &[]), sb, env)
}

fn fault(spec: &str) -> Fault {
    spec.parse().expect("fault spec")
}

/// The error text of a call that must fail, after which a healthy call must still answer.
fn fails_then_serves(s: &mut McpSession, tool: &str, key: &str) -> String {
    let r = s.call(tool, json!({}));
    assert_eq!(r["isError"], true, "{tool} should fail: {r}");
    let text = text_of(&r);
    assert!(!text.contains(key), "key leaked: {text}");
    let next = s.call("get_project", json!({}));
    assert_eq!(next["isError"], false, "the next call must be answered");
    text
}

#[test]
fn every_upstream_fault_is_an_actionable_tool_error() {
    let (mut s, sb, _env) = faulty(
        vec![
            fault("/pages=500"),
            fault("/sources=502"),
            fault("/locations=503"),
            fault("/events=504"),
            fault("/revenue/customers=429:30"),
            fault("/channel-roi=invalid-json"),
            fault("/revenue/timeseries=html"),
            fault("/analytics/timeseries=huge:50"),
        ],
        "10",
    );
    let key = sb.key().to_string();
    let cases = [
        ("get_top_pages", "(500)"),
        ("get_traffic_sources", "(502)"),
        ("get_top_locations", "(503)"),
        ("get_events", "(504)"),
        ("get_top_customers", "Retry in 30 seconds"),
        ("get_channel_roi", "not JSON"),
        ("get_revenue_timeseries", "maintenance"),
        ("get_timeseries", "larger than 8 MiB"),
    ];
    for (tool, needle) in cases {
        let text = fails_then_serves(&mut s, tool, &key);
        assert!(text.contains(needle), "{tool}: {text}");
    }
    s.finish();
}

#[test]
fn transient_faults_are_retried_and_the_call_succeeds() {
    let (mut s, sb, _env) = faulty(
        vec![
            fault("/pages=503*2"),
            fault("/sources=reset*1"),
            fault("/locations=429:1*1"),
            fault("/events=502*3"),
        ],
        "10",
    );
    let before = sb.sandbox.stats().requests;
    // Two 503s, then the answer: two retries are allowed.
    assert_eq!(s.call("get_top_pages", json!({}))["isError"], false);
    // A connection reset mid-body, then the answer.
    assert_eq!(s.call("get_traffic_sources", json!({}))["isError"], false);
    // A 429 with a one-second Retry-After is waited out.
    let t = Instant::now();
    assert_eq!(s.call("get_top_locations", json!({}))["isError"], false);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );
    // Three 502s are one more than the retries allowed.
    let r = s.call("get_events", json!({}));
    assert!(text_of(&r).contains("(502)"), "{}", text_of(&r));
    // 1 GET /me + 3 + 2 + 2 + 3 attempts.
    assert_eq!(sb.sandbox.stats().requests - before, 11);
    s.finish();
}

#[test]
fn timeouts_stalled_and_dropped_bodies_end_at_the_deadline() {
    let (mut s, sb, _env) = faulty(
        vec![
            fault("/pages=delay:5000"),
            fault("/sources=stall"),
            fault("/events=reset"),
        ],
        "1",
    );
    let key = sb.key().to_string();
    for tool in ["get_top_pages", "get_traffic_sources"] {
        let t = Instant::now();
        let text = fails_then_serves(&mut s, tool, &key);
        assert!(
            text.contains("did not answer within 1 seconds"),
            "{tool}: {text}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(4),
            "{tool} took {:?}",
            t.elapsed()
        );
    }
    let text = fails_then_serves(&mut s, "get_events", &key);
    assert!(text.contains("dropped in the middle"), "{text}");
    s.finish();
}

#[test]
fn a_redirect_to_another_origin_never_carries_the_key() {
    let elsewhere = TestSandbox::start(SandboxOptions::default());
    let target = format!("{}/projects/prj_demo_northwind/pages", elsewhere.url());
    let (mut s, sb, _env) = faulty(vec![fault(&format!("/pages=redirect:{target}"))], "5");
    let text = fails_then_serves(&mut s, "get_top_pages", sb.key());
    assert!(
        text.contains("redirect") && text.contains("never sent to another address"),
        "{text}"
    );
    s.finish();
    let seen = elsewhere.sandbox.stats();
    assert_eq!(
        (seen.requests, seen.credentialed),
        (0, 0),
        "the other origin saw nothing"
    );
}

#[test]
fn cancellation_drops_the_upstream_request() {
    let (mut s, sb, _env) = faulty(vec![fault("/pages=delay:3000")], "10");
    s.send(&json!({"jsonrpc": "2.0", "id": 77, "method": "tools/call",
        "params": {"name": "get_top_pages", "arguments": {}}}));
    // Cancelled while the upstream is holding the request; then wait until it sees the
    // request dropped (or the delay would have ended).
    let limit = Duration::from_secs(15);
    assert!(wait_for(limit, || sb.sandbox.stats().delays_started == 1));
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 77, "reason": "user gave up"}}),
    );
    wait_for(limit, || {
        let stats = sb.sandbox.stats();
        stats.delays_abandoned + stats.delays_done >= 1
    });
    assert_eq!(
        s.call("get_project", json!({}))["isError"],
        false,
        "still serving"
    );
    s.finish();
    assert_eq!(
        sb.sandbox.stats().delays_done,
        0,
        "the upstream request was abandoned"
    );
}

#[test]
fn hostile_json_rpc_input_is_refused_and_serving_continues() {
    let (mut s, _sb, _env) = faulty(vec![], "5");
    // A line over the 4 MiB cap.
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"get_events\",\"arguments\":{{\"eventName\":\"{}\"}}}}}}",
        "x".repeat(5 * 1024 * 1024)
    );
    s.send_raw(&huge);
    let r = s.recv();
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(error_message(&r).contains("larger than 4 MiB"));
    // Nesting deeper than any parser should follow.
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    s.send_raw(&format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{{\"name\":\"get_events\",\"arguments\":{{\"eventName\":{deep}}}}}}}"
    ));
    assert_eq!(s.recv()["error"]["code"], -32700);
    // NaN is not JSON.
    s.send_raw(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_top_pages","arguments":{"limit":NaN}}}"#);
    assert_eq!(s.recv()["error"]["code"], -32700);
    // Invalid UTF-8.
    s.send_bytes(b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"x\":\"\xff\xfe\"}\n");
    let r = s.recv();
    assert_eq!(r["error"]["code"], -32700);
    assert!(error_message(&r).contains("UTF-8"));

    let bad_args = [
        ("get_top_pages", json!({"limit": -5}), "1 to 100"),
        ("get_top_pages", json!({"limit": 1e300}), "`limit`"),
        (
            "get_top_pages",
            json!({"limit": 18446744073709551616u128 as f64}),
            "`limit`",
        ),
        // A number written as a string is read as one (issue 20: `limit=05` is 5); words are not.
        ("get_top_pages", json!({"limit": "ten"}), "`limit`"),
        (
            "get_analytics",
            json!({"startDate": 20261101}),
            "`startDate`",
        ),
        ("get_analytics", json!({"period": ["today"]}), "`period`"),
        (
            "get_analytics",
            json!({"admin": true}),
            "unknown argument `admin`",
        ),
        (
            "get_events",
            json!({"eventName": "x".repeat(100_000)}),
            "at most 200 characters",
        ),
        (
            "get_events",
            json!({"eventName": "a\u{0}b"}),
            "at most 200 characters",
        ),
    ];
    for (tool, args, needle) in bad_args {
        let (_, text) = refusal(&mut s, tool, args, needle);
        assert!(text.len() < 600, "errors stay short even for huge input");
    }
    assert_eq!(s.call("get_project", json!({}))["isError"], false);
    s.finish();
}

#[test]
fn trace_logging_shows_no_secret() {
    let (s, sb, mut env) = faulty(vec![fault("/pages=503*1")], "5");
    s.finish();
    env.set("RUST_LOG", "trace");
    let mut s = session(&env, &[]);
    for tool in ["get_top_pages", "get_analytics", "get_realtime"] {
        assert_eq!(s.call(tool, json!({}))["isError"], false);
    }
    let done = s.finish();
    assert!(
        done.stderr.contains("TRACE") || done.stderr.contains("DEBUG"),
        "trace logs were on"
    );
    assert!(
        !done.stderr.contains(sb.key()),
        "the key appeared in trace logs"
    );
    assert!(!done.stderr.contains(&sb.key()[6..]));
}

#[test]
fn stray_responses_and_unknown_notifications_never_end_the_session() {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    let strays = [
        json!({"jsonrpc": "2.0", "id": 7, "result": {}}),
        json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -32000, "message": "no"}}),
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}}),
        json!({"jsonrpc": "2.0", "method": "notifications/whatever", "params": {}}),
    ];
    for stray in &strays {
        s.send(stray);
    }
    let init = s.initialize();
    assert_eq!(init["serverInfo"]["name"], "analytics-mcp", "{init}");
    for stray in &strays {
        s.send(stray);
    }
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], false, "{r}");
    // More requests whose params do not fit their method than there are slots in flight:
    // each is answered with its own id, and none keeps a slot.
    for i in 0..40 {
        s.send(&json!({"jsonrpc": "2.0", "id": 500 + i, "method": "tools/call", "params": 5}));
        let answer = s.recv_id(&json!(500 + i));
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
    }
    let r = s.call("get_top_pages", json!({}));
    assert_eq!(r["isError"], false, "{r}");
    let done = s.finish();
    // Nothing was answered for the strays themselves (they are not requests).
    for line in &done.stdout_lines {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(
            v["id"] != 7 && v["id"] != "x",
            "a stray got an answer: {line}"
        );
    }
}
