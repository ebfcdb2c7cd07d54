//! Sign-in helpers shared by the OAuth tests: a sandbox with an authorization server, the fake
//! browser, and the stored credential record (read, and its expiry moved).

use std::path::{Path, PathBuf};
use std::time::Duration;

use analytics_mcp_sandbox::SandboxOptions;
use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use super::wait::wait_for;
use super::{Output, TestEnv, TestSandbox, repo};

/// A sandbox whose authorization server runs with `oauth`.
pub fn sandbox(oauth: OAuthOptions) -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        oauth,
        ..SandboxOptions::default()
    })
}

/// A sandbox whose authorization server runs with `oauth`, and an environment signed in to it
/// with the (fake) browser.
pub fn signed_in(oauth: OAuthOptions) -> (TestSandbox, TestEnv) {
    let sb = sandbox(oauth);
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    (sb, env)
}

/// An environment whose browser is the fake one, doing `action` (approve, deny,
/// tamper-state) and logging the callback page to `page.txt`.
pub fn browser_env(sb: &TestSandbox, action: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    use_fake_browser(&mut env, action);
    env
}

/// Makes `BROWSER` the fake browser, doing `action` and logging to `page.txt`.
pub fn use_fake_browser(env: &mut TestEnv, action: &str) {
    let browser = repo().join("tests/browser/fake_browser.py");
    env.set("BROWSER", &browser.display().to_string());
    env.set("FAKE_BROWSER_ACTION", action);
    let log = env.dir.path().join("page.txt");
    env.set("FAKE_BROWSER_LOG", &log.display().to_string());
}

/// The callback page the fake browser saw. It writes it after `login` has finished, so wait.
pub fn page(env: &TestEnv) -> String {
    let path = env.dir.path().join("page.txt");
    let read = || std::fs::read_to_string(&path).unwrap_or_default();
    wait_for(Duration::from_secs(10), || !read().is_empty());
    read()
}

/// `login` with the browser, bounded.
pub fn login(env: &TestEnv) -> Output {
    env.run(&["login", "--timeout", "15"], "")
}

/// The default profile's credentials file.
pub fn credentials_path(env: &TestEnv) -> PathBuf {
    env.config_dir().join("credentials.json")
}

/// The default profile's stored record.
pub fn stored(env: &TestEnv) -> Value {
    stored_at(&credentials_path(env))
}

/// The record stored in the credentials file at `path` (a profile's).
pub fn stored_at(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("credentials stored");
    serde_json::from_str(&text).expect("JSON")
}

/// Moves the stored access token's expiry to `from_now` seconds from now.
pub fn set_expiry(env: &TestEnv, from_now: i64) {
    set_expiry_in(&credentials_path(env), from_now);
}

/// The same for the credentials file at `path` (a profile's).
pub fn set_expiry_in(path: &Path, from_now: i64) {
    let mut record = stored_at(path);
    record["oauth"]["expires_at"] = json!(unix_now() + from_now);
    std::fs::write(path, record.to_string()).expect("write");
}

/// Makes the access token stored at `path` expired both for the bridge (its recorded expiry
/// is past) and for the sandbox (which no longer accepts it): what waiting out its lifetime
/// would do, without the wait.
pub fn expire_now(sb: &TestSandbox, path: &Path) {
    set_expiry_in(path, -10);
    sb.sandbox.expire_access_tokens();
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A profile `zen` bridging `hosted`'s MCP endpoint, with no credential stored.
pub fn hosted_profile(hosted: &TestSandbox) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profiles.zen]\nmcp_url = \"{}\"\n",
        hosted.sandbox.mcp_url()
    ));
    env
}

/// Stores `key` as profile zen's static key for `origin`, as `login --with-key` would.
pub fn store_hosted_key(env: &TestEnv, key: &str, origin: &str) {
    let record = json!({"schema": 1, "kind": "api_key", "api_key": key, "origin": origin});
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("credentials.zen.json"),
        record.to_string(),
    )
    .unwrap();
}

/// Checks that a refresh rotated both tokens from record `before` to record `after`; `kept`
/// says where the new refresh token must be.
pub fn assert_rotated(before: &Value, after: &Value, kept: &str) {
    assert_ne!(
        after["oauth"]["access_token"],
        before["oauth"]["access_token"]
    );
    assert_ne!(
        after["oauth"]["refresh_token"], before["oauth"]["refresh_token"],
        "{kept}"
    );
}
