//! One call of a hosted MCP tool standing in for a Read API path (issue 24): our arguments
//! mapped to what its input schema declares (the window, already resolved in the project's
//! time zone, as `startDate`/`endDate`; `timezone`, `limit`, `groupBy` and the other Read API
//! parameters only where declared), and its result read back into our typed answer — its
//! `structuredContent` (or `data` in it) when it has fields the tool reads, else its text when
//! that is such JSON, and a comparison from two such answers. The result was cleaned on
//! arrival (`hosted`). Uses `data`, `compare`, `typed`, `window` and `params`.

use std::sync::Arc;

use rmcp::model::CallToolResult;
use serde_json::{Map, Value, json};
use url::Url;

use super::catalog::ToolDef;
use super::compare::{Comparison, changes};
use super::data::Data;
use super::params::Plan;
use super::typed::{Answer, Request};
use super::window::{Compare, Resolved};

/// The arguments sent, as JSON and as the pairs the answer's `request` shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Call {
    pub arguments: Map<String, Value>,
    pub params: Vec<(String, String)>,
}

impl Call {
    /// Adds one argument.
    pub fn put(&mut self, name: &str, value: Value) {
        let shown = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.params.push((name.to_string(), shown));
        self.arguments.insert(name.to_string(), value);
    }
}

/// True when the input `schema` declares a property `name`.
pub fn declares(schema: &Map<String, Value>, name: &str) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(name))
}

/// Our plan as the hosted tool's arguments. `startDate`/`endDate` go with every window
/// (Himetrica's tools all take them); anything else only when `schema` declares it.
pub fn arguments(schema: &Arc<Map<String, Value>>, window: Option<&Resolved>, plan: &Plan) -> Call {
    let mut call = Call {
        arguments: Map::new(),
        params: Vec::new(),
    };
    for (name, value) in window.map(Resolved::query).unwrap_or_default() {
        if name != "timezone" || declares(schema, &name) {
            call.put(&name, json!(value));
        }
    }
    if let Some(limit) = plan.limit.filter(|_| declares(schema, "limit")) {
        // One row more than asked, so "more rows exist" is known, as with the Read API.
        call.put("limit", json!((limit + 1).min(100)));
    }
    for (name, value) in &plan.extra {
        if declares(schema, name) {
            call.put(name, json!(value));
        }
    }
    call
}

/// The data of a hosted answer, when it is one `tool` can read; else why not.
pub fn data(tool: &ToolDef, result: &CallToolResult) -> Result<Data, String> {
    let text: String = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    if result.is_error == Some(true) {
        return Err(format!(
            "the hosted tool answered with an error: {}",
            crate::text::clean(&text, 200)
        ));
    }
    let candidates = [
        result.structured_content.clone(),
        serde_json::from_str::<Value>(&text).ok(),
    ];
    for value in candidates.into_iter().flatten() {
        // Himetrica's answers, like the Read API's, may wrap what matters in `data`.
        let value = match value {
            Value::Object(mut map) if map.contains_key("data") => {
                map.remove("data").unwrap_or_default()
            }
            other => other,
        };
        let mut value = value;
        crate::text::clean_value(&mut value);
        // As for the Read API: a number no view can show faithfully is refused, not rounded.
        if let Some(at) = crate::text::out_of_range_number(&value) {
            return Err(format!(
                "the hosted tool sent a number out of range at {at}"
            ));
        }
        let data = Data::parse(value);
        if tool.recognizes(&data) {
            return Ok(data);
        }
    }
    Err("the hosted tool answered with a shape this tool does not know".to_string())
}

/// A comparison computed from the hosted tool's answers for two windows.
pub fn comparison(
    compare: Compare,
    window: &Resolved,
    previous: Resolved,
    data: &Data,
    before: Data,
) -> Comparison {
    Comparison {
        compare: compare.name(),
        source: "computed",
        metrics: changes(data, &before),
        window: previous,
        same_elapsed_time: window.includes_today,
        series: match before {
            Data::Rows(rows) => Some(rows),
            Data::Object(_) => None,
        },
    }
}

/// The typed answer of a hosted call: its data, our window, and the call as the request.
pub fn answer(
    url: &Url,
    tool: &ToolDef,
    data: Data,
    window: Option<Resolved>,
    call: Call,
) -> Answer {
    Answer {
        data,
        window,
        request: Some(Request {
            path: format!("{url} tools/call {}", tool.name),
            params: call.params,
        }),
        as_of: Some(jiff::Timestamp::now()),
        ..Answer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::find;

    fn schema(props: &[&str]) -> Arc<Map<String, Value>> {
        let properties: Map<String, Value> = props
            .iter()
            .map(|p| (p.to_string(), json!({"type": "string"})))
            .collect();
        Arc::new(
            json!({"type": "object", "properties": properties})
                .as_object()
                .cloned()
                .unwrap(),
        )
    }

    fn plan(tool: &str, args: Value) -> Plan {
        find(tool)
            .unwrap()
            .args
            .parse(args.as_object().unwrap())
            .unwrap()
    }

    #[test]
    fn only_declared_arguments_are_sent_and_the_window_always() {
        let tz = "America/New_York";
        let now: jiff::Timestamp = "2026-11-21T15:00:00Z".parse().unwrap();
        let p = plan(
            "get_traffic_sources",
            json!({"period": "last_7_days", "limit": 5, "groupBy": "utm_source"}),
        );
        let w = crate::tools::window::resolve(p.window.as_ref().unwrap(), tz, now).unwrap();
        let all = arguments(
            &schema(&["startDate", "endDate", "limit", "groupBy"]),
            Some(&w),
            &p,
        );
        assert_eq!(all.arguments["limit"], 6);
        assert_eq!(all.arguments["groupBy"], "utm_source");
        assert!(
            all.arguments["startDate"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-1")
        );
        assert!(!all.arguments.contains_key("timezone"));
        let bare = arguments(&schema(&[]), Some(&w), &p);
        let names: Vec<&String> = bare.arguments.keys().collect();
        assert_eq!(names, ["startDate", "endDate"]);
    }

    #[test]
    fn a_hosted_answer_is_read_from_structured_content_then_text() {
        let tool = find("get_top_pages").unwrap();
        let mut r = CallToolResult::structured(json!({"data": [{"path": "/", "pageViews": 3}]}));
        assert!(matches!(data(tool, &r), Ok(Data::Rows(rows)) if rows.len() == 1));
        r.structured_content = Some(json!({"unrelated": 1}));
        r.content = vec![rmcp::model::ContentBlock::text(
            json!([{"path": "/a", "visitors": 1}]).to_string(),
        )];
        assert!(data(tool, &r).is_ok());
        r.content = vec![rmcp::model::ContentBlock::text("Top pages: / (3)")];
        assert!(data(tool, &r).is_err());
        let error = CallToolResult::error(vec![rmcp::model::ContentBlock::text("Invalid key")]);
        assert!(data(tool, &error).unwrap_err().contains("Invalid key"));
    }
}
