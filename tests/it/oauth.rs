//! Browser sign-in against the sandbox's authorization server, over real HTTP and real
//! processes. The browser is `tests/browser/fake_browser.py` (it loads the consent page and
//! submits Approve or Deny) named in `BROWSER`; `browser.rs` does the same with Chromium.

use std::path::PathBuf;
use std::time::Duration;

use analytics_mcp_sandbox::SandboxOptions;
use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use crate::common::{McpSession, TestEnv, TestSandbox, repo, text_of};

pub fn sandbox(oauth: OAuthOptions) -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        oauth,
        ..SandboxOptions::default()
    })
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
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if !text.is_empty() || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn credentials_path(env: &TestEnv) -> PathBuf {
    env.config_dir().join("credentials.json")
}

pub fn stored(env: &TestEnv) -> Value {
    let text = std::fs::read_to_string(credentials_path(env)).expect("credentials stored");
    serde_json::from_str(&text).expect("JSON")
}

/// Moves the stored access token's expiry to `from_now` seconds from now.
fn set_expiry(env: &TestEnv, from_now: i64) {
    set_expiry_in(&credentials_path(env), from_now);
}

/// The same for the credentials file at `path` (a profile's).
pub fn set_expiry_in(path: &std::path::Path, from_now: i64) {
    let text = std::fs::read_to_string(path).expect("credentials stored");
    let mut record: Value = serde_json::from_str(&text).expect("JSON");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    record["oauth"]["expires_at"] = json!(now + from_now);
    std::fs::write(path, record.to_string()).expect("write");
}

fn login(env: &TestEnv) -> crate::common::Output {
    env.run(&["login", "--timeout", "15"], "")
}

/// Every token the record holds, for leak checks.
fn secrets(record: &Value) -> Vec<String> {
    ["access_token", "refresh_token"]
        .iter()
        .filter_map(|k| record["oauth"][k].as_str().map(str::to_string))
        .collect()
}

#[test]
fn approve_signs_in_calls_work_status_explains_and_logout_revokes() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = browser_env(&sb, "approve");
    let mut seen = String::new();

    // Every log level is on for the sign-in, the call and the sign-out.
    env.set("ANALYTICS_MCP_LOG", "trace");
    let out = login(&env);
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stderr_has(&["Signed in with the browser: Northwind Notes (demo)"]);
    assert!(
        out.stderr
            .contains(&format!("Issuer {}", sb.sandbox.origin()))
    );
    out.stderr_has(&["with a newly registered client"]);
    assert!(
        page(&env).contains("analytics-mcp is signed in to Northwind Notes (demo)"),
        "{}",
        page(&env)
    );
    let record = stored(&env);
    assert_eq!(record["kind"], "oauth");
    assert_eq!(record["oauth"]["scopes"], json!(["analytics:read"]));
    assert_eq!(record["oauth"]["resource"], sb.url());
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.registrations, stats.code_exchanges), (1, 1));

    let out = env.run(&["call", "get_analytics"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stdout_has(&["visitors"]);

    let out = env.run(&["status"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    for line in [
        "Method:     browser sign-in (OAuth)",
        &format!("Issuer:     {}", sb.sandbox.origin()),
        "Client:     sbx_client_",
        ", a newly registered client",
        "Scopes:     analytics:read",
        "Expires:    ",
        "(in ",
        "Live check: ✓",
    ] {
        assert!(out.stdout.contains(line), "{line} missing:\n{}", out.stdout);
    }

    // A second sign-in reuses the remembered registration (same port, same redirect URI).
    let out = login(&env);
    seen.push_str(&out.all());
    out.expect_code(0);
    assert_eq!(sb.sandbox.oauth_stats().registrations, 1);
    let tokens = [secrets(&record), secrets(&stored(&env))].concat();

    let out = env.run(&["logout"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stderr_has(&["Revoked the tokens at"]);
    assert_eq!(sb.sandbox.oauth_stats().revocations, 2);
    assert!(!credentials_path(&env).exists());
    assert_eq!(env.run(&["status"], "").code, 4);

    assert!(!tokens.is_empty());
    for token in tokens {
        assert!(!seen.contains(&token), "a token leaked into the output");
    }
    assert!(!seen.contains("sbx_code_"), "an authorization code leaked");
    assert!(!seen.contains("code_verifier"), "{seen}");
}

#[test]
fn deny_fails_cleanly_and_stores_nothing() {
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "deny");
    let out = login(&env);
    out.expect_code(1);
    out.stderr_has(&["sign-in was denied in the browser"]);
    assert!(page(&env).contains("Sign-in failed"), "{}", page(&env));
    assert!(!credentials_path(&env).exists());
    assert_eq!(sb.sandbox.oauth_stats().code_exchanges, 0);
}

#[test]
fn a_return_with_the_wrong_state_is_rejected() {
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "tamper-state");
    let out = login(&env);
    out.expect_code(1);
    out.stderr_has(&["different `state`"]);
    assert!(!credentials_path(&env).exists());
    assert_eq!(
        sb.sandbox.oauth_stats().code_exchanges,
        0,
        "the code was never exchanged"
    );
}

#[test]
fn unsafe_authorization_urls_are_never_opened() {
    for (advertised, why) in [
        ("file:///etc/passwd", "file:///etc/passwd"),
        (
            "http://evil.example/authorize",
            "http://evil.example/authorize",
        ),
        (
            "https://evil.example/authorize",
            "not at the authorization server",
        ),
        (
            "https://127.0.0.1.evil.example/authorize",
            "not at the authorization server",
        ),
    ] {
        let sb = sandbox(OAuthOptions {
            authorization_endpoint: Some(advertised.to_string()),
            ..OAuthOptions::default()
        });
        let mut env = browser_env(&sb, "approve");
        let marker = marker_browser(&mut env);
        let out = login(&env);
        assert_ne!(out.code, 0, "{advertised}: {}", out.all());
        // Refused when discovered (scheme) or before opening (host): either way, never opened.
        assert!(
            (out.stderr.contains("refusing") || out.stderr.contains("is not https"))
                && out.stderr.contains(why),
            "{advertised}: {}",
            out.stderr
        );
        std::thread::sleep(Duration::from_millis(100));
        assert!(!marker.exists(), "{advertised} was opened");
        assert!(!credentials_path(&env).exists());
    }
}

/// Makes `BROWSER` a script that only leaves a marker file; returns the marker's path, which
/// exists once anything was "opened".
fn marker_browser(env: &mut TestEnv) -> PathBuf {
    let marker = env.dir.path().join("browser-was-started");
    let script = env.dir.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .expect("script");
    chmod_x(&script);
    env.set("BROWSER", &script.display().to_string());
    marker
}

/// Makes a script executable (unix; elsewhere there is no mode bit to set).
pub fn chmod_x(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[test]
fn a_server_without_s256_pkce_is_refused() {
    let sb = sandbox(OAuthOptions {
        pkce_methods: vec!["plain".to_string()],
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    let out = login(&env);
    out.expect_code(1);
    out.stderr_has(&["does not offer PKCE with S256"]);
    out.stderr_has(&["--with-key"]);
    assert_eq!(sb.sandbox.oauth_stats().consents_shown, 0);
}

#[test]
fn a_busy_callback_port_and_a_silent_browser_are_clear_errors() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = browser_env(&sb, "approve");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port().to_string();
    let out = env.run(&["login", "--callback-port", &port], "");
    out.expect_code(2);
    assert!(
        out.stderr
            .contains(&format!("port {port} on 127.0.0.1 is in use")),
        "{}",
        out.stderr
    );
    drop(busy);

    env.set("BROWSER", "/bin/true");
    let out = env.run(&["login", "--timeout", "1"], "");
    out.expect_code(1);
    out.stderr_has(&["no answer from the browser within 1 seconds"]);
    assert!(!credentials_path(&env).exists());
}

#[test]
fn no_browser_prints_the_url_for_a_browser_elsewhere() {
    use std::io::{BufRead, BufReader};
    let sb = sandbox(OAuthOptions::default());
    let mut env = browser_env(&sb, "approve");
    let marker = marker_browser(&mut env);
    let mut child = env
        .cmd()
        .args(["login", "--no-browser", "--timeout", "15"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn login");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.trim().starts_with("http").then(|| l.trim().to_string()))
        .expect("the URL on stderr");
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("resource="),
        "{url}"
    );
    // The person opens it in a browser somewhere else (here: the fake one).
    let status = std::process::Command::new(repo().join("tests/browser/fake_browser.py"))
        .arg(&url)
        .env("FAKE_BROWSER_LOG", env.dir.path().join("page.txt"))
        .status()
        .expect("fake browser");
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let code = child.wait().expect("wait").code();
    assert_eq!(code, Some(0), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("Signed in with the browser")),
        "{rest:?}"
    );
    assert!(!marker.exists(), "--no-browser started a browser");
}

#[test]
fn an_expired_access_token_is_refreshed_before_the_call() {
    let sb = sandbox(OAuthOptions {
        // Long enough that the refreshed token is not due again (half its life) before the
        // call ends on a loaded machine.
        access_ttl: Duration::from_secs(4),
        ..OAuthOptions::default()
    });
    let mut env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    let before = stored(&env);
    std::thread::sleep(Duration::from_millis(4100));
    env.set("ANALYTICS_MCP_LOG", "trace");
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(0);
    assert_eq!(sb.sandbox.oauth_stats().refreshes, 1);
    assert_eq!(
        sb.sandbox.oauth_stats().bearer_rejected,
        0,
        "refreshed before, not after, a 401"
    );
    let after = stored(&env);
    assert_ne!(
        after["oauth"]["access_token"],
        before["oauth"]["access_token"]
    );
    assert_ne!(
        after["oauth"]["refresh_token"], before["oauth"]["refresh_token"],
        "the rotated refresh token is kept"
    );
}

#[test]
fn a_rejected_access_token_is_refreshed_once_and_the_call_retried() {
    let sb = sandbox(OAuthOptions {
        access_ttl: Duration::from_secs(2),
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    // We believe the token is good for an hour; the server has already let it lapse.
    set_expiry(&env, 3600);
    std::thread::sleep(Duration::from_millis(2100));
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(0);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.bearer_rejected, stats.refreshes), (1, 1));
}

#[test]
fn temporary_refresh_failures_are_retried_then_reported_as_temporary() {
    // Two 503s: the third attempt of the refresh gets through.
    let sb = sandbox(OAuthOptions {
        refresh_failures: 2,
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    set_expiry(&env, -10);
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(0);
    assert_eq!(sb.sandbox.oauth_stats().refreshes, 1);

    // Ten 503s: more than the retries; the call fails as temporary, not "sign in again".
    let sb = sandbox(OAuthOptions {
        refresh_failures: 10,
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    let before = stored(&env);
    set_expiry(&env, -10);
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(3);
    assert!(out.all().contains("usually temporary"), "{}", out.all());
    assert!(!out.all().contains("Sign in again"), "{}", out.all());
    assert_eq!(
        stored(&env)["oauth"]["refresh_token"],
        before["oauth"]["refresh_token"],
        "the refresh token is kept for the next try"
    );
}

#[test]
fn a_revoked_refresh_token_means_sign_in_again_and_keeps_the_record() {
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    let record = stored(&env);
    let refresh = record["oauth"]["refresh_token"]
        .as_str()
        .expect("refresh token");
    let revoked = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request, urllib.parse; urllib.request.urlopen(sys.argv[1], urllib.parse.urlencode({'token': sys.argv[2]}).encode())",
            &format!("{}/oauth/revoke", sb.sandbox.origin()),
            refresh,
        ])
        .status()
        .expect("python3");
    assert!(revoked.success());
    set_expiry(&env, -10);
    let out = env.run(&["call", "get_realtime"], "");
    out.expect_code(3);
    assert!(
        out.all()
            .contains("Sign in again with `analytics-mcp login`"),
        "{}",
        out.all()
    );
    assert_eq!(sb.sandbox.oauth_stats().refresh_rejected, 1);
    assert!(
        credentials_path(&env).exists(),
        "the stored record is left for `status` and `logout`"
    );
}

#[test]
fn three_serve_processes_share_one_refresh() {
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    set_expiry(&env, -10);

    let tools = [
        "get_analytics",
        "get_realtime",
        "get_top_pages",
        "get_traffic_sources",
        "get_top_locations",
        "get_events",
        "get_revenue",
    ];
    let mut sessions: Vec<McpSession> = (0..3).map(|_| McpSession::spawn(&env, &[])).collect();
    for s in &mut sessions {
        s.initialize();
    }
    // 20 calls in flight at once: 7, 7 and 6 per process, none waiting for another.
    let mut expected = Vec::new();
    for (i, s) in sessions.iter_mut().enumerate() {
        let n = if i == 2 { 6 } else { 7 };
        for (j, tool) in tools.iter().take(n).enumerate() {
            let id = json!(1000 + i * 100 + j);
            s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}}));
            expected.push((i, id));
        }
    }
    // Answers come in any order; gather each process's until all its ids are in.
    let mut answered = 0;
    for (i, s) in sessions.iter_mut().enumerate() {
        let mut want: Vec<&Value> = expected
            .iter()
            .filter(|(k, _)| *k == i)
            .map(|(_, id)| id)
            .collect();
        while !want.is_empty() {
            let msg = s.recv();
            let Some(pos) = want.iter().position(|id| msg.get("id") == Some(*id)) else {
                continue;
            };
            want.remove(pos);
            assert_eq!(
                msg["result"]["isError"],
                false,
                "{}",
                text_of(&msg["result"])
            );
            answered += 1;
        }
    }
    assert_eq!(answered, 20);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(stats.refreshes, 1, "{stats:?}");
    assert_eq!(stats.refresh_rejected, 0, "{stats:?}");
    for s in sessions {
        s.finish();
    }
}

#[test]
fn an_api_without_a_sign_in_server_points_to_with_key() {
    // A server that is up but answers 404 to everything: no metadata anywhere.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let mut env = TestEnv::new();
    env.set(
        "ANALYTICS_MCP_API_URL",
        &format!("http://127.0.0.1:{port}/api/v1"),
    );
    let out = env.run(&["login"], "");
    out.expect_code(5);
    out.stderr_has(&["could not find the sign-in server"]);
    out.stderr_has(&["login --with-key"]);

    // Nothing listening at all is said as such (issue 20), not as missing metadata.
    env.set(
        "ANALYTICS_MCP_API_URL",
        &format!("http://127.0.0.1:{}/api/v1", crate::common::closed_port()),
    );
    let out = env.run(&["login"], "");
    out.expect_code(5);
    out.stderr_has(&["connection refused"]);
    assert!(!out.stderr.contains("metadata"), "{}", out.stderr);
}

#[test]
fn logout_says_when_the_server_cannot_revoke_and_still_signs_out() {
    let sb = sandbox(OAuthOptions {
        revocation: false,
        ..OAuthOptions::default()
    });
    let env = browser_env(&sb, "approve");
    assert_eq!(login(&env).code, 0);
    let out = env.run(&["logout"], "");
    out.expect_code(0);
    out.stderr_has(&["has no revocation endpoint"]);
    assert!(!credentials_path(&env).exists());
    assert_eq!(sb.sandbox.oauth_stats().revocations, 0);
}

/// RFC 9207 §2.4 (SEP-2468): the sandbox advertises `authorization_response_iss_parameter_supported`,
/// so a return whose `iss` is the issuer plus a trailing slash, or has no `iss`, is refused and
/// nothing is stored; the exact issuer signs in.
#[test]
fn an_iss_that_is_not_byte_for_byte_the_issuer_is_refused_and_nothing_is_stored() {
    for (iss, refused) in [(Some("{issuer}/"), true), (Some(""), true), (None, false)] {
        let sb = sandbox(OAuthOptions {
            iss: iss.map(str::to_string),
            ..OAuthOptions::default()
        });
        let env = browser_env(&sb, "approve");
        let out = login(&env);
        if refused {
            assert_ne!(out.code, 0, "iss {iss:?}: {}", out.all());
            assert!(
                out.stderr.contains("different issuer")
                    && out.stderr.contains("nothing was signed in"),
                "iss {iss:?}: {}",
                out.stderr
            );
            assert!(
                !credentials_path(&env).exists(),
                "iss {iss:?}: stored anyway"
            );
        } else {
            out.expect_code(0);
            assert!(credentials_path(&env).exists());
        }
    }
}

/// A pre-registered confidential client: without its secret the token endpoint refuses and
/// nothing is stored; with it (on stdin, never argv) the sign-in works, nothing is registered,
/// the refresh authenticates with it too, and the secret never shows in any output or log.
#[test]
fn a_confidential_pre_registered_client_signs_in_and_refreshes_with_its_secret() {
    const SECRET: &str = "sbx-secret-0f1e2d3c4b5a69788796a5b4";
    let sb = sandbox(OAuthOptions {
        confidential: Some(("sbx_confidential".into(), SECRET.into())),
        ..OAuthOptions::default()
    });
    let mut env = browser_env(&sb, "approve");
    env.set("ANALYTICS_MCP_LOG", "trace");
    env.write_config("[oauth]\nclient_id = \"sbx_confidential\"\n");
    let mut seen = String::new();

    let out = login(&env);
    seen.push_str(&out.all());
    assert_ne!(out.code, 0, "{}", out.all());
    out.stderr_has(&["invalid_client"]);
    assert!(!credentials_path(&env).exists());

    let out = env.run(
        &["login", "--timeout", "15", "--client-secret"],
        &format!("{SECRET}\n"),
    );
    seen.push_str(&out.all());
    out.expect_code(0);
    out.stderr_has(&["with the pre-registered client from config.toml"]);
    assert_eq!(sb.sandbox.oauth_stats().registrations, 0);

    set_expiry(&env, -10);
    let out = env.run(&["call", "get_analytics"], "");
    seen.push_str(&out.all());
    out.expect_code(0);
    assert_eq!(sb.sandbox.oauth_stats().refreshes, 1);
    let out = env.run(&["status"], "");
    seen.push_str(&out.all());
    assert!(
        out.stdout.contains("Client:     sbx_confidential, the pre-registered client from config.toml (confidential: its secret is kept in the credential store)"),
        "{}",
        out.all()
    );
    // The next sign-in finds the secret in the credential store.
    let out = login(&env);
    seen.push_str(&out.all());
    out.expect_code(0);

    assert!(!seen.contains(SECRET), "the secret leaked:\n{seen}");
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(!config.contains(SECRET));
}
