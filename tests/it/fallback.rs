//! Issue 24: every tool answers against a Read API whose inferred paths are not where we
//! expect them. The sandbox plays both sides over real HTTP: `moved_paths` makes the eight
//! inferred paths answer 404, and its Himetrica-like hosted MCP server at `/api/v1/mcp`
//! serves the eleven tools with the same key, in either protocol era. Checked: every tool
//! answers through `serve` (a raw JSON-RPC client) and `call`, for the window asked; the key
//! reaches only its origin; each 404 is paid at most once per process; `doctor` names every
//! tool's source; against the normal sandbox the hosted server hears nothing and the probe
//! costs one request per endpoint, at `login`/`doctor` only; with the hosted server absent or
//! refusing the key a moved path gives today's error; a pinned path always wins; an answer
//! of unknown shape goes to the hosted tool, or comes through as sent with a note; and
//! `tools --json` names each path and how sure we are of it.

use analytics_mcp::config::endpoints::{Certainty, DEFAULT_PATHS, PROJECT_PLACEHOLDER};
use analytics_mcp_sandbox::mcp::McpEra;
use analytics_mcp_sandbox::{Fault, FaultKind, ReadApiMcp, SandboxOptions};
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::{TestEnv, TestSandbox, python_sdk, repo, succeeded, text_of};

const PROJECT: &str = "prj_demo_northwind";
const NOTE: &str = "Answered by Himetrica's MCP server";

/// A sandbox whose inferred paths moved, its hosted server doing `hosted`, speaking `era`.
fn moved(era: McpEra, hosted: ReadApiMcp) -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        moved_paths: true,
        read_api_mcp: hosted,
        mcp_era: era,
        ..SandboxOptions::default()
    })
}

/// `(tool, full path on the sandbox, certainty)` for the eleven tools with a project path.
fn tools() -> Vec<(&'static str, String, Certainty)> {
    DEFAULT_PATHS
        .iter()
        .filter(|(tool, ..)| *tool != "get_project")
        .map(|(tool, template, certainty)| {
            let path = format!("/api/v1{}", template.replace(PROJECT_PLACEHOLDER, PROJECT));
            (*tool, path, *certainty)
        })
        .collect()
}

/// The arguments each tool is called with: a fixed week where it takes a window.
fn args(tool: &str) -> Value {
    match tool {
        "get_realtime" => json!({}),
        "get_top_pages" | "get_top_customers" => {
            json!({"startDate": "2026-10-01", "endDate": "2026-10-07", "limit": 3})
        }
        "get_traffic_sources" => {
            json!({"startDate": "2026-10-01", "endDate": "2026-10-07", "groupBy": "utm_source"})
        }
        _ => json!({"startDate": "2026-10-01", "endDate": "2026-10-07"}),
    }
}

#[test]
fn every_tool_answers_through_serve_from_the_hosted_server_in_either_era() {
    for era in [McpEra::Stateless, McpEra::Session] {
        let sb = moved(era, ReadApiMcp::Serves);
        let env = sb.env();
        let mut s = session(&env, &[]);
        // Twice each: the second round must not ask a moved path again.
        for round in 0..2 {
            for (tool, _, certainty) in tools() {
                let r = s.call(tool, args(tool));
                let text = text_of(&r);
                assert_eq!(r["isError"], false, "{era:?} {tool}: {r}");
                let hosted = certainty == Certainty::Inferred;
                assert_eq!(text.contains(NOTE), hosted, "{era:?} {tool}: {text}");
                if tool != "get_realtime" {
                    let window = &r["structuredContent"]["window"];
                    assert_eq!(window["startDate"], "2026-10-01", "{era:?} {tool}: {r}");
                    assert_eq!(window["endDate"], "2026-10-07", "{era:?} {tool}: {r}");
                }
                if hosted {
                    let summary = r["structuredContent"]["summary"].as_str().unwrap();
                    assert!(
                        summary.contains(NOTE),
                        "{era:?} {tool} round {round}: {summary}"
                    );
                }
            }
        }
        // Numbers, not an empty table: the demo's top page has views.
        let r = s.call("get_top_pages", args("get_top_pages"));
        assert!(
            r["structuredContent"]["rows"]
                .as_array()
                .is_some_and(|rows| rows.len() == 3),
            "{era:?}: {r}"
        );
        s.finish();
        for (tool, path, certainty) in tools() {
            let asked = sb.sandbox.requests_to(&path);
            if certainty == Certainty::Inferred {
                assert_eq!(
                    asked, 1,
                    "{era:?} {tool}: the 404 of {path} was paid {asked} times"
                );
            } else {
                // Asked once; the second round's answer is the cached first.
                assert_eq!(asked, 1, "{era:?} {tool}: {path} asked {asked} times");
            }
        }
        let hosted = sb.sandbox.read_api_mcp_stats();
        assert!(hosted.tool_calls >= 17, "{era:?}");
        assert_eq!(
            hosted.tool_lists, 1,
            "{era:?}: the input schemas are read once"
        );
        assert!(sb.sandbox.received_credential(sb.key()));
    }
}

#[test]
fn call_answers_every_tool_from_the_terminal_for_the_window_asked() {
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    for (tool, _, certainty) in tools() {
        let mut words = vec!["call".to_string(), tool.to_string(), "--json".to_string()];
        for (k, v) in args(tool).as_object().unwrap() {
            words.push(format!(
                "{k}={}",
                v.as_str().map_or(v.to_string(), str::to_string)
            ));
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let out = env.run(&words, "").exits(0);
        let answer: Value = serde_json::from_str(&out.stdout).unwrap();
        let request = answer["request"]["path"].as_str().unwrap_or_default();
        assert_eq!(
            request.contains("/api/v1/mcp tools/call"),
            certainty == Certainty::Inferred,
            "{tool}: {answer}"
        );
        if tool != "get_realtime" {
            assert_eq!(
                answer["window"]["startDate"], "2026-10-01",
                "{tool}: {answer}"
            );
        }
    }
    // A comparison asked of a tool the hosted server answers is computed from its answers.
    let out = env.run_words(
        "call get_revenue startDate=2026-10-01 endDate=2026-10-07 compare=previous_period --json",
        "",
    ).exits(0);
    let answer: Value = serde_json::from_str(&out.stdout).unwrap();
    let comparison = &answer["comparison"];
    assert_eq!(comparison["source"], "computed", "{answer}");
    assert_eq!(comparison["window"]["startDate"], "2026-09-24", "{answer}");
    assert!(comparison["metrics"]["revenue"].is_object(), "{answer}");
    // A person reading the text is told where the numbers came from.
    let out = env.run_words("call get_revenue period=last_7_days", "");
    out.expect_code(0)
        .stdout_has(&[NOTE, "/projects/{project}/revenue was not found"]);
}

#[test]
fn the_key_goes_only_to_the_api_origin_even_when_the_hosted_url_points_elsewhere() {
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let elsewhere = TestSandbox::start(SandboxOptions::default());
    let env = sb.env();
    env.write_config(&format!(
        "hosted_mcp_url = \"{}\"\n",
        elsewhere.sandbox.read_api_mcp_url()
    ));
    let out = env.run_words("call get_top_pages limit=3", "");
    assert_ne!(out.code, 0, "{}", out.all());
    out.stderr_has(&["/projects/prj_demo_northwind/pages (404)", "[endpoints]"]);
    assert!(!elsewhere.sandbox.received_credential(sb.key()));
    assert_eq!(elsewhere.sandbox.read_api_mcp_stats().tool_calls, 0);
}

#[test]
fn without_the_hosted_server_a_moved_path_says_what_it_always_said() {
    for hosted in [ReadApiMcp::Absent, ReadApiMcp::RefusesKey] {
        let sb = moved(McpEra::Both, hosted);
        let env = sb.env();
        let out = env.run_words("call get_events", "");
        assert_ne!(out.code, 0, "{hosted:?}: {}", out.all());
        out.stderr_has(&[
            "The analytics API has nothing at /projects/prj_demo_northwind/events (404)",
            "override it under [endpoints] in config.toml",
        ]);
        assert!(!out.all().contains(sb.key()));
        // The server keeps serving, and a tool whose path answers still does.
        let mut s = session(&env, &[]);
        let r = s.call("get_events", json!({}));
        assert_eq!(r["isError"], true, "{hosted:?}: {r}");
        assert!(text_of(&r).contains("/events (404)"), "{hosted:?}: {r}");
        let r = s.call("get_analytics", json!({}));
        assert_eq!(r["isError"], false, "{hosted:?}: {r}");
        s.finish();
    }
    // `fallback = false` turns the hosted server off even when it would answer.
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    env.write_config("fallback = false\n");
    let out = env.run_words("call get_events", "");
    assert_ne!(out.code, 0, "{}", out.all());
    out.stderr_has(&["/events (404)"]);
    assert_eq!(sb.sandbox.read_api_mcp_stats().tool_calls, 0);
}

#[test]
fn a_pinned_path_always_wins() {
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    env.write_config("[endpoints]\nget_top_pages = \"/projects/{project}/reports/pages\"\n");
    let out = env.run_words("call get_top_pages limit=2", "").exits(0);
    assert!(!out.stdout.contains(NOTE), "{}", out.stdout);
    assert_eq!(sb.sandbox.read_api_mcp_stats().tool_calls, 0);
    assert_eq!(
        sb.sandbox
            .requests_to(&format!("/api/v1/projects/{PROJECT}/reports/pages")),
        1
    );
}

#[test]
fn doctor_probes_names_every_source_and_serve_then_skips_the_missing_paths() {
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    let out = env.run_words("doctor --endpoints", "");
    out.expect_code(0).stdout_has(&[
        "11 of 11 tools answer: 3 through the Read API, 8 through Himetrica's MCP server",
    ]);
    for (tool, _, certainty) in tools() {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{tool} ")))
            .unwrap_or_else(|| panic!("no row for {tool}: {}", out.stdout));
        assert!(line.contains(certainty.name()), "{line}");
        let (probed, source) = if certainty == Certainty::Inferred {
            (" 404 ", "Himetrica's MCP server")
        } else {
            (" answers ", "Read API")
        };
        assert!(line.contains(probed) && line.ends_with(source), "{line}");
    }
    // `status` says the same from the record, asking no path.
    let before = sb.sandbox.stats().requests;
    let out = env.run_words("status", "");
    out.expect_code(0).stdout_has(&[
        "Tools:      11 of 11 tools answer: 3 through the Read API, 8 through Himetrica's MCP server",
    ]);
    assert_eq!(
        sb.sandbox.stats().requests,
        before + 1,
        "status asked more than /me"
    );
    // The probe remembered the 404s: `serve` goes straight to the hosted server.
    let pages = format!("/api/v1/projects/{PROJECT}/pages");
    assert_eq!(sb.sandbox.requests_to(&pages), 1, "the probe asked once");
    let mut s = session(&env, &[]);
    let r = s.call("get_top_pages", json!({"limit": 2}));
    assert!(text_of(&r).contains(NOTE), "{r}");
    s.finish();
    assert_eq!(
        sb.sandbox.requests_to(&pages),
        1,
        "serve asked a path the probe found missing"
    );
    // `doctor` reuses today's findings; `doctor --probe` asks again.
    env.run_words("doctor", "").expect_code(0);
    assert_eq!(sb.sandbox.requests_to(&pages), 1);
    env.run_words("doctor --probe", "").expect_code(0);
    assert_eq!(sb.sandbox.requests_to(&pages), 2);
}

#[test]
fn against_the_real_paths_the_hosted_server_hears_nothing_and_the_probe_runs_at_login_only() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    let out = crate::first_run::login_with_key(&env, &sb, &[]);
    out.expect_code(0).stderr_has(&[
        "Tools: 11 of 11 tools answer: 11 through the Read API, 0 through Himetrica's MCP server",
    ]);
    for (tool, path, _) in tools() {
        assert_eq!(
            sb.sandbox.requests_to(&path),
            1,
            "{tool}: the probe asked {path}"
        );
    }
    let mut s = session(&env, &[]);
    for (tool, _, _) in tools() {
        let r = s.call(tool, args(tool));
        assert_eq!(r["isError"], false, "{tool}: {r}");
        assert!(!text_of(&r).contains(NOTE), "{tool}: {r}");
    }
    s.finish();
    // `serve` probed nothing: each path was asked once more, by its own call.
    for (tool, path, _) in tools() {
        assert_eq!(sb.sandbox.requests_to(&path), 2, "{tool}: {path}");
    }
    assert_eq!(sb.sandbox.read_api_mcp_stats().tool_calls, 0);
    assert_eq!(sb.sandbox.requests_to("/api/v1/mcp"), 0);
}

#[test]
fn the_python_sdk_gets_every_tool_through_the_fallback() {
    let Some(python) = python_sdk("mcp") else {
        return;
    };
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(repo().join("tests/python/check_fallback.py"))
        .arg(crate::common::bin());
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run python");
    let stdout = succeeded(&out, "python SDK fallback check");
    assert!(
        stdout.contains("all 11 tools answered, 8 through the fallback"),
        "{stdout}"
    );
}

#[test]
fn an_answer_of_unknown_shape_is_never_shown_as_an_empty_table() {
    // `/events` answers 200, but with none of the fields get_events reads.
    let odd = r#"{"data":{"message":"ok","items":3}}"#;
    for hosted in [ReadApiMcp::Serves, ReadApiMcp::Absent] {
        let sb = TestSandbox::start(SandboxOptions {
            faults: vec![Fault::new("/events", FaultKind::Json(odd.into()))],
            read_api_mcp: hosted,
            ..SandboxOptions::default()
        });
        let env = sb.env();
        let out = env
            .run_words("call get_events period=last_7_days", "")
            .exits(0);
        match hosted {
            // The hosted tool answers, and says why it was asked.
            ReadApiMcp::Serves => out.stdout_has(&[
                NOTE,
                "answered with a shape this tool does not know",
                "signup_completed",
            ]),
            // Nothing stands in: the data as sent, with a note.
            _ => out.stdout_has(&[
                "answered with a shape get_events does not know",
                r#"{"message":"ok","items":3}"#,
            ]),
        };
    }
}

#[test]
fn tools_json_names_each_path_and_how_sure_we_are() {
    let env = TestEnv::new();
    env.write_config("[endpoints]\nget_events = \"/projects/{project}/custom-events\"\n");
    let out = env.run_words("tools --json", "").exits(0);
    let listed: Value = serde_json::from_str(&out.stdout).unwrap();
    let endpoint = |name: &str| {
        listed["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["endpoint"].clone())
            .unwrap()
    };
    assert_eq!(endpoint("get_analytics")["certainty"], "documented");
    assert_eq!(endpoint("get_top_locations")["certainty"], "corroborated");
    assert_eq!(
        endpoint("get_top_pages"),
        json!({"path": "/projects/{project}/pages", "certainty": "inferred"})
    );
    assert_eq!(
        endpoint("get_events"),
        json!({"path": "/projects/{project}/custom-events", "certainty": "configured"})
    );
    assert_eq!(endpoint("explain_change"), Value::Null);
}

#[test]
fn the_probe_stays_within_the_rate_limit() {
    // Eight requests a minute: `/me` and seven paths fit; the probe stops there rather than
    // be refused, and says what it could not check.
    let sb = TestSandbox::rate_limited(8);
    let env = TestEnv::new();
    let out = crate::first_run::login_with_key(&env, &sb, &[]);
    out.expect_code(0)
        .stderr_has(&["Tools: 7 of 11 tools answer", "4 not checked"]);
    assert_eq!(sb.sandbox.stats().rate_limited, 0, "{}", out.all());
    assert_eq!(sb.sandbox.stats().requests, 8);
}

#[test]
fn explain_change_reads_its_breakdowns_through_the_hosted_server() {
    let moved = moved(McpEra::Both, ReadApiMcp::Serves);
    let normal = TestSandbox::start(SandboxOptions::default());
    let explain = |sb: &TestSandbox| {
        let out = sb
            .env()
            .run_words(
                "call explain_change metric=visitors period=last_7_days --json",
                "",
            )
            .exits(0);
        serde_json::from_str::<Value>(&out.stdout).unwrap()
    };
    // The same explanation as where every path answers.
    let (a, b) = (explain(&moved), explain(&normal));
    assert!(a["data"].as_object().is_some_and(|d| !d.is_empty()), "{a}");
    assert_eq!(a["data"], b["data"], "{a}\n{b}");
    assert!(moved.sandbox.read_api_mcp_stats().tool_calls > 0);
    let pages = format!("/api/v1/projects/{PROJECT}/pages");
    assert_eq!(
        moved.sandbox.requests_to(&pages),
        1,
        "the 404 of /pages is paid once, though both windows are asked together"
    );
}

#[test]
fn calls_that_come_together_pay_a_missing_paths_404_once() {
    let sb = moved(McpEra::Both, ReadApiMcp::Serves);
    let env = sb.env();
    let mut s = session(&env, &[]);
    // Five calls for different windows of the same tool, sent before any answer is read.
    let ids: Vec<Value> = (1..=5)
        .map(|day| {
            let id = json!(format!("together-{day}"));
            s.send(&json!({
                "jsonrpc": "2.0",
                "id": id,
                "method": "tools/call",
                "params": {"name": "get_top_pages", "arguments": {
                    "startDate": format!("2026-10-0{day}"),
                    "endDate": "2026-10-07",
                    "limit": 3,
                }},
            }));
            id
        })
        .collect();
    // The answers, in whatever order they come.
    let mut answers: Vec<Value> = Vec::new();
    while answers.len() < ids.len() {
        let msg = s.recv();
        if ids.contains(&msg["id"]) {
            answers.push(msg);
        }
    }
    for r in &answers {
        assert_ne!(r["result"]["isError"], true, "{r}");
        assert!(
            text_of(&r["result"]).contains("Himetrica's MCP server"),
            "{r}"
        );
    }
    s.finish();
    let pages = format!("/api/v1/projects/{PROJECT}/pages");
    assert_eq!(
        sb.sandbox.requests_to(&pages),
        1,
        "the 404 was paid more than once"
    );
    assert_eq!(sb.sandbox.read_api_mcp_stats().tool_calls, 5);
}
