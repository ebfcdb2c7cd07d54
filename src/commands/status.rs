//! `analytics-mcp status`: which credential is in use, masked, and a live check of it —
//! against the Read API, or for a profile that bridges a hosted MCP server, against that
//! server (connect and list its tools), never anything else.

use super::diagnose::{During, live_check};
use super::{App, Connected, all_hosted_tools};
use crate::cli::GlobalArgs;
use crate::config::Settings;
use crate::credentials::{Credential, Source};
use crate::error::{CliError, Exit};
use crate::hosted::proxy::Upstream;
use crate::output;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<Exit> {
    let app = App::load(global)?;
    let settings = &app.settings;
    let Some(found) = app.credential().await? else {
        return Err(CliError::new(Exit::NotSignedIn, "not signed in")
            .with_hint("run `analytics-mcp login` (browser) or `login --with-key`, or set ANALYTICS_MCP_API_KEY")
            .into());
    };
    let mut lines = vec![format!(
        "Profile:    {}",
        settings
            .profile
            .as_deref()
            .unwrap_or(crate::config::DEFAULT_PROFILE)
    )];
    if let Credential::OAuth(tokens) = &found.credential {
        lines.push("Method:     browser sign-in (OAuth)".to_string());
        lines.push(format!("Issuer:     {}", tokens.issuer));
        lines.push(format!(
            "Client:     {}{}{}",
            crate::text::clean(&tokens.client_id, 120),
            tokens
                .client_source
                .map(|c| format!(", {}", c.describe()))
                .unwrap_or_default(),
            if tokens.client_auth.is_some() {
                " (confidential: its secret is kept in the credential store)"
            } else {
                ""
            }
        ));
        lines.push(format!(
            "Scopes:     {}",
            if tokens.scopes.is_empty() {
                "(none named)".to_string()
            } else {
                tokens.scopes.join(" ")
            }
        ));
        lines.push(format!(
            "Expires:    {}",
            describe_expiry(tokens.expires_at)
        ));
        lines.push(format!(
            "Refresh:    {}",
            if tokens.refresh_token.is_some() {
                "a refresh token is stored"
            } else {
                "no refresh token: sign in again when the access token expires"
            }
        ));
    } else {
        lines.push(format!(
            "Method:     secret key {}",
            found.credential.masked()
        ));
    }
    lines.push(format!("Source:     {}", found.source));
    match &settings.mcp {
        Some(mcp) => lines.push(format!("MCP server: {}", mcp.url)),
        None => lines.push(format!("API:        {}", settings.api_url)),
    }
    if matches!(found.source, Source::File(_))
        && settings.store == crate::config::StorePreference::Auto
    {
        lines.push("Note:       stored in a file because no OS keychain was reachable".to_string());
    }
    if let Some(warning) = app.store().file_permission_warning() {
        output::warning(&warning);
    }
    let read = match app.connect_with(found.credential) {
        Connected::ReadApi(read) => read,
        Connected::Hosted(upstream) => return hosted_check(settings, &upstream, lines).await,
    };
    match read.live_check().await {
        Ok(me) => {
            lines.push(format!(
                "Project:    {}",
                super::login::describe_project(&me)
            ));
            let refreshed = read
                .toolbox
                .api()
                .token_manager()
                .is_some_and(|m| m.refresh_count() > 0);
            lines.push(format!(
                "Live check: ✓ the API accepted the credential{}",
                if refreshed {
                    " (after refreshing the access token)"
                } else {
                    ""
                }
            ));
            lines.push(format!("Tools:      {}", tools_line(settings, &read)));
            output::data(&lines.join("\n"));
            Ok(Exit::Success)
        }
        Err(e) => {
            output::data(&lines.join("\n"));
            let (message, hint) = live_check(&e, settings, During::Check);
            Err(
                CliError::new(Exit::Upstream, format!("live check failed: {message}"))
                    .with_hint(hint)
                    .into(),
            )
        }
    }
}

/// Which tools answer, by the last probe's record (`status` itself asks no path).
fn tools_line(settings: &Settings, read: &super::app::ReadApi) -> String {
    let api = read.toolbox.api();
    let origin = api.base_url().origin().ascii_serialization();
    match crate::api::probed::Record::load(&origin) {
        Some(record) => format!(
            "{} (probed {}; `analytics-mcp doctor --probe` checks again)",
            crate::probe::summary(
                &record,
                &settings.endpoints,
                read.toolbox.fallback().is_some()
            ),
            record.date()
        ),
        None => "not probed yet: `analytics-mcp doctor` checks which answer".to_string(),
    }
}

/// The live check of a hosted profile: connect and list the server's tools.
async fn hosted_check(
    settings: &Settings,
    upstream: &Upstream,
    mut lines: Vec<String>,
) -> anyhow::Result<Exit> {
    match all_hosted_tools(upstream).await {
        Ok(tools) => {
            lines.push(format!(
                "Live check: ✓ the MCP server accepted the credential ({} tools after this profile's filters)",
                tools.len()
            ));
            output::data(&lines.join("\n"));
            Ok(Exit::Success)
        }
        Err(e) => {
            output::data(&lines.join("\n"));
            Err(CliError::new(Exit::Upstream, format!("live check failed: {e}"))
                .with_hint(format!(
                    "run `analytics-mcp login --profile {}` to sign in again, or check mcp_url in config.toml",
                    settings.profile.as_deref().unwrap_or(crate::config::DEFAULT_PROFILE)
                ))
                .into())
        }
    }
}

/// `2026-11-21T16:00:00Z (in 29 min)`, or `expired …` when past.
fn describe_expiry(expires_at: Option<i64>) -> String {
    let Some(at) = expires_at else {
        return "not stated by the server".to_string();
    };
    let now = jiff::Timestamp::now().as_second();
    let when = jiff::Timestamp::from_second(at)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| at.to_string());
    let left = at - now;
    let span = |secs: i64| {
        if secs >= 3600 {
            format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
        } else if secs >= 60 {
            format!("{} min", secs / 60)
        } else {
            format!("{secs} s")
        }
    };
    if left > 0 {
        format!("{when} (in {})", span(left))
    } else {
        format!(
            "{when} (expired {} ago; refreshed on next use)",
            span(-left)
        )
    }
}
