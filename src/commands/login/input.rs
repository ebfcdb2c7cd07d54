//! What the person gives `login`: the sign-in options from flags and config (timeout, scopes,
//! a pre-registered client's secret), and secrets read from a hidden prompt or the first line
//! of stdin, never argv. Imports `auth`, `cli`, `config`, `credentials` and `error`; no
//! sibling.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use crate::auth::flow::LoginOptions;
use crate::cli::LoginArgs;
use crate::commands::App;
use crate::credentials::{Credential, Secret};
use crate::error::{CliError, Exit};

/// How long `login` waits for the browser unless told otherwise.
const DEFAULT_LOGIN_TIMEOUT_SECS: u64 = 300;

/// The browser sign-in (OAuth 2.1 + PKCE); the tokens are stored only once `GET /me`
/// accepts them.
pub(super) fn login_options(app: &App, args: &LoginArgs) -> Result<LoginOptions, CliError> {
    let settings = &app.settings;
    let timeout = args
        .timeout
        .or(settings.oauth.login_timeout_secs)
        .unwrap_or(DEFAULT_LOGIN_TIMEOUT_SECS);
    if timeout == 0 {
        return Err(CliError::new(
            Exit::Usage,
            "--timeout must be at least 1 second",
        ));
    }
    let client_secret = match (&settings.oauth.client_id, args.client_secret) {
        (None, true) => {
            return Err(CliError::new(
                Exit::Usage,
                "--client-secret is for a pre-registered client: set `client_id` under [oauth] in config.toml first",
            ));
        }
        (Some(_), true) => {
            let raw = read_secret("Paste the client secret (input hidden): ")?;
            let secret = raw.trim();
            if secret.is_empty() || secret.chars().any(|c| c.is_control()) {
                return Err(CliError::new(
                    Exit::Usage,
                    "that is not a usable client secret",
                ));
            }
            Some(Secret::new(secret.to_string()))
        }
        // The secret given at an earlier sign-in of this client, from the credential store.
        (Some(id), false) => match app.store().load().ok().flatten() {
            Some(found) => match found.credential {
                Credential::OAuth(t) if t.client_id == *id => t.client_auth.map(|a| a.secret),
                _ => None,
            },
            None => None,
        },
        (None, false) => None,
    };
    let scopes = args
        .scope
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>();
    Ok(LoginOptions {
        no_browser: args.no_browser,
        callback_port: args.callback_port,
        timeout: Duration::from_secs(timeout),
        client_secret,
        scopes: (!scopes.is_empty()).then_some(scopes),
    })
}

/// The key from a hidden prompt on a terminal, or the first line of piped stdin.
pub(super) fn read_key() -> anyhow::Result<String> {
    read_secret("Paste your Himetrica secret key (hm_sk_…, input hidden): ")
        .map_err(anyhow::Error::from)
}

/// A secret from a hidden `prompt` on a terminal, or the first line of piped stdin.
fn read_secret(prompt: &str) -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt)
            .map_err(|e| CliError::new(Exit::Failure, format!("could not read the prompt: {e}")));
    }
    let mut buf = Vec::new();
    stdin
        .lock()
        .take(8 * 1024)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::new(Exit::Failure, format!("could not read stdin: {e}")))?;
    let text = String::from_utf8(buf)
        .map_err(|_| CliError::new(Exit::Usage, "the secret on stdin is not valid UTF-8"))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}
