//! RFC 7591 dynamic registration, the last of the ways sign-in gets a client id (after a
//! pre-registered client from `config.toml` and a Client ID Metadata Document, see the
//! `client` module): as a native application (`application_type: "native"`, SEP-837), public
//! unless the token endpoint takes only client secrets. Public registrations are remembered
//! per issuer in `oauth-clients.json` and dropped when their redirect URI no longer matches
//! the one this sign-in listens on; one that came with a secret is never written there (the
//! secret lives only in the credential store, with the tokens).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AuthError;
use super::metadata::{ServerMetadata, check_endpoint};
use super::requests::AuthHttp;
use crate::credentials::{ClientAuth, ClientAuthMethod, Secret};

/// Registrations remembered in the config directory (client ids are not secrets, but the
/// file is written 0600 like the credentials beside it).
pub const FILE: &str = "oauth-clients.json";

/// One remembered registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub client_id: String,
    pub redirect_uri: String,
}

#[derive(Default, Serialize, Deserialize)]
struct Remembered {
    #[serde(default)]
    issuers: BTreeMap<String, Registration>,
}

fn path(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE)
}

fn read(config_dir: &Path) -> Remembered {
    crate::atomic::read_own(&path(config_dir), config_dir)
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The registration remembered for `issuer`, if any.
pub fn remembered(config_dir: &Path, issuer: &str) -> Option<Registration> {
    read(config_dir).issuers.get(issuer).cloned()
}

/// Remembers (or with `None`, forgets) the registration for `issuer`.
pub fn remember(
    config_dir: &Path,
    issuer: &str,
    registration: Option<&Registration>,
) -> Result<(), AuthError> {
    let mut all = read(config_dir);
    match registration {
        Some(r) => {
            all.issuers.insert(issuer.to_string(), r.clone());
        }
        None => {
            all.issuers.remove(issuer);
        }
    }
    let text = serde_json::to_string_pretty(&all).unwrap_or_default();
    crate::credentials::store::write_private(&path(config_dir), text.as_bytes())?;
    Ok(())
}

/// A fresh registration: the client id, and the secret when the server issued one.
pub struct Registered {
    pub registration: Registration,
    pub client_auth: Option<ClientAuth>,
}

/// The way to authenticate at `server`'s token endpoint with a client secret, when it takes
/// no public clients: `client_secret_basic` unless only `client_secret_post` is listed.
pub fn secret_method(server: &ServerMetadata) -> Option<ClientAuthMethod> {
    let methods = &server.token_endpoint_auth_methods_supported;
    if methods.is_empty() || methods.iter().any(|m| m == "none") {
        return None;
    }
    if methods.iter().any(|m| m == "client_secret_basic") {
        Some(ClientAuthMethod::Basic)
    } else if methods.iter().any(|m| m == "client_secret_post") {
        Some(ClientAuthMethod::Post)
    } else {
        None
    }
}

/// Registers a native client for `redirect_uri`: public (`token_endpoint_auth_method:
/// none`), or with a secret when `server`'s token endpoint takes only secrets.
pub async fn register(
    http: &AuthHttp,
    server: &ServerMetadata,
    endpoint: &str,
    redirect_uri: &str,
    scopes: &[String],
    device: bool,
) -> Result<Registered, AuthError> {
    let url = check_endpoint(endpoint, "registration endpoint").map_err(AuthError::Registration)?;
    let wanted = secret_method(server);
    let mut body = json!({
        "client_name": "analytics-mcp",
        "redirect_uris": [redirect_uri],
        "application_type": "native",
        "token_endpoint_auth_method": wanted.map_or("none", ClientAuthMethod::as_str),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "software_id": "analytics-mcp",
        "software_version": env!("CARGO_PKG_VERSION"),
    });
    if device {
        body["grant_types"] = json!([
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token"
        ]);
    }
    if !scopes.is_empty() {
        body["scope"] = scopes.join(" ").into();
    }
    let answer = http.post_json(&url, &body).await?;
    let json = answer.json().unwrap_or_default();
    if !(200..300).contains(&answer.status) {
        let why = json["error_description"]
            .as_str()
            .or(json["error"].as_str())
            .map(|s| crate::text::clean(s, 200))
            .unwrap_or_else(|| format!("status {}", answer.status));
        return Err(AuthError::Registration(format!(
            "dynamic client registration at {endpoint} was refused ({why}); set `client_id` under [oauth] in config.toml if you have one"
        )));
    }
    let client_id = json["client_id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AuthError::Registration(format!(
                "dynamic client registration at {endpoint} answered without a client_id"
            ))
        })?;
    // RFC 7591 §3.2.1: the server may change the method; a secret is used as it says.
    let client_auth = json["client_secret"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(|secret| ClientAuth {
            secret: Secret::new(secret.to_string()),
            method: json["token_endpoint_auth_method"]
                .as_str()
                .and_then(ClientAuthMethod::parse)
                .or(wanted)
                .unwrap_or(ClientAuthMethod::Basic),
        });
    Ok(Registered {
        registration: Registration {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
        },
        client_auth,
    })
}
