//! The stores behind `login`/`logout`: the OS keychain (`keyring`) and the 0600 file.
//!
//! A stored record is JSON with a schema version (never the program version), so a later
//! release can read what an earlier one wrote. File writes are atomic: write a temp file,
//! fsync, rename; a crash mid-write leaves the previous credential in place.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Credential, OAuthTokens, Resolved, Secret, Source};
use crate::config::{Settings, StorePreference};

/// The keychain service name; the account is the profile (`default`, or `profile:NAME`).
pub const KEYRING_SERVICE: &str = "analytics-mcp";
const KEYRING_ACCOUNT: &str = "default";
/// The credentials file inside the config directory (the default profile's; a named
/// profile's is `credentials.NAME.json`).
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The keychain account and the file that hold `profile`'s credential.
pub fn location(config_dir: &Path, profile: Option<&str>) -> (String, PathBuf) {
    match profile {
        None => (
            KEYRING_ACCOUNT.to_string(),
            config_dir.join(CREDENTIALS_FILE),
        ),
        Some(name) => (
            format!("profile:{name}"),
            config_dir.join(format!("credentials.{name}.json")),
        ),
    }
}
/// The record format this release writes.
const SCHEMA: u32 = 1;
/// A keychain that does not answer in this time is treated as unreachable (D-Bus can hang).
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The stored form: `kind` is `api_key` (with `api_key`) or `oauth` (with `oauth`).
#[derive(Serialize, Deserialize)]
struct Record {
    schema: u32,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oauth: Option<OAuthRecord>,
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
}

/// Why a store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the OS keychain is not reachable ({0}); set ANALYTICS_MCP_CREDENTIAL_STORE=file to use the credentials file instead"
    )]
    KeyringUnavailable(String),
    #[error("the OS keychain failed: {0}")]
    Keyring(String),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the stored credential in {0} is unreadable (written by a newer release, or damaged); run `analytics-mcp logout` then `analytics-mcp login`"
    )]
    Corrupt(String),
}

/// Where `save` put the credential, for the message `login` prints.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    Keyring,
    /// The file, and whether it was used because no keychain was reachable.
    File {
        path: PathBuf,
        fallback: bool,
    },
}

/// The credential stores as the settings select them.
pub struct Store {
    preference: StorePreference,
    account: String,
    file: PathBuf,
}

impl Store {
    /// The stores for the settings' profile.
    pub fn new(settings: &Settings) -> Self {
        let (account, file) = location(&settings.config_dir, settings.profile.as_deref());
        Self {
            preference: settings.store,
            account,
            file,
        }
    }

    pub fn file_path(&self) -> &Path {
        &self.file
    }

    /// The stored credential, or `None`.
    pub fn load(&self) -> Result<Option<Resolved>, StoreError> {
        if self.preference != StorePreference::File {
            match keyring_call(&self.account, |e| e.get_password()) {
                Ok(text) => {
                    return Ok(Some(Resolved {
                        credential: decode(&text, "the OS keychain")?,
                        source: Source::Keyring,
                    }));
                }
                Err(KeyringFailure::NoEntry) => {}
                Err(KeyringFailure::Unavailable(why)) => {
                    if self.preference == StorePreference::Keyring {
                        return Err(StoreError::KeyringUnavailable(why));
                    }
                    tracing::debug!(%why, "keychain unreachable; using the file store");
                }
                Err(KeyringFailure::Other(why)) => return Err(StoreError::Keyring(why)),
            }
            if self.preference == StorePreference::Keyring {
                return Ok(None);
            }
        }
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: self.file.clone(),
                    source,
                });
            }
        };
        Ok(Some(Resolved {
            credential: decode(&text, &self.file.display().to_string())?,
            source: Source::File(self.file.clone()),
        }))
    }

    /// Stores `credential`, replacing what was there.
    pub fn save(&self, credential: &Credential) -> Result<Saved, StoreError> {
        let text = encode(credential);
        if self.preference != StorePreference::File {
            let owned = text.clone();
            match keyring_call(&self.account, move |e| e.set_password(owned.expose())) {
                Ok(()) => {
                    // One source of truth: a file left from an earlier headless login would
                    // otherwise resurface after a later logout.
                    let _ = std::fs::remove_file(&self.file);
                    return Ok(Saved::Keyring);
                }
                Err(KeyringFailure::Unavailable(why)) | Err(KeyringFailure::Other(why))
                    if self.preference == StorePreference::Auto =>
                {
                    tracing::debug!(%why, "keychain unusable; writing the file store");
                }
                Err(KeyringFailure::Unavailable(why)) => {
                    return Err(StoreError::KeyringUnavailable(why));
                }
                Err(KeyringFailure::NoEntry) => {
                    return Err(StoreError::Keyring("no entry".into()));
                }
                Err(KeyringFailure::Other(why)) => return Err(StoreError::Keyring(why)),
            }
        }
        write_private(&self.file, text.expose().as_bytes())?;
        Ok(Saved::File {
            path: self.file.clone(),
            fallback: self.preference == StorePreference::Auto,
        })
    }

    /// Removes every stored credential this store can reach. Returns what was removed, as
    /// sentences for `logout` to print; an empty list means there was nothing to remove.
    pub fn delete(&self) -> Result<Vec<String>, StoreError> {
        let mut removed = Vec::new();
        if self.preference != StorePreference::File {
            match keyring_call(&self.account, |e| e.delete_credential()) {
                Ok(()) => removed.push("removed the credential from the OS keychain".to_string()),
                Err(KeyringFailure::NoEntry) => {}
                Err(KeyringFailure::Unavailable(why)) => {
                    if self.preference == StorePreference::Keyring {
                        return Err(StoreError::KeyringUnavailable(why));
                    }
                }
                Err(KeyringFailure::Other(why)) => return Err(StoreError::Keyring(why)),
            }
        }
        if self.preference != StorePreference::Keyring {
            match std::fs::remove_file(&self.file) {
                Ok(()) => removed.push(format!("deleted {}", self.file.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "delete",
                        path: self.file.clone(),
                        source,
                    });
                }
            }
        }
        Ok(removed)
    }

    /// A warning when the credentials file (0600) or its directory (0700) is open to others
    /// (Unix permissions).
    pub fn file_permission_warning(&self) -> Option<String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.file).ok()?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Some(format!(
                    "{} has mode {mode:o}; others can read it. Fix with: chmod 600 {}",
                    self.file.display(),
                    self.file.display()
                ));
            }
            let dir = self.file.parent()?;
            let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Some(format!(
                    "{} has mode {mode:o}; others can list it. Fix with: chmod 700 {}",
                    dir.display(),
                    dir.display()
                ));
            }
        }
        None
    }
}

fn encode(credential: &Credential) -> Secret<String> {
    let record = match credential {
        Credential::ApiKey(key) => Record {
            schema: SCHEMA,
            kind: "api_key".to_string(),
            api_key: Some(key.expose().clone()),
            oauth: None,
        },
        Credential::OAuth(t) => Record {
            schema: SCHEMA,
            kind: "oauth".to_string(),
            api_key: None,
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
            }),
        },
    };
    Secret::new(serde_json::to_string_pretty(&record).unwrap_or_default())
}

fn decode(text: &str, place: &str) -> Result<Credential, StoreError> {
    let corrupt = || StoreError::Corrupt(place.to_string());
    let record: Record = serde_json::from_str(text).map_err(|_| corrupt())?;
    if record.schema != SCHEMA {
        return Err(corrupt());
    }
    match (record.kind.as_str(), record.api_key, record.oauth) {
        ("api_key", Some(key), None) => Ok(Credential::ApiKey(Secret::new(key))),
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
        })),
        _ => Err(corrupt()),
    }
}

enum KeyringFailure {
    NoEntry,
    Unavailable(String),
    Other(String),
}

/// Runs one keychain operation on a helper thread, giving up after [`KEYRING_TIMEOUT`].
fn keyring_call<T: Send + 'static>(
    account: &str,
    op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, KeyringFailure> {
    let (tx, rx) = mpsc::channel();
    let account = account.to_string();
    std::thread::spawn(move || {
        let result = keyring::Entry::new(KEYRING_SERVICE, &account).and_then(|e| op(&e));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(keyring::Error::NoEntry)) => Err(KeyringFailure::NoEntry),
        Ok(Err(
            e @ (keyring::Error::NoDefaultStore
            | keyring::Error::PlatformFailure(_)
            | keyring::Error::NoStorageAccess(_)),
        )) => Err(KeyringFailure::Unavailable(e.to_string())),
        Ok(Err(e)) => Err(KeyringFailure::Other(e.to_string())),
        Err(_) => Err(KeyringFailure::Unavailable(
            "no answer within 5 seconds".to_string(),
        )),
    }
}

/// Writes `bytes` to `path` with mode 0600 (directory 0700), atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::Io {
            action,
            path: p,
            source,
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(io("create", dir))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(CREDENTIALS_FILE);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io("write", path))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_interrupted_write_never_replaces_the_stored_credential() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cfg").join(CREDENTIALS_FILE);
        let first = encode(&Credential::ApiKey(Secret::new(
            "hm_sk_first_key_0000000000".into(),
        )));
        write_private(&file, first.expose().as_bytes()).unwrap();
        // A crash after writing the temp file but before the rename leaves only a stray
        // temp file behind; the stored record is the old one, whole.
        let tmp = file.with_file_name(format!(".{CREDENTIALS_FILE}.99999.tmp"));
        std::fs::write(&tmp, &first.expose().as_bytes()[..10]).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), *first.expose());
        // A write that cannot complete (the directory is gone read-only) keeps the old one.
        use std::os::unix::fs::PermissionsExt;
        let parent = file.parent().unwrap();
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o500)).unwrap();
        let second = encode(&Credential::ApiKey(Secret::new(
            "hm_sk_second_key_000000000".into(),
        )));
        let failed = write_private(&file, second.expose().as_bytes());
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700)).unwrap();
        if failed.is_err() {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), *first.expose());
        } // (running as root, the write may succeed; then it is whole)
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(decode(&text, "x").is_ok(), "never a torn record");
    }

    #[test]
    fn records_round_trip_and_reject_other_schemas() {
        let c = Credential::ApiKey(Secret::new("hm_sk_0123456789abcdef".into()));
        let text = encode(&c);
        assert_eq!(decode(text.expose(), "x").unwrap(), c);
        let newer = text.expose().replace("\"schema\": 1", "\"schema\": 2");
        assert!(decode(&newer, "x").is_err());
        assert!(decode("not json", "x").is_err());

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
        });
        assert_eq!(decode(encode(&o).expose(), "x").unwrap(), o);
        // A record must be one kind or the other, not both.
        let both = encode(&o).expose().replacen(
            "\"kind\": \"oauth\",",
            "\"kind\": \"oauth\", \"api_key\": \"k\",",
            1,
        );
        assert!(decode(&both, "x").is_err());
    }
}
