//! Text for people and models: the answer first, then rows as an aligned table.
//!
//! Headline numbers come first with their change (`Unique visitors 8,852 (+0.3% vs 8,827)`),
//! then the rows: a list's up to its `limit` (and `Top N shown (limit=N); more exist` when it
//! was cut), a series' every bucket or, when long, its re-bucketed rows with a line that says
//! how (issue 21), each partial bucket marked (`(4 days)`, `(so far)`). A note names only what
//! any reader can ask for, never a surface it may not have been sent.
//! Strings from the upstream are data a site's visitors can influence (page titles,
//! referrers, UTM tags, event and customer names), so they are sanitized before they reach
//! the text: control characters and markup-like sequences removed, length capped.

use serde_json::Value;

use super::catalog::ToolDef;
use super::data::Data;
use super::format::{Member, cell, columns, headline, label, members, totals};
use super::typed::Answer;
use crate::chart::Kind;

/// Rows any table shows at most.
const MAX_ROWS: usize = 100;

/// The text of a tool answer: title and window, headline, table, notes.
pub fn render(tool: &ToolDef, answer: &Answer) -> String {
    let mut out = String::from(tool.title);
    if let Some(w) = &answer.window {
        out.push_str(": ");
        out.push_str(&w.label());
    }
    out.push('\n');
    let currency = answer.currency();
    let changes = answer.changes();
    match &answer.data {
        Data::Rows(rows) => {
            if tool.chart == Some(Kind::Series) {
                out.push_str(&super::trend::lead_text(tool, answer));
            } else if let Some(changes) = changes {
                out.push_str("Totals:\n");
                out.extend(totals(changes, currency));
            }
            let bars = tool.chart == Some(Kind::Bars);
            match &answer.series {
                Some(series) => {
                    // Each row's label says what it covers: `2026-08-20 (4 days)`, `(so far)`.
                    let rows: Vec<Value> = series
                        .shown
                        .iter()
                        .map(|b| {
                            let mut row = b.row.clone();
                            row.insert("date".into(), Value::String(b.label()));
                            Value::Object(row)
                        })
                        .collect();
                    // A regrouped series says how (`13 weekly rows, then …`); one as sent is
                    // said by its sparkline's header (`one character per day`).
                    if series.regrouped.is_some() {
                        out.push_str(&series.note());
                        out.push('\n');
                    }
                    out.push_str(&table(&rows, currency, MAX_ROWS, tool.columns, bars));
                }
                None => {
                    if let Some(key) = tool.rank_by {
                        out.push_str(&format!("Ranked by {}:\n", label(key).to_lowercase()));
                    }
                    out.push_str(&table(rows, currency, MAX_ROWS, tool.columns, bars));
                }
            }
        }
        Data::Object(map) => {
            let mut tables = Vec::new();
            for (key, member) in members(tool, map) {
                match member {
                    Member::Table(rows) => tables.push((key, rows)),
                    Member::Group(scalars) if !scalars.is_empty() => {
                        let parts: Vec<String> = scalars
                            .iter()
                            .map(|(k, v)| {
                                format!("{} {}", label(k).to_lowercase(), cell(k, v, currency))
                            })
                            .collect();
                        out.push_str(&format!("{}: {}\n", label(key), parts.join(" · ")));
                    }
                    Member::Group(_) => {}
                    Member::Value(value) => {
                        let change = changes.and_then(|c| c.get(key));
                        out.push_str(&headline(key, value, change, currency));
                    }
                }
            }
            for (key, rows) in tables {
                out.push_str(&format!("{}:\n", label(key)));
                let bars = tool.chart == Some(Kind::Bars);
                out.push_str(&table(rows, currency, usize::MAX, tool.columns, bars));
            }
        }
    }
    if let Some(c) = &answer.comparison {
        let w = &c.window;
        // A window that ends now is compared with the same elapsed time, and says so.
        let until = if c.same_elapsed_time {
            format!(" until {}", w.end.strftime("%H:%M"))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "Compared with {} → {}{until} ({}{}).\n",
            w.start.date(),
            w.end.date(),
            c.compare.replace('_', " "),
            // Where the earlier numbers came from is in `detail`; the reader needs the window.
            if until.is_empty() {
                ""
            } else {
                ", the same elapsed time"
            }
        ));
    }
    if let Some(cut) = &answer.rows {
        let shown = cut.shown;
        match cut.truncated {
            Some(true) => {
                out.push_str(&format!("Top {shown} shown (limit={shown}); more exist.\n"))
            }
            None => out.push_str(&format!(
                "Showing {shown}, the most one call returns; more may exist.\n"
            )),
            Some(false) => {}
        }
    }
    // Days that break the weekly pattern, under the series (issue 25).
    for a in &answer.anomalies {
        out.push_str(&super::anomaly::line(a));
        out.push('\n');
    }
    if let Some(note) = answer.reused() {
        out = out.trim_end().to_string();
        out.push_str(&format!("\n({note})"));
    }
    out.trim_end().to_string()
}

/// An aligned table of the scalar columns of `rows`; with `bars`, a share bar beside the first
/// number column (a breakdown).
pub(super) fn table(
    rows: &[Value],
    currency: Option<&str>,
    max_rows: usize,
    prefer: &[&str],
    bars: bool,
) -> String {
    if rows.is_empty() {
        return "No rows for this window.\n".to_string();
    }
    let max_rows = max_rows.min(MAX_ROWS);
    let columns = columns(&rows[..rows.len().min(max_rows)], prefer);
    if columns.is_empty() {
        return format!("{} rows.\n", rows.len());
    }
    // Headers pad every row beneath them: long words are shortened where a model still reads
    // them right (`New subs`), which keeps a 90-day revenue series in its budget.
    let header: Vec<String> = columns
        .iter()
        .map(|c| label(c).replace("subscriptions", "subs"))
        .collect();
    let mut body: Vec<Vec<(String, bool)>> = rows
        .iter()
        .take(max_rows)
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
    if bars {
        super::trend::share_bars(rows, &columns, &mut body, &widths);
    }
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
    if rows.len() > max_rows {
        // Only a series the bridge could not read as dates gets here (lists are cut by their
        // limit): name what the reader can ask for, not a surface it may not have been sent.
        out.push_str(&format!(
            "showing {max_rows} of {} rows; ask for a shorter window or a coarser granularity\n",
            rows.len()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_and_clean_strings() {
        let rows = json!([
            {"path": "/pricing", "title": "Pricing\u{1b}[31m", "pageViews": 1200},
            {"path": "/", "title": "Home", "pageViews": 98765}
        ]);
        let t = table(rows.as_array().unwrap(), None, 100, &[], false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Path      Title    Page views");
        assert_eq!(lines[1], "/pricing  Pricing       1,200");
        assert_eq!(lines[2], "/         Home         98,765");
    }
}
