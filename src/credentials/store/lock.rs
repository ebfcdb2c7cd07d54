//! The one cross-process writer lock (a lock file beside the credentials file), taken by
//! the refresh, `login` and `logout`. Imports its parent and the leaf `atomic`.

use std::path::PathBuf;
use std::time::Duration;

use super::{Saved, Store, StoreError};
use crate::credentials::Credential;

/// How long a writer (a refresh, `login`, `logout`) waits for another process's to finish.
const LOCK_WAIT: Duration = Duration::from_secs(30);

impl Store {
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
            // Opening creates the file: never through a link to somewhere else.
            crate::atomic::check_own(&path, dir).map_err(io)?;
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
}
