//! The probe (issue 24): after the `/me` check, `login` and `doctor` ask each endpoint of the
//! table once, with the smallest request that proves it (a one-day window, `limit=1`), one
//! after another through the client's rate limiter, and record per API origin which answered
//! (`api::probed::Record`, in the data directory). Where a path is missing, Himetrica's hosted
//! MCP server is asked for its tool list (one request), so the record says which tools it
//! stands in for. Also here: the sentences `status` and `doctor` print from a record, and the
//! table of `doctor --endpoints`. Uses `api`, `config` (the endpoint table), `tools` (the
//! catalog, what a tool reads, the fallback) and `clock`.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::ToSpan;
use serde_json::Value;

use crate::api::probed::{Entry, Outcome, Record};
use crate::api::{ApiClient, ApiError, Query};
use crate::config::endpoints::{Endpoints, PROJECT_PLACEHOLDER};
use crate::tools::data::Data;
use crate::tools::fallback::Fallback;
use crate::tools::find;
use crate::tools::format::aligned;

/// The longest one probe request may take (a slow path is not worth a slow sign-in).
const EACH: Duration = Duration::from_secs(10);

/// Asks every endpoint of `endpoints` but `/me` once; `me` is the `/me` answer just checked
/// (its project id and time zone), `project` a configured project id.
pub async fn run(
    api: &ApiClient,
    endpoints: &Endpoints,
    me: &Value,
    project: Option<&str>,
    fallback: Option<&Fallback>,
) -> Record {
    let project = project
        .map(str::to_string)
        .or_else(|| {
            me.get("projectId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let tz = me
        .get("timezone")
        .and_then(Value::as_str)
        .and_then(|tz| jiff::tz::TimeZone::get(tz).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = crate::clock::now().to_zoned(tz).date();
    let day = today.checked_sub(1.day()).unwrap_or(today).to_string();
    let mut tools = BTreeMap::new();
    let mut stopped = false;
    for (tool, template) in endpoints.rows().filter(|(t, _)| *t != "get_project") {
        let entry = |outcome, detail| Entry {
            path: template.to_string(),
            outcome,
            detail,
        };
        let Some(def) = find(tool) else { continue };
        if stopped {
            tools.insert(tool.to_string(), entry(Outcome::NotProbed, None));
            continue;
        }
        let mut query = Query::new();
        if def.args.kind().takes_window() {
            query.push(("startDate".into(), day.clone()));
            query.push(("endDate".into(), day.clone()));
        }
        if def.args.kind().takes_limit() {
            query.push(("limit".into(), "1".into()));
        }
        if def.chart == Some(crate::chart::Kind::Series) {
            query.push(("granularity".into(), "day".into()));
        }
        let path = template.replace(PROJECT_PLACEHOLDER, &project);
        let asked = tokio::time::timeout(EACH, api.get(&path, &query)).await;
        let (outcome, detail) = match asked {
            Ok(Ok(data)) if def.recognizes(&Data::parse(data.clone())) => (Outcome::Answers, None),
            Ok(Ok(_)) => (Outcome::Unrecognized, None),
            Ok(Err(ApiError::NotFound { .. })) => (Outcome::NotFound, None),
            Ok(Err(e)) => {
                // Refused, rate-limited or down: the rest would say the same.
                stopped = !matches!(e, ApiError::Status { .. } | ApiError::Server { .. });
                (
                    Outcome::Failed,
                    Some(crate::text::clean(&e.user_message(), 160)),
                )
            }
            Err(_) => {
                stopped = true;
                (
                    Outcome::Failed,
                    Some(format!("no answer within {} s", EACH.as_secs())),
                )
            }
        };
        tools.insert(tool.to_string(), entry(outcome, detail));
    }
    let missing = tools.values().any(|e| e.outcome.is_missing());
    let hosted_tools = match fallback {
        Some(f) if missing => match f.tools().await {
            Ok(listed) => {
                let mut names: Vec<String> = listed.keys().cloned().collect();
                names.sort();
                names
            }
            Err(why) => {
                tracing::debug!(%why, "the hosted MCP server could not list its tools");
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    Record {
        version: env!("CARGO_PKG_VERSION").to_string(),
        probed_at: crate::clock::now().to_string(),
        origin: api.base_url().origin().ascii_serialization(),
        tools,
        hosted_tools,
    }
}

/// Where `tool`'s answers come from, by `record`: the Read API, Himetrica's MCP server, or
/// nowhere (with why).
pub fn source(record: &Record, endpoints: &Endpoints, tool: &str, fallback: bool) -> Source {
    let template = endpoints.template(tool).unwrap_or_default();
    let outcome = record.outcome(tool, template);
    if endpoints.is_pinned(tool) {
        return Source::ReadApi;
    }
    match outcome {
        Some(o) if o.is_missing() && fallback && record.hosted_tools.iter().any(|t| t == tool) => {
            Source::Hosted
        }
        Some(o) if o.is_missing() => Source::Nowhere,
        Some(Outcome::Failed | Outcome::NotProbed) | None => Source::Unknown,
        Some(_) => Source::ReadApi,
    }
}

/// Where a tool's answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ReadApi,
    Hosted,
    /// Its path is missing and nothing stands in for it.
    Nowhere,
    /// Not known: the probe could not ask.
    Unknown,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Self::ReadApi => "Read API",
            Self::Hosted => "Himetrica's MCP server",
            Self::Nowhere => "none: pin its path under [endpoints]",
            Self::Unknown => "Read API (unconfirmed)",
        }
    }
}

/// `11 of 11 tools answer: 3 through the Read API, 8 through Himetrica's MCP server`, plus
/// what did not answer.
pub fn summary(record: &Record, endpoints: &Endpoints, fallback: bool) -> String {
    let sources: Vec<(&String, Source)> = record
        .tools
        .keys()
        .map(|tool| (tool, source(record, endpoints, tool, fallback)))
        .collect();
    let count = |s: Source| sources.iter().filter(|(_, x)| *x == s).count();
    let (read, hosted) = (count(Source::ReadApi), count(Source::Hosted));
    let mut line = format!(
        "{} of {} tools answer: {read} through the Read API, {hosted} through Himetrica's MCP server",
        read + hosted,
        sources.len()
    );
    let nowhere: Vec<&str> = sources
        .iter()
        .filter(|(_, s)| *s == Source::Nowhere)
        .map(|(t, _)| t.as_str())
        .collect();
    if !nowhere.is_empty() {
        line.push_str(&format!(
            "; not found: {} (pin their paths under [endpoints] in config.toml)",
            nowhere.join(", ")
        ));
    }
    let unknown = count(Source::Unknown);
    if unknown > 0 {
        let why = record
            .tools
            .values()
            .find_map(|e| e.detail.clone())
            .unwrap_or_else(|| "not asked".into());
        line.push_str(&format!("; {unknown} not checked ({why})"));
    }
    line
}

/// The table of `doctor --endpoints`: tool, path, how sure we are of it, the last probe's
/// result, and the source in use. Columns are as wide as their longest cell; where a row would
/// not fit `width`, each path goes on its own line under its tool instead.
pub fn table(
    record: Option<&Record>,
    endpoints: &Endpoints,
    fallback: bool,
    width: usize,
) -> String {
    let mut rows = vec![["tool", "certainty", "last probe", "source", "path"].map(String::from)];
    for (tool, template) in endpoints.rows() {
        let certainty = endpoints.certainty(tool).map_or("", |c| c.name());
        let (probed, source) = match record {
            _ if tool == "get_project" => ("checked", Source::ReadApi),
            Some(r) => (
                r.outcome(tool, template)
                    .map_or("not probed", Outcome::describe),
                source(r, endpoints, tool, fallback),
            ),
            None => ("not probed", Source::Unknown),
        };
        rows.push([tool, certainty, probed, source.describe(), template].map(String::from));
    }
    let wide: Vec<Vec<String>> = rows
        .iter()
        .map(|[tool, certainty, probed, source, path]| {
            [tool, path, certainty, probed, source]
                .map(String::clone)
                .to_vec()
        })
        .collect();
    let wide = aligned(&wide);
    if wide.lines().all(|l| l.chars().count() <= width) {
        return wide.trim_end().to_string();
    }
    // Too wide: each path on its own line under its tool.
    let mut lines = Vec::new();
    let narrow: Vec<Vec<String>> = rows.iter().map(|r| r[..4].to_vec()).collect();
    for (line, row) in aligned(&narrow).lines().zip(&rows) {
        lines.push(line.to_string());
        lines.push(format!("  {}", row[4]));
    }
    lines.join("\n")
}

/// True when `record` is worth re-using instead of probing again: written by this version,
/// today (by the process clock).
pub fn is_fresh(record: &Record) -> bool {
    let today = crate::clock::now().to_string();
    record.version == env!("CARGO_PKG_VERSION") && today.get(..10) == Some(record.date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcomes: &[(&str, Outcome)], hosted: &[&str]) -> Record {
        let endpoints = Endpoints::default();
        Record {
            version: "0".into(),
            probed_at: "2026-11-21T10:00:00Z".into(),
            origin: "http://x".into(),
            tools: outcomes
                .iter()
                .map(|(t, o)| {
                    (
                        t.to_string(),
                        Entry {
                            path: endpoints.template(t).unwrap().to_string(),
                            outcome: *o,
                            detail: None,
                        },
                    )
                })
                .collect(),
            hosted_tools: hosted.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn the_summary_counts_each_source() {
        let e = Endpoints::default();
        let r = record(
            &[
                ("get_analytics", Outcome::Answers),
                ("get_top_pages", Outcome::NotFound),
                ("get_events", Outcome::Unrecognized),
            ],
            &["get_top_pages", "get_events"],
        );
        assert_eq!(
            summary(&r, &e, true),
            "3 of 3 tools answer: 1 through the Read API, 2 through Himetrica's MCP server"
        );
        let off = summary(&r, &e, false);
        assert!(
            off.starts_with("1 of 3 tools answer: 1 through the Read API, 0 through")
                && off.contains("not found: get_events, get_top_pages"),
            "{off}"
        );
        for width in [200, 80] {
            let t = table(Some(&r), &e, true, width);
            assert!(
                t.lines().any(|l| l.starts_with("get_top_pages")
                    && l.contains("inferred")
                    && l.contains("404")
                    && l.ends_with("Himetrica's MCP server")),
                "{t}"
            );
            assert!(t.contains("/projects/{project}/pages"), "{t}");
            assert!(t.lines().all(|l| l.chars().count() <= width), "{t}");
        }
    }
}
