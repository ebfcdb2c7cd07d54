//! The stored form of a credential: JSON with a schema version, and when it was written.
//! Imports only the credential types and the store's error.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::credentials::{
    Bound, ClientAuth, ClientAuthMethod, ClientSource, Credential, OAuthTokens, Origin, Secret,
};

/// The record format this release writes.
const SCHEMA: u32 = 1;

/// The stored form: `kind` is `api_key` (with `api_key` and the `origin` it was checked
/// against) or `oauth` (with `oauth`, whose `resource` names its origin). `written_at` (Unix
/// milliseconds) tells the newer of two copies apart when the keychain and the file both hold
/// one. Records from before `origin` and `written_at` existed still load.
#[derive(Serialize, Deserialize)]
struct Record {
    schema: u32,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oauth: Option<OAuthRecord>,
    #[serde(default)]
    written_at: i64,
}

#[derive(Serialize, Deserialize)]
struct OAuthRecord {
    issuer: String,
    client_id: String,
    token_endpoint: String,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    resource: String,
    #[serde(default)]
    scopes: Vec<String>,
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    lifetime_secs: Option<i64>,
    /// A confidential client's secret (kept here, in the credential store, never in config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_endpoint_auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_source: Option<String>,
}

pub(super) fn encode(credential: &Credential) -> Secret<String> {
    let written_at = jiff::Timestamp::now().as_millisecond();
    let record = match credential {
        Credential::ApiKey(key) => Record {
            schema: SCHEMA,
            kind: "api_key".to_string(),
            api_key: Some(key.secret().expose().clone()),
            origin: Some(key.origin().as_str().to_string()),
            oauth: None,
            written_at,
        },
        Credential::OAuth(t) => Record {
            schema: SCHEMA,
            kind: "oauth".to_string(),
            api_key: None,
            origin: None,
            written_at,
            oauth: Some(OAuthRecord {
                issuer: t.issuer.clone(),
                client_id: t.client_id.clone(),
                token_endpoint: t.token_endpoint.clone(),
                revocation_endpoint: t.revocation_endpoint.clone(),
                resource: t.resource.clone(),
                scopes: t.scopes.clone(),
                access_token: t.access_token.expose().clone(),
                refresh_token: t.refresh_token.as_ref().map(|r| r.expose().clone()),
                expires_at: t.expires_at,
                lifetime_secs: t.lifetime_secs,
                client_secret: t.client_auth.as_ref().map(|a| a.secret.expose().clone()),
                token_endpoint_auth_method: t
                    .client_auth
                    .as_ref()
                    .map(|a| a.method.as_str().to_string()),
                client_source: t.client_source.map(|c| c.as_str().to_string()),
            }),
        },
    };
    Secret::new(serde_json::to_string_pretty(&record).unwrap_or_default())
}

/// A stored record and when it was written; `legacy_origin` binds a key stored before
/// records named their origin.
pub(super) fn decode(
    text: &str,
    place: &str,
    legacy_origin: &Origin,
) -> Result<(Credential, i64), StoreError> {
    let unreadable = |why: &str| StoreError::Unreadable {
        place: place.to_string(),
        why: why.to_string(),
    };
    let record: Record = serde_json::from_str(text)
        .map_err(|_| unreadable("it is not a credential record (damaged?)"))?;
    if record.schema != SCHEMA {
        return Err(unreadable(&format!(
            "its format (schema {}) is not this release's ({SCHEMA})",
            record.schema
        )));
    }
    let written = record.written_at;
    let credential = match (record.kind.as_str(), record.api_key, record.oauth) {
        ("api_key", Some(key), None) => {
            let origin = match record.origin {
                Some(raw) => Origin::parse(&raw)
                    .ok_or_else(|| unreadable("the origin it names is not a URL"))?,
                None => legacy_origin.clone(),
            };
            Ok(Credential::ApiKey(Bound::new(Secret::new(key), origin)))
        }
        ("oauth", None, Some(o)) => Ok(Credential::OAuth(OAuthTokens {
            issuer: o.issuer,
            client_id: o.client_id,
            token_endpoint: o.token_endpoint,
            revocation_endpoint: o.revocation_endpoint,
            resource: o.resource,
            scopes: o.scopes,
            access_token: Secret::new(o.access_token),
            refresh_token: o.refresh_token.map(Secret::new),
            expires_at: o.expires_at,
            lifetime_secs: o.lifetime_secs,
            client_auth: o.client_secret.map(|secret| ClientAuth {
                secret: Secret::new(secret),
                method: o
                    .token_endpoint_auth_method
                    .as_deref()
                    .and_then(ClientAuthMethod::parse)
                    .unwrap_or(ClientAuthMethod::Basic),
            }),
            client_source: o.client_source.as_deref().and_then(ClientSource::parse),
        })),
        _ => Err(unreadable("it is neither a key nor a sign-in (damaged?)")),
    }?;
    Ok((credential, written))
}

#[cfg(test)]
#[cfg(unix)] // every test here is about Unix file modes
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::parse("https://app.himetrica.com").unwrap()
    }

    fn key(k: &str) -> Credential {
        Credential::ApiKey(Bound::new(Secret::new(k.into()), origin()))
    }

    fn decoded(text: &str) -> Result<Credential, StoreError> {
        decode(text, "x", &origin()).map(|(c, _)| c)
    }

    #[cfg(unix)]
    #[test]
    fn records_round_trip_and_reject_other_schemas() {
        let c = key("hm_sk_0123456789abcdef");
        let text = encode(&c);
        assert_eq!(decoded(text.expose()).unwrap(), c);
        let newer = text.expose().replace("\"schema\": 1", "\"schema\": 2");
        assert!(decoded(&newer).is_err());
        assert!(decoded("not json").is_err());
        // A key stored before records named their origin is bound to the profile's server.
        let legacy = r#"{"schema": 1, "kind": "api_key", "api_key": "hm_sk_0123456789abcdef"}"#;
        assert_eq!(decoded(legacy).unwrap(), c);
        let elsewhere = text
            .expose()
            .replace("https://app.himetrica.com", "https://other.example");
        match decoded(&elsewhere).unwrap() {
            Credential::ApiKey(k) => assert_eq!(k.origin().as_str(), "https://other.example"),
            other => panic!("{other:?}"),
        }

        let o = Credential::OAuth(OAuthTokens {
            issuer: "https://auth.example".into(),
            client_id: "c1".into(),
            token_endpoint: "https://auth.example/token".into(),
            revocation_endpoint: None,
            resource: "https://api.example/v1".into(),
            scopes: vec!["read".into()],
            access_token: Secret::new("at".into()),
            refresh_token: Some(Secret::new("rt".into())),
            expires_at: Some(1_800_000_000),
            lifetime_secs: Some(3600),
            client_auth: None,
            client_source: Some(ClientSource::Registered),
        });
        assert_eq!(decoded(encode(&o).expose()).unwrap(), o);
        // A confidential client's secret and method come back as stored.
        let Credential::OAuth(mut confidential) = o.clone() else {
            unreachable!()
        };
        confidential.client_auth = Some(ClientAuth {
            secret: Secret::new("s3cret".into()),
            method: ClientAuthMethod::Post,
        });
        let confidential = Credential::OAuth(confidential);
        assert_eq!(
            decoded(encode(&confidential).expose()).unwrap(),
            confidential
        );
        // A record must be one kind or the other, not both.
        let both = encode(&o).expose().replacen(
            "\"kind\": \"oauth\",",
            "\"kind\": \"oauth\", \"api_key\": \"k\",",
            1,
        );
        assert!(decoded(&both).is_err());
    }
}
