//! Our skills over MCP: the skills extension (`io.modelcontextprotocol/skills`, SEP-2640).
//!
//! Offered only to a client that declares the extension in its capabilities (SEP-2133
//! negotiates an extension from both sides): `initialize` (and `server/discover`) then
//! declare it, `skills/list` and `skills/get` answer with each skill's entry (its `SKILL.md`
//! URI, its frontmatter as JSON, and the one file's SHA-256 digest and size), and
//! `resources/list` names each `skill://NAME/SKILL.md`. Every other client sees exactly what
//! it saw before, and `skills/*` are "method not found" for it. The `SKILL.md` resources are
//! readable by URI either way: a skill is addressable whether or not it is listed.

use rmcp::RoleServer;
use rmcp::model::{
    CacheScope, ClientCapabilities, ErrorCode, GetSkillResult, ListSkillsResult, Resource,
    ResourceContents, SKILLS_EXTENSION_ID, ServerCapabilities, Skill, SkillFrontmatter,
    SkillResource, SkillResources,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, model::JsonObject};

use crate::skills::{self, ALL};

/// The skills never change while the process runs; a day is the same hint as `tools/list`'s.
const TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// True when these client capabilities declare the extension.
pub fn declared_by(capabilities: &ClientCapabilities) -> bool {
    capabilities
        .extensions
        .as_ref()
        .is_some_and(|e| e.contains_key(SKILLS_EXTENSION_ID))
}

/// True when this request's client declared the extension.
pub fn declared(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .is_some_and(|caps| declared_by(&caps))
}

/// The server capabilities as a client that did not declare the extension sees them.
pub fn hidden(mut capabilities: ServerCapabilities) -> ServerCapabilities {
    if let Some(extensions) = capabilities.extensions.as_mut() {
        extensions.remove(SKILLS_EXTENSION_ID);
        if extensions.is_empty() {
            capabilities.extensions = None;
        }
    }
    capabilities
}

/// "Method not found", as for a server without the extension.
fn not_offered(method: &str) -> McpError {
    McpError::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!(
            "Method not found: {method} (declare the {SKILLS_EXTENSION_ID} extension to use it)"
        ),
        None,
    )
}

/// One skill's entry: URI, frontmatter and its one file.
fn entry(skill: &skills::Skill) -> Skill {
    let mut fields: JsonObject = skill.frontmatter();
    let name = fields.remove("name");
    let description = fields.remove("description");
    let mut frontmatter = SkillFrontmatter::new(
        name.as_ref().and_then(|v| v.as_str()).unwrap_or(skill.name),
        description
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or_default(),
    );
    frontmatter.extra = fields;
    Skill::new(
        skill.uri(),
        frontmatter,
        SkillResources::Files(vec![SkillResource::from_bytes(
            skill.uri(),
            skill.text.as_bytes(),
        )]),
    )
}

/// `skills/list`: every skill, in one page.
pub fn list(context: &RequestContext<RoleServer>) -> Result<ListSkillsResult, McpError> {
    if !declared(context) {
        return Err(not_offered("skills/list"));
    }
    let mut result = ListSkillsResult::with_all_items(ALL.iter().map(entry).collect());
    result.ttl_ms = Some(TTL_MS);
    result.cache_scope = Some(CacheScope::Public);
    Ok(result)
}

/// `skills/get`: the entry of the skill at `uri`, or "invalid params" naming the ones served.
pub fn get(uri: &str, context: &RequestContext<RoleServer>) -> Result<GetSkillResult, McpError> {
    if !declared(context) {
        return Err(not_offered("skills/get"));
    }
    let Some(skill) = skills::by_uri(uri) else {
        let known: Vec<String> = ALL.iter().map(skills::Skill::uri).collect();
        return Err(McpError::invalid_params(
            format!(
                "no skill is served at {}; skills: {}",
                crate::text::clean(uri, 120),
                known.join(", ")
            ),
            None,
        ));
    };
    Ok(GetSkillResult::new(entry(skill))
        .with_ttl_ms(TTL_MS)
        .with_cache_scope(CacheScope::Public))
}

/// The `resources/list` entries of the skills' `SKILL.md` files.
pub fn resources() -> Vec<Resource> {
    ALL.iter()
        .map(|s| {
            Resource::new(s.uri(), s.name)
                .with_description(s.description())
                .with_mime_type("text/markdown")
        })
        .collect()
}

/// `resources/read` of a `SKILL.md`, if `uri` is one.
pub fn contents(uri: &str) -> Option<ResourceContents> {
    let skill = skills::by_uri(uri)?;
    Some(ResourceContents::text(skill.text, skill.uri()).with_mime_type("text/markdown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_valid_and_its_digest_covers_the_file() {
        for skill in ALL {
            let entry = entry(skill);
            entry.validate().unwrap();
            assert_eq!(entry.frontmatter.name, skill.name);
            assert_eq!(
                serde_json::to_value(&entry.frontmatter).unwrap(),
                serde_json::Value::Object(skill.frontmatter())
            );
            let SkillResources::Files(files) = &entry.resources else {
                panic!("static skills have a manifest");
            };
            files[0].verify(skill.text.as_bytes()).unwrap();
        }
    }

    #[test]
    fn hiding_the_extension_leaves_the_rest() {
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_skills()
            .build();
        let hidden = hidden(caps.clone());
        assert!(!hidden.supports_skills() && hidden.extensions.is_none());
        assert_eq!(hidden.tools, caps.tools);
    }
}
