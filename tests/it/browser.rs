//! Browser sign-in with a real browser: Debian's Chromium, headless, named in `BROWSER`
//! through `tests/browser/chromium-browser.sh`, loads the sandbox's consent page and clicks
//! Approve (or Deny). `.ci/install-clients` installs Chromium and playwright-core; locally the
//! test skips with a reason when they are missing, under CI it fails.

use std::path::Path;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::oauth::OAuthOptions;

use crate::common::run::session;
use crate::common::signin::{credentials_path, sandbox, stored};
use crate::common::{TestEnv, TestSandbox, repo, skip_or_fail};

fn chromium_ready() -> bool {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = repo().join(".ci/node/node_modules/playwright-core");
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if Path::new(&chromium).exists() && driver.exists() && node {
        return true;
    }
    skip_or_fail("Chromium, node or playwright-core is missing (bash .ci/install-clients)");
    false
}

fn chromium_env(sb: &TestSandbox, action: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let wrapper = repo().join("tests/browser/chromium-browser.sh");
    env.set("BROWSER", &wrapper.display().to_string());
    env.set("CHROMIUM_ACTION", action);
    let log = env.dir.path().join("chromium.txt");
    env.set("CHROMIUM_LOG", &log.display().to_string());
    env
}

/// What Chromium saw, once it has written it (it closes after `login` has finished).
fn chromium_log(env: &TestEnv) -> String {
    let path = env.dir.path().join("chromium.txt");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&path)
            && !text.is_empty()
        {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("Chromium wrote nothing to {}", path.display());
}

/// `login` with Chromium clicking `action` on the consent page: asserts its exit code and what
/// it said, and returns the sandbox, the environment and what Chromium saw (None: no Chromium).
fn chromium_login(action: &str, code: i32, says: &str) -> Option<(TestSandbox, TestEnv, String)> {
    if !chromium_ready() {
        return None;
    }
    let sb = sandbox(OAuthOptions::default());
    let env = chromium_env(&sb, action);
    let out = env.run(&["login", "--timeout", "60"], "");
    out.expect_code(code);
    out.stderr_has(&[says]);
    let seen = chromium_log(&env);
    Some((sb, env, seen))
}

#[test]
fn chromium_approves_and_login_signs_in_then_a_call_uses_the_token() {
    let Some((sb, env, seen)) = chromium_login("approve", 0, "Signed in with the browser") else {
        return;
    };
    assert!(
        seen.contains("consent: Allow analytics-mcp to read Northwind Notes (demo)?"),
        "{seen}"
    );
    assert!(seen.contains("title: Signed in"), "{seen}");
    assert_eq!(stored(&env)["kind"], "oauth");

    let before = sb.sandbox.stats().credentialed;
    let out = env.run(&["call", "get_analytics"], "").exits(0);
    out.stdout_has(&["Unique visitors"]);
    assert!(sb.sandbox.stats().credentialed > before);
    let oauth = sb.sandbox.oauth_stats();
    assert_eq!(
        (oauth.approvals, oauth.code_exchanges, oauth.bearer_rejected),
        (1, 1, 0)
    );
}

#[test]
fn chromium_denies_and_login_fails_with_nothing_stored() {
    let Some((sb, env, seen)) = chromium_login("deny", 1, "sign-in was denied in the browser")
    else {
        return;
    };
    assert!(seen.contains("title: Sign-in failed"), "{seen}");
    assert!(!credentials_path(&env).exists());
    assert_eq!(sb.sandbox.oauth_stats().denials, 1);
}

#[test]
fn chromium_signs_in_to_a_hosted_mcp_server_and_serve_uses_it() {
    if !chromium_ready() {
        return;
    }
    let sb = sandbox(OAuthOptions::default());
    let mut env = chromium_env(&sb, "approve");
    env.vars.retain(|(k, _)| k != "ANALYTICS_MCP_API_URL");
    let mcp_url = sb.sandbox.mcp_url();
    let out = env.login_zen(&mcp_url, &["--timeout", "60"], "");
    out.expect_code(0);
    let seen = chromium_log(&env);
    assert!(seen.contains("title: Signed in"), "{seen}");
    let mut s = session(&env, &["--profile", "zen"]);
    let result = s.call("list_websites", serde_json::json!({}));
    assert_eq!(result["isError"], false, "{result}");
    assert!(crate::common::text_of(&result).contains("web_northwind"));
    s.finish();
}
