//! Editing JSON and JSONC client configs through a concrete syntax tree (jsonc-parser), so
//! comments, key order and formatting outside our entry survive byte for byte.

use std::path::Path;

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use serde_json::Value;

use super::{Edit, EditError, Entry};

fn parse(path: &Path, text: &str) -> Result<CstRootNode, EditError> {
    CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| EditError::Invalid {
        path: path.display().to_string(),
        format: "JSON",
        message: e.to_string(),
    })
}

fn semantic(text: &str) -> Option<Value> {
    jsonc_parser::parse_to_serde_value::<Value>(text, &ParseOptions::default()).ok()
}

/// `(command, args)` of the server `name` under `servers_key`.
pub fn find(text: &str, servers_key: &str, name: &str) -> Option<(String, Vec<String>)> {
    let entry = semantic(text)?.get(servers_key)?.get(name)?.clone();
    let args = entry.get("args").and_then(Value::as_array);
    Some(super::command_line(
        entry.get("command")?.as_str()?,
        args.map(|a| a.iter().map(Value::as_str)),
    ))
}

fn strings(items: &[String]) -> CstInputValue {
    CstInputValue::Array(
        items
            .iter()
            .map(|s| CstInputValue::String(s.clone()))
            .collect(),
    )
}

pub fn upsert(
    path: &Path,
    text: &str,
    servers_key: &str,
    with_type: bool,
    entry: &Entry,
) -> Result<Edit, EditError> {
    let source = if text.trim().is_empty() { "{}\n" } else { text };
    let root = parse(path, source)?;
    let wrong = |key: &str| EditError::WrongShape {
        path: path.display().to_string(),
        key: key.to_string(),
    };
    let top = root.object_value().or_else(|| {
        // An empty document (or one holding only comments) gets an object.
        root.value().is_none().then(|| root.object_value_or_set())
    });
    let top = top.ok_or_else(|| wrong("(top level)"))?;
    // Already exactly as we would write it: change nothing, not even formatting.
    if let Some(current) =
        semantic(source).and_then(|v| v.get(servers_key).and_then(|s| s.get(&entry.name)).cloned())
    {
        let type_ok = !with_type || current.get("type").and_then(Value::as_str) == Some("stdio");
        let same = current.get("command").and_then(Value::as_str) == Some(entry.command.as_str())
            && current.get("args") == Some(&serde_json::json!(entry.args));
        if same && type_ok {
            return Ok(Edit {
                before: text.to_string(),
                after: text.to_string(),
            });
        }
    }
    let servers = match top.get(servers_key) {
        Some(prop) => prop.object_value().ok_or_else(|| wrong(servers_key))?,
        None => top.object_value_or_set(servers_key),
    };
    match servers.get(&entry.name).map(|p| p.object_value()) {
        // Update our keys in place; keep whatever else the user added (env, disabled, …).
        Some(Some(existing)) => {
            if with_type {
                set(&existing, "type", CstInputValue::String("stdio".into()));
            }
            set(
                &existing,
                "command",
                CstInputValue::String(entry.command.clone()),
            );
            set(&existing, "args", strings(&entry.args));
        }
        Some(None) => return Err(wrong(&format!("{servers_key}.{}", entry.name))),
        None => {
            let mut fields = Vec::new();
            if with_type {
                fields.push(("type".to_string(), CstInputValue::String("stdio".into())));
            }
            fields.push((
                "command".to_string(),
                CstInputValue::String(entry.command.clone()),
            ));
            fields.push(("args".to_string(), strings(&entry.args)));
            servers.append(&entry.name, CstInputValue::Object(fields));
        }
    }
    let mut after = root.to_string();
    if !after.ends_with('\n') {
        after.push('\n');
    }
    Ok(Edit {
        before: text.to_string(),
        after,
    })
}

fn set(object: &jsonc_parser::cst::CstObject, key: &str, value: CstInputValue) {
    match object.get(key) {
        Some(prop) => prop.set_value(value),
        None => {
            object.append(key, value);
        }
    }
}

pub fn remove(path: &Path, text: &str, servers_key: &str, name: &str) -> Result<Edit, EditError> {
    let unchanged = Edit {
        before: text.to_string(),
        after: text.to_string(),
    };
    if text.trim().is_empty() {
        return Ok(unchanged);
    }
    let root = parse(path, text)?;
    let prop = root
        .object_value()
        .and_then(|top| top.get(servers_key))
        .and_then(|s| s.object_value())
        .and_then(|servers| servers.get(name));
    match prop {
        Some(prop) => {
            prop.remove();
            Ok(Edit {
                before: text.to_string(),
                after: root.to_string(),
            })
        }
        None => Ok(unchanged),
    }
}
