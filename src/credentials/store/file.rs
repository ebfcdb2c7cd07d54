//! The credentials file: 0600 in a 0700 directory, written atomically (the leaf `atomic`).
//! Imports its parent and the credential types.

use std::path::Path;

use super::{Store, StoreError};
use crate::credentials::{Resolved, Source};

impl Store {
    /// The file's record and when it was written.
    pub(super) fn load_file(&self) -> Result<Option<(Resolved, i64)>, StoreError> {
        let place = self.file.display().to_string();
        // Only a regular file in the config folder: a FIFO there must not block `status`,
        // and a link must not lead to someone else's file (issue 22).
        let folder = self.file.parent().unwrap_or(Path::new("."));
        let text = match crate::atomic::read_own(&self.file, folder) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
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
#[cfg(unix)] // every test here is about Unix file modes
mod tests {
    use super::super::record::{decode, encode};
    use super::*;
    use crate::credentials::store::CREDENTIALS_FILE;
    use crate::credentials::{Bound, Credential, Origin, Secret};

    fn decoded(text: &str) -> Result<Credential, StoreError> {
        let origin = Origin::parse("https://app.himetrica.com").unwrap();
        decode(text, "x", &origin).map(|(c, _)| c)
    }

    fn key(k: &str) -> Credential {
        let origin = Origin::parse("https://app.himetrica.com").unwrap();
        Credential::ApiKey(Bound::new(Secret::new(k.into()), origin))
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
}
