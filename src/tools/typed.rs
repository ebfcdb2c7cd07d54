//! The one typed answer of a call (issue 21): the API's data parsed once (see [`Data`]), with
//! the window, the comparison, the cut, the series' buckets and the request beside it. The
//! text (`render`, `trend`), `structuredContent` (`shape`), the chart and `call --json` are all
//! views of this value; none of them reads an answer back from untyped JSON by its keys.
//!
//! Serialized, it is the envelope `call --json` prints and `detail: true` attaches: `data` (the
//! API's answer, ranked and cut to the limit, unknown fields kept), `window` (with its
//! instants), `comparison` (per metric), `rows` (the cut), `request` (path and parameters) and
//! `as_of`. Uses `data`, `compare`, `buckets` and `window`.

use jiff::Timestamp;
use serde::{Serialize, Serializer};

use super::anomaly::AnomalyView;
use super::buckets::Series;
use super::compare::{Changes, Comparison, echo};
use super::data::{Cut, Data};
use super::window::Resolved;

/// Everything one call answered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Answer {
    /// The API's answer.
    pub data: Data,
    /// The window answered for.
    #[serde(serialize_with = "window", skip_serializing_if = "Option::is_none")]
    pub window: Option<Resolved>,
    /// The comparison with an earlier window, asked for or sent by the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// A list: how it was cut to its limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Cut>,
    /// What was asked of the API (none for an answer made locally).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// When the API was asked (RFC 3339, UTC).
    #[serde(serialize_with = "instant", skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Timestamp>,
    /// The answer was reused from the cache (then every view says when it was asked).
    #[serde(skip)]
    pub cached: bool,
    /// The days of a daily series that break the weekly pattern (issue 25).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<AnomalyView>,
    /// A series' rows as spans of the window, re-bucketed when long.
    #[serde(skip)]
    pub series: Option<Series>,
}

/// The request sent: the path and its query parameters, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl Serialize for Request {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Echo<'a> {
            path: &'a str,
            #[serde(serialize_with = "pairs")]
            params: &'a [(String, String)],
        }
        fn pairs<S: Serializer>(p: &&[(String, String)], s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(p.iter().map(|(k, v)| (k, v)))
        }
        Echo {
            path: &self.path,
            params: &self.params,
        }
        .serialize(s)
    }
}

fn instant<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

fn window<S: Serializer>(w: &Option<Resolved>, s: S) -> Result<S::Ok, S::Error> {
    match w {
        Some(w) => echo(w, s),
        None => s.serialize_none(),
    }
}

impl Answer {
    /// An answer of `data` alone (the project, the usage counters, a test).
    pub fn of(data: Data) -> Self {
        Self {
            data,
            ..Self::default()
        }
    }

    /// The currency money is in (the API's `currency`, else dollars).
    pub fn currency(&self) -> Option<&str> {
        self.data.currency()
    }

    /// The compared metrics' changes, when compared.
    pub fn changes(&self) -> Option<&Changes> {
        self.comparison.as_ref().map(|c| &c.metrics)
    }

    /// The bucket a series is in: the `granularity` asked for (the API's default is a day).
    pub fn granularity(&self) -> &str {
        self.request
            .iter()
            .flat_map(|r| &r.params)
            .find(|(k, _)| k == "granularity")
            .map_or("day", |(_, v)| v.as_str())
    }

    /// `Reused answer from 15:30:00 UTC.` for an answer reused from the cache.
    pub fn reused(&self) -> Option<String> {
        let at = self.as_of.filter(|_| self.cached)?;
        Some(format!(
            "Reused answer from {} UTC.",
            at.strftime("%H:%M:%S")
        ))
    }
}

/// `GET /me` (DESIGN §3): the project's id and zone, the two values the bridge needs, read
/// once; the rest is forwarded as sent (the project resource, `get_project`).
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub project_id: String,
    /// The project's IANA zone, when it names one.
    pub timezone: Option<String>,
    /// The answer as sent.
    pub data: serde_json::Value,
}

impl Me {
    /// `None` when the answer has no `projectId`.
    pub fn parse(data: serde_json::Value) -> Option<Self> {
        let text = |key: &str| data.get(key)?.as_str().map(str::to_string);
        Some(Self {
            project_id: text("projectId")?,
            timezone: text("timezone"),
            data,
        })
    }
}

impl Serialize for Me {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(s)
    }
}

/// A window of whole days in UTC, for tests: `2026-11-14` to `2026-11-20`.
#[cfg(test)]
pub(crate) fn days_window(start: &str, end: &str) -> Resolved {
    let req = super::window::WindowRequest {
        start_date: Some(start.into()),
        end_date: Some(end.into()),
        period: None,
        timezone: Some("UTC".into()),
    };
    let now = "2026-12-01T12:00:00Z".parse().expect("an instant");
    super::window::resolve(&req, "UTC", now).expect("a window")
}

/// A comparison with the previous period `start`..=`end`, computed, of `(metric, now, before)`,
/// for tests.
#[cfg(test)]
pub(crate) fn previous_period(start: &str, end: &str, metrics: &[(&str, f64, f64)]) -> Comparison {
    let metrics = metrics
        .iter()
        .map(|&(name, now, before)| (name.into(), super::compare::change(now, before)));
    Comparison {
        compare: "previous_period",
        source: "computed",
        window: days_window(start, end),
        metrics: Changes(metrics.collect()),
        same_elapsed_time: false,
        series: None,
    }
}

/// A series' answer as the runner builds it, asked by `granularity`, for tests.
#[cfg(test)]
pub(crate) fn series_answer(data: serde_json::Value, granularity: &str) -> Answer {
    let mut answer = Answer::of(Data::parse(data));
    answer.request = Some(Request {
        path: "/p".into(),
        params: vec![("granularity".into(), granularity.into())],
    });
    answer
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What reading an answer back from untyped JSON looks like (STYLE habit 12).
    const KEY_READS: &[&str] = &[
        "detail[",
        "detail.get(",
        "full[",
        "[\"data\"]",
        "[\"comparison\"]",
        "[\"metrics\"]",
        "[\"request\"]",
        "[\"params\"]",
        "[\"rows\"]",
        "[\"window\"]",
        "[\"truncated\"]",
        ".get(\"comparison\")",
        ".get(\"window\")",
        ".get(\"rows\")",
        ".get(\"data\")",
    ];

    #[test]
    fn no_view_reads_the_answer_back_by_its_keys() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files: Vec<_> = std::fs::read_dir(root.join("tools"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.extend([root.join("mcp/apps.rs"), root.join("commands/call.rs")]);
        let mut found = Vec::new();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        {
            let text = std::fs::read_to_string(file).unwrap();
            // The code, not its tests (which may look inside the JSON they are shown).
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for read in KEY_READS.iter().filter(|r| line.contains(*r)) {
                    found.push(format!("{}:{}: {read}", file.display(), i + 1));
                }
            }
        }
        assert!(
            found.is_empty(),
            "answers read back by key:\n{}",
            found.join("\n")
        );
    }
}
