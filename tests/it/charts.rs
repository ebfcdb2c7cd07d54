//! Charts (issue 15): the MCP Apps view offered only to clients that declare the extension;
//! the terminal chart and `--svg` of `call`; and the view itself in Debian's Chromium under the
//! real host bridge of `@modelcontextprotocol/ext-apps`, fed a real `serve --demo` answer (one
//! mark per point, no network, metric switch, theme, fallback), with `call --svg` rendered
//! beside it. Screenshots go to `target/tmp/charts/` (and to `docs/` with
//! `ANALYTICS_MCP_UPDATE_DOCS=1`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::{McpSession, TestEnv, repo, skip_or_fail};

const UI: &str = "io.modelcontextprotocol/ui";
const VIEW: &str = "ui://analytics/chart.html";
const MIME: &str = "text/html;profile=mcp-app";

/// `serve --demo`, initialized with these client capabilities.
fn session(capabilities: Value) -> (McpSession, TestEnv) {
    let env = TestEnv::new();
    let mut s = McpSession::spawn(&env, &["--demo"]);
    s.initialize_declaring(capabilities, "apps-host");
    (s, env)
}

fn with_ui() -> Value {
    json!({"extensions": {UI: {"mimeTypes": [MIME]}}})
}

fn tools(s: &mut McpSession) -> Vec<Value> {
    s.request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn resources(s: &mut McpSession) -> Vec<String> {
    s.request("resources/list", json!({}))["result"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["uri"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn only_a_client_that_declares_mcp_apps_is_offered_the_view() {
    let (mut s, _env) = session(with_ui());
    let listed = tools(&mut s);
    let charted: Vec<&str> = listed
        .iter()
        .filter(|t| t["_meta"]["ui"]["resourceUri"] == VIEW)
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        charted,
        [
            "get_timeseries",
            "get_top_pages",
            "get_traffic_sources",
            "get_top_locations",
            "get_events",
            "get_revenue_timeseries",
            "get_top_customers",
            "get_channel_roi"
        ]
    );
    for t in &listed {
        // The legacy key some hosts still read says the same.
        assert_eq!(
            t["_meta"]["ui"]["resourceUri"],
            t["_meta"]["ui/resourceUri"]
        );
    }
    assert!(resources(&mut s).contains(&VIEW.to_string()));
    let read = s.request("resources/read", json!({"uri": VIEW}));
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["mimeType"], MIME);
    assert!(
        contents["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("<!doctype html>")
    );
    assert_eq!(contents["_meta"]["ui"]["csp"]["connectDomains"], json!([]));
    // Each result carries the view's data in `_meta`; the text is what it always was.
    let r = s.call("get_timeseries", json!({"period": "last_7_days"}));
    let chart = &r["_meta"]["analytics-mcp/chart"];
    assert_eq!(chart["kind"], "series");
    assert_eq!(chart["labels"].as_array().map(Vec::len), Some(7));
    assert_eq!(chart["metrics"][0]["key"], "visitors");
    let text = r["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("Totals, one character per day"), "{text}");
    s.finish();

    // A client that declares other MIME types only is not offered it.
    let (mut s, _env) = session(json!({"extensions": {UI: {"mimeTypes": ["text/uri-list"]}}}));
    assert!(tools(&mut s).iter().all(|t| t.get("_meta").is_none()));
    s.finish();
}

#[test]
fn other_clients_see_no_view_no_extra_resource_and_no_chart_data() {
    let (mut s, _env) = session(json!({}));
    for t in tools(&mut s) {
        assert!(t.get("_meta").is_none(), "{t}");
    }
    assert_eq!(
        resources(&mut s),
        ["analytics://project", "analytics://glossary"]
    );
    let r = s.call("get_timeseries", json!({}));
    assert!(r.get("_meta").is_none(), "{r}");
    s.finish();
}

fn call(env: &TestEnv, args: &[&str]) -> String {
    let out = env.run(args, "").exits(0);
    out.stdout
}

#[test]
fn call_draws_a_chart_under_the_table_only_when_asked_or_on_a_terminal() {
    let env = TestEnv::new();
    let args = ["call", "get_timeseries", "--demo", "period=last_7_days"];
    // Not a terminal here: the answer as a model gets it.
    let plain = call(&env, &args);
    assert!(!plain.contains('┤'), "{plain}");
    let charted = call(&env, &[&args[..], &["--chart"]].concat());
    assert!(charted.starts_with(plain.trim_end()), "{charted}");
    let chart = &charted[plain.trim_end().len()..];
    for metric in [
        "Visitors (per day)",
        "Page views (per day)",
        "Sessions (per day)",
    ] {
        assert!(chart.contains(metric), "{chart}");
    }
    // Eight rows of columns per metric, the top and the base labelled.
    assert_eq!(chart.matches('┤').count(), 6, "{chart}");
    env.run(&[&args[..], &["--chart", "--json"]].concat(), "")
        .exits(2);
    env.run(&[&args[..], &["--chart", "--no-chart"]].concat(), "")
        .exits(2);
}

#[test]
fn call_svg_writes_one_mark_per_point_and_refuses_a_tool_without_a_chart() {
    let env = TestEnv::new();
    let file = env.dir.path().join("traffic.svg");
    let path = file.display().to_string();
    let out = env
        .run(
            &[
                "call",
                "get_timeseries",
                "--demo",
                "period=last_30_days",
                "--svg",
                &path,
            ],
            "",
        )
        .exits(0);
    out.stderr_has(&["Wrote the chart to"]);
    let svg = std::fs::read_to_string(&file).expect("svg written");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // 30 days × visitors, page views, sessions.
    assert_eq!(svg.matches("<circle class=\"point\"").count(), 90);
    assert!(!svg.contains("<script"));
    let out = env
        .run(&["call", "get_realtime", "--demo", "--svg", &path], "")
        .exits(2);
    out.stderr_has(&["has no chart"]);
}

/// playwright-core, esbuild and Chromium, or a reason why not.
fn browser_tools() -> Option<(PathBuf, PathBuf, String)> {
    let node_modules = repo().join(".ci/node/node_modules");
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let esbuild = node_modules.join(".bin/esbuild");
    let bridge = node_modules.join("@modelcontextprotocol/ext-apps/package.json");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node
        && Path::new(&chromium).exists()
        && esbuild.exists()
        && bridge.exists()
        && node_modules.join("playwright-core").exists()
    {
        return Some((node_modules, esbuild, chromium));
    }
    skip_or_fail(
        "Chromium, node, playwright-core, esbuild or @modelcontextprotocol/ext-apps is missing (bash .ci/install-clients)",
    );
    None
}

/// Where screenshots are kept: the target dir (a CI artifact).
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("charts");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

#[test]
fn the_view_draws_a_real_answer_under_the_real_host_bridge() {
    let Some((node_modules, esbuild, chromium)) = browser_tools() else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let put = |name: &str, text: &str| {
        let p = work.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    };
    // The host bridge from the npm package, bundled for the browser.
    let bridge = work.path().join("bridge.js");
    let built = Command::new(&esbuild)
        .arg(repo().join("tests/browser/host-bridge.mjs"))
        .args([
            "--bundle",
            "--format=iife",
            "--platform=browser",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", bridge.display()))
        .env("NODE_PATH", &node_modules)
        .output()
        .expect("run esbuild");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    // A real answer from `serve --demo`, asked as an MCP Apps host asks.
    let (mut s, env) = session(with_ui());
    let html = s.request("resources/read", json!({"uri": VIEW}))["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let args = json!({"period": "last_30_days", "compare": "previous_period"});
    let series = s.call("get_timeseries", args);
    let bars = s.call("get_top_pages", json!({}));
    s.finish();
    let chart = &series["_meta"]["analytics-mcp/chart"];
    let points = |m: usize| {
        chart["metrics"][m]["values"]
            .as_array()
            .map(|v| v.iter().filter(|x| x.is_number()).count())
            .unwrap_or(0)
    };
    assert_eq!(points(0), 30, "{chart}");

    let svg = work.path().join("traffic.svg");
    let svg_path = svg.display().to_string();
    call(
        &env,
        &[
            "call",
            "get_timeseries",
            "--demo",
            "period=last_30_days",
            "compare=previous_period",
            "--svg",
            &svg_path,
        ],
    );
    let terminal = call(
        &env,
        &[
            "call",
            "get_timeseries",
            "--demo",
            "period=last_30_days",
            "--chart",
        ],
    );

    let out_dir = shots();
    let run = Command::new("node")
        .arg(repo().join("tests/browser/view.mjs"))
        .env("PLAYWRIGHT_CORE", node_modules.join("playwright-core"))
        .env("CHROMIUM_PATH", &chromium)
        .env("BRIDGE_JS", &bridge)
        .env("VIEW_HTML", put("view.html", &html))
        .env("SERIES_RESULT", put("series.json", &series.to_string()))
        .env("BARS_RESULT", put("bars.json", &bars.to_string()))
        .env("SVG_FILE", &svg)
        .env("TERMINAL_TXT", put("terminal.txt", &terminal))
        .env("OUT_DIR", &out_dir)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| {
            panic!(
                "no report ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&run.stderr)
            )
        });
    assert!(
        run.status.success() && report.get("failure").is_none(),
        "{report:#}"
    );
    assert_eq!(report["requests"], json!([]), "the view fetched something");
    assert_eq!(report["errors"], json!([]), "script errors in the view");

    // One mark per point, the previous period dashed, a tab per metric, hover says date+value.
    assert_eq!(report["series"]["points"], points(0), "{report:#}");
    assert_eq!(report["series"]["dashed"], 1);
    assert_eq!(
        report["series"]["tabs"],
        json!(["Visitors", "Page views", "Sessions"])
    );
    let tip = report["series"]["tip"].as_str().unwrap_or_default();
    assert!(tip.starts_with("2026-") && tip.contains(": "), "{tip}");
    assert_eq!(report["series"]["background"], "rgb(255, 255, 255)");
    // The metric switch on click.
    assert_eq!(report["switched"]["selected"], "Page views");
    assert!(
        report["switched"]["headline"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Page views")
    );
    assert_eq!(report["switched"]["points"], points(1));
    // The host's theme is followed.
    assert_eq!(report["dark"]["background"], "rgb(17, 24, 39)");
    assert!(
        report["sizes"].as_u64().unwrap_or(0) >= 1,
        "no size-changed"
    );
    // Bars: one per row of the breakdown.
    let rows = bars["structuredContent"]["rows"].as_array().map(Vec::len);
    assert_eq!(report["bars"]["points"].as_u64(), rows.map(|r| r as u64));
    // A malformed or error result: readable text, never a blank frame.
    let malformed = report["malformed"]["text"].as_str().unwrap_or_default();
    assert!(
        malformed.contains("No chart for this answer"),
        "{malformed}"
    );
    assert!(
        report["malformed"]["cells"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("2026-11-01")))
    );
    assert_eq!(report["malformed"]["points"], 0);
    let error = report["error"]["text"].as_str().unwrap_or_default();
    assert!(error.contains("not signed in"), "{error}");
    // `call --svg`: the same points, in Chromium.
    assert_eq!(report["svg"]["points"], points(0) + points(1) + points(2));
    assert_eq!(report["svg"]["dashed"], 3);

    for shot in ["view.png", "view-dark.png", "svg.png", "terminal.png"] {
        let path = out_dir.join(shot);
        assert!(
            std::fs::metadata(&path).is_ok_and(|m| m.len() > 1000),
            "{shot}"
        );
        if std::env::var("ANALYTICS_MCP_UPDATE_DOCS").is_ok_and(|v| v == "1") {
            let docs = repo().join("docs");
            std::fs::create_dir_all(&docs).expect("docs");
            std::fs::copy(&path, docs.join(shot)).expect("copy screenshot");
        }
    }
    eprintln!("screenshots in {}", out_dir.display());
}
