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
    /// A number that is not finite or too large to be a count or an amount (at its path).
    #[error("the API answered with a number out of range at {at}")]
    BadNumber { at: String },
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
                        "The analytics API rate limit was reached (429). Retry {}.",
                        retry_when(*d, jiff::Timestamp::now())
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
            Self::BadNumber { at } => (
                format!("The analytics API sent a number that cannot be right at `{at}` (not finite, or beyond 2^53), so this answer was not used. This is on the provider's side; retry later, or narrow the date range."),
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
/// When to retry after `wait`, in words a person reads at a glance: "in 30 seconds", "in
/// about 2 hours (after 14:05 UTC)", "in about 3 days (after 2026-12-09 14:05 UTC)".
pub fn retry_when(wait: Duration, now: jiff::Timestamp) -> String {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let about = match secs {
        0..=90 => return format!("in {secs} seconds"),
        91..=5_399 => return format!("in about {} minutes", (secs + 30) / 60),
        5_400..=129_599 => format!("in about {} hours", (secs + 1_800) / 3_600),
        _ => match (secs + 43_200) / 86_400 {
            1 => "in about a day".to_string(),
            days => format!("in about {days} days"),
        },
    };
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| now.checked_add(jiff::SignedDuration::from_secs(s)).ok());
    match at {
        Some(at) if secs < 86_400 => format!("{about} (after {} UTC)", at.strftime("%H:%M")),
        Some(at) => format!("{about} (after {} UTC)", at.strftime("%Y-%m-%d %H:%M")),
        None => about,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_waits_are_said_in_real_time() {
        let now: jiff::Timestamp = "2026-11-21T15:30:00Z".parse().unwrap();
        let when = |s| retry_when(Duration::from_secs(s), now);
        assert_eq!(when(4), "in 4 seconds");
        assert_eq!(when(600), "in about 10 minutes");
        assert_eq!(when(7_200), "in about 2 hours (after 17:30 UTC)");
        assert_eq!(
            when(86_400),
            "in about 24 hours (after 2026-11-22 15:30 UTC)"
        );
        assert_eq!(
            when(172_800),
            "in about 2 days (after 2026-11-23 15:30 UTC)"
        );
    }
}
