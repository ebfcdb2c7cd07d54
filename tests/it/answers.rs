//! Answers a model can trust (issue 21), over real stdio against the sandbox with the pinned
//! clock (2026-11-21 15:30 UTC, 10:30 in the project's New York): a 90-day daily series reaches
//! a text-only client whole (the window covered, the last 7 days daily with their values, in
//! 2,500 bytes, no surface named that was not sent); a partial today is flagged and compared
//! with the same elapsed time; the sandbox serves nothing after now; one structured shape per
//! question; channel ROI with CAC and LTV, ranked. The API's own answers, asked directly over
//! HTTP, are the oracle.

use analytics_mcp::tools::format::thousands;
use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::{McpSession, TestEnv, TestSandbox, text_of};

const PROJECT: &str = "/projects/prj_demo_northwind";

/// `serve` against `sb`, initialized as the client called `name`.
fn session_as(sb: &TestSandbox, name: &str) -> (McpSession, TestEnv) {
    let env = sb.env();
    let mut s = McpSession::spawn(&env, &[]);
    let init = s.initialize_as("2025-11-25", name);
    assert!(init.get("capabilities").is_some(), "{init}");
    (s, env)
}

/// A default sandbox, and a session of a client that reads both the text and
/// `structuredContent`.
fn reads_both() -> (McpSession, TestEnv, TestSandbox) {
    let sb = TestSandbox::start(SandboxOptions::default());
    let (s, env) = session_as(&sb, "a-client-that-reads-both");
    (s, env, sb)
}

/// The Read API's `data` for `path` with `params`, asked directly.
pub fn raw(sb: &TestSandbox, path: &str, params: &[(&str, &str)]) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    analytics_mcp::api::install_crypto_provider();
    rt.block_on(async {
        let body: Value = reqwest::Client::new()
            .get(format!("{}{path}", sb.url()))
            .header("X-API-Key", sb.key())
            .query(params)
            .send()
            .await
            .expect("raw request")
            .json()
            .await
            .expect("raw JSON");
        body["data"].clone()
    })
}

/// `1683` → `1,683`; money as the text writes it: cents below 1,000, whole dollars above.
fn shown(value: &Value, money: bool) -> String {
    let x = value.as_f64().expect("a number");
    let whole = |n: u64| thousands(n as i64);
    match money {
        true if x < 1000.0 => format!("${x:.2}"),
        true => format!("${}", whole(x.round() as u64)),
        false => whole(x as u64),
    }
}

/// The 90-day daily series as the API sends it: 2026-08-23 to 2026-11-20.
pub fn ninety_days(sb: &TestSandbox, path: &str) -> Vec<Value> {
    let rows = raw(
        sb,
        &format!("{PROJECT}{path}"),
        &[
            ("startDate", "2026-08-23"),
            ("endDate", "2026-11-20"),
            ("timezone", "America/New_York"),
            ("granularity", "day"),
        ],
    );
    let rows = rows.as_array().cloned().expect("rows");
    assert_eq!(rows.len(), 90);
    rows
}

/// Checks a 90-day daily answer's text against the API's rows: the whole window, each of the
/// last 7 days on its own line with its value, within 2,500 bytes, and no pointer to a
/// `structuredContent` the client was not sent. Shared with the real-client tests.
pub fn check_ninety_days(text: &str, rows: &[Value], column: &str, money: bool) {
    assert!(text.len() <= 2500, "{} bytes:\n{text}", text.len());
    assert!(!text.contains("structuredContent"), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Date"))
        .collect();
    assert!(
        table.get(1).is_some_and(|l| l.starts_with("2026-08-23")),
        "the first row starts the window:\n{text}"
    );
    for row in &rows[rows.len() - 7..] {
        let date = row["date"].as_str().unwrap();
        let value = shown(&row[column], money);
        assert!(
            table
                .iter()
                .any(|l| l.starts_with(&format!("{date} ")) && l.contains(&value)),
            "{date} {column} {value} is not a daily row:\n{text}"
        );
    }
}

#[test]
fn ninety_daily_days_reach_a_text_client_whole_and_small() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let (mut s, _env) = session_as(&sb, "claude-code");
    for (tool, path, column, money) in [
        ("get_timeseries", "/analytics/timeseries", "visitors", false),
        (
            "get_revenue_timeseries",
            "/revenue/timeseries",
            "revenue",
            true,
        ),
    ] {
        let r = s.call(tool, json!({"period": "last_90_days"}));
        assert_eq!(r["isError"], false, "{r}");
        assert!(r.get("structuredContent").is_none(), "text alone: {r}");
        let text = text_of(&r);
        check_ninety_days(&text, &ninety_days(&sb, path), column, money);
        assert!(
            text.contains("13 weekly rows, then the last 7 days daily"),
            "{text}"
        );
    }
    s.finish();
}

#[test]
fn a_regrouped_series_adds_up_to_the_api_totals_in_structured_content() {
    let (mut s, _env, sb) = reads_both();
    let r = s.call("get_timeseries", json!({"period": "last_90_days"}));
    let view = &r["structuredContent"];
    assert_eq!(
        view["series"],
        json!({"granularity": "day", "buckets": 90, "regrouped": "week",
               "partial": [{"date": "2026-08-23", "days": 1}, {"date": "2026-11-09", "days": 5}]}),
        "{view}"
    );
    let rows = view["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20, "1 + 12 weeks, then 7 days");
    assert_eq!(rows[0][0], "2026-08-23");
    let raw = ninety_days(&sb, "/analytics/timeseries");
    for (i, column) in ["visitors", "pageViews", "sessions"].iter().enumerate() {
        let ours: i64 = rows.iter().map(|r| r[i + 1].as_i64().unwrap()).sum();
        let api: i64 = raw.iter().map(|r| r[column].as_i64().unwrap()).sum();
        assert_eq!(ours, api, "{column}");
    }
    s.finish();
}

#[test]
fn a_partial_today_is_flagged_and_compared_with_the_same_elapsed_time() {
    let (mut s, _env, sb) = reads_both();
    let r = s.call(
        "get_analytics",
        json!({"period": "today", "compare": "previous_period", "detail": true}),
    );
    let view = &r["structuredContent"];
    assert_eq!(view["window"]["includesToday"], true);
    assert_eq!(view["window"]["until"], "10:30");
    let c = &view["comparison"];
    assert_eq!(c["sameElapsedTime"], true, "{c}");
    assert_eq!(
        (c["startDate"].as_str(), c["endDate"].as_str()),
        (Some("2026-11-20"), Some("2026-11-20"))
    );
    assert_eq!(
        view["detail"]["comparison"]["window"]["end"],
        "2026-11-20T10:30:00-05:00"
    );
    // Yesterday until 10:30, as the API counts it, not the whole of yesterday.
    let until = raw(
        &sb,
        &format!("{PROJECT}/analytics"),
        &[
            ("startDate", "2026-11-20T00:00:00-05:00"),
            ("endDate", "2026-11-20T10:30:00-05:00"),
            ("timezone", "America/New_York"),
        ],
    );
    let whole = raw(
        &sb,
        &format!("{PROJECT}/analytics"),
        &[("startDate", "2026-11-20"), ("endDate", "2026-11-20")],
    );
    assert_eq!(c["previous"]["uniqueVisitors"], until["uniqueVisitors"]);
    assert_ne!(until["uniqueVisitors"], whole["uniqueVisitors"]);
    let text = text_of(&r);
    assert!(text.contains("today until 10:30"), "{text}");
    assert!(
        text.contains(
            "2026-11-20 → 2026-11-20 until 10:30 (previous period, the same elapsed time)"
        ),
        "{text}"
    );
    // Asked without `compare`, the API's whole-day comparison is not passed on as if alike.
    let r = s.call("get_analytics", json!({"period": "today"}));
    assert_eq!(
        r["structuredContent"]["comparison"]["sameElapsedTime"],
        true
    );
    s.finish();
}

#[test]
fn the_sandbox_serves_nothing_after_now() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let hours = raw(
        &sb,
        &format!("{PROJECT}/analytics/timeseries"),
        &[("startDate", "2026-11-21"), ("granularity", "hour")],
    );
    let hours = hours.as_array().unwrap();
    // 10:30 in New York: the hours that are over, 00:00 to 09:00.
    assert_eq!(hours.len(), 10, "today's first ten hours");
    assert_eq!(hours.last().unwrap()["date"], "2026-11-21T09:00");
    let day = raw(
        &sb,
        &format!("{PROJECT}/analytics/timeseries"),
        &[("startDate", "2026-11-21"), ("endDate", "2026-11-21")],
    );
    let today: u64 = hours.iter().map(|h| h["visitors"].as_u64().unwrap()).sum();
    assert_eq!(
        day[0]["visitors"], today,
        "today's total is its hours so far"
    );
    let (mut s, _env) = session_as(&sb, "claude-code");
    let text = text_of(&s.call(
        "get_timeseries",
        json!({"period": "month_to_date", "granularity": "week"}),
    ));
    assert!(text.contains("2026-11-01 (1 day)"), "{text}");
    assert!(text.contains("2026-11-16 (so far)"), "{text}");
    s.finish();
}

#[test]
fn get_analytics_has_one_shape_whether_the_api_compared_or_we_asked() {
    let (mut s, _env, _sb) = reads_both();
    // 40 days back: the API sends its own previous period; a year back we ask for it.
    let window = json!({"startDate": "2026-10-05", "endDate": "2026-10-11", "detail": true});
    let mut shapes = Vec::new();
    for (compare, source) in [
        ("previous_period", "upstream"),
        ("previous_year", "computed"),
    ] {
        let mut args = window.clone();
        args["compare"] = json!(compare);
        let r = s.call("get_analytics", args);
        let mut view = r["structuredContent"].clone();
        let detail = view.as_object_mut().unwrap().remove("detail").unwrap();
        // The second call reuses this window's answer from the cache and says when it was
        // fetched: freshness, not shape.
        view.as_object_mut().unwrap().remove("asOf");
        assert_eq!(detail["comparison"]["source"], source);
        let keys = |v: &Value| -> Vec<String> {
            v.as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        shapes.push((
            keys(&view),
            keys(&view["comparison"]),
            keys(&view["comparison"]["previous"]),
            keys(&view["metrics"]),
        ));
    }
    assert_eq!(shapes[0], shapes[1]);
    assert!(shapes[0].1.contains(&"previous".to_string()), "{shapes:?}");
    s.finish();
}

#[test]
fn channel_roi_shows_cac_and_ltv_ranked_by_revenue() {
    let (mut s, _env, _sb) = reads_both();
    let r = s.call("get_channel_roi", json!({"period": "last_30_days"}));
    let text = text_of(&r);
    assert!(text.contains("Ranked by revenue:"), "{text}");
    let header = text.lines().find(|l| l.starts_with("Revenue")).unwrap();
    for column in ["Ad spend", "CAC", "LTV", "ROI", "Channel"] {
        assert!(header.contains(column), "{header}");
    }
    let view = &r["structuredContent"];
    let columns: Vec<&str> = view["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        columns,
        ["revenue", "adSpend", "cac", "ltv", "roi", "channel"]
    );
    let revenue: Vec<f64> = view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_f64().unwrap())
        .collect();
    assert!(revenue.windows(2).all(|w| w[0] >= w[1]), "{revenue:?}");
    // A four-digit percentage has its thousands separator, as every other number.
    let newsletter = view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[5] == "Newsletter")
        .unwrap();
    let roi = newsletter[4].as_f64().unwrap();
    assert!((1000.0..10_000.0).contains(&roi), "{roi}");
    let expected = format!("{},{:05.1}%", (roi / 1000.0) as u64, roi % 1000.0);
    let line = text.lines().find(|l| l.contains("Newsletter")).unwrap();
    assert!(line.contains(&expected), "{expected} in {line}");
    s.finish();
}

#[test]
fn every_tool_shows_what_its_description_promises() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let (mut s, _env) = session_as(&sb, "claude-code");
    // What each description (and the README's tool table) promises, as the text labels it.
    let promised: [(&str, &[&str]); 13] = [
        ("get_project", &["Project ID", "Name", "Timezone"]),
        (
            "get_analytics",
            &[
                "Unique visitors",
                "Page views",
                "Sessions",
                "Bounce rate",
                "Avg duration",
            ],
        ),
        ("get_timeseries", &["Visitors", "Page views", "Sessions"]),
        ("get_realtime", &["Active visitors"]),
        ("get_top_pages", &["Page views", "Visitors", "Path"]),
        ("get_traffic_sources", &["Visitors", "Source"]),
        ("get_top_locations", &["Visitors", "Country"]),
        ("get_events", &["Count", "Event name"]),
        (
            "get_revenue",
            &["MRR", "ARR", "Revenue", "subscriptions", "Churn rate"],
        ),
        ("get_revenue_timeseries", &["Revenue", "New subs", "MRR"]),
        ("get_top_customers", &["Revenue", "Plan", "Name"]),
        (
            "get_channel_roi",
            &["Revenue", "Ad spend", "CAC", "LTV", "ROI"],
        ),
        ("get_api_usage", &["requests"]),
    ];
    for (tool, labels) in promised {
        let text = text_of(&s.call(tool, json!({})));
        for label in labels {
            assert!(text.contains(label), "{tool} lacks {label:?}:\n{text}");
        }
    }
    s.finish();
}

#[test]
fn a_reused_answer_says_when_the_api_was_asked() {
    let (mut s, _env, _sb) = reads_both();
    let first = s.call("get_top_pages", json!({}));
    assert!(first["structuredContent"].get("asOf").is_none(), "{first}");
    let again = s.call("get_top_pages", json!({}));
    let view = &again["structuredContent"];
    let as_of = view["asOf"].as_str().expect("asOf on a reused answer");
    assert!(as_of.parse::<jiff::Timestamp>().is_ok(), "{as_of}");
    assert!(
        view["summary"]
            .as_str()
            .unwrap()
            .contains("Reused answer from"),
        "{view}"
    );
    s.finish();
}
