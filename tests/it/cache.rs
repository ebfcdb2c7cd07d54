//! The answer cache of `serve`, as a client sees it: the same question asked again is answered
//! from memory with a "Reused answer from …" note and no new upstream request; realtime
//! answers are reused for 10 s at most whatever `cache_ttl_secs` says; identical calls in
//! flight at once share one request; an error is never kept. Real stdio, the sandbox on
//! 127.0.0.1 counting what reaches it.

use std::time::Duration;

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::wait::wait_for;
use crate::common::{McpSession, TestSandbox, text_of};

/// `serve` against `sb` with `config` written, initialized.
fn serve(sb: &TestSandbox, config: &str) -> McpSession {
    let env = sb.env();
    env.write_config(config);
    let mut s = session(&env, &[]);
    s
}

/// Whether a tool result's text says it was reused.
fn reused(r: &Value) -> bool {
    text_of(r).contains("(Reused answer from ")
}

#[test]
fn the_same_question_again_is_answered_from_memory_and_says_so() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut s = serve(&sb, "");
    let first = s.call("get_top_pages", json!({"limit": 3}));
    assert_eq!(first["isError"], false, "{first}");
    assert!(!reused(&first), "{first}");
    let requests = sb.sandbox.stats().requests;

    let again = s.call("get_top_pages", json!({"limit": 3}));
    assert_eq!(again["isError"], false, "{again}");
    assert!(reused(&again), "{again}");
    assert!(
        again["structuredContent"]
            .to_string()
            .contains("Reused answer from "),
        "a model reading only the structured content is told too: {again}"
    );
    let note = text_of(&again);
    let stamp = note
        .split("(Reused answer from ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(" UTC.)"))
        .unwrap_or_else(|| panic!("no time in the note: {note}"));
    assert!(
        jiff::civil::Time::strptime("%H:%M:%S", stamp).is_ok(),
        "{stamp}"
    );
    assert_eq!(
        sb.sandbox.stats().requests,
        requests,
        "the reused answer went upstream"
    );

    // Another question is asked upstream.
    let other = s.call("get_top_pages", json!({"limit": 4}));
    assert!(!reused(&other), "{other}");
    assert!(sb.sandbox.stats().requests > requests);
    s.finish();
}

#[test]
fn with_the_cache_off_every_call_goes_upstream() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut s = serve(&sb, "cache_ttl_secs = 0\n");
    let first = s.call("get_top_pages", json!({"limit": 3}));
    let requests = sb.sandbox.stats().requests;
    let again = s.call("get_top_pages", json!({"limit": 3}));
    assert!(!reused(&first) && !reused(&again), "{again}");
    assert_eq!(sb.sandbox.stats().requests, requests + 1);
    s.finish();
}

#[test]
fn realtime_answers_are_reused_for_ten_seconds_at_most() {
    let sb = TestSandbox::start(SandboxOptions::default());
    // An hour for everything else.
    let mut s = serve(&sb, "cache_ttl_secs = 3600\n");
    let first = s.call("get_realtime", json!({}));
    assert!(!reused(&first), "{first}");
    let pages = s.call("get_top_pages", json!({"limit": 3}));
    assert!(!reused(&pages), "{pages}");
    let again = s.call("get_realtime", json!({}));
    assert!(reused(&again), "reused at first: {again}");

    // Within the cap's 10 s (and well before the hour), realtime is asked upstream again.
    let mut last = Value::Null;
    let fresh = wait_for(Duration::from_secs(20), || {
        last = s.call("get_realtime", json!({}));
        !reused(&last)
    });
    assert!(fresh, "realtime was still reused: {last}");
    assert_eq!(last["isError"], false, "{last}");
    let pages = s.call("get_top_pages", json!({"limit": 3}));
    assert!(reused(&pages), "other tools keep the configured hour: {pages}");
    s.finish();
}

#[test]
fn identical_calls_in_flight_share_one_request() {
    // The cache off, and the upstream slow: only sharing can save the second request.
    let sb = TestSandbox::with_faults(&["/pages=delay:400"]);
    let mut s = serve(&sb, "cache_ttl_secs = 0\n");
    for id in [31, 32] {
        s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_top_pages", "arguments": {"limit": 2}}}));
    }
    let (a, b) = (s.recv_id(&json!(31)), s.recv_id(&json!(32)));
    assert_eq!(a["result"]["isError"], false, "{a}");
    assert_eq!(a["result"]["content"], b["result"]["content"], "{a}\n{b}");
    assert_eq!(
        sb.sandbox.stats().delays_started,
        1,
        "two requests for one question"
    );
    // Once answered, the same question is a new request (nothing is kept with the cache off).
    let r = s.call("get_top_pages", json!({"limit": 2}));
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(sb.sandbox.stats().delays_started, 2);
    s.finish();
}

#[test]
fn an_error_is_never_reused() {
    // The first request for the pages is refused; the next one is answered.
    let sb = TestSandbox::with_faults(&["/pages=403*1"]);
    let mut s = serve(&sb, "cache_ttl_secs = 3600\n");
    let refused = s.call("get_top_pages", json!({"limit": 2}));
    assert_eq!(refused["isError"], true, "{refused}");
    let again = s.call("get_top_pages", json!({"limit": 2}));
    assert_eq!(again["isError"], false, "the error was kept: {again}");
    assert!(!reused(&again), "{again}");
    s.finish();
}
