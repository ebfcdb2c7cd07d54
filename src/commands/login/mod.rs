//! `analytics-mcp login`: the browser sign-in (OAuth 2.1 + PKCE, see [`crate::auth`]), with
//! `--device` the device sign-in, or with `--with-key` a secret key (hidden prompt or stdin,
//! never argv). Either is checked live against `GET /me` before it is stored; a rejected one
//! stores nothing, so the previous credential stays intact. Hosted MCP profiles are signed in
//! by [`hosted`]; the options and prompts are [`input`]'s.

mod hosted;
mod input;

use std::sync::Arc;

use serde_json::Value;

use super::App;
use super::diagnose::{During, live_check_error};
use crate::api::Auth;
use crate::auth::AuthError;
use crate::auth::metadata::Probe;
use crate::cli::{GlobalArgs, LoginArgs};
use crate::config::Settings;
use crate::credentials::store::Saved;
use crate::credentials::{self, Bound, Credential, Origin};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(global: &GlobalArgs, args: &LoginArgs) -> anyhow::Result<Exit> {
    if let Some(raw) = &args.mcp_url {
        let Some(profile) = crate::config::selected_profile(global.profile.as_deref())? else {
            return Err(CliError::new(Exit::Usage, "--mcp-url needs --profile NAME")
                .with_hint("e.g. analytics-mcp login --mcp-url https://api.zenovay.com/mcp --profile zenovay")
                .into());
        };
        let url = crate::config::parse_mcp_url(raw)?;
        if let Some(header) = &args.key_header
            && reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return Err(CliError::new(
                Exit::Usage,
                format!("`{header}` is not a valid HTTP header name"),
            )
            .into());
        }
        crate::config::set_profile_mcp_url(
            &crate::config::config_dir()?,
            &profile,
            &url,
            args.key_header.as_deref(),
        )?;
        output::note(&format!("Profile `{profile}` now bridges {url}."));
    }
    let app = App::for_sign_in(global)?;
    let settings = &app.settings;
    match (&settings.mcp, args.with_key) {
        (Some(mcp), true) => hosted::hosted_with_key(&app, mcp).await,
        (Some(mcp), false) => hosted::hosted_with_browser(&app, mcp, args).await,
        (None, with_key) => {
            let exit = if with_key {
                with_key_login(&app).await?
            } else {
                with_browser(&app, args).await?
            };
            if global.api_url.is_some() {
                record_api(settings)?;
            }
            Ok(exit)
        }
    }
}

/// After a sign-in with `--api-url`: records the API in `config.toml` (the profile's
/// `api_url`, creating `[profiles.NAME]` if needed), so that `status`, `call`, `serve` and
/// every client entry reach the API the credential was issued for. Nothing is written when
/// the file already says so.
fn record_api(settings: &Settings) -> anyhow::Result<()> {
    let dir = &settings.config_dir;
    let file = crate::config::read_config_file(dir)?;
    let profile = settings.profile.as_deref();
    let recorded = match profile {
        None => file.api_url,
        Some(name) => file.profiles.get(name).and_then(|p| p.api_url.clone()),
    };
    let same = recorded
        .as_deref()
        .and_then(|raw| crate::config::parse_api_url(raw).ok())
        .is_some_and(|url| url == settings.api_url);
    if !same {
        crate::config::set_api_url(dir, profile, &settings.api_url)?;
        output::note(&format!(
            "  API {} recorded for profile {} in {}.",
            settings.api_url,
            profile.unwrap_or(crate::config::DEFAULT_PROFILE),
            dir.join(crate::config::CONFIG_FILE).display()
        ));
    }
    Ok(())
}

async fn with_key_login(app: &App) -> anyhow::Result<Exit> {
    let settings = &app.settings;
    let raw = input::read_key()?;
    let key = credentials::validate_key(&raw).map_err(|m| CliError::new(Exit::Usage, m))?;
    // The key is checked against, stored for and only ever sent to this API's origin.
    let credential = Credential::ApiKey(Bound::new(key, Origin::of(&settings.api_url)));

    let api = Arc::new(app.checking_api(Auth::new(settings, credential.clone())));
    let me = api
        .get(settings.endpoints.me(), &Vec::new())
        .await
        .map_err(|e| live_check_error(&e, settings, During::KeyLogin))?;

    let saved = app.store().save_locked(&credential).await?;
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
    super::probing::after_sign_in(app, &api, &me).await;
    warn_env_key();
    Ok(Exit::Success)
}

/// A finished sign-in, by browser or by device code: the tokens, how the client id was found,
/// and the browser tab (if any) waiting to be told how it ended.
struct Finished {
    tokens: crate::credentials::OAuthTokens,
    client_source: crate::auth::flow::ClientSource,
    browser: Option<crate::auth::flow::SignedIn>,
}

impl Finished {
    async fn tell_browser(self, outcome: Result<String, String>) {
        if let Some(browser) = self.browser {
            browser.tell_browser(outcome).await;
        }
    }

    fn how(&self) -> &'static str {
        if self.browser.is_some() {
            "with the browser"
        } else {
            "with a device code"
        }
    }
}

/// The browser sign-in, or with `--device` the device sign-in.
async fn sign_in(
    app: &App,
    url: &url::Url,
    probe: Probe<'_>,
    args: &LoginArgs,
) -> anyhow::Result<Finished> {
    let settings = &app.settings;
    let options = input::login_options(app, args)?;
    if args.device {
        let done = match crate::auth::device::login(settings, url, probe, &options).await {
            Ok(done) => done,
            Err(AuthError::Cancelled) => return Err(interrupted()),
            Err(e) => return Err(auth_error(e)),
        };
        return Ok(Finished {
            tokens: done.tokens,
            client_source: done.client_source,
            browser: None,
        });
    }
    let signed_in = crate::auth::flow::login(settings, url, probe, &options)
        .await
        .map_err(auth_error)?;
    Ok(Finished {
        tokens: signed_in.tokens.clone(),
        client_source: signed_in.client_source,
        browser: Some(signed_in),
    })
}

async fn with_browser(app: &App, args: &LoginArgs) -> anyhow::Result<Exit> {
    let settings = &app.settings;
    let signed_in = sign_in(
        app,
        &settings.api_url,
        Probe::Get(settings.endpoints.me()),
        args,
    )
    .await?;
    let tokens = signed_in.tokens.clone();
    let client = signed_in.client_source.describe();
    let credential = Credential::OAuth(tokens.clone());
    let api = Arc::new(app.checking_api(Auth::Bearer(tokens.bound_access())));
    let me = match api.get(settings.endpoints.me(), &Vec::new()).await {
        Ok(me) => me,
        Err(e) => {
            signed_in
                .tell_browser(Err(
                    "The API did not accept the new token; see the terminal.".into(),
                ))
                .await;
            return Err(live_check_error(&e, settings, During::BrowserLogin).into());
        }
    };
    let saved = app.store().save_locked(&credential).await?;
    let project = describe_project(&me);
    let name = me
        .get("name")
        .and_then(Value::as_str)
        .map(|n| crate::text::clean(n, 80))
        .unwrap_or_else(|| "the API".into());
    let how = signed_in.how();
    signed_in.tell_browser(Ok(format!(" to {name}"))).await;
    output::note(&format!(
        "✓ Signed in{} {how}: {project}",
        profile_suffix(settings)
    ));
    let scopes = if tokens.scopes.is_empty() {
        String::new()
    } else {
        format!(", scopes {}", tokens.scopes.join(" "))
    };
    output::note(&format!(
        "  Issuer {}{scopes}, with {client}; tokens stored {}.",
        tokens.issuer,
        describe_saved(&saved)
    ));
    super::probing::after_sign_in(app, &api, &me).await;
    warn_env_key();
    Ok(Exit::Success)
}

/// Ctrl-C while a sign-in waits: said plainly, nothing stored, and the exit status a shell
/// gives any command stopped by Ctrl-C (128 + SIGINT), as a browser sign-in interrupted at its
/// spinner has.
fn interrupted() -> anyhow::Error {
    CliError::new(Exit::Interrupted, AuthError::Cancelled.to_string()).into()
}

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
        AuthError::Http(_) => error
            .with_hint("check the network and the API URL (--api-url), then sign in again")
            .into(),
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
            .map(|s| crate::text::clean(s, 80))
            .unwrap_or_else(|| "?".to_string())
    };
    format!(
        "{} — project {}, time zone {}",
        get("name"),
        get("projectId"),
        get("timezone")
    )
}
