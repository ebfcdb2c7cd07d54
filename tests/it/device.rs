//! Device sign-in (RFC 8628, `login --device`) against the sandbox over real HTTP: the test
//! plays the person on the other device, reading the user code from `login`'s stderr and
//! approving or denying it at the sandbox.

use std::process::Stdio;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::oauth::OAuthOptions;

use crate::common::signin::{credentials_path, sandbox};
use crate::common::wait::wait_for;
use crate::common::{TestEnv, WAIT, line_reader, spawn_piped};

/// What the person does once `login --device` shows its code.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Answer {
    Approve,
    Deny,
    /// Press Ctrl-C in the terminal once it says that cancels (SIGINT to the process).
    #[cfg(unix)]
    Interrupt,
}

/// Runs `login --device`, answers the code it prints as `answer` says, and returns the exit
/// code and everything it printed.
fn device_login(env: &TestEnv, sb: &crate::common::TestSandbox, answer: Answer) -> (i32, String) {
    device_login_with(env, sb, answer, &[])
}

/// The same with `extra` arguments after `login --device`.
pub(crate) fn device_login_with(
    env: &TestEnv,
    sb: &crate::common::TestSandbox,
    answer: Answer,
    extra: &[&str],
) -> (i32, String) {
    let mut child = spawn_piped(
        env.cmd().args(["login", "--device"]).args(extra),
        Stdio::null(),
        "login --device",
    );
    let (rx, reader) = line_reader(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let started = Instant::now();
    // The user code is the indented line after "enter the code:".
    let mut code = None;
    let mut after_prompt = false;
    let mut cancellable = false;
    while (code.is_none() || !cancellable) && started.elapsed() < WAIT {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            continue;
        };
        seen.push_str(&line);
        seen.push('\n');
        if after_prompt && code.is_none() && !line.trim().is_empty() {
            code = Some(line.trim().to_string());
        }
        after_prompt |= line.contains("enter the code");
        cancellable |= line.contains("Ctrl-C to cancel");
    }
    let code = code.unwrap_or_else(|| panic!("no user code printed:\n{seen}"));
    match answer {
        Answer::Approve | Answer::Deny => {
            // The person takes a moment: the bridge polls meanwhile, at the interval.
            let polled = wait_for(WAIT, || sb.sandbox.oauth_stats().device_polls >= 1);
            assert!(polled, "the bridge never polled:\n{seen}");
            let approve = answer == Answer::Approve;
            assert!(sb.sandbox.decide_device(&code, approve), "{seen}");
        }
        #[cfg(unix)]
        Answer::Interrupt => {
            assert!(cancellable, "no Ctrl-C prompt:\n{seen}");
            let sent = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(sent.success());
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

/// A device sign-in answered as `answer`, against a fresh sandbox: the sandbox, the
/// environment, and `login`'s exit code and output.
fn device_sign_in(answer: Answer) -> (crate::common::TestSandbox, TestEnv, i32, String) {
    let sb = sandbox(OAuthOptions::default());
    let env = api_env(&sb);
    let (code, out) = device_login(&env, &sb, answer);
    (sb, env, code, out)
}

/// An environment pointed at the sandbox's Read API, with nothing signed in.
fn api_env(sb: &crate::common::TestSandbox) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    env
}

#[test]
fn device_sign_in_completes_after_approval_without_slow_down_and_serves_calls() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = api_env(&sb);
    // A browser that would fail the test if anything opened it.
    env.set("BROWSER", "/bin/false");
    let (code, out) = device_login(&env, &sb, Answer::Approve);
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

    let out = env.run(&["call", "get_analytics"], "").exits(0);
    out.stdout_has(&["visitors"]);
}

#[test]
fn a_denied_device_sign_in_fails_cleanly_and_stores_nothing() {
    let (_sb, env, code, out) = device_sign_in(Answer::Deny);
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
    let out = env.run(&["login", "--device"], "").exits(1);
    out.stderr_has(&["offers no device sign-in"]);
    out.stderr_has(&["login --no-browser"]);
}

/// Ctrl-C while the code waits for approval: a clear message, nothing stored, nothing issued,
/// and the exit status of any command stopped by Ctrl-C.
#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_for_approval_stops_cleanly_and_stores_nothing() {
    let (sb, env, code, out) = device_sign_in(Answer::Interrupt);
    assert_eq!(code, 130, "{out}");
    assert!(
        out.contains("sign-in cancelled with Ctrl-C; nothing was stored"),
        "{out}"
    );
    assert!(!credentials_path(&env).exists());
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.approvals, stats.code_exchanges), (0, 0));
}

/// `login --device --mcp-url … --profile P`: the device flow against the hosted server's
/// authorization server (found from its `/mcp` 401), checked by listing its tools; the
/// token then serves the profile's calls.
#[test]
fn device_sign_in_to_a_hosted_server_signs_in_the_profile() {
    let sb = sandbox(OAuthOptions::default());
    let mut env = TestEnv::new();
    env.set("BROWSER", "/bin/false");
    let mcp_url = sb.sandbox.mcp_url();
    let (code, out) = device_login_with(
        &env,
        &sb,
        Answer::Approve,
        &["--mcp-url", &mcp_url, "--profile", "zen"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Signed in (profile zen) with a device code to http://127.0.0.1"),
        "{out}"
    );
    assert!(out.contains(": 8 tools"), "{out}");
    let record = std::fs::read_to_string(env.config_dir().join("credentials.zen.json"))
        .expect("the profile's credentials");
    let record: serde_json::Value = serde_json::from_str(&record).expect("JSON");
    assert_eq!(
        record["oauth"]["resource"],
        serde_json::json!(mcp_url),
        "the token is for the MCP URL"
    );
    assert_eq!(sb.sandbox.oauth_stats().slow_downs, 0);

    let out = env.run(&["tools", "--profile", "zen"], "").exits(0);
    out.stdout_has(&["get_visitors"]);
}
