//! `profiles`: the profiles in `config.toml`, what each talks to, and whether it is signed in.

use anyhow::Context;

use super::App;
use crate::cli::GlobalArgs;
use crate::config::{self, DEFAULT_PROFILE};
use crate::error::Exit;
use crate::output;

pub fn run(global: &GlobalArgs) -> anyhow::Result<Exit> {
    let dir = config::config_dir()?;
    let file = config::read_config_file(&dir)?;
    let current = App::named_profile(global)?;
    let names = std::iter::once(DEFAULT_PROFILE.to_string()).chain(file.profiles.into_keys());
    let mut lines = Vec::new();
    for name in names {
        let profile = (name != DEFAULT_PROFILE).then(|| name.clone());
        let app = App::for_profile(&name).with_context(|| format!("profile `{name}`"))?;
        let settings = &app.settings;
        // Only what is stored counts here: ANALYTICS_MCP_API_KEY would apply to every one.
        let signed_in = match app.store().load() {
            Ok(Some(found)) => format!("signed in ({}, {})", found.credential.kind(), found.source),
            Ok(None) => "not signed in".to_string(),
            Err(e) => format!("credential unreadable: {e}"),
        };
        let marker = if profile == current { "*" } else { " " };
        let target = match &settings.mcp {
            Some(mcp) => format!("{} (hosted MCP)", mcp.url),
            None => settings.api_url.to_string(),
        };
        lines.push(format!("{marker} {name:<16} {target:<40} {signed_in}"));
    }
    output::data(&lines.join("\n"));
    output::note(&format!(
        "* is the profile in use; use another with --profile NAME. Create one by signing in: `analytics-mcp login --profile NAME --api-url URL` (or add a [profiles.NAME] table to {}).",
        dir.join(config::CONFIG_FILE).display()
    ));
    Ok(Exit::Success)
}
