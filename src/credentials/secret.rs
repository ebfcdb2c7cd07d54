//! `Secret<T>`: a value that never prints itself.
//!
//! `Debug` shows `Secret(…)`, there is no `Display`, and the value comes out only through
//! [`Secret::expose`], called at the one place that needs it (an HTTP header, a store write).

use std::fmt;

/// A secret value with a redacted `Debug` and no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The raw value. Call only where the value must leave the process or reach a store.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret<String> {
    /// A form safe to show a person: the `hm_sk_` prefix (when present) and the last four
    /// characters, e.g. `hm_sk_…a1b2`. Short values show nothing of themselves.
    pub fn masked(&self) -> String {
        let value = self.0.as_str();
        let prefix = if value.starts_with(crate::credentials::KEY_PREFIX) {
            crate::credentials::KEY_PREFIX
        } else {
            ""
        };
        let chars: Vec<char> = value.chars().collect();
        if chars.len() < prefix.len() + 12 {
            return format!("{prefix}…");
        }
        // A key is printable ASCII; anything else in its tail (an escape sequence planted in
        // the file or the environment) is shown as `?`, never sent to the terminal.
        let tail: String = chars[chars.len() - 4..]
            .iter()
            .map(|&c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        format!("{prefix}…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hm_sk_supersecretvalue1234".to_string());
        assert_eq!(format!("{s:?}"), "Secret(…)");
        assert_eq!(s.masked(), "hm_sk_…1234");
        let planted = Secret::new("hm_sk_supersecretvalue\u{1b}\u{1b}[2J\u{202e}".to_string());
        assert_eq!(planted.masked(), "hm_sk_…[2J?");
    }

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(Secret::new("hm_sk_abc".to_string()).masked(), "hm_sk_…");
        assert_eq!(Secret::new("abcd".to_string()).masked(), "…");
    }
}
