//! The schema of `config.toml` ([`ConfigFile`]) and how a profile's table falls back to the
//! top level. Reads the file; resolves nothing (that is `settings.rs`, its only user here).
//! Imports only its parent's names (the file name, the error).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{CONFIG_FILE, ConfigError};

/// What the user can write in `config.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Read API base URL.
    pub api_url: Option<String>,
    /// A hosted MCP server (Streamable HTTP) to bridge instead of the Read API.
    pub mcp_url: Option<String>,
    /// With `mcp_url`: only the upstream tools matching one of these globs.
    pub tools: Option<Vec<String>>,
    /// With `mcp_url`: drop the upstream tools matching one of these globs.
    pub exclude_tools: Option<Vec<String>>,
    /// With `mcp_url` and `login --with-key`: the header the key is sent in (default
    /// `Authorization`, as `Bearer <key>`).
    pub key_header: Option<String>,
    /// With `mcp_url`: the MCP protocol era to speak, `auto` (default: `server/discover`,
    /// falling back to `initialize` for older servers), `2026-07-28` (stateless only) or
    /// `2025-11-25` (`initialize` and a session only).
    pub protocol: Option<String>,
    /// Project id, skipping the `GET /me` look-up.
    pub project: Option<String>,
    /// Whole-request timeout in seconds, retries included.
    pub timeout_secs: Option<f64>,
    /// Connect timeout in seconds.
    pub connect_timeout_secs: Option<f64>,
    /// The longest `Retry-After` worth waiting for, in seconds (0: never wait).
    pub max_retry_wait_secs: Option<f64>,
    /// Answers larger than this many MiB are refused.
    pub max_response_mib: Option<f64>,
    /// How long successful answers are reused, in seconds (0 disables the cache).
    pub cache_ttl_secs: Option<f64>,
    /// Show customer emails as `b…@example.com`.
    pub mask_emails: Option<bool>,
    /// Tool calls `serve` works on at once (default 32); the rest wait, in order.
    pub max_concurrent_calls: Option<u32>,
    /// What a tool result carries: `auto`, `text`, `structured` or `both`.
    pub output: Option<Output>,
    /// Per-tool path overrides, e.g. `get_top_pages = "/projects/{project}/top-pages"`.
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
    /// Himetrica's hosted MCP server, which answers a tool whose Read API path is not found
    /// (default: `{API origin}/api/v1/mcp`; the key is only ever sent to the API's origin).
    pub hosted_mcp_url: Option<String>,
    /// `false`: never answer through the hosted MCP server; a missing path is an error.
    pub fallback: Option<bool>,
    /// Browser sign-in: pinned endpoints, client id, scopes, callback port.
    pub oauth: Option<OAuthConfig>,
    /// Named profiles, `[profiles.NAME]`: the same keys, each falling back to the top level.
    #[serde(default)]
    pub profiles: BTreeMap<String, ConfigFile>,
}

/// `[oauth]`: what browser sign-in would otherwise discover or choose. All optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The authorization server's issuer URL (skips RFC 9728 discovery).
    pub issuer: Option<String>,
    /// With `token_endpoint`: skip discovery entirely.
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    /// A pre-registered client id (skips dynamic registration); a confidential client's
    /// secret is given to `login --client-secret` and kept in the credential store, never here.
    pub client_id: Option<String>,
    /// The HTTPS URL of this client's Client ID Metadata Document, used as the client id
    /// where the server says `client_id_metadata_document_supported` (instead of registering).
    pub client_metadata_url: Option<String>,
    /// Scopes to ask for (default: what the API's metadata lists).
    pub scopes: Option<Vec<String>>,
    /// A fixed loopback port for the callback (default: a free one).
    pub callback_port: Option<u16>,
    /// How long `login` waits for the browser, in seconds (default 300).
    pub login_timeout_secs: Option<u64>,
}

impl ConfigFile {
    /// The settings of profile `name` (`None`: the top level): its keys over the top level's.
    /// With `create`, a profile not in the file yet is an empty one (a sign-in that will
    /// record it), not an error.
    pub(super) fn for_profile(
        mut self,
        name: Option<&str>,
        path: &Path,
        create: bool,
    ) -> Result<Self, ConfigError> {
        let Some(name) = name else {
            return Ok(self);
        };
        let profile = match self.profiles.remove(name) {
            Some(profile) => profile,
            None if create => ConfigFile::default(),
            None => {
                return Err(ConfigError::UnknownProfile {
                    name: name.to_string(),
                    path: path.to_path_buf(),
                    known: self.profiles.keys().cloned().collect(),
                });
            }
        };
        if !profile.profiles.is_empty() {
            return Err(ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("[profiles.{name}] cannot hold profiles of its own"),
            });
        }
        let mut endpoints = self.endpoints;
        endpoints.extend(profile.endpoints);
        Ok(Self {
            api_url: profile.api_url.or(self.api_url),
            // An MCP upstream belongs to its profile alone: it is never inherited.
            mcp_url: profile.mcp_url,
            tools: profile.tools,
            exclude_tools: profile.exclude_tools,
            key_header: profile.key_header,
            protocol: profile.protocol,
            project: profile.project.or(self.project),
            timeout_secs: profile.timeout_secs.or(self.timeout_secs),
            connect_timeout_secs: profile.connect_timeout_secs.or(self.connect_timeout_secs),
            max_retry_wait_secs: profile.max_retry_wait_secs.or(self.max_retry_wait_secs),
            max_response_mib: profile.max_response_mib.or(self.max_response_mib),
            cache_ttl_secs: profile.cache_ttl_secs.or(self.cache_ttl_secs),
            mask_emails: profile.mask_emails.or(self.mask_emails),
            max_concurrent_calls: profile.max_concurrent_calls.or(self.max_concurrent_calls),
            output: profile.output.or(self.output),
            oauth: profile.oauth.or(self.oauth),
            endpoints,
            hosted_mcp_url: profile.hosted_mcp_url.or(self.hosted_mcp_url),
            fallback: profile.fallback.or(self.fallback),
            profiles: BTreeMap::new(),
        })
    }
}

/// What a tool result carries, for clients that read only one of text and `structuredContent`
/// (`output` in `config.toml`, `ANALYTICS_MCP_OUTPUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// By the client's name at `initialize`: `text` for clients known to read only
    /// `structuredContent` when there is one (Claude Code, Codex, VS Code), `both` for the rest.
    #[default]
    Auto,
    /// Text only, and no `outputSchema` (which would require `structuredContent`).
    Text,
    /// `structuredContent`, with only its summary as text (spares clients that pass both).
    Structured,
    /// The compact text and `structuredContent`.
    Both,
}

impl Output {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "text" => Some(Self::Text),
            "structured" => Some(Self::Structured),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
}

/// Reads `config.toml` from `dir`; a missing file is an empty config.
pub fn read_config_file(dir: &Path) -> Result<ConfigFile, ConfigError> {
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path,
        message: e.to_string().trim().to_string(),
    })
}
