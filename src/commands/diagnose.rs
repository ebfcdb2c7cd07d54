//! What a failed check against the Read API means, said for the person at the terminal: the
//! cause, the URL it concerns and the exact command that fixes it. `login` (before anything is
//! stored), `status` and `doctor` say it the same way. Uses `api` (the error) and `config`.

use crate::api::ApiError;
use crate::config::Settings;
use crate::error::{CliError, Exit};

/// When the check ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum During {
    /// `login --with-key`: the key was typed just now and is not stored.
    KeyLogin,
    /// A browser or device sign-in: the tokens are new and not stored.
    BrowserLogin,
    /// `status` or `doctor`: the stored credential.
    Check,
}

/// ` --profile NAME`, or nothing for the default profile: for commands in hints.
pub(crate) fn profile_flag(settings: &Settings) -> String {
    settings
        .profile
        .as_deref()
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default()
}

/// The message and the fix for `e`, the answer to `GET /me` at `settings.api_url`.
pub(crate) fn live_check(e: &ApiError, settings: &Settings, during: During) -> (String, String) {
    let api = &settings.api_url;
    let profile = profile_flag(settings);
    let stored = match during {
        During::KeyLogin => "; the key was not stored",
        During::BrowserLogin => "; nothing was stored",
        During::Check => "",
    };
    match e {
        ApiError::NotFound { .. } if !api.path().trim_end_matches('/').ends_with("/api/v1") => (
            format!("{api} has nothing at /me (404): the URL seems to lack its /api/v1 path{stored}"),
            format!(
                "use the API's full base URL, e.g. `analytics-mcp login{profile} --api-url {}/api/v1`",
                api.as_str().trim_end_matches('/')
            ),
        ),
        ApiError::Unauthorized { .. } if during == During::KeyLogin => (
            format!("the API at {api} rejected this key (401){stored}"),
            "check that the key is a secret key (hm_sk_…) for this API and project; a credential stored before is unchanged".to_string(),
        ),
        ApiError::WrongOrigin(wrong) => (
            format!(
                "the credential in use was issued for {}, but this profile's API is {api}, so it was not sent",
                wrong.issued
            ),
            format!(
                "sign in for {api}: `analytics-mcp login{profile} --api-url {api}` (add --with-key for a secret key)"
            ),
        ),
        e if e.is_auth() => (
            format!("{}{stored}", e.user_message().trim_end_matches('.')),
            format!("sign in again: `analytics-mcp login{profile}` (or `login{profile} --with-key`)"),
        ),
        e => (
            format!("{}{stored}", e.user_message().trim_end_matches('.')),
            format!(
                "check the network and the API URL ({api}), then run `analytics-mcp status{profile}` again"
            ),
        ),
    }
}

/// [`live_check`] as the error that ends the command (exit 5: the API could not be reached or
/// refused the credential).
pub(crate) fn live_check_error(e: &ApiError, settings: &Settings, during: During) -> CliError {
    let (message, hint) = live_check(e, settings, during);
    CliError::new(Exit::Upstream, message).with_hint(hint)
}
