//! Property tests (the project's fuzzing; cargo-fuzz needs a nightly toolchain this project
//! does not use): argument parsing, date resolution and rendering never panic on any input,
//! and keep their promises. The checked-in corpus in `tests/corpus/` runs first.

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::window::{self, Period, WindowRequest};
use super::{CATALOG, render};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("2026-11-01")),
        Just(json!("last_7_days")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("startDate".to_string()),
                    Just("period".to_string()),
                    Just("limit".to_string()),
                    Just("pageViews".to_string()),
                    Just("visitors".to_string()),
                    Just("path".to_string()),
                    Just("previousPeriod".to_string()),
                    "[a-zA-Z]{1,12}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Argument objects: real names with arbitrary values, and arbitrary names.
fn any_args() -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![
        Just("startDate"),
        Just("endDate"),
        Just("period"),
        Just("timezone"),
        Just("limit"),
        Just("groupBy"),
        Just("granularity"),
        Just("compare"),
        Just("eventName"),
        Just("bogus"),
    ];
    prop::collection::btree_map(name.prop_map(str::to_string), any_json(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (1900i32..2100, 0u8..14, 0u8..33).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (2020i32..2030, 1u8..13, 1u8..29, 0u8..25, -14i8..15)
            .prop_map(|(y, m, d, h, o)| format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00{o:+03}:00")),
        ".{0,30}",
    ]
}

fn zone() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("America/New_York".to_string()),
        Just("Pacific/Kiritimati".to_string()),
        Just("Pacific/Pago_Pago".to_string()),
        Just("Australia/Lord_Howe".to_string()),
        Just("Europe/London".to_string()),
        Just("UTC".to_string()),
        "[A-Za-z/_]{0,20}",
    ])
}

/// Checks the text promises: no control characters but newlines, nothing huge.
fn assert_clean_text(text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control character in {text:?}"
    );
    assert!(text.len() < 200_000);
}

fn render_everything(data: &Value) {
    for tool in CATALOG {
        let structured = json!({"data": data, "rows": {"shown": 1, "limit": 1, "truncated": true}});
        assert_clean_text(&render::render(tool, &structured));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn parsing_any_arguments_never_panics_and_errors_stay_short(args in any_args()) {
        for tool in CATALOG {
            if let Err(e) = tool.args.parse(&args) {
                prop_assert!(e.len() < 1_000, "{e}");
            }
        }
    }

    #[test]
    fn resolving_any_window_keeps_its_promises(
        start in prop::option::of(date_text()),
        end in prop::option::of(date_text()),
        period in prop::option::of(prop::sample::select(window::PERIODS.iter().map(|(p, _)| *p).collect::<Vec<Period>>())),
        tz in zone(),
        now_secs in 1_600_000_000i64..2_200_000_000,
    ) {
        let now = Timestamp::from_second(now_secs).unwrap();
        let req = WindowRequest { start_date: start, end_date: end, period, timezone: tz };
        if let Ok(w) = window::resolve(&req, "America/New_York", now) {
            prop_assert!(w.start <= w.end);
            let today = now.to_zoned(w.end.time_zone().clone()).date();
            prop_assert!(w.end.date() <= today);
            prop_assert_eq!(w.includes_today, w.end.date() == today);
            for compare in [window::Compare::PreviousPeriod, window::Compare::PreviousYear] {
                if let Ok(p) = w.previous(compare) {
                    prop_assert!(p.start <= p.end && p.end <= w.end);
                }
            }
            assert_clean_text(&w.label());
        }
    }

    #[test]
    fn rendering_any_json_never_panics(data in any_json()) {
        render_everything(&data);
    }
}

#[test]
fn the_checked_in_corpus_parses_and_renders() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let read = |name: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let args = read("args-hostile.json");
    assert!(args.len() >= 20);
    for a in &args {
        let map = a.as_object().cloned().unwrap_or_default();
        for tool in CATALOG {
            if let Err(e) = tool.args.parse(&map) {
                assert!(e.len() < 1_000);
            }
        }
    }
    for data in read("responses-odd.json") {
        render_everything(&data);
    }
}
