//! The one edit this program makes to `config.toml` (`login --mcp-url`), with `toml_edit` so
//! the user's comments and order stay as they were. Imports its parent's names and the leaf
//! `atomic` (the one atomic write).

use std::path::Path;

use url::Url;

use super::{CONFIG_FILE, ConfigError, check_profile_name};

/// Creates or updates `[profiles.NAME] mcp_url = …` (and `key_header`) in `config.toml`, keeping everything else
/// in the file (comments, order) as it was. The file is replaced atomically.
pub fn set_profile_mcp_url(
    dir: &Path,
    name: &str,
    url: &Url,
    key_header: Option<&str>,
) -> Result<(), ConfigError> {
    check_profile_name(name)?;
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Parse {
                path: path.clone(),
                message: e.to_string().trim().to_string(),
            })?;
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| ConfigError::Parse {
            path: path.clone(),
            message: "`profiles` is not a table".into(),
        })?;
    let profile = profiles
        .entry(name)
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| ConfigError::Parse {
            path: path.clone(),
            message: format!("`profiles.{name}` is not a table"),
        })?;
    profile["mcp_url"] = toml_edit::value(url.as_str());
    if let Some(header) = key_header {
        profile["key_header"] = toml_edit::value(header);
    }
    crate::atomic::write(
        &path,
        doc.to_string().as_bytes(),
        crate::atomic::Access::Keep,
    )
    .map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })
}
