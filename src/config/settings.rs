//! Resolving [`Settings`] from flags, the environment and the (merged) config file: the
//! limits, the Read API URL under the URL policy, the credential backend, the output mode and
//! a hosted profile's upstream. Imports its siblings `file` and `endpoints` and the leaves
//! `env_vars` and `http` (the URL policy).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::endpoints::Endpoints;
use super::file::{OAuthConfig, Output, read_config_file};
use super::{CONFIG_FILE, ConfigError, DEFAULT_API_URL, config_dir, selected_profile};
use crate::env_vars;

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
    /// Himetrica's hosted MCP server for tools whose Read API path is missing (issue 24);
    /// `None` with `fallback = false`.
    pub hosted_fallback: Option<Url>,
}

/// Flags that override the environment and the config file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub profile: Option<String>,
    pub api_url: Option<String>,
    pub project: Option<String>,
    /// A profile missing from `config.toml` is a new, empty one (`login --api-url`, which
    /// records it), not an error.
    pub new_profile: bool,
}

/// Checks a base URL: `https`, or `http` to a loopback host only ([`crate::http::check_url`]).
/// A trailing `/`, a query and a fragment are dropped.
pub fn parse_api_url(raw: &str) -> Result<Url, ConfigError> {
    parse_url(raw, "API URL")
}

/// [`parse_api_url`] for a hosted MCP server's URL (`mcp_url`, `--mcp-url`).
pub fn parse_mcp_url(raw: &str) -> Result<Url, ConfigError> {
    parse_url(raw, "MCP URL")
}

fn parse_url(raw: &str, what: &'static str) -> Result<Url, ConfigError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| ConfigError::BadUrl {
        raw: raw.to_string(),
        why: e,
    })?;
    crate::http::check_url(&url).map_err(|why| ConfigError::InsecureUrl {
        what,
        url: raw.to_string(),
        why,
    })?;
    url.set_query(None);
    url.set_fragment(None);
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

/// Himetrica's hosted MCP server on the Read API's origin: `{origin}/api/v1/mcp`.
pub fn default_hosted_mcp(api_url: &Url) -> Url {
    let mut url = api_url.clone();
    url.set_path("/api/v1/mcp");
    url
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
        let file = read_config_file(&config_dir)?.for_profile(
            profile.as_deref(),
            &config_dir.join(CONFIG_FILE),
            overrides.new_profile,
        )?;

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

        let hosted_fallback = match (file.fallback, file.hosted_mcp_url.as_deref()) {
            (Some(false), _) => None,
            (_, Some(raw)) => Some(parse_mcp_url(raw)?),
            (_, None) => Some(default_hosted_mcp(&api_url)),
        };
        Ok(Self {
            config_dir,
            profile,
            hosted_fallback,
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
                    url: parse_mcp_url(&raw)?,
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
                matches!(parse_api_url(bad), Err(ConfigError::InsecureUrl { .. })),
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
