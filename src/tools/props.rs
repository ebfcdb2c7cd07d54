//! Property tests (the project's fuzzing; cargo-fuzz needs a nightly toolchain this project
//! does not use): argument parsing, date resolution and rendering never panic on any input,
//! and keep their promises. The checked-in corpus in `tests/corpus/` runs first.

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::buckets::{MAX_ROWS, Series, Span, Unit};
use super::data::{Cut, Data};
use super::typed::Answer;
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
        let mut answer = Answer::of(Data::parse(data.clone()));
        answer.rows = Some(Cut {
            shown: 1,
            limit: 1,
            truncated: Some(true),
        });
        assert_clean_text(&render::render(tool, &answer));
    }
}

/// What an API answers for a series over `w`, as the sandbox does: one row per `unit` bucket
/// (the first one starting at the window's start), each day's hours up to the window's end,
/// a count that adds up and a level (`mrr`) that does not.
fn api_rows(w: &window::Resolved, unit: Unit, salt: u64) -> Vec<Value> {
    let span = Span::of(w);
    let mut rows: Vec<(jiff::civil::DateTime, i64, f64)> = Vec::new();
    let mut day = span.start.date();
    while day <= span.end.date() {
        for h in 0..24 {
            let t = day.at(h, 0, 0, 0);
            if t < super::buckets::Unit::Hour.floor(span.start)
                || t.checked_add(jiff::Span::new().hours(1))
                    .is_ok_and(|e| e > span.end)
            {
                continue;
            }
            let key = unit.floor(t).max(span.start);
            let n = ((day.day() as u64 * 31 + h as u64) ^ salt) % 97;
            match rows.last_mut() {
                Some((k, v, m)) if *k == key => {
                    *v += n as i64;
                    *m = n as f64 + 0.25;
                }
                _ => rows.push((key, n as i64, n as f64 + 0.25)),
            }
        }
        day = day.tomorrow().unwrap();
    }
    rows.into_iter()
        .map(|(k, v, m)| {
            let date = match unit {
                Unit::Hour => k.strftime("%Y-%m-%dT%H:%M").to_string(),
                _ => k.date().to_string(),
            };
            json!({"date": date, "visitors": v, "mrr": m})
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Issue 21: the rows of a series answer, as sent or re-bucketed, cover the window exactly
    /// once (each starts where the one before ends, from the window's start to its end) and
    /// add up to the API's totals.
    #[test]
    fn series_buckets_cover_the_window_once_and_keep_the_totals(
        days_back in 0i64..800,
        length in 1i64..400,
        unit in prop::sample::select(vec![Unit::Hour, Unit::Day, Unit::Week, Unit::Month]),
        tz in prop::sample::select(vec!["America/New_York", "Pacific/Kiritimati", "Australia/Lord_Howe", "Europe/London", "UTC", "Asia/Kathmandu"]),
        now_secs in 1_700_000_000i64..1_900_000_000,
        salt in any::<u64>(),
    ) {
        let now = Timestamp::from_second(now_secs).unwrap();
        let today = now.to_zoned(jiff::tz::TimeZone::get(tz).unwrap()).date();
        let end = today.checked_sub(jiff::Span::new().days(days_back)).unwrap();
        let start = end.checked_sub(jiff::Span::new().days(length - 1)).unwrap();
        let length = if unit == Unit::Hour { length.min(31) } else { length };
        let start = if unit == Unit::Hour { end.checked_sub(jiff::Span::new().days(length - 1)).unwrap() } else { start };
        let req = WindowRequest {
            start_date: Some(start.to_string()),
            end_date: Some(end.to_string()),
            ..WindowRequest::default()
        };
        let w = window::resolve(&req, tz, now).unwrap();
        let rows = api_rows(&w, unit, salt);
        let span = Span::of(&w);
        let series = Series::new(&rows, unit, span, w.start.time_zone()).expect("dates in order");
        for buckets in [&series.source, &series.shown] {
            if buckets.is_empty() {
                continue;
            }
            prop_assert_eq!(buckets[0].start, span.start);
            prop_assert_eq!(buckets[buckets.len() - 1].end, span.end);
            for pair in buckets.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start, "a gap or an overlap");
            }
        }
        let sum = |rows: &[Value]| rows.iter().map(|r| r["visitors"].as_i64().unwrap()).sum::<i64>();
        prop_assert_eq!(sum(&series.rows()), sum(&rows));
        let last = |rows: &[Value]| rows.last().map(|r| r["mrr"].as_f64().unwrap());
        prop_assert_eq!(last(&series.rows()), last(&rows));
        // Re-bucketed only when long, and then short, with the newest kept as asked.
        if series.regrouped.is_some() {
            prop_assert!(rows.len() > MAX_ROWS);
            prop_assert!(series.shown.len() < rows.len());
            prop_assert_eq!(series.shown.last().map(|b| b.unit), Some(unit));
        }
        if series.regrouped.is_some_and(|u| u != Unit::Month) {
            prop_assert!(series.shown.len() <= MAX_ROWS, "a finer unit was kept though it did not fit");
        }
    }

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
