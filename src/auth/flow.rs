//! The browser sign-in, start to finish: discover, pick a client id, listen on loopback,
//! open the checked authorization URL, wait for the return, and exchange the code (PKCE S256,
//! RFC 8707 `resource`) with the `oauth2` crate.
//!
//! The client id comes, in the MCP 2026-07-28 order, from: a pre-registered client in
//! `config.toml` (public, or confidential with a secret given on `login`'s stdin and kept in
//! the credential store) → a Client ID Metadata Document (`[oauth] client_metadata_url`) when
//! the server says `client_id_metadata_document_supported` → a registration remembered for
//! this issuer → RFC 7591 dynamic registration. Scopes come from `[oauth] scopes` or
//! `login --scope`, else the resource's 401 challenge, else its `scopes_supported`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
    TokenUrl,
};
use tokio::sync::oneshot;

use super::client::Chosen;
use super::metadata::{self, Discovered, Probe, ServerMetadata};
use super::requests::AuthHttp;
use super::{AuthError, browser, client, loopback, registration};
use crate::config::Settings;
pub use crate::credentials::ClientSource;
use crate::credentials::{OAuthTokens, Secret};

/// How the person wants the sign-in run.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Print the URL instead of opening a browser.
    pub no_browser: bool,
    /// Listen on this port instead of a free one (for SSH port forwarding).
    pub callback_port: Option<u16>,
    /// How long to wait for the browser.
    pub timeout: Duration,
    /// The pre-registered client's secret (from `login`'s stdin, or the credential store).
    pub client_secret: Option<Secret<String>>,
    /// Scopes to ask for instead of the ones discovery suggests.
    pub scopes: Option<Vec<String>>,
}

/// A finished exchange: the tokens, and the browser tab waiting to be told how it ended.
pub struct SignedIn {
    pub tokens: OAuthTokens,
    pub client_source: ClientSource,
    reply: oneshot::Sender<Result<String, String>>,
    server: loopback::Server,
}

impl SignedIn {
    /// Tells the browser tab the outcome (`Ok(" to Project")` or `Err(why)`) and waits until
    /// the page has been delivered.
    pub async fn tell_browser(self, outcome: Result<String, String>) {
        let _ = self.reply.send(outcome);
        self.server.close().await;
    }
}

/// Runs the browser sign-in for the resource at `resource_url` (the Read API, or a hosted MCP
/// server), whose `probe_path` answers 401 with a challenge when asked without a credential.
/// Prints the URL (and a spinner when stderr is a terminal) to stderr; never prints a code, a
/// verifier or a token.
pub async fn login(
    settings: &Settings,
    resource_url: &url::Url,
    probe: Probe<'_>,
    options: &LoginOptions,
) -> Result<SignedIn, AuthError> {
    let http = AuthHttp::new();
    let Target {
        server,
        resource,
        scopes,
    } = target(&http, settings, resource_url, probe, options).await?;
    if !server
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256")
    {
        return Err(AuthError::NoPkce {
            issuer: server.issuer,
        });
    }

    // Reuse the port of a remembered registration when free, so it can be reused too.
    let remembered = registration::remembered(&settings.config_dir, &server.issuer);
    let port = options
        .callback_port
        .or(settings.oauth.callback_port)
        .unwrap_or(0);
    let listener = match (port, &remembered) {
        (0, Some(r)) => match remembered_port(&r.redirect_uri) {
            Some(p) => match loopback::bind(p).await {
                Ok(l) => l,
                Err(_) => loopback::bind(0).await?,
            },
            None => loopback::bind(0).await?,
        },
        (p, _) => loopback::bind(p).await?,
    };
    let redirect_uri = listener.redirect_uri();

    let chosen =
        client::before_registration(&settings.oauth, &server, options.client_secret.clone())?;
    let chosen = match chosen {
        Some(chosen) => chosen,
        None => match remembered.filter(|r| r.redirect_uri == redirect_uri) {
            Some(r) => Chosen::new(r.client_id, None, ClientSource::Remembered),
            None => {
                let endpoint = server
                    .registration_endpoint
                    .as_deref()
                    .ok_or_else(|| client::no_registration(&server))?;
                registration::remember(&settings.config_dir, &server.issuer, None)?;
                let r =
                    registration::register(&http, &server, endpoint, &redirect_uri, &scopes, false)
                        .await?;
                // A client with a secret is not remembered: its secret lives only with the
                // tokens, in the credential store.
                if r.client_auth.is_none() {
                    registration::remember(
                        &settings.config_dir,
                        &server.issuer,
                        Some(&r.registration),
                    )?;
                }
                Chosen::new(
                    r.registration.client_id,
                    r.client_auth,
                    ClientSource::Registered,
                )
            }
        },
    };

    let invalid = |what: &str| AuthError::Discovery {
        api: resource_url.to_string(),
        why: format!("the {what} is not a valid URL"),
    };
    let client = BasicClient::new(ClientId::new(chosen.id.clone()))
        .set_auth_uri(
            AuthUrl::new(server.authorization_endpoint.clone())
                .map_err(|_| invalid("authorization endpoint"))?,
        )
        .set_token_uri(
            TokenUrl::new(server.token_endpoint.clone()).map_err(|_| invalid("token endpoint"))?,
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri).map_err(|_| invalid("redirect URI"))?);
    let client = client::with_secret(client, chosen.auth.as_ref());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", resource.clone())
        .url();
    let auth_url = browser::check_authorization_url(auth_url.as_str(), &server.issuer)?;

    let mut callbacks = listener.serve(
        state.secret().clone(),
        server.issuer.clone(),
        server.authorization_response_iss_parameter_supported,
    );
    crate::output::note(&format!("Sign in to {} in your browser.", server.issuer));
    // With --no-browser none is opened, so the URL is the way in, not a fallback.
    crate::output::note(&if options.no_browser {
        format!("Open this URL in a browser:\n\n  {auth_url}\n")
    } else {
        format!("If no browser opens, visit this URL:\n\n  {auth_url}\n")
    });
    if !options.no_browser
        && let Err(why) = browser::open(&auth_url)
    {
        crate::output::note(&format!("({why}; open the URL above yourself.)"));
    }

    let callback = match wait(&mut callbacks.returns, options.timeout).await {
        Ok(callback) => callback,
        Err(e) => {
            callbacks.close().await;
            return Err(e);
        }
    };
    let token = client
        .exchange_code(AuthorizationCode::new(callback.code))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", resource.clone())
        .request_async(&http)
        .await;
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            let why = super::describe_token_error(&e);
            let _ = callback
                .done
                .send(Err(format!("The code exchange failed: {why}.")));
            return Err(AuthError::Exchange(why));
        }
    };
    Ok(SignedIn {
        client_source: chosen.source,
        tokens: issued(&token, server, resource, scopes, chosen),
        reply: callback.done,
        server: callbacks,
    })
}

/// What both sign-ins start from: the server, the resource, and the scopes to ask for.
pub(super) struct Target {
    pub server: ServerMetadata,
    pub resource: String,
    pub scopes: Vec<String>,
}

/// Discovers the server for `resource_url` and picks the scopes: `login --scope` or `[oauth]
/// scopes`, else the resource's 401 challenge, else its `scopes_supported`.
pub(super) async fn target(
    http: &AuthHttp,
    settings: &Settings,
    resource_url: &url::Url,
    probe: Probe<'_>,
    options: &LoginOptions,
) -> Result<Target, AuthError> {
    let Discovered {
        server,
        resource,
        scopes: resource_scopes,
        challenge_scopes,
    } = metadata::discover(http, resource_url, probe, &settings.oauth).await?;
    let scopes = options
        .scopes
        .clone()
        .or_else(|| settings.oauth.scopes.clone())
        .or(challenge_scopes)
        .unwrap_or(resource_scopes);
    Ok(Target {
        server,
        resource,
        scopes,
    })
}

/// The tokens a sign-in's token response grants, as they are kept: the scopes the server
/// granted (or `asked`, when it names none), an absolute expiry, and how the client signed in.
pub(super) fn issued(
    token: &oauth2::basic::BasicTokenResponse,
    server: ServerMetadata,
    resource: String,
    asked: Vec<String>,
    client: Chosen,
) -> OAuthTokens {
    use oauth2::TokenResponse as _;
    OAuthTokens {
        issuer: server.issuer,
        client_id: client.id,
        token_endpoint: server.token_endpoint,
        revocation_endpoint: server.revocation_endpoint,
        resource,
        scopes: match token.scopes() {
            Some(s) => s.iter().map(|s| s.to_string()).collect(),
            None => asked,
        },
        access_token: Secret::new(token.access_token().secret().clone()),
        refresh_token: token
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone())),
        expires_at: token
            .expires_in()
            .map(|d| jiff::Timestamp::now().as_second() + d.as_secs() as i64),
        lifetime_secs: token.expires_in().map(|d| d.as_secs() as i64),
        client_auth: client.auth,
        client_source: Some(client.source),
    }
}

fn remembered_port(redirect_uri: &str) -> Option<u16> {
    url::Url::parse(redirect_uri).ok()?.port()
}

/// Waits for the browser's return, with a spinner on a terminal, until `timeout`.
async fn wait(
    returns: &mut tokio::sync::mpsc::Receiver<Result<loopback::Callback, AuthError>>,
    timeout: Duration,
) -> Result<loopback::Callback, AuthError> {
    let started = Instant::now();
    let spinner = std::io::stderr().is_terminal();
    if !spinner {
        crate::output::note(&format!(
            "Waiting for the browser (up to {} s)…",
            timeout.as_secs()
        ));
    }
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut frame = 0;
    let outcome = loop {
        tokio::select! {
            got = returns.recv() => break got.unwrap_or(Err(AuthError::Listen("the callback listener stopped".into()))),
            _ = &mut deadline => break Err(AuthError::TimedOut(timeout)),
            _ = tick.tick(), if spinner => {
                let left = timeout.saturating_sub(started.elapsed()).as_secs();
                eprint!("\r{} Waiting for you to approve in the browser… ({left} s left, Ctrl-C to cancel) ", frames[frame % frames.len()]);
                let _ = std::io::stderr().flush();
                frame += 1;
            }
        }
    };
    if spinner {
        eprint!("\r\x1b[2K");
    }
    outcome
}
