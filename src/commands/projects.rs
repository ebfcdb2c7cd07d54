//! Several Read API profiles at once (issue 26), for `serve` and `call`: which profiles
//! `--profile a --profile b` or `--all-profiles` select, each composed alone through [`App`]
//! (its settings, credential, API client and toolbox, as a single-profile command composes
//! them), gathered into one `tools::Projects`.
//!
//! Refused with the fix, before anything is read: a hosted-MCP profile among them (those stay
//! one per `serve`), and what would apply one API, key or project to every profile at once
//! (`--api-url`, `--project`, `--demo`, and their environment variables). Under
//! `--all-profiles` hosted profiles are left out, with a note.

use std::sync::Arc;

use anyhow::Context;

use super::{App, Connected};
use crate::cli::ProfileSetArgs;
use crate::config::{self, DEFAULT_PROFILE};
use crate::env_vars;
use crate::error::{CliError, Exit};
use crate::output;
use crate::tools::{Project, Projects};

/// Every selected profile, connected: kept alive as long as the command runs.
pub(crate) struct Several {
    connected: Vec<(String, Connected)>,
    /// Tool calls worked on at once: the most any profile allows (each API client still
    /// holds to its own limit).
    pub max_in_flight: usize,
}

impl Several {
    /// Composes each profile `args` selects. `demo` and `project` are the command's flags,
    /// refused here because they would apply to every profile.
    pub async fn connect(
        args: &ProfileSetArgs,
        demo: bool,
        project: Option<&str>,
    ) -> anyhow::Result<Self> {
        refuse_shared(args, demo, project)?;
        let mut connected = Vec::new();
        let mut max_in_flight = 1;
        for name in selected(args.all_profiles, &args.profile)? {
            let app = read_api_profile(&name)?;
            max_in_flight = max_in_flight.max(app.settings.limits.max_in_flight);
            connected.push((name, app.connect(false).await?));
        }
        Ok(Self {
            connected,
            max_in_flight,
        })
    }

    /// The projects, in the order given (the first is the default).
    pub fn projects(&self) -> Projects {
        let projects = self
            .connected
            .iter()
            .filter_map(|(name, connected)| match connected {
                Connected::ReadApi(read) => Some(Project {
                    name: name.clone(),
                    toolbox: Arc::clone(&read.toolbox),
                }),
                Connected::Hosted(_) => None,
            })
            .collect();
        Projects::several(projects)
    }

    /// Lets each profile's refresh in flight store its tokens (see [`Connected::settle`]).
    pub async fn settle(&self) {
        for (_, connected) in &self.connected {
            connected.settle().await;
        }
    }
}

/// Profile `name`'s settings, refused when it bridges a hosted MCP server.
pub(crate) fn read_api_profile(name: &str) -> anyhow::Result<App> {
    let app = App::for_profile(name).with_context(|| format!("profile `{name}`"))?;
    if app.hosted() {
        return Err(usage(
            format!(
                "profile `{name}` bridges a hosted MCP server, and those are served one per `serve`"
            ),
            format!(
                "serve it in an entry of its own (`analytics-mcp install <client> --profile {name}`), and list only Read API profiles here"
            ),
        ));
    }
    Ok(app)
}

/// The profile names: `profile` in order (each once), or with `all` every Read API profile.
pub(crate) fn selected(all: bool, profile: &[String]) -> anyhow::Result<Vec<String>> {
    if !all {
        let mut names: Vec<String> = Vec::new();
        for name in profile {
            // `default` and the top level are one profile.
            let name = config::selected_profile(Some(name))?
                .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
            if names.contains(&name) {
                return Err(usage(
                    format!("profile `{name}` is named twice"),
                    "name each profile once".to_string(),
                ));
            }
            names.push(name);
        }
        return Ok(names);
    }
    let file = config::read_config_file(&config::config_dir()?)?;
    let mut names = vec![DEFAULT_PROFILE.to_string()];
    let mut hosted = Vec::new();
    for (name, profile) in &file.profiles {
        if profile.mcp_url.is_some() {
            hosted.push(name.as_str());
        } else {
            names.push(name.clone());
        }
    }
    if !hosted.is_empty() {
        output::note(&format!(
            "--all-profiles serves the Read API profiles; hosted MCP profiles are served one per `serve`, so these are left out: {}",
            hosted.join(", ")
        ));
    }
    Ok(names)
}

/// Refuses what would point every profile at one API, key or project.
fn refuse_shared(args: &ProfileSetArgs, demo: bool, project: Option<&str>) -> anyhow::Result<()> {
    let each = "each profile uses the API, credential and project config.toml gives it";
    if args.api_url.is_some() {
        return Err(usage(
            "--api-url would send every profile to one API".to_string(),
            format!("{each}: set api_url in each [profiles.NAME] table instead"),
        ));
    }
    if project.is_some() {
        return Err(usage(
            "--project would ask every profile for one project id".to_string(),
            format!("{each}: set project in each [profiles.NAME] table instead"),
        ));
    }
    if demo {
        return Err(usage(
            "--demo serves the one built-in demo project".to_string(),
            "leave out --profile/--all-profiles with --demo".to_string(),
        ));
    }
    for var in [env_vars::API_KEY, env_vars::API_URL, env_vars::PROJECT] {
        if env_vars::var(var).is_some() {
            return Err(usage(
                format!("{var} is set, and it would apply to every profile"),
                format!("{each}: unset {var}, or serve one profile"),
            ));
        }
    }
    Ok(())
}

fn usage(problem: String, hint: String) -> anyhow::Error {
    CliError::new(Exit::Usage, problem).with_hint(hint).into()
}
