//! The auth-params of a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3, RFC 9110 §11.2),
//! from which discovery reads `resource_metadata` and `scope`. Imports nothing of the crate.

use std::collections::HashMap;

/// The auth-params of a `Bearer` challenge (RFC 9110 §11.2: `name=token` or
/// `name="quoted string"`, comma separated), names lower-cased; empty for another scheme.
pub(super) fn bearer_params(header: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let header = header.trim_start();
    let Some(scheme) = header.get(..6) else {
        return params;
    };
    if !scheme.eq_ignore_ascii_case("bearer")
        || header[6..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace())
    {
        return params;
    }
    let mut rest = header[6..].chars().peekable();
    loop {
        while rest.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let name: String = std::iter::from_fn(|| rest.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if rest.next_if_eq(&'=').is_none() {
            if rest.peek().is_none() {
                return params;
            }
            continue;
        }
        while rest.next_if(|c| *c == ' ').is_some() {}
        let mut value = String::new();
        if rest.next_if_eq(&'"').is_some() {
            while let Some(c) = rest.next() {
                match c {
                    '\\' => value.extend(rest.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| {
                rest.next_if(|c| *c != ',' && !c.is_whitespace())
            }));
        }
        if !name.is_empty() {
            params.entry(name).or_insert(value);
        }
    }
}
