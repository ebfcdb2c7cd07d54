//! The composition root: the one place a command's pieces are put together, in one pass and
//! once per command — settings → credential → upstream → toolbox. Commands (`call`, `serve`,
//! `tools`, `status`, `doctor`, `profiles`, `install`, `login`, `logout`) take what they need
//! from an [`App`] and build none of it themselves (`login` checks a credential before it
//! stores it through [`App::checking_api`] and [`App::checking_upstream`]). Read API profiles and hosted profiles (`src/hosted`) are
//! composed here alike: [`App::connect`] answers with either a [`ReadApi`] or a hosted
//! [`Upstream`].
//!
//! It stands at the top of the module graph and may import any module: `cli` (the flags),
//! `config`, `credentials`, `auth` (the token manager), `api`, `hosted`, `tools` and
//! `demo` (for `--demo`); nothing but the commands imports it.
//!
//! One command's path through the code, `analytics-mcp call get_top_pages limit=5`:
//! 1. `lib::run` parses [`crate::cli::Cli`] and hands it to `commands::dispatch`, which calls
//!    `commands/call.rs` `run`.
//! 2. `call::run` → [`App::with_project`] → `config::Settings::load` (`config/settings.rs`:
//!    flag → environment → `config.toml` read and merged by `config/file.rs` → default), once.
//! 3. `call::run` checks the tool name against the catalog (`tools::find`; a hosted server
//!    has its own) and parses the `name=value` pairs, then → [`App::connect`]:
//!    - the credential: `credentials::resolve` (environment → OS keychain → file,
//!      `credentials/store/` and its `keychain`/`file`/`record` parts), read once — for a
//!      Read API profile by the first call that needs it (`api::ApiClient::for_profile`); a
//!      store that cannot be read becomes an answer every tool gives;
//!    - the upstream: an `api::ApiClient` with its `api::Auth` (a key bound to its origin, or
//!      an `auth::TokenManager` that refreshes) — or, for a profile with `mcp_url`, a
//!      `hosted::proxy::Upstream` with its `hosted::client::UpstreamAuth`;
//!    - the toolbox: a `tools::Toolbox` over that client, with the settings' output options.
//! 4. `call::run` calls the tool (`Toolbox::call`, or `Upstream::call_tool`), lets a refresh
//!    in flight store its tokens ([`Connected::settle`]), and prints through `output`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::api::probed::Routes;
use crate::api::{ApiClient, ApiError, Auth};
use crate::auth::TokenManager;
use crate::cli::GlobalArgs;
use crate::config::{self, ConfigError, McpUpstream, Overrides, Settings};
use crate::credentials::store::Store;
use crate::credentials::{self, Bound, Credential, Origin, Resolved, Secret, StoreError};
use crate::demo::Demo;
use crate::hosted::client::UpstreamAuth;
use crate::hosted::proxy::Upstream;
use crate::tools::fallback::Fallback;
use crate::tools::{Options, Toolbox};

/// The longest a refresh in flight may delay exit (it is bounded by its own deadlines).
const SETTLE: Duration = Duration::from_secs(10);

/// A bound on paging through an upstream's lists.
const MAX_PAGES: usize = 50;

/// What one command runs with: its resolved settings, and the way to the rest.
#[derive(Debug)]
pub(crate) struct App {
    pub settings: Settings,
}

/// The upstream a command talks to, composed by [`App::connect`].
pub(crate) enum Connected {
    /// The Read API, through our own tools.
    ReadApi(ReadApi),
    /// A hosted MCP server (a profile with `mcp_url`), bridged.
    Hosted(Arc<Upstream>),
}

/// The Read API toolbox, and with `--demo` the demo Read API behind it (kept alive as long as
/// this).
pub(crate) struct ReadApi {
    pub toolbox: Arc<Toolbox>,
    me: String,
    _demo: Option<Demo>,
}

impl App {
    /// The settings of the profile the flags (or the environment) name.
    pub fn load(global: &GlobalArgs) -> anyhow::Result<Self> {
        Self::with_project(global, None)
    }

    /// The same, with a `--project` flag (from `serve` or `call`).
    pub fn with_project(global: &GlobalArgs, project: Option<&str>) -> anyhow::Result<Self> {
        let settings = Settings::load(&Overrides {
            profile: global.profile.clone(),
            api_url: global.api_url.clone(),
            project: project.map(str::to_string),
            new_profile: false,
        })
        .context("could not load settings")?;
        Ok(Self { settings })
    }

    /// The settings `login` signs in with: with `--api-url`, a profile not in `config.toml`
    /// yet is a new one, which the sign-in records.
    pub fn for_sign_in(global: &GlobalArgs) -> anyhow::Result<Self> {
        let settings = Settings::load(&Overrides {
            profile: global.profile.clone(),
            api_url: global.api_url.clone(),
            project: None,
            new_profile: global.api_url.is_some(),
        })
        .context("could not load settings")?;
        Ok(Self { settings })
    }

    /// The settings of profile `name` as `config.toml` alone gives them (no flags), for
    /// `profiles`.
    pub fn for_profile(name: &str) -> Result<Self, ConfigError> {
        let settings = Settings::load(&Overrides {
            profile: Some(name.to_string()),
            api_url: None,
            project: None,
            new_profile: false,
        })?;
        Ok(Self { settings })
    }

    /// The settings when they load; for a command that also works without them (`tools`), a
    /// broken `config.toml` is an error only when a profile was asked for.
    pub fn if_usable(global: &GlobalArgs) -> anyhow::Result<Option<Self>> {
        match Self::load(global) {
            Ok(app) => Ok(Some(app)),
            Err(e) if Self::named_profile(global)?.is_some() => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// The profile the flag or `ANALYTICS_MCP_PROFILE` names (checked as a name, not loaded);
    /// `None` for the default one.
    pub fn named_profile(global: &GlobalArgs) -> Result<Option<String>, ConfigError> {
        config::selected_profile(global.profile.as_deref())
    }

    /// True when the profile bridges a hosted MCP server rather than the Read API.
    pub fn hosted(&self) -> bool {
        self.settings.mcp.is_some()
    }

    /// The credential stores of this profile.
    pub fn store(&self) -> Store {
        Store::new(&self.settings)
    }

    /// The credential in use (environment, keychain or file), or `None`; read on the
    /// blocking pool.
    pub async fn credential(&self) -> Result<Option<Resolved>, StoreError> {
        credentials::resolve(&self.settings).await
    }

    /// Settings → credential → upstream → toolbox, in one pass. With `demo`, the built-in
    /// demo project, whatever the profile. A Read API profile's credential is read by the
    /// first call that needs it (`serve` starts without asking the keychain); a hosted
    /// profile's now, as its upstream is asked for its tools at once. A broken store does not
    /// stop the command, nor read as "not signed in": every call says what is wrong with it
    /// (the file, and the fix).
    pub async fn connect(&self, demo: bool) -> anyhow::Result<Connected> {
        if demo {
            return self.demo().await.map(Connected::ReadApi);
        }
        if let Some(mcp) = self.settings.mcp.clone() {
            let credential = self.read_credential().await;
            return Ok(Connected::Hosted(self.upstream(mcp, credential)));
        }
        let api = ApiClient::for_profile(&self.settings);
        Ok(Connected::ReadApi(self.read_api(
            api,
            self.settings.project.clone(),
            None,
        )))
    }

    /// The hosted upstream of a profile with `mcp_url`, with its stored credential; `None`
    /// for a Read API profile (whose credential is then not read at all).
    pub async fn connect_hosted(&self) -> Option<Arc<Upstream>> {
        let mcp = self.settings.mcp.clone()?;
        Some(self.upstream(mcp, self.read_credential().await))
    }

    /// [`App::connect`] with a credential the command has already read (`status`, `doctor`).
    pub fn connect_with(&self, credential: Credential) -> Connected {
        self.compose(Ok(Some(credential)))
    }

    /// The credential, or why the store could not be read (logged once here).
    async fn read_credential(&self) -> Result<Option<Credential>, String> {
        match self.credential().await {
            Ok(found) => Ok(found.map(|r| r.credential)),
            Err(e) => {
                tracing::warn!("{e}");
                Err(e.to_string())
            }
        }
    }

    fn compose(&self, credential: Result<Option<Credential>, String>) -> Connected {
        if let Some(mcp) = self.settings.mcp.clone() {
            return Connected::Hosted(self.upstream(mcp, credential));
        }
        let settings = &self.settings;
        let auth = match credential {
            Ok(credential) => credential.map(|c| Auth::new(settings, c)),
            Err(why) => Some(Auth::Unreadable(why)),
        };
        let api = ApiClient::new(settings.api_url.clone(), auth, settings.limits);
        Connected::ReadApi(self.read_api(api, settings.project.clone(), None))
    }

    /// The hosted upstream with `credential`. (`ANALYTICS_MCP_API_KEY` is a Read API key and
    /// never reaches here: `credentials::resolve` skips it for hosted profiles.)
    fn upstream(
        &self,
        mcp: McpUpstream,
        credential: Result<Option<Credential>, String>,
    ) -> Arc<Upstream> {
        let auth = match credential {
            Ok(Some(Credential::ApiKey(key))) => UpstreamAuth::Key {
                header: mcp.key_header.clone(),
                key,
            },
            Ok(Some(Credential::OAuth(tokens))) => {
                UpstreamAuth::OAuth(Arc::new(TokenManager::new(&self.settings, tokens)))
            }
            Ok(None) => UpstreamAuth::None,
            Err(why) => UpstreamAuth::Unreadable(why),
        };
        let settings = &self.settings;
        Arc::new(Upstream::new(
            mcp,
            settings.profile.as_deref(),
            auth,
            settings.limits,
        ))
    }

    /// A Read API client for `auth`, a credential not stored yet: `login` checks it with
    /// `GET /me` before it stores it.
    pub fn checking_api(&self, auth: Auth) -> ApiClient {
        let settings = &self.settings;
        ApiClient::new(settings.api_url.clone(), Some(auth), settings.limits)
    }

    /// A hosted upstream for `auth`, a credential not stored yet: `login` checks it by listing
    /// the server's tools before it stores it.
    pub fn checking_upstream(&self, mcp: &McpUpstream, auth: UpstreamAuth) -> Upstream {
        let settings = &self.settings;
        Upstream::new(
            mcp.clone(),
            settings.profile.as_deref(),
            auth,
            settings.limits,
        )
    }

    /// Himetrica's hosted MCP server for tools whose path is missing (issue 24), with the Read
    /// API's credential — still bound to the API's origin, so a `hosted_mcp_url` elsewhere
    /// never receives it; `None` with `fallback = false`. Its client is built at its first
    /// call, when the credential is read.
    pub fn fallback(&self, api: &Arc<ApiClient>) -> Option<Fallback> {
        let url = self.settings.hosted_fallback.clone()?;
        let mcp = McpUpstream {
            url: url.clone(),
            tools: Vec::new(),
            exclude_tools: Vec::new(),
            key_header: "X-API-Key".to_string(),
            protocol: config::Protocol::Auto,
        };
        let (profile, limits) = (self.settings.profile.clone(), self.settings.limits);
        let make = Box::new(move |auth: Option<&Auth>| {
            let auth = match auth {
                Some(Auth::ApiKey(key)) => UpstreamAuth::Key {
                    header: "X-API-Key".to_string(),
                    key: key.clone(),
                },
                Some(Auth::OAuth(m)) => UpstreamAuth::OAuth(m.clone()),
                Some(Auth::Bearer(token)) => UpstreamAuth::Key {
                    header: "Authorization".to_string(),
                    key: token.clone(),
                },
                Some(Auth::Unreadable(why)) => UpstreamAuth::Unreadable(why.clone()),
                None => UpstreamAuth::None,
            };
            Upstream::new(mcp.clone(), profile.as_deref(), auth, limits)
        });
        let routes = Routes::new(api.base_url().origin().ascii_serialization());
        Some(Fallback::new(url, Arc::clone(api), make, routes))
    }

    /// `--demo`: the in-process demo Read API and its key; no stored credential is read.
    async fn demo(&self) -> anyhow::Result<ReadApi> {
        let demo = crate::demo::start()
            .await
            .context("could not start the demo")?;
        let url = config::parse_api_url(&demo.base_url())?;
        let key = Auth::ApiKey(Bound::new(
            Secret::new(demo.api_key().to_string()),
            Origin::of(&url),
        ));
        let api = ApiClient::new(url, Some(key), self.settings.limits);
        Ok(self.read_api(api, None, Some(demo)))
    }

    fn read_api(&self, api: ApiClient, project: Option<String>, demo: Option<Demo>) -> ReadApi {
        let settings = &self.settings;
        let options = Options {
            mask_emails: settings.mask_emails,
            cache_ttl: settings.cache_ttl,
            output: settings.output,
        };
        let api = Arc::new(api);
        let fallback = self.fallback(&api);
        let mut toolbox =
            Toolbox::new(api, settings.endpoints.clone(), project).with_options(options);
        if let Some(fallback) = fallback {
            toolbox = toolbox.with_fallback(fallback);
        }
        ReadApi {
            toolbox: Arc::new(toolbox),
            me: settings.endpoints.me().to_string(),
            _demo: demo,
        }
    }
}

impl Connected {
    /// Lets a refresh this command started (and perhaps timed out on) store its rotated tokens
    /// before exit, for at most [`SETTLE`].
    pub async fn settle(&self) {
        let tokens = match self {
            Self::ReadApi(read) => read.toolbox.api().token_manager(),
            Self::Hosted(upstream) => upstream.token_manager(),
        };
        if let Some(tokens) = tokens {
            tokens.settle(SETTLE).await;
        }
    }
}

impl ReadApi {
    /// `GET /me` with the credential: the live check of `status` and `doctor`.
    pub async fn live_check(&self) -> Result<Value, ApiError> {
        self.toolbox.api().get(&self.me, &Vec::new()).await
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
