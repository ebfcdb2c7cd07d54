//! Credentials: where they come from, in order, and what they hold.
//!
//! Sources, first match wins: `ANALYTICS_MCP_API_KEY` → the OS keychain → a 0600 file in the
//! config directory (used when no keychain is reachable, e.g. headless Linux).
//! `ANALYTICS_MCP_CREDENTIAL_STORE=file|keyring` pins the backend. Uses config (left of it) only.

pub mod secret;
pub mod store;

use std::fmt;
use std::path::PathBuf;

pub use secret::Secret;
pub use store::StoreError;

use crate::config::Settings;
use crate::env_vars;

/// Every Himetrica secret key starts with this.
pub const KEY_PREFIX: &str = "hm_sk_";

/// A credential the API client can attach to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// A secret key, sent as `X-API-Key`.
    ApiKey(Secret<String>),
}

impl Credential {
    /// A form safe to show: `hm_sk_…a1b2`.
    pub fn masked(&self) -> String {
        match self {
            Self::ApiKey(key) => key.masked(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiKey(_) => "secret key",
        }
    }
}

/// Where the credential in use came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Env,
    Keyring,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env => write!(f, "environment variable {}", env_vars::API_KEY),
            Self::Keyring => f.write_str("OS keychain"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A credential and where it was found.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credential: Credential,
    pub source: Source,
}

/// Checks the shape of a secret key a person typed or piped in.
pub fn validate_key(raw: &str) -> Result<Secret<String>, String> {
    let key = raw.trim();
    if key.is_empty() {
        return Err("no key was given".to_string());
    }
    if !key.starts_with(KEY_PREFIX) {
        return Err(format!(
            "that does not look like a Himetrica secret key: it should start with `{KEY_PREFIX}` (find it under Project Settings → API keys)"
        ));
    }
    if key.len() < KEY_PREFIX.len() + 8
        || key.len() > 512
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(
            "that key has an unexpected length or characters; paste the whole key, without quotes or spaces"
                .to_string(),
        );
    }
    Ok(Secret::new(key.to_string()))
}

/// Finds the credential in use, following the order above. `Ok(None)` means not signed in.
pub fn resolve(settings: &Settings) -> Result<Option<Resolved>, StoreError> {
    if let Some(raw) = env_vars::var(env_vars::API_KEY) {
        return Ok(Some(Resolved {
            credential: Credential::ApiKey(Secret::new(raw.trim().to_string())),
            source: Source::Env,
        }));
    }
    store::Store::new(settings).load()
}
