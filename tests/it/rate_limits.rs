//! Staying within the upstream's limits: bursts are shared, cached and paced by the limiter so
//! no 429 is drawn, a zero wait cap refuses at once without locking out, and
//! `max_concurrent_calls` bounds the requests in flight.

use std::collections::HashSet;
use std::time::Duration;

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::wait::wait_for;
use crate::common::{McpSession, TestSandbox, text_of};

/// How long a test waits for what it expects.
const LIMIT: Duration = Duration::from_secs(15);

#[test]
fn a_burst_of_200_calls_gets_200_answers_and_no_429() {
    let sb = TestSandbox::rate_limited(100);
    let env = sb.env();
    let mut s = session(&env, &[]);
    let kinds = [
        json!({"name": "get_top_pages", "arguments": {"limit": 5}}),
        json!({"name": "get_analytics", "arguments": {"period": "last_month"}}),
        json!({"name": "get_realtime", "arguments": {}}),
        json!({"name": "get_top_locations", "arguments": {"groupBy": "city"}}),
        json!({"name": "get_revenue", "arguments": {}}),
    ];
    for i in 0..200 {
        s.send(
            &json!({"jsonrpc": "2.0", "id": 1000 + i, "method": "tools/call",
            "params": kinds[i % kinds.len()]}),
        );
    }
    let mut answered = std::collections::HashSet::new();
    while answered.len() < 200 {
        let msg = s.recv();
        let Some(id) = msg["id"].as_i64().filter(|id| *id >= 1000) else {
            continue;
        };
        assert_eq!(msg["result"]["isError"], false, "{msg}");
        answered.insert(id);
    }
    s.finish();
    let stats = sb.sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "no 429 reached the bridge");
    // Five distinct calls and GET /me: sharing and the cache fold 200 calls into 6 requests.
    assert_eq!(stats.requests, 6);
}

#[test]
fn the_limiter_stops_a_burst_at_the_upstream_limit_instead_of_drawing_429s() {
    let sb = TestSandbox::rate_limited(10);
    let env = sb.env();
    env.write_config("cache_ttl_secs = 0\n");
    let mut s = session(&env, &[]);
    assert_eq!(s.call("get_realtime", json!({}))["isError"], false); // learns the headers
    for limit in 1..=20 {
        s.send(
            &json!({"jsonrpc": "2.0", "id": 500 + limit, "method": "tools/call",
            "params": {"name": "get_top_pages", "arguments": {"limit": limit}}}),
        );
    }
    let (mut ok, mut later) = (0, 0);
    while ok + later < 20 {
        let msg = s.recv();
        if msg["id"].as_i64().is_none_or(|id| id < 500) {
            continue;
        }
        if msg["result"]["isError"] == false {
            ok += 1;
        } else {
            assert!(text_of(&msg["result"]).contains("Retry in"), "{msg}");
            later += 1;
        }
    }
    s.finish();
    let stats = sb.sandbox.stats();
    assert_eq!(
        stats.rate_limited, 0,
        "the bridge never ran into the sandbox's 429"
    );
    assert!(
        ok >= 1 && later >= 1 && stats.requests <= 10,
        "ok {ok}, later {later}, {stats:?}"
    );
}

/// Reads answers until every id in `ids` has one, each a successful tool result.
fn all_answered(s: &mut McpSession, ids: impl Iterator<Item = i64>) {
    let mut waiting: HashSet<i64> = ids.collect();
    while !waiting.is_empty() {
        let msg = s.recv();
        let Some(id) = msg["id"].as_i64().filter(|id| waiting.contains(id)) else {
            continue;
        };
        assert_eq!(
            msg["result"]["isError"],
            false,
            "{}",
            text_of(&msg["result"])
        );
        waiting.remove(&id);
    }
}

/// `serve` against a sandbox with `options`, the cache off and `config` added.
fn serve(options: SandboxOptions, config: &str) -> (McpSession, TestSandbox) {
    let sb = TestSandbox::start(options);
    let env = sb.env();
    env.write_config(&format!("cache_ttl_secs = 0\n{config}"));
    (session(&env, &[]), sb)
}

/// [`serve`] against a sandbox allowing `limit` requests per `window`.
fn rate_limited(limit: u32, window: Duration, config: &str) -> (McpSession, TestSandbox) {
    let options = SandboxOptions {
        rate_limit: limit,
        rate_window: window,
        ..SandboxOptions::default()
    };
    serve(options, config)
}

/// Writes `get_top_pages` calls with limits `limits` (ids 1000 + limit) without waiting.
fn send_top_pages(s: &mut McpSession, limits: std::ops::RangeInclusive<i64>) {
    for limit in limits {
        s.send(
            &json!({"jsonrpc": "2.0", "id": 1000 + limit, "method": "tools/call",
            "params": {"name": "get_top_pages", "arguments": {"limit": limit}}}),
        );
    }
}

#[test]
fn a_burst_of_50_distinct_calls_stays_within_the_upstream_limit() {
    let (mut s, sb) = rate_limited(20, Duration::from_secs(2), "");
    send_top_pages(&mut s, 1..=50);
    all_answered(&mut s, 1001..=1050);
    s.finish();
    let stats = sb.sandbox.stats();
    eprintln!("50-call burst: {stats:?}");
    assert!(stats.rate_limited <= 10, "{stats:?}");
}

#[test]
fn a_zero_wait_cap_answers_at_once_and_never_locks_out() {
    let (mut s, sb) = rate_limited(2, Duration::from_secs(2), "max_retry_wait_secs = 0\n");
    // /me and one call use up the window; the next is refused here, not upstream.
    assert_eq!(
        s.call("get_top_pages", json!({"limit": 1}))["isError"],
        false
    );
    let r = s.call("get_top_pages", json!({"limit": 2}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(text_of(&r).contains("Retry in"), "{r}");
    // Once the window has turned (its reset is rounded up to the second), calls go out again;
    // until then each is refused here at once.
    let mut r = Value::Null;
    wait_for(LIMIT, || {
        r = s.call("get_top_pages", json!({"limit": 3}));
        r["isError"] == false || !text_of(&r).contains("Retry in")
    });
    assert_eq!(r["isError"], false, "{r}");
    s.finish();
    assert_eq!(sb.sandbox.stats().rate_limited, 0);
}

/// The most upstream requests at once while `serve`, with `config`, answers eight distinct
/// slow calls written together.
fn peak_in_flight(config: &str) -> u64 {
    let options = SandboxOptions {
        faults: vec!["/pages=delay:200".parse().expect("fault")],
        ..SandboxOptions::default()
    };
    let (mut s, sb) = serve(options, config);
    send_top_pages(&mut s, 1..=8);
    all_answered(&mut s, 1001..=1008);
    s.finish();
    sb.sandbox.stats().peak_in_flight
}

#[test]
fn max_concurrent_calls_from_config_bounds_the_calls_in_flight() {
    assert_eq!(peak_in_flight("max_concurrent_calls = 2\n"), 2);
    // Without it, the default (32) lets all eight go at once.
    assert!(peak_in_flight("") >= 3);
}
