//! Upstream failures, each with the one sentence a model or a person can act on.
//!
//! Error bodies are not documented by Himetrica, so they are never parsed strictly: we keep a
//! short, cleaned excerpt to show next to the status.

use std::time::Duration;

/// Why a Read API request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("the API rejected the credential (401)")]
    Unauthorized { excerpt: String },
    #[error("the API refused access (403)")]
    Forbidden { excerpt: String },
    #[error("the API has no such resource (404 for {path})")]
    NotFound { path: String, excerpt: String },
    #[error("the API rate limit was reached (429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the API had an internal problem ({status})")]
    Server { status: u16, excerpt: String },
    #[error("the API answered {status}")]
    Status { status: u16, excerpt: String },
    #[error("the API did not answer within {0:?}")]
    Timeout(Duration),
    #[error("could not connect to the API at {origin} ({cause})")]
    Connect { origin: String, cause: &'static str },
    #[error("the connection to the API dropped mid-answer")]
    Incomplete,
    #[error("the API answered with a redirect ({status}), which is not followed")]
    Redirected { status: u16 },
    #[error("the API answered with a body that is not JSON")]
    NotJson { excerpt: String },
    #[error("the API answered with more than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the API answered with an unexpected shape: {0}")]
    Shape(String),
    #[error("the request failed: {0}")]
    Other(String),
    #[error("{0}; sign in again")]
    SignInAgain(String),
    #[error("{0}")]
    Token(String),
    /// The credential belongs to another origin; nothing was sent.
    #[error(transparent)]
    WrongOrigin(#[from] crate::credentials::WrongOrigin),
    /// The credential store holds something unusable (never read as "not signed in").
    #[error("{0}")]
    CredentialStore(String),
}

impl ApiError {
    /// One actionable sentence for the model or the person at the terminal, plus the cleaned
    /// body excerpt where there is one. Never contains a credential.
    pub fn user_message(&self) -> String {
        let (sentence, excerpt) = match self {
            Self::Unauthorized { excerpt } => (
                "The analytics API rejected the stored credential (401). Sign in again with `analytics-mcp login`, or check ANALYTICS_MCP_API_KEY.".to_string(),
                excerpt.as_str(),
            ),
            Self::Forbidden { excerpt } => (
                "The analytics API refused access (403): the plan may not include this data, or the key has no access to this project. Check the plan and project in the Himetrica dashboard.".to_string(),
                excerpt.as_str(),
            ),
            // Nothing at `/me` is not a wrong project id: the base URL itself is off, most
            // often without its `/api/v1`.
            Self::NotFound { path, excerpt } if path == "/me" => (
                "The analytics API has nothing at /me (404): the API URL is probably wrong or lacks its /api/v1 path; check --api-url / ANALYTICS_MCP_API_URL / api_url in config.toml.".to_string(),
                excerpt.as_str(),
            ),
            Self::NotFound { path, excerpt } => (
                format!(
                    "The analytics API has nothing at {path} (404): the project id may be wrong, or this endpoint's path differs; override it under [endpoints] in config.toml."
                ),
                excerpt.as_str(),
            ),
            Self::RateLimited { retry_after } => (
                match retry_after {
                    Some(d) => format!(
                        "The analytics API rate limit was reached (429). Retry in {} seconds.",
                        d.as_secs_f64().ceil().max(1.0)
                    ),
                    None => "The analytics API rate limit was reached (429). Retry in about a minute.".to_string(),
                },
                "",
            ),
            Self::Server { status, excerpt } => (
                format!(
                    "The analytics API had an internal problem ({status}). This is on the provider's side; retry in a minute."
                ),
                excerpt.as_str(),
            ),
            Self::Status { status, excerpt } => (
                format!("The analytics API answered with status {status}; the request was not accepted."),
                excerpt.as_str(),
            ),
            Self::Timeout(d) => (
                format!(
                    "The analytics API did not answer within {:.0} seconds. It may be slow or down; retry shortly, or raise ANALYTICS_MCP_TIMEOUT_SECS.",
                    d.as_secs_f64().max(1.0)
                ),
                "",
            ),
            Self::Connect { origin, cause } => (
                format!(
                    "Could not connect to the analytics API at {origin}: {cause}. Check the network connection and the API URL (--api-url / ANALYTICS_MCP_API_URL)."
                ),
                "",
            ),
            Self::Incomplete => (
                "The connection to the analytics API dropped in the middle of an answer, even after retrying. Retry shortly.".to_string(),
                "",
            ),
            Self::Redirected { status } => (
                format!(
                    "The analytics API answered with a redirect ({status}). Redirects are not followed, so the key is never sent to another address; check the API URL (--api-url / ANALYTICS_MCP_API_URL)."
                ),
                "",
            ),
            Self::NotJson { excerpt } => (
                "The analytics API answered with something that is not JSON (perhaps a proxy or maintenance page). Check the API URL, or retry later.".to_string(),
                excerpt.as_str(),
            ),
            Self::TooLarge { limit } => (
                format!("The analytics API answer was larger than {} MiB and was cut off. Narrow the date range or lower `limit`.", limit / (1024 * 1024)),
                "",
            ),
            Self::Shape(detail) => (
                format!("The analytics API answered with an unexpected shape ({detail}). The endpoint path may be wrong; see [endpoints] in config.toml."),
                "",
            ),
            Self::Other(detail) => (format!("The request to the analytics API failed: {detail}."), ""),
            Self::SignInAgain(why) => (
                format!("The browser sign-in has lapsed: {why}. Sign in again with `analytics-mcp login`."),
                "",
            ),
            Self::Token(why) => (format!("Could not get an access token: {why}."), ""),
            Self::WrongOrigin(e) => (format!("Refused to send the credential: {e}."), ""),
            Self::CredentialStore(why) => (format!("{}.", why.trim_end_matches('.')), ""),
        };
        if excerpt.is_empty() {
            sentence
        } else {
            format!("{sentence} Upstream said: \"{excerpt}\"")
        }
    }

    /// True when signing in again is the fix.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized { .. } | Self::SignInAgain(_) | Self::WrongOrigin(_)
        )
    }
}
