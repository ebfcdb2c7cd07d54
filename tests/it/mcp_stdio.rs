//! `serve` speaking MCP over stdio: handshake, tool list, every tool, protocol manners.

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::run::{error_message, refusal, session};
use crate::common::{McpSession, TestEnv, TestSandbox, text_of};

/// A past week, so the sandbox's answers are fixed.
const WEEK: (&str, &str) = ("2026-10-01", "2026-10-07");

fn demo_session() -> (McpSession, TestSandbox, TestEnv) {
    let sandbox = TestSandbox::start(SandboxOptions::default());
    let env = sandbox.env();
    let session = McpSession::spawn(&env, &[]);
    (session, sandbox, env)
}

#[test]
fn initialize_then_tools_list_matches_snapshot() {
    let (mut s, _sb, _env) = demo_session();
    let init = s.initialize();
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "analytics-mcp");
    assert!(init["capabilities"]["tools"].is_object());
    assert!(
        init["instructions"]
            .as_str()
            .unwrap_or_default()
            .contains("last_7_days"),
        "the date grammar is stated once, in the instructions"
    );

    let list = s.request("tools/list", json!({}));
    let tools = list["result"]["tools"]
        .as_array()
        .expect("tools array")
        .clone();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "get_project",
            "get_analytics",
            "get_timeseries",
            "get_realtime",
            "get_top_pages",
            "get_traffic_sources",
            "get_top_locations",
            "get_events",
            "get_revenue",
            "get_revenue_timeseries",
            "get_top_customers",
            "get_channel_roi",
            "explain_change",
            "get_api_usage"
        ]
    );
    for tool in &tools {
        assert_eq!(
            tool["annotations"]["readOnlyHint"], true,
            "{}",
            tool["name"]
        );
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert_eq!(tool["outputSchema"]["type"], "object");
        // The TypeScript SDK's validator rejects a bare `true` property schema.
        for schema in [&tool["inputSchema"], &tool["outputSchema"]] {
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                assert!(prop.is_object(), "{}.{name} is {prop}", tool["name"]);
            }
        }
    }
    insta::assert_json_snapshot!("tools_list", tools);
    s.finish();
}

#[test]
fn every_tool_answers_with_text_and_structured_content() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    let window = json!({"startDate": WEEK.0, "endDate": WEEK.1});
    let calls: Vec<(&str, Value)> = vec![
        ("get_project", json!({})),
        ("get_analytics", window.clone()),
        (
            "get_timeseries",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "granularity": "day"}),
        ),
        (
            "get_top_pages",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "limit": 5}),
        ),
        (
            "get_traffic_sources",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "groupBy": "utm_campaign"}),
        ),
        (
            "get_top_locations",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "groupBy": "city", "limit": 5}),
        ),
        ("get_events", window.clone()),
        ("get_revenue", window.clone()),
        (
            "get_revenue_timeseries",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "granularity": "week"}),
        ),
        (
            "get_top_customers",
            json!({"startDate": WEEK.0, "endDate": WEEK.1, "limit": 3}),
        ),
        ("get_channel_roi", window.clone()),
    ];
    for (tool, args) in calls {
        let result = s.call(tool, args);
        assert_eq!(result["isError"], false, "{tool}: {result}");
        let structured = &result["structuredContent"];
        assert!(
            structured["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{tool}"
        );
        // The model's view: no upstream answer as sent and no request echo unless asked.
        assert!(
            structured.get("data").is_none() && structured.get("request").is_none(),
            "{tool}: {structured}"
        );
        insta::assert_snapshot!(format!("tool_text_{tool}"), text_of(&result));
        insta::assert_json_snapshot!(format!("tool_structured_{tool}"), structured);
    }
    // Realtime changes by the minute, so check its shape instead of a snapshot.
    let rt = s.call("get_realtime", json!({}));
    let active = rt["structuredContent"]["metrics"]["activeVisitors"]
        .as_u64()
        .expect("activeVisitors");
    assert!((6..20).contains(&active));
    assert!(text_of(&rt).contains(&format!("Active visitors {active}")));
    s.finish();
}

#[test]
fn parameters_reach_the_upstream_and_change_the_answer() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    let week = s.call(
        "get_analytics",
        json!({"startDate": WEEK.0, "endDate": WEEK.1}),
    );
    let month = s.call(
        "get_analytics",
        json!({
            "startDate": "2026-10-01T00:00:00-04:00",
            "endDate": "2026-10-31T23:59:59-04:00",
            "timezone": "America/New_York",
            "detail": true
        }),
    );
    let v = |r: &Value| {
        r["structuredContent"]["metrics"]["uniqueVisitors"]
            .as_u64()
            .unwrap_or(0)
    };
    assert!(
        v(&month) > 3 * v(&week),
        "a month should have far more visitors than a week"
    );
    assert_eq!(
        month["structuredContent"]["detail"]["request"]["params"],
        json!({
            "startDate": "2026-10-01T00:00:00-04:00",
            "endDate": "2026-10-31T23:59:59-04:00",
            "timezone": "America/New_York"
        })
    );

    // A daily series adds up to the total for the same window.
    let series = s.call(
        "get_timeseries",
        json!({"startDate": WEEK.0, "endDate": WEEK.1, "detail": true}),
    );
    let view = &series["structuredContent"];
    let rows = view["rows"].as_array().expect("rows").clone();
    assert_eq!(rows.len(), 7);
    let column = view["columns"]
        .as_array()
        .and_then(|c| c.iter().position(|c| c == "visitors"))
        .expect("a visitors column");
    let sum: u64 = rows.iter().map(|r| r[column].as_u64().unwrap_or(0)).sum();
    assert_eq!(sum, v(&week));
    assert_eq!(view["detail"]["request"]["params"]["granularity"], "day");

    // limit is honoured and sent.
    let pages = s.call("get_top_pages", json!({"limit": 3, "detail": true}));
    let view = &pages["structuredContent"];
    assert_eq!(view["rows"].as_array().map(Vec::len), Some(3));
    assert_eq!(view["more"], true);
    // One row more than asked is requested, so truncation is known exactly.
    assert_eq!(view["detail"]["request"]["params"]["limit"], "4");
    assert_eq!(
        view["detail"]["rows"],
        json!({"shown": 3, "limit": 3, "truncated": true})
    );
    // Without `detail`, none of that is sent.
    let plain = s.call("get_top_pages", json!({"limit": 3}));
    assert!(plain["structuredContent"].get("detail").is_none());
    s.finish();
}

#[test]
fn invalid_arguments_are_tool_errors_that_say_what_is_accepted() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    let cases = [
        (
            "get_analytics",
            json!({"startDate": "2026-02-30"}),
            "not a valid date",
        ),
        (
            "get_analytics",
            json!({"startDate": "yesterday-ish"}),
            "2026-11-01",
        ),
        (
            "get_analytics",
            json!({"startDate": "2026-10-09", "endDate": "2026-10-01"}),
            "reversed",
        ),
        ("get_top_pages", json!({"limit": 0}), "1 to 100"),
        ("get_top_pages", json!({"limit": 101}), "1 to 100"),
        ("get_top_pages", json!({"limit": -3}), "1 to 100"),
        (
            "get_top_locations",
            json!({"groupBy": "planet"}),
            "`country`, `region`, `city`",
        ),
        (
            "get_traffic_sources",
            json!({"groupBy": "utm"}),
            "utm_campaign",
        ),
        ("get_timeseries", json!({"granularity": "minute"}), "`hour`"),
        ("get_analytics", json!({"timezone": "Mars/Base"}), "IANA"),
        (
            "get_analytics",
            json!({"start_date": "2026-10-01"}),
            "accepted: period, startDate",
        ),
    ];
    for (tool, args, needle) in cases {
        let (result, text) = refusal(&mut s, tool, args, needle);
        assert!(result.get("structuredContent").is_none());
        assert!(
            text.starts_with(&format!("Invalid arguments for {tool}")),
            "{text}"
        );
    }
    // Still serving.
    let ok = s.call("get_project", json!({}));
    assert_eq!(ok["isError"], false);
    s.finish();
}

#[test]
fn garbage_lines_get_json_rpc_errors_and_the_next_request_is_served() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    s.send_raw("this is not json");
    let err = s.recv();
    assert_eq!(err["error"]["code"], -32700);
    assert_eq!(err["id"], Value::Null);
    s.send_raw("[1, 2, 3]");
    assert_eq!(s.recv()["error"]["code"], -32600);
    s.send_raw("{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}");
    assert_eq!(s.recv()["error"]["code"], -32600);
    let list = s.request("tools/list", json!({}));
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(14));
    s.finish();
}

#[test]
fn refused_lines_written_with_the_next_request_in_one_go_are_each_answered() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    // A line one byte over 4 MiB, one that is not UTF-8 and a request, in one write: the
    // request is served without waiting for more input.
    let mut bytes = vec![b'x'; 4 * 1024 * 1024 + 1];
    bytes.extend_from_slice(b"\n\xff\xfe\n");
    bytes.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"tools/list\"}\n");
    s.send_bytes(&bytes);
    let big = s.recv();
    assert_eq!(big["error"]["code"], -32600, "{big}");
    let message = big["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("larger than 4 MiB"), "{big}");
    let not_utf8 = s.recv();
    assert_eq!(not_utf8["error"]["code"], -32700, "{not_utf8}");
    let list = s.recv();
    assert_eq!(list["id"], "after", "{list}");
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(14));
    s.finish();
}

#[test]
fn string_and_zero_ids_are_answered_with_the_same_id() {
    let (mut s, _sb, _env) = demo_session();
    s.send(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}));
    let init = s.recv_id(&json!(0));
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    s.send(
        &json!({"jsonrpc": "2.0", "id": "req-α", "method": "tools/call",
        "params": {"name": "get_project", "arguments": {}}}),
    );
    let r = s.recv_id(&json!("req-α"));
    assert_eq!(r["result"]["isError"], false);
    s.send(&json!({"jsonrpc": "2.0", "id": "", "method": "ping"}));
    assert!(s.recv_id(&json!(""))["result"].is_object());
    s.finish();
}

#[test]
fn unknown_methods_are_answered_at_once_before_and_after_initialize() {
    let (mut s, _sb, _env) = demo_session();
    // A probe before initialize, and a stray notification that must not end the session.
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let probe = s.request("server/probe", json!({}));
    assert_eq!(probe["error"]["code"], -32601);
    let early = s.request("tools/list", json!({}));
    assert!(
        early.get("error").is_some(),
        "tools/list before initialize: {early}"
    );
    let discover = s.request("server/discover", json!({}));
    assert!(discover.get("error").is_some() || discover.get("result").is_some());

    s.initialize();
    let after = s.request("nonexistent/method", json!({}));
    assert_eq!(after["error"]["code"], -32601);
    assert!(error_message(&after).contains("nonexistent/method"));
    let unknown_tool = s.request(
        "tools/call",
        json!({"name": "get_everything", "arguments": {}}),
    );
    assert!(error_message(&unknown_tool).contains("get_analytics"));
    s.finish();
}

#[test]
fn protocol_versions_are_negotiated() {
    for (asked, expected) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2025-03-26", "2025-03-26"),
        // A newer version than we know: answer with the newest we support.
        ("2099-01-01", "2025-11-25"),
    ] {
        let (mut s, _sb, _env) = demo_session();
        let init = s.initialize_with(asked);
        assert_eq!(init["protocolVersion"], expected, "asked {asked}");
        assert_eq!(
            s.request("tools/list", json!({}))["result"]["tools"]
                .as_array()
                .map(Vec::len),
            Some(14)
        );
        s.finish();
    }
}

#[test]
fn without_a_credential_serve_starts_and_every_tool_says_how_to_sign_in() {
    let env = TestEnv::new();
    let mut s = session(&env, &[]);
    assert_eq!(
        s.request("tools/list", json!({}))["result"]["tools"]
            .as_array()
            .map(Vec::len),
        Some(14)
    );
    for tool in ["get_analytics", "get_project", "get_realtime"] {
        let r = s.call(tool, json!({}));
        assert_eq!(r["isError"], true);
        assert!(
            text_of(&r).contains("not signed in — run `analytics-mcp login`"),
            "{}",
            text_of(&r)
        );
    }
    s.finish();
}

#[test]
fn demo_flag_serves_the_sample_project_without_any_setup() {
    let env = TestEnv::new();
    let mut s = session(&env, &["--demo"]);
    let r = s.call("get_project", json!({}));
    assert_eq!(
        r["structuredContent"]["metrics"]["name"],
        "Northwind Notes (demo)"
    );
    s.finish();
}

#[test]
fn in_flight_calls_are_answered_before_exit_when_stdin_closes() {
    let (mut s, _sb, _env) = demo_session();
    s.initialize();
    for id in 1..=5 {
        s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_top_pages", "arguments": {"limit": id}}}));
    }
    let done = s.finish();
    let answered: Vec<Value> = done
        .stdout_lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| {
            m["result"]["isError"] == false
                && m["id"].as_i64().is_some_and(|i| (1..=5).contains(&i))
        })
        .collect();
    assert_eq!(answered.len(), 5, "{:?}", done.stdout_lines);
}

#[test]
fn the_project_is_looked_up_once_per_process() {
    let (mut s, sb, _env) = demo_session();
    s.initialize();
    for tool in [
        "get_analytics",
        "get_top_pages",
        "get_project",
        "get_revenue",
        "get_project",
    ] {
        assert_eq!(s.call(tool, json!({}))["isError"], false, "{tool}");
    }
    s.finish();
    // Three data calls plus one GET /me shared by every tool (get_project reuses it).
    assert_eq!(sb.sandbox.stats().requests, 4);
}

/// What `initialize` declares is what the server answers, and nothing more (issue 23, with
/// rmcp 3.11 refusing what a server did not advertise): every method of each declared
/// capability gets a result, and the methods of capabilities it does not declare (logging,
/// resource subscriptions) are "method not found".
#[test]
fn every_declared_capability_is_answered_and_nothing_undeclared() {
    let (mut s, _sb, _env) = demo_session();
    let init = s.initialize();
    let caps = init["capabilities"]
        .as_object()
        .expect("capabilities")
        .clone();
    let declared: Vec<&str> = caps.keys().map(String::as_str).collect();
    assert_eq!(
        declared,
        ["completions", "prompts", "resources", "tools"],
        "a new capability needs its methods checked here"
    );
    let prompt = s.request("prompts/list", json!({}))["result"]["prompts"][0]["name"].clone();
    let resource = s.request("resources/list", json!({}))["result"]["resources"][0]["uri"].clone();
    let answered = [
        ("tools/list", json!({})),
        (
            "tools/call",
            json!({"name": "get_project", "arguments": {}}),
        ),
        ("prompts/list", json!({})),
        ("prompts/get", json!({"name": prompt, "arguments": {}})),
        ("resources/list", json!({})),
        ("resources/templates/list", json!({})),
        ("resources/read", json!({"uri": resource})),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": prompt}, "argument": {"name": "period", "value": "la"}}),
        ),
        ("ping", json!({})),
    ];
    for (method, params) in answered {
        let r = s.request(method, params);
        assert!(r["result"].is_object(), "{method} not answered: {r}");
    }
    assert!(!caps.contains_key("logging"));
    assert!(caps["resources"].get("subscribe").is_none_or(|v| v != true));
    for method in [
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
    ] {
        let params = match method {
            "logging/setLevel" => json!({"level": "debug"}),
            _ => json!({"uri": resource}),
        };
        let r = s.request(method, params);
        assert_eq!(
            r["error"]["code"], -32601,
            "{method} answered although undeclared: {r}"
        );
    }
}
