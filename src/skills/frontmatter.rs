//! The YAML frontmatter of a `SKILL.md`, read as the small subset our own skills are written
//! in: `key: value` lines of plain scalars, and one level of nested `key:` maps (the Agent
//! Skills `metadata`). Anything else — quotes, lists, block scalars, flow collections,
//! comments — is refused rather than guessed at, so what we publish as a skill's frontmatter
//! (`skills/list`, SEP-2640: "identical in content") is exactly what a YAML parser reads.
//! A user's own `SKILL.md` that uses more of YAML simply does not parse here, which is how
//! `uninstall --skills` knows it is not ours.

use serde_json::{Map, Value};

/// The frontmatter of `text` as a JSON object, and the body after it.
pub fn parse(text: &str) -> Result<(Map<String, Value>, &str), String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("SKILL.md does not start with a `---` line")?;
    let end = rest
        .find("\n---\n")
        .ok_or("the frontmatter has no closing `---` line")?;
    let (block, body) = (&rest[..end], &rest[end + "\n---\n".len()..]);
    let mut fields = Map::new();
    // The map a `key:` line opened, filled by the indented lines under it.
    let mut nested: Option<(String, Map<String, Value>)> = None;
    for line in block.lines() {
        if let Some(inner) = line.strip_prefix("  ") {
            let Some((_, map)) = nested.as_mut() else {
                return Err(format!("indented line outside a map: {line:?}"));
            };
            let (key, value) = pair(inner)?;
            let value = value.ok_or_else(|| format!("nested map under {key:?} is too deep"))?;
            map.insert(key, Value::String(value));
            continue;
        }
        if let Some((key, map)) = nested.take() {
            fields.insert(key, Value::Object(map));
        }
        match pair(line)? {
            (key, Some(value)) => {
                fields.insert(key, Value::String(value));
            }
            (key, None) => nested = Some((key, Map::new())),
        }
    }
    if let Some((key, map)) = nested {
        fields.insert(key, Value::Object(map));
    }
    for required in ["name", "description"] {
        if !fields.get(required).is_some_and(Value::is_string) {
            return Err(format!("the frontmatter has no `{required}`"));
        }
    }
    Ok((fields, body))
}

/// One `key: value` line (value `None` for a `key:` that opens a map).
fn pair(line: &str) -> Result<(String, Option<String>), String> {
    let (key, value) = line
        .split_once(':')
        .ok_or_else(|| format!("not a `key: value` line: {line:?}"))?;
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("unsupported key {key:?}"));
    }
    if value.is_empty() {
        return Ok((key.to_string(), None));
    }
    let value = value
        .strip_prefix(' ')
        .ok_or_else(|| format!("no space after `{key}:`"))?;
    plain(value).map(|v| (key.to_string(), Some(v.to_string())))
}

/// A YAML plain scalar that reads as the string it spells: no indicator at its start, no
/// `: ` or ` #` inside (a mapping or a comment), nothing YAML would read as another type.
fn plain(value: &str) -> Result<&str, String> {
    let refused = || {
        Err(format!(
            "not a plain string YAML reads as written: {value:?}"
        ))
    };
    let Some(first) = value.chars().next() else {
        return refused();
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || value.contains(": ")
        || value.contains(" #")
        || value.ends_with(':')
        || value.trim() != value
        || value.chars().any(char::is_control)
    {
        return refused();
    }
    // Values YAML 1.1/1.2 readers turn into booleans, null or numbers.
    let lower = value.to_ascii_lowercase();
    if ["true", "false", "yes", "no", "on", "off", "null", "~"].contains(&lower.as_str())
        || value.parse::<f64>().is_ok()
    {
        return refused();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_plain_fields_and_one_nested_map() {
        let text = "---\nname: a-skill\ndescription: Does things, (well) with `code`.\nmetadata:\n  author: analytics-mcp\n---\n# Body\n";
        let (fields, body) = parse(text).unwrap();
        assert_eq!(
            Value::Object(fields),
            json!({"name": "a-skill", "description": "Does things, (well) with `code`.",
                   "metadata": {"author": "analytics-mcp"}})
        );
        assert_eq!(body, "# Body\n");
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for bad in [
            "no frontmatter",
            "---\nname: a\n",
            "---\ndescription: x\n---\n",
            "---\nname: a\ndescription: \"quoted\"\n---\n",
            "---\nname: a\ndescription: a: b\n---\n",
            "---\nname: a\ndescription: x # comment\n---\n",
            "---\nname: a\ndescription: |\n  block\n---\n",
            "---\nname: a\ndescription: [x]\n---\n",
            "---\nname: a\ndescription: yes\n---\n",
            "---\nname: a\ndescription: 12\n---\n",
            "---\nname: a\ndescription: x\ntags:\n  - one\n---\n",
            "---\nname: a\n  indented: x\ndescription: x\n---\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
