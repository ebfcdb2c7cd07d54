//! Secret-key sign-in end to end with the file store: login → status → serve → logout →
//! status, with every output stream checked for the key.

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::json;

use crate::common::{McpSession, TestEnv, TestSandbox, text_of, tool_names};

/// A key that is not the sandbox default, so finding it anywhere means a leak.
const KEY: &str = "hm_sk_live_7d3f9a2b41c8e6f0a5b9c2d4";

fn sandbox() -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        api_key: KEY.to_string(),
        ..SandboxOptions::default()
    })
}

/// An environment pointed at `sb` (its key not in the environment) and signed in with [`KEY`]
/// in the credentials file, whose path comes with it.
fn signed_in(sb: &TestSandbox) -> (TestEnv, std::path::PathBuf) {
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    env.run(&["login", "--with-key"], KEY).expect_code(0);
    let file = env.config_dir().join("credentials.json");
    (env, file)
}

#[test]
fn login_status_serve_logout_status_never_shows_the_key() {
    let sb = sandbox();
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let mut seen = String::new();

    let out = env.run(&["login", "--with-key"], &format!("{KEY}\n"));
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stderr_has(&["Signed in: Northwind Notes (demo)"]);
    out.stderr_has(&["hm_sk_…c2d4"]);
    let file = env.config_dir().join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
        };
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&env.config_dir()), 0o700);
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(stored["schema"], 1);

    let out = env.run(&["status"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stdout_has(&["hm_sk_…c2d4"]);
    assert!(
        out.stdout.contains(&format!("file {}", file.display())),
        "{}",
        out.stdout
    );
    out.stdout_has(&["prj_demo_northwind", "America/New_York"]);

    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    let r = s.call("get_analytics", json!({}));
    assert_eq!(r["isError"], false, "{r}");
    let done = s.finish();
    seen.push_str(&done.stdout_lines.join("\n"));
    seen.push_str(&done.stderr);

    let out = env.run(&["logout"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    assert!(out.stderr.contains("Signed out") && !file.exists());
    let out = env.run(&["logout"], "");
    seen.push_str(&out.all());
    assert_eq!(out.code, 0, "logout is idempotent");
    out.stderr_has(&["nothing to remove"]);

    let out = env.run(&["status"], "");
    seen.push_str(&out.all());
    out.expect_code(4);
    out.stderr_has(&["not signed in", "analytics-mcp login"]);

    // Trace-level logs too.
    let mut env = env;
    env.set("ANALYTICS_MCP_LOG", "trace");
    env.set("ANALYTICS_MCP_API_KEY", KEY);
    let out = env.run(&["call", "get_top_pages"], "").exits(0);
    seen.push_str(&out.all());
    let out = env.run(&["status"], "");
    seen.push_str(&out.all());
    out.stdout_has(&["environment variable ANALYTICS_MCP_API_KEY"]);

    assert!(!seen.is_empty());
    assert!(!seen.contains(KEY), "the key appeared in output");
    assert!(
        !seen.contains(&KEY[6..]),
        "part of the key appeared in output"
    );
}

#[test]
fn a_rejected_key_is_not_stored_and_the_previous_one_survives() {
    let sb = sandbox();
    let (env, file) = signed_in(&sb);
    let before = std::fs::read_to_string(&file).expect("stored");

    let wrong = "hm_sk_wrong_000000000000000000";
    let out = env.run(&["login", "--with-key"], wrong).exits(5);
    out.stderr_has(&["not stored", "401"]);
    assert!(!out.all().contains(wrong));
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), before);

    let out = env
        .run(&["login", "--with-key"], "sk_live_not_himetrica_123456")
        .exits(2);
    out.stderr_has(&["hm_sk_"]);
    env.run(&["login", "--with-key"], "").exits(2);
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), before);
    assert_eq!(env.run(&["status"], "").code, 0);
}

// File modes are a unix matter.
#[cfg(unix)]
#[test]
fn status_flags_a_readable_credentials_file_and_a_rejected_key() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox();
    let (mut env, file) = signed_in(&sb);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = env.run(&["status"], "");
    out.stderr_has(&["chmod 600"]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::set_permissions(env.config_dir(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod dir");
    let out = env.run(&["status"], "");
    out.stderr_has(&["chmod 700"]);

    env.set("ANALYTICS_MCP_API_KEY", "hm_sk_revoked_0000000000000000");
    let out = env.run(&["status"], "").exits(5);
    out.stderr_has(&["live check failed", "login"]);
}

#[test]
fn a_damaged_store_keeps_serve_running() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.config_dir()).expect("mkdir");
    let file = env.config_dir().join("credentials.json");
    std::fs::write(&file, "{ half a reco").expect("write");
    let named = format!(
        "the credential store at {} could not be read",
        file.display()
    );
    let out = env.run(&["status"], "").exits(1);
    out.stderr_has(&[&named, "fix or remove it"]);
    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    let r = s.call("get_analytics", json!({}));
    assert!(text_of(&r).contains(&named), "{r}");
    s.finish();
    // logout clears it, so a fresh login can proceed.
    assert_eq!(env.run(&["logout"], "").code, 0);
    assert_eq!(env.run(&["status"], "").code, 4);
}

#[test]
fn a_corrupt_store_is_named_with_its_fix_everywhere() {
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let file = env.config_dir().join("credentials.json");
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(&file, "{ half a reco").unwrap();
    let expected = format!(
        "the credential store at {} could not be read",
        file.display()
    );

    let out = env.run(&["call", "get_realtime"], "");
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
    out.stderr_has(&["fix or remove it"]);
    assert!(!out.all().contains("not signed in"), "{}", out.all());

    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], true);
    assert!(text_of(&r).contains(&expected), "{r}");
    assert!(text_of(&r).contains("analytics-mcp login"), "{r}");
    s.finish();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{ half a reco",
        "the store is left as it was"
    );
}

/// `serve` reads no credential before a call needs one (issue 23): started before anyone
/// signed in, it answers `initialize` and `tools/list` without reading a store; a key stored
/// by `login` after that is what the first tool call uses, and the stores are read once for
/// the session, not once per call (the debug log says each read).
#[test]
fn serve_reads_the_credential_at_the_first_call_and_only_once() {
    let sb = sandbox();
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    env.set("ANALYTICS_MCP_LOG", "warn,analytics_mcp=debug");
    let mut s = McpSession::spawn(&env, &[]);
    s.initialize();
    let list = s.request("tools/list", json!({}));
    assert!(
        tool_names(&list).contains(&"get_realtime".to_string()),
        "{list}"
    );

    // Signed in only now, by another process, while `serve` runs.
    env.run(&["login", "--with-key"], KEY).expect_code(0);
    let first = s.call("get_realtime", json!({}));
    assert_ne!(first["isError"], true, "{first}");
    assert!(text_of(&first).contains("Active visitors"), "{first}");
    let second = s.call("get_project", json!({}));
    assert_ne!(second["isError"], true, "{second}");

    let stderr = s.finish().stderr;
    assert_eq!(
        stderr.matches("credential read").count(),
        1,
        "one read of the stores for the session:\n{stderr}"
    );
    assert!(!stderr.contains(KEY), "{stderr}");
}
