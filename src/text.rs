//! Text from elsewhere made safe to show: whitespace collapsed, control characters dropped,
//! markup stripped from error pages, length capped, and escaped for HTML or SVG markup. A leaf: it imports nothing of the crate,
//! and every module may use it.

/// A short, single-line excerpt of an error body: a JSON `error`/`message` field when there
/// is one, else the text with markup and control characters removed, at most 200 chars.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        for key in ["error", "message", "detail", "error_description"] {
            match json.get(key) {
                Some(serde_json::Value::String(s)) => return clean(s, 200),
                Some(serde_json::Value::Object(o)) => {
                    if let Some(serde_json::Value::String(s)) = o.get("message") {
                        return clean(s, 200);
                    }
                }
                _ => {}
            }
        }
    }
    clean(&strip_tags(&text), 200)
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Collapses whitespace, drops control characters and caps the length (with `…`).
pub fn clean(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    if out.chars().count() > max_chars {
        let cut: String = out.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        out
    }
}

/// `s` as HTML or XML text or a quoted attribute value: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_prefers_json_error_field_and_strips_html() {
        assert_eq!(
            excerpt(br#"{"error":"Invalid API key"}"#),
            "Invalid API key"
        );
        assert_eq!(
            excerpt(b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>"),
            "502 Bad Gateway nginx"
        );
        assert_eq!(excerpt("a\u{7}b\n\n  c".as_bytes()), "ab c");
        assert_eq!(excerpt(&[b'x'; 500]).chars().count(), 200);
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
