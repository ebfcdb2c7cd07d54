//! The first ten minutes (issue 20): a sign-in to any API sticks (`login --api-url` records
//! it in config.toml), `login --profile NAME --api-url` creates a profile, `install` writes an
//! entry that reaches the same API and credential, `doctor` checks each entry against its
//! credential, and the whole newcomer journey works end to end — sandbox, sign-in, status,
//! install, the entry started the way the client starts it, doctor, logout.

use std::process::{Command, Stdio};

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::signin::use_fake_browser;
use crate::common::{McpSession, TestEnv, TestSandbox, WAIT, line_reader};

/// `login --with-key --api-url URL` with the sandbox's key on stdin, and `extra` flags.
pub(crate) fn login_with_key(
    env: &TestEnv,
    sb: &TestSandbox,
    extra: &[&str],
) -> crate::common::Output {
    let url = sb.url();
    let mut args = vec!["login", "--with-key", "--api-url", url.as_str()];
    args.extend_from_slice(extra);
    env.run(&args, &format!("{}\n", sb.key()))
}

fn config_text(env: &TestEnv) -> String {
    std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap_or_default()
}

/// Starts an MCP client entry the way the client does (its `command` and `args`, the user's
/// environment without the shell's API variables, a working directory of its own), asks
/// `tools/call name args` over stdio and returns the result.
fn call_entry(env: &TestEnv, entry: &Value, name: &str, args: Value) -> Value {
    let mut cmd = Command::new(entry["command"].as_str().expect("command"));
    for arg in entry["args"].as_array().expect("args") {
        cmd.arg(arg.as_str().expect("string arg"));
    }
    cmd.envs(env.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("ANALYTICS_MCP_API_URL")
        .env_remove("ANALYTICS_MCP_API_KEY")
        .current_dir(env.dir.path());
    let mut session = McpSession::spawn_command(cmd);
    session.initialize();
    let result = session.call(name, args);
    session.finish();
    result
}

#[test]
fn the_newcomer_journey_works_end_to_end() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();

    let out = login_with_key(&env, &sb, &[]);
    out.expect_code(0);
    out.stderr_has(&["✓ Signed in", "recorded for profile default"]);

    let out = env.run(&["status"], "").exits(0);
    out.stdout_has(&["Live check: ✓", &sb.url()]);

    env.run(&["install", "cursor"], "").exits(0);
    let written = std::fs::read_to_string(env.dir.path().join(".cursor/mcp.json")).unwrap();
    let config: Value = serde_json::from_str(&written).unwrap();
    let entry = &config["mcpServers"]["analytics"];
    let result = call_entry(&env, entry, "get_project", json!({}));
    assert_ne!(result["isError"], true, "{result}");
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Northwind"),
        "{result}"
    );

    let out = env.run(&["doctor"], "").exits(0);
    assert!(!out.stdout.contains('✗'), "{}", out.stdout);
    out.stdout_has(&["✓ cursor", "as profile default"]);

    env.run(&["logout"], "").expect_code(0);
    env.run(&["status"], "").expect_code(4);
}

#[test]
fn a_sign_in_to_another_api_is_recorded_keeping_the_file_as_it_was() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    let before =
        "# my settings\nmask_emails = true   # keep me\n\n[profiles.other]\nproject = \"p1\"\n";
    env.write_config(before);

    login_with_key(&env, &sb, &[]).expect_code(0);
    let after = config_text(&env);
    assert!(
        after.starts_with("# my settings\nmask_emails = true   # keep me\n"),
        "{after}"
    );
    assert!(
        after.contains(&format!("api_url = \"{}\"", sb.url())),
        "{after}"
    );
    assert!(
        after.contains("[profiles.other]\nproject = \"p1\"\n"),
        "{after}"
    );

    // `profiles` now names the API the default profile signed in to.
    let out = env.run(&["profiles"], "").exits(0);
    let default = out.stdout.lines().next().unwrap_or_default();
    assert!(
        default.contains(&sb.url()) && default.contains("signed in (secret key"),
        "{default}"
    );

    // Signing in again to the same API changes nothing in the file.
    login_with_key(&env, &sb, &[]).expect_code(0);
    assert_eq!(config_text(&env), after);
}

#[test]
fn a_browser_sign_in_to_another_api_sticks() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    // --no-browser: the URL is the way in, not a fallback. (It then waits for the browser;
    // the test stops it once the URL is shown.)
    let mut child = env
        .cmd()
        .args(["login", "--api-url", &sb.url(), "--no-browser"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, _reader) = line_reader(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("  http") {
        let line = lines.recv_timeout(WAIT).expect("the sign-in URL");
        seen.push_str(&line);
        seen.push('\n');
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!seen.contains("If no browser opens"), "{seen}");
    assert!(seen.contains("Open this URL in a browser"), "{seen}");
    let out = env.run(&["login", "--api-url", &sb.url()], "").exits(0);
    out.stderr_has(&["with the browser", "recorded for profile default"]);
    env.run(&["status"], "").expect_code(0);
}

#[test]
fn login_with_a_new_profile_name_creates_a_read_api_profile() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    env.write_config("[profiles.sandbox]\nmcp_url = \"https://mcp.example/mcp\"\n");
    let out = login_with_key(&env, &sb, &["--profile", "p2"]);
    out.expect_code(0);
    out.stderr_has(&["Signed in (profile p2)", "recorded for profile p2"]);
    assert!(
        config_text(&env).ends_with(&format!("[profiles.p2]\napi_url = \"{}\"\n", sb.url())),
        "{}",
        config_text(&env)
    );
    let out = env.run(&["status", "--profile", "p2"], "").exits(0);
    out.stdout_has(&["Profile:    p2", "Live check: ✓"]);
    // A failed sign-in creates nothing.
    env.run(
        &[
            "login",
            "--with-key",
            "--profile",
            "p3",
            "--api-url",
            &sb.url(),
        ],
        "hm_sk_wrong_0000000000000000\n",
    )
    .exits(5);
    assert!(!config_text(&env).contains("p3"), "{}", config_text(&env));
}

#[test]
fn an_unknown_profile_lists_default_and_says_how_to_create_one() {
    let env = TestEnv::new();
    env.write_config("[profiles.sandbox]\nproject = \"p1\"\n");
    let out = env.run(&["status", "--profile", "p2"], "").exits(2);
    out.stderr_has(&[
        "no profile `p2`",
        "the profiles are: default, sandbox",
        "hint: create it by signing in: `analytics-mcp login --profile p2 --api-url URL`",
    ]);
    // Without --api-url, login does not invent a profile either.
    let out = env
        .run(
            &["login", "--with-key", "--profile", "p2"],
            "hm_sk_x_0000000000000000\n",
        )
        .exits(2);
    out.stderr_has(&["the profiles are: default, sandbox"]);
}

#[test]
fn a_credential_for_another_api_is_named_with_both_origins_and_the_fix() {
    let first = TestSandbox::start(SandboxOptions::default());
    let second = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    login_with_key(&env, &first, &[]).expect_code(0);
    // The API in use now is another one (a flag, as a script might pass).
    let out = env
        .run(&["status", "--api-url", &second.url()], "")
        .exits(5);
    out.stderr_has(&[
        &format!("issued for {}", first.sandbox.origin()),
        &format!("this profile's API is {}", second.url()),
        &format!(
            "hint: sign in for {0}: `analytics-mcp login --api-url {0}`",
            second.url()
        ),
    ]);
}

#[test]
fn install_writes_what_the_entry_needs_and_doctor_checks_it_against_the_credential() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let other = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    login_with_key(&env, &sb, &["--profile", "p2"]).expect_code(0);

    // A profile: the entry selects it.
    let out = env
        .run(&["install", "cursor", "--profile", "p2", "--dry-run"], "")
        .exits(0);
    out.stdout_has(&["\"args\": [\"serve\", \"--profile\", \"p2\"]"]);

    // An API given only on the command line: the entry carries it (the client has no flag),
    // and since no credential was issued for it, install says so with the fix.
    let out = env
        .run(&["install", "cursor", "--api-url", &other.url()], "")
        .exits(0);
    out.stderr_has(&["warning: the entry will not answer yet"]);
    let written = std::fs::read_to_string(env.dir.path().join(".cursor/mcp.json")).unwrap();
    assert!(
        written.contains(&format!(
            "\"args\": [\"serve\", \"--api-url\", \"{}\"]",
            other.url()
        )),
        "{written}"
    );
    let out = env.run(&["doctor"], "").exits(1);
    out.stdout_has(&[
        "✗ cursor",
        "\"analytics\": it uses profile default, which is not signed in",
    ]);

    // Signing the default profile in for another API than the entry's: ✗ naming both.
    login_with_key(&env, &sb, &[]).expect_code(0);
    let out = env.run(&["doctor"], "").exits(1);
    out.stdout_has(&[
        &format!("it reaches {}", other.url()),
        &format!("credential was issued for {}", sb.sandbox.origin()),
        "fix: `analytics-mcp login --api-url",
    ]);

    // Installed for the profile instead: every entry is ✓.
    env.run(&["install", "cursor"], "").expect_code(0);
    env.run(&["install", "cursor", "--profile", "p2"], "")
        .expect_code(0);
    let out = env.run(&["doctor"], "").exits(0);
    out.stdout_has(&["\"analytics-p2\"", "as profile p2"]);
}

#[test]
fn claude_codes_project_file_is_seen_by_list_and_doctor() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("PATH", "/usr/bin:/bin"); // no `claude`
    login_with_key(&env, &sb, &[]).expect_code(0);
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let run_in = |args: &[&str]| {
        let out = env.cmd().args(args).current_dir(&project).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, _) = run_in(&["install", "claude-code"]);
    assert_eq!(code, 0);
    assert!(project.join(".mcp.json").exists());
    let (code, list) = run_in(&["install", "--list"]);
    assert_eq!(code, 0);
    assert!(
        list.contains("claude-code (project) ✓ \"analytics\" installed"),
        "{list}"
    );
    let (code, doctor) = run_in(&["doctor"]);
    assert_eq!(code, 0, "{doctor}");
    assert!(doctor.contains("✓ claude-code (project)"), "{doctor}");
}

#[test]
fn network_failures_at_sign_in_name_their_cause_and_host() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    let key = format!("{}\n", sb.key());
    // TLS to a server that speaks plain HTTP.
    let https = sb.url().replace("http://", "https://");
    let out = env
        .run(&["login", "--with-key", "--api-url", &https], &key)
        .exits(5);
    out.stderr_has(&["TLS failed", "127.0.0.1", "the key was not stored"]);
    // A name that never resolves (RFC 6761 `.invalid`).
    let out = env
        .run_words(
            "login --with-key --api-url https://analytics.invalid/api/v1",
            &key,
        )
        .exits(5);
    out.stderr_has(&["did not resolve (DNS)", "analytics.invalid"]);
    // Browser sign-in with nothing listening: the refused connection, not "no metadata".
    let down = format!("http://127.0.0.1:{}/api/v1", crate::common::closed_port());
    let out = env
        .run(&["login", "--api-url", &down, "--no-browser"], "")
        .exits(5);
    out.stderr_has(&["connection refused", &down]);
    assert!(!out.stderr.contains("metadata"), "{}", out.stderr);
}

#[test]
fn the_sandbox_on_a_busy_port_names_it_and_prints_commands_to_paste() {
    let running = TestSandbox::start(SandboxOptions::default());
    let port = running.sandbox.addr.port().to_string();
    let env = TestEnv::new();
    let out = env.run(&["sandbox", "--port", &port], "").exits(2);
    out.stderr_has(&[
        &format!("port {port} on 127.0.0.1 is already in use"),
        &format!(
            "echo {} | analytics-mcp login --with-key --api-url {}",
            running.key(),
            running.url()
        ),
    ]);
    // Something else on the port: named, with how to pick another.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port().to_string();
    let out = env.run(&["sandbox", "--port", &port], "").exits(2);
    out.stderr_has(&[
        &format!("port {port} on 127.0.0.1 is already in use"),
        "--port 0",
    ]);
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
}

#[test]
fn api_usage_from_call_says_it_counts_one_process() {
    let env = TestEnv::new();
    let out = env.run(&["call", "get_api_usage", "--demo"], "").exits(0);
    out.stderr_has(&["each `call` is a new process"]);
}

#[test]
fn a_device_sign_in_to_another_api_sticks() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let env = TestEnv::new();
    let url = sb.url();
    let (code, printed) = crate::device::device_login_with(
        &env,
        &sb,
        crate::device::Answer::Approve,
        &["--api-url", &url],
    );
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.contains("recorded for profile default"),
        "{printed}"
    );
    assert!(config_text(&env).contains(&format!("api_url = \"{url}\"")));
    env.run(&["status"], "").expect_code(0);
}
