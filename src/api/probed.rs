//! What is known about which Read API paths answer (issue 24): the probe's [`Record`], one
//! small JSON file per API origin in the data directory (with the binary's version and the
//! date), and [`Routes`], what this process knows — the record, plus what a live call found.
//! A path found missing is asked once per process, then never again: its tool is answered
//! through Himetrica's hosted MCP server. Imports the leaves `atomic`, `env_vars` and `text`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::env_vars;

/// What one endpoint did when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 200 with fields the tool reads.
    Answers,
    /// 404: the path is not where we expect it.
    NotFound,
    /// 200, but none of the fields the tool reads.
    Unrecognized,
    /// Anything else (refused, rate-limited, down): says nothing about the path.
    Failed,
    /// Not asked (the probe stopped early, or the tool is served by the hosted server
    /// without asking).
    NotProbed,
}

impl Outcome {
    /// True when the tool must be answered by another source than its path.
    pub fn is_missing(self) -> bool {
        matches!(self, Self::NotFound | Self::Unrecognized)
    }

    /// The phrase `doctor --endpoints` shows.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Answers => "answers",
            Self::NotFound => "404",
            Self::Unrecognized => "unexpected shape",
            Self::Failed => "failed",
            Self::NotProbed => "not probed",
        }
    }
}

/// One tool's probe result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The path template asked (a result holds only while the path is the same).
    pub path: String,
    pub outcome: Outcome,
    /// A short, cleaned reason for [`Outcome::Failed`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The probe's findings for one API origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The version of the binary that probed.
    pub version: String,
    /// When (RFC 3339, UTC).
    pub probed_at: String,
    pub origin: String,
    /// Tool name → what its path did.
    pub tools: BTreeMap<String, Entry>,
    /// The tools Himetrica's hosted MCP server lists (empty when it was not asked or absent).
    #[serde(default)]
    pub hosted_tools: Vec<String>,
}

/// The data directory: `ANALYTICS_MCP_DATA_DIR`, else the OS's (e.g.
/// `~/.local/share/analytics-mcp`).
pub fn data_dir() -> Option<PathBuf> {
    match env_vars::var(env_vars::DATA_DIR) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => directories::ProjectDirs::from("", "", "analytics-mcp")
            .map(|d| d.data_dir().to_path_buf()),
    }
}

/// The file a record for `origin` lives in: `probe-<origin as a file name>.json` in `dir`.
pub fn file_in(dir: &Path, origin: &str) -> PathBuf {
    let name: String = origin
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    dir.join(format!("probe-{name}.json"))
}

impl Record {
    /// The record for `origin` in the data directory, when one was written and is readable.
    pub fn load(origin: &str) -> Option<Self> {
        Self::load_from(&data_dir()?, origin)
    }

    /// The record for `origin` in `dir`.
    pub fn load_from(dir: &Path, origin: &str) -> Option<Self> {
        let text = crate::atomic::read_own(&file_in(dir, origin), dir).ok()??;
        let record: Self = serde_json::from_str(&text).ok()?;
        (record.origin == origin).then_some(record)
    }

    /// Writes the record atomically in the data directory; the path written, or why not.
    pub fn save(&self) -> std::io::Result<PathBuf> {
        let dir = data_dir().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no data directory")
        })?;
        self.save_in(&dir)
    }

    /// Writes the record atomically in `dir`.
    pub fn save_in(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = file_in(dir, &self.origin);
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::atomic::write(&path, &bytes, crate::atomic::Access::Private)?;
        Ok(path)
    }

    /// What the probe found for `tool` at `path` (a result for another path does not count).
    pub fn outcome(&self, tool: &str, path: &str) -> Option<Outcome> {
        self.tools
            .get(tool)
            .filter(|e| e.path == path)
            .map(|e| e.outcome)
    }

    /// The date part of [`Record::probed_at`].
    pub fn date(&self) -> &str {
        self.probed_at.get(..10).unwrap_or(&self.probed_at)
    }
}

/// What this process knows about which paths answer: the probe's record for its origin (read
/// on first use) and what live calls found since.
#[derive(Debug)]
pub struct Routes {
    origin: String,
    record: std::sync::OnceLock<Option<Record>>,
    learned: Mutex<BTreeMap<String, (String, Outcome)>>,
}

impl Routes {
    pub fn new(origin: String) -> Self {
        Self {
            origin,
            record: std::sync::OnceLock::new(),
            learned: Mutex::new(BTreeMap::new()),
        }
    }

    /// Routes that start from `record` (a test, or a probe just run).
    pub fn with_record(origin: String, record: Option<Record>) -> Self {
        let routes = Self::new(origin);
        let _ = routes.record.set(record);
        routes
    }

    /// The probe's record for this origin, read once.
    pub fn record(&self) -> Option<&Record> {
        self.record
            .get_or_init(|| Record::load(&self.origin))
            .as_ref()
    }

    /// What a live call of this process found `tool`'s path `path` does, if one has.
    fn learned(&self, tool: &str, path: &str) -> Option<Outcome> {
        self.learned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tool)
            .filter(|(p, _)| p == path)
            .map(|(_, o)| *o)
    }

    /// What the probe recorded `tool`'s path `path` does.
    fn probed(&self, tool: &str, path: &str) -> Option<Outcome> {
        self.record().and_then(|r| r.outcome(tool, path))
    }

    /// True when `tool`'s path `path` is known not to answer: found by a live call of this
    /// process, else by the probe.
    pub fn missing(&self, tool: &str, path: &str) -> bool {
        self.learned(tool, path)
            .or_else(|| self.probed(tool, path))
            .is_some_and(Outcome::is_missing)
    }

    /// True when a live call of this process has found what `tool`'s `path` does, or the probe
    /// found it missing: its next call need not wait for another one's finding.
    pub fn settled(&self, tool: &str, path: &str) -> bool {
        self.learned(tool, path).is_some()
            || self.probed(tool, path).is_some_and(Outcome::is_missing)
    }

    /// Remembers what a live call to `tool`'s `path` found, for the rest of the process.
    pub fn learn(&self, tool: &str, path: &str, outcome: Outcome) {
        self.learned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tool.to_string(), (path.to_string(), outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(origin: &str) -> Record {
        let mut tools = BTreeMap::new();
        for (tool, outcome) in [
            ("get_top_pages", Outcome::NotFound),
            ("get_analytics", Outcome::Answers),
        ] {
            tools.insert(
                tool.to_string(),
                Entry {
                    path: format!("/p/{tool}"),
                    outcome,
                    detail: None,
                },
            );
        }
        Record {
            version: "0.1.0".into(),
            probed_at: "2026-11-21T10:00:00Z".into(),
            origin: origin.into(),
            tools,
            hosted_tools: vec!["get_top_pages".into()],
        }
    }

    #[test]
    fn a_record_is_kept_per_origin_and_holds_for_its_path_only() {
        let dir = tempfile::tempdir().unwrap();
        let origin = "http://127.0.0.1:4321";
        let written = record(origin).save_in(dir.path()).unwrap();
        assert!(written.starts_with(dir.path()));
        assert_eq!(Record::load_from(dir.path(), origin), Some(record(origin)));
        assert_eq!(Record::load_from(dir.path(), "http://127.0.0.1:9"), None);
        let routes = Routes::with_record(origin.into(), Some(record(origin)));
        assert!(routes.missing("get_top_pages", "/p/get_top_pages"));
        assert!(!routes.missing("get_top_pages", "/pinned/elsewhere"));
        assert!(!routes.missing("get_analytics", "/p/get_analytics"));
        routes.learn("get_analytics", "/p/get_analytics", Outcome::Unrecognized);
        assert!(routes.missing("get_analytics", "/p/get_analytics"));
        assert_eq!(record(origin).date(), "2026-11-21");
    }
}
