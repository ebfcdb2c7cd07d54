//! Browser sign-in (OAuth 2.1 authorization code + PKCE on a loopback port) and the tokens it
//! yields: discovery ([`metadata`], reading 401 challenges with [`challenge`]), which client
//! to use ([`client`]), client registration ([`registration`]), the callback listener
//! ([`loopback`]), opening the browser safely ([`browser`]), the flow itself ([`flow`]),
//! device sign-in for headless machines ([`device`]), refreshing and revoking ([`tokens`]),
//! and the HTTP requests to authorization servers they all make ([`requests`]).
//!
//! It produces credentials for the API client and reads settings; it never prints a token,
//! a code or a verifier.

pub mod browser;
mod challenge;
pub mod client;
pub mod device;
pub mod error;
pub mod flow;
pub mod loopback;
pub mod metadata;
pub mod registration;
pub mod requests;
pub mod tokens;

pub use error::AuthError;
pub use tokens::TokenManager;

/// One line about a failed token request, safe to show (no token, code or verifier).
fn describe_token_error<RE, T>(
    e: &oauth2::RequestTokenError<RE, oauth2::StandardErrorResponse<T>>,
) -> String
where
    RE: std::error::Error + 'static,
    T: oauth2::ErrorResponseType + std::fmt::Display + 'static,
{
    use oauth2::RequestTokenError;
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = r
                .error_description()
                .map(|d| format!(": {}", crate::text::clean(d, 200)))
                .unwrap_or_default();
            format!("{}{detail}", r.error())
        }
        RequestTokenError::Request(e) => e.to_string(),
        RequestTokenError::Parse(_, _) => "the answer was not a token response".to_string(),
        RequestTokenError::Other(s) => crate::text::clean(s, 200),
    }
}
