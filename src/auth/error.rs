//! Why a sign-in, refresh or revocation failed, each with the sentence that says what to do.
//! No variant carries a token, a code or a verifier.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("could not find the sign-in server for {api}: {why}")]
    Discovery { api: String, why: String },
    #[error(
        "{issuer} does not offer PKCE with S256, which browser sign-in requires; sign in with `analytics-mcp login --with-key` instead"
    )]
    NoPkce { issuer: String },
    #[error("refusing to open the authorization URL: {0}")]
    UnsafeUrl(String),
    #[error("{0}")]
    Registration(String),
    #[error(
        "port {0} on 127.0.0.1 is in use, so the sign-in callback cannot listen there; free it or pick another with --callback-port"
    )]
    PortBusy(u16),
    #[error("could not listen for the sign-in callback on 127.0.0.1: {0}")]
    Listen(String),
    #[error(
        "no answer from the browser within {} seconds; run `analytics-mcp login` again (with --no-browser to open the URL yourself)",
        .0.as_secs()
    )]
    TimedOut(Duration),
    #[error("sign-in was denied in the browser{}", describe(.0))]
    Denied(String),
    #[error("the authorization server answered with an error: {0}")]
    Refused(String),
    #[error(
        "the browser came back with a different `state` than this sign-in sent (a stale tab, or a forged link); nothing was signed in, run `analytics-mcp login` again"
    )]
    StateMismatch,
    #[error(
        "the browser came back from a different issuer than the one discovered ({0}); nothing was signed in"
    )]
    IssuerMismatch(String),
    #[error("the code could not be exchanged for tokens: {0}")]
    Exchange(String),
    #[error(
        "{0} offers no device sign-in (RFC 8628); use `analytics-mcp login --no-browser` and open the URL it prints"
    )]
    NoDevice(String),
    #[error("device sign-in failed: {0}; nothing was signed in")]
    Device(String),
    #[error("sign-in cancelled with Ctrl-C; nothing was stored")]
    Cancelled,
    #[error("{0}; sign in again with `analytics-mcp login`")]
    SignInAgain(String),
    #[error(
        "could not refresh the access token ({0}); this is usually temporary, try again shortly"
    )]
    Temporary(String),
    #[error("{0}")]
    Http(String),
    #[error("{0}")]
    Store(String),
}

fn describe(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

impl From<crate::credentials::StoreError> for AuthError {
    fn from(e: crate::credentials::StoreError) -> Self {
        Self::Store(e.to_string())
    }
}
