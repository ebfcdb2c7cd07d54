//! The stores behind `login`/`logout`: the OS keychain (`keyring`) and the 0600 file.
//!
//! A stored record is JSON with a schema version (never the program version), so a later
//! release can read what an earlier one wrote. File writes are atomic: write a temp file,
//! fsync, rename; a crash mid-write leaves the previous credential in place.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    Bound, ClientAuth, ClientAuthMethod, ClientSource, Credential, OAuthTokens, Origin, Resolved,
    Secret, Source,
};
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
/// How long a writer (a refresh, `login`, `logout`) waits for another process's to finish.
const LOCK_WAIT: Duration = Duration::from_secs(30);
/// How a keychain call that never came back is described.
const TIMED_OUT: &str = "no answer";

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
    /// Another process held the lock file for the whole wait (a refresh that hangs).
    #[error("another analytics-mcp process held {path} for {secs} s")]
    Busy { path: PathBuf, secs: u64 },
    /// The store holds something, but it cannot be used: never read as "not signed in".
    #[error(
        "the credential store at {place} could not be read: {why} — fix or remove it, then run `analytics-mcp login`"
    )]
    Unreadable { place: String, why: String },
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
#[derive(Debug, Clone)]
pub struct Store {
    preference: StorePreference,
    account: String,
    file: PathBuf,
    /// Where a key stored before records named their origin may go: the profile's server.
    legacy_origin: Origin,
}

impl Store {
    /// The stores for the settings' profile.
    pub fn new(settings: &Settings) -> Self {
        let (account, file) = location(&settings.config_dir, settings.profile.as_deref());
        Self {
            preference: settings.store,
            account,
            file,
            legacy_origin: Origin::of(settings.credential_target()),
        }
    }

    pub fn file_path(&self) -> &Path {
        &self.file
    }

    /// [`Store::load`] on tokio's blocking pool: keychain calls can wait seconds on D-Bus,
    /// and must not hold one of the few async workers meanwhile.
    pub async fn load_async(&self) -> Result<Option<Resolved>, StoreError> {
        let store = self.clone();
        off_runtime(move || store.load()).await
    }

    /// [`Store::save`] on the blocking pool. It runs to the end even when the caller is
    /// dropped, so a rotated refresh token is never lost half-way.
    pub async fn save_async(&self, credential: &Credential) -> Result<Saved, StoreError> {
        let (store, credential) = (self.clone(), credential.clone());
        off_runtime(move || store.save(&credential)).await
    }

    /// [`Store::delete`] on the blocking pool.
    pub async fn delete_async(&self) -> Result<Vec<String>, StoreError> {
        let store = self.clone();
        off_runtime(move || store.delete()).await
    }

    /// The lock file that one writer at a time holds: a refresh across its read → refresh →
    /// write, and `login`/`logout` across their write, so a refresh that was under way can
    /// never write an old sign-in back over a new one or over a sign-out.
    pub fn lock_path(&self) -> PathBuf {
        self.file.with_extension("lock")
    }

    /// [`Store::save_async`] holding [`Store::lock_path`] (for `login`).
    pub async fn save_locked(&self, credential: &Credential) -> Result<Saved, StoreError> {
        let _lock = self.lock().await?;
        self.save_async(credential).await
    }

    /// [`Store::delete_async`] holding [`Store::lock_path`] (for `logout`).
    pub async fn delete_locked(&self) -> Result<Vec<String>, StoreError> {
        let _lock = self.lock().await?;
        self.delete_async().await
    }

    /// Takes the lock file, polling for at most [`LOCK_WAIT`]; held until the file is dropped.
    pub async fn lock(&self) -> Result<std::fs::File, StoreError> {
        let path = self.lock_path();
        let io = |source| StoreError::Io {
            action: "lock",
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            // The directory that will hold the credentials: private from the start.
            crate::atomic::create_private_dir(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(StoreError::Busy {
                        path: path.clone(),
                        secs: LOCK_WAIT.as_secs(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }

    fn keychain_place(&self) -> String {
        format!(
            "the OS keychain (service {KEYRING_SERVICE}, account {})",
            self.account
        )
    }

    /// The stored credential, or `None`. When both the keychain and the file hold one (a
    /// save fell back to the file and the keychain entry could not be removed), the newer
    /// wins.
    pub fn load(&self) -> Result<Option<Resolved>, StoreError> {
        if self.preference != StorePreference::File {
            match keyring_call(&self.account, |e| e.get_password()) {
                Ok(text) => {
                    let (credential, written) = self.decode(&text, &self.keychain_place())?;
                    // (A file that cannot be read loses to a keychain entry that can.)
                    if self.preference == StorePreference::Auto
                        && let Ok(Some(file)) = self.load_file()
                        && file.1 > written
                    {
                        tracing::debug!("the file holds a newer record than the keychain");
                        return Ok(Some(file.0));
                    }
                    return Ok(Some(Resolved {
                        credential,
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
        Ok(self.load_file()?.map(|(found, _)| found))
    }

    /// The file's record and when it was written.
    fn load_file(&self) -> Result<Option<(Resolved, i64)>, StoreError> {
        let place = self.file.display().to_string();
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(StoreError::Unreadable {
                    place,
                    why: e.to_string(),
                });
            }
        };
        let (credential, written) = self.decode(&text, &place)?;
        Ok(Some((
            Resolved {
                credential,
                source: Source::File(self.file.clone()),
            },
            written,
        )))
    }

    fn decode(&self, text: &str, place: &str) -> Result<(Credential, i64), StoreError> {
        decode(text, place, &self.legacy_origin)
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
                    write_private(&self.file, text.expose().as_bytes())?;
                    // An older keychain entry would otherwise shadow the file (loads try the
                    // keychain first); `written_at` settles it if this removal fails too.
                    if !why.contains(TIMED_OUT) {
                        let _ = keyring_call(&self.account, |e| e.delete_credential());
                    }
                    return Ok(Saved::File {
                        path: self.file.clone(),
                        fallback: true,
                    });
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

/// Runs a store operation on tokio's blocking pool (callers are inside the runtime).
async fn off_runtime<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(op).await {
        Ok(result) => result,
        Err(e) => Err(StoreError::Keyring(format!("the store task failed: {e}"))),
    }
}

fn encode(credential: &Credential) -> Secret<String> {
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
fn decode(
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
        Err(_) => Err(KeyringFailure::Unavailable(format!(
            "{TIMED_OUT} within {} seconds",
            KEYRING_TIMEOUT.as_secs()
        ))),
    }
}

/// Writes `bytes` to `path` with mode 0600 (directory 0700), atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    crate::atomic::write(path, bytes, crate::atomic::Access::Private).map_err(|source| {
        StoreError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
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
    fn an_interrupted_write_never_replaces_the_stored_credential() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cfg").join(CREDENTIALS_FILE);
        let first = encode(&key("hm_sk_first_key_0000000000"));
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
        let second = encode(&key("hm_sk_second_key_000000000"));
        let failed = write_private(&file, second.expose().as_bytes());
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700)).unwrap();
        if failed.is_err() {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), *first.expose());
        } // (running as root, the write may succeed; then it is whole)
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(decoded(&text).is_ok(), "never a torn record");
    }

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
