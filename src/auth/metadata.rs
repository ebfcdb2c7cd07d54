//! Finding the authorization server for an API: RFC 9728 protected-resource metadata (from a
//! 401's `WWW-Authenticate`, then the well-known paths), then RFC 8414 authorization-server
//! metadata with the OpenID Connect fallbacks (path insertion for issuers with a path) — or
//! endpoints pinned in `config.toml`. A 2025-03-26 MCP server with no metadata at all gets
//! that revision's default endpoints at its root. The challenge's `scope` is kept: it is what
//! the resource asks for (MCP 2025-11-25 "Scope Selection Strategy").

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::AuthError;
use super::challenge::bearer_params;
use super::requests::AuthHttp;
use crate::config::OAuthConfig;

/// The parts of RFC 8414 metadata sign-in uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// How the token endpoint authenticates clients (RFC 8414; empty: `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The server takes an HTTPS URL of a Client ID Metadata Document as `client_id`.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// RFC 8628 device authorization, for `login --device`.
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    /// How the revocation endpoint authenticates clients (RFC 8414; empty: as the token
    /// endpoint does).
    #[serde(default)]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
}

impl ServerMetadata {
    /// A server known by its endpoints alone (pinned in config, or a 2025-03-26 server's
    /// defaults): S256 assumed, no other capability claimed.
    fn without_metadata(
        issuer: String,
        authorization_endpoint: String,
        token_endpoint: String,
        registration_endpoint: Option<String>,
        revocation_endpoint: Option<String>,
    ) -> Self {
        Self {
            issuer,
            authorization_endpoint,
            token_endpoint,
            registration_endpoint,
            revocation_endpoint,
            code_challenge_methods_supported: vec!["S256".to_string()],
            scopes_supported: Vec::new(),
            authorization_response_iss_parameter_supported: false,
            token_endpoint_auth_methods_supported: Vec::new(),
            client_id_metadata_document_supported: false,
            device_authorization_endpoint: None,
            revocation_endpoint_auth_methods_supported: Vec::new(),
        }
    }
}

/// How to make the resource answer with its challenge when asked without a credential.
#[derive(Debug, Clone, Copy)]
pub enum Probe<'a> {
    /// `GET` this path under the API (the Read API's `/me`).
    Get(&'a str),
    /// `POST` an MCP `initialize` to the URL itself (a hosted MCP server).
    McpInitialize,
}

/// What discovery found: the server, and the resource and scopes to ask for.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub server: ServerMetadata,
    /// The RFC 8707 `resource` to send: the protected resource's identifier.
    pub resource: String,
    /// Scopes the resource says it understands (may be empty).
    pub scopes: Vec<String>,
    /// The `scope` of the resource's 401 challenge, when it named one.
    pub challenge_scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ResourceMetadata {
    resource: String,
    #[serde(default)]
    authorization_servers: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

/// `https`, or `http` to a loopback host: the only URLs sign-in sends anything to.
pub fn check_endpoint(raw: &str, what: &str) -> Result<Url, String> {
    let shown = crate::text::clean(&crate::http::redact_url(raw), 200);
    let url = Url::parse(raw).map_err(|_| format!("the {what} `{shown}` is not a URL"))?;
    crate::http::check_url(&url)
        .map_err(|why| format!("refusing the {what} `{shown}`: {}", why.reason()))?;
    Ok(url)
}

/// Discovers the authorization server for `api_url` (which answers `probe` with a 401 when
/// asked without a credential), honouring what `pinned` fixes.
pub async fn discover(
    http: &AuthHttp,
    api_url: &Url,
    probe: Probe<'_>,
    pinned: &OAuthConfig,
) -> Result<Discovered, AuthError> {
    let fail = |why: String| AuthError::Discovery {
        api: api_url.to_string(),
        why,
    };
    if let (Some(auth), Some(token)) = (&pinned.authorization_endpoint, &pinned.token_endpoint) {
        let issuer = match &pinned.issuer {
            Some(i) => i.clone(),
            None => check_endpoint(auth, "authorization endpoint")
                .map_err(fail)?
                .origin()
                .ascii_serialization(),
        };
        // Pinned by the person who configured it; nothing to check against.
        let server = ServerMetadata::without_metadata(
            issuer,
            auth.clone(),
            token.clone(),
            pinned.registration_endpoint.clone(),
            pinned.revocation_endpoint.clone(),
        );
        return finish(server, api_url.to_string(), Vec::new(), None, pinned).map_err(fail);
    }

    let answered_401 = challenge(http, api_url, probe).await?;
    // Only a hosted MCP server that asked for a sign-in gets the 2025-03-26 defaults.
    let may_use_defaults = matches!(probe, Probe::McpInitialize) && answered_401.is_some();
    let challenge = answered_401.unwrap_or_default();
    let challenge_scopes = challenge
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty());
    let (issuer, resource, scopes, has_prm) = match &pinned.issuer {
        Some(issuer) => (issuer.clone(), api_url.to_string(), Vec::new(), true),
        None => {
            match protected_resource(http, api_url, challenge.get("resource_metadata")).await? {
                Some(prm) => {
                    let issuer = prm.authorization_servers.first().cloned().ok_or_else(|| {
                        fail("its protected-resource metadata names no authorization server".into())
                    })?;
                    (issuer, prm.resource, prm.scopes_supported, true)
                }
                // No RFC 9728 metadata: the API's own origin may be its authorization server.
                None => (
                    api_url.origin().ascii_serialization(),
                    api_url.to_string(),
                    Vec::new(),
                    false,
                ),
            }
        }
    };
    let issuer_url = check_endpoint(&issuer, "issuer").map_err(fail)?;
    let server = match server_metadata(http, &issuer_url).await? {
        Some(server) => server,
        // MCP 2025-03-26: a server without any metadata has its endpoints at fixed paths of
        // its own origin.
        None if !has_prm && may_use_defaults => default_endpoints(&issuer_url),
        None => {
            return Err(fail(format!(
                "{issuer} publishes no authorization-server metadata (RFC 8414 or OpenID); pin the endpoints under [oauth] in config.toml, or use `login --with-key`"
            )));
        }
    };
    if trim_slash(&server.issuer) != trim_slash(&issuer) {
        return Err(fail(format!(
            "the metadata at {issuer} names a different issuer ({})",
            server.issuer
        )));
    }
    finish(server, resource, scopes, challenge_scopes, pinned).map_err(fail)
}

/// The MCP 2025-03-26 defaults for a server without metadata: `/authorize`, `/token` and
/// `/register` at the root of its origin, with PKCE (which that revision requires).
fn default_endpoints(origin: &Url) -> ServerMetadata {
    let origin = origin.origin().ascii_serialization();
    ServerMetadata::without_metadata(
        origin.clone(),
        format!("{origin}/authorize"),
        format!("{origin}/token"),
        Some(format!("{origin}/register")),
        None,
    )
}

/// Checks the endpoints and PKCE support, and applies pinned overrides.
fn finish(
    mut server: ServerMetadata,
    resource: String,
    scopes: Vec<String>,
    challenge_scopes: Option<Vec<String>>,
    pinned: &OAuthConfig,
) -> Result<Discovered, String> {
    if let Some(r) = &pinned.registration_endpoint {
        server.registration_endpoint = Some(r.clone());
    }
    if let Some(r) = &pinned.revocation_endpoint {
        server.revocation_endpoint = Some(r.clone());
    }
    check_endpoint(&server.authorization_endpoint, "authorization endpoint")?;
    check_endpoint(&server.token_endpoint, "token endpoint")?;
    for (url, what) in [
        (&server.registration_endpoint, "registration endpoint"),
        (&server.revocation_endpoint, "revocation endpoint"),
        (
            &server.device_authorization_endpoint,
            "device authorization endpoint",
        ),
    ] {
        if let Some(url) = url {
            check_endpoint(url, what)?;
        }
    }
    Ok(Discovered {
        server,
        resource,
        scopes,
        challenge_scopes,
    })
}

fn trim_slash(s: &str) -> &str {
    s.trim_end_matches('/')
}

/// The parameters of the Bearer challenge the resource answers `probe` with (empty when its
/// 401 has none); `None` when it does not answer 401. A resource that cannot be reached at all
/// is an error naming why (refused, DNS, TLS, timeout): every later step would fail the same
/// way, and "no metadata" would hide the cause.
async fn challenge(
    http: &AuthHttp,
    api_url: &Url,
    probe: Probe<'_>,
) -> Result<Option<HashMap<String, String>>, AuthError> {
    let answer = match probe {
        Probe::Get(path) => match Url::parse(&format!(
            "{}{}",
            api_url.as_str().trim_end_matches('/'),
            path
        )) {
            Ok(url) => http.get(&url).await,
            Err(_) => return Ok(None),
        },
        Probe::McpInitialize => {
            let initialize = serde_json::json!({
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "analytics-mcp", "version": env!("CARGO_PKG_VERSION")},
                },
            });
            match http.post_mcp(api_url, &initialize, None).await {
                // A server may let `initialize` through and guard only what follows.
                Ok(answer) if answer.status != 401 => {
                    let session = answer
                        .headers
                        .get("mcp-session-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let list =
                        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
                    http.post_mcp(api_url, &list, session.as_deref()).await
                }
                other => other,
            }
        }
    };
    match answer {
        Ok(answer) if answer.status == 401 => Ok(Some(
            answer
                .headers
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(bearer_params)
                .find(|p| !p.is_empty())
                .unwrap_or_default(),
        )),
        Ok(_) => Ok(None),
        Err(AuthError::Http(why)) => Err(AuthError::Http(format!(
            "could not reach {api_url} to start the sign-in: {why}"
        ))),
        Err(e) => Err(e),
    }
}

/// RFC 9728: the metadata URL from a 401's `WWW-Authenticate: Bearer resource_metadata=…`,
/// else `/.well-known/oauth-protected-resource{path}`, else the same at the root.
async fn protected_resource(
    http: &AuthHttp,
    api_url: &Url,
    from_challenge: Option<&String>,
) -> Result<Option<ResourceMetadata>, AuthError> {
    let mut candidates: Vec<String> = from_challenge.into_iter().cloned().collect();
    let path = api_url.path().trim_end_matches('/');
    let origin = api_url.origin().ascii_serialization();
    if !path.is_empty() {
        candidates.push(format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        ));
    }
    candidates.push(format!("{origin}/.well-known/oauth-protected-resource"));

    for candidate in candidates {
        let Ok(url) = check_endpoint(&candidate, "protected-resource metadata URL") else {
            continue;
        };
        let Ok(answer) = http.get(&url).await else {
            continue;
        };
        if answer.status != 200 {
            continue;
        }
        let Some(prm) = answer
            .json()
            .and_then(|v| serde_json::from_value::<ResourceMetadata>(v).ok())
        else {
            continue;
        };
        // RFC 9728 §3.3: the metadata must be about this API, or a parent path of it.
        let api = trim_slash(api_url.as_str());
        let resource = trim_slash(&prm.resource);
        if api == resource || api.starts_with(&format!("{resource}/")) {
            return Ok(Some(prm));
        }
        tracing::debug!(%resource, %api, "protected-resource metadata is for another resource");
    }
    Ok(None)
}

/// The `scope` of a Bearer challenge (e.g. a 403 `insufficient_scope`), if it names one.
pub fn challenge_scope(header: &str) -> Option<String> {
    bearer_params(header)
        .remove("scope")
        .filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
fn resource_metadata_param(header: &str) -> Option<String> {
    bearer_params(header)
        .remove("resource_metadata")
        .filter(|v| !v.is_empty())
}

/// RFC 8414 §3.1 and OpenID Connect Discovery: for issuer `https://h/p`, try
/// `https://h/.well-known/oauth-authorization-server/p`, `https://h/.well-known/openid-configuration/p`
/// and `https://h/p/.well-known/openid-configuration`.
pub(super) async fn server_metadata(
    http: &AuthHttp,
    issuer: &Url,
) -> Result<Option<ServerMetadata>, AuthError> {
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let mut candidates = vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
    ];
    if !path.is_empty() {
        candidates.push(format!("{origin}{path}/.well-known/openid-configuration"));
    }
    for candidate in candidates {
        let Ok(url) = Url::parse(&candidate) else {
            continue;
        };
        let Ok(answer) = http.get(&url).await else {
            continue;
        };
        if answer.status != 200 {
            continue;
        }
        if let Some(metadata) = answer
            .json()
            .and_then(|v: Value| serde_json::from_value::<ServerMetadata>(v).ok())
        {
            return Ok(Some(metadata));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_metadata_parameter_is_read_quoted_or_bare() {
        assert_eq!(
            resource_metadata_param(
                r#"Bearer realm="api", resource_metadata="https://a.example/.well-known/oauth-protected-resource/v1", error="invalid_token""#
            )
            .as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource/v1")
        );
        assert_eq!(
            resource_metadata_param("Bearer resource_metadata=https://a.example/m, x=y").as_deref(),
            Some("https://a.example/m")
        );
        assert_eq!(resource_metadata_param("Bearer realm=\"x\""), None);
        assert_eq!(resource_metadata_param("Basic resource_metadata=x"), None);
    }

    #[test]
    fn the_challenge_scope_is_read_with_its_spaces_and_escapes() {
        let p = bearer_params(
            r#"Bearer error="insufficient_scope", scope="mcp:read mcp:write", realm="a\"b""#,
        );
        assert_eq!(p["scope"], "mcp:read mcp:write");
        assert_eq!(p["error"], "insufficient_scope");
        assert_eq!(p["realm"], "a\"b");
        assert!(bearer_params("Bearer").is_empty());
    }

    #[test]
    fn only_https_or_loopback_http_endpoints_are_used() {
        assert!(check_endpoint("https://auth.example/token", "t").is_ok());
        assert!(check_endpoint("http://127.0.0.1:9/token", "t").is_ok());
        for bad in [
            "http://auth.example/token",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@auth.example/",
            "not a url",
        ] {
            assert!(check_endpoint(bad, "t").is_err(), "{bad}");
        }
    }
}
