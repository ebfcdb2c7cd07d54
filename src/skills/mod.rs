//! The skills analytics-mcp ships (issue 26): four workflows in the Agent Skills format — a
//! weekly report, diagnosing a traffic drop, a revenue review, channel ROI — that tell a
//! model which of our tools to call, with which arguments, and how to report. The `SKILL.md`
//! files live under `skills/` at the repository root and are compiled into the binary.
//!
//! The same bytes are served over MCP (the skills extension, SEP-2640: `mcp/skills.rs`) and
//! written where Claude Code and Codex load skills from disk ([`disk`]). Ours are told apart
//! from a user's own by their name (`analytics-mcp-…`, which is also their folder's) and by
//! `metadata.author: analytics-mcp` in their frontmatter. A leaf for `mcp` and `commands`: it
//! uses only `atomic` and `install` (for the client names).

pub mod disk;
mod frontmatter;

use serde_json::{Map, Value};

/// Every skill's name starts with this, and so does its folder on disk.
pub const PREFIX: &str = "analytics-mcp-";
/// The frontmatter `metadata` entry that marks a skill as ours.
const AUTHOR: (&str, &str) = ("author", "analytics-mcp");

/// One shipped skill: its name (its folder's name too) and its `SKILL.md`.
#[derive(Debug)]
pub struct Skill {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! skill {
    ($name:literal) => {
        Skill {
            name: $name,
            text: include_str!(concat!("../../skills/", $name, "/SKILL.md")),
        }
    };
}

/// The skills, in the order they are listed.
pub const ALL: &[Skill] = &[
    skill!("analytics-mcp-weekly-report"),
    skill!("analytics-mcp-traffic-drop"),
    skill!("analytics-mcp-revenue-review"),
    skill!("analytics-mcp-channel-roi"),
];

impl Skill {
    /// The URI of its `SKILL.md` over MCP: `skill://NAME/SKILL.md`.
    pub fn uri(&self) -> String {
        format!("skill://{}/SKILL.md", self.name)
    }

    /// Its frontmatter as a JSON object (checked for every skill by the tests below).
    pub fn frontmatter(&self) -> Map<String, Value> {
        frontmatter::parse(self.text)
            .map(|(fields, _)| fields)
            .unwrap_or_default()
    }

    /// The frontmatter's `description`.
    pub fn description(&self) -> String {
        self.frontmatter()
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }
}

/// The skill whose `SKILL.md` is at `uri`.
pub fn by_uri(uri: &str) -> Option<&'static Skill> {
    ALL.iter().find(|s| s.uri() == uri)
}

/// True when `text` is a `SKILL.md` we wrote: its frontmatter names an `analytics-mcp-…`
/// skill and carries our `metadata.author`, whatever version of the skill it is.
pub fn is_ours(text: &str) -> bool {
    let Ok((fields, _)) = frontmatter::parse(text) else {
        return false;
    };
    let named = fields
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.starts_with(PREFIX));
    let marked = fields
        .get("metadata")
        .and_then(|m| m.get(AUTHOR.0))
        .is_some_and(|a| a == AUTHOR.1);
    named && marked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each skill follows the Agent Skills rules the clients check: a name of 1-64 lowercase
    /// letters, digits and single hyphens equal to its folder, a description of 1-1024
    /// characters, and a body; and it is marked as ours.
    #[test]
    fn every_skill_is_a_valid_agent_skill_and_ours() {
        assert_eq!(ALL.len(), 4);
        for skill in ALL {
            let (fields, body) =
                frontmatter::parse(skill.text).unwrap_or_else(|e| panic!("{}: {e}", skill.name));
            assert_eq!(fields["name"], skill.name);
            let name = skill.name;
            assert!(name.len() <= 64 && name.starts_with(PREFIX));
            assert!(name.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            }));
            let description = skill.description();
            assert!((1..=1024).contains(&description.chars().count()), "{name}");
            assert!(body.trim_start().starts_with("# "), "{name}");
            assert!(is_ours(skill.text), "{name}");
            assert_eq!(by_uri(&skill.uri()).map(|s| s.name), Some(name));
        }
    }

    /// The tools a skill names exist, so a renamed tool cannot leave a skill behind.
    #[test]
    fn every_tool_a_skill_names_exists() {
        for skill in ALL {
            let named: Vec<&str> = skill
                .text
                .split('`')
                .filter(|w| w.starts_with("get_") || w.starts_with("explain_"))
                .collect();
            assert!(!named.is_empty(), "{}", skill.name);
            for tool in named {
                assert!(crate::tools::find(tool).is_some(), "{}: {tool}", skill.name);
            }
        }
    }

    #[test]
    fn a_users_skill_is_not_ours() {
        assert!(!is_ours(
            "---\nname: analytics-mcp-mine\ndescription: Mine.\n---\n# Mine\n"
        ));
        assert!(!is_ours(
            "---\nname: weekly\ndescription: Mine.\nmetadata:\n  author: analytics-mcp\n---\n"
        ));
        assert!(!is_ours("# no frontmatter"));
    }
}
