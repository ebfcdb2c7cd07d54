//! The sandbox's authorization server, so sign-in can be tried and tested with no account, as
//! an axum [`Router`] merged into the sandbox's: RFC 9728 protected-resource and RFC 8414
//! server metadata ([`metadata`]), clients registered by RFC 7591 or described by a Client ID
//! Metadata Document fetched from their URL ([`clients`]), an authorization endpoint with a
//! real consent page, Approve / Deny ([`authorize`]), a token endpoint that verifies PKCE S256
//! and issues short-lived access tokens and rotating refresh tokens (a reused refresh token is
//! `invalid_grant`, and revokes its family) and RFC 7009 revocation ([`token`]), and RFC 8628
//! device authorization ([`device`]). The Read API accepts these bearer tokens beside the demo
//! key.
//!
//! This file holds the options, the state, the routes and the error bodies the endpoints share. The endpoint files import this one and [`clients`] (client lookup and
//! authentication) only, and `token` hands the device grant to `device`.

mod authorize;
mod clients;
mod device;
mod metadata;
mod token;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

/// The scope the sandbox's Read API understands.
pub const SCOPE: &str = "analytics:read";
/// How long an authorization code may wait for its exchange.
const CODE_TTL: Duration = Duration::from_secs(60);
/// How often a device client may poll, in seconds (RFC 8628 `interval`).
pub const DEVICE_INTERVAL_SECS: u64 = 1;
/// How long a device code lives.
const DEVICE_TTL: Duration = Duration::from_secs(300);

/// How the authorization server behaves, for tests.
#[derive(Debug, Clone)]
pub struct OAuthOptions {
    /// Lifetime of access tokens (short, so tests can see expiry).
    pub access_ttl: Duration,
    /// PKCE methods advertised (and accepted); without `S256` clients must refuse to go on.
    pub pkce_methods: Vec<String>,
    /// An authorization endpoint to advertise instead of the real one (tests of URL checks).
    pub authorization_endpoint: Option<String>,
    /// Whether a revocation endpoint exists.
    pub revocation: bool,
    /// `revocation_endpoint_auth_methods_supported` to advertise; the revocation endpoint then
    /// takes a confidential client's secret only that way (else as the token endpoint does).
    pub revocation_auth_methods: Option<Vec<String>>,
    /// Answer this many refresh grants with 503 before serving them (temporary failures).
    pub refresh_failures: u32,
    /// Hold each refresh grant's answer this long after the tokens have been rotated (a
    /// slow token endpoint: a client that gives up meanwhile has spent its refresh token).
    pub refresh_delay: Duration,
    /// Serve RFC 9728 protected-resource metadata (and name it in 401 challenges). Without
    /// it, clients must fall back to the server's own origin, as with Zenovay.
    pub resource_metadata: bool,
    /// The `iss` sent back with the authorization response: `None` the issuer itself,
    /// `Some("")` none at all, else this value with `{issuer}` replaced by the issuer (so
    /// `"{issuer}/"` is the trailing-slash variant).
    pub iss: Option<String>,
    /// A pre-registered confidential client `(client_id, client_secret)`: registration is
    /// off, and the token endpoint takes only `client_secret_basic` with exactly these.
    pub confidential: Option<(String, String)>,
    /// Offer RFC 8628 device authorization (`/oauth/device`), approved or denied at
    /// `/oauth/device/verify` (or by [`AuthServer::decide_device`] in tests).
    pub device: bool,
    /// Say `client_id_metadata_document_supported` and take an `https` URL (or, so tests can
    /// serve one, `http` on 127.0.0.1) as a client id: the document there is fetched and
    /// checked (its `client_id` is that URL; its redirect URIs are loopback or https).
    pub metadata_documents: bool,
    /// Offer RFC 7591 dynamic registration (`/oauth/register`).
    pub registration: bool,
}

impl Default for OAuthOptions {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(3600),
            pkce_methods: vec!["S256".to_string()],
            authorization_endpoint: None,
            revocation: true,
            revocation_auth_methods: None,
            refresh_failures: 0,
            refresh_delay: Duration::ZERO,
            resource_metadata: true,
            iss: None,
            confidential: None,
            device: true,
            metadata_documents: true,
            registration: true,
        }
    }
}

/// What the authorization server has done, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OAuthStats {
    pub registrations: u64,
    /// Client ID Metadata Documents fetched from their URL (each use fetches it).
    pub metadata_fetches: u64,
    pub consents_shown: u64,
    pub approvals: u64,
    pub denials: u64,
    pub code_exchanges: u64,
    /// Successful refresh grants.
    pub refreshes: u64,
    /// Refresh grants refused with `invalid_grant`.
    pub refresh_rejected: u64,
    pub revocations: u64,
    /// Revocation requests refused because the client did not authenticate as asked.
    pub revocations_refused: u64,
    /// Read API requests whose bearer token was refused.
    pub bearer_rejected: u64,
    /// Device-code token polls, and those answered `slow_down` (polled too soon).
    pub device_polls: u64,
    pub slow_downs: u64,
}

#[derive(Clone)]
struct Client {
    name: String,
    redirect_uris: Vec<String>,
}

struct Pending {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
    resource: Option<String>,
    scope: String,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    resource: Option<String>,
    scope: String,
    issued: Instant,
}

struct Device {
    client_id: String,
    user_code: String,
    scope: String,
    resource: Option<String>,
    issued: Instant,
    last_poll: Option<Instant>,
    /// The person's answer: `None` while they have not decided.
    decision: Option<bool>,
}

struct Access {
    family: u64,
    expires: Instant,
}

struct Refresh {
    client_id: String,
    family: u64,
    scope: String,
    used: bool,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<String, Client>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    /// Device authorizations by device code.
    devices: HashMap<String, Device>,
    next_family: u64,
    device_polls: u64,
    slow_downs: u64,
}

/// Counters kept outside the state lock.
#[derive(Default)]
struct Counters {
    registrations: AtomicU64,
    metadata_fetches: AtomicU64,
    consents_shown: AtomicU64,
    approvals: AtomicU64,
    denials: AtomicU64,
    code_exchanges: AtomicU64,
    refreshes: AtomicU64,
    refresh_rejected: AtomicU64,
    revocations: AtomicU64,
    revocations_refused: AtomicU64,
    bearer_rejected: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

pub struct AuthServer {
    options: OAuthOptions,
    /// The issuer, which is also the sandbox's origin (`http://127.0.0.1:PORT`).
    origin: String,
    inner: Mutex<Inner>,
    counters: Counters,
    refresh_failures_left: AtomicU32,
}

/// The routes of the authorization server (only those its options switch on), for the
/// sandbox's router to merge.
pub fn router<S: Clone + Send + Sync + 'static>(server: Arc<AuthServer>) -> Router<S> {
    let o = &server.options;
    let mut r = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::server),
        )
        .route(
            "/oauth/authorize",
            get(authorize::consent).post(authorize::decide),
        )
        .route("/oauth/token", post(token::token));
    if o.resource_metadata {
        r = r
            .route("/.well-known/oauth-protected-resource", get(metadata::api))
            .route(
                "/.well-known/oauth-protected-resource/api/v1",
                get(metadata::api),
            )
            .route(
                "/.well-known/oauth-protected-resource/mcp",
                get(metadata::mcp),
            );
    }
    if o.registration && o.confidential.is_none() {
        r = r.route("/oauth/register", post(clients::register));
    }
    if o.revocation {
        r = r.route("/oauth/revoke", post(token::revoke));
    }
    if o.device {
        r = r.route("/oauth/device", post(device::authorization)).route(
            "/oauth/device/verify",
            get(device::page).post(device::decide),
        );
    }
    r.with_state(server)
}

/// Whether a grant's `resource` (when it names one) is the one the grant was issued for.
pub(super) fn same_resource(issued_for: Option<&str>, asked: Option<&str>) -> bool {
    issued_for.is_none_or(|r| asked.is_none_or(|x| x == r))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("location", v);
    }
    r
}

impl AuthServer {
    /// The server for the sandbox at `origin`.
    pub fn new(options: OAuthOptions, origin: String) -> Self {
        let mut inner = Inner::default();
        if let Some((id, _)) = &options.confidential {
            inner.clients.insert(
                id.clone(),
                Client {
                    name: "a pre-registered client".to_string(),
                    // A native client's loopback redirect: any port (RFC 8252 §7.3).
                    redirect_uris: vec!["http://127.0.0.1/callback".to_string()],
                },
            );
        }
        Self {
            inner: Mutex::new(inner),
            counters: Counters::default(),
            refresh_failures_left: AtomicU32::new(options.refresh_failures),
            options,
            origin,
        }
    }

    pub fn stats(&self) -> OAuthStats {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let c = &self.counters;
        let (device_polls, slow_downs) = {
            let inner = self.inner();
            (inner.device_polls, inner.slow_downs)
        };
        OAuthStats {
            registrations: n(&c.registrations),
            metadata_fetches: n(&c.metadata_fetches),
            consents_shown: n(&c.consents_shown),
            approvals: n(&c.approvals),
            denials: n(&c.denials),
            code_exchanges: n(&c.code_exchanges),
            refreshes: n(&c.refreshes),
            refresh_rejected: n(&c.refresh_rejected),
            revocations: n(&c.revocations),
            revocations_refused: n(&c.revocations_refused),
            bearer_rejected: n(&c.bearer_rejected),
            device_polls,
            slow_downs,
        }
    }

    /// The person at the verification page approves (or denies) the device sign-in showing
    /// `user_code`; false when no such sign-in is waiting.
    pub fn decide_device(&self, user_code: &str, approve: bool) -> bool {
        let mut inner = self.inner();
        match inner
            .devices
            .values_mut()
            .find(|d| d.user_code == user_code && d.decision.is_none())
        {
            Some(d) => {
                d.decision = Some(approve);
                true
            }
            None => false,
        }
    }

    /// Lets every access token issued so far lapse now, as if its lifetime had run out: tests
    /// use it instead of waiting out a lifetime. Refresh tokens stay good.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for access in self.inner().access.values_mut() {
            access.expires = now;
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `WWW-Authenticate` value for a 401 from the resource at `path` (the Read API's
    /// prefix, or the MCP endpoint).
    pub fn challenge(&self, path: &str, bearer_given: bool) -> String {
        let error = if bearer_given {
            ", error=\"invalid_token\""
        } else {
            ""
        };
        if self.options.resource_metadata {
            format!(
                "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource{path}\"{error}",
                self.origin
            )
        } else {
            format!("Bearer realm=\"sandbox\"{error}")
        }
    }

    /// Whether `token` is a live access token.
    pub fn check_bearer(&self, token: &str) -> bool {
        let ok = self
            .inner()
            .access
            .get(token)
            .is_some_and(|a| a.expires > Instant::now());
        if !ok {
            bump(&self.counters.bearer_rejected);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate as sandbox;
    use crate::SandboxOptions;

    struct Http {
        client: reqwest::Client,
        origin: String,
    }

    impl Http {
        async fn send(&self, r: reqwest::RequestBuilder) -> reqwest::Response {
            r.send().await.expect("the sandbox answers")
        }

        async fn get(&self, path_and_query: &str) -> reqwest::Response {
            let url = format!("{}{path_and_query}", self.origin);
            self.send(self.client.get(url)).await
        }

        async fn form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let r = self
                .client
                .post(format!("{}{path}", self.origin))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            self.send(r).await
        }

        async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
            let r = self.form("/oauth/token", form).await;
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
    }

    fn param(url: &url::Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Registration → consent → approve → code, with this PKCE verifier's challenge.
    async fn code_for(http: &Http, verifier: &str) -> (String, String) {
        let redirect = "http://127.0.0.1:5555/callback";
        let reg = http
            .send(
                http.client
                    .post(format!("{}/oauth/register", http.origin))
                    .json(&serde_json::json!({"redirect_uris": [redirect], "client_name": "t"})),
            )
            .await;
        assert_eq!(reg.status().as_u16(), 201);
        let reg: Value = reg.json().await.expect("JSON");
        let client_id = reg["client_id"].as_str().expect("client_id").to_string();
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
            &oauth2::PkceCodeVerifier::new(verifier.to_string()),
        );
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", redirect),
                ("state", "s1"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let html = http
            .get(&format!("/oauth/authorize?{query}"))
            .await
            .text()
            .await
            .expect("page");
        assert!(html.contains("Northwind Notes (demo)") && html.contains("127.0.0.1:5555"));
        let request = html
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("request id");
        let back = http
            .form(
                "/oauth/authorize",
                &[("request", request), ("decision", "approve")],
            )
            .await;
        let to =
            url::Url::parse(back.headers()["location"].to_str().expect("location")).expect("a URL");
        assert_eq!(param(&to, "state").as_deref(), Some("s1"));
        assert_eq!(param(&to, "iss").as_deref(), Some(http.origin.as_str()));
        (client_id, param(&to, "code").expect("code"))
    }

    #[tokio::test]
    async fn the_token_endpoint_checks_pkce_and_rotates_refresh_tokens() {
        let sandbox = sandbox::start(SandboxOptions::default())
            .await
            .expect("sandbox");
        let http = Http {
            client: analytics_mcp::http::http_client(|b| b),
            origin: sandbox.origin(),
        };
        let verifier = "v".repeat(50);
        let redirect = "http://127.0.0.1:5555/callback";

        // A wrong verifier is refused, and the code is spent either way.
        let (client, code) = code_for(&http, &verifier).await;
        let wrong = "w".repeat(50);
        let exchange = |code: &str, verifier: &str| {
            [
                ("grant_type", "authorization_code".to_string()),
                ("code", code.to_string()),
                ("client_id", client.clone()),
                ("redirect_uri", redirect.to_string()),
                ("code_verifier", verifier.to_string()),
            ]
        };
        let form =
            |pairs: &[(&'static str, String)]| -> Vec<(&'static str, String)> { pairs.to_vec() };
        let send = |pairs: Vec<(&'static str, String)>| {
            let http = &http;
            async move {
                let pairs: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                http.token(&pairs).await
            }
        };
        let (status, answer) = send(form(&exchange(&code, &wrong))).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (status, _) = send(form(&exchange(&code, &verifier))).await;
        assert_eq!(status, 400, "a code is single-use");

        // The right verifier gets tokens; the refresh token rotates, and reuse is refused.
        let (client, code) = code_for(&http, &verifier).await;
        let exchange = [
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("client_id", client.clone()),
            ("redirect_uri", redirect.to_string()),
            ("code_verifier", verifier.clone()),
        ];
        let (status, tokens) = send(exchange.to_vec()).await;
        assert_eq!(status, 200, "{tokens}");
        let oauth = &sandbox.oauth;
        assert!(oauth.check_bearer(tokens["access_token"].as_str().expect("access")));
        let first = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_string();
        let refresh = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", first),
            ("client_id", client),
        ];
        let (status, rotated) = send(refresh.clone()).await;
        assert_eq!(status, 200);
        assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
        let (status, reused) = send(refresh).await;
        assert_eq!(
            (status, reused["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        // Reuse revoked the whole family, the rotated tokens included.
        assert!(!oauth.check_bearer(rotated["access_token"].as_str().expect("access")));
        let stats = oauth.stats();
        assert_eq!((stats.refreshes, stats.refresh_rejected), (1, 1));
    }
}
