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
use crate::auth::metadata::Probe;
use crate::cli::{GlobalArgs, LoginArgs};
use crate::config::{McpUpstream, Settings};
use crate::credentials::store::{Saved, Store};
use crate::credentials::{self, Bound, Credential, Origin, Secret};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::hosted::client::UpstreamAuth;
use crate::hosted::proxy::Upstream;
use crate::output;

pub async fn run(global: &GlobalArgs, args: &LoginArgs) -> anyhow::Result<Exit> {
    if let Some(raw) = &args.mcp_url {
        let Some(profile) = crate::config::selected_profile(global.profile.as_deref())? else {
            return Err(CliError::new(Exit::Usage, "--mcp-url needs --profile NAME")
                .with_hint("e.g. analytics-mcp login --mcp-url https://api.zenovay.com/mcp --profile zenovay")
                .into());
        };
        let url = crate::config::parse_api_url(raw)?;
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
    let settings = super::settings(global)?;
    match (&settings.mcp, args.with_key) {
        (Some(mcp), true) => hosted_with_key(&settings, mcp).await,
        (Some(mcp), false) => hosted_with_browser(&settings, mcp, args).await,
        (None, true) => with_key(&settings).await,
        (None, false) => with_browser(&settings, args).await,
    }
}

async fn with_key(settings: &Settings) -> anyhow::Result<Exit> {
    let raw = read_key()?;
    let key = credentials::validate_key(&raw).map_err(|m| CliError::new(Exit::Usage, m))?;
    // The key is checked against, stored for and only ever sent to this API's origin.
    let credential = Credential::ApiKey(Bound::new(key, Origin::of(&settings.api_url)));

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

    let saved = Store::new(settings).save_locked(&credential).await?;
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
fn login_options(settings: &Settings, args: &LoginArgs) -> Result<LoginOptions, CliError> {
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
        (Some(id), false) => match Store::new(settings).load().ok().flatten() {
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
    settings: &Settings,
    url: &url::Url,
    probe: Probe<'_>,
    args: &LoginArgs,
) -> anyhow::Result<Finished> {
    let options = login_options(settings, args)?;
    if args.device {
        let done = crate::auth::device::login(settings, url, probe, &options)
            .await
            .map_err(auth_error)?;
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

async fn with_browser(settings: &Settings, args: &LoginArgs) -> anyhow::Result<Exit> {
    let signed_in = sign_in(
        settings,
        &settings.api_url,
        Probe::Get(settings.endpoints.me()),
        args,
    )
    .await?;
    let tokens = signed_in.tokens.clone();
    let client = signed_in.client_source.describe();
    let credential = Credential::OAuth(tokens.clone());
    let api = ApiClient::new(
        settings.api_url.clone(),
        Some(Auth::Bearer(tokens.bound_access())),
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
    let saved = Store::new(settings).save_locked(&credential).await?;
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
    warn_env_key();
    Ok(Exit::Success)
}

/// Browser sign-in to a hosted MCP server: the same flow with the MCP URL as the resource,
/// confirmed by connecting and listing the server's tools before anything is stored.
async fn hosted_with_browser(
    settings: &Settings,
    mcp: &McpUpstream,
    args: &LoginArgs,
) -> anyhow::Result<Exit> {
    let signed_in = sign_in(settings, &mcp.url, Probe::McpInitialize, args).await?;
    let tokens = signed_in.tokens.clone();
    let client = signed_in.client_source.describe();
    let probe = UpstreamAuth::Key {
        header: "Authorization".into(),
        key: tokens.bound_access(),
    };
    let described = match describe_hosted(settings, mcp, probe).await {
        Ok(d) => d,
        Err(why) => {
            signed_in
                .tell_browser(Err(
                    "The server did not accept the new token; see the terminal.".into(),
                ))
                .await;
            return Err(CliError::new(Exit::Upstream, format!("nothing was stored: {why}")).into());
        }
    };
    let saved = Store::new(settings)
        .save_locked(&Credential::OAuth(tokens.clone()))
        .await?;
    let how = signed_in.how();
    signed_in
        .tell_browser(Ok(format!(
            " to {}",
            mcp.url.origin().ascii_serialization()
        )))
        .await;
    output::note(&format!(
        "✓ Signed in{} {how} to {described}",
        profile_suffix(settings)
    ));
    output::note(&format!(
        "  Issuer {}, with {client}; tokens stored {}.",
        tokens.issuer,
        describe_saved(&saved)
    ));
    Ok(Exit::Success)
}

/// A static key (or bearer token) for a hosted MCP server, sent in the profile's
/// `key_header`; checked by connecting before it is stored.
async fn hosted_with_key(settings: &Settings, mcp: &McpUpstream) -> anyhow::Result<Exit> {
    let raw = read_key()?;
    let key = raw.trim();
    if key.is_empty()
        || key.len() > 4096
        || key.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CliError::new(
            Exit::Usage,
            "that is not a usable key: paste the whole key or token, without spaces or quotes",
        )
        .into());
    }
    let key = Bound::new(Secret::new(key.to_string()), Origin::of(&mcp.url));
    let auth = UpstreamAuth::Key {
        header: mcp.key_header.clone(),
        key: key.clone(),
    };
    let described = describe_hosted(settings, mcp, auth)
        .await
        .map_err(|why| CliError::new(Exit::Upstream, format!("the key was not stored: {why}")))?;
    let credential = Credential::ApiKey(key);
    let saved = Store::new(settings).save_locked(&credential).await?;
    output::note(&format!(
        "✓ Signed in{} to {described}",
        profile_suffix(settings)
    ));
    output::note(&format!(
        "  Key {} (sent as {}) stored {}.",
        credential.masked(),
        mcp.key_header,
        describe_saved(&saved)
    ));
    Ok(Exit::Success)
}

/// Connects to the hosted server with `auth` and says what is there: `host: N tools (M kept
/// by this profile's filters)`.
async fn describe_hosted(
    settings: &Settings,
    mcp: &McpUpstream,
    auth: UpstreamAuth,
) -> Result<String, String> {
    let upstream = Upstream::new(
        mcp.clone(),
        settings.profile.as_deref(),
        auth,
        settings.limits,
    );
    let count = super::all_hosted_tools(&upstream).await?.len();
    let host = mcp.url.origin().ascii_serialization();
    let unfiltered = mcp.tools.is_empty() && mcp.exclude_tools.is_empty();
    Ok(if unfiltered {
        format!("{host}: {count} tools")
    } else {
        format!("{host}: {count} tools kept by this profile's filters")
    })
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

/// The key from a hidden prompt on a terminal, or the first line of piped stdin.
fn read_key() -> anyhow::Result<String> {
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
