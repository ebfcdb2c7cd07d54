//! What a tool parameter accepts, read from its JSON Schema for people: the accepted values,
//! the range and the default. `tools` prints it and shell completion offers the values, so the
//! two say the same as the `inputSchema` a model reads (issue 20, points 10 and 11).
//!
//! The schema a model reads is trimmed to save its tokens (issue 13): the date presets are
//! listed once in the server's instructions, not as an enum, and a list's range and default
//! are in the parameter's description ("Rows, 1-100 (default 10).") rather than in keywords.
//! So what the schema's keywords say (`enum`, `oneOf` of `const`s, `$ref`, `anyOf`, `minimum`,
//! `maximum`, `default`) is completed from `tools::window::PERIODS` and from the description.

use serde_json::{Map, Value};

use crate::tools::window::PERIODS;

/// One parameter of a tool's input schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Param {
    pub name: String,
    pub description: String,
    /// The values accepted, when they are a closed list (an enum, or `true`/`false`).
    pub values: Vec<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub default: Option<String>,
}

impl Param {
    /// `one of a, b, c · 1–100 · default 10`, or empty when the schema says none of these.
    pub fn accepts(&self) -> String {
        let mut parts = Vec::new();
        if !self.values.is_empty() {
            parts.push(format!("one of {}", self.values.join(", ")));
        }
        match (self.minimum, self.maximum) {
            (Some(lo), Some(hi)) => parts.push(format!("{}–{}", num(lo), num(hi))),
            (Some(lo), None) => parts.push(format!("at least {}", num(lo))),
            (None, Some(hi)) => parts.push(format!("at most {}", num(hi))),
            (None, None) => {}
        }
        if let Some(default) = &self.default {
            parts.push(format!("default {default}"));
        }
        parts.join(" · ")
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// The parameters of an input schema, in the schema's order.
pub fn params(schema: &Map<String, Value>) -> Vec<Param> {
    let root = Value::Object(schema.clone());
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| param(name, prop, &root))
        .collect()
}

fn param(name: &str, prop: &Value, root: &Value) -> Param {
    let mut p = Param {
        name: name.to_string(),
        description: prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ..Param::default()
    };
    // The default is on the property; values and range may sit behind a `$ref` or an `anyOf`.
    p.default = prop.get("default").filter(|d| !d.is_null()).map(plain);
    if name == "period" {
        p.values = PERIODS.iter().map(|(_, n)| n.to_string()).collect();
    }
    for part in parts(prop, root, 0) {
        if p.values.is_empty() {
            p.values = values(part);
        }
        p.minimum = p.minimum.or(part.get("minimum").and_then(Value::as_f64));
        p.maximum = p.maximum.or(part.get("maximum").and_then(Value::as_f64));
        if p.description.is_empty()
            && let Some(d) = part.get("description").and_then(Value::as_str)
        {
            p.description = d.to_string();
        }
    }
    if p.minimum.is_none() && p.maximum.is_none() {
        (p.minimum, p.maximum) = described_range(&p.description).unzip();
    }
    if p.default.is_none() {
        p.default = described_default(&p.description);
    }
    p
}

/// `1-100` in a description ("Rows, 1-100 (default 10).").
fn described_range(description: &str) -> Option<(f64, f64)> {
    description.split([' ', ',', '(', ')']).find_map(|word| {
        let (lo, hi) = word.split_once('-')?;
        Some((lo.parse().ok()?, hi.trim_end_matches('.').parse().ok()?))
    })
}

/// The default a description names: `(default 10)`, `Default referrer.`, `X (default)`.
fn described_default(description: &str) -> Option<String> {
    let lower = description.to_lowercase();
    if let Some(at) = lower.find(" (default)") {
        return description[..at].rsplit(' ').next().map(str::to_string);
    }
    let at = lower.find("default ")?;
    let rest = &description[at + "default ".len()..];
    let value: String = rest
        .chars()
        .take_while(|c| !matches!(c, ')' | ';' | ',') && *c != ' ')
        .collect();
    let value = value.trim_end_matches('.');
    (!value.is_empty() && !value.ends_with(':')).then(|| value.to_string())
}

/// The schema and what it refers to or combines (`$ref`, `anyOf`, `oneOf`, `allOf`), flat.
fn parts<'a>(schema: &'a Value, root: &'a Value, depth: usize) -> Vec<&'a Value> {
    if depth > 4 {
        return Vec::new();
    }
    let mut out = vec![schema];
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| root.pointer(pointer))
    {
        out.extend(parts(target, root, depth + 1));
    }
    for key in ["anyOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(parts(sub, root, depth + 1));
        }
    }
    out
}

/// The closed list of values one schema allows, if it has one.
fn values(schema: &Value) -> Vec<String> {
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        return list.iter().filter(|v| !v.is_null()).map(plain).collect();
    }
    if let Some(list) = schema.get("oneOf").and_then(Value::as_array) {
        let consts: Vec<String> = list
            .iter()
            .filter_map(|v| v.get("const").or_else(|| v.get("enum")?.get(0)))
            .map(plain)
            .collect();
        if consts.len() == list.len() {
            return consts;
        }
    }
    let boolean = match schema.get("type") {
        Some(Value::String(t)) => t == "boolean",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "boolean"),
        _ => false,
    };
    if boolean {
        return vec!["true".into(), "false".into()];
    }
    Vec::new()
}

/// A JSON value as a person types it: strings without quotes.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_ranges_and_defaults_are_read_through_refs() {
        let schema = json!({
            "type": "object",
            "properties": {
                "preset": {"anyOf": [{"$ref": "#/$defs/Period"}, {"type": "null"}], "description": "Preset"},
                "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100, "default": 10},
                "detail": {"type": "boolean"},
                "groupBy": {"oneOf": [{"const": "country"}, {"const": "city"}], "default": "country"}
            },
            "$defs": {"Period": {"type": "string", "enum": ["today", "last_7_days"]}}
        });
        let ps = params(schema.as_object().unwrap());
        let accepts: Vec<String> = ps.iter().map(Param::accepts).collect();
        assert_eq!(
            accepts,
            [
                "one of today, last_7_days",
                "1–100 · default 10",
                "one of true, false",
                "one of country, city · default country"
            ]
        );
        assert_eq!(ps[0].description, "Preset");
    }

    #[test]
    fn ranges_and_defaults_are_read_from_descriptions() {
        let schema = json!({"properties": {
            "limit": {"type": "integer", "description": "Rows, 1-100 (default 10)."},
            "groupBy": {"type": "string", "enum": ["referrer", "utm_source"], "description": "Default referrer."},
            "period": {"type": "string", "description": "Preset, e.g. last_7_days (default)."},
            "timezone": {"type": "string", "description": "IANA zone (default: the project's)."}
        }});
        let ps = params(schema.as_object().unwrap());
        assert_eq!(ps[0].accepts(), "1–100 · default 10");
        assert_eq!(
            ps[1].accepts(),
            "one of referrer, utm_source · default referrer"
        );
        assert!(
            ps[2].values.contains(&"last_90_days".to_string()),
            "{:?}",
            ps[2]
        );
        assert_eq!(ps[2].default.as_deref(), Some("last_7_days"));
        assert_eq!(ps[3].accepts(), "");
    }
}
