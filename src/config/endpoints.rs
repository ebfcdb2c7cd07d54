//! The endpoint table: which Read API path each tool calls, and how sure we are of it.
//!
//! Only `/me` and `/analytics` are documented by Himetrica; `/analytics/realtime` and
//! `/locations` are corroborated by public client code; the other eight are our inference
//! ([`Certainty`], docs/configuration.md). That is why every path can be overridden per tool
//! in `config.toml` (`[endpoints]`), without a new release, and why a path that answers 404
//! is served by Himetrica's hosted MCP tool of the same name (issue 24) unless pinned there. Paths are templates relative to the base URL; `{project}` stands for the
//! project id.

use std::collections::BTreeMap;

/// How sure we are that a default path is the one Himetrica serves (issue 24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// In Himetrica's public Read API docs.
    Documented,
    /// Seen in public client code, not in the docs.
    Corroborated,
    /// Our reading of the API; may be wrong, which is what the hosted fallback is for.
    Inferred,
    /// Pinned by the user under `[endpoints]` in `config.toml`: used as given, never replaced.
    Configured,
}

impl Certainty {
    /// The word `tools --json`, `doctor --endpoints` and the docs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Documented => "documented",
            Self::Corroborated => "corroborated",
            Self::Inferred => "inferred",
            Self::Configured => "configured",
        }
    }
}

/// `(tool name, default path template, how sure we are of it)`, one row per tool.
pub const DEFAULT_PATHS: &[(&str, &str, Certainty)] = &[
    ("get_project", "/me", Certainty::Documented),
    (
        "get_analytics",
        "/projects/{project}/analytics",
        Certainty::Documented,
    ),
    (
        "get_timeseries",
        "/projects/{project}/analytics/timeseries",
        Certainty::Inferred,
    ),
    (
        "get_realtime",
        "/projects/{project}/analytics/realtime",
        Certainty::Corroborated,
    ),
    (
        "get_top_pages",
        "/projects/{project}/pages",
        Certainty::Inferred,
    ),
    (
        "get_traffic_sources",
        "/projects/{project}/sources",
        Certainty::Inferred,
    ),
    (
        "get_top_locations",
        "/projects/{project}/locations",
        Certainty::Corroborated,
    ),
    (
        "get_events",
        "/projects/{project}/events",
        Certainty::Inferred,
    ),
    (
        "get_revenue",
        "/projects/{project}/revenue",
        Certainty::Inferred,
    ),
    (
        "get_revenue_timeseries",
        "/projects/{project}/revenue/timeseries",
        Certainty::Inferred,
    ),
    (
        "get_top_customers",
        "/projects/{project}/revenue/customers",
        Certainty::Inferred,
    ),
    (
        "get_channel_roi",
        "/projects/{project}/channel-roi",
        Certainty::Inferred,
    ),
];

/// The placeholder for the project id in a path template.
pub const PROJECT_PLACEHOLDER: &str = "{project}";

/// The resolved table: defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Endpoints {
    paths: BTreeMap<String, String>,
    /// The tools whose path the user set under `[endpoints]`.
    pinned: Vec<String>,
}

/// Why an override in `config.toml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("`[endpoints]` names an unknown tool `{0}`; known tools: {1}")]
    UnknownTool(String, String),
    #[error(
        "`[endpoints] {tool} = \"{path}\"` is not a path: it must start with `/`, stay under the base URL (no `..`, `?`, `#` or `://`)"
    )]
    BadPath { tool: String, path: String },
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            paths: DEFAULT_PATHS
                .iter()
                .map(|(tool, path, _)| (tool.to_string(), path.to_string()))
                .collect(),
            pinned: Vec::new(),
        }
    }
}

impl Endpoints {
    /// The defaults with `overrides` (tool name → path template) applied.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, EndpointError> {
        let mut endpoints = Self::default();
        for (tool, path) in overrides {
            if !endpoints.paths.contains_key(tool) {
                let known: Vec<&str> = DEFAULT_PATHS.iter().map(|(t, ..)| *t).collect();
                return Err(EndpointError::UnknownTool(tool.clone(), known.join(", ")));
            }
            if !stays_under_base(path) {
                return Err(EndpointError::BadPath {
                    tool: tool.clone(),
                    path: path.clone(),
                });
            }
            endpoints.paths.insert(tool.clone(), path.clone());
            endpoints.pinned.push(tool.clone());
        }
        Ok(endpoints)
    }

    /// How sure we are of `tool`'s path: [`Certainty::Configured`] when the user pinned it,
    /// else its default row's; `None` for a tool not in the table.
    pub fn certainty(&self, tool: &str) -> Option<Certainty> {
        if self.is_pinned(tool) {
            return Some(Certainty::Configured);
        }
        DEFAULT_PATHS
            .iter()
            .find(|(t, ..)| *t == tool)
            .map(|(.., c)| *c)
    }

    /// True when the user set `tool`'s path in `config.toml`: that path always wins, and no
    /// other source stands in for it.
    pub fn is_pinned(&self, tool: &str) -> bool {
        self.pinned.iter().any(|t| t == tool)
    }

    /// Every tool in the table with its path template, in the table's order.
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, &str)> {
        DEFAULT_PATHS
            .iter()
            .map(|(tool, ..)| (*tool, self.template(tool).unwrap_or_default()))
    }

    /// The path of `GET /me` (the `get_project` row, which a user may override).
    pub fn me(&self) -> &str {
        self.template("get_project").unwrap_or("/me")
    }

    /// The path template for `tool`, if the tool is in the table.
    pub fn template(&self, tool: &str) -> Option<&str> {
        self.paths.get(tool).map(String::as_str)
    }
}

/// True when `path` is a path under the base URL, however a server decodes it: it starts
/// with `/`, names no scheme, query or fragment, and no segment is `.` or `..` or holds a
/// `/` or `\\` once percent-decoded (`/%2e%2e/x` is `/../x` to most servers) — issue 22.
fn stays_under_base(path: &str) -> bool {
    if !path.starts_with('/')
        || path.contains("://")
        || path.contains(['?', '#', '\\'])
        || path.chars().any(char::is_control)
    {
        return false;
    }
    path.split('/').all(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded != "."
            && decoded != ".."
            && !decoded.contains(['/', '\\', '?', '#'])
            && !decoded.chars().any(char::is_control)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_one_path_and_keep_the_rest() {
        assert!(stays_under_base("/projects/{project}/top%20pages/v1.2"));
        let mut o = BTreeMap::new();
        o.insert(
            "get_top_pages".to_string(),
            "/projects/{project}/top-pages".to_string(),
        );
        let e = Endpoints::with_overrides(&o).unwrap();
        assert_eq!(
            e.template("get_top_pages"),
            Some("/projects/{project}/top-pages")
        );
        assert_eq!(
            e.template("get_revenue"),
            Some("/projects/{project}/revenue")
        );
    }

    #[test]
    fn certainty_follows_the_table_and_a_pinned_path_is_configured() {
        let by = |c| {
            DEFAULT_PATHS
                .iter()
                .filter(|(.., x)| *x == c)
                .map(|(t, ..)| *t)
                .collect::<Vec<_>>()
        };
        assert_eq!(by(Certainty::Documented), ["get_project", "get_analytics"]);
        assert_eq!(
            by(Certainty::Corroborated),
            ["get_realtime", "get_top_locations"]
        );
        assert_eq!(by(Certainty::Inferred).len(), 8);
        let mut o = BTreeMap::new();
        o.insert(
            "get_events".to_string(),
            "/projects/{project}/ev".to_string(),
        );
        let e = Endpoints::with_overrides(&o).unwrap();
        assert_eq!(e.certainty("get_events"), Some(Certainty::Configured));
        assert!(e.is_pinned("get_events") && !e.is_pinned("get_revenue"));
        assert_eq!(e.certainty("get_revenue"), Some(Certainty::Inferred));
        assert_eq!(e.certainty("explain_change"), None);
        assert_eq!(e.rows().count(), 12);
    }

    #[test]
    fn overrides_reject_unknown_tools_and_escaping_paths() {
        let mut o = BTreeMap::new();
        o.insert("get_pages".to_string(), "/x".to_string());
        assert!(matches!(
            Endpoints::with_overrides(&o),
            Err(EndpointError::UnknownTool(..))
        ));
        for bad in [
            "pages",
            "/../admin",
            "https://evil.example/x",
            "/x?y=1",
            "/%2e%2e/%2e%2e/escaped",
            "/.%2e/x",
            "/%2E%2E/x",
            "/./x",
            "/a%2f..%2fb",
            "/a%5c..",
            "/a%3fb",
        ] {
            let mut o = BTreeMap::new();
            o.insert("get_top_pages".to_string(), bad.to_string());
            assert!(
                matches!(
                    Endpoints::with_overrides(&o),
                    Err(EndpointError::BadPath { .. })
                ),
                "{bad} accepted"
            );
        }
    }
}
