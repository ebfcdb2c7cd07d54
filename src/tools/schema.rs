//! A tool's `inputSchema`, and the checks a call's arguments get against it before they are
//! deserialized.
//!
//! The schemas are what a client validates and the model reads, so they are trimmed to what
//! clients of every dialect accept; the checks name the offending argument where serde cannot
//! (inside flattened structs). schemars makes them from the argument structs and the typed
//! answer, but not at run time: `schemas.json` holds what it made, parsed once by the first
//! `tools/list` or call. Generating them at start-up cost a cold start milliseconds and put
//! schemars' generator in the binary (BENCHMARKS.md, issue 23). A unit test in `params` fails
//! when the file differs from what schemars makes now, and rewrites it with
//! `UPDATE_SCHEMAS=1`. A leaf of `tools`: it imports no sibling.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use rmcp::model::JsonObject;
use serde_json::{Map, Value};

/// The schemas schemars made from this build's types (see the module doc).
pub const STORED: &str = include_str!("schemas.json");

/// [`STORED`], parsed: each argument struct's `inputSchema` by its kind's name, and the typed
/// answer's schema.
struct Stored {
    inputs: HashMap<String, Arc<JsonObject>>,
    answer: Value,
}

static PARSED: LazyLock<Stored> = LazyLock::new(|| {
    // The file is this build's own (the test in `params` checks it), so it parses.
    let mut all: Map<String, Value> = serde_json::from_str(STORED).unwrap_or_default();
    let inputs = match all.remove("inputs") {
        Some(Value::Object(inputs)) => inputs
            .into_iter()
            .map(|(kind, schema)| match schema {
                Value::Object(schema) => (kind, Arc::new(schema)),
                _ => (kind, Arc::new(JsonObject::new())),
            })
            .collect(),
        _ => HashMap::new(),
    };
    let answer = all.remove("answer").unwrap_or_default();
    Stored { inputs, answer }
});

/// The `inputSchema` of the argument struct of kind `kind` (`ArgsKind`'s name). Every kind a
/// tool uses is in the file (the test in `params` makes it from the catalog).
pub fn input(kind: &str) -> Arc<JsonObject> {
    PARSED.inputs.get(kind).cloned().unwrap_or_default()
}

/// The typed answer's schema, which each tool's `outputSchema` is cut from.
pub fn answer() -> &'static Value {
    &PARSED.answer
}

/// A JSON Schema (2020-12) for `T` as clients validate it: optional arguments are simply not
/// required (no `"type": [..., "null"]`, which single-type schema dialects reject), and the
/// Rust type's own name and doc stay out of what the model reads. Only the test that keeps
/// `schemas.json` current runs it.
#[cfg(test)]
pub fn of<T: schemars::JsonSchema>() -> JsonObject {
    // Inlined enums: some clients do not resolve `$ref`.
    let root = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = serde_json::to_value(root).unwrap_or_default();
    drop_null_branches(&mut value);
    strip_in(&mut value, &["format"]);
    let mut object = match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    object.remove("title");
    object.remove("description");
    // Clients hand the schema to the model as it is: `$schema` and `format: int64` cost
    // bytes in every tool and tell the model nothing (issue 13).
    object.remove("$schema");

    object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    object
}

/// The argument names `schema` accepts, in its order.
pub fn names(schema: &JsonObject) -> Vec<&str> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The candidate nearest to `given` when it is close enough to be a typo (`perid` →
/// `period`, `start_date` → `startDate`, `last30days` → `last_30_days`).
pub fn nearest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let plain = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let given = plain(given);
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&given, &plain(c)), c))
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scored.as_slice() {
        // Two about as near (`prev`: `previous_period` or `previous_year`?): no guess.
        [first, second, ..] if first.0 - second.0 < 0.02 => None,
        [first, ..] => Some(first.1),
        [] => None,
    }
}

/// ` Did you mean `x`?`, or nothing.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(given, candidates)
        .map(|c| format!(" Did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Refuses an argument `schema` does not name (a typo such as `start_date` would otherwise
/// silently widen the window), and one whose JSON type or enum value does not fit.
pub fn check(schema: &JsonObject, args: &Map<String, Value>) -> Result<(), String> {
    let known = names(schema);
    if let Some(unknown) = args.keys().find(|k| !known.contains(&k.as_str())) {
        let accepted = if known.is_empty() {
            "this tool takes no arguments".to_string()
        } else {
            format!("accepted: {}", known.join(", "))
        };
        return Err(format!(
            "unknown argument `{}`; {accepted}.{}",
            crate::text::clean(unknown, 40),
            did_you_mean(unknown, known.iter().copied())
        ));
    }
    check_types(schema, args)
}

/// Reads a string where the schema wants a whole number or a boolean the way a person (or a
/// model) meant it: `"05"` is 5, `"true"` is true. Whatever else is left for the checks.
pub fn coerce(schema: &JsonObject, args: &mut Map<String, Value>) {
    let props = schema.get("properties").and_then(Value::as_object);
    for (name, value) in args.iter_mut() {
        let (Some(prop), Value::String(raw)) = (props.and_then(|p| p.get(name)), &*value) else {
            continue;
        };
        let raw = raw.trim();
        let coerced = match prop.get("type").and_then(Value::as_str) {
            Some("integer") => raw.parse::<i64>().ok().map(Value::from),
            Some("boolean") => match raw.to_ascii_lowercase().as_str() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        if let Some(v) = coerced {
            *value = v;
        }
    }
}

/// Checks each argument's JSON type (and enum value) against the schema, so an error names the
/// argument even where serde cannot (inside flattened structs).
fn check_types(schema: &JsonObject, args: &Map<String, Value>) -> Result<(), String> {
    let props = schema.get("properties").and_then(Value::as_object);
    for (name, value) in args {
        let Some(prop) = props.and_then(|p| p.get(name)) else {
            continue;
        };
        let expected = prop.get("type").and_then(Value::as_str).unwrap_or_default();
        let fits = match expected {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        let shown = crate::text::clean(&value.to_string(), 40);
        if !fits {
            let what = match expected {
                "integer" => "a whole number",
                "string" => "a string",
                "boolean" => "true or false",
                other => other,
            };
            return Err(format!("`{name}` must be {what}, not {shown}."));
        }
        if let Some(allowed) = prop.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .map(|a| format!("`{a}`"))
                .collect();
            let given = value.as_str().unwrap_or_default();
            return Err(format!(
                "`{name}` = {shown} is not accepted; use one of {}.{}",
                list.join(", "),
                did_you_mean(given, allowed.iter().filter_map(Value::as_str))
            ));
        }
    }
    Ok(())
}

/// Removes `keys` from every schema object in `value` (no argument is named like them).
#[cfg(test)]
pub(crate) fn strip_in(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for key in keys {
                map.remove(*key);
            }
            map.values_mut().for_each(|v| strip_in(v, keys));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_in(v, keys)),
        _ => {}
    }
}

/// `Option<T>` fields come out of schemars as `"type": [T, "null"]`, `anyOf: [T, null]` or an
/// `enum` that lists `null`.
/// An argument that may be left out needs no `null`, so both become plain `T`.
pub(crate) fn drop_null_branches(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let single = types.remove(0);
                    map.insert("type".into(), single);
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            if let Some(Value::Array(branches)) = map.get("anyOf") {
                let kept: Vec<Value> = branches
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                    .cloned()
                    .collect();
                if let [Value::Object(only)] = kept.as_slice() {
                    map.remove("anyOf");
                    for (k, v) in only {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            map.values_mut().for_each(drop_null_branches);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_branches),
        _ => {}
    }
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn typos_get_the_nearest_name_and_ties_get_none() {
        let names = ["period", "startDate", "endDate", "timezone", "detail"];
        assert_eq!(nearest("perid", names), Some("period"));
        assert_eq!(nearest("start_date", names), Some("startDate"));
        assert_eq!(nearest("xyz", names), None);
        assert_eq!(nearest("prev", ["previous_period", "previous_year"]), None);
    }

    #[test]
    fn strings_that_spell_a_number_or_boolean_are_read_as_one() {
        let schema = of::<Sample>();
        let mut args: Map<String, Value> = serde_json::from_value(
            serde_json::json!({"limit": "05", "detail": "TRUE", "name": "07"}),
        )
        .unwrap();
        coerce(&schema, &mut args);
        assert_eq!(args["limit"], 5);
        assert_eq!(args["detail"], true);
        assert_eq!(args["name"], "07", "a string parameter stays a string");
        let mut args: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"detail": "yes"})).unwrap();
        coerce(&schema, &mut args);
        let e = check(&schema, &args).unwrap_err();
        assert_eq!(e, "`detail` must be true or false, not \"yes\".");
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Sample {
        limit: Option<i64>,
        detail: Option<bool>,
        name: Option<String>,
    }
}
