//! The token endpoint (authorization-code grant with PKCE S256, rotating refresh tokens whose
//! reuse revokes the family, and the device grant handed to [`super::device`]) and RFC 7009
//! revocation, which a confidential client must authenticate to as the metadata says.
//! Imports the parent module, [`super::clients`] (through [`AuthServer::authenticate`]) and
//! [`super::device`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Access, AuthServer, CODE_TTL, Refresh, bump, device, oauth_error, same_resource};

/// A token request's form, whichever grant it is.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub code: String,
    pub code_verifier: String,
    pub redirect_uri: String,
    pub refresh_token: String,
    pub device_code: String,
    pub resource: Option<String>,
}

/// `POST /oauth/token`.
pub(super) async fn token(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    Form(mut f): Form<TokenRequest>,
) -> Response {
    if let Err(refused) =
        server.at_token_endpoint(&headers, &mut f.client_id, f.client_secret.as_deref())
    {
        return refused;
    }
    match f.grant_type.as_str() {
        "authorization_code" => server.code_grant(&f),
        "urn:ietf:params:oauth:grant-type:device_code" if server.options.device => {
            device::poll(&server, &f.device_code, &f.client_id, f.resource.as_deref())
        }
        "refresh_token" => {
            let response = server.refresh_grant(&f);
            // A slow token endpoint answers late, after it has already rotated the tokens.
            let delay = server.options.refresh_delay;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            response
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "use authorization_code or refresh_token",
        ),
    }
}

impl AuthServer {
    fn code_grant(&self, f: &TokenRequest) -> Response {
        let Some(code) = self.inner().codes.remove(&f.code) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "unknown or used code",
            );
        };
        let verifier = oauth2::PkceCodeVerifier::new(f.code_verifier.clone());
        let computed = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        if code.issued.elapsed() > CODE_TTL
            || code.client_id != f.client_id
            || code.redirect_uri != f.redirect_uri
            || computed.as_str() != code.challenge
            || !same_resource(code.resource.as_deref(), f.resource.as_deref())
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "the code, client, redirect_uri or code_verifier does not match",
            );
        }
        bump(&self.counters.code_exchanges);
        self.issue(&code.client_id, self.new_family(), &code.scope)
    }

    /// A refresh grant refused as `invalid_grant` because `why`, and counted.
    fn refresh_rejected(&self, why: &str) -> Response {
        bump(&self.counters.refresh_rejected);
        oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
    }

    fn refresh_grant(&self, f: &TokenRequest) -> Response {
        let failing = self
            .refresh_failures_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "try again shortly",
            );
        }
        let mut inner = self.inner();
        let Some(r) = inner.refresh.get_mut(&f.refresh_token) else {
            drop(inner);
            return self.refresh_rejected("unknown or revoked refresh token");
        };
        if r.used || r.client_id != f.client_id {
            // Reuse of a rotated token: revoke the whole family (OAuth 2.1 §4.3.1).
            let family = r.family;
            inner.refresh.retain(|_, t| t.family != family);
            inner.access.retain(|_, t| t.family != family);
            drop(inner);
            return self.refresh_rejected("refresh token already used");
        }
        r.used = true;
        let (client_id, family, scope) = (r.client_id.clone(), r.family, r.scope.clone());
        drop(inner);
        bump(&self.counters.refreshes);
        self.issue(&client_id, family, &scope)
    }
}

/// A revocation request's form (RFC 7009 §2.1).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Revocation {
    token: String,
    client_id: String,
    client_secret: Option<String>,
}

/// `POST /oauth/revoke`: a refresh token takes its whole family with it.
pub(super) async fn revoke(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    Form(mut f): Form<Revocation>,
) -> Response {
    let allowed: Vec<&str> = match &server.options.revocation_auth_methods {
        Some(methods) => methods.iter().map(String::as_str).collect(),
        None => vec!["client_secret_basic"],
    };
    if let Err(refused) = server.authenticate(
        &headers,
        &mut f.client_id,
        f.client_secret.as_deref(),
        &allowed,
    ) {
        bump(&server.counters.revocations_refused);
        return refused;
    }
    let mut inner = server.inner();
    if let Some(r) = inner.refresh.remove(&f.token) {
        let family = r.family;
        inner.refresh.retain(|_, t| t.family != family);
        inner.access.retain(|_, t| t.family != family);
    } else {
        inner.access.remove(&f.token);
    }
    drop(inner);
    bump(&server.counters.revocations);
    StatusCode::OK.into_response()
}

impl AuthServer {
    /// A new token family (all the tokens one grant leads to, revoked together).
    pub(super) fn new_family(&self) -> u64 {
        let mut inner = self.inner();
        inner.next_family += 1;
        inner.next_family
    }

    /// The token response: a fresh access token and refresh token of `family`.
    pub(super) fn issue(&self, client_id: &str, family: u64, scope: &str) -> Response {
        let access = crate::random("sbx_at_");
        let refresh = crate::random("sbx_rt_");
        let ttl = self.options.access_ttl;
        let mut inner = self.inner();
        inner.access.insert(
            access.clone(),
            Access {
                family,
                expires: Instant::now() + ttl,
            },
        );
        inner.refresh.insert(
            refresh.clone(),
            Refresh {
                client_id: client_id.to_string(),
                family,
                scope: scope.to_string(),
                used: false,
            },
        );
        drop(inner);
        let mut r = axum::Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl.as_secs_f64().ceil() as u64,
            "refresh_token": refresh,
            "scope": scope,
        }))
        .into_response();
        r.headers_mut()
            .insert("cache-control", HeaderValue::from_static("no-store"));
        r
    }
}
