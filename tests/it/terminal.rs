//! A terminal that feels alive (issue 20, points 8, 9 and 12): the spinner while a call waits,
//! colour only where a person looks (and as `NO_COLOR`, `CLICOLOR_FORCE` and `--color` say),
//! a terminal chart that stands on zero and fits `COLUMNS`, bars for breakdowns, `--svg`
//! refused before any request, and `serve`'s hint line. Real processes; where the point is a
//! terminal, a real pseudo-terminal from util-linux `script`.

use std::process::{Command, Stdio};

use analytics_mcp_sandbox::{Fault, FaultKind, SandboxOptions};

use crate::common::{TestEnv, TestSandbox, WAIT, closed_port, finish_within, skip_or_fail};

/// Runs `sh_line` (a shell command line; `BIN` stands for the binary) in a pseudo-terminal
/// with `env`, and returns everything the terminal showed; `None` (after a skip) without
/// util-linux `script`.
fn on_terminal(env: &TestEnv, sh_line: &str) -> Option<String> {
    let found = Command::new("script").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        skip_or_fail("util-linux `script` (for a pseudo-terminal) is not installed");
        return None;
    }
    let line = sh_line.replace("BIN", &format!("'{}'", crate::common::bin()));
    let mut cmd = Command::new("script");
    cmd.args(["-qefc", &line, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "ANALYTICS_MCP_API_KEY",
        "ANALYTICS_MCP_API_URL",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TERM", "xterm-256color");
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    let out = finish_within(cmd.spawn().expect("spawn script"), WAIT, "script");
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

/// A sandbox whose answers at paths containing `path` take 2.5 s, and an environment
/// pointed at it.
fn slow(path: &str) -> (TestSandbox, TestEnv) {
    let sb = TestSandbox::start(SandboxOptions {
        faults: vec![Fault::new(
            path,
            FaultKind::Delay(std::time::Duration::from_millis(2500)),
        )],
        ..SandboxOptions::default()
    });
    let env = sb.env();
    (sb, env)
}

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

#[test]
fn a_slow_call_shows_a_spinner_on_a_terminal_and_never_in_a_pipe() {
    let (_sb, env) = slow("/analytics");
    let file = env.dir.path().join("answer.txt");
    let line = format!("BIN call get_analytics > '{}'", file.display());
    let Some(screen) = on_terminal(&env, &line) else {
        return;
    };
    assert!(screen.contains(FRAMES), "no spinner frame: {screen:?}");
    assert!(screen.contains("Waiting for get_analytics…"), "{screen:?}");
    // The spinner's line is cleared before the command ends.
    assert!(screen.ends_with("\r\x1b[2K"), "{screen:?}");
    let answer = std::fs::read_to_string(&file).unwrap();
    assert!(answer.starts_with("Traffic overview"), "{answer}");
    assert!(
        !answer.contains(FRAMES),
        "the spinner went to stdout: {answer}"
    );

    // Piped: the same wait, no spinner anywhere.
    let out = env.run(&["call", "get_analytics"], "").exits(0);
    assert!(!out.all().contains(FRAMES), "{}", out.all());
}

#[test]
fn status_and_doctor_spin_too_and_serve_never_does() {
    // Their live check is `/me`: slow that one down.
    let (_sb, env_me) = slow("/me");
    for cmd in ["status", "doctor"] {
        let Some(screen) = on_terminal(&env_me, &format!("BIN {cmd}")) else {
            return;
        };
        assert!(screen.contains(FRAMES), "{cmd}: {screen:?}");
        assert!(screen.contains("Checking…"), "{cmd}: {screen:?}");
    }
    // `serve` started by hand (its stdin ends at once) prints its hint line and no spinner.
    let Some(screen) = on_terminal(&env_me, "BIN serve") else {
        return;
    };
    assert!(screen.contains("waiting for an MCP client"), "{screen:?}");
    assert!(!screen.contains(FRAMES), "{screen:?}");
}

#[test]
fn marks_and_changes_are_coloured_only_where_a_person_looks() {
    let env = TestEnv::new();
    let green_plus = "\x1b[32m+0.7%";
    // A terminal: colour, unless NO_COLOR or --color never.
    let Some(screen) = on_terminal(&env, "BIN call get_analytics --demo") else {
        return;
    };
    assert!(screen.contains(green_plus), "{screen:?}");
    assert!(screen.contains("\x1b[1mTraffic overview"), "{screen:?}");
    let never = on_terminal(&env, "BIN call get_analytics --demo --color never").unwrap();
    assert!(!never.contains('\x1b'), "{never:?}");
    let mut no_color = TestEnv::new();
    no_color.set("NO_COLOR", "1");
    let plain = on_terminal(&no_color, "BIN call get_analytics --demo").unwrap();
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(plain.contains("+0.7%"), "{plain:?}");

    // A pipe: plain, unless CLICOLOR_FORCE or --color always.
    let out = env.run(&["call", "get_analytics", "--demo"], "");
    assert!(!out.stdout.contains('\x1b'), "{}", out.stdout);
    let out = env.run(
        &["call", "get_analytics", "--demo", "--color", "always"],
        "",
    );
    assert!(out.stdout.contains(green_plus), "{}", out.stdout);
    let mut forced = TestEnv::new();
    forced.set("CLICOLOR_FORCE", "1");
    let out = forced.run(&["call", "get_analytics", "--demo"], "");
    assert!(out.stdout.contains(green_plus), "{}", out.stdout);

    // ✓ green and ✗ red in doctor, and error: in red.
    let out = env.run(&["doctor", "--color", "always"], "");
    out.stdout_has(&["\x1b[32m✓"]);
    out.stdout_has(&["\x1b[31m✗"]);
    let out = env.run(&["status", "--color", "always"], "");
    assert!(
        out.stderr.starts_with("\x1b[1m\x1b[31merror:"),
        "{:?}",
        out.stderr
    );
}

#[test]
fn on_an_80_column_terminal_every_line_fits_and_no_number_is_cut() {
    let mut env = TestEnv::new();
    env.set("COLUMNS", "80").set("NO_COLOR", "1");
    let args = ["call", "get_timeseries", "--demo", "period=last_90_days"];
    let Some(screen) = on_terminal(&env, &format!("BIN {} 2>/dev/null", args.join(" "))) else {
        return;
    };
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "{line:?}\n{screen}");
    }
    // Only the spaces moved: the same words as the piped answer, none cut in two.
    let piped = env.run(&args, "");
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let table_start = piped.stdout.find("\nDate").unwrap();
    assert_eq!(
        words(&screen[..screen.find("\nDate").unwrap()]),
        words(&piped.stdout[..table_start])
    );
    // The chart under it stands on zero: each metric's base label is 0.
    let bases: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains('┤'))
        .skip(1)
        .step_by(2)
        .collect();
    assert_eq!(bases.len(), 3, "{screen}");
    for base in bases {
        assert!(base.trim_start().starts_with("0 ┤"), "{base:?}\n{screen}");
    }
}

#[test]
fn chart_draws_bars_for_every_breakdown() {
    let env = TestEnv::new();
    for (tool, title) in [
        ("get_top_pages", "top pages: "),
        ("get_traffic_sources", "traffic sources: "),
        ("get_top_locations", "top locations: "),
        ("get_events", "custom events: "),
        ("get_top_customers", "top customers: "),
        ("get_channel_roi", "channel roi: "),
    ] {
        let plain = env.run(&["call", tool, "--demo"], "");
        let charted = env.run(&["call", tool, "--demo", "--chart"], "").exits(0);
        let chart = &charted.stdout[plain.stdout.trim_end().len()..];
        assert!(chart.to_lowercase().contains(title), "{tool}: {chart}");
        assert!(
            chart.lines().filter(|l| l.contains('█')).count() >= 2,
            "{tool}: {chart}"
        );
    }
}

#[test]
fn svg_is_refused_before_any_request_and_states_window_and_legend() {
    let mut env = TestEnv::new();
    // Nothing listens there: a request would fail with exit 5, not the usage error.
    let url = format!("http://127.0.0.1:{}/api/v1", closed_port());
    env.set("ANALYTICS_MCP_API_URL", &url)
        .set("ANALYTICS_MCP_API_KEY", "hm_sk_test");
    let file = env.dir.path().join("x.svg");
    let path = file.display().to_string();
    let out = env
        .run(&["call", "get_analytics", "--svg", &path], "")
        .exits(2);
    out.stderr_has(&["get_analytics has no chart", "get_timeseries"]);
    assert!(!file.exists());

    let env = TestEnv::new();
    let args = [
        "call",
        "get_timeseries",
        "--demo",
        "compare=previous_period",
        "--svg",
        &path,
    ];
    env.run(&args, "").expect_code(0);
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.contains("class=\"legend\""), "{svg}");
    assert!(svg.contains(">this period<"), "{svg}");
    assert!(svg.contains(">previous period, 2026-"), "{svg}");
    assert!(
        svg.contains("2026-11-14 to 2026-11-20"),
        "the window: {svg}"
    );
    env.run(&["call", "get_top_pages", "--demo", "--svg", &path], "")
        .expect_code(0);
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(
        svg.contains("Page views · 2026-11-14 to 2026-11-20"),
        "{svg}"
    );
}

#[test]
fn serve_on_a_terminal_says_what_it_is_for_and_keeps_stdout_for_json_rpc() {
    let env = TestEnv::new();
    let Some(screen) = on_terminal(&env, "BIN serve --demo 2>&1 >/dev/null") else {
        return;
    };
    assert_eq!(screen.lines().count(), 1, "{screen}");
    assert!(screen.contains("waiting for an MCP client"), "{screen}");
    assert!(
        screen.contains("analytics-mcp install <client>"),
        "{screen}"
    );
    // Started by a client (pipes), it says nothing.
    let out = env.run(&["serve", "--demo"], "");
    assert!(
        !out.stderr.contains("waiting for an MCP client"),
        "{}",
        out.stderr
    );
}
