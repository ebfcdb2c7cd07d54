//! Writing a file so that a reader sees the old contents or the new, never a torn mix: a
//! temporary file in the same directory (`tempfile`), written, flushed to disk, then renamed
//! over the target (`NamedTempFile::persist`), and the directory flushed. A leaf: it imports
//! nothing of the crate, and every module may use it.

use std::io::Write;
use std::path::Path;

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
pub fn write(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
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

#[cfg(test)]
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
}
