//! Credentials: where they come from, in order, and what they hold.
//!
//! Sources, first match wins: `ANALYTICS_MCP_API_KEY` → the OS keychain → a 0600 file in the
//! config directory (used when no keychain is reachable, e.g. headless Linux).
//! `ANALYTICS_MCP_CREDENTIAL_STORE=file|keyring` pins the backend. `ANALYTICS_MCP_API_KEY` is
//! a Read API key: it applies to Read API profiles only, never to a hosted MCP profile.
//! Every credential is [`Bound`] to the origin it was issued for. Uses config (left of it) only.

pub mod bound;
pub mod secret;
pub mod store;

use std::fmt;
use std::path::PathBuf;

pub use bound::{Bound, Origin, WrongOrigin};
pub use secret::Secret;
pub use store::StoreError;

use crate::config::Settings;
use crate::env_vars;

/// Every Himetrica secret key starts with this.
pub const KEY_PREFIX: &str = "hm_sk_";

/// A credential the API client can attach to a request.
#[derive(Debug, Clone, PartialEq)]
// One or two credentials live per process; boxing the sign-in would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Credential {
    /// A secret key, sent as `X-API-Key` (or a hosted profile's key header), to its origin only.
    ApiKey(Bound),
    /// Tokens from the browser sign-in; the access token is sent as `Authorization: Bearer`.
    OAuth(OAuthTokens),
}

/// What a browser sign-in leaves behind: enough to use, refresh and revoke the tokens
/// without discovering the authorization server again.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthTokens {
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    /// The RFC 8707 resource the tokens are for (the API base URL).
    pub resource: String,
    pub scopes: Vec<String>,
    pub access_token: Secret<String>,
    pub refresh_token: Option<Secret<String>>,
    /// When the access token expires, in Unix seconds; `None` when the server did not say.
    pub expires_at: Option<i64>,
    /// The access token's lifetime as issued (`expires_in`), in seconds.
    pub lifetime_secs: Option<i64>,
    /// A confidential client's secret and how the token endpoint wants it, for refreshes;
    /// `None` for a public client.
    pub client_auth: Option<ClientAuth>,
    /// How the sign-in got its client id (`None` in records from before this was kept).
    pub client_source: Option<ClientSource>,
}

/// How a sign-in got its client id, in the MCP 2026-07-28 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSource {
    PreRegistered,
    MetadataDocument,
    Remembered,
    Registered,
}

impl ClientSource {
    /// What `login` and `status` say.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PreRegistered => "the pre-registered client from config.toml",
            Self::MetadataDocument => "a Client ID Metadata Document",
            Self::Remembered => "the client registered at the last sign-in",
            Self::Registered => "a newly registered client",
        }
    }

    /// The name stored in the credential record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreRegistered => "pre-registered",
            Self::MetadataDocument => "metadata-document",
            Self::Remembered => "remembered",
            Self::Registered => "registered",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::PreRegistered,
            Self::MetadataDocument,
            Self::Remembered,
            Self::Registered,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A confidential client's secret and how the token endpoint takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAuth {
    pub secret: Secret<String>,
    pub method: ClientAuthMethod,
}

/// RFC 7591 `token_endpoint_auth_method` values for a client with a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// HTTP Basic (`client_secret_basic`), the RFC 6749 default.
    Basic,
    /// In the form body (`client_secret_post`).
    Post,
}

impl ClientAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "client_secret_basic",
            Self::Post => "client_secret_post",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "client_secret_basic" => Some(Self::Basic),
            "client_secret_post" => Some(Self::Post),
            _ => None,
        }
    }
}

impl OAuthTokens {
    /// The access token, bound to the origin of the resource it was issued for.
    pub fn bound_access(&self) -> Bound {
        let origin = Origin::parse(&self.resource).unwrap_or_else(Origin::none);
        Bound::new(self.access_token.clone(), origin)
    }

    /// True when the access token has expired or will within `margin_secs`.
    pub fn expires_within(&self, margin_secs: i64) -> bool {
        self.expires_at
            .is_some_and(|at| at - margin_secs <= jiff::Timestamp::now().as_second())
    }

    /// True when the access token is due for a refresh: within `margin_secs` of expiry, or
    /// within half its lifetime when that is shorter (so a short-lived token is still used).
    pub fn due_for_refresh(&self, margin_secs: i64) -> bool {
        let margin = match self.lifetime_secs {
            Some(life) => margin_secs.min(life / 2),
            None => margin_secs,
        };
        self.expires_within(margin)
    }
}

impl Credential {
    /// A form safe to show: `hm_sk_…a1b2`; nothing at all of an OAuth token.
    pub fn masked(&self) -> String {
        match self {
            Self::ApiKey(key) => key.masked(),
            Self::OAuth(_) => "(hidden)".to_string(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiKey(_) => "secret key",
            Self::OAuth(_) => "OAuth token",
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
/// The stores are read on tokio's blocking pool.
pub async fn resolve(settings: &Settings) -> Result<Option<Resolved>, StoreError> {
    // A Himetrica key in the environment (a shell profile, the MCP Bundle's setting) is for
    // the Read API; a hosted profile's server must never receive it.
    if settings.mcp.is_none()
        && let Some(raw) = env_vars::var(env_vars::API_KEY)
    {
        return Ok(Some(Resolved {
            credential: Credential::ApiKey(Bound::new(
                Secret::new(raw.trim().to_string()),
                Origin::of(&settings.api_url),
            )),
            source: Source::Env,
        }));
    }
    store::Store::new(settings).load_async().await
}
