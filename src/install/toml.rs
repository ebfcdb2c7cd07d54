//! Editing Codex's `config.toml` with `toml_edit`: our `[mcp_servers.NAME]` table changes,
//! everything else (comments, order, formatting, other servers) stays as written.

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::{Edit, EditError, Entry};

/// Codex's defaults are short for a first start; these give a cold client room.
const STARTUP_TIMEOUT_SEC: i64 = 10;
const TOOL_TIMEOUT_SEC: i64 = 60;

fn parse(path: &Path, text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| EditError::Invalid {
        path: path.display().to_string(),
        format: "TOML",
        message: e.to_string().trim().replace('\n', " "),
    })
}

pub fn find(text: &str, name: &str) -> Option<(String, Vec<String>)> {
    let doc = text.parse::<DocumentMut>().ok()?;
    let t = doc.get("mcp_servers")?.get(name)?;
    let args = t.get("args").and_then(Item::as_array);
    Some(super::command_line(
        t.get("command")?.as_str()?,
        args.map(|a| a.iter().map(toml_edit::Value::as_str)),
    ))
}

pub fn upsert(path: &Path, text: &str, entry: &Entry) -> Result<Edit, EditError> {
    if find(text, &entry.name) == Some((entry.command.clone(), entry.args.clone())) {
        return Ok(Edit {
            before: text.to_string(),
            after: text.to_string(),
        });
    }
    let mut doc = parse(path, text)?;
    let servers = doc
        .entry("mcp_servers")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| EditError::WrongShape {
            path: path.display().to_string(),
            key: "mcp_servers".into(),
        })?;
    let table = servers
        .entry(&entry.name)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_mut()
        .ok_or_else(|| EditError::WrongShape {
            path: path.display().to_string(),
            key: format!("mcp_servers.{}", entry.name),
        })?;
    table["command"] = value(entry.command.as_str());
    let mut args = Array::new();
    for a in &entry.args {
        args.push(a.as_str());
    }
    table["args"] = value(args);
    if !table.contains_key("startup_timeout_sec") {
        table["startup_timeout_sec"] = value(STARTUP_TIMEOUT_SEC);
    }
    if !table.contains_key("tool_timeout_sec") {
        table["tool_timeout_sec"] = value(TOOL_TIMEOUT_SEC);
    }
    Ok(Edit {
        before: text.to_string(),
        after: doc.to_string(),
    })
}

pub fn remove(path: &Path, text: &str, name: &str) -> Result<Edit, EditError> {
    let mut doc = parse(path, text)?;
    let removed = doc
        .get_mut("mcp_servers")
        .and_then(Item::as_table_mut)
        .and_then(|t| t.remove(name))
        .is_some();
    Ok(Edit {
        before: text.to_string(),
        after: if removed {
            doc.to_string()
        } else {
            text.to_string()
        },
    })
}
