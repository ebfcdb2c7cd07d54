//! Browser sign-in against the sandbox's authorization server, over real HTTP and real
//! processes. The browser is `tests/browser/fake_browser.py` (it loads the consent page and
//! submits Approve or Deny) named in `BROWSER`; `browser.rs` does the same with Chromium.

use std::path::PathBuf;
use std::time::Duration;

use analytics_mcp_sandbox::oauth::OAuthOptions;
use serde_json::{Value, json};

use crate::common::signin::{
    browser_env, credentials_path, login, page, sandbox, set_expiry, signed_in, stored,
};
use crate::common::{Output, TestEnv, TestSandbox, repo};

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

/// A browser sign-in in which the fake browser does `action`, against a fresh sandbox.
fn browser_sign_in(action: &str) -> (TestSandbox, TestEnv, Output) {
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, action);
    let out = login(&env);
    (sb, env, out)
}

#[test]
fn deny_fails_cleanly_and_stores_nothing() {
    let (sb, env, out) = browser_sign_in("deny");
    out.expect_code(1);
    out.stderr_has(&["sign-in was denied in the browser"]);
    assert!(page(&env).contains("Sign-in failed"), "{}", page(&env));
    assert!(!credentials_path(&env).exists());
    assert_eq!(sb.sandbox.oauth_stats().code_exchanges, 0);
}

#[test]
fn a_return_with_the_wrong_state_is_rejected() {
    let (sb, env, out) = browser_sign_in("tamper-state");
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
    let out = env.run(&["login", "--callback-port", &port], "").exits(2);
    assert!(
        out.stderr
            .contains(&format!("port {port} on 127.0.0.1 is in use")),
        "{}",
        out.stderr
    );
    drop(busy);

    env.set("BROWSER", "/bin/true");
    let out = env.run(&["login", "--timeout", "1"], "").exits(1);
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
    let out = env.run(&["login"], "").exits(5);
    out.stderr_has(&["could not find the sign-in server"]);
    out.stderr_has(&["login --with-key"]);

    // Nothing listening at all is said as such (issue 20), not as missing metadata.
    env.set(
        "ANALYTICS_MCP_API_URL",
        &format!("http://127.0.0.1:{}/api/v1", crate::common::closed_port()),
    );
    let out = env.run(&["login"], "").exits(5);
    out.stderr_has(&["connection refused"]);
    assert!(!out.stderr.contains("metadata"), "{}", out.stderr);
}

#[test]
fn logout_says_when_the_server_cannot_revoke_and_still_signs_out() {
    let (sb, env) = signed_in(OAuthOptions {
        revocation: false,
        ..OAuthOptions::default()
    });
    let out = env.run(&["logout"], "").exits(0);
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
    out.stdout_has(&["Client:     sbx_confidential, the pre-registered client from config.toml (confidential: its secret is kept in the credential store)"]);
    // The next sign-in finds the secret in the credential store.
    let out = login(&env);
    seen.push_str(&out.all());
    out.expect_code(0);

    assert!(!seen.contains(SECRET), "the secret leaked:\n{seen}");
    let config = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(!config.contains(SECRET));
}

#[test]
fn login_scope_asks_for_the_scopes_named() {
    // The scope the server has, named: asked for, signed in with exactly that, and said so.
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "approve");
    let out = env
        .run_words("login --timeout 15 --scope analytics:read", "")
        .exits(0);
    out.stderr_has(&["&scope=analytics%3Aread&", "scopes analytics:read"]);
    assert_eq!(stored(&env)["oauth"]["scopes"], json!(["analytics:read"]));

    // Other scopes (the flag repeated) are what the authorization request asks for; the
    // server refuses them, the sign-in fails and the stored one stays as it was.
    let before = stored(&env);
    let out = env.run_words("login --timeout 1 --scope admin:write --scope billing", "");
    assert_ne!(out.code, 0, "{}", out.all());
    out.stderr_has(&["&scope=admin%3Awrite+billing&"]);
    assert_eq!(stored(&env), before);
    assert_eq!(sb.sandbox.oauth_stats().code_exchanges, 1);
}
