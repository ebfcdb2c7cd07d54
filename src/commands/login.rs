//! `analytics-mcp login`: the browser sign-in (OAuth 2.1 + PKCE, see [`crate::auth`]), or with
//! `--with-key` a secret key (hidden prompt or stdin, never argv). Either is checked live
//! against `GET /me` before it is stored; a rejected one stores nothing, so the previous
//! credential stays intact.

use std::io::{IsTerminal, Read};

use serde_json::Value;

use std::time::Duration;

use crate::api::{ApiClient, Auth};
use crate::auth::AuthError;
use crate::auth::flow::LoginOptions;
use crate::cli::{GlobalArgs, LoginArgs};
use crate::config::Settings;
use crate::credentials::store::{Saved, Store};
use crate::credentials::{self, Credential};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(global: &GlobalArgs, args: &LoginArgs) -> anyhow::Result<Exit> {
    let settings = super::settings(global)?;
    if args.with_key {
        with_key(&settings).await
    } else {
        with_browser(&settings, args).await
    }
}

async fn with_key(settings: &Settings) -> anyhow::Result<Exit> {
    let raw = read_key()?;
    let key = credentials::validate_key(&raw).map_err(|m| CliError::new(Exit::Usage, m))?;
    let credential = Credential::ApiKey(key);

    let api = ApiClient::new(
        settings.api_url.clone(),
        Some(Auth::new(settings, credential.clone())),
        settings.limits,
    );
    let me = api
        .get(settings.endpoints.me(), &Vec::new())
        .await
        .map_err(|e| {
            CliError::new(
                Exit::Upstream,
                format!("the key was not stored: {}", e.user_message()),
            )
        })?;

    let saved = Store::new(settings).save(&credential)?;
    output::note(&format!(
        "✓ Signed in{}: {}",
        profile_suffix(settings),
        describe_project(&me)
    ));
    output::note(&format!(
        "  Key {} stored {}.",
        credential.masked(),
        describe_saved(&saved)
    ));
    warn_env_key();
    Ok(Exit::Success)
}

/// The browser sign-in (OAuth 2.1 + PKCE); the tokens are stored only once `GET /me`
/// accepts them.
async fn with_browser(settings: &Settings, args: &LoginArgs) -> anyhow::Result<Exit> {
    let timeout = args
        .timeout
        .or(settings.oauth.login_timeout_secs)
        .unwrap_or(DEFAULT_LOGIN_TIMEOUT_SECS);
    if timeout == 0 {
        return Err(CliError::new(Exit::Usage, "--timeout must be at least 1 second").into());
    }
    let options = LoginOptions {
        no_browser: args.no_browser,
        callback_port: args.callback_port,
        timeout: Duration::from_secs(timeout),
    };
    let signed_in = crate::auth::flow::login(settings, &options)
        .await
        .map_err(auth_error)?;
    let tokens = signed_in.tokens.clone();
    let credential = Credential::OAuth(tokens.clone());
    let api = ApiClient::new(
        settings.api_url.clone(),
        Some(Auth::Bearer(tokens.access_token.clone())),
        settings.limits,
    );
    let me = match api.get(settings.endpoints.me(), &Vec::new()).await {
        Ok(me) => me,
        Err(e) => {
            signed_in
                .tell_browser(Err(
                    "The API did not accept the new token; see the terminal.".into(),
                ))
                .await;
            return Err(CliError::new(
                Exit::Upstream,
                format!("nothing was stored: {}", e.user_message()),
            )
            .into());
        }
    };
    let saved = Store::new(settings).save(&credential)?;
    let project = describe_project(&me);
    let name = me
        .get("name")
        .and_then(Value::as_str)
        .map(|n| crate::api::error::clean(n, 80))
        .unwrap_or_else(|| "the API".into());
    signed_in.tell_browser(Ok(format!(" to {name}"))).await;
    output::note(&format!(
        "✓ Signed in{} with the browser: {project}",
        profile_suffix(settings)
    ));
    let scopes = if tokens.scopes.is_empty() {
        String::new()
    } else {
        format!(", scopes {}", tokens.scopes.join(" "))
    };
    output::note(&format!(
        "  Issuer {}{scopes}; tokens stored {}.",
        tokens.issuer,
        describe_saved(&saved)
    ));
    warn_env_key();
    Ok(Exit::Success)
}

/// How long `login` waits for the browser unless told otherwise.
const DEFAULT_LOGIN_TIMEOUT_SECS: u64 = 300;

/// Exit codes for sign-in failures: a refusal or a bad setup is the user's to fix (2 for
/// usage, 1 otherwise); a server that cannot be reached is 5.
fn auth_error(e: AuthError) -> anyhow::Error {
    let exit = match &e {
        AuthError::PortBusy(_) | AuthError::UnsafeUrl(_) => Exit::Usage,
        AuthError::Discovery { .. } | AuthError::Http(_) | AuthError::Temporary(_) => {
            Exit::Upstream
        }
        _ => Exit::Failure,
    };
    let error = CliError::new(exit, e.to_string());
    match e {
        AuthError::Discovery { .. } | AuthError::NoPkce { .. } => error
            .with_hint("sign in with a secret key instead: `analytics-mcp login --with-key`")
            .into(),
        _ => error.into(),
    }
}

fn profile_suffix(settings: &Settings) -> String {
    settings
        .profile
        .as_deref()
        .map(|p| format!(" (profile {p})"))
        .unwrap_or_default()
}

fn describe_saved(saved: &Saved) -> String {
    match saved {
        Saved::Keyring => "in the OS keychain".to_string(),
        Saved::File { path, fallback } => format!(
            "in {} with mode 0600{}",
            path.display(),
            if *fallback {
                " (no OS keychain was reachable)"
            } else {
                ""
            }
        ),
    }
}

fn warn_env_key() {
    if env_vars::var(env_vars::API_KEY).is_some() {
        output::warning(&format!(
            "{} is set in this environment and takes precedence over the stored credential",
            env_vars::API_KEY
        ));
    }
}

/// `Name — project id, time zone tz` from a `/me` answer.
pub(crate) fn describe_project(me: &Value) -> String {
    let get = |k: &str| {
        me.get(k)
            .and_then(Value::as_str)
            .map(|s| crate::api::error::clean(s, 80))
            .unwrap_or_else(|| "?".to_string())
    };
    format!(
        "{} — project {}, time zone {}",
        get("name"),
        get("projectId"),
        get("timezone")
    )
}

/// The key from a hidden prompt on a terminal, or the first line of piped stdin.
fn read_key() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let key = rpassword::prompt_password(
            "Paste your Himetrica secret key (hm_sk_…, input hidden): ",
        )?;
        return Ok(key);
    }
    let mut buf = Vec::new();
    stdin.lock().take(8 * 1024).read_to_end(&mut buf)?;
    let text = String::from_utf8(buf)
        .map_err(|_| CliError::new(Exit::Usage, "the key on stdin is not valid UTF-8"))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}
