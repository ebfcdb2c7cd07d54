//! OAuth token refresh over real processes and the sandbox's authorization server: before
//! expiry and after a rejection, retried when temporary, one refresh shared by concurrent
//! `serve` processes, always from the newest stored refresh token, and never lost to a
//! cancelled or timed-out call.

use std::time::Duration;

use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::signin::{
    assert_rotated, credentials_path, expire_now, set_expiry, set_expiry_in, signed_in, stored,
};
use crate::common::wait::wait_for;
use crate::common::{McpSession, text_of};

/// How long a test waits for what it expects.
const LIMIT: Duration = Duration::from_secs(15);

#[test]
fn an_expired_access_token_is_refreshed_before_the_call() {
    let (sb, mut env) = signed_in(OAuthOptions::default());
    let before = stored(&env);
    // The token's lifetime runs out, for the bridge and the server alike.
    expire_now(&sb, &credentials_path(&env));
    env.set("ANALYTICS_MCP_LOG", "trace");
    env.run(&["call", "get_realtime"], "").exits(0);
    assert_eq!(sb.sandbox.oauth_stats().refreshes, 1);
    assert_eq!(
        sb.sandbox.oauth_stats().bearer_rejected,
        0,
        "refreshed before, not after, a 401"
    );
    let after = stored(&env);
    assert_rotated(&before, &after, "the rotated refresh token is kept");
}

#[test]
fn a_rejected_access_token_is_refreshed_once_and_the_call_retried() {
    let (sb, env) = signed_in(OAuthOptions::default());
    // We believe the token is good for an hour; the server has already let it lapse.
    set_expiry(&env, 3600);
    sb.sandbox.expire_access_tokens();
    env.run(&["call", "get_realtime"], "").exits(0);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.bearer_rejected, stats.refreshes), (1, 1));
}

#[test]
fn temporary_refresh_failures_are_retried_then_reported_as_temporary() {
    // Two 503s: the third attempt of the refresh gets through.
    let (sb, env) = signed_in(OAuthOptions {
        refresh_failures: 2,
        ..OAuthOptions::default()
    });
    set_expiry(&env, -10);
    env.run(&["call", "get_realtime"], "").exits(0);
    assert_eq!(sb.sandbox.oauth_stats().refreshes, 1);

    // Ten 503s: more than the retries; the call fails as temporary, not "sign in again".
    let (_sb, env) = signed_in(OAuthOptions {
        refresh_failures: 10,
        ..OAuthOptions::default()
    });
    let before = stored(&env);
    set_expiry(&env, -10);
    let out = env.run(&["call", "get_realtime"], "").exits(3);
    assert!(out.all().contains("usually temporary"), "{}", out.all());
    assert!(!out.all().contains("Sign in again"), "{}", out.all());
    assert_eq!(
        stored(&env)["oauth"]["refresh_token"],
        before["oauth"]["refresh_token"],
        "the refresh token is kept for the next try"
    );
}

#[test]
fn a_revoked_refresh_token_means_sign_in_again_and_keeps_the_record() {
    let (sb, env) = signed_in(OAuthOptions::default());
    let record = stored(&env);
    let refresh = record["oauth"]["refresh_token"]
        .as_str()
        .expect("refresh token");
    let revoked = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request, urllib.parse; urllib.request.urlopen(sys.argv[1], urllib.parse.urlencode({'token': sys.argv[2]}).encode())",
            &format!("{}/oauth/revoke", sb.sandbox.origin()),
            refresh,
        ])
        .status()
        .expect("python3");
    assert!(revoked.success());
    set_expiry(&env, -10);
    let out = env.run(&["call", "get_realtime"], "").exits(3);
    assert!(
        out.all()
            .contains("Sign in again with `analytics-mcp login`"),
        "{}",
        out.all()
    );
    assert_eq!(sb.sandbox.oauth_stats().refresh_rejected, 1);
    assert!(
        credentials_path(&env).exists(),
        "the stored record is left for `status` and `logout`"
    );
}

#[test]
fn three_serve_processes_share_one_refresh() {
    let (sb, env) = signed_in(OAuthOptions::default());
    set_expiry(&env, -10);

    let tools: Vec<&str> =
        "get_analytics get_realtime get_top_pages get_traffic_sources get_top_locations get_events get_revenue"
            .split(' ')
            .collect();
    let mut sessions: Vec<McpSession> = (0..3).map(|_| McpSession::spawn(&env, &[])).collect();
    for s in &mut sessions {
        s.initialize();
    }
    // 20 calls in flight at once: 7, 7 and 6 per process, none waiting for another.
    let mut expected = Vec::new();
    for (i, s) in sessions.iter_mut().enumerate() {
        let n = if i == 2 { 6 } else { 7 };
        for (j, tool) in tools.iter().take(n).enumerate() {
            let id = json!(1000 + i * 100 + j);
            s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}}));
            expected.push((i, id));
        }
    }
    // Answers come in any order; gather each process's until all its ids are in.
    let mut answered = 0;
    for (i, s) in sessions.iter_mut().enumerate() {
        let mut want: Vec<&Value> = expected
            .iter()
            .filter(|(k, _)| *k == i)
            .map(|(_, id)| id)
            .collect();
        while !want.is_empty() {
            let msg = s.recv();
            let Some(pos) = want.iter().position(|id| msg.get("id") == Some(*id)) else {
                continue;
            };
            want.remove(pos);
            assert_eq!(
                msg["result"]["isError"],
                false,
                "{}",
                text_of(&msg["result"])
            );
            answered += 1;
        }
    }
    assert_eq!(answered, 20);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(stats.refreshes, 1, "{stats:?}");
    assert_eq!(stats.refresh_rejected, 0, "{stats:?}");
    for s in sessions {
        s.finish();
    }
}

/// Calls `get_realtime` in `s` and checks it answered with data.
fn realtime_ok(s: &mut McpSession, who: &str) {
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], false, "{who}: {}", text_of(&r));
}

#[test]
fn idle_serve_processes_wake_up_on_the_newest_refresh_token() {
    // The sandbox rotates refresh tokens and revokes the whole family when a spent one comes
    // back.
    let (sb, env) = signed_in(OAuthOptions::default());
    env.write_config("cache_ttl_secs = 0\n");
    // Three clients' processes, all started on the first tokens.
    let mut procs: Vec<McpSession> = (0..3).map(|_| McpSession::spawn(&env, &[])).collect();
    for s in &mut procs {
        s.initialize();
    }
    // Each wakes only after the tokens the one before it refreshed have expired too: every
    // refresh must use the newest stored refresh token, not the spent one in memory.
    for (i, s) in procs.iter_mut().enumerate() {
        expire_now(&sb, &credentials_path(&env));
        realtime_ok(s, &format!("process {i}"));
    }
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(
        stats.refresh_rejected, 0,
        "a spent refresh token was used: {stats:?}"
    );
    // Each wake-up found expired tokens, so each refreshed.
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
    let (sb, mut env) = signed_in(OAuthOptions {
        refresh_delay: Duration::from_millis(1500),
        ..OAuthOptions::default()
    });
    env.write_config("cache_ttl_secs = 0\n");
    let first = stored(&env)["oauth"]["refresh_token"].clone();

    // serve: the call that started the refresh is cancelled while the answer is on its way.
    set_expiry_in(&credentials_path(&env), -10);
    let mut s = session(&env, &[]);
    s.send(&json!({"jsonrpc": "2.0", "id": 41, "method": "tools/call",
        "params": {"name": "get_realtime", "arguments": {}}}));
    // Cancelled once the token endpoint has the refresh (and has rotated the tokens).
    assert!(wait_for(LIMIT, || sb.sandbox.oauth_stats().refreshes == 1));
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 41, "reason": "user pressed Esc"}}),
    );
    wait_for(LIMIT, || stored(&env)["oauth"]["refresh_token"] != first);
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
    let out = env.run(&["call", "get_realtime"], "").exits(3);
    out.stderr_has(&["did not answer within"]);
    let third = stored(&env)["oauth"]["refresh_token"].clone();
    assert_ne!(
        second, third,
        "the refresh finished and was stored before exit"
    );
    env.set("ANALYTICS_MCP_TIMEOUT_SECS", "20");
    env.run(&["call", "get_realtime"], "").exits(0);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(
        (stats.refreshes, stats.refresh_rejected),
        (2, 0),
        "{stats:?}"
    );
}
