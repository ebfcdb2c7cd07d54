//! Finding the authorization server for an API: RFC 9728 protected-resource metadata (from a
//! 401's `WWW-Authenticate`, then the well-known paths), then RFC 8414 authorization-server
//! metadata with the OpenID Connect fallbacks — or endpoints pinned in `config.toml`.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::AuthError;
use super::http::AuthHttp;
use crate::config::{OAuthConfig, is_loopback_host};

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
}

/// What discovery found: the server, and the resource and scopes to ask for.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub server: ServerMetadata,
    /// The RFC 8707 `resource` to send: the protected resource's identifier.
    pub resource: String,
    /// Scopes the resource says it understands (may be empty).
    pub scopes: Vec<String>,
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
    let url = Url::parse(raw).map_err(|_| format!("the {what} `{raw}` is not a URL"))?;
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback_host(&url),
        _ => false,
    };
    if ok && url.username().is_empty() && url.password().is_none() {
        Ok(url)
    } else {
        Err(format!(
            "the {what} `{raw}` is not https (or http to a loopback host)"
        ))
    }
}

/// Discovers the authorization server for `api_url` (whose `probe_path` answers 401 without a
/// credential), honouring what `pinned` fixes.
pub async fn discover(
    http: &AuthHttp,
    api_url: &Url,
    probe_path: &str,
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
        let server = ServerMetadata {
            issuer,
            authorization_endpoint: auth.clone(),
            token_endpoint: token.clone(),
            registration_endpoint: pinned.registration_endpoint.clone(),
            revocation_endpoint: pinned.revocation_endpoint.clone(),
            // Pinned by the person who configured it; nothing to check against.
            code_challenge_methods_supported: vec!["S256".to_string()],
            scopes_supported: Vec::new(),
            authorization_response_iss_parameter_supported: false,
        };
        return finish(server, api_url.to_string(), Vec::new(), pinned).map_err(fail);
    }

    let (issuer, resource, scopes) = match &pinned.issuer {
        Some(issuer) => (issuer.clone(), api_url.to_string(), Vec::new()),
        None => match protected_resource(http, api_url, probe_path).await? {
            Some(prm) => {
                let issuer = prm.authorization_servers.first().cloned().ok_or_else(|| {
                    fail("its protected-resource metadata names no authorization server".into())
                })?;
                (issuer, prm.resource, prm.scopes_supported)
            }
            // No RFC 9728 metadata: the API's own origin may be its authorization server.
            None => (
                api_url.origin().ascii_serialization(),
                api_url.to_string(),
                Vec::new(),
            ),
        },
    };
    let issuer_url = check_endpoint(&issuer, "issuer").map_err(fail)?;
    let server = server_metadata(http, &issuer_url).await?.ok_or_else(|| {
        fail(format!(
            "{issuer} publishes no authorization-server metadata (RFC 8414 or OpenID); pin the endpoints under [oauth] in config.toml, or use `login --with-key`"
        ))
    })?;
    if trim_slash(&server.issuer) != trim_slash(&issuer) {
        return Err(fail(format!(
            "the metadata at {issuer} names a different issuer ({})",
            server.issuer
        )));
    }
    finish(server, resource, scopes, pinned).map_err(fail)
}

/// Checks the endpoints and PKCE support, and applies pinned overrides.
fn finish(
    mut server: ServerMetadata,
    resource: String,
    scopes: Vec<String>,
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
    ] {
        if let Some(url) = url {
            check_endpoint(url, what)?;
        }
    }
    Ok(Discovered {
        server,
        resource,
        scopes,
    })
}

fn trim_slash(s: &str) -> &str {
    s.trim_end_matches('/')
}

/// RFC 9728: the metadata URL from a 401's `WWW-Authenticate: Bearer resource_metadata=…`,
/// else `/.well-known/oauth-protected-resource{path}`, else the same at the root.
async fn protected_resource(
    http: &AuthHttp,
    api_url: &Url,
    probe_path: &str,
) -> Result<Option<ResourceMetadata>, AuthError> {
    let mut candidates = Vec::new();
    let probe = Url::parse(&format!(
        "{}{}",
        api_url.as_str().trim_end_matches('/'),
        probe_path
    ));
    if let Ok(probe) = probe
        && let Ok(answer) = http.get(&probe).await
        && answer.status == 401
        && let Some(url) = answer
            .headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(resource_metadata_param)
    {
        candidates.push(url);
    }
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

/// The `resource_metadata="…"` parameter of a Bearer challenge.
fn resource_metadata_param(header: &str) -> Option<String> {
    let (_, rest) = header.split_once("resource_metadata=")?;
    let rest = rest.trim_start();
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next()?
    } else {
        rest.split([',', ' ']).next()?
    };
    (!value.is_empty()).then(|| value.to_string())
}

/// RFC 8414 §3.1 and OpenID Connect Discovery: for issuer `https://h/p`, try
/// `https://h/.well-known/oauth-authorization-server/p`, `https://h/.well-known/openid-configuration/p`
/// and `https://h/p/.well-known/openid-configuration`.
async fn server_metadata(
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
