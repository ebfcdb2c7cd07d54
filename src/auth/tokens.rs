//! Tokens in use: hands out a current access token, refreshing it shortly before it expires
//! and once after the API rejects it, and revokes tokens on sign-out.
//!
//! A refresh can never lose a token chain:
//! - it is one process at a time: a lock file beside the credentials is held across
//!   read → refresh → write;
//! - it always spends the refresh token of the newest stored record, never the one this
//!   process holds in memory, which another process may have rotated (and so spent) since;
//! - it is one refresh per process at a time, run as its own task: a caller that is cancelled
//!   or times out only stops waiting, while the refresh goes on to store the rotated tokens;
//! - keychain and file I/O run on tokio's blocking pool, not on the async workers;
//! - tokens stored since this process read them (another process refreshed, or `login` ran
//!   again for the same server) are taken up before the next request: the credentials file
//!   changing is the signal, checked with one `stat` per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{ClientId, RefreshToken, RequestTokenError, TokenResponse, TokenUrl};

use super::AuthError;
use super::requests::AuthHttp;
use crate::config::Settings;
use crate::credentials::store::{Store, StoreError};
use crate::credentials::{Bound, ClientAuthMethod, Credential, OAuthTokens, Secret};
use crate::http::Backoff;

/// Refresh when the access token has less than this left (or half its lifetime, if shorter).
const MARGIN_SECS: i64 = 30;
/// Attempts at a refresh that fails for a reason other than `invalid_grant`.
const ATTEMPTS: u32 = 3;
/// The waits between those attempts: 500 ms, then 1 s.
const REFRESH_BACKOFF: Backoff = Backoff::doubling(Duration::from_millis(500));

/// The tokens of one sign-in, shared by every call of this process.
pub struct TokenManager {
    inner: Arc<Inner>,
}

struct Inner {
    http: AuthHttp,
    store: Store,
    current: Mutex<OAuthTokens>,
    /// Held by the refresh in flight: later ones wait for it, then use what it stored.
    refreshing: tokio::sync::Mutex<()>,
    refreshes: AtomicU64,
    /// When the credentials file was last modified, as this process last saw it.
    file_seen: Mutex<Option<SystemTime>>,
}

/// Why a refresh is wanted.
#[derive(Clone)]
enum Need {
    /// The access token is about to expire.
    Due,
    /// The server refused this access token.
    Rejected(Secret<String>),
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenManager(…)")
    }
}

impl TokenManager {
    pub fn new(settings: &Settings, tokens: OAuthTokens) -> Self {
        let store = Store::new(settings);
        let file_seen = Mutex::new(modified(store.file_path()));
        Self {
            inner: Arc::new(Inner {
                http: AuthHttp::new(),
                store,
                current: Mutex::new(tokens),
                refreshing: tokio::sync::Mutex::new(()),
                refreshes: AtomicU64::new(0),
                file_seen,
            }),
        }
    }

    /// Refreshes this process has made (for `status` and tests).
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// The tokens as they are now.
    pub async fn tokens(&self) -> OAuthTokens {
        self.inner.current()
    }

    /// An access token good for at least [`MARGIN_SECS`] more, refreshing it if needed.
    pub async fn bearer(&self) -> Result<Bound, AuthError> {
        self.inner.take_up_stored().await;
        let current = self.inner.current();
        if !current.due_for_refresh(MARGIN_SECS) {
            return Ok(current.bound_access());
        }
        Ok(self.refresh(Need::Due).await?.bound_access())
    }

    /// After the server rejected `rejected`: a newer token if another call or process already
    /// refreshed, else a refresh now.
    pub async fn after_rejection(&self, rejected: &Secret<String>) -> Result<Bound, AuthError> {
        let current = self.inner.current();
        if current.access_token != *rejected {
            return Ok(current.bound_access());
        }
        Ok(self
            .refresh(Need::Rejected(rejected.clone()))
            .await?
            .bound_access())
    }

    /// Waits (at most `limit`) for a refresh in flight to store its tokens: a command about
    /// to exit calls this so a timed-out call does not take the rotated tokens with it.
    pub async fn settle(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.inner.refreshing.lock()).await;
    }

    /// Runs the refresh as a task of its own, so dropping this future (a cancelled call, a
    /// deadline) never drops the refresh between the token endpoint's answer and the write.
    async fn refresh(&self, need: Need) -> Result<OAuthTokens, AuthError> {
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.refresh(need).await })
            .await
            .map_err(|e| AuthError::Temporary(format!("the refresh task ended early: {e}")))?
    }
}

impl Inner {
    fn current(&self) -> OAuthTokens {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_current(&self, tokens: OAuthTokens) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = tokens;
    }

    /// When the credentials file changed since this process last looked, takes up what is
    /// stored for this same sign-in (issuer and resource): the store is the truth, whether
    /// another process refreshed or `login` ran again. Another sign-in is left to the refresh
    /// to report. Nothing is read while the file stays as it was.
    async fn take_up_stored(&self) {
        let now = modified(self.store.file_path());
        {
            let mut seen = self.file_seen.lock().unwrap_or_else(|p| p.into_inner());
            if now.is_none() || *seen == now {
                return;
            }
            *seen = now;
        }
        let Ok(Some(found)) = self.store.load_async().await else {
            return;
        };
        let current = self.current();
        if let Credential::OAuth(stored) = found.credential
            && stored.issuer == current.issuer
            && stored.resource == current.resource
            && (stored.access_token != current.access_token
                || stored.expires_at != current.expires_at)
        {
            tracing::debug!("using the tokens stored since this process read them");
            self.set_current(stored);
        }
    }

    /// One refresh in this process at a time, under the cross-process lock, from the newest
    /// stored record.
    async fn refresh(&self, need: Need) -> Result<OAuthTokens, AuthError> {
        let _one = self.refreshing.lock().await;
        // A refresh this process finished while we waited may have done the job.
        let current = self.current();
        let done = match &need {
            Need::Due => !current.due_for_refresh(MARGIN_SECS),
            Need::Rejected(r) => current.access_token != *r,
        };
        if done {
            return Ok(current);
        }
        let _lock = self.lock().await?;
        // The store is the truth: another process may have refreshed, rotating (and so
        // spending) the refresh token this one holds in memory. A stored credential that is
        // no longer this sign-in (a key, another server) is never overwritten.
        let stored = match self.store.load_async().await?.map(|found| found.credential) {
            Some(Credential::OAuth(stored))
                if stored.issuer == current.issuer && stored.resource == current.resource =>
            {
                stored
            }
            Some(_) => {
                return Err(AuthError::SignInAgain(
                    "the stored credential was replaced by another sign-in; restart the MCP client to use it".into(),
                ));
            }
            None => return Err(AuthError::SignInAgain("you were signed out".into())),
        };
        let rejected = match &need {
            Need::Rejected(r) => Some(r),
            Need::Due => None,
        };
        if stored.access_token != current.access_token
            && rejected.is_none_or(|r| stored.access_token != *r)
            && !stored.due_for_refresh(MARGIN_SECS)
        {
            tracing::debug!("using the token another process refreshed");
            self.set_current(stored.clone());
            return Ok(stored);
        }
        let refresh_token = stored.refresh_token.clone().ok_or_else(|| {
            AuthError::SignInAgain("the access token expired and there is no refresh token".into())
        })?;
        let fresh = self.exchange(&stored, &refresh_token).await?;
        // From here the old refresh token is spent: the new tokens must reach the store.
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        self.set_current(fresh.clone());
        if let Err(e) = self
            .store
            .save_async(&Credential::OAuth(fresh.clone()))
            .await
        {
            tracing::warn!(
                "the refreshed tokens could not be stored ({e}); this process keeps using them, other processes will have to sign in again"
            );
        }
        Ok(fresh)
    }

    /// The refresh grant, retried with backoff unless the answer is a definite `invalid_grant`.
    async fn exchange(
        &self,
        current: &OAuthTokens,
        refresh_token: &Secret<String>,
    ) -> Result<OAuthTokens, AuthError> {
        let token_url = TokenUrl::new(current.token_endpoint.clone())
            .map_err(|_| AuthError::SignInAgain("the stored token endpoint is not a URL".into()))?;
        let client = super::client::with_secret(
            BasicClient::new(ClientId::new(current.client_id.clone())).set_token_uri(token_url),
            current.client_auth.as_ref(),
        );
        let mut attempt = 0;
        loop {
            let answer = client
                .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().clone()))
                .add_extra_param("resource", current.resource.clone())
                .request_async(&self.http)
                .await;
            match answer {
                Ok(token) => {
                    return Ok(OAuthTokens {
                        access_token: Secret::new(token.access_token().secret().clone()),
                        // A server that does not rotate keeps the old refresh token valid.
                        refresh_token: token
                            .refresh_token()
                            .map(|r| Secret::new(r.secret().clone()))
                            .or_else(|| current.refresh_token.clone()),
                        expires_at: token
                            .expires_in()
                            .map(|d| jiff::Timestamp::now().as_second() + d.as_secs() as i64),
                        lifetime_secs: token.expires_in().map(|d| d.as_secs() as i64),
                        scopes: token
                            .scopes()
                            .map(|s| s.iter().map(|s| s.to_string()).collect())
                            .unwrap_or_else(|| current.scopes.clone()),
                        ..current.clone()
                    });
                }
                Err(RequestTokenError::ServerResponse(r))
                    if *r.error() == BasicErrorResponseType::InvalidGrant =>
                {
                    return Err(AuthError::SignInAgain(
                        "the authorization server no longer accepts the refresh token (revoked or expired)".into(),
                    ));
                }
                Err(e) => {
                    let why = super::describe_token_error(&e);
                    attempt += 1;
                    if attempt >= ATTEMPTS {
                        return Err(AuthError::Temporary(why));
                    }
                    let wait = REFRESH_BACKOFF.delay(attempt - 1);
                    tracing::debug!(%why, ?wait, "refresh failed; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Takes the cross-process lock (the store's, which `login` and `logout` take too); a
    /// holder that never lets go is a temporary failure, not a broken store.
    async fn lock(&self) -> Result<std::fs::File, AuthError> {
        self.store.lock().await.map_err(|e| match e {
            StoreError::Busy { .. } => AuthError::Temporary(e.to_string()),
            other => other.into(),
        })
    }
}

/// When the file at `path` was last modified (`None` when it is missing or unreadable).
fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// What `logout` did about the tokens at the server.
pub enum Revoked {
    /// Revoked at this endpoint.
    Done(String),
    /// The server has no revocation endpoint.
    Unsupported,
}

/// Revokes the refresh token, then the access token (RFC 7009: a form POST per token, any
/// 200 is success). Done by hand: the `oauth2` crate insists on https here, and the sandbox
/// (like any loopback server) is http. A confidential client authenticates as the server's
/// `revocation_endpoint_auth_methods_supported` asks, else as at its token endpoint.
pub async fn revoke(tokens: &OAuthTokens) -> Result<Revoked, AuthError> {
    let Some(endpoint) = &tokens.revocation_endpoint else {
        return Ok(Revoked::Unsupported);
    };
    let url = super::metadata::check_endpoint(endpoint, "revocation endpoint")
        .map_err(AuthError::Http)?;
    let http = AuthHttp::new();
    let client_auth = match &tokens.client_auth {
        Some(auth) => Some((auth, revocation_method(&http, tokens, auth.method).await)),
        None => None,
    };
    let mut revocable = Vec::new();
    if let Some(r) = &tokens.refresh_token {
        revocable.push((r, "refresh_token"));
    }
    revocable.push((&tokens.access_token, "access_token"));
    for (token, hint) in revocable {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token.expose())
            .append_pair("token_type_hint", hint);
        let answer = match client_auth {
            Some((auth, ClientAuthMethod::Basic)) => {
                let form = form.finish();
                http.post_form_basic(&url, form, &tokens.client_id, auth.secret.expose())
                    .await?
            }
            Some((auth, ClientAuthMethod::Post)) => {
                form.append_pair("client_id", &tokens.client_id)
                    .append_pair("client_secret", auth.secret.expose());
                http.post_form(&url, form.finish()).await?
            }
            None => {
                form.append_pair("client_id", &tokens.client_id);
                http.post_form(&url, form.finish()).await?
            }
        };
        if answer.status != 200 {
            return Err(AuthError::Http(format!(
                "revocation at {endpoint} answered {}",
                answer.status
            )));
        }
    }
    Ok(Revoked::Done(endpoint.clone()))
}

/// How a confidential client authenticates at the revocation endpoint: as the issuer's
/// metadata lists for it (`client_secret_basic` first), else `token_method`, the way the
/// token endpoint takes the secret.
async fn revocation_method(
    http: &AuthHttp,
    tokens: &OAuthTokens,
    token_method: ClientAuthMethod,
) -> ClientAuthMethod {
    let Ok(issuer) = url::Url::parse(&tokens.issuer) else {
        return token_method;
    };
    let listed = match super::metadata::server_metadata(http, &issuer).await {
        Ok(Some(m)) => m.revocation_endpoint_auth_methods_supported,
        _ => Vec::new(),
    };
    let has = |m: &str| listed.iter().any(|l| l == m);
    if has(ClientAuthMethod::Basic.as_str()) {
        ClientAuthMethod::Basic
    } else if has(ClientAuthMethod::Post.as_str()) {
        ClientAuthMethod::Post
    } else {
        token_method
    }
}
