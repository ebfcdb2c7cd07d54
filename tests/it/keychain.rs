//! The real OS keychain on Linux: a Secret Service (gnome-keyring) on a private D-Bus session
//! bus started by the test, and the binary with its default store choice (keychain, else the
//! file). The binary talks to the Secret Service over D-Bus (libdbus, built in) on Linux, so
//! pointing `DBUS_SESSION_BUS_ADDRESS` at that bus is all the binary needs. The stored entries are
//! read back with `secret-tool`, the way a person would look. Without gnome-keyring, dbus or
//! libsecret-tools (`bash .ci/install-clients`) these tests skip, and fail under CI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::signin::{assert_rotated, browser_env};
use crate::common::{
    McpSession, TestEnv, TestSandbox, WAIT, finish_within, printed, skip_or_fail, text_of,
};

/// A key that is not the sandbox default, so the sandbox accepting it proves it was the one
/// read back from the keychain.
const KEY: &str = "hm_sk_live_5e2b8c1d94f7a3e6b0c4d8f2";

/// What starts the Secret Service inside `dbus-run-session`: an unlocked login keyring (created
/// with this password on first use), a bounded wait until the daemon owns the Secret Service
/// name on the bus, the bus address on stdout, then a wait for stdin to close (the test's end).
const START: &str = r#"
printf 'keychain-test' | gnome-keyring-daemon --unlock --components=secrets >&2 || exit 1
tries=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true'; do
  tries=$((tries + 1))
  if [ "$tries" -ge 200 ]; then
    echo "gnome-keyring-daemon did not take org.freedesktop.secrets within 10 s" >&2
    exit 1
  fi
  sleep 0.05
done
echo "BUS=$DBUS_SESSION_BUS_ADDRESS"
exec cat >/dev/null
"#;

/// A private session bus with an unlocked gnome-keyring on it, for the length of a test.
/// Dropping it closes the script's stdin: the script ends, and `dbus-run-session` takes the
/// bus (and with it the daemon) down.
struct SecretService {
    child: Child,
    address: String,
    /// The daemon's HOME (its keyrings) and runtime directory; removed after `drop` has
    /// stopped the daemon, as fields drop after `Drop::drop`.
    _dir: tempfile::TempDir,
}

impl SecretService {
    /// The running service, or `None` (after [`skip_or_fail`]) when its programs are missing.
    fn start() -> Option<Self> {
        let missing: Vec<&str> = [
            "dbus-run-session",
            "dbus-send",
            "gnome-keyring-daemon",
            "secret-tool",
        ]
        .into_iter()
        .filter(|program| !on_path(program))
        .collect();
        if !missing.is_empty() {
            skip_or_fail(&format!(
                "no {} on PATH (bash .ci/install-clients installs gnome-keyring, dbus and libsecret-tools)",
                missing.join(", ")
            ));
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let runtime = dir.path().join("run");
        for d in [&home, &runtime] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let log = dir.path().join("service.log");
        let mut child = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", START])
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn dbus-run-session");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let address = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| line.strip_prefix("BUS=").map(str::to_string));
            let _ = tx.send(address);
        });
        let address = rx.recv_timeout(WAIT).ok().flatten();
        let mut service = Self {
            child,
            address: address.unwrap_or_default(),
            _dir: dir,
        };
        if service.address.is_empty() {
            service.stop();
            panic!(
                "the Secret Service did not start:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        Some(service)
    }

    /// Points the binary at this bus, with the store left to its default (keychain, else file).
    fn configure(&self, env: &mut TestEnv) {
        env.set("DBUS_SESSION_BUS_ADDRESS", &self.address);
        env.set("ANALYTICS_MCP_CREDENTIAL_STORE", "");
    }

    /// The record stored in the keychain for `account` (`default`, `profile:NAME`), or `None`.
    fn lookup(&self, account: &str) -> Option<Value> {
        let out = self.secret_tool(&["lookup", "service", "analytics-mcp", "username", account]);
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Some(
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("the keychain entry is not a JSON record ({e})")),
        )
    }

    /// Replaces the record stored for `account` with `record`, keeping the item's attributes
    /// (so it is the same item to the binary, not a second one).
    fn replace(&self, account: &str, record: &Value) {
        let found = self.secret_tool(&[
            "search",
            "--all",
            "service",
            "analytics-mcp",
            "username",
            account,
        ]);
        let mut args = vec!["store".to_string(), "--label=analytics-mcp".to_string()];
        for line in printed(&found).lines() {
            if let Some((name, value)) = line
                .strip_prefix("attribute.")
                .and_then(|l| l.split_once(" = "))
            {
                args.extend([name.to_string(), value.to_string()]);
            }
        }
        assert!(args.len() > 2, "no keychain item for {account}");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.secret_tool_fed(&args, &record.to_string());
        assert!(out.status.success(), "secret-tool store: {}", printed(&out));
    }

    /// How many keychain items this program's service holds.
    fn items(&self) -> usize {
        let out = self.secret_tool(&["search", "--all", "service", "analytics-mcp"]);
        // One `[/org/freedesktop/secrets/collection/…]` header per item (stdout or stderr,
        // depending on the libsecret release).
        printed(&out)
            .lines()
            .filter(|l| l.starts_with("[/"))
            .count()
    }

    fn secret_tool(&self, args: &[&str]) -> std::process::Output {
        self.secret_tool_fed(args, "")
    }

    /// `secret-tool` with `input` on its stdin (the secret, for `store`).
    fn secret_tool_fed(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut child = Command::new("secret-tool")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn secret-tool");
        let mut stdin = child.stdin.take().expect("stdin");
        std::io::Write::write_all(&mut stdin, input.as_bytes()).expect("write stdin");
        drop(stdin);
        finish_within(child, WAIT, "secret-tool")
    }

    fn stop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        self.stop();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn credentials_file(env: &TestEnv) -> PathBuf {
    env.config_dir().join("credentials.json")
}

fn sandbox_with_key() -> TestSandbox {
    TestSandbox::start(SandboxOptions {
        api_key: KEY.to_string(),
        ..SandboxOptions::default()
    })
}

/// Asserts a realtime answer with data, from `serve` over stdio.
/// `status` succeeds and names the method, where the credential is kept, and a passed live check.
fn status_shows(env: &TestEnv, method: &str, source: &str) {
    let out = env.run(&["status"], "").exits(0);
    out.stdout_has(&[method, source, "Live check: ✓"]);
}

fn serve_answers_with_data(env: &TestEnv) {
    let mut s = McpSession::spawn(env, &[]);
    s.initialize();
    let r = s.call("get_realtime", json!({}));
    assert_eq!(r["isError"], false, "{r}");
    let active = r["structuredContent"]["metrics"]["activeVisitors"]
        .as_u64()
        .unwrap_or_else(|| panic!("no activeVisitors in {r}"));
    assert!(
        text_of(&r).contains(&format!("Active visitors {active}")),
        "{r}"
    );
    s.finish();
}

#[test]
fn a_secret_key_is_kept_in_the_real_keychain_and_removed_by_logout() {
    let Some(keychain) = SecretService::start() else {
        return;
    };
    let sb = sandbox_with_key();
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    keychain.configure(&mut env);

    let out = env
        .run(&["login", "--with-key"], &format!("{KEY}\n"))
        .exits(0);
    out.stderr_has(&["OS keychain"]);
    assert!(
        !out.stderr.contains("no OS keychain was reachable"),
        "{}",
        out.stderr
    );
    assert!(
        !credentials_file(&env).exists(),
        "a keychain sign-in wrote the credentials file"
    );
    let record = keychain
        .lookup("default")
        .expect("an entry in the keychain");
    assert_eq!(record["kind"], "api_key", "{record}");
    assert_eq!(record["api_key"], KEY);
    assert_eq!(keychain.items(), 1);

    status_shows(
        &env,
        "Method:     secret key hm_sk_…d8f2",
        "Source:     OS keychain",
    );

    serve_answers_with_data(&env);
    let out = env.run(&["call", "get_realtime"], "").exits(0);
    out.stdout_has(&["Active visitors"]);
    assert!(!out.all().contains(KEY), "the key appeared in output");

    let out = env.run(&["logout"], "").exits(0);
    out.stderr_has(&["OS keychain"]);
    assert!(
        keychain.lookup("default").is_none(),
        "logout left the entry"
    );
    assert_eq!(keychain.items(), 0);
    let out = env.run(&["status"], "").exits(4);
    out.stderr_has(&["not signed in"]);
}

#[test]
fn a_browser_sign_in_is_refreshed_in_the_real_keychain() {
    let Some(keychain) = SecretService::start() else {
        return;
    };
    let sb = TestSandbox::start(SandboxOptions::default());
    let mut env = browser_env(&sb, "approve");
    keychain.configure(&mut env);

    let out = env.run(&["login", "--timeout", "15"], "").exits(0);
    out.stderr_has(&["Signed in with the browser", "OS keychain"]);
    assert!(
        !credentials_file(&env).exists(),
        "the sign-in wrote the file"
    );
    let before = keychain
        .lookup("default")
        .expect("an entry in the keychain");
    assert_eq!(before["kind"], "oauth", "{before}");

    // The access token's lifetime runs out, for the bridge (the expiry recorded in the
    // keychain is past) and for the sandbox (which no longer accepts it), without waiting it
    // out: a call refreshes once, before its request, and stores the rotated tokens in the
    // keychain.
    let mut expired = before.clone();
    expired["oauth"]["expires_at"] =
        json!(before["oauth"]["expires_at"].as_i64().expect("expires_at") - 7200);
    keychain.replace("default", &expired);
    assert_eq!(keychain.lookup("default"), Some(expired.clone()));
    assert_eq!(keychain.items(), 1, "the record was replaced, not added");
    sb.sandbox.expire_access_tokens();
    let refreshes = sb.sandbox.oauth_stats().refreshes;
    let out = env.run(&["call", "get_realtime"], "").exits(0);
    out.stdout_has(&["Active visitors"]);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!(stats.refreshes, refreshes + 1, "one refresh for the call");
    assert_eq!(
        stats.bearer_rejected, 0,
        "refreshed before, not after, a 401"
    );
    let after = keychain.lookup("default").expect("still in the keychain");
    assert_rotated(
        &before,
        &after,
        "the rotated refresh token is in the keychain",
    );
    assert!(
        !credentials_file(&env).exists(),
        "the refresh wrote the file"
    );
    assert_eq!(keychain.items(), 1);

    status_shows(
        &env,
        "Method:     browser sign-in (OAuth)",
        "Source:     OS keychain",
    );
    serve_answers_with_data(&env);

    let out = env.run(&["logout"], "").exits(0);
    out.stderr_has(&["Revoked the tokens at"]);
    assert!(
        keychain.lookup("default").is_none(),
        "logout left the entry"
    );
    assert_eq!(env.run(&["status"], "").code, 4);
}

#[test]
fn without_a_secret_service_login_falls_back_to_the_file() {
    let sb = sandbox_with_key();
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &sb.url());
    // A bus socket nobody listens on any more (bound, then closed): no Secret Service answers.
    let socket = env.dir.path().join("dead-bus");
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", socket.display()),
    );
    env.set("ANALYTICS_MCP_CREDENTIAL_STORE", "");
    let file = credentials_file(&env);

    let started = Instant::now();
    let out = env
        .run(&["login", "--with-key"], &format!("{KEY}\n"))
        .exits(0);
    assert!(
        out.stderr.contains(&file.display().to_string()) && out.stderr.contains("keychain"),
        "login does not say it fell back to the file:\n{}",
        out.stderr
    );
    assert!(file.exists(), "no credentials file after the fallback");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a closed bus took {:?}",
        started.elapsed()
    );

    let out = env.run(&["status"], "").exits(0);
    let source = format!("Source:     file {}", file.display());
    out.stdout_has(&[&source, "Live check: ✓", "keychain"]);

    env.run(&["logout"], "").exits(0);
    assert!(!file.exists());
    assert_eq!(env.run(&["status"], "").code, 4);
}
