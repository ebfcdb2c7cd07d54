//! Which client a sign-in uses, in the MCP 2026-07-28 order, for the browser and device
//! flows alike: a pre-registered client from `config.toml` (public, or confidential with its
//! secret) → a Client ID Metadata Document when the server says
//! `client_id_metadata_document_supported` (the URL from `[oauth] client_metadata_url`, else
//! the project's own published document, [`default_metadata_url`]) → registration, which each
//! flow does its own way. Imports `config`, `credentials` and the sibling [`super::metadata`].

use oauth2::{EndpointState, basic::BasicClient};

use super::AuthError;
use super::metadata::ServerMetadata;
use super::registration::secret_method;
use crate::config::OAuthConfig;
use crate::credentials::{ClientAuth, ClientAuthMethod, ClientSource, Secret};
use crate::http::check_url;

/// The project's own Client ID Metadata Document, as shipped in `dist/`: a template whose
/// `client_id` names the GitHub Pages site it is published at, with `OWNER` for the owner.
const SHIPPED_DOCUMENT: &str = include_str!("../../dist/client-metadata.json");

/// The owner placeholder `dist/` files carry (release.sh fills it in).
const OWNER_PLACEHOLDER: &str = "OWNER";

/// The GitHub owner a release is built for: `dist/release.sh` sets it from `RELEASE_OWNER`
/// (or GitHub Actions' `GITHUB_REPOSITORY_OWNER`) and publishes the filled-in document at the
/// URL it names. A development build has none.
const RELEASE_OWNER: Option<&str> = option_env!("ANALYTICS_MCP_RELEASE_OWNER");

/// The default `client_metadata_url`: the shipped document's `client_id` for the owner this
/// build was released under. None in a build without one: nobody serves the placeholder URL,
/// and a server told to fetch it would refuse the sign-in.
pub fn default_metadata_url() -> Option<String> {
    metadata_url_of(SHIPPED_DOCUMENT, RELEASE_OWNER)
}

fn metadata_url_of(document: &str, owner: Option<&str>) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(document).ok()?;
    let id = doc["client_id"].as_str()?;
    // A GitHub owner: 1–39 letters, digits and dashes (anything else would change the URL).
    let owner = owner.filter(|o| {
        (1..=39).contains(&o.len()) && o.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    match owner {
        Some(owner) => Some(id.replace(OWNER_PLACEHOLDER, owner)),
        None => (!id.contains(OWNER_PLACEHOLDER)).then(|| id.to_string()),
    }
}

/// The client id a metadata document gives for `server`: `client_metadata_url` when set (an
/// empty one turns metadata documents off), else the default; `None` when the server does not
/// take them or there is no URL. The URL must be https with a path (draft-ietf-oauth-client-
/// id-metadata-document §3), or http on a loopback host for a local test server.
pub fn metadata_document(
    oauth: &OAuthConfig,
    server: &ServerMetadata,
) -> Result<Option<String>, AuthError> {
    if !server.client_id_metadata_document_supported {
        return Ok(None);
    }
    let raw = match oauth.client_metadata_url.as_deref() {
        Some("") => return Ok(None),
        Some(raw) => raw.to_string(),
        None => match default_metadata_url() {
            Some(url) => url,
            None => return Ok(None),
        },
    };
    match url::Url::parse(&raw) {
        Ok(u) if check_url(&u).is_ok() && u.path() != "/" => Ok(Some(raw)),
        _ => Err(AuthError::Registration(format!(
            "`client_metadata_url` under [oauth] must be an https URL with a path, not `{}`",
            crate::text::clean(&raw, 100)
        ))),
    }
}

/// The client a sign-in uses: its id, a confidential client's secret, and how it was found.
pub struct Chosen {
    pub id: String,
    pub auth: Option<ClientAuth>,
    pub source: ClientSource,
}

impl Chosen {
    pub fn new(id: String, auth: Option<ClientAuth>, source: ClientSource) -> Self {
        Self { id, auth, source }
    }
}

/// The client a sign-in uses before registration: the pre-registered one (with `secret`, sent
/// as `server` asks) or a metadata document's URL; `None` means register.
pub fn before_registration(
    oauth: &OAuthConfig,
    server: &ServerMetadata,
    secret: Option<Secret<String>>,
) -> Result<Option<Chosen>, AuthError> {
    if let Some(id) = &oauth.client_id {
        let auth = secret.map(|secret| ClientAuth {
            secret,
            method: secret_method(server).unwrap_or(ClientAuthMethod::Basic),
        });
        return Ok(Some(Chosen::new(
            id.clone(),
            auth,
            ClientSource::PreRegistered,
        )));
    }
    Ok(metadata_document(oauth, server)?
        .map(|url| Chosen::new(url, None, ClientSource::MetadataDocument)))
}

/// Why a sign-in has no client when `server` offers no dynamic registration, and what to set.
pub fn no_registration(server: &ServerMetadata) -> AuthError {
    let also = if server.client_id_metadata_document_supported {
        ", or `client_metadata_url` (the URL of a Client ID Metadata Document you publish, such as dist/client-metadata.json)"
    } else {
        ""
    };
    AuthError::Registration(format!(
        "{} offers no dynamic client registration; set `client_id` under [oauth] in config.toml (and give its secret, if it has one, to `login --client-secret`){also}",
        server.issuer
    ))
}

/// `client` with a confidential client's secret, sent the way `auth` says; unchanged for a
/// public client.
pub fn with_secret<A, D, I, R, T>(
    client: BasicClient<A, D, I, R, T>,
    auth: Option<&ClientAuth>,
) -> BasicClient<A, D, I, R, T>
where
    A: EndpointState,
    D: EndpointState,
    I: EndpointState,
    R: EndpointState,
    T: EndpointState,
{
    match auth {
        Some(auth) => client
            .set_client_secret(oauth2::ClientSecret::new(auth.secret.expose().clone()))
            .set_auth_type(match auth.method {
                ClientAuthMethod::Basic => oauth2::AuthType::BasicAuth,
                ClientAuthMethod::Post => oauth2::AuthType::RequestBody,
            }),
        None => client,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_shipped_documents_url_for_the_release_owner() {
        let id = metadata_url_of(SHIPPED_DOCUMENT, Some("example-org")).expect("a default");
        assert_eq!(
            id,
            "https://example-org.github.io/analytics-mcp/client-metadata.json"
        );
        // No owner, or one that would bend the URL: no default.
        assert_eq!(metadata_url_of(SHIPPED_DOCUMENT, None), None);
        assert_eq!(metadata_url_of(SHIPPED_DOCUMENT, Some("a/b")), None);
        assert_eq!(metadata_url_of(SHIPPED_DOCUMENT, Some("")), None);
        assert_eq!(
            default_metadata_url(),
            metadata_url_of(SHIPPED_DOCUMENT, RELEASE_OWNER)
        );
    }
}
