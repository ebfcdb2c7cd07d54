//! The API's `data`, parsed once (issue 21), and what the runner does to it before it is
//! shaped: rows ranked, cut to the caller's limit, emails masked. Parsing is lenient (DESIGN
//! §3): an object or a list is kept as sent, unknown fields and all; anything else becomes
//! `{"value": …}`. A leaf of `tools`: it imports no sibling.

use serde::Serialize;
use serde_json::{Map, Value};

/// The API's answer: a list of rows (a breakdown or a series), or an object (an overview).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    /// Rows as the API sent them (each usually an object of its columns).
    Rows(Vec<Value>),
    /// Metrics by the API's names, with any nested group or table.
    Object(Map<String, Value>),
}

impl Default for Data {
    fn default() -> Self {
        Self::Object(Map::new())
    }
}

impl Data {
    /// The API's `data` value as an answer: the one place its JSON is read.
    pub fn parse(data: Value) -> Self {
        match data {
            Value::Array(rows) => Self::Rows(rows),
            Value::Object(map) => Self::Object(map),
            other => Self::Object(Map::from_iter([("value".to_string(), other)])),
        }
    }

    /// The rows of a list, or of the first table an object holds.
    pub fn rows(&self) -> Option<&[Value]> {
        match self {
            Self::Rows(rows) => Some(rows),
            Self::Object(map) => map.values().find_map(|v| v.as_array().map(Vec::as_slice)),
        }
    }

    fn rows_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Self::Rows(rows) => Some(rows),
            Self::Object(map) => map.values_mut().find_map(|v| v.as_array_mut()),
        }
    }

    /// The currency an overview names (`USD` when none: see `format`).
    pub fn currency(&self) -> Option<&str> {
        match self {
            Self::Object(map) => map.get("currency").and_then(Value::as_str),
            Self::Rows(_) => None,
        }
    }
}

/// How a list was cut to its `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cut {
    /// Rows kept.
    pub shown: usize,
    pub limit: usize,
    /// More rows exist (`true`), or not; `None` (null) when the list is as long as one call
    /// returns, so more may exist.
    pub truncated: Option<bool>,
}

/// Keeps the first `limit` rows and says whether more exist.
pub fn cut_rows(data: &mut Data, limit: i64) -> Cut {
    let limit = usize::try_from(limit).unwrap_or(0);
    let Some(rows) = data.rows_mut() else {
        return Cut {
            shown: 0,
            limit,
            truncated: Some(false),
        };
    };
    let truncated = if rows.len() > limit {
        rows.truncate(limit);
        Some(true)
    } else if limit >= 100 && rows.len() == limit {
        None
    } else {
        Some(false)
    };
    Cut {
        shown: rows.len(),
        limit,
        truncated,
    }
}

/// Sorts the rows of a list by `key`, largest first; rows without a number keep their order
/// after those with one.
pub fn rank(data: &mut Data, key: &str) {
    let Some(rows) = data.rows_mut() else {
        return;
    };
    let value = |row: &Value| {
        row.get(key)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
    };
    rows.sort_by(|a, b| match (value(a), value(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

/// Every email in the answer masked (see [`mask_emails`]).
pub fn mask_data(data: &mut Data) {
    match data {
        Data::Rows(rows) => rows.iter_mut().for_each(mask_emails),
        Data::Object(map) => map.values_mut().for_each(mask_emails),
    }
}

/// `billing@acme.example` → `b…@acme.example`, in every string that looks like an email.
pub fn mask_emails(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some((local, domain)) = s.split_once('@')
                && !local.is_empty()
                && domain.contains('.')
                && !s.contains(char::is_whitespace)
            {
                let first: String = local.chars().take(1).collect();
                *s = format!("{first}…@{domain}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_emails),
        Value::Object(map) => map.values_mut().for_each(mask_emails),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_cut_to_the_limit_with_an_exact_flag() {
        let mut d = Data::parse(json!([1, 2, 3, 4]));
        assert_eq!(
            serde_json::to_value(cut_rows(&mut d, 3)).unwrap(),
            json!({"shown": 3, "limit": 3, "truncated": true})
        );
        assert_eq!(serde_json::to_value(&d).unwrap(), json!([1, 2, 3]));
        let mut d = Data::parse(json!([1, 2, 3]));
        assert_eq!(cut_rows(&mut d, 3).truncated, Some(false));
        let mut d = Data::parse(Value::Array((0..100).map(|i| json!(i)).collect()));
        assert_eq!(cut_rows(&mut d, 100).truncated, None);
        // An object's first table is the list.
        let mut d = Data::parse(json!({"total": 3, "rows": [1, 2, 3]}));
        assert_eq!(cut_rows(&mut d, 2).shown, 2);
        assert_eq!(Data::parse(json!(7)), Data::parse(json!({"value": 7})));
    }

    #[test]
    fn rows_are_ranked_largest_first_with_blanks_last() {
        let mut d = Data::parse(json!([{"r": 1}, {"r": null}, {"r": 4.5}, {"r": 2}]));
        rank(&mut d, "r");
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!([{"r": 4.5}, {"r": 2}, {"r": 1}, {"r": null}])
        );
    }

    #[test]
    fn emails_are_masked_everywhere() {
        let mut d = json!([{"name": "Acme", "email": "billing@acme.example", "note": "a @ b"}]);
        mask_emails(&mut d);
        assert_eq!(d[0]["email"], "b…@acme.example");
        assert_eq!(d[0]["note"], "a @ b");
    }
}
