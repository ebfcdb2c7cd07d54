//! The sandbox's authorization server, so browser sign-in can be tried and tested with no
//! account: RFC 9728 protected-resource and RFC 8414 server metadata, RFC 7591 registration,
//! an authorization endpoint with a real consent page (Approve / Deny), a token endpoint that
//! verifies PKCE S256 and issues short-lived access tokens and rotating refresh tokens (a
//! reused refresh token is `invalid_grant`, and revokes its family), and RFC 7009 revocation.
//! The Read API accepts these bearer tokens beside the demo key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::data;

/// The scope the sandbox's Read API understands.
pub const SCOPE: &str = "analytics:read";
/// How long an authorization code may wait for its exchange.
const CODE_TTL: Duration = Duration::from_secs(60);

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
}

/// How often a device client may poll, in seconds (RFC 8628 `interval`).
pub const DEVICE_INTERVAL_SECS: u64 = 1;
/// How long a device code lives.
const DEVICE_TTL: Duration = Duration::from_secs(300);

impl Default for OAuthOptions {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(3600),
            pkce_methods: vec!["S256".to_string()],
            authorization_endpoint: None,
            revocation: true,
            refresh_failures: 0,
            refresh_delay: Duration::ZERO,
            resource_metadata: true,
            iss: None,
            confidential: None,
            device: true,
        }
    }
}

/// What the authorization server has done, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OAuthStats {
    pub registrations: u64,
    pub consents_shown: u64,
    pub approvals: u64,
    pub denials: u64,
    pub code_exchanges: u64,
    /// Successful refresh grants.
    pub refreshes: u64,
    /// Refresh grants refused with `invalid_grant`.
    pub refresh_rejected: u64,
    pub revocations: u64,
    /// Read API requests whose bearer token was refused.
    pub bearer_rejected: u64,
    /// Device-code token polls, and those answered `slow_down` (polled too soon).
    pub device_polls: u64,
    pub slow_downs: u64,
}

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

pub struct AuthServer {
    options: OAuthOptions,
    inner: Mutex<Inner>,
    registrations: AtomicU64,
    consents_shown: AtomicU64,
    approvals: AtomicU64,
    denials: AtomicU64,
    code_exchanges: AtomicU64,
    refreshes: AtomicU64,
    refresh_rejected: AtomicU64,
    revocations: AtomicU64,
    bearer_rejected: AtomicU64,
    refresh_failures_left: std::sync::atomic::AtomicU32,
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A form or query string as a map (last value wins).
pub fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

impl AuthServer {
    pub fn new(options: OAuthOptions) -> Self {
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
            registrations: AtomicU64::new(0),
            consents_shown: AtomicU64::new(0),
            approvals: AtomicU64::new(0),
            denials: AtomicU64::new(0),
            code_exchanges: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            refresh_rejected: AtomicU64::new(0),
            revocations: AtomicU64::new(0),
            bearer_rejected: AtomicU64::new(0),
            refresh_failures_left: std::sync::atomic::AtomicU32::new(options.refresh_failures),
            options,
        }
    }

    pub fn stats(&self) -> OAuthStats {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (device_polls, slow_downs) = {
            let inner = self.inner();
            (inner.device_polls, inner.slow_downs)
        };
        OAuthStats {
            registrations: n(&self.registrations),
            consents_shown: n(&self.consents_shown),
            approvals: n(&self.approvals),
            denials: n(&self.denials),
            code_exchanges: n(&self.code_exchanges),
            refreshes: n(&self.refreshes),
            refresh_rejected: n(&self.refresh_rejected),
            revocations: n(&self.revocations),
            bearer_rejected: n(&self.bearer_rejected),
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

    /// RFC 8628 §3.1–3.2: a device code and a user code for a known client.
    fn device_authorization(&self, origin: &str, f: &HashMap<String, String>) -> Response {
        let client_id = f.get("client_id").cloned().unwrap_or_default();
        if !self.inner().clients.contains_key(&client_id) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client_id",
            );
        }
        let device_code = super::random("sbx_device_");
        // Eight letters a person can type, BCDF-GHJK style (RFC 8628 §6.1).
        let letters: Vec<char> = "BCDFGHJKLMNPQRSTVWXZ".chars().collect();
        let raw = super::random("");
        let user_code: String = raw
            .bytes()
            .take(8)
            .enumerate()
            .flat_map(|(i, b)| {
                let c = letters[b as usize % letters.len()];
                if i == 4 { vec!['-', c] } else { vec![c] }
            })
            .collect();
        self.inner().devices.insert(
            device_code.clone(),
            Device {
                client_id,
                user_code: user_code.clone(),
                scope: f.get("scope").cloned().unwrap_or_else(|| SCOPE.to_string()),
                resource: f.get("resource").cloned(),
                issued: Instant::now(),
                last_poll: None,
                decision: None,
            },
        );
        let verify = format!("{origin}/oauth/device/verify");
        axum::Json(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verify,
            "verification_uri_complete": format!("{verify}?user_code={user_code}"),
            "expires_in": DEVICE_TTL.as_secs(),
            "interval": DEVICE_INTERVAL_SECS,
        }))
        .into_response()
    }

    /// RFC 8628 §3.4–3.5: the device-code grant.
    fn device_token(&self, f: &HashMap<String, String>) -> Response {
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let mut inner = self.inner();
        inner.device_polls += 1;
        let Some(d) = inner.devices.get_mut(get("device_code")) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "unknown device code",
            );
        };
        if d.client_id != get("client_id")
            || d.resource
                .as_deref()
                .is_some_and(|r| f.get("resource").is_some_and(|x| x != r))
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "another client's code, or another resource",
            );
        }
        if d.issued.elapsed() > DEVICE_TTL {
            return oauth_error(StatusCode::BAD_REQUEST, "expired_token", "the code expired");
        }
        // A little slack for timers: a poll at the interval is on time.
        let interval = Duration::from_secs(DEVICE_INTERVAL_SECS) - Duration::from_millis(100);
        let too_soon = d.last_poll.is_some_and(|at| at.elapsed() < interval);
        d.last_poll = Some(Instant::now());
        if too_soon {
            inner.slow_downs += 1;
            return oauth_error(StatusCode::BAD_REQUEST, "slow_down", "poll less often");
        }
        match d.decision {
            None => oauth_error(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                "the person has not answered yet",
            ),
            Some(false) => {
                inner.devices.remove(get("device_code"));
                drop(inner);
                self.denials.fetch_add(1, Ordering::Relaxed);
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "access_denied",
                    "the person said no",
                )
            }
            Some(true) => {
                let (client_id, scope) = (d.client_id.clone(), d.scope.clone());
                inner.devices.remove(get("device_code"));
                inner.next_family += 1;
                let family = inner.next_family;
                drop(inner);
                self.approvals.fetch_add(1, Ordering::Relaxed);
                self.code_exchanges.fetch_add(1, Ordering::Relaxed);
                self.issue(&client_id, family, &scope)
            }
        }
    }

    /// The verification page: the code's sign-in, with Approve and Deny.
    fn device_page(&self, q: &HashMap<String, String>) -> Response {
        let code = q.get("user_code").cloned().unwrap_or_default();
        Html(format!(
            "<!doctype html><title>Device sign-in</title><h1>Sign in a device</h1>\
             <form method=\"post\"><label>Code <input name=\"user_code\" value=\"{c}\"></label>\
             <button name=\"decision\" value=\"approve\">Approve</button>\
             <button name=\"decision\" value=\"deny\">Deny</button></form>",
            c = escape(&code)
        ))
        .into_response()
    }

    fn device_decide(&self, f: &HashMap<String, String>) -> Response {
        let code = f.get("user_code").map(String::as_str).unwrap_or("");
        let approve = f.get("decision").map(String::as_str) == Some("approve");
        if self.decide_device(code, approve) {
            Html(if approve {
                "<p id=\"done\">Approved; return to your device.</p>"
            } else {
                "<p id=\"done\">Denied.</p>"
            })
            .into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                Html("<p id=\"error\">No sign-in is waiting for that code.</p>"),
            )
                .into_response()
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `WWW-Authenticate` value for a 401 from the resource at `path` (the Read API's
    /// prefix, or the MCP endpoint).
    pub fn challenge(&self, origin: &str, path: &str, bearer_given: bool) -> String {
        let error = if bearer_given {
            ", error=\"invalid_token\""
        } else {
            ""
        };
        if self.options.resource_metadata {
            format!(
                "Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource{path}\"{error}"
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
            self.bearer_rejected.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Answers the OAuth paths; `None` for any other path.
    pub fn handle(
        &self,
        origin: &str,
        method: &axum::http::Method,
        path: &str,
        query: &HashMap<String, String>,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Option<Response> {
        let post = method == axum::http::Method::POST;
        if path.starts_with("/.well-known/oauth-protected-resource")
            && !self.options.resource_metadata
        {
            return Some(StatusCode::NOT_FOUND.into_response());
        }
        Some(match path {
            "/.well-known/oauth-protected-resource/mcp" => axum::Json(json!({
                "resource": format!("{origin}{}", super::MCP_PATH),
                "authorization_servers": [origin],
                "scopes_supported": [SCOPE],
                "bearer_methods_supported": ["header"],
                "resource_name": "Sandbox hosted MCP server",
            }))
            .into_response(),
            "/.well-known/oauth-protected-resource"
            | "/.well-known/oauth-protected-resource/api/v1" => axum::Json(json!({
                "resource": format!("{origin}{}", super::API_PREFIX),
                "authorization_servers": [origin],
                "scopes_supported": [SCOPE],
                "bearer_methods_supported": ["header"],
                "resource_name": "Himetrica sandbox Read API",
            }))
            .into_response(),
            "/.well-known/oauth-authorization-server" => self.metadata(origin),
            "/oauth/register" if post && self.options.confidential.is_none() => self.register(body),
            "/oauth/authorize" if !post => self.authorize(query),
            "/oauth/authorize" if post => self.decide(origin, &form(body)),
            "/oauth/token" if post => match self.client_authentication(authorization, body) {
                Ok(f) => self.token(&f),
                Err(refused) => refused,
            },
            "/oauth/revoke" if post && self.options.revocation => self.revoke(&form(body)),
            "/oauth/device" if post && self.options.device => {
                match self.client_authentication(authorization, body) {
                    Ok(f) => self.device_authorization(origin, &f),
                    Err(refused) => refused,
                }
            }
            "/oauth/device/verify" if !post && self.options.device => self.device_page(query),
            "/oauth/device/verify" if post && self.options.device => {
                self.device_decide(&form(body))
            }
            _ => return None,
        })
    }

    /// The token request's form, with the client id from HTTP Basic when it came that way.
    /// With a confidential client configured, only its exact Basic credentials pass.
    #[allow(clippy::result_large_err)]
    fn client_authentication(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<HashMap<String, String>, Response> {
        let mut f = form(body);
        let basic = authorization
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|d| String::from_utf8(d).ok())
            .and_then(|d| {
                let (id, secret) = d.split_once(':')?;
                let decode = |s: &str| {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                };
                Some((decode(id)?, decode(secret)?))
            });
        if let Some((id, _)) = &basic {
            f.insert("client_id".to_string(), id.clone());
        }
        match &self.options.confidential {
            Some(expected) if basic.as_ref() != Some(expected) => Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "this token endpoint takes only client_secret_basic with the registered secret",
            )),
            _ => Ok(f),
        }
    }

    fn metadata(&self, origin: &str) -> Response {
        let mut m = json!({
            "issuer": origin,
            "authorization_endpoint": self.options.authorization_endpoint.clone()
                .unwrap_or_else(|| format!("{origin}/oauth/authorize")),
            "token_endpoint": format!("{origin}/oauth/token"),
            "registration_endpoint": format!("{origin}/oauth/register"),
            "scopes_supported": [SCOPE],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": self.options.pkce_methods,
            "authorization_response_iss_parameter_supported": true,
        });
        if self.options.revocation {
            m["revocation_endpoint"] = format!("{origin}/oauth/revoke").into();
        }
        if self.options.device {
            m["device_authorization_endpoint"] = format!("{origin}/oauth/device").into();
        }
        if self.options.confidential.is_some() {
            m["token_endpoint_auth_methods_supported"] = json!(["client_secret_basic"]);
            if let Some(o) = m.as_object_mut() {
                o.remove("registration_endpoint");
            }
        }
        axum::Json(m).into_response()
    }

    fn register(&self, body: &[u8]) -> Response {
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                "the body is not JSON",
            );
        };
        let uris: Vec<String> = request["redirect_uris"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect();
        let acceptable = |u: &String| {
            url::Url::parse(u).is_ok_and(|url| {
                url.scheme() == "https"
                    || (url.scheme() == "http"
                        && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
            })
        };
        if uris.is_empty() || !uris.iter().all(acceptable) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_redirect_uri",
                "redirect_uris must be https or http on a loopback host",
            );
        }
        let name = request["client_name"]
            .as_str()
            .unwrap_or("an unnamed client")
            .to_string();
        let client_id = super::random("sbx_client_");
        self.inner().clients.insert(
            client_id.clone(),
            Client {
                name: name.clone(),
                redirect_uris: uris.clone(),
            },
        );
        self.registrations.fetch_add(1, Ordering::Relaxed);
        (
            StatusCode::CREATED,
            axum::Json(json!({
                "client_id": client_id,
                "client_name": name,
                "redirect_uris": uris,
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            })),
        )
            .into_response()
    }

    /// The consent page. Errors about the client or redirect URI are shown here, never sent
    /// to an unverified redirect URI.
    fn authorize(&self, q: &HashMap<String, String>) -> Response {
        let page_error = |msg: &str| {
            (
                StatusCode::BAD_REQUEST,
                Html(format!(
                    "<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p id=\"error\">{}</p>",
                    escape(msg)
                )),
            )
                .into_response()
        };
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        let (client_id, redirect_uri) = (get("client_id"), get("redirect_uri"));
        let mut inner = self.inner();
        let Some(client) = inner.clients.get(&client_id) else {
            return page_error("Unknown client_id.");
        };
        let loopback_any_port = |registered: &String| {
            let (Ok(r), Ok(u)) = (url::Url::parse(registered), url::Url::parse(&redirect_uri))
            else {
                return false;
            };
            r.port().is_none()
                && r.host_str() == Some("127.0.0.1")
                && u.host_str() == Some("127.0.0.1")
                && r.path() == u.path()
        };
        if !client.redirect_uris.contains(&redirect_uri)
            && !client.redirect_uris.iter().any(loopback_any_port)
        {
            return page_error("redirect_uri is not registered for this client.");
        }
        let client_name = client.name.clone();
        let bounce = |error: &str| {
            let mut to = url::Url::parse(&redirect_uri).expect("registered URIs parse");
            to.query_pairs_mut().append_pair("error", error);
            if let Some(s) = q.get("state") {
                to.query_pairs_mut().append_pair("state", s);
            }
            redirect(to.as_str())
        };
        if get("response_type") != "code" {
            return bounce("unsupported_response_type");
        }
        let method = q
            .get("code_challenge_method")
            .map(String::as_str)
            .unwrap_or("plain");
        if get("code_challenge").is_empty()
            || !self.options.pkce_methods.iter().any(|m| m == method)
        {
            return bounce("invalid_request");
        }
        let scope = q.get("scope").cloned().unwrap_or_else(|| SCOPE.to_string());
        if scope.split_whitespace().any(|s| s != SCOPE) {
            return bounce("invalid_scope");
        }
        let request_id = super::random("sbx_req_");
        let redirect_host = url::Url::parse(&redirect_uri)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
            })
            .unwrap_or_default();
        inner.pending.insert(
            request_id.clone(),
            Pending {
                client_id,
                redirect_uri,
                state: q.get("state").cloned(),
                challenge: get("code_challenge"),
                resource: q.get("resource").cloned(),
                scope: scope.clone(),
            },
        );
        drop(inner);
        self.consents_shown.fetch_add(1, Ordering::Relaxed);
        Html(format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {client} · Himetrica sandbox</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}}</style></head>
<body>
<h1>Allow <span id="client">{client}</span> to read <span id="project">{project}</span>?</h1>
<p>It will be able to read this project's analytics ({scope}). It cannot change anything.</p>
<p>After you decide, you will be sent back to <code id="redirect-host">{host}</code>.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request" value="{request}">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
</body></html>"#,
            client = escape(&client_name),
            project = escape(data::PROJECT_NAME),
            scope = escape(&scope),
            host = escape(&redirect_host),
            request = escape(&request_id),
        ))
        .into_response()
    }

    fn decide(&self, origin: &str, f: &HashMap<String, String>) -> Response {
        let request = f.get("request").cloned().unwrap_or_default();
        let Some(p) = self.inner().pending.remove(&request) else {
            return (
                StatusCode::BAD_REQUEST,
                Html("<p id=\"error\">This request has expired; start again.</p>"),
            )
                .into_response();
        };
        let Ok(mut to) = url::Url::parse(&p.redirect_uri) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        if f.get("decision").map(String::as_str) == Some("approve") {
            let code = super::random("sbx_code_");
            self.inner().codes.insert(
                code.clone(),
                Code {
                    client_id: p.client_id,
                    redirect_uri: p.redirect_uri,
                    challenge: p.challenge,
                    resource: p.resource,
                    scope: p.scope,
                    issued: Instant::now(),
                },
            );
            self.approvals.fetch_add(1, Ordering::Relaxed);
            to.query_pairs_mut().append_pair("code", &code);
        } else {
            self.denials.fetch_add(1, Ordering::Relaxed);
            to.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The request was denied.");
        }
        if let Some(s) = &p.state {
            to.query_pairs_mut().append_pair("state", s);
        }
        match self.options.iss.as_deref() {
            None => {
                to.query_pairs_mut().append_pair("iss", origin);
            }
            Some("") => {}
            Some(other) => {
                to.query_pairs_mut()
                    .append_pair("iss", &other.replace("{issuer}", origin));
            }
        }
        redirect(to.as_str())
    }

    fn token(&self, f: &HashMap<String, String>) -> Response {
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        match get("grant_type") {
            "authorization_code" => {
                let Some(code) = self.inner().codes.remove(get("code")) else {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "unknown or used code",
                    );
                };
                let verifier = oauth2::PkceCodeVerifier::new(get("code_verifier").to_string());
                let computed = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
                if code.issued.elapsed() > CODE_TTL
                    || code.client_id != get("client_id")
                    || code.redirect_uri != get("redirect_uri")
                    || computed.as_str() != code.challenge
                    || code
                        .resource
                        .as_deref()
                        .is_some_and(|r| f.get("resource").is_some_and(|x| x != r))
                {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "the code, client, redirect_uri or code_verifier does not match",
                    );
                }
                self.code_exchanges.fetch_add(1, Ordering::Relaxed);
                let family = {
                    let mut inner = self.inner();
                    inner.next_family += 1;
                    inner.next_family
                };
                self.issue(&code.client_id, family, &code.scope)
            }
            "urn:ietf:params:oauth:grant-type:device_code" if self.options.device => {
                self.device_token(f)
            }
            "refresh_token" => {
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
                let Some(r) = inner.refresh.get_mut(get("refresh_token")) else {
                    drop(inner);
                    self.refresh_rejected.fetch_add(1, Ordering::Relaxed);
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "unknown or revoked refresh token",
                    );
                };
                if r.used || r.client_id != get("client_id") {
                    // Reuse of a rotated token: revoke the whole family (OAuth 2.1 §4.3.1).
                    let family = r.family;
                    inner.refresh.retain(|_, t| t.family != family);
                    inner.access.retain(|_, t| t.family != family);
                    drop(inner);
                    self.refresh_rejected.fetch_add(1, Ordering::Relaxed);
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "refresh token already used",
                    );
                }
                r.used = true;
                let (client_id, family, scope) = (r.client_id.clone(), r.family, r.scope.clone());
                drop(inner);
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                self.issue(&client_id, family, &scope)
            }
            _ => oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            ),
        }
    }

    fn issue(&self, client_id: &str, family: u64, scope: &str) -> Response {
        let access = super::random("sbx_at_");
        let refresh = super::random("sbx_rt_");
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

    fn revoke(&self, f: &HashMap<String, String>) -> Response {
        let token = f.get("token").map(String::as_str).unwrap_or("");
        let mut inner = self.inner();
        if let Some(r) = inner.refresh.remove(token) {
            let family = r.family;
            inner.refresh.retain(|_, t| t.family != family);
            inner.access.retain(|_, t| t.family != family);
        } else {
            inner.access.remove(token);
        }
        drop(inner);
        self.revocations.fetch_add(1, Ordering::Relaxed);
        StatusCode::OK.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    const ORIGIN: &str = "http://127.0.0.1:9";

    fn status_and_json(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let body =
            futures_util::FutureExt::now_or_never(axum::body::to_bytes(r.into_body(), 1 << 20))
                .expect("a ready body")
                .expect("body");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn location(r: &Response) -> url::Url {
        let raw = r.headers()["location"].to_str().expect("location");
        url::Url::parse(raw).expect("a URL")
    }

    fn param(url: &url::Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Registration → consent → approve → code, with this PKCE verifier's challenge.
    fn code_for(server: &AuthServer, verifier: &str) -> (String, String) {
        let redirect = "http://127.0.0.1:5555/callback";
        let body = json!({"redirect_uris": [redirect], "client_name": "t"}).to_string();
        let (status, reg) = status_and_json(
            server
                .handle(
                    ORIGIN,
                    &Method::POST,
                    "/oauth/register",
                    &HashMap::new(),
                    None,
                    body.as_bytes(),
                )
                .expect("route"),
        );
        assert_eq!(status, 201);
        let client_id = reg["client_id"].as_str().expect("client_id").to_string();
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
            &oauth2::PkceCodeVerifier::new(verifier.to_string()),
        );
        let query: HashMap<String, String> = [
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
            ("state", "s1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let page = server
            .handle(ORIGIN, &Method::GET, "/oauth/authorize", &query, None, b"")
            .expect("route");
        let html =
            futures_util::FutureExt::now_or_never(axum::body::to_bytes(page.into_body(), 1 << 20))
                .expect("ready")
                .expect("body");
        let html = String::from_utf8_lossy(&html).into_owned();
        assert!(html.contains("Northwind Notes (demo)") && html.contains("127.0.0.1:5555"));
        let request = html
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("request id");
        let form = format!("request={request}&decision=approve");
        let back = server
            .handle(
                ORIGIN,
                &Method::POST,
                "/oauth/authorize",
                &HashMap::new(),
                None,
                form.as_bytes(),
            )
            .expect("route");
        let to = location(&back);
        assert_eq!(param(&to, "state").as_deref(), Some("s1"));
        assert_eq!(param(&to, "iss").as_deref(), Some(ORIGIN));
        (client_id, param(&to, "code").expect("code"))
    }

    fn token(server: &AuthServer, form: &[(&str, &str)]) -> (u16, Value) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        status_and_json(
            server
                .handle(
                    ORIGIN,
                    &Method::POST,
                    "/oauth/token",
                    &HashMap::new(),
                    None,
                    body.as_bytes(),
                )
                .expect("route"),
        )
    }

    #[test]
    fn the_token_endpoint_checks_pkce_and_rotates_refresh_tokens() {
        let server = AuthServer::new(OAuthOptions::default());
        let verifier = "v".repeat(50);
        let redirect = "http://127.0.0.1:5555/callback";

        // A wrong verifier is refused, and the code is spent either way.
        let (client, code) = code_for(&server, &verifier);
        let wrong = "w".repeat(50);
        let (status, answer) = token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client),
                ("redirect_uri", redirect),
                ("code_verifier", &wrong),
            ],
        );
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (status, _) = token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client),
                ("redirect_uri", redirect),
                ("code_verifier", &verifier),
            ],
        );
        assert_eq!(status, 400, "a code is single-use");

        // The right verifier gets tokens; the refresh token rotates, and reuse is refused.
        let (client, code) = code_for(&server, &verifier);
        let (status, tokens) = token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client),
                ("redirect_uri", redirect),
                ("code_verifier", &verifier),
            ],
        );
        assert_eq!(status, 200, "{tokens}");
        assert!(server.check_bearer(tokens["access_token"].as_str().expect("access")));
        let first = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_string();
        let (status, rotated) = token(
            &server,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &first),
                ("client_id", &client),
            ],
        );
        assert_eq!(status, 200);
        assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
        let (status, reused) = token(
            &server,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &first),
                ("client_id", &client),
            ],
        );
        assert_eq!(
            (status, reused["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        // Reuse revoked the whole family, the rotated tokens included.
        assert!(!server.check_bearer(rotated["access_token"].as_str().expect("access")));
        let stats = server.stats();
        assert_eq!((stats.refreshes, stats.refresh_rejected), (1, 1));
    }
}
