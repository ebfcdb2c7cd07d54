//! Writing a file so that a reader sees the old contents or the new, never a torn mix: a
//! temporary file in the same directory (`tempfile`), written, flushed to disk, then renamed
//! over the target (`NamedTempFile::persist`), and the directory flushed. And reading our own
//! files safely: only a regular file, never through a link that leads out of our folder.
//! A leaf: it imports nothing of the crate, and every module may use it.

use std::io::{Error, ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Who may read the file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Mode 0600 in a directory created 0700: credentials and registrations.
    Private,
    /// The mode the file already has (0644 for a new one): a user's config file.
    Keep,
}

/// Creates `dir` (and its parents) with mode 0700 when it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
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

/// Replaces `path` with `bytes` atomically, creating its directory when missing.
///
/// A user's file ([`Access::Keep`]) is written where it lives: through a symbolic link (a
/// config kept in a dotfiles repository) to its target, in the target's directory, keeping
/// the target's mode; a read-only file is refused, not replaced. Our own private files are
/// replaced in place: a link there is replaced, never followed out of our folder.
pub fn write(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    let target;
    let path = match access {
        Access::Keep => {
            target = follow_links(path)?;
            if std::fs::metadata(&target).is_ok_and(|m| m.permissions().readonly()) {
                return Err(Error::new(
                    ErrorKind::PermissionDenied,
                    format!(
                        "{} is read-only, so it was left as it is; make it writable (chmod u+w) and run this again, or add the entry by hand",
                        target.display()
                    ),
                ));
            }
            target.as_path()
        }
        Access::Private => path,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        match access {
            Access::Private => create_private_dir(dir)?,
            Access::Keep => std::fs::create_dir_all(dir)?,
        }
    }
    // tempfile creates the file 0600; a kept mode is copied before the rename.
    let mut tmp = tempfile::Builder::new()
        .prefix(".analytics-mcp.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if access == Access::Keep {
        match std::fs::metadata(path) {
            Ok(meta) => tmp.as_file().set_permissions(meta.permissions())?,
            Err(_) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file()
                        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
                }
            }
        }
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Where `path` leads through symbolic links (relative ones are relative to the link's
/// directory); `path` itself when it is not a link. A link whose target does not exist yet
/// leads to that target. A loop is an error.
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("{} is a loop of symbolic links", path.display()),
    ))
}

/// Reads one of our own files in `folder` (credentials, a remembered registration): `None`
/// when it does not exist. Refused at once, without opening it, when it is not a regular
/// file (a FIFO would block the read for ever, a device would never end) or is a link that
/// leads out of `folder` (someone else's file would be read, or written, as ours).
pub fn read_own(path: &Path, folder: &Path) -> std::io::Result<Option<String>> {
    check_own(path, folder)?;
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The checks of [`read_own`] without the read: fine when `path` does not exist.
pub fn check_own(path: &Path, folder: &Path) -> std::io::Result<()> {
    let refuse = |why: &str| Err(Error::new(ErrorKind::InvalidInput, why.to_string()));
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        let target = follow_links(path)?;
        let inside = match (
            target.parent().map(std::fs::canonicalize),
            std::fs::canonicalize(folder),
        ) {
            (Some(Ok(dir)), Ok(folder)) => dir.starts_with(folder),
            _ => false,
        };
        if !inside {
            return refuse(
                "it is a symbolic link that leads out of the config folder, which is never followed",
            );
        }
    }
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            refuse("it is not a regular file (a directory, a FIFO or a device)")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[cfg(unix)] // every test here is about Unix file modes and links
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_and_kept_modes_survive() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let secret = dir.path().join("new/creds.json");
        write(&secret, b"{}", Access::Private).unwrap();
        assert_eq!(mode(&secret), 0o600);
        assert_eq!(mode(secret.parent().unwrap()), 0o700);

        let config = dir.path().join("config.toml");
        write(&config, b"a = 1\n", Access::Keep).unwrap();
        assert_eq!(
            mode(&config),
            0o644,
            "a new config file is readable as before"
        );
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&config, b"a = 2\n", Access::Keep).unwrap();
        assert_eq!(mode(&config), 0o640, "an edit keeps the user's mode");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), "a = 2\n");
        let strays: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(strays.is_empty(), "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_kept_file_is_written_through_its_link_and_a_read_only_one_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dotfiles/mcp.json");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("mcp.json");
        std::os::unix::fs::symlink("dotfiles/mcp.json", &link).unwrap();
        write(&link, b"new", Access::Keep).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
        let refused = write(&link, b"newer", Access::Keep).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A loop of links is an error, not a hang.
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        assert!(follow_links(&a).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn our_own_files_are_regular_files_inside_our_folder() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours");
        std::fs::create_dir_all(&ours).unwrap();
        assert_eq!(read_own(&ours.join("none.json"), &ours).unwrap(), None);
        std::fs::write(ours.join("a.json"), "{}").unwrap();
        assert_eq!(
            read_own(&ours.join("a.json"), &ours).unwrap().as_deref(),
            Some("{}")
        );
        std::os::unix::fs::symlink("a.json", ours.join("inside.json")).unwrap();
        assert!(read_own(&ours.join("inside.json"), &ours).is_ok());
        std::fs::write(dir.path().join("theirs.json"), "{}").unwrap();
        std::os::unix::fs::symlink("../theirs.json", ours.join("out.json")).unwrap();
        assert!(read_own(&ours.join("out.json"), &ours).is_err());
        std::os::unix::fs::symlink("../nowhere/x", ours.join("dangling.lock")).unwrap();
        assert!(check_own(&ours.join("dangling.lock"), &ours).is_err());
        std::fs::create_dir(ours.join("dir.json")).unwrap();
        assert!(read_own(&ours.join("dir.json"), &ours).is_err());
    }
}
