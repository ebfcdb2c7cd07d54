//! What the runner does to the upstream's `data` before it is shaped: one JSON shape, rows cut
//! to the caller's limit, emails masked. A leaf of `tools`: it imports no sibling.

use serde_json::{Value, json};

/// The output schema promises an object or an array.
pub fn normalize(data: Value) -> Value {
    match data {
        d @ (Value::Object(_) | Value::Array(_)) => d,
        other => json!({ "value": other }),
    }
}

/// Keeps the first `limit` rows and says whether more exist.
pub fn cut_rows(data: &mut Value, limit: i64) -> Value {
    let limit = usize::try_from(limit).unwrap_or(0);
    let rows = match data {
        Value::Array(rows) => Some(rows),
        Value::Object(map) => map.values_mut().find_map(|v| v.as_array_mut()),
        _ => None,
    };
    let Some(rows) = rows else {
        return json!({"shown": 0, "limit": limit, "truncated": false});
    };
    let truncated = if rows.len() > limit {
        rows.truncate(limit);
        json!(true)
    } else if limit >= 100 && rows.len() == limit {
        Value::Null
    } else {
        json!(false)
    };
    json!({"shown": rows.len(), "limit": limit, "truncated": truncated})
}

/// Sorts the rows of a list by `key`, largest first; rows without a number keep their order
/// after those with one.
pub fn rank(data: &mut Value, key: &str) {
    let rows = match data {
        Value::Array(rows) => rows,
        Value::Object(map) => match map.values_mut().find_map(|v| v.as_array_mut()) {
            Some(rows) => rows,
            None => return,
        },
        _ => return,
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

    #[test]
    fn rows_are_cut_to_the_limit_with_an_exact_flag() {
        let mut d = json!([1, 2, 3, 4]);
        assert_eq!(
            cut_rows(&mut d, 3),
            json!({"shown": 3, "limit": 3, "truncated": true})
        );
        assert_eq!(d, json!([1, 2, 3]));
        let mut d = json!([1, 2, 3]);
        assert_eq!(cut_rows(&mut d, 3)["truncated"], false);
        let mut d = Value::Array((0..100).map(|i| json!(i)).collect());
        assert_eq!(cut_rows(&mut d, 100)["truncated"], Value::Null);
    }

    #[test]
    fn rows_are_ranked_largest_first_with_blanks_last() {
        let mut d = json!([{"r": 1}, {"r": null}, {"r": 4.5}, {"r": 2}]);
        rank(&mut d, "r");
        assert_eq!(d, json!([{"r": 4.5}, {"r": 2}, {"r": 1}, {"r": null}]));
    }

    #[test]
    fn emails_are_masked_everywhere() {
        let mut d = json!([{"name": "Acme", "email": "billing@acme.example", "note": "a @ b"}]);
        mask_emails(&mut d);
        assert_eq!(d[0]["email"], "b…@acme.example");
        assert_eq!(d[0]["note"], "a @ b");
    }
}
