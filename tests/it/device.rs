//! Device sign-in (RFC 8628, `login --device`) against the sandbox over real HTTP: the test
//! plays the person on the other device, reading the user code from `login`'s stderr and
//! approving or denying it at the sandbox.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use analytics_mcp::sandbox::oauth::OAuthOptions;

use crate::common::{TestEnv, WAIT};
use crate::oauth::{credentials_path, sandbox};

/// Runs `login --device`, answers the code it prints with `approve` (or leaves it waiting
/// with `None`), and returns the exit code and everything it printed.
fn device_login(
    env: &TestEnv,
    sb: &crate::common::TestSandbox,
    approve: Option<bool>,
) -> (i32, String) {
    let mut child = env
        .cmd()
        .args(["login", "--device"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn login --device");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let started = Instant::now();
    // The user code is the indented line after "enter the code:".
    let mut code = None;
    let mut after_prompt = false;
    while code.is_none() && started.elapsed() < WAIT {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            continue;
        };
        seen.push_str(&line);
        seen.push('\n');
        if after_prompt && !line.trim().is_empty() {
            code = Some(line.trim().to_string());
        }
        after_prompt |= line.contains("enter the code");
    }
    let code = code.unwrap_or_else(|| panic!("no user code printed:\n{seen}"));
    match approve {
        Some(approve) => {
            // The person takes a moment: the bridge polls meanwhile, at the interval.
            std::thread::sleep(Duration::from_millis(2500));
            assert!(sb.sandbox.decide_device(&code, approve), "{seen}");
        }
        None => {
            let _ = child.kill();
        }
    }
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().expect("reader");
    seen.extend(rx.try_iter().map(|l| l + "\n"));
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut stdout);
    }
    (status.code().unwrap_or(-1), format!("{stdout}{seen}"))
}

#[test]
fn device_sign_in_completes_after_approval_without_slow_down_and_serves_calls() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    // A browser that would fail the test if anything opened it.
    env.set("BROWSER", "/bin/false");
    let (code, out) = device_login(&env, &sb, Some(true));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("/oauth/device/verify"), "{out}");
    assert!(out.contains("?user_code="), "the complete URL: {out}");
    assert!(
        out.contains("Signed in with a device code: Northwind Notes (demo)"),
        "{out}"
    );
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(stats.slow_downs, 0, "polled faster than the interval");
    assert!(stats.device_polls >= 2, "{stats:?}");
    assert!(
        !out.contains("sbx_device_"),
        "the device code was printed: {out}"
    );

    let out = env.run(&["call", "get_analytics"], "");
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("visitors"), "{}", out.stdout);
}

#[test]
fn a_denied_device_sign_in_fails_cleanly_and_stores_nothing() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let (code, out) = device_login(&env, &sb, Some(false));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("device sign-in failed: access_denied"),
        "{out}"
    );
    assert!(out.contains("nothing was signed in"), "{out}");
    assert!(!credentials_path(&env).exists());
}

#[test]
fn without_device_support_login_device_says_so_and_suggests_no_browser() {
    let sb = sandbox(OAuthOptions {
        device: false,
        ..OAuthOptions::default()
    });
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    let out = env.run(&["login", "--device"], "");
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("offers no device sign-in"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("login --no-browser"), "{}", out.stderr);
}
