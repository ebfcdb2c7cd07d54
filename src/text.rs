//! Text from elsewhere made safe to show: invisible characters removed, whitespace collapsed,
//! markup stripped from error pages, length capped, and escaped for HTML, SVG or JSON on a
//! terminal. A leaf: it imports nothing of the crate, and every module may use it.
//!
//! One rule ([`is_hidden`]) decides what never reaches a model, a terminal or a file we
//! write: control characters (C0, DEL, C1), bidirectional embeddings, overrides, isolates and
//! marks, tag characters, zero-width and other default-ignorable characters, interlinear
//! annotation controls and non-characters. Such characters change what a person sees (a
//! right-to-left override turns `gnp.exe` into `exe.png`) or carry text nobody sees (tag
//! characters spell instructions a model reads but a person does not) — issue 22.

use std::borrow::Cow;

use serde_json::Value;

/// True for a character that never reaches a model, a terminal or a file we write.
pub fn is_hidden(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        // Non-characters: U+FDD0..U+FDEF and the last two code points of every plane.
        || (0xFDD0..=0xFDEF).contains(&u)
        || u & 0xFFFE == 0xFFFE
        || matches!(
            u,
            // Default_Ignorable_Code_Point (Unicode 16, DerivedCoreProperties.txt).
            0x00AD
                | 0x034F
                | 0x061C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFF8
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                // Tag characters, variation selectors supplement and the rest of plane 14.
                | 0xE0000..=0xE0FFF
                // Other format characters that hide or rearrange text: Arabic and Syriac
                // marks that prefix numbers, interlinear annotation.
                | 0x0600..=0x0605
                | 0x06DD
                | 0x070F
                | 0x0890..=0x0891
                | 0x08E2
                | 0x110BD
                | 0x110CD
                | 0xFFF9..=0xFFFB
                // Line and paragraph separators: terminals and models read them as breaks.
                | 0x2028..=0x2029
        )
}

/// True when `text` is printable ASCII only, so nothing in it is hidden: every hidden
/// character is a control or lies past ASCII. Most of an answer's strings are, and this
/// byte test is much quicker than [`is_hidden`] on each character.
fn printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// True for a character that breaks lines or aligns columns (kept in multi-line text).
fn is_layout(c: char) -> bool {
    matches!(c, '\n' | '\t')
}

/// Multi-line text (a hosted server's answer, what we print on a terminal) without hidden
/// characters; line breaks and tabs stay.
pub fn strip(text: &str) -> Cow<'_, str> {
    if printable_ascii(text) || !text.chars().any(|c| is_hidden(c) && !is_layout(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    each_visible(text, |c| {
        if !is_hidden(c) || is_layout(c) {
            out.push(c);
        }
    });
    Cow::Owned(out)
}

/// One line of text (an upstream name, path or message) without hidden characters: breaks,
/// tabs and separators become spaces, so a value cannot start a line of its own.
pub fn line(text: &str) -> Cow<'_, str> {
    if printable_ascii(text) || !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    each_visible(text, |c| {
        if matches!(c, '\n' | '\t' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            out.push(' ');
        } else if !is_hidden(c) {
            out.push(c);
        }
    });
    Cow::Owned(out)
}

/// Calls `keep` with each character of `text` that is not part of a terminal escape sequence
/// (ESC or C1 CSI/OSC with its parameters: `\x1b[31m` goes whole, not leaving `[31m`).
fn each_visible(text: &str, mut keep: impl FnMut(char)) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let csi = match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    true
                }
                Some(']') => {
                    chars.next();
                    false
                }
                // A two-character escape (`ESC c`, `ESC 7`, …).
                Some(&n) if ('\u{20}'..='\u{7e}').contains(&n) => {
                    chars.next();
                    continue;
                }
                _ => continue,
            },
            '\u{9b}' => true,
            '\u{9d}' => false,
            c => {
                keep(c);
                continue;
            }
        };
        if csi {
            // Parameters and intermediates (0x20–0x3F), then one final byte (0x40–0x7E).
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{3f}').contains(&n) {
                    break;
                }
            }
        } else {
            // An operating-system command runs to BEL, ST or ESC \\.
            while let Some(n) = chars.next() {
                if matches!(n, '\u{7}' | '\u{9c}') {
                    break;
                }
                if n == '\u{1b}' {
                    chars.next_if_eq(&'\\');
                    break;
                }
            }
        }
    }
}

/// Every string of an upstream JSON value (object keys too) made one clean [`line`], in
/// place: done once, where an answer enters the process, so every view of it is clean.
pub fn clean_value(value: &mut Value) {
    clean_strings(value, line);
}

/// Every string of a JSON value (object keys too) [`strip`]ped, in place, keeping line
/// breaks: for messages whose text is meant to have several lines (a hosted server's).
pub fn clean_text_value(value: &mut Value) {
    clean_strings(value, strip);
}

/// A message (a tool result, a tool list) with every string [`strip`]ped, through its JSON
/// form: what a hosted server sends, and what we answer a model, pass here on the way out.
/// Unchanged when it was clean already, or cannot be read back.
pub fn cleaned<T: serde::Serialize + serde::de::DeserializeOwned>(message: T) -> T {
    let Ok(mut value) = serde_json::to_value(&message) else {
        return message;
    };
    if !clean_strings(&mut value, strip) {
        return message;
    }
    serde_json::from_value(value).unwrap_or(message)
}

/// Applies `clean` to every string and key; true when anything changed.
fn clean_strings(value: &mut Value, clean: for<'a> fn(&'a str) -> Cow<'a, str>) -> bool {
    match value {
        Value::String(s) => match clean(s) {
            Cow::Owned(clean) => {
                *s = clean;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| clean_strings(v, clean) | changed),
        Value::Object(map) => {
            let keys = map.keys().any(|k| matches!(clean(k), Cow::Owned(_)));
            if keys {
                let old = std::mem::take(map);
                for (k, v) in old {
                    map.insert(clean(&k).into_owned(), v);
                }
            }
            map.values_mut()
                .fold(keys, |changed, v| clean_strings(v, clean) | changed)
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The largest magnitude an upstream number may have: 2^53, beyond which integers are no
/// longer exact, and far beyond any count, duration or amount of money. Sums of up to a
/// million such numbers stay finite, so no answer ever reads `inf`.
pub const MAX_MAGNITUDE: f64 = 9_007_199_254_740_992.0;

/// The JSON path of the first number in `value` that is out of range (see
/// [`MAX_MAGNITUDE`]), e.g. `rows[3].visitors`.
pub fn out_of_range_number(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| !f.is_finite() || f.abs() > MAX_MAGNITUDE)
            .map(|_| String::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| out_of_range_number(v).map(|p| format!("[{i}]{}", dotted(&p)))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            out_of_range_number(v).map(|p| format!("{}{}", clean(k, 40), dotted(&p)))
        }),
        _ => None,
    }
}

fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_string()
    } else {
        format!(".{rest}")
    }
}

/// JSON text for a terminal: every hidden character inside a string escaped as `\uXXXX`
/// (JSON itself escapes only C0 controls, so C1, bidi and tag characters would reach the
/// terminal raw). The result parses to the same value.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_hidden(c) && c != '\n') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_hidden(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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

/// Collapses whitespace, drops hidden characters ([`is_hidden`]) and caps the length, in
/// characters (with `…`).
pub fn clean(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for word in line(text).split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > max_chars {
        let cut: String = out.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        out
    }
}

/// `s` as HTML or XML text or a quoted attribute value: `&`, `<`, `>`, `"` and `'` escaped,
/// and hidden characters dropped — which include every code point XML 1.0 forbids (C0
/// controls but tab and line feed are Cc; U+FFFE and U+FFFF are non-characters), so the
/// document always parses.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if is_hidden(c) => {}
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
    fn the_ascii_shortcut_agrees_with_the_rule() {
        for b in 0u8..=0x7f {
            let c = char::from(b);
            assert_eq!(
                printable_ascii(c.encode_utf8(&mut [0; 4])),
                !is_hidden(c),
                "{b:#x}"
            );
        }
        assert!(printable_ascii("/blog/post-1?a=b"));
        assert!(!printable_ascii("caf\u{e9}") && !printable_ascii("a\u{200b}b"));
        assert_eq!(line("a\tb"), "a b");
        assert_eq!(strip("a\tb\u{7}"), "a\tb");
    }

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

    /// The attacks of issue 22, by name.
    const HOSTILE: &[&str] = &[
        "/e\u{202e}gnp.exe\u{202c}",
        "/f\u{2066}iso\u{2069}",
        "/h\u{e0049}\u{e0047}\u{e004e}\u{e004f}\u{e0052}\u{e0045}",
        "a\u{200b}b\u{200d}c\u{200f}d\u{2060}e\u{feff}f\u{ad}g\u{61c}h",
        "x\u{9b}31my\u{85}z\u{1b}[2J",
        "n\u{fffe}o\u{ffff}p\u{fdd0}q\u{10ffff}",
    ];

    #[test]
    fn hidden_characters_are_removed_and_visible_text_kept() {
        let cleaned: Vec<String> = HOSTILE.iter().map(|s| line(s).into_owned()).collect();
        assert_eq!(
            cleaned,
            ["/egnp.exe", "/fiso", "/h", "abcdefgh", "xy z", "nopq"]
        );
        assert_eq!(strip("a\n\tb\r\u{202e}c"), "a\n\tbc");
        assert_eq!(
            line("\u{1b}]0;pwned\u{7}Free \u{1b}[31mmoney\u{1b}[0m \u{1b}]8;;x\u{1b}\\link"),
            "Free money link"
        );
        assert!(matches!(line("Ünïcödé 日本語 🎉"), Cow::Borrowed(_)));
        assert_eq!(
            clean("日本語".repeat(100).as_str(), 200).chars().count(),
            200
        );
    }

    #[test]
    fn values_are_cleaned_keys_included_and_huge_numbers_found() {
        let mut v =
            serde_json::json!({"na\u{202e}me": ["/e\u{202e}x", {"k": "\u{e0041}"}], "n": 1});
        clean_value(&mut v);
        assert_eq!(v, serde_json::json!({"name": ["/ex", {"k": ""}], "n": 1}));
        let v = serde_json::json!({"rows": [{"visitors": 1}, {"visitors": 1e308}]});
        assert_eq!(out_of_range_number(&v).as_deref(), Some("rows[1].visitors"));
        assert_eq!(out_of_range_number(&serde_json::json!({"a": 9e15})), None);
    }

    #[test]
    fn json_for_a_terminal_escapes_what_json_leaves_raw() {
        let json =
            serde_json::to_string(&serde_json::json!({"p": "a\u{9b}b\u{202e}c\u{e0041}"})).unwrap();
        let shown = json_for_terminal(&json);
        assert_eq!(shown, r#"{"p":"a\u009bb\u202ec\udb40\udc41"}"#);
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(&json).unwrap()
        );
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn no_hidden(s: &str, keep: &[char]) -> bool {
            s.chars().all(|c| !is_hidden(c) || keep.contains(&c))
        }

        /// Arbitrary Unicode with the hostile classes over-represented.
        fn hostile_text() -> impl Strategy<Value = String> {
            let pick = prop_oneof![
                any::<char>(),
                proptest::sample::select(vec![
                    '\u{202e}',
                    '\u{2066}',
                    '\u{200b}',
                    '\u{200d}',
                    '\u{feff}',
                    '\u{9b}',
                    '\u{1b}',
                    '\u{e0049}',
                    '\u{fffe}',
                    '\u{ad}',
                    '\u{2028}',
                    '\n',
                    '\t',
                    'a',
                ]),
            ];
            proptest::collection::vec(pick, 0..64).prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            /// Every way text leaves the process: a line (structured content, names),
            /// multi-line text (answers, the terminal), cleaned messages (errors),
            /// error-body excerpts, SVG/HTML text and JSON on a terminal.
            #[test]
            fn no_output_path_lets_a_hidden_character_through(s in hostile_text()) {
                prop_assert!(no_hidden(&line(&s), &[]));
                prop_assert!(no_hidden(&strip(&s), &['\n', '\t']));
                prop_assert!(no_hidden(&clean(&s, 200), &[]));
                prop_assert!(no_hidden(&excerpt(s.as_bytes()), &[]));
                prop_assert!(no_hidden(&escape(&s), &[]));
                let mut value = serde_json::json!({ s.clone(): [s.clone(), {"k": s.clone()}] });
                clean_value(&mut value);
                let json = serde_json::to_string_pretty(&value).unwrap();
                prop_assert!(no_hidden(&json, &['\n']));
                // A hosted server's result (and ours, at the MCP egress), through `cleaned`.
                let mut result = rmcp::model::CallToolResult::success(vec![
                    rmcp::model::ContentBlock::text(s.clone()),
                ]);
                result.structured_content = Some(serde_json::json!({ s.clone(): [s.clone()] }));
                let sent = serde_json::to_string(&cleaned(result)).unwrap();
                prop_assert!(no_hidden(&sent, &[]), "{:?}", sent);
                let raw = serde_json::to_string_pretty(&serde_json::json!({ "v": s })).unwrap();
                let shown = json_for_terminal(&raw);
                prop_assert!(no_hidden(&shown, &['\n']));
                prop_assert_eq!(
                    serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
                    serde_json::from_str::<serde_json::Value>(&raw).unwrap()
                );
            }
        }
    }
}
