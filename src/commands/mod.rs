//! One module per subcommand; each returns an [`Exit`] or an error carrying one.
//!
//! Shared here: resolving settings and building the [`Toolbox`] (with `--demo`, against an
//! in-process sandbox).

mod call;
mod doctor;
mod install;
mod login;
mod logout;
mod profiles;
mod sandbox;
mod serve;
mod status;
mod tools;

use std::sync::Arc;

use anyhow::Context;

use crate::api::{ApiClient, Auth};
use crate::auth::TokenManager;
use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::{McpUpstream, Overrides, Settings};
use crate::credentials::{self, Bound, Credential, Origin, Secret, StoreError};
use crate::error::Exit;
use crate::hosted::client::UpstreamAuth;
use crate::hosted::proxy::Upstream;
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::tools::{Options, Toolbox};

pub async fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(global, &args).await,
        Command::Call(args) => call::run(global, &args).await,
        Command::Install(args) => install::install(global, &args),
        Command::Uninstall(args) => install::uninstall(global, &args),
        Command::Completions(args) => install::completions(&args),
        Command::Man => install::man(),
        Command::Doctor => doctor::run(global).await,
        Command::Tools(args) => tools::run(global, &args).await,
        Command::Login(args) => login::run(global, &args).await,
        Command::Status => status::run(global).await,
        Command::Logout => logout::run(global).await,
        Command::Sandbox(args) => sandbox::run(&args).await,
        Command::Profiles => profiles::run(global),
    }
}

pub(crate) fn settings(global: &GlobalArgs) -> anyhow::Result<Settings> {
    settings_for(global, None)
}

/// Settings with a `--project` flag from `serve` or `call`.
pub(crate) fn settings_for(global: &GlobalArgs, project: Option<&str>) -> anyhow::Result<Settings> {
    Settings::load(&Overrides {
        profile: global.profile.clone(),
        api_url: global.api_url.clone(),
        project: project.map(str::to_string),
    })
    .context("could not load settings")
}

/// A toolbox for `serve` and `call` over the Read API of `settings`. With `demo`, the sandbox
/// it starts is returned too and must be kept alive while the toolbox is used.
pub(crate) async fn toolbox(
    settings: Settings,
    demo: bool,
) -> anyhow::Result<(Arc<Toolbox>, Option<Sandbox>)> {
    let options = Options {
        mask_emails: settings.mask_emails,
        cache_ttl: settings.cache_ttl,
        output: settings.output,
    };
    if demo {
        let sandbox = crate::sandbox::start(SandboxOptions::default())
            .await
            .context("could not start the demo sandbox")?;
        let url = crate::config::parse_api_url(&sandbox.base_url())?;
        let key = Auth::ApiKey(Bound::new(
            Secret::new(sandbox.api_key.clone()),
            Origin::of(&url),
        ));
        let api = ApiClient::new(url, Some(key), settings.limits);
        let toolbox = Toolbox::new(Arc::new(api), settings.endpoints, None).with_options(options);
        return Ok((Arc::new(toolbox), Some(sandbox)));
    }
    let auth = match stored_credential(&settings).await {
        Ok(credential) => credential.map(|c| Auth::new(&settings, c)),
        Err(e) => Some(Auth::Unreadable(e.to_string())),
    };
    let api = ApiClient::new(settings.api_url.clone(), auth, settings.limits);
    let toolbox =
        Toolbox::new(Arc::new(api), settings.endpoints, settings.project).with_options(options);
    Ok((Arc::new(toolbox), None))
}

/// The credential in use (environment, keychain or file), or `None`. A broken store must not
/// stop `serve`, nor read as "not signed in": the caller makes every tool say what is wrong
/// with it (the file, and the fix).
async fn stored_credential(settings: &Settings) -> Result<Option<Credential>, StoreError> {
    let found = credentials::resolve(settings).await;
    if let Err(e) = &found {
        tracing::warn!("{e}");
    }
    Ok(found?.map(|r| r.credential))
}

/// The hosted MCP upstream of a profile with `mcp_url`, with the profile's stored credential.
/// (`ANALYTICS_MCP_API_KEY` is a Read API key and never goes to a hosted server.)
pub(crate) async fn hosted(settings: &Settings, mcp: McpUpstream) -> Arc<Upstream> {
    let auth = match stored_credential(settings).await {
        Ok(credential) => upstream_auth(settings, &mcp, credential),
        Err(e) => UpstreamAuth::Unreadable(e.to_string()),
    };
    upstream(settings, mcp, auth)
}

/// The hosted MCP upstream with `credential` (already read by the caller).
pub(crate) fn hosted_with(
    settings: &Settings,
    mcp: McpUpstream,
    credential: Option<Credential>,
) -> Arc<Upstream> {
    let auth = upstream_auth(settings, &mcp, credential);
    upstream(settings, mcp, auth)
}

fn upstream(settings: &Settings, mcp: McpUpstream, auth: UpstreamAuth) -> Arc<Upstream> {
    Arc::new(Upstream::new(
        mcp,
        settings.profile.as_deref(),
        auth,
        settings.limits,
    ))
}

fn upstream_auth(
    settings: &Settings,
    mcp: &McpUpstream,
    credential: Option<Credential>,
) -> UpstreamAuth {
    match credential {
        Some(Credential::ApiKey(key)) => UpstreamAuth::Key {
            header: mcp.key_header.clone(),
            key,
        },
        Some(Credential::OAuth(tokens)) => {
            UpstreamAuth::OAuth(Arc::new(TokenManager::new(settings, tokens)))
        }
        None => UpstreamAuth::None,
    }
}

/// Every tool the upstream lists (after the profile's filters), page by page, at most
/// [`MAX_PAGES`] pages.
pub(crate) async fn all_hosted_tools(
    upstream: &Upstream,
) -> Result<Vec<rmcp::model::Tool>, String> {
    let mut tools = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = upstream
            .list_tools(Some(
                rmcp::model::PaginatedRequestParams::default().with_cursor(cursor),
            ))
            .await?;
        tools.extend(page.tools);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(tools)
}

/// A bound on paging through an upstream's lists.
const MAX_PAGES: usize = 50;
