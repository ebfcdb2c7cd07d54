//! What a client is sent, by who it is: the output mode chosen from `clientInfo.name` (and
//! the `output` setting that overrides it), `ttlMs` for 2026-07-28 clients, icons, and the
//! three prompts with their completions.

use serde_json::{Value, json};

use crate::common::run::{error_message, session};
use crate::common::{McpSession, TestEnv, text_of};

/// `serve --demo` initialized as the client called `name`, with extra environment.
fn session_as(name: &str, vars: &[(&str, &str)], config: Option<&str>) -> (McpSession, TestEnv) {
    let mut env = TestEnv::new();
    for (k, v) in vars {
        env.set(k, v);
    }
    if let Some(c) = config {
        env.write_config(c);
    }
    let mut s = McpSession::spawn(&env, &["--demo"]);
    let init = s.initialize_as("2025-11-25", name);
    assert!(init.get("capabilities").is_some(), "{init}");
    (s, env)
}

fn tools(s: &mut McpSession) -> Vec<Value> {
    s.request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn claude_code_and_codex_get_the_text_alone_other_clients_both() {
    for client in ["claude-code", "codex-mcp-client"] {
        let (mut s, _env) = session_as(client, &[], None);
        let listed = tools(&mut s);
        assert_eq!(listed.len(), 14);
        // A declared outputSchema would oblige every result to carry structuredContent,
        // which these clients would then hand the model instead of the text.
        assert!(
            listed.iter().all(|t| t.get("outputSchema").is_none()),
            "{client}"
        );
        let r = s.call("get_top_pages", json!({"limit": 3}));
        assert!(r.get("structuredContent").is_none(), "{client}: {r}");
        let text = text_of(&r);
        assert!(
            text.starts_with("Top pages: ") && text.contains("Top 3 shown (limit=3); more exist"),
            "{client}: {text}"
        );
        s.finish();
    }
    let (mut s, _env) = session_as("some-other-client", &[], None);
    assert!(tools(&mut s).iter().all(|t| t["outputSchema"].is_object()));
    let r = s.call("get_top_pages", json!({"limit": 3}));
    assert!(text_of(&r).contains("Page views  Visitors  Path"), "{r}");
    assert_eq!(r["structuredContent"]["columns"][2], "path", "{r}");
    s.finish();
}

#[test]
fn the_output_setting_overrides_the_client() {
    let (mut s, _env) = session_as(
        "claude-code",
        &[("ANALYTICS_MCP_OUTPUT", "structured")],
        None,
    );
    assert!(tools(&mut s).iter().all(|t| t["outputSchema"].is_object()));
    let r = s.call("get_top_pages", json!({"limit": 3}));
    let summary = r["structuredContent"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(summary, "Top pages: top 3 shown (limit=3); more exist.");
    // The text is only the summary: a client that passes both pays for the rows once.
    assert_eq!(text_of(&r), summary);
    s.finish();

    let (mut s, _env) = session_as("codex-mcp-client", &[], Some("output = \"both\"\n"));
    let r = s.call("get_top_pages", json!({"limit": 3}));
    assert!(r["structuredContent"]["rows"].is_array(), "{r}");
    assert!(text_of(&r).contains("Page views  Visitors  Path"), "{r}");
    s.finish();

    let (mut s, _env) = session_as(
        "some-other-client",
        &[("ANALYTICS_MCP_OUTPUT", "text")],
        None,
    );
    let r = s.call("get_analytics", json!({}));
    assert!(r.get("structuredContent").is_none(), "{r}");
    s.finish();

    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_OUTPUT", "json");
    let out = env.run(&["serve", "--demo"], "");
    assert_ne!(out.code, 0);
    out.stderr_has(&["ANALYTICS_MCP_OUTPUT must be auto, text, structured or both, not `json`"]);
}

/// `_meta` of a 2026-07-28 request, which carries its own protocol version and client.
fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "some-other-client", "version": "1"}
    })
}

#[test]
fn lists_carry_a_day_long_ttl_for_2026_07_28_clients_only() {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    for method in ["tools/list", "prompts/list"] {
        let r = s.request(method, json!({"_meta": meta_2026()}));
        assert_eq!(r["result"]["ttlMs"], 86_400_000, "{method}: {r}");
    }
    s.finish();
    let (mut s, _env) = session_as("some-other-client", &[], None);
    let r = s.request("tools/list", json!({}));
    assert!(r["result"].get("ttlMs").is_none(), "{r}");
    s.finish();
}

#[test]
fn the_server_and_every_tool_carry_an_inline_svg_icon() {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    let init = s.initialize();
    let icon = |v: &Value| {
        v["icons"][0]["src"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        icon(&init["serverInfo"]).starts_with("data:image/svg+xml,%3Csvg"),
        "{init}"
    );
    for tool in tools(&mut s) {
        assert!(icon(&tool).starts_with("data:image/svg+xml,"), "{tool}");
        assert_eq!(tool["icons"][0]["mimeType"], "image/svg+xml");
    }
    s.finish();
}

#[test]
fn three_prompts_are_listed_and_complete_their_arguments() {
    let env = TestEnv::new();
    let mut s = session(&env, &["--demo"]);
    let listed = s.request("prompts/list", json!({}));
    let names: Vec<&str> = listed["result"]["prompts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["weekly_report", "what_changed", "revenue_review"]);

    let complete = |s: &mut McpSession, prompt: &str, arg: &str, value: &str| -> Vec<String> {
        let r = s.request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": prompt},
                   "argument": {"name": arg, "value": value}}),
        );
        r["result"]["completion"]["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        complete(&mut s, "revenue_review", "period", "last_"),
        [
            "last_7_days",
            "last_28_days",
            "last_30_days",
            "last_90_days",
            "last_month",
            "last_12_months"
        ]
    );
    assert_eq!(
        complete(&mut s, "weekly_report", "period", "year"),
        ["year_to_date"]
    );
    assert_eq!(complete(&mut s, "what_changed", "metric", "m"), ["mrr"]);
    assert!(
        complete(&mut s, "revenue_review", "metric", "").is_empty(),
        "revenue_review has no metric argument"
    );

    let got = s.request("prompts/get", json!({"name": "revenue_review"}));
    let text = got["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default();
    for needle in [
        "period=last_30_days",
        "get_revenue",
        "get_top_customers",
        "get_channel_roi",
        "churn",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let bad = s.request(
        "prompts/get",
        json!({"name": "revenue_review", "arguments": {"period": "fortnight"}}),
    );
    assert!(error_message(&bad).contains("last_12_months"), "{bad}");
    s.finish();
}
