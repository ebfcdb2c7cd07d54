//! Scenario switches (issue 25): changes planted on top of the demo data, so that
//! `explain_change` and the anomaly flags have something known to find, in tests and for
//! people trying them (`analytics-mcp sandbox --scenario referrer-spike`).
//!
//! Each scenario wraps [`read_api::route`]: the demo answer is computed as usual, then the
//! planted rows (and the totals that contain them) are changed. A planted change happens over
//! the six whole days before today. A window that holds all of them gets the planted amount
//! exactly against the window of the same length before it: the planted row is that earlier
//! window's value plus the amount, so the demo data's own week-to-week wobble does not blur
//! it. A window holding some of the days gets the amount in proportion; others, none.
//! `day-spike` triples the traffic of one day (three days before today) instead.
//! Imports the product's demo (`analytics_mcp::demo`: `read_api`, `window` and `data`).

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::{Value, json};

use analytics_mcp::demo::data;
use analytics_mcp::demo::read_api;
use analytics_mcp::demo::window::{Routed, Window};

/// A planted change, by the name `--scenario` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `/pricing` loses 1,800 pageviews and 600 visitors.
    PageDrop,
    /// news.ycombinator.com sends 2,500 more visitors.
    ReferrerSpike,
    /// Germany gains 1,500 visitors while the United States loses 1,000.
    CountryShift,
    /// `signup_completed` fires 900 more times.
    EventSurge,
    /// Three days before today has three times its traffic.
    DaySpike,
    /// Paid search brings $600.00 less revenue (about half of its week).
    RevenueDrop,
}

/// One planted row: where it is served, which row, and what is added to which fields.
#[derive(Debug)]
pub struct Plant {
    /// The path under `/projects/{id}/`.
    pub endpoint: &'static str,
    /// The `groupBy` the row belongs to (the endpoint's default when absent from a request).
    pub group_by: Option<&'static str>,
    /// The field naming the row, and its value.
    pub key: &'static str,
    pub label: &'static str,
    /// Amounts added over a window that holds every planted day.
    pub deltas: &'static [(&'static str, f64)],
}

/// Overview fields that sum a breakdown's field: `(overview path, breakdown field, its name
/// in the overview)`.
const TOTALS: &[(&str, &str, &str)] = &[
    ("analytics", "visitors", "uniqueVisitors"),
    ("analytics", "pageViews", "pageViews"),
    ("analytics", "sessions", "sessions"),
    ("revenue", "revenue", "revenue"),
];

/// Days before today the planted changes happen on (today-6 ..= today-1).
const PLANTED_DAYS: i64 = 6;
/// Days before today of `day-spike`'s day.
pub const SPIKE_DAYS_AGO: i64 = 3;

impl Scenario {
    /// Every scenario with its name.
    pub const ALL: &[(&str, Scenario)] = &[
        ("page-drop", Self::PageDrop),
        ("referrer-spike", Self::ReferrerSpike),
        ("country-shift", Self::CountryShift),
        ("event-surge", Self::EventSurge),
        ("day-spike", Self::DaySpike),
        ("revenue-drop", Self::RevenueDrop),
    ];

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown scenario `{name}` (expected {})", names.join(", "))
            })
    }

    /// The rows this scenario plants (none for `day-spike`).
    pub fn plants(self) -> &'static [Plant] {
        match self {
            Self::PageDrop => &[Plant {
                endpoint: "pages",
                group_by: None,
                key: "path",
                label: "/pricing",
                deltas: &[("pageViews", -1800.0), ("visitors", -600.0)],
            }],
            Self::ReferrerSpike => &[Plant {
                endpoint: "sources",
                group_by: Some("referrer"),
                key: "source",
                label: "news.ycombinator.com",
                deltas: &[
                    ("visitors", 2500.0),
                    ("sessions", 2900.0),
                    ("pageViews", 5200.0),
                ],
            }],
            Self::CountryShift => &[
                Plant {
                    endpoint: "locations",
                    group_by: Some("country"),
                    key: "country",
                    label: "Germany",
                    deltas: &[("visitors", 1500.0), ("sessions", 1800.0)],
                },
                Plant {
                    endpoint: "locations",
                    group_by: Some("country"),
                    key: "country",
                    label: "United States",
                    deltas: &[("visitors", -1000.0), ("sessions", -1200.0)],
                },
            ],
            Self::EventSurge => &[Plant {
                endpoint: "events",
                group_by: None,
                key: "eventName",
                label: "signup_completed",
                deltas: &[("count", 900.0)],
            }],
            Self::RevenueDrop => &[Plant {
                endpoint: "channel-roi",
                group_by: None,
                key: "channel",
                label: "Paid search",
                deltas: &[("revenue", -600.0)],
            }],
            Self::DaySpike => &[],
        }
    }

    /// The day `day-spike` triples, for a sandbox whose today is `today`.
    pub fn spike_day(today: Date) -> Date {
        today.checked_sub(SPIKE_DAYS_AGO.days()).unwrap_or(today)
    }
}

/// The Read API's answer to `path` with `scenario` planted on top of the demo data.
pub(super) fn route(
    scenario: Option<Scenario>,
    path: &str,
    params: &HashMap<String, String>,
    now: jiff::Timestamp,
) -> Routed {
    let mut answer = read_api::route(path, params, now)?;
    let Some(scenario) = scenario else {
        return Ok(answer);
    };
    let Some((project, endpoint)) = path
        .strip_prefix("/projects/")
        .and_then(|rest| rest.split_once('/'))
    else {
        return Ok(answer);
    };
    let w = Window::parse(params, now)?;
    if scenario == Scenario::DaySpike {
        spike(&w, endpoint, params, &mut answer);
        return Ok(answer);
    }
    for plant in scenario.plants() {
        if plant.endpoint == endpoint && grouped(plant, params) {
            let added = added(plant, project, &w, params, now)?;
            if let Some(row) = row_of(plant, &mut answer) {
                add(row, &added);
            }
            resort(&mut answer);
        }
        // The overview's totals hold the planted rows.
        let totals: Vec<&(&str, &str, &str)> = TOTALS
            .iter()
            .filter(|(p, field, _)| *p == endpoint && plant.deltas.iter().any(|(f, _)| f == field))
            .collect();
        if !totals.is_empty() {
            let added = added(plant, project, &w, params, now)?;
            let renamed: Vec<(&str, f64)> = totals
                .iter()
                .filter_map(|(_, field, total)| {
                    added
                        .iter()
                        .find(|(f, _)| f == field)
                        .map(|(_, v)| (*total, *v))
                })
                .collect();
            add(&mut answer, &renamed);
        }
    }
    Ok(answer)
}

fn grouped(plant: &Plant, params: &HashMap<String, String>) -> bool {
    let default = match plant.endpoint {
        "sources" => Some("referrer"),
        "locations" => Some("country"),
        _ => None,
    };
    params.get("groupBy").map(String::as_str).or(default) == plant.group_by
}

/// What the scenario adds to the planted row over `w`: for a window holding every planted
/// day, the earlier window's value plus the amount, minus the demo's own value.
fn added(
    plant: &Plant,
    project: &str,
    w: &Window,
    params: &HashMap<String, String>,
    now: jiff::Timestamp,
) -> Result<Vec<(&'static str, f64)>, (axum::http::StatusCode, String)> {
    let first = w.today.checked_sub(PLANTED_DAYS.days()).unwrap_or(w.today);
    let last = w.today.yesterday().unwrap_or(w.today);
    let covered = w.days().filter(|d| (first..=last).contains(d)).count() as f64;
    if covered == 0.0 {
        return Ok(Vec::new());
    }
    if covered < PLANTED_DAYS as f64 {
        let share = covered / PLANTED_DAYS as f64;
        return Ok(plant.deltas.iter().map(|(f, d)| (*f, d * share)).collect());
    }
    // The planted row's own value now and in the window of the same length before.
    let mut query = params.clone();
    query.insert("limit".into(), "100".into());
    if let Some(group) = plant.group_by {
        query.insert("groupBy".into(), group.into());
    }
    let path = format!("/projects/{project}/{}", plant.endpoint);
    let value_in = |q: &HashMap<String, String>| -> Result<Value, _> {
        let mut rows = read_api::route(&path, q, now)?;
        Ok(row_of(plant, &mut rows).cloned().unwrap_or(Value::Null))
    };
    let current = value_in(&query)?;
    let before = value_in(&shifted(w, &query))?;
    let field = |row: &Value, f: &str| row.get(f).and_then(Value::as_f64).unwrap_or(0.0);
    Ok(plant
        .deltas
        .iter()
        .map(|(f, d)| (*f, field(&before, f) + d - field(&current, f)))
        .collect())
}

/// `query` moved back by the window's length, its last day cut at the same hour.
fn shifted(w: &Window, query: &HashMap<String, String>) -> HashMap<String, String> {
    let len = (w.days().count() as i64).days();
    let mut q = query.clone();
    let start = w.start.checked_sub(len).unwrap_or(w.start);
    let end = w.end.checked_sub(len).unwrap_or(w.end);
    q.insert("startDate".into(), start.to_string());
    let end = match w.hours(w.end) {
        24 => end.to_string(),
        hours => {
            let tz = query
                .get("timezone")
                .cloned()
                .unwrap_or_else(|| data::PROJECT_TIMEZONE.into());
            end.at(hours as i8, 0, 0, 0)
                .in_tz(&tz)
                .map(|z| z.timestamp().to_string())
                .unwrap_or_else(|_| end.to_string())
        }
    };
    q.insert("endDate".into(), end);
    q
}

fn row_of<'a>(plant: &Plant, answer: &'a mut Value) -> Option<&'a mut Value> {
    answer
        .as_array_mut()?
        .iter_mut()
        .find(|row| row.get(plant.key).and_then(Value::as_str) == Some(plant.label))
}

/// Adds amounts to an object's numeric fields (money to the cent, counts to the unit).
fn add(object: &mut Value, amounts: &[(&str, f64)]) {
    for (field, amount) in amounts {
        let Some(old) = object.get(*field).and_then(Value::as_f64) else {
            continue;
        };
        let new = old + amount;
        object[*field] = if object[*field].is_u64() || object[*field].is_i64() {
            json!(new.round().max(0.0) as u64)
        } else {
            json!((new * 100.0).round().max(0.0) / 100.0)
        };
    }
}

/// A list ranked by visitors stays ranked after a planted change.
fn resort(answer: &mut Value) {
    if let Some(rows) = answer.as_array_mut()
        && rows.iter().all(|r| r.get("visitors").is_some())
        && rows
            .first()
            .is_some_and(|r| r.get("source").is_some() || r.get("country").is_some())
    {
        let visitors = |r: &Value| r["visitors"].as_u64().unwrap_or(0);
        rows.sort_by_key(|r| std::cmp::Reverse(visitors(r)));
    }
}

/// `day-spike`: the spike day's traffic added twice more to the series bucket and the
/// overview that hold it.
fn spike(w: &Window, endpoint: &str, params: &HashMap<String, String>, answer: &mut Value) {
    let day = Scenario::spike_day(w.today);
    if !w.days().any(|d| d == day) {
        return;
    }
    let extra = w.day(day);
    let twice = |n: u64| 2.0 * n as f64;
    match endpoint {
        "analytics" => add(
            answer,
            &[
                ("uniqueVisitors", twice(extra.visitors)),
                ("pageViews", twice(extra.pageviews)),
                ("sessions", twice(extra.sessions)),
            ],
        ),
        "analytics/timeseries" if params.get("granularity").is_none_or(|g| g != "hour") => {
            // The bucket holding the day: the last one starting on or before it.
            let Some(rows) = answer.as_array_mut() else {
                return;
            };
            let holding = rows.iter_mut().rev().find(|r| {
                r["date"]
                    .as_str()
                    .and_then(|s| s.get(..10))
                    .and_then(|s| s.parse::<Date>().ok())
                    .is_some_and(|d| d <= day)
            });
            if let Some(row) = holding {
                add(
                    row,
                    &[
                        ("visitors", twice(extra.visitors)),
                        ("pageViews", twice(extra.pageviews)),
                        ("sessions", twice(extra.sessions)),
                    ],
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_an_unknown_one_lists_them_all() {
        for (name, scenario) in Scenario::ALL {
            assert_eq!(Scenario::parse(name), Ok(*scenario));
        }
        assert_eq!(
            Scenario::parse("spike").unwrap_err(),
            "unknown scenario `spike` (expected page-drop, referrer-spike, country-shift, \
             event-surge, day-spike, revenue-drop)"
        );
        assert_eq!(
            Scenario::spike_day(Date::constant(2026, 11, 21)),
            Date::constant(2026, 11, 18)
        );
    }

    #[test]
    fn a_window_before_the_planted_days_is_the_demo_as_is() {
        let now: jiff::Timestamp = "2026-11-21T15:30:00Z".parse().unwrap();
        let path = format!("/projects/{}/sources", data::PROJECT_ID);
        let params: HashMap<String, String> =
            [("startDate", "2026-11-07"), ("endDate", "2026-11-13")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let plain = read_api::route(&path, &params, now).unwrap();
        let planted = route(Some(Scenario::ReferrerSpike), &path, &params, now).unwrap();
        assert_eq!(plain, planted);
    }
}
