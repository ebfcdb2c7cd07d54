//! The endpoint table: which Read API path each tool calls.
//!
//! Only `/me`, `/analytics`, `/analytics/realtime` and `/locations` are confirmed by
//! Himetrica's docs or public client code; the rest are our best inference (README: Configuration). That
//! is why every path can be overridden per tool in `config.toml` (`[endpoints]`), without a
//! new release. Paths are templates relative to the base URL; `{project}` stands for the
//! project id.

use std::collections::BTreeMap;

/// `(tool name, default path template)`, one row per tool.
pub const DEFAULT_PATHS: &[(&str, &str)] = &[
    ("get_project", "/me"),
    ("get_analytics", "/projects/{project}/analytics"),
    ("get_timeseries", "/projects/{project}/analytics/timeseries"),
    ("get_realtime", "/projects/{project}/analytics/realtime"),
    ("get_top_pages", "/projects/{project}/pages"),
    ("get_traffic_sources", "/projects/{project}/sources"),
    ("get_top_locations", "/projects/{project}/locations"),
    ("get_events", "/projects/{project}/events"),
    ("get_revenue", "/projects/{project}/revenue"),
    (
        "get_revenue_timeseries",
        "/projects/{project}/revenue/timeseries",
    ),
    ("get_top_customers", "/projects/{project}/revenue/customers"),
    ("get_channel_roi", "/projects/{project}/channel-roi"),
];

/// The placeholder for the project id in a path template.
pub const PROJECT_PLACEHOLDER: &str = "{project}";

/// The resolved table: defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Endpoints {
    paths: BTreeMap<String, String>,
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
                .map(|(tool, path)| (tool.to_string(), path.to_string()))
                .collect(),
        }
    }
}

impl Endpoints {
    /// The defaults with `overrides` (tool name → path template) applied.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, EndpointError> {
        let mut endpoints = Self::default();
        for (tool, path) in overrides {
            if !endpoints.paths.contains_key(tool) {
                let known: Vec<&str> = DEFAULT_PATHS.iter().map(|(t, _)| *t).collect();
                return Err(EndpointError::UnknownTool(tool.clone(), known.join(", ")));
            }
            if !stays_under_base(path) {
                return Err(EndpointError::BadPath {
                    tool: tool.clone(),
                    path: path.clone(),
                });
            }
            endpoints.paths.insert(tool.clone(), path.clone());
        }
        Ok(endpoints)
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
