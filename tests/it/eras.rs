//! `serve --profile` bridging hosted MCP servers of either protocol era: the sandbox's `/mcp`
//! as a 2026-07-28-only (stateless) server and as a 2025-11-25 (session) server, over real
//! HTTP, with two downstream clients over real stdio: a raw 2025-06-18 JSON-RPC client and
//! the official Python SDK in its default (auto) mode. Tools listed and called, list changes
//! and cancellation passed through, `Mcp-Param-*` mirrored, input requests answered by the
//! downstream client or refused with a clear tool error.

use std::time::{Duration, Instant};

use analytics_mcp_sandbox::SandboxOptions;
use analytics_mcp_sandbox::mcp::McpEra;
use serde_json::{Value, json};

use crate::common::wait::wait_for;
use crate::common::{
    McpSession, TestEnv, TestSandbox, bin, python_sdk, repo, succeeded, tool_names,
};

const ERAS: [McpEra; 2] = [McpEra::Stateless, McpEra::Session];

/// How long a test waits for what the sandbox should see.
const LIMIT: Duration = Duration::from_secs(15);

/// A sandbox speaking `era` and a profile `zen` signed in to it with the demo key.
fn bridged(era: McpEra) -> (TestSandbox, TestEnv) {
    let sb = TestSandbox::start(SandboxOptions {
        mcp_era: era,
        ..SandboxOptions::default()
    });
    let env = TestEnv::new();
    let out = env.login_zen(
        &sb.sandbox.mcp_url(),
        &["--with-key"],
        &format!("{}\n", sb.key()),
    );
    assert_eq!(out.code, 0, "{era:?}: {}", out.all());
    (sb, env)
}

/// [`bridged`], and its `serve --profile zen` initialized by a 2025-06-18 client declaring
/// elicitation or not.
fn old_client(era: McpEra, elicitation: bool) -> (TestSandbox, TestEnv, McpSession) {
    let (sb, env) = bridged(era);
    let mut s = McpSession::spawn(&env, &["--profile", "zen"]);
    let capabilities = if elicitation {
        json!({"elicitation": {}})
    } else {
        json!({})
    };
    let init = s.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": capabilities,
               "clientInfo": {"name": "raw-2025-06-18", "version": "0"}}),
    );
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    (sb, env, s)
}

#[test]
fn a_2025_06_18_client_uses_servers_of_either_era_through_the_bridge() {
    for era in ERAS {
        let (sb, _env, mut s) = old_client(era, true);

        // Listed and called.
        let list = s.request("tools/list", json!({}));
        let names = tool_names(&list);
        assert!(
            names.contains(&"get_visitors".to_string()),
            "{era:?}: {list}"
        );
        let r = s.call("get_visitors", json!({"website_id": "web_northwind"}));
        assert_eq!(r["structuredContent"]["visitors"], 9167, "{era:?}: {r}");

        // An `x-mcp-header` parameter is mirrored in its header (a 2026-07-28 request).
        let r = s.call("region_report", json!({"region": "EU"}));
        assert_eq!(r["isError"], false, "{era:?}: {r}");
        let headers = sb.sandbox.mcp_stats().param_headers;
        if era == McpEra::Stateless {
            assert_eq!(headers, vec!["mcp-param-region: EU"], "{era:?}");
        }

        // The list changes upstream: our client hears it, and the new list has the tool.
        let r = s.call("enable_beta_tools", json!({}));
        assert_eq!(r["isError"], false, "{era:?}: {r}");
        let heard = |lines: &[String]| {
            lines
                .iter()
                .any(|l| l.contains("notifications/tools/list_changed"))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !heard(&s.stdout_lines) && Instant::now() < deadline {
            s.send(&json!({"jsonrpc": "2.0", "id": 8000, "method": "ping"}));
            s.recv_id(&json!(8000));
        }
        assert!(heard(&s.stdout_lines), "{era:?}: {:?}", s.stdout_lines);
        let list = s.request("tools/list", json!({}));
        assert!(
            tool_names(&list).contains(&"get_funnels".to_string()),
            "{era:?}: {list}"
        );

        // A cancelled call is cancelled upstream, and the session carries on.
        let calls = sb.sandbox.mcp_stats().tool_calls;
        s.send(&json!({"jsonrpc": "2.0", "id": 9001, "method": "tools/call", "params": {"name": "slow_report", "arguments": {}}}));
        wait_for(LIMIT, || sb.sandbox.mcp_stats().tool_calls > calls);
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9001, "reason": "user stopped"}}));
        wait_for(LIMIT, || sb.sandbox.mcp_stats().cancellations > 0);
        assert_eq!(sb.sandbox.mcp_stats().cancellations, 1, "{era:?}");

        // The server needs input: the question reaches our client, its answer the server.
        let r = pick_website(&mut s, 9100, json!({"website_id": "web_docs"}), era);
        assert_eq!(
            r["result"]["structuredContent"]["website_id"], "web_docs",
            "{era:?}: {r}"
        );
        assert_eq!(sb.sandbox.mcp_stats().inputs, vec!["accept:web_docs"]);
        let finished = s.finish();
        for line in finished.stdout_lines {
            serde_json::from_str::<Value>(&line).expect("stdout carries JSON-RPC only");
        }
    }
}

/// Calls `pick_website` as request `id`, answers the question it asks with `content`
/// (accepting), and returns the call's response.
fn pick_website(s: &mut McpSession, id: u64, content: Value, era: McpEra) -> Value {
    s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "pick_website", "arguments": {}}}));
    let ask = loop {
        let msg = s.recv();
        if msg["method"] == "elicitation/create" {
            break msg;
        }
        assert_ne!(msg["id"], id, "{era:?}: answered without asking: {msg}");
    };
    assert!(
        ask["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Which website")),
        "{era:?}: {ask}"
    );
    s.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": content}}));
    s.recv_id(&json!(id))
}

#[test]
fn an_accepted_form_reaches_the_server_with_the_defaults_it_offered() {
    // A client that does not pre-fill its forms accepts with only what the person changed
    // (here nothing): the server gets the default it offered (SEP-1034), whichever era it
    // speaks (an `elicitation/create` relayed, or an `InputRequiredResult` asked and retried).
    for era in ERAS {
        let (sb, _env, mut s) = old_client(era, true);
        let r = pick_website(&mut s, 9200, json!({}), era);
        assert_eq!(
            r["result"]["structuredContent"]["website_id"], "web_northwind",
            "{era:?}: {r}"
        );
        assert_eq!(
            sb.sandbox.mcp_stats().inputs,
            vec!["accept:web_northwind"],
            "{era:?}"
        );
        s.finish();
    }
}

#[test]
fn a_client_without_elicitation_is_told_it_cannot_answer_input_requests() {
    for era in ERAS {
        let (sb, env, mut s) = old_client(era, false);
        let r = s.call("pick_website", json!({}));
        assert_eq!(r["isError"], true, "{era:?}: {r}");
        assert!(
            crate::common::text_of(&r).contains("cannot answer input requests"),
            "{era:?}: {r}"
        );
        assert!(sb.sandbox.mcp_stats().inputs.is_empty(), "{era:?}");
        // The terminal cannot answer either, and says so.
        let out = env.run(&["call", "pick_website", "--profile", "zen"], "");
        assert_eq!(out.code, 3, "{era:?}: {}", out.all());
        assert!(
            out.stderr.contains("cannot answer input requests"),
            "{era:?}: {}",
            out.stderr
        );
        s.finish();
    }
}

#[test]
fn the_python_sdk_in_auto_mode_uses_servers_of_either_era_through_the_bridge() {
    let Some(python) = python_sdk("mcp") else {
        return;
    };
    for era in ERAS {
        let (sb, env) = bridged(era);
        let mut cmd = std::process::Command::new(&python);
        cmd.arg(repo().join("tests/eras/bridge_client.py"))
            .arg(bin())
            .env_remove("ANALYTICS_MCP_API_KEY");
        for (k, v) in &env.vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run python");
        let stdout = succeeded(&out, &format!("{era:?}: python SDK through the bridge"));
        assert!(stdout.contains("bridge ok"), "{era:?}: {stdout}");
        let stats = sb.sandbox.mcp_stats();
        assert_eq!(stats.inputs, vec!["accept:web_northwind"], "{era:?}");
        if era == McpEra::Stateless {
            assert_eq!(stats.param_headers, vec!["mcp-param-region: EU"], "{era:?}");
        }
    }
}
