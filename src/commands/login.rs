//! `analytics-mcp login --with-key`: read a secret key (hidden prompt or stdin, never argv),
//! check it live against `GET /me`, then store it. A rejected key stores nothing, so the
//! previous credential stays intact.

use std::io::{IsTerminal, Read};

use serde_json::Value;

use crate::api::ApiClient;
use crate::cli::{GlobalArgs, LoginArgs};
use crate::credentials::store::{Saved, Store};
use crate::credentials::{self, Credential};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(global: &GlobalArgs, args: &LoginArgs) -> anyhow::Result<Exit> {
    if !args.with_key {
        // Browser sign-in (OAuth 2.1 + PKCE) is tracked separately and not built yet.
        return Err(CliError::new(
            Exit::Usage,
            "browser sign-in is not available in this release",
        )
        .with_hint("use `analytics-mcp login --with-key` and paste your secret key (Project Settings → API keys)")
        .into());
    }
    let settings = super::settings(global)?;
    let raw = read_key()?;
    let key = credentials::validate_key(&raw).map_err(|m| CliError::new(Exit::Usage, m))?;
    let credential = Credential::ApiKey(key);

    let api = ApiClient::new(
        settings.api_url.clone(),
        Some(credential.clone()),
        settings.limits,
    );
    let me = api
        .get(settings.endpoints.me(), &Vec::new())
        .await
        .map_err(|e| {
            let exit = Exit::Upstream;
            CliError::new(
                exit,
                format!("the key was not stored: {}", e.user_message()),
            )
        })?;

    let saved = Store::new(&settings).save(&credential)?;
    let profile = settings
        .profile
        .as_deref()
        .map(|p| format!(" (profile {p})"))
        .unwrap_or_default();
    output::note(&format!("✓ Signed in{profile}: {}", describe_project(&me)));
    match saved {
        Saved::Keyring => output::note(&format!(
            "  Key {} stored in the OS keychain.",
            credential.masked()
        )),
        Saved::File { path, fallback } => {
            let why = if fallback {
                " (no OS keychain was reachable)"
            } else {
                ""
            };
            output::note(&format!(
                "  Key {} stored in {} with mode 0600{why}.",
                credential.masked(),
                path.display()
            ));
        }
    }
    if env_vars::var(env_vars::API_KEY).is_some() {
        output::warning(&format!(
            "{} is set in this environment and takes precedence over the stored key",
            env_vars::API_KEY
        ));
    }
    Ok(Exit::Success)
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
