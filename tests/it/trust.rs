//! The trust guarantees, each over real processes and real HTTP: a credential reaches only
//! the origin it was issued for; refresh chains survive any interleaving of `serve`
//! processes, cancellation and timeouts; hosted calls have a deadline; stray JSON-RPC never
//! ends a session; the limiter holds under a burst; a broken store is named; and memory stays
//! flat under a flood of pipelined calls.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::SandboxOptions;
use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use crate::common::{McpSession, TestEnv, TestSandbox, text_of};
use crate::oauth::{browser_env, credentials_path, set_expiry_in, stored, use_fake_browser};

/// A Himetrica key that is not the sandbox's, so finding it anywhere means a leak.
const HM_KEY: &str = "hm_sk_live_3c9e1f7a2b5d8e0f4a6c";

/// A profile `zen` bridging `hosted`'s MCP endpoint, with no credential stored.
fn hosted_profile(hosted: &TestSandbox) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profiles.zen]\nmcp_url = \"{}\"\n",
        hosted.sandbox.mcp_url()
    ));
    env
}

/// Stores `key` as profile zen's static key for `origin`, as `login --with-key` would.
fn store_hosted_key(env: &TestEnv, key: &str, origin: &str) {
    let record = json!({"schema": 1, "kind": "api_key", "api_key": key, "origin": origin});
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("credentials.zen.json"),
        record.to_string(),
    )
    .unwrap();
}

#[test]
fn an_environment_key_never_reaches_a_hosted_server() {
    let hosted = TestSandbox::start(SandboxOptions::default());
    let mut env = hosted_profile(&hosted);
    env.set("ANALYTICS_MCP_API_KEY", HM_KEY);

    let out = env.run(&["call", "list_websites", "--profile", "zen"], "");
    out.expect_code(3);
    out.stderr_has(&["analytics-mcp login --profile zen"]);
    let mut s = McpSession::spawn(&env, &["--profile", "zen"]);
    s.initialize();
    let _ = s.request("tools/list", json!({}));
    let r = s.call("list_websites", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    s.finish();
    assert!(
        !hosted.sandbox.received_credential(HM_KEY),
        "the Himetrica key was sent to the hosted server"
    );

    // With the profile's own key stored, that key goes there, and still not the env one.
    store_hosted_key(&env, hosted.key(), &hosted.sandbox.origin());
    let out = env.run(&["call", "list_websites", "--profile", "zen"], "");
    out.expect_code(0);
    assert!(hosted.sandbox.received_credential(hosted.key()));
    assert!(!hosted.sandbox.received_credential(HM_KEY));
}

#[test]
fn a_credential_stored_for_one_origin_is_refused_for_another() {
    let api = TestSandbox::start(SandboxOptions::default());
    let elsewhere = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &api.url());
    let out = env.run(&["login", "--with-key"], &format!("{}\n", api.key()));
    out.expect_code(0);
    // The same record, with the API URL pointed at another server: nothing is sent there.
    env.set("ANALYTICS_MCP_API_URL", &elsewhere.url());
    let out = env.run(&["call", "get_realtime"], "");
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr
            .contains(&format!("issued for {}", api.sandbox.origin())),
        "{}",
        out.stderr
    );
    assert_eq!(elsewhere.sandbox.stats().credentialed, 0);
    assert!(!out.all().contains(api.key()));
}

#[test]
fn status_of_a_hosted_profile_checks_the_hosted_server_only() {
    let read_api = TestSandbox::start(SandboxOptions::default());
    let hosted = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    env.write_config(&format!(
        "api_url = \"{}\"\n[profiles.zen]\nmcp_url = \"{}\"\n",
        read_api.url(),
        hosted.sandbox.mcp_url()
    ));
    let out = env.run(&["login", "--profile", "zen", "--timeout", "15"], "");
    out.expect_code(0);
    let token = serde_json::from_str::<Value>(
        &std::fs::read_to_string(env.config_dir().join("credentials.zen.json")).unwrap(),
    )
    .unwrap()["oauth"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let out = env.run(&["status", "--profile", "zen"], "");
    out.expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("MCP server: {}", hosted.sandbox.mcp_url())),
        "{}",
        out.stdout
    );
    out.stdout_has(&["Live check: ✓ the MCP server accepted the credential"]);
    let out = env.run(&["doctor", "--profile", "zen"], "");
    assert!(out.stdout.contains("✓ MCP server"), "{}", out.all());
    assert!(hosted.sandbox.received_credential(&token));
    assert_eq!(
        read_api.sandbox.stats().requests,
        0,
        "the Read API was asked about a hosted profile's credential"
    );
}

/// Calls `get_realtime` in `s` and checks it answered with data.
fn realtime_ok(s: &mut McpSession, who: &str) {
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], false, "{who}: {}", text_of(&r));
}

#[test]
fn idle_serve_processes_wake_up_on_the_newest_refresh_token() {
    // Access tokens live 2 s; the sandbox rotates refresh tokens and revokes the whole family
    // when a spent one comes back.
    let sb = crate::oauth::sandbox(OAuthOptions {
        access_ttl: Duration::from_secs(2),
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    env.write_config("cache_ttl_secs = 0\n");
    assert_eq!(env.run(&["login", "--timeout", "15"], "").code, 0);
    // Three clients' processes, all started on the first tokens.
    let mut procs: Vec<McpSession> = (0..3).map(|_| McpSession::spawn(&env, &[])).collect();
    for s in &mut procs {
        s.initialize();
    }
    // Each wakes only after the tokens the one before it refreshed have expired too: every
    // refresh must use the newest stored refresh token, not the spent one in memory.
    for (i, s) in procs.iter_mut().enumerate() {
        std::thread::sleep(Duration::from_millis(2100));
        realtime_ok(s, &format!("process {i}"));
    }
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(
        stats.refresh_rejected, 0,
        "a spent refresh token was used: {stats:?}"
    );
    // Each wake-up found expired tokens, so each refreshed (a slow machine may add one more
    // when a 2-second token is already past half its life).
    assert!(stats.refreshes >= 3, "{stats:?}");
    // And the busy one carries on after the others.
    realtime_ok(&mut procs[0], "process 0 again");
    assert_eq!(sb.sandbox.oauth_stats().refresh_rejected, 0);
    for s in procs {
        s.finish();
    }
    let out = env.run(&["status"], "");
    assert_eq!(out.code, 0, "still signed in: {}", out.all());
}

#[test]
fn a_cancelled_or_timed_out_call_never_loses_the_rotated_tokens() {
    // The token endpoint rotates at once but answers 1.5 s later.
    let sb = crate::oauth::sandbox(OAuthOptions {
        refresh_delay: Duration::from_millis(1500),
        ..OAuthOptions::default()
    });
    let mut env = browser_env(&sb, "approve");
    env.write_config("cache_ttl_secs = 0\n");
    assert_eq!(env.run(&["login", "--timeout", "15"], "").code, 0);
    let first = stored(&env)["oauth"]["refresh_token"].clone();

    // serve: the call that started the refresh is cancelled while the answer is on its way.
    set_expiry_in(&credentials_path(&env), -10);
    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    s.send(&json!({"jsonrpc": "2.0", "id": 41, "method": "tools/call",
        "params": {"name": "get_realtime", "arguments": {}}}));
    std::thread::sleep(Duration::from_millis(300));
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 41, "reason": "user pressed Esc"}}),
    );
    std::thread::sleep(Duration::from_millis(2000));
    let second = stored(&env)["oauth"]["refresh_token"].clone();
    assert_ne!(
        first, second,
        "the rotated tokens were stored after the cancel"
    );
    realtime_ok(&mut s, "after the cancel");
    s.finish();

    // call: a deadline shorter than the token endpoint's answer.
    set_expiry_in(&credentials_path(&env), -10);
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", "0.5");
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(3);
    out.stderr_has(&["did not answer within"]);
    let third = stored(&env)["oauth"]["refresh_token"].clone();
    assert_ne!(
        second, third,
        "the refresh finished and was stored before exit"
    );
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", "20");
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(0);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(
        (stats.refreshes, stats.refresh_rejected),
        (2, 0),
        "{stats:?}"
    );
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
    let out = env.run(&["call", "list_websites", "--profile", "zen"], "");
    out.expect_code(3);
    out.stderr_has(&["did not answer", "timeout_secs"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // Hangs on tools/call: `serve` answers that call with an error and keeps serving.
    let (_slow, env) = hosted_hanging_on("tools/call");
    let mut s = McpSession::spawn(&env, &["--profile", "zen"]);
    s.initialize();
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

/// `serve` against a sandbox allowing `limit` requests per `window`, the cache off and
/// `config` added.
fn rate_limited(limit: u32, window: Duration, config: &str) -> (McpSession, TestSandbox) {
    let sb = TestSandbox::start(SandboxOptions {
        rate_limit: limit,
        rate_window: window,
        ..SandboxOptions::default()
    });
    let env = sb.env();
    env.write_config(&format!("cache_ttl_secs = 0\n{config}"));
    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    (s, sb)
}

#[test]
fn a_burst_of_50_distinct_calls_stays_within_the_upstream_limit() {
    let (mut s, sb) = rate_limited(20, Duration::from_secs(4), "");
    for limit in 1..=50 {
        s.send(
            &json!({"jsonrpc": "2.0", "id": 1000 + limit, "method": "tools/call",
            "params": {"name": "get_top_pages", "arguments": {"limit": limit}}}),
        );
    }
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
    // Once the window has turned (its reset is rounded up to the second), calls go out again.
    std::thread::sleep(Duration::from_millis(3200));
    let r = s.call("get_top_pages", json!({"limit": 3}));
    assert_eq!(r["isError"], false, "{r}");
    s.finish();
    assert_eq!(sb.sandbox.stats().rate_limited, 0);
}

#[test]
fn a_corrupt_store_is_named_with_its_fix_everywhere() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let file = env.config_dir().join("credentials.json");
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(&file, "{ half a reco").unwrap();
    let expected = format!(
        "the credential store at {} could not be read",
        file.display()
    );

    let out = env.run(&["call", "get_realtime"], "");
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
    out.stderr_has(&["fix or remove it"]);
    assert!(!out.all().contains("not signed in"), "{}", out.all());

    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], true);
    assert!(text_of(&r).contains(&expected), "{r}");
    assert!(text_of(&r).contains("analytics-mcp login"), "{r}");
    s.finish();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{ half a reco",
        "the store is left as it was"
    );
}

/// Peak resident memory of process `pid`, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn twenty_thousand_pipelined_calls_are_all_answered_in_flat_memory() {
    if !std::path::Path::new("/proc/self/status").exists() {
        crate::common::skip_or_fail("no /proc to read peak memory from");
        return;
    }
    let sb = TestSandbox::start(SandboxOptions {
        rate_limit: u32::MAX,
        ..SandboxOptions::default()
    });
    let env = sb.env();
    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    const CALLS: i64 = 20_000;
    // Distinct calls (limit × start date), written without waiting for any answer.
    for i in 0..CALLS {
        let day = jiff::civil::date(2025, 1, 1)
            .checked_add(jiff::Span::new().days(i / 50))
            .unwrap();
        s.send(&json!({"jsonrpc": "2.0", "id": 10_000 + i, "method": "tools/call",
            "params": {"name": "get_top_pages",
                "arguments": {"limit": 1 + i % 50, "startDate": day.to_string(), "endDate": "2026-11-20"}}}));
    }
    all_answered(&mut s, 10_000..10_000 + CALLS);
    let peak = peak_rss_kib(s.pid()).expect("VmHWM");
    s.finish();
    eprintln!(
        "peak RSS of serve over {CALLS} pipelined calls: {} MiB",
        peak / 1024
    );
    assert!(peak <= 64 * 1024, "peak RSS {} MiB", peak / 1024);
}
