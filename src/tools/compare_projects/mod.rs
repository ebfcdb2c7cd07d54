//! `compare_projects` (issue 26): the traffic overview of every project a `serve` runs over,
//! side by side, each with its change against an earlier window, in one answer.
//!
//! Each project's numbers are its own `get_analytics` answer (its API, credential, limits and
//! cache; the comparison made as every overview makes it), asked by `projects`; this module
//! only puts the typed answers together ([`Compared`]) and draws its views: a table for the
//! text, and for `structuredContent` each project's own overview view (`shape::view`) under
//! its name. A project that failed is a line of its own, with its fix, never the whole
//! answer's failure. Uses `catalog`, `params`, `typed`, `shape`, `render`, `format`, `answer`
//! and `toolbox` (the one `ToolOutput` builder's helpers).

use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};

use super::catalog::{BASE, ToolDef};
use super::compare::Change;
use super::data::Data;
use super::format::{aligned, cell, is_percent, label};
use super::params::{Args, CompareArgs};
use super::typed::Answer;
use super::{ToolError, ToolOutput, answer, find, shape};

/// The tool, listed only when `serve` runs over two profiles or more.
pub const COMPARE_PROJECTS: ToolDef = ToolDef {
    name: "compare_projects",
    title: "Projects compared",
    description: "Every project's visitors, pageviews, sessions, bounce rate and visit length side by side, with changes vs the previous period: 'which site grew fastest?'.",
    args: Args::of::<CompareArgs>(),
    ..BASE
};

/// The overview each project answers with.
const OVERVIEW: &str = "get_analytics";

/// One project's part of the answer.
#[derive(Debug, Clone)]
pub struct Row {
    /// The profile name (what `project` takes).
    pub project: String,
    /// The project's name from `GET /me`, when it answered.
    pub name: Option<String>,
    /// Its overview, or the sentence that says why not (and the fix).
    pub outcome: Result<Answer, String>,
}

/// Every project's overview, in the order the profiles were given.
#[derive(Debug, Clone)]
pub struct Compared {
    pub rows: Vec<Row>,
}

impl Compared {
    fn answered(&self) -> impl Iterator<Item = (&Row, &Answer)> {
        self.rows
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok().map(|a| (r, a)))
    }

    /// The metric the ranking line is about: the first one the first answer compared.
    fn lead(&self) -> Option<String> {
        let (_, first) = self.answered().next()?;
        first
            .changes()
            .and_then(|c| c.iter().next().map(|(k, _)| k.to_string()))
    }

    /// `b 11,352 (+28.6%) · a 8,852 (+0.3%)`: the lead metric, fastest growth first.
    fn ranking(&self, key: &str) -> String {
        let mut ranked: Vec<(&Row, &Change)> = self
            .answered()
            .filter_map(|(r, a)| Some((r, a.changes()?.get(key)?)))
            .collect();
        let growth = |c: &Change| c.change_percent.unwrap_or(f64::INFINITY);
        ranked.sort_by(|a, b| growth(b.1).total_cmp(&growth(a.1)));
        ranked
            .iter()
            .map(|(r, c)| format!("{} {}", r.project, figure(key, c, None)))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// `8,852 (+0.3%)`, `42.0% (-1.8 pts)`: a value and its change, as a table cell.
fn figure(key: &str, change: &Change, currency: Option<&str>) -> String {
    let value = cell(key, &json!(change.current), currency);
    let delta = if is_percent(key) {
        format!("{:+.1} pts", change.change)
    } else {
        match change.change_percent {
            Some(p) => format!("{p:+.1}%"),
            None if change.current == 0.0 => "no change".to_string(),
            None => "up from 0".to_string(),
        }
    };
    format!("{value} ({delta})")
}

/// The text, `structuredContent` and typed answer of a comparison. `Err` only when no project
/// answered: then each one's failure is the message.
pub fn output(compared: Compared, detail: bool) -> Result<ToolOutput, ToolError> {
    if compared.answered().next().is_none() {
        let lines: Vec<String> = compared
            .rows
            .iter()
            .filter_map(|r| r.outcome.as_ref().err())
            .cloned()
            .collect();
        return Err(ToolError::Projects(format!(
            "No project answered. {}",
            lines.join(" ")
        )));
    }
    let text = text(&compared);
    let mut structured = structured(&compared);
    let typed = typed(&compared);
    if detail {
        structured.insert(
            "detail".into(),
            serde_json::to_value(&typed).unwrap_or_default(),
        );
    }
    Ok(ToolOutput {
        text,
        structured: Value::Object(structured),
        answer: typed,
        chart: None,
    })
}

/// The whole answer as `call --json` prints it: each project's typed answer under its name.
fn typed(compared: &Compared) -> Answer {
    let projects: Vec<Value> = compared
        .rows
        .iter()
        .map(|r| match &r.outcome {
            Ok(a) => json!({"project": r.project, "name": r.name, "answer": a}),
            Err(e) => json!({"project": r.project, "error": e}),
        })
        .collect();
    Answer::of(Data::parse(json!({ "projects": projects })))
}

/// The text: the window, the ranking on the lead metric, a table of every metric with its
/// change, the earlier window, then each project that did not answer and its fix.
fn text(compared: &Compared) -> String {
    let mut out = String::from(COMPARE_PROJECTS.title);
    let windows: Vec<(&Row, String)> = compared
        .answered()
        .filter_map(|(r, a)| Some((r, a.window.as_ref()?.label())))
        .collect();
    if let Some((_, first)) = windows.first() {
        out.push_str(&format!(": {first}"));
    }
    out.push('\n');
    // Projects in other time zones answer for their own local dates.
    for (row, label) in windows.iter().skip(1) {
        if Some(label) != windows.first().map(|(_, l)| l) {
            out.push_str(&format!("({} answers for {label})\n", row.project));
        }
    }
    if let Some(lead) = compared.lead() {
        out.push_str(&format!(
            "{}, fastest growth first: {}\n",
            label(&lead),
            compared.ranking(&lead)
        ));
    }
    out.push_str(&table(compared));
    if let Some(c) = compared.answered().find_map(|(_, a)| a.comparison.as_ref()) {
        out.push_str(&format!(
            "Compared with {} → {} ({}).\n",
            c.window.start.date(),
            c.window.end.date(),
            c.compare.replace('_', " ")
        ));
    }
    for row in &compared.rows {
        if let Err(e) = &row.outcome {
            out.push_str(&format!("{e}\n"));
        }
    }
    out.trim_end().to_string()
}

/// Up to this many projects, the table has a column per project and a row per metric (it fits
/// an 80-column terminal); more projects get a row each.
const PROJECTS_AS_COLUMNS: usize = 3;

/// Every metric of every project that answered, with its change. A names line says which
/// project each profile is.
fn table(compared: &Compared) -> String {
    let answered: Vec<(&Row, &Answer)> = compared.answered().collect();
    let mut keys: Vec<String> = Vec::new();
    for (_, a) in &answered {
        for (key, _) in a.changes().into_iter().flat_map(|c| c.iter()) {
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_string());
            }
        }
    }
    let figure_of = |a: &Answer, key: &str| {
        a.changes()
            .and_then(|c| c.get(key))
            .map_or_else(String::new, |c| figure(key, c, a.currency()))
    };
    let mut grid: Vec<Vec<String>> = Vec::new();
    if answered.len() <= PROJECTS_AS_COLUMNS {
        let mut header = vec![String::new()];
        header.extend(answered.iter().map(|(r, _)| r.project.clone()));
        grid.push(header);
        for key in &keys {
            let mut line = vec![label(key)];
            line.extend(answered.iter().map(|(_, a)| figure_of(a, key)));
            grid.push(line);
        }
    } else {
        let mut header = vec!["Project".to_string()];
        header.extend(keys.iter().map(|k| label(k)));
        grid.push(header);
        for (r, a) in &answered {
            let mut line = vec![r.project.clone()];
            line.extend(keys.iter().map(|k| figure_of(a, k)));
            grid.push(line);
        }
    }
    let mut out = aligned(&grid);
    let names: Vec<String> = answered
        .iter()
        .filter_map(|(r, _)| Some(format!("{} · {}", r.project, r.name.as_ref()?)))
        .collect();
    if !names.is_empty() {
        out.push_str(&format!("Projects: {}.\n", names.join(", ")));
    }
    out
}

/// `structuredContent`: a one-line summary, then each project's overview as the model gets it
/// from `get_analytics` (its headline summary, window, metrics and comparison), or its error.
fn structured(compared: &Compared) -> Map<String, Value> {
    let overview = find(OVERVIEW).unwrap_or(&COMPARE_PROJECTS);
    let prefix = format!("{}: ", overview.title);
    let projects: Vec<Value> = compared
        .rows
        .iter()
        .map(|r| {
            let mut item = Map::new();
            item.insert("project".into(), json!(r.project));
            if let Some(name) = &r.name {
                item.insert("name".into(), json!(shape_name(name)));
            }
            match &r.outcome {
                Ok(a) => {
                    let mut view = shape::view(overview, a);
                    view.summary = view.summary.trim_start_matches(&prefix).to_string();
                    if let Ok(Value::Object(fields)) = serde_json::to_value(view) {
                        item.extend(fields);
                    }
                }
                Err(e) => {
                    item.insert("error".into(), json!(e));
                }
            }
            Value::Object(item)
        })
        .collect();
    let mut summary = COMPARE_PROJECTS.title.to_string();
    if let Some(w) = compared.answered().find_map(|(_, a)| a.window.as_ref()) {
        summary.push_str(&format!(", {}", w.label()));
    }
    if let Some(lead) = compared.lead() {
        summary.push_str(&format!(
            "; {}, fastest growth first: {}",
            label(&lead).to_lowercase(),
            compared.ranking(&lead)
        ));
    }
    let failed: Vec<&str> = compared
        .rows
        .iter()
        .filter(|r| r.outcome.is_err())
        .map(|r| r.project.as_str())
        .collect();
    if !failed.is_empty() {
        summary.push_str(&format!("; no answer from {}", failed.join(", ")));
    }
    let mut out = Map::new();
    out.insert("summary".into(), json!(summary));
    out.insert("projects".into(), Value::Array(projects));
    out
}

/// A project's name as every upstream string reaches a model: sanitized.
fn shape_name(name: &str) -> String {
    super::format::sanitize(name, 48)
}

/// The `outputSchema`: a summary, and per project its name, its error or the overview's own
/// members (derived from the same typed view as `get_analytics`'s schema).
pub fn output_schema() -> JsonObject {
    let overview = find(OVERVIEW).unwrap_or(&COMPARE_PROJECTS);
    let mut item = answer::output_schema(overview);
    if let Some(Value::Object(props)) = item.get_mut("properties") {
        props.retain(|k, _| !matches!(k.as_str(), "detail" | "asOf"));
        let mut first = Map::new();
        for key in ["project", "name", "error"] {
            first.insert(key.into(), json!({"type": "string"}));
        }
        first.extend(std::mem::take(props));
        *props = first;
    }
    item.insert("required".into(), json!(["project"]));
    let schema = json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "projects": {"type": "array", "items": item},
            "detail": {"type": "object"},
        },
        "required": ["summary", "projects"],
    });
    match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::typed::{days_window, previous_period};

    fn overview(visitors: f64, before: f64) -> Answer {
        let mut a = Answer::of(Data::parse(
            json!({"uniqueVisitors": visitors, "bounceRate": 40.0}),
        ));
        a.window = Some(days_window("2026-11-14", "2026-11-20"));
        a.comparison = Some(previous_period(
            "2026-11-07",
            "2026-11-13",
            &[
                ("uniqueVisitors", visitors, before),
                ("bounceRate", 40.0, 42.0),
            ],
        ));
        a
    }

    fn compared() -> Compared {
        Compared {
            rows: vec![
                Row {
                    project: "a".into(),
                    name: Some("Alpha".into()),
                    outcome: Ok(overview(1000.0, 990.0)),
                },
                Row {
                    project: "b".into(),
                    name: Some("Beta <b>".into()),
                    outcome: Ok(overview(1300.0, 1000.0)),
                },
                Row {
                    project: "c".into(),
                    name: None,
                    outcome: Err("Project `c`: not signed in — run `x`".into()),
                },
            ],
        }
    }

    #[test]
    fn the_text_ranks_by_growth_and_names_the_project_that_failed() {
        let out = output(compared(), false).unwrap();
        let text = out.text;
        assert!(
            text.contains(
                "Unique visitors, fastest growth first: b 1,300 (+30.0%) · a 1,000 (+1.0%)"
            ),
            "{text}"
        );
        assert!(text.contains("a · Alpha"), "{text}");
        assert!(text.contains("40.0% (-2.0 pts)"), "{text}");
        assert!(
            text.contains("Compared with 2026-11-07 → 2026-11-13"),
            "{text}"
        );
        assert!(
            text.ends_with("Project `c`: not signed in — run `x`"),
            "{text}"
        );
    }

    #[test]
    fn structured_content_holds_each_overview_and_matches_the_schema() {
        let out = output(compared(), true).unwrap();
        let v = out.structured;
        assert_eq!(v["projects"][0]["project"], "a");
        assert_eq!(v["projects"][0]["metrics"]["uniqueVisitors"], 1000.0);
        assert_eq!(
            v["projects"][1]["comparison"]["previous"]["uniqueVisitors"],
            1000
        );
        assert_eq!(v["projects"][1]["name"], "Beta");
        assert!(v["projects"][2]["error"].is_string());
        assert!(v["summary"].as_str().unwrap().contains("no answer from c"));
        let schema = Value::Object(output_schema());
        for key in v.as_object().unwrap().keys() {
            assert!(schema["properties"].get(key).is_some(), "{key}");
        }
        let item = &schema["properties"]["projects"]["items"]["properties"];
        for project in v["projects"].as_array().unwrap() {
            for key in project.as_object().unwrap().keys() {
                assert!(item.get(key).is_some(), "{key} not in the schema");
            }
        }
    }

    #[test]
    fn no_answer_at_all_is_an_error_with_each_reason() {
        let mut c = compared();
        c.rows.retain(|r| r.outcome.is_err());
        let e = output(c, false).unwrap_err();
        assert!(e.message().contains("not signed in"), "{}", e.message());
    }
}
