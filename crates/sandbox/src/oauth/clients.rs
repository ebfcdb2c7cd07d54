//! Who the clients are: RFC 7591 registration, clients described by a Client ID Metadata
//! Document (fetched from the URL that is their id, then checked), and how a confidential
//! client authenticates (`client_secret_basic` or `client_secret_post`). Imports only the
//! parent module.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AuthServer, Client, bump, oauth_error};

/// The largest metadata document the sandbox reads.
const MAX_DOCUMENT: usize = 64 * 1024;

/// Whether a client may be sent back to `uri`: https, or http on a loopback host.
fn acceptable_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|url| {
        url.scheme() == "https"
            || (url.scheme() == "http"
                && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
    })
}

fn redirect_uris(metadata: &Value) -> Vec<String> {
    metadata["redirect_uris"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect()
}

/// `POST /oauth/register` (RFC 7591): a public client with loopback or https redirect URIs.
pub(super) async fn register(
    State(server): State<Arc<AuthServer>>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "the body is not JSON",
        );
    };
    let uris = redirect_uris(&request);
    if uris.is_empty() || !uris.iter().all(|u| acceptable_redirect(u)) {
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
    let client_id = crate::random("sbx_client_");
    server.inner().clients.insert(
        client_id.clone(),
        Client {
            name: name.clone(),
            redirect_uris: uris.clone(),
        },
    );
    bump(&server.counters.registrations);
    (
        StatusCode::CREATED,
        Json(json!({
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

impl AuthServer {
    /// The client `client_id` names: one registered here, else (when metadata documents are
    /// on and the id is a URL) the one its Client ID Metadata Document describes. `Err` says
    /// why there is none, for the page or error body.
    pub(super) async fn client(&self, client_id: &str) -> Result<Client, String> {
        if let Some(c) = self.inner().clients.get(client_id) {
            return Ok(c.clone());
        }
        let url = url::Url::parse(client_id).ok().filter(|u| {
            u.scheme() == "https" || (u.scheme() == "http" && u.host_str() == Some("127.0.0.1"))
        });
        match url {
            Some(url) if self.options.metadata_documents => self.fetch_document(&url).await,
            _ => Err("Unknown client_id.".to_string()),
        }
    }

    /// Fetches and checks the document at `url` (draft-ietf-oauth-client-id-metadata-document:
    /// its `client_id` is the URL, byte for byte; no client secret; usable redirect URIs).
    async fn fetch_document(&self, url: &url::Url) -> Result<Client, String> {
        let fail = |why: &str| format!("The client metadata document at {url} {why}.");
        bump(&self.counters.metadata_fetches);
        let http = analytics_mcp::http::http_client(|b| b.timeout(Duration::from_secs(5)));
        let answer = http
            .get(url.as_str())
            .send()
            .await
            .map_err(|_| fail("could not be fetched"))?;
        if answer.status() != StatusCode::OK {
            return Err(fail(&format!("answered {}", answer.status().as_u16())));
        }
        let body = answer.bytes().await.map_err(|_| fail("broke off"))?;
        if body.len() > MAX_DOCUMENT {
            return Err(fail("is too large"));
        }
        let doc: Value = serde_json::from_slice(&body).map_err(|_| fail("is not JSON"))?;
        if doc["client_id"].as_str() != Some(url.as_str()) {
            return Err(fail("names another client_id"));
        }
        if doc
            .get("token_endpoint_auth_method")
            .is_some_and(|m| m != "none")
            || doc.get("client_secret").is_some()
        {
            return Err(fail("describes a client with a secret"));
        }
        let uris = redirect_uris(&doc);
        if uris.is_empty() || !uris.iter().all(|u| acceptable_redirect(u)) {
            return Err(fail("has no usable redirect_uris"));
        }
        Ok(Client {
            name: doc["client_name"]
                .as_str()
                .unwrap_or("an unnamed client")
                .to_string(),
            redirect_uris: uris,
        })
    }

    /// Checks how a request authenticates its client and puts the client id in `client_id`
    /// (from HTTP Basic when it came that way). With a confidential client configured, only
    /// its exact secret passes, sent in one of the `allowed` ways (`client_secret_basic`,
    /// `client_secret_post`).
    #[allow(clippy::result_large_err)]
    pub(super) fn authenticate(
        &self,
        headers: &HeaderMap,
        client_id: &mut String,
        client_secret: Option<&str>,
        allowed: &[&str],
    ) -> Result<(), Response> {
        let basic = basic_credentials(headers);
        if let Some((id, _)) = &basic {
            client_id.clone_from(id);
        }
        let Some((id, secret)) = &self.options.confidential else {
            return Ok(());
        };
        let by_basic = basic.as_ref() == Some(&(id.clone(), secret.clone()));
        let by_post = basic.is_none() && client_id == id && client_secret == Some(secret);
        let method = if by_basic {
            "client_secret_basic"
        } else if by_post {
            "client_secret_post"
        } else {
            ""
        };
        if allowed.contains(&method) {
            Ok(())
        } else {
            Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                &format!(
                    "this endpoint takes only {} with the registered secret",
                    allowed.join(" or ")
                ),
            ))
        }
    }
}

impl AuthServer {
    /// [`Self::authenticate`] as the token and device endpoints take a secret
    /// (`client_secret_basic`, as their metadata says).
    #[allow(clippy::result_large_err)]
    pub(super) fn at_token_endpoint(
        &self,
        headers: &HeaderMap,
        client_id: &mut String,
        client_secret: Option<&str>,
    ) -> Result<(), Response> {
        self.authenticate(headers, client_id, client_secret, &["client_secret_basic"])
    }
}

/// The `(client_id, client_secret)` of an `Authorization: Basic` header (each form-encoded,
/// RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}
