//! The edits this program makes to `config.toml` (`login --mcp-url`, `login --api-url`), with
//! `toml_edit` so the user's comments and order stay as they were. Imports its parent's names
//! and the leaf `atomic` (the one atomic write).

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
    let mut keys = vec![("mcp_url", url.as_str())];
    if let Some(header) = key_header {
        keys.push(("key_header", header));
    }
    set_keys(dir, Some(name), &keys)
}

/// Records `api_url = …` for profile `name` (`None`: the top level, the default profile),
/// creating `[profiles.NAME]` when it is not there yet: what `login --api-url` signed in to
/// is what every later command (and every client entry) reaches.
pub fn set_api_url(dir: &Path, name: Option<&str>, url: &Url) -> Result<(), ConfigError> {
    if let Some(name) = name {
        check_profile_name(name)?;
    }
    set_keys(dir, name, &[("api_url", url.as_str())])
}

/// Sets `keys` in the table of profile `name` (or the top level), keeping the rest of the
/// file byte for byte.
fn set_keys(dir: &Path, name: Option<&str>, keys: &[(&str, &str)]) -> Result<(), ConfigError> {
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let parse_error = |message: String| ConfigError::Parse {
        path: path.clone(),
        message,
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| parse_error(e.to_string().trim().to_string()))?;
    let table = match name {
        None => doc.as_table_mut(),
        Some(name) => doc
            .entry("profiles")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| parse_error("`profiles` is not a table".into()))?
            .entry(name)
            .or_insert_with(toml_edit::table)
            .as_table_mut()
            .ok_or_else(|| parse_error(format!("`profiles.{name}` is not a table")))?,
    };
    for (key, value) in keys {
        match table.get_mut(key).and_then(toml_edit::Item::as_value_mut) {
            // Replacing the value in place keeps its comments and spacing.
            Some(existing) => {
                let decor = existing.decor().clone();
                *existing = toml_edit::Value::from(*value);
                *existing.decor_mut() = decor;
            }
            None => table[key] = toml_edit::value(*value),
        }
    }
    // (toml_edit prints the top level's keys before any table, so a new `api_url` lands
    // there and not inside the last table.)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(before: &str, name: Option<&str>, url: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), before).unwrap();
        set_api_url(dir.path(), name, &Url::parse(url).unwrap()).unwrap();
        std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap()
    }

    #[test]
    fn api_url_is_recorded_keeping_comments_and_order() {
        let before = "# mine\nmask_emails = true # keep\n\n[profiles.zen]\nmcp_url = \"https://z.example/mcp\"\n";
        let after = edit(before, None, "http://127.0.0.1:9/api/v1");
        assert_eq!(
            after,
            "# mine\nmask_emails = true # keep\napi_url = \"http://127.0.0.1:9/api/v1\"\n\n[profiles.zen]\nmcp_url = \"https://z.example/mcp\"\n"
        );
        let again = edit(&after, None, "http://127.0.0.1:8/api/v1");
        assert!(
            again.contains("api_url = \"http://127.0.0.1:8/api/v1\"\n"),
            "{again}"
        );
        assert_eq!(again.matches("api_url").count(), 1, "{again}");
        let profile = edit(before, Some("p2"), "http://127.0.0.1:9/api/v1");
        assert!(profile.starts_with(before), "{profile}");
        assert!(
            profile.ends_with("[profiles.p2]\napi_url = \"http://127.0.0.1:9/api/v1\"\n"),
            "{profile}"
        );
    }
}
