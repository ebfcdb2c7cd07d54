//! Text for people and models: headline values first, then rows as an aligned table.
//!
//! Only the text is shaped here; `structuredContent` keeps the upstream values untouched.
//! Strings from the upstream are cleaned (control characters dropped, length capped) before
//! they reach the text, since they are data a site's visitors can influence.

use serde_json::{Map, Value};

use super::{ArgsKind, ToolDef};
use crate::api::error::clean;

const MAX_CELL: usize = 60;
const MAX_ROWS: usize = 100;

/// The readable text of a tool answer.
pub fn render(tool: &ToolDef, data: &Value, params: &Map<String, Value>) -> String {
    let mut out = String::new();
    out.push_str(tool.title);
    if tool.args != ArgsKind::None {
        out.push_str(" · ");
        out.push_str(&window_label(params));
    }
    out.push('\n');
    let currency = data.get("currency").and_then(Value::as_str);
    match data {
        Value::Array(rows) => out.push_str(&table(rows, currency)),
        Value::Object(map) => {
            let mut tables = Vec::new();
            for (key, value) in map {
                match value {
                    Value::Array(rows) if rows.iter().all(Value::is_object) => {
                        tables.push((key, rows));
                    }
                    Value::Object(inner) => {
                        let percents = key.to_ascii_lowercase().contains("percent");
                        let parts: Vec<String> = inner
                            .iter()
                            .filter(|(_, v)| !v.is_object() && !v.is_array())
                            .map(|(k, v)| {
                                let text = match v.as_f64() {
                                    Some(x) if percents => format!("{x:+.1}%"),
                                    _ => cell(k, v, currency),
                                };
                                format!("{} {text}", label(k).to_lowercase())
                            })
                            .collect();
                        if !parts.is_empty() {
                            out.push_str(&format!("{}: {}\n", label(key), parts.join(" · ")));
                        }
                    }
                    _ if key == "currency" => {}
                    scalar => out.push_str(&format!(
                        "{}: {}\n",
                        label(key),
                        cell(key, scalar, currency)
                    )),
                }
            }
            for (key, rows) in tables {
                out.push_str(&format!("{}:\n", label(key)));
                out.push_str(&table(rows, currency));
            }
        }
        other => out.push_str(&cell("value", other, currency)),
    }
    out.trim_end().to_string()
}

fn window_label(params: &Map<String, Value>) -> String {
    let get = |k: &str| params.get(k).and_then(Value::as_str);
    let window = match (get("startDate"), get("endDate")) {
        (Some(s), Some(e)) => format!("{s} → {e}"),
        (Some(s), None) => format!("{s} → now"),
        (None, Some(e)) => format!("7 days before {e} → {e}"),
        (None, None) => "last 7 days".to_string(),
    };
    match get("timezone") {
        Some(tz) => format!("{window} ({tz})"),
        None => window,
    }
}

/// An aligned table of the scalar columns of `rows`.
fn table(rows: &[Value], currency: Option<&str>) -> String {
    if rows.is_empty() {
        return "No rows for this window.\n".to_string();
    }
    let mut columns: Vec<&str> = Vec::new();
    for row in rows.iter().take(MAX_ROWS) {
        if let Value::Object(map) = row {
            for (k, v) in map {
                if !v.is_object() && !v.is_array() && !columns.contains(&k.as_str()) {
                    columns.push(k);
                }
            }
        }
    }
    if columns.is_empty() {
        return format!("{} rows.\n", rows.len());
    }
    let header: Vec<String> = columns.iter().map(|c| label(c)).collect();
    let body: Vec<Vec<(String, bool)>> = rows
        .iter()
        .take(MAX_ROWS)
        .map(|row| {
            columns
                .iter()
                .map(|c| match row.get(*c) {
                    Some(v) => (cell(c, v, currency), v.is_number()),
                    None => (String::new(), false),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            body.iter()
                .map(|r| r[i].0.chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..columns.len())
        .map(|i| body.iter().any(|r| r[i].1))
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if numeric[i] {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(String::as_str).collect());
    for row in &body {
        out.push_str(&line(row.iter().map(|(s, _)| s.as_str()).collect()));
    }
    if rows.len() > MAX_ROWS {
        out.push_str(&format!("showing {MAX_ROWS} of {} rows\n", rows.len()));
    }
    out
}

/// `uniqueVisitors` → `Unique visitors`; well-known abbreviations stay upper case.
pub fn label(key: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in key.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        } else if c.is_ascii_uppercase() && !current.is_empty() {
            words.push(std::mem::take(&mut current));
            current.push(c.to_ascii_lowercase());
        } else {
            current.push(c.to_ascii_lowercase());
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    let words: Vec<String> = words
        .into_iter()
        .enumerate()
        .map(|(i, w)| match w.as_str() {
            "mrr" | "arr" | "cac" | "ltv" | "roi" | "utm" | "id" | "url" => w.to_uppercase(),
            _ if i == 0 => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
            _ => w,
        })
        .collect();
    clean(&words.join(" "), MAX_CELL)
}

fn cell(key: &str, value: &Value, currency: Option<&str>) -> String {
    match value {
        Value::Null => "—".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => clean(s, MAX_CELL),
        Value::Number(n) => {
            let Some(x) = n.as_f64() else {
                return n.to_string();
            };
            let k = key.to_ascii_lowercase();
            if k.contains("rate") || k == "roi" || k.ends_with("percent") || k.ends_with("pct") {
                format!("{x:.1}%")
            } else if k.contains("duration") {
                duration(x)
            } else if [
                "revenue", "mrr", "arr", "spend", "cac", "ltv", "amount", "value",
            ]
            .iter()
            .any(|m| k.contains(m))
            {
                money(x, currency)
            } else if n.is_i64() || n.is_u64() {
                thousands(x.round() as i64)
            } else {
                format!("{}", (x * 100.0).round() / 100.0)
            }
        }
        other => clean(&other.to_string(), MAX_CELL),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Seconds → `2m 05s` (or `1h 02m`).
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".to_string();
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn money(x: f64, currency: Option<&str>) -> String {
    let cents = (x * 100.0).round() as i64;
    let whole = thousands(cents / 100);
    let frac = (cents % 100).abs();
    let sign = if cents < 0 && cents / 100 == 0 {
        "-"
    } else {
        ""
    };
    match currency {
        Some("USD") | None => format!("{sign}${whole}.{frac:02}").replace("$-", "-$"),
        Some(code) => format!("{sign}{whole}.{frac:02} {}", clean(code, 5)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(8307), "8,307");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(duration(125.0), "2m 05s");
        assert_eq!(duration(3720.0), "1h 02m");
        assert_eq!(money(18400.5, None), "$18,400.50");
        assert_eq!(money(-5.25, Some("EUR")), "-5.25 EUR");
        assert_eq!(label("uniqueVisitors"), "Unique visitors");
        assert_eq!(label("adSpend"), "Ad spend");
        assert_eq!(label("mrr"), "MRR");
    }

    #[test]
    fn tables_align_and_clean_strings() {
        let rows = json!([
            {"path": "/pricing", "title": "Pricing\u{1b}[31m", "pageViews": 1200},
            {"path": "/", "title": "Home", "pageViews": 98765}
        ]);
        let t = table(rows.as_array().unwrap(), None);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Path      Title        Page views");
        assert_eq!(lines[1], "/pricing  Pricing[31m       1,200");
        assert_eq!(lines[2], "/         Home             98,765");
    }
}
