//! `analytics-mcp status`: which credential is in use, masked, and a live check of it.

use crate::api::ApiClient;
use crate::cli::GlobalArgs;
use crate::credentials::{self, Source, store::Store};
use crate::error::{CliError, Exit};
use crate::output;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<Exit> {
    let settings = super::settings(global)?;
    let store = Store::new(&settings);
    let Some(found) = credentials::resolve(&settings)? else {
        return Err(CliError::new(Exit::NotSignedIn, "not signed in")
            .with_hint("run `analytics-mcp login --with-key`, or set ANALYTICS_MCP_API_KEY")
            .into());
    };
    let mut lines = vec![
        format!(
            "Profile:    {}",
            settings
                .profile
                .as_deref()
                .unwrap_or(crate::config::DEFAULT_PROFILE)
        ),
        format!(
            "Credential: {} {}",
            found.credential.kind(),
            found.credential.masked()
        ),
        format!("Source:     {}", found.source),
        format!("API:        {}", settings.api_url),
    ];
    if matches!(found.source, Source::File(_))
        && settings.store == crate::config::StorePreference::Auto
    {
        lines.push("Note:       stored in a file because no OS keychain was reachable".to_string());
    }
    if let Some(warning) = store.file_permission_warning() {
        output::warning(&warning);
    }
    let api = ApiClient::new(
        settings.api_url.clone(),
        Some(found.credential),
        settings.limits,
    );
    match api.get(settings.endpoints.me(), &Vec::new()).await {
        Ok(me) => {
            lines.push(format!(
                "Project:    {}",
                super::login::describe_project(&me)
            ));
            lines.push("Live check: ✓ the API accepted the credential".to_string());
            output::data(&lines.join("\n"));
            Ok(Exit::Success)
        }
        Err(e) => {
            output::data(&lines.join("\n"));
            let hint = if e.is_auth() {
                "run `analytics-mcp login --with-key` to store a working key"
            } else {
                "check the network and the API URL, then run `analytics-mcp status` again"
            };
            Err(CliError::new(
                Exit::Upstream,
                format!("live check failed: {}", e.user_message()),
            )
            .with_hint(hint)
            .into())
        }
    }
}
