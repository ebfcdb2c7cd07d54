//! Settings: flags, environment and `config.toml`, resolved once into [`Settings`].
//!
//! Precedence, highest first: command-line flag → environment variable → `config.toml` →
//! built-in default. This module reads files and the environment; it never touches the
//! network or the credential stores. It imports only leaves (`env_vars`, `http` for the URL
//! policy, `atomic` for the one file write).
//!
//! By job: [`file`] is the schema of `config.toml` and the profile merge, [`settings`] the
//! resolution into [`Settings`] (with [`Limits`] and the URL check), [`write`] the one edit
//! this program makes to the file (keeping its formatting), [`endpoints`] the Read API's
//! path table. Here: what they share (names, errors, the config directory).

use std::path::PathBuf;

pub mod endpoints;
pub mod file;
pub mod settings;
pub mod write;

use crate::env_vars;
use endpoints::EndpointError;
pub use file::{ConfigFile, OAuthConfig, Output, read_config_file};
pub use settings::{
    DEFAULT_MAX_IN_FLIGHT, Limits, McpUpstream, Overrides, Protocol, Settings, StorePreference,
    parse_api_url, parse_mcp_url,
};
pub use write::{set_api_url, set_profile_mcp_url};

/// The Himetrica Read API.
pub const DEFAULT_API_URL: &str = "https://app.himetrica.com/api/v1";
/// The file name of the user's config inside the config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// The profile the top level of `config.toml` describes.
pub const DEFAULT_PROFILE: &str = "default";

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
    /// The URL shown with its user-info redacted.
    #[error("`{}` is not a valid URL: {why}", crate::http::redact_url(raw))]
    BadUrl { raw: String, why: url::ParseError },
    /// `what` is "API URL" or "MCP URL"; the URL is shown with its user-info redacted.
    #[error("refusing {what} `{}`: {}", crate::http::redact_url(url), why.reason())]
    InsecureUrl {
        what: &'static str,
        url: String,
        why: crate::http::Insecure,
    },
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

/// `default` is a profile too (the top level of the file), so it is always listed.
fn known_profiles(known: &[String]) -> String {
    let names: Vec<&str> = std::iter::once(DEFAULT_PROFILE)
        .chain(known.iter().map(String::as_str))
        .collect();
    format!("; the profiles are: {}", names.join(", "))
}

impl ConfigError {
    /// The command that fixes this error, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownProfile { name, .. } => Some(format!(
                "create it by signing in: `analytics-mcp login --profile {name} --api-url URL` (add --with-key for a secret key), or `login --profile {name} --mcp-url URL` for a hosted MCP server"
            )),
            _ => None,
        }
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
