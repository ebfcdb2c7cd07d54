//! `login --mcp-url … --profile P` / `login --profile P` for a hosted MCP server: the browser
//! or device sign-in with the MCP URL as the resource, or a static key; either is confirmed by
//! connecting and listing the server's tools before anything is stored. Imports the parent
//! (`sign_in`, the wording helpers), the sibling [`super::input`], `hosted`, `config` and
//! `credentials`.

use crate::auth::metadata::Probe;
use crate::cli::LoginArgs;
use crate::commands::App;
use crate::config::McpUpstream;
use crate::credentials::{Bound, Credential, Origin, Secret};
use crate::error::{CliError, Exit};
use crate::hosted::client::UpstreamAuth;
use crate::output;

use super::input::read_key;
use super::{describe_saved, profile_suffix, sign_in};

/// Browser sign-in to a hosted MCP server: the same flow with the MCP URL as the resource,
/// confirmed by connecting and listing the server's tools before anything is stored.
pub(super) async fn hosted_with_browser(
    app: &App,
    mcp: &McpUpstream,
    args: &LoginArgs,
) -> anyhow::Result<Exit> {
    let settings = &app.settings;
    let signed_in = sign_in(app, &mcp.url, Probe::McpInitialize, args).await?;
    let tokens = signed_in.tokens.clone();
    let client = signed_in.client_source.describe();
    let probe = UpstreamAuth::Key {
        header: "Authorization".into(),
        key: tokens.bound_access(),
    };
    let described = match describe_hosted(app, mcp, probe).await {
        Ok(d) => d,
        Err(why) => {
            signed_in
                .tell_browser(Err(
                    "The server did not accept the new token; see the terminal.".into(),
                ))
                .await;
            return Err(CliError::new(Exit::Upstream, format!("nothing was stored: {why}")).into());
        }
    };
    let saved = app
        .store()
        .save_locked(&Credential::OAuth(tokens.clone()))
        .await?;
    let how = signed_in.how();
    signed_in
        .tell_browser(Ok(format!(
            " to {}",
            mcp.url.origin().ascii_serialization()
        )))
        .await;
    output::note(&format!(
        "✓ Signed in{} {how} to {described}",
        profile_suffix(settings)
    ));
    output::note(&format!(
        "  Issuer {}, with {client}; tokens stored {}.",
        tokens.issuer,
        describe_saved(&saved)
    ));
    Ok(Exit::Success)
}

/// A static key (or bearer token) for a hosted MCP server, sent in the profile's
/// `key_header`; checked by connecting before it is stored.
pub(super) async fn hosted_with_key(app: &App, mcp: &McpUpstream) -> anyhow::Result<Exit> {
    let settings = &app.settings;
    let raw = read_key()?;
    let key = raw.trim();
    if key.is_empty()
        || key.len() > 4096
        || key.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CliError::new(
            Exit::Usage,
            "that is not a usable key: paste the whole key or token, without spaces or quotes",
        )
        .into());
    }
    let key = Bound::new(Secret::new(key.to_string()), Origin::of(&mcp.url));
    let auth = UpstreamAuth::Key {
        header: mcp.key_header.clone(),
        key: key.clone(),
    };
    let described = describe_hosted(app, mcp, auth)
        .await
        .map_err(|why| CliError::new(Exit::Upstream, format!("the key was not stored: {why}")))?;
    let credential = Credential::ApiKey(key);
    let saved = app.store().save_locked(&credential).await?;
    output::note(&format!(
        "✓ Signed in{} to {described}",
        profile_suffix(settings)
    ));
    output::note(&format!(
        "  Key {} (sent as {}) stored {}.",
        credential.masked(),
        mcp.key_header,
        describe_saved(&saved)
    ));
    Ok(Exit::Success)
}

/// Connects to the hosted server with `auth` and says what is there: `host: N tools (M kept
/// by this profile's filters)`.
async fn describe_hosted(
    app: &App,
    mcp: &McpUpstream,
    auth: UpstreamAuth,
) -> Result<String, String> {
    let upstream = app.checking_upstream(mcp, auth);
    let count = crate::commands::all_hosted_tools(&upstream).await?.len();
    let host = mcp.url.origin().ascii_serialization();
    let unfiltered = mcp.tools.is_empty() && mcp.exclude_tools.is_empty();
    Ok(if unfiltered {
        format!("{host}: {count} tools")
    } else {
        format!("{host}: {count} tools kept by this profile's filters")
    })
}
