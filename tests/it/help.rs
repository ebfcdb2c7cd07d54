//! What `--help` and the man page say (issue 20, point 12): a snapshot of every subcommand's
//! help the way uv writes them (exit code, stdout and stderr), the flags that pick an API or a
//! profile only on the commands they affect, the sandbox's faults all listed, and a man page
//! with COMMANDS, EXAMPLES, ENVIRONMENT (every variable of `src/env_vars.rs`), FILES and EXIT
//! STATUS that refers to no page that does not exist.

use clap::CommandFactory;

use crate::common::{Output, TestEnv, repo};

/// Exit code, stdout and stderr as one text, as uv's snapshots show a command.
fn shown(out: &Output) -> String {
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.code == 0,
        out.code,
        out.stdout,
        out.stderr
    )
}

fn subcommands() -> Vec<String> {
    analytics_mcp::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn every_subcommand_has_help_worth_reading() {
    let mut env = TestEnv::new();
    // The help wraps at the terminal's width: pinned, so the snapshots do not depend on it.
    env.set("COLUMNS", "100");
    let names = subcommands();
    assert!(names.len() >= 13, "{names:?}");
    let version = regex_escape(env!("CARGO_PKG_VERSION"));
    let home = regex_escape(&env.dir.path().display().to_string());
    insta::with_settings!({filters => vec![
        (version.as_str(), "[VERSION]"),
        (home.as_str(), "[HOME]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]}, {
        for name in names {
            let out = env.run(&[&name, "--help"], "");
            insta::assert_snapshot!(format!("help_{name}"), shown(&out));
        }
    });
}

/// `text` matched literally in an insta filter (a regex).
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

#[test]
fn api_and_profile_flags_only_where_they_matter() {
    let env = TestEnv::new();
    for name in ["man", "completions", "sandbox"] {
        let out = env.run(&[name, "--help"], "");
        assert!(!out.stdout.contains("--profile"), "{name}: {}", out.stdout);
        assert!(!out.stdout.contains("--api-url"), "{name}: {}", out.stdout);
    }
    env.run(&["man", "--profile", "x"], "").exits(2);
    for name in ["call", "serve", "status", "login", "install", "doctor"] {
        let out = env.run(&[name, "--help"], "");
        assert!(
            out.stdout.contains("--profile <NAME>"),
            "{name}: {}",
            out.stdout
        );
    }
}

#[test]
fn sandbox_help_lists_every_fault_the_sandbox_takes() {
    let env = TestEnv::new();
    let out = env.run(&["sandbox", "--help"], "");
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for spec in [
        "PATH=503",
        "429:30",
        "delay:1500",
        "html",
        "invalid-json",
        "reset",
        "stall",
        "huge:50",
        "redirect:URL",
        "*N",
    ] {
        assert!(help.contains(spec), "{spec} missing: {help}");
    }
    // Each one is accepted as written.
    let faults = [
        "/a=503",
        "/a=429:30",
        "/a=delay:1500",
        "/a=html",
        "/a=invalid-json",
        "/a=reset",
        "/a=stall",
        "/a=huge:50",
        "/a=redirect:https://example.com",
        "/a=503*2",
    ];
    for fault in faults {
        assert!(
            fault.parse::<analytics_mcp_sandbox::Fault>().is_ok(),
            "{fault}"
        );
    }
}

/// The text of one `.SH` section of the page.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!(".SH {name}\n"))
        .or_else(|| page.find(&format!(".SH \"{name}\"\n")))
        .unwrap_or_else(|| panic!("no {name} section"));
    let rest = &page[start + 4..];
    &rest[..rest.find("\n.SH ").unwrap_or(rest.len())]
}

#[test]
fn the_man_page_documents_commands_examples_environment_files_and_exit_status() {
    let env = TestEnv::new();
    let out = env.run(&["man"], "").exits(0);
    let page = &out.stdout;
    assert!(page.contains(".TH analytics-mcp 1"), "{page}");
    for (i, name) in [
        "NAME",
        "SYNOPSIS",
        "COMMANDS",
        "EXAMPLES",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
    ]
    .iter()
    .enumerate()
    {
        assert!(!section(page, name).trim().is_empty(), "{i}: {name}");
    }
    // No reference to a page that does not exist (clap_mangen's default names
    // analytics-mcp-serve(1) and the like).
    assert!(
        !page.contains("analytics\\-mcp\\-"),
        "a sub-page reference: {page}"
    );
    let commands = section(page, "COMMANDS");
    for name in subcommands().iter().filter(|n| *n != "help") {
        assert!(
            commands.contains(&format!("analytics\\-mcp {name}")),
            "{name}"
        );
    }
    assert!(
        commands.contains("\\-\\-with\\-key"),
        "options of each command: {commands}"
    );
    // Every variable `src/env_vars.rs` defines, from the source itself.
    let source = std::fs::read_to_string(repo().join("src/env_vars.rs")).unwrap();
    let environment = section(page, "ENVIRONMENT")
        .replace("\\-", "-")
        .replace("\\_", "_");
    let mut count = 0;
    for line in source
        .lines()
        .filter(|l| l.trim_start().starts_with("pub const "))
    {
        let name = line.split('"').nth(1).unwrap();
        assert!(environment.contains(name), "{name} is not in ENVIRONMENT");
        count += 1;
    }
    assert!(count >= 15, "{count}");
    let files = section(page, "FILES");
    for file in [
        "config.toml",
        "credentials.json",
        "credentials.lock",
        "oauth\\-clients.json",
    ] {
        assert!(files.contains(file), "{file}: {files}");
    }
    let exits = section(page, "EXIT STATUS");
    for code in ["0", "1", "2", "3", "4", "5", "130"] {
        assert!(
            exits.contains(&format!(".B {code}\n")) || exits.contains(&format!("\\fB{code}\\fR")),
            "{code}: {exits}"
        );
    }
    // And man itself reads it without a warning, when installed.
    if let Ok(out) = std::process::Command::new("man").arg("--version").output()
        && out.status.success()
    {
        let file = env.dir.path().join("analytics-mcp.1");
        std::fs::write(&file, page).unwrap();
        let shown = std::process::Command::new("man")
            .args(["-l", "--warnings"])
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(text.contains("EXIT STATUS"), "{text}");
    }
}
