//! `analytics-mcp doctor`: one screen of checks — the binary, the config file, the credential,
//! a live API call, each detected client's entry, and our skills where Claude Code and Codex
//! load them (`skills.rs`) — each with ✓ or ✗ and the command that fixes it. Exits 1 when any
//! check fails.

use std::path::Path;

use super::diagnose::{During, live_check};
use super::entries;
use super::skills::Verdict;
use super::{App, Connected, all_hosted_tools};
use crate::cli::DoctorArgs;
use crate::config::CONFIG_FILE;
use crate::error::Exit;
use crate::install::{self, Scope, Selects};
use crate::output;

struct Report {
    lines: Vec<String>,
    failed: bool,
}

impl Report {
    fn ok(&mut self, what: &str, detail: impl AsRef<str>) {
        self.lines.push(format!("✓ {what:<15} {}", detail.as_ref()));
    }

    fn fail(&mut self, what: &str, detail: impl AsRef<str>, fix: impl AsRef<str>) {
        self.failed = true;
        self.lines.push(format!("✗ {what:<15} {}", detail.as_ref()));
        self.lines
            .push(format!("  {:<15} fix: {}", "", fix.as_ref()));
    }

    fn note(&mut self, what: &str, detail: impl AsRef<str>) {
        self.lines.push(format!("- {what:<15} {}", detail.as_ref()));
    }
}

pub async fn run(args: &DoctorArgs) -> anyhow::Result<Exit> {
    let global = &args.credential.global;
    let mut r = Report {
        lines: Vec::new(),
        failed: false,
    };
    let exe = std::env::current_exe()
        .map(|p| p.canonicalize().unwrap_or(p).display().to_string())
        .unwrap_or_else(|_| "analytics-mcp".to_string());
    r.ok("binary", format!("{exe} {}", env!("CARGO_PKG_VERSION")));

    let app = match App::load(global) {
        Ok(app) => {
            let s = &app.settings;
            let file = s.config_dir.join(CONFIG_FILE);
            if file.exists() {
                r.ok("config", file.display().to_string());
            } else {
                r.ok("config", format!("defaults (no {})", file.display()));
            }
            app
        }
        Err(e) => {
            r.fail(
                "config",
                format!("{e:#}"),
                "correct the file named above (see docs/configuration.md)",
            );
            output::data(&r.lines.join("\n"));
            return Ok(Exit::Failure);
        }
    };

    let settings = &app.settings;
    let credential = match app.credential().await {
        Ok(Some(found)) => {
            r.ok(
                "credential",
                format!(
                    "{} {} from {}",
                    found.credential.kind(),
                    found.credential.masked(),
                    found.source
                ),
            );
            if let Some(warning) = app.store().file_permission_warning() {
                r.fail("permissions", warning, "run the chmod command above");
            }
            Some(found.credential)
        }
        Ok(None) => {
            r.fail(
                "credential",
                "not signed in",
                "analytics-mcp login (or login --with-key)",
            );
            None
        }
        Err(e) => {
            r.fail(
                "credential",
                e.to_string(),
                "fix or remove the file named above, then analytics-mcp login",
            );
            None
        }
    };

    match credential.map(|c| app.connect_with(c)) {
        // A profile bridging a hosted MCP server: connect and list its tools.
        Some(Connected::Hosted(upstream)) => match all_hosted_tools(&upstream).await {
            Ok(tools) => r.ok(
                "MCP server",
                format!(
                    "{}: {} tools after this profile's filters",
                    upstream.config().url,
                    tools.len()
                ),
            ),
            Err(e) => r.fail(
                "MCP server",
                e,
                "analytics-mcp login --profile NAME, or check mcp_url in config.toml",
            ),
        },
        Some(Connected::ReadApi(read)) => match read.live_check().await {
            Ok(me) => {
                r.ok(
                    "API",
                    format!(
                        "{}: {}",
                        settings.api_url,
                        super::login::describe_project(&me)
                    ),
                );
                tools_check(&mut r, &app, &read, &me, args).await;
            }
            Err(e) => {
                let (problem, fix) = live_check(&e, settings, During::Check);
                r.fail("API", problem, fix);
            }
        },
        None => r.note("API", "not checked (no credential)"),
    }

    clients(&mut r);
    for verdict in super::skills::doctor() {
        match verdict {
            Verdict::Current(detail) => r.ok("skills", detail),
            Verdict::Missing(detail) => r.note("skills", detail),
            Verdict::Outdated(detail, fix) => r.fail("skills", detail, fix),
        }
    }
    output::data(&r.lines.join("\n"));
    Ok(if r.failed {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Which tools answer, and through which source (issue 24): today's probe record, or a new
/// probe (always with `--probe`); with `--endpoints`, the whole table.
async fn tools_check(
    r: &mut Report,
    app: &App,
    read: &super::app::ReadApi,
    me: &serde_json::Value,
    args: &DoctorArgs,
) {
    let toolbox = &read.toolbox;
    let settings = &app.settings;
    let origin = toolbox.api().base_url().origin().ascii_serialization();
    let recorded = crate::api::probed::Record::load(&origin).filter(crate::probe::is_fresh);
    let record = match recorded {
        Some(record) if !args.probe => record,
        _ => super::probing::probe(app, toolbox.api(), me, toolbox.fallback()).await,
    };
    let fallback = toolbox.fallback().is_some();
    let summary = crate::probe::summary(&record, &settings.endpoints, fallback);
    let answered = record.tools.keys().all(|tool| {
        crate::probe::source(&record, &settings.endpoints, tool, fallback)
            != crate::probe::Source::Nowhere
    });
    let summary = format!("{summary} (probed {})", record.date());
    if answered {
        r.ok("tools", summary);
    } else {
        r.fail(
            "tools",
            summary,
            "pin the missing paths under [endpoints] in config.toml (docs/configuration.md), or remove `fallback = false`",
        );
    }
    if args.endpoints {
        r.lines.push(crate::probe::table(
            Some(&record),
            &settings.endpoints,
            fallback,
            crate::output::width(),
        ));
    }
}

/// Each client file `install` may have written (user-wide, and this folder's project files),
/// and in it each of our entries (`analytics`, `analytics-PROFILE`): the program it starts,
/// and whether what it selects reaches the API its profile's credential was issued for.
fn clients(r: &mut Report) {
    let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()) else {
        return;
    };
    let cwd = std::env::current_dir().ok();
    let mut names = vec!["analytics".to_string()];
    if let Ok(dir) = crate::config::config_dir()
        && let Ok(file) = crate::config::read_config_file(&dir)
    {
        names.extend(file.profiles.keys().map(|p| format!("analytics-{p}")));
    }
    for (client, scope, path) in install::locations(&home, cwd.as_deref()) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not detected: nothing to check
        };
        let label = match scope {
            Scope::User => client.id().to_string(),
            Scope::Project => format!("{} (project)", client.id()),
        };
        let mut found = false;
        for name in &names {
            let Some((command, args)) = install::find(client.format(), &text, name) else {
                continue;
            };
            found = true;
            let reinstall = format!("analytics-mcp install {}", client.id());
            if !Path::new(&command).exists() {
                r.fail(
                    &label,
                    format!("\"{name}\" points at a missing program: {command}"),
                    reinstall,
                );
                continue;
            }
            match entries::check(&Selects::of(&args), client.id()) {
                Ok(reaches) => r.ok(&label, format!("\"{name}\" → {command}: {reaches}")),
                Err((problem, fix)) => r.fail(&label, format!("\"{name}\": {problem}"), fix),
            }
        }
        if !found {
            r.note(
                &label,
                format!(
                    "no \"analytics\" entry in {} (add: analytics-mcp install {})",
                    path.display(),
                    client.id()
                ),
            );
        }
    }
}
