//! Settings: flags, environment and `config.toml`, resolved once into [`Settings`].
//!
//! Precedence, highest first: command-line flag → environment variable → `config.toml` →
//! built-in default. This module reads files and the environment; it never touches the
//! network or the credential stores.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

pub mod endpoints;

use crate::env_vars;
use endpoints::{EndpointError, Endpoints};

/// The Himetrica Read API.
pub const DEFAULT_API_URL: &str = "https://app.himetrica.com/api/v1";
/// The file name of the user's config inside the config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// Time and size limits for upstream calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The whole call: waiting, connecting, retrying and reading the body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after a connection error, a dropped body, 502, 503, 504 or a short 429.
    pub max_retries: u32,
    /// The longest `Retry-After` (or rate-limit reset) worth waiting for before answering.
    pub max_retry_wait: Duration,
    /// Bodies larger than this are refused rather than read into memory.
    pub max_body: usize,
    /// Tool calls worked on at once by `serve` (the rest wait, in order), and upstream
    /// requests in flight at once per client.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(10),
            max_body: 8 * 1024 * 1024,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Tool calls (and upstream requests) in flight at once unless `max_concurrent_calls` says.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;

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

/// The profile the top level of `config.toml` describes.
pub const DEFAULT_PROFILE: &str = "default";

impl ConfigFile {
    /// The settings of profile `name` (`None`: the top level): its keys over the top level's.
    fn for_profile(mut self, name: Option<&str>, path: &Path) -> Result<Self, ConfigError> {
        let Some(name) = name else {
            return Ok(self);
        };
        let Some(profile) = self.profiles.remove(name) else {
            return Err(ConfigError::UnknownProfile {
                name: name.to_string(),
                path: path.to_path_buf(),
                known: self.profiles.keys().cloned().collect(),
            });
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
            profiles: BTreeMap::new(),
        })
    }
}

/// True for 1–64 ASCII letters, digits, `-` and `_`: safe as a file name part, a keychain
/// account, a TOML key and a client's server name.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
}

/// Checks a profile name (it names files and keychain entries).
pub fn check_profile_name(name: &str) -> Result<(), ConfigError> {
    if is_plain_name(name) {
        Ok(())
    } else {
        Err(ConfigError::BadProfileName(name.to_string()))
    }
}

/// The profile asked for by flag or `ANALYTICS_MCP_PROFILE`; `None` for the default one.
pub fn selected_profile(flag: Option<&str>) -> Result<Option<String>, ConfigError> {
    let name = flag
        .map(str::to_string)
        .or_else(|| env_vars::var(env_vars::PROFILE));
    match name {
        None => Ok(None),
        Some(n) if n == DEFAULT_PROFILE => Ok(None),
        Some(n) => {
            check_profile_name(&n)?;
            Ok(Some(n))
        }
    }
}

/// Which credential backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorePreference {
    /// The OS keychain when reachable, else the file.
    Auto,
    Keyring,
    File,
}

/// A hosted MCP server to bridge (a profile with `mcp_url`).
#[derive(Debug, Clone)]
pub struct McpUpstream {
    pub url: Url,
    /// Globs of tool names to keep (empty: all), compiled once when the settings load.
    pub tools: Vec<glob::Pattern>,
    /// Globs of tool names to drop.
    pub exclude_tools: Vec<glob::Pattern>,
    /// Where a static key goes: `Authorization` (as `Bearer <key>`) or another header name.
    pub key_header: String,
    /// The protocol era to speak (`protocol` in config.toml).
    pub protocol: Protocol,
}

/// The MCP protocol era a hosted profile speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    /// `server/discover` first; `initialize` when the server turns out to be older.
    #[default]
    Auto,
    /// The stateless 2026-07-28 revision only.
    Stateless,
    /// `initialize` and a session (2025-11-25 and before) only.
    Session,
}

impl Protocol {
    fn parse(raw: &str) -> Result<Self, ConfigError> {
        match raw {
            "auto" => Ok(Self::Auto),
            "2026-07-28" => Ok(Self::Stateless),
            "2025-11-25" | "2025-06-18" | "2025-03-26" => Ok(Self::Session),
            other => Err(ConfigError::BadProtocol(other.to_string())),
        }
    }
}

impl McpUpstream {
    /// Whether the tool named `name` passes the profile's filters.
    pub fn keeps(&self, name: &str) -> bool {
        let matches = |globs: &[glob::Pattern]| globs.iter().any(|p| p.matches(name));
        (self.tools.is_empty() || matches(&self.tools)) && !matches(&self.exclude_tools)
    }
}

/// Compiles the `tools`/`exclude_tools` globs named `key`; a bad one is a config error rather
/// than a filter that silently matches nothing.
fn globs(key: &'static str, raw: Option<Vec<String>>) -> Result<Vec<glob::Pattern>, ConfigError> {
    raw.unwrap_or_default()
        .iter()
        .map(|g| {
            glob::Pattern::new(g).map_err(|e| ConfigError::BadGlob {
                key,
                glob: g.clone(),
                why: e.msg.to_string(),
            })
        })
        .collect()
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

/// Everything a command needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_dir: PathBuf,
    /// The profile in use; `None` is the top level of `config.toml` ("default").
    pub profile: Option<String>,
    pub api_url: Url,
    pub project: Option<String>,
    pub endpoints: Endpoints,
    pub limits: Limits,
    /// `None`: the built-in TTLs (60 s, 10 s for realtime); `Some(0)`: no cache.
    pub cache_ttl: Option<Duration>,
    pub store: StorePreference,
    pub mask_emails: bool,
    pub output: Output,
    pub oauth: OAuthConfig,
    /// Set when the profile bridges a hosted MCP server instead of the Read API.
    pub mcp: Option<McpUpstream>,
}

/// Flags that override the environment and the config file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub profile: Option<String>,
    pub api_url: Option<String>,
    pub project: Option<String>,
}

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no config directory could be found; set {}", env_vars::CONFIG_DIR)]
    NoConfigDir,
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("`{0}` is not a valid URL: {1}")]
    BadUrl(String, url::ParseError),
    #[error(
        "refusing API URL `{0}`: only https is allowed, or http to a loopback host (127.0.0.1, ::1, localhost)"
    )]
    InsecureUrl(String),
    #[error("{name} must be `file` or `keyring`, not `{value}`")]
    BadStore { name: &'static str, value: String },
    #[error("no profile `{name}` in {path}{}", known_profiles(known))]
    UnknownProfile {
        name: String,
        path: PathBuf,
        known: Vec<String>,
    },
    #[error("`{glob}` in `{key}` is not a glob ({why}); use * and ? and [abc], e.g. \"get_*\"")]
    BadGlob {
        key: &'static str,
        glob: String,
        why: String,
    },
    #[error(
        "`protocol = \"{0}\"` is not one this release speaks: use \"auto\", \"2026-07-28\" or \"2025-11-25\""
    )]
    BadProtocol(String),
    #[error("`{0}` is not a usable profile name: use 1-64 letters, digits, - and _")]
    BadProfileName(String),
    #[error("{name} must be auto, text, structured or both, not `{value}`")]
    BadOutput { name: &'static str, value: String },
    #[error("`{0}` must be a number between {1} and {2}, not `{3}`")]
    OutOfRange(&'static str, f64, f64, String),
}

fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        "; it has none: add a [profiles.NAME] table".to_string()
    } else {
        format!("; its profiles: {}", known.join(", "))
    }
}

/// The config directory: `ANALYTICS_MCP_CONFIG_DIR`, else the OS default
/// (`~/.config/analytics-mcp` on Linux, `~/Library/Application Support/analytics-mcp` on macOS).
pub fn config_dir() -> Result<PathBuf, ConfigError> {
    if let Some(dir) = env_vars::var(env_vars::CONFIG_DIR) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "analytics-mcp")
        .map(|dirs| dirs.config_dir().to_path_buf())
        .ok_or(ConfigError::NoConfigDir)
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

/// Creates or updates `[profiles.NAME] mcp_url = …` (and `key_header`) in `config.toml`, keeping everything else
/// in the file (comments, order) as it was. The file is replaced atomically.
pub fn set_profile_mcp_url(
    dir: &Path,
    name: &str,
    url: &Url,
    key_header: Option<&str>,
) -> Result<(), ConfigError> {
    check_profile_name(name)?;
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Parse {
                path: path.clone(),
                message: e.to_string().trim().to_string(),
            })?;
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| ConfigError::Parse {
            path: path.clone(),
            message: "`profiles` is not a table".into(),
        })?;
    let profile = profiles
        .entry(name)
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| ConfigError::Parse {
            path: path.clone(),
            message: format!("`profiles.{name}` is not a table"),
        })?;
    profile["mcp_url"] = toml_edit::value(url.as_str());
    if let Some(header) = key_header {
        profile["key_header"] = toml_edit::value(header);
    }
    crate::atomic::write(
        &path,
        doc.to_string().as_bytes(),
        crate::atomic::Access::Keep,
    )
    .map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })
}

/// Checks a base URL: `https`, or `http` to a loopback host only. A trailing `/` is dropped.
pub fn parse_api_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| ConfigError::BadUrl(raw.to_string(), e))?;
    let secure = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback_host(&url),
        _ => false,
    };
    if !secure || !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::InsecureUrl(raw.to_string()));
    }
    let mut url = url;
    url.set_query(None);
    url.set_fragment(None);
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A number from the config or environment, checked against its range.
fn ranged(name: &'static str, raw: &str, min: f64, max: f64) -> Result<f64, ConfigError> {
    match raw.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(x),
        _ => Err(ConfigError::OutOfRange(name, min, max, raw.to_string())),
    }
}

fn secs(
    name: &'static str,
    value: Option<f64>,
    min: f64,
    max: f64,
) -> Result<Option<Duration>, ConfigError> {
    value
        .map(|v| ranged(name, &v.to_string(), min, max).map(Duration::from_secs_f64))
        .transpose()
}

impl Settings {
    /// The server this profile's credential is for: the hosted MCP server of a profile with
    /// `mcp_url`, else the Read API.
    pub fn credential_target(&self) -> &Url {
        self.mcp.as_ref().map_or(&self.api_url, |m| &m.url)
    }

    /// Resolves settings from flags, the environment and the config file.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let config_dir = config_dir()?;
        let profile = selected_profile(overrides.profile.as_deref())?;
        let file = read_config_file(&config_dir)?
            .for_profile(profile.as_deref(), &config_dir.join(CONFIG_FILE))?;

        let raw_url = overrides
            .api_url
            .clone()
            .or_else(|| env_vars::var(env_vars::API_URL))
            .or(file.api_url)
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let api_url = parse_api_url(&raw_url)?;

        let project = overrides
            .project
            .clone()
            .or_else(|| env_vars::var(env_vars::PROJECT))
            .or(file.project);

        let defaults = Limits::default();
        let timeout = match env_vars::var(env_vars::TIMEOUT_SECS) {
            Some(raw) => Duration::from_secs_f64(ranged(env_vars::TIMEOUT_SECS, &raw, 0.1, 600.0)?),
            None => {
                secs("timeout_secs", file.timeout_secs, 0.1, 600.0)?.unwrap_or(defaults.timeout)
            }
        };
        let limits = Limits {
            timeout,
            connect_timeout: secs(
                "connect_timeout_secs",
                file.connect_timeout_secs,
                0.1,
                120.0,
            )?
            .unwrap_or(defaults.connect_timeout),
            max_retry_wait: secs("max_retry_wait_secs", file.max_retry_wait_secs, 0.0, 300.0)?
                .unwrap_or(defaults.max_retry_wait),
            max_body: match file.max_response_mib {
                Some(m) => {
                    (ranged("max_response_mib", &m.to_string(), 0.01, 1024.0)? * 1024.0 * 1024.0)
                        as usize
                }
                None => defaults.max_body,
            },
            max_in_flight: match file.max_concurrent_calls {
                Some(n) => ranged("max_concurrent_calls", &n.to_string(), 1.0, 1024.0)? as usize,
                None => defaults.max_in_flight,
            },
            ..defaults
        };
        let cache_ttl = secs("cache_ttl_secs", file.cache_ttl_secs, 0.0, 86_400.0)?;

        let store = match env_vars::var(env_vars::CREDENTIAL_STORE).as_deref() {
            None => StorePreference::Auto,
            Some("file") => StorePreference::File,
            Some("keyring") => StorePreference::Keyring,
            Some(other) => {
                return Err(ConfigError::BadStore {
                    name: env_vars::CREDENTIAL_STORE,
                    value: other.to_string(),
                });
            }
        };

        Ok(Self {
            config_dir,
            profile,
            api_url,
            project,
            endpoints: Endpoints::with_overrides(&file.endpoints)?,
            limits,
            cache_ttl,
            store,
            mask_emails: file.mask_emails.unwrap_or(false),
            output: match env_vars::var(env_vars::OUTPUT) {
                Some(raw) => Output::parse(&raw).ok_or(ConfigError::BadOutput {
                    name: env_vars::OUTPUT,
                    value: raw,
                })?,
                None => file.output.unwrap_or_default(),
            },
            oauth: file.oauth.unwrap_or_default(),
            mcp: match file.mcp_url {
                Some(raw) => Some(McpUpstream {
                    url: parse_api_url(&raw)?,
                    tools: globs("tools", file.tools)?,
                    exclude_tools: globs("exclude_tools", file.exclude_tools)?,
                    key_header: file
                        .key_header
                        .unwrap_or_else(|| "Authorization".to_string()),
                    protocol: match file.protocol.as_deref() {
                        Some(raw) => Protocol::parse(raw)?,
                        None => Protocol::Auto,
                    },
                }),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for ok in [
            "https://app.himetrica.com/api/v1/",
            "http://127.0.0.1:8080/api/v1",
            "http://localhost:3000",
            "http://[::1]:9/x",
        ] {
            assert!(parse_api_url(ok).is_ok(), "{ok} refused");
        }
        assert_eq!(
            parse_api_url("https://app.himetrica.com/api/v1/")
                .unwrap()
                .as_str(),
            "https://app.himetrica.com/api/v1"
        );
    }

    #[test]
    fn plain_http_elsewhere_and_other_schemes_are_refused() {
        for bad in [
            "http://app.himetrica.com/api/v1",
            "http://10.0.0.1/api",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "https://user:pw@app.himetrica.com/",
            "http://localhost.evil.example/",
        ] {
            assert!(
                matches!(parse_api_url(bad), Err(ConfigError::InsecureUrl(_))),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn tool_filters_are_compiled_once_and_bad_globs_are_refused() {
        let mcp = McpUpstream {
            url: parse_api_url("https://api.example/mcp").unwrap(),
            tools: globs("tools", Some(vec!["get_*".into(), "list_websites".into()])).unwrap(),
            exclude_tools: globs("exclude_tools", Some(vec!["get_api_*".into()])).unwrap(),
            key_header: "Authorization".into(),
            protocol: Protocol::Auto,
        };
        assert!(mcp.keeps("get_visitors") && mcp.keeps("list_websites"));
        assert!(!mcp.keeps("get_api_usage") && !mcp.keeps("create_goal"));
        let err = globs("tools", Some(vec!["get_[".into()])).unwrap_err();
        assert!(
            err.to_string().contains("`get_[` in `tools` is not a glob"),
            "{err}"
        );
    }
}
