//! The stores behind `login`/`logout`: the OS keychain (`keyring`) and the 0600 file, chosen
//! by [`StorePreference`]; this file decides which backend a load, save or delete goes to.
//!
//! By job: [`record`] is the stored form (JSON with a schema version, never the program
//! version, so a later release can read what an earlier one wrote), [`keychain`] the OS
//! keychain calls with their timeout, [`file`] the 0600 file (atomic writes: a crash mid-write
//! leaves the previous credential in place), [`lock`] the one cross-process writer lock.
//! Uses `config` (the settings' profile and preference) and the leaf `atomic`.

use std::path::{Path, PathBuf};

mod file;
mod keychain;
mod lock;
mod record;

pub(crate) use file::write_private;
pub use keychain::KEYRING_SERVICE;
use keychain::{KEYRING_ACCOUNT, KeyringFailure, TIMED_OUT, keyring_call};

use super::{Credential, Origin, Resolved, Source};
use crate::config::{Settings, StorePreference};

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

    fn decode(&self, text: &str, place: &str) -> Result<(Credential, i64), StoreError> {
        record::decode(text, place, &self.legacy_origin)
    }

    /// Stores `credential`, replacing what was there.
    pub fn save(&self, credential: &Credential) -> Result<Saved, StoreError> {
        let text = record::encode(credential);
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
