//! Argument errors, at the terminal (`call`) and over MCP (tool error results) alike: they
//! name the parameter and the accepted values, suggest the nearest name or value for a typo,
//! and never show a library's wording (`unknown variant`, `must be boolean`, jiff's
//! "parameter 'day'"); `limit=05` is 5, booleans take true/false, and `call … --limit 3` is
//! told to write `limit=3`. Each refusal exits 2, like an unknown flag.

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::run::{refusal, session};
use crate::common::snap::assert_cmd_snapshot;

/// Library wording no message may show.
const LEAKS: &[&str] = &[
    "unknown variant",
    "must be boolean",
    "parameter 'day'",
    "invalid type",
    "expected one of",
    "use '--",
];

#[track_caller]
fn no_leaks(text: &str) {
    for leak in LEAKS {
        assert!(!text.contains(leak), "`{leak}` leaked:\n{text}");
    }
}

/// Each refused argument at the terminal: (snapshot name, tool, arguments, what it must say).
const REFUSED: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "typo_in_a_name",
        "get_analytics",
        &["perid=x"],
        &["unknown argument `perid`", "Did you mean `period`?"],
    ),
    (
        "typo_in_a_period",
        "get_analytics",
        &["period=last30days"],
        &["`period`", "last_7_days", "Did you mean `last_30_days`?"],
    ),
    (
        "boolean_not_true_or_false",
        "get_analytics",
        &["detail=yes"],
        &["`detail` must be true or false"],
    ),
    (
        "impossible_date",
        "get_analytics",
        &["startDate=2026-02-30"],
        &["2026-02 has 28 days"],
    ),
    (
        "typo_in_a_group",
        "get_top_locations",
        &["groupBy=citty"],
        &["`groupBy`", "country", "Did you mean `city`?"],
    ),
    (
        "limit_out_of_range",
        "get_top_pages",
        &["limit=0"],
        &["`limit`", "1 to 100"],
    ),
    (
        "not_name_value",
        "get_top_pages",
        &["limit"],
        &["name=value"],
    ),
    (
        "flag_for_a_tool_argument",
        "get_top_pages",
        &["--limit", "3"],
        &["write `limit=3`"],
    ),
    (
        "unknown_tool",
        "get_top_pags",
        &[],
        &["Unknown tool", "did you mean `get_top_pages`?"],
    ),
];

#[test]
fn each_refused_argument_names_the_parameter_and_what_is_accepted() {
    let env = TestEnv::new();
    for (name, tool, args, says) in REFUSED {
        let mut argv = vec!["call", *tool, "--demo"];
        argv.extend_from_slice(args);
        let out = env.run(&argv, "");
        assert_eq!(out.code, 2, "{name}: {}", out.all());
        for needle in *says {
            assert!(
                out.stderr.contains(needle),
                "{name}: `{needle}` missing:\n{}",
                out.stderr
            );
        }
        no_leaks(&out.all());
        assert_cmd_snapshot!(format!("call_{name}"), out);
    }
}

#[test]
fn numbers_with_leading_zeros_and_spelled_booleans_are_read_as_meant() {
    let env = TestEnv::new();
    let out = env
        .run_words("call get_top_pages --demo --json limit=05 detail=true", "")
        .exits(0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["data"].as_array().map(Vec::len), Some(5), "{json}");
}

#[test]
fn tool_calls_over_mcp_get_the_same_messages() {
    let env = TestEnv::new();
    let mut mcp = session(&env, &["--demo"]);
    for (tool, args, says) in [
        (
            "get_analytics",
            json!({"perid": "x"}),
            "Did you mean `period`?",
        ),
        (
            "get_analytics",
            json!({"period": "last30days"}),
            "Did you mean `last_30_days`?",
        ),
        (
            "get_analytics",
            json!({"detail": "yes"}),
            "`detail` must be true or false",
        ),
        (
            "get_analytics",
            json!({"startDate": "2026-02-30"}),
            "2026-02 has 28 days",
        ),
        (
            "get_top_locations",
            json!({"groupBy": "citty"}),
            "Did you mean `city`?",
        ),
    ] {
        let (_, text) = refusal(&mut mcp, tool, args, says);
        no_leaks(&text);
    }
    // A model that sends numbers and booleans as strings is understood.
    let result = mcp.call("get_top_pages", json!({"limit": "05", "detail": "false"}));
    assert_ne!(result["isError"], true, "{result}");
    let rows = result["structuredContent"]["rows"].as_array().map(Vec::len);
    assert_eq!(rows, Some(5), "{result}");
    mcp.finish();
}
