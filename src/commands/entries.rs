//! Whether a client's entry reaches the API its credential was issued for: the profile and
//! API an entry's `serve` arguments select, the credential stored for that profile, and the
//! origin of each. `install` warns when they differ, `doctor` says ✗ with the fix. Uses
//! `install` (reading an entry), `config` and `credentials`.

use super::App;
use super::diagnose::profile_flag;
use crate::cli::GlobalArgs;
use crate::config::{self, DEFAULT_API_URL};
use crate::credentials::{Credential, Origin};
use crate::install::Selects;

/// `--api-url URL` for a new entry when the API in use comes from a flag or the environment
/// (which the client will not have) rather than from `config.toml`.
pub(crate) fn api_url_arg(global: &GlobalArgs) -> Option<String> {
    let app = App::load(global).ok()?;
    if app.hosted() {
        return None;
    }
    let settings = &app.settings;
    let file = config::read_config_file(&settings.config_dir).ok()?;
    let profile_url = settings
        .profile
        .as_deref()
        .and_then(|name| file.profiles.get(name))
        .and_then(|p| p.api_url.clone());
    let recorded = profile_url
        .or(file.api_url)
        .unwrap_or_else(|| DEFAULT_API_URL.to_string());
    let recorded = config::parse_api_url(&recorded).ok();
    (recorded.as_ref() != Some(&settings.api_url)).then(|| settings.api_url.to_string())
}

/// What the entry `selects` will reach, or why it will not work: `Ok(description)` or
/// `Err((problem, fix))`. `client` names the client in the fix command. Only the stored
/// credential counts: a client does not get the shell's `ANALYTICS_MCP_API_KEY`.
pub(crate) fn check(selects: &Selects, client: &str) -> Result<String, (String, String)> {
    if selects.demo {
        return Ok("the built-in demo project".to_string());
    }
    if selects.several() {
        return check_each(selects, client);
    }
    let global = GlobalArgs {
        api_url: selects.api_url.clone(),
        profile: selects.profile.clone(),
    };
    let app = App::load(&global).map_err(|e| {
        (
            format!("its settings do not load: {e:#}"),
            "correct config.toml (see `analytics-mcp doctor` above)".to_string(),
        )
    })?;
    let settings = &app.settings;
    let login = format!("analytics-mcp login{}", profile_flag(settings));
    let target = settings.credential_target();
    let credential = match app.store().load() {
        Ok(Some(found)) => found.credential,
        Ok(None) => {
            return Err((
                format!(
                    "it uses profile {}, which is not signed in",
                    profile_name(settings)
                ),
                login,
            ));
        }
        Err(e) => return Err((e.to_string(), login)),
    };
    let issued = match &credential {
        Credential::ApiKey(key) => key.origin().clone(),
        Credential::OAuth(tokens) => tokens.bound_access().origin().clone(),
    };
    if issued != Origin::of(target) {
        let install = format!("analytics-mcp install {client}{}", profile_flag(settings));
        return Err((
            format!(
                "it reaches {target}, but profile {}'s credential was issued for {issued}",
                profile_name(settings)
            ),
            if settings.mcp.is_some() {
                format!("`{login}` to sign in for it, or re-run `{install}`")
            } else {
                format!("`{login} --api-url {target}` to sign in for it, or re-run `{install}`")
            },
        ));
    }
    Ok(format!("{target} as profile {}", profile_name(settings)))
}

/// An entry over several profiles (issue 26): each checked as an entry of its own would be.
fn check_each(selects: &Selects, client: &str) -> Result<String, (String, String)> {
    let given: Vec<String> = selects
        .profile
        .iter()
        .chain(&selects.more_profiles)
        .cloned()
        .collect();
    let names = super::projects::selected(selects.all_profiles, &given).map_err(|e| {
        (
            format!("its profiles do not load: {e:#}"),
            "correct config.toml (see `analytics-mcp doctor` above)".to_string(),
        )
    })?;
    let (mut reached, mut problems, mut fixes) = (Vec::new(), Vec::new(), Vec::new());
    for name in names {
        if let Err(e) = super::projects::read_api_profile(&name) {
            problems.push(format!("{e:#}"));
            fixes.push(format!("serve profile {name} in an entry of its own"));
            continue;
        }
        let one = Selects {
            profile: Some(name),
            ..Selects::default()
        };
        match check(&one, client) {
            Ok(reaches) => reached.push(reaches),
            Err((problem, fix)) => {
                problems.push(problem);
                fixes.push(fix);
            }
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{} projects: {}",
            reached.len(),
            reached.join("; ")
        ))
    } else {
        Err((problems.join("; "), fixes.join("; ")))
    }
}

fn profile_name(settings: &config::Settings) -> &str {
    settings
        .profile
        .as_deref()
        .unwrap_or(config::DEFAULT_PROFILE)
}
