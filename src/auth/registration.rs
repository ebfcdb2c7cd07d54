//! The client id: from `config.toml`, or RFC 7591 dynamic registration as a public client,
//! remembered per issuer in `oauth-clients.json` and dropped when its redirect URI no longer
//! matches the one this sign-in listens on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AuthError;
use super::http::AuthHttp;
use super::metadata::check_endpoint;

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
    std::fs::read_to_string(path(config_dir))
        .ok()
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

/// Registers a public client (`token_endpoint_auth_method: none`) for `redirect_uri`.
pub async fn register(
    http: &AuthHttp,
    endpoint: &str,
    redirect_uri: &str,
    scopes: &[String],
) -> Result<Registration, AuthError> {
    let url = check_endpoint(endpoint, "registration endpoint").map_err(AuthError::Registration)?;
    let mut body = json!({
        "client_name": "analytics-mcp",
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "software_id": "analytics-mcp",
        "software_version": env!("CARGO_PKG_VERSION"),
    });
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
    Ok(Registration {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
    })
}
