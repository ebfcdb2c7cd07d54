//! Shared test helpers: a temp config directory, a sandbox upstream on 127.0.0.1, the built
//! binary, and a minimal MCP client that speaks JSON-RPC lines over the binary's stdio.

#![allow(dead_code)]

pub mod hostile_upstream;
pub mod model_api;
pub mod run;
pub mod signin;
pub mod snap;
pub mod wait;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::{self as sandbox, Sandbox, SandboxOptions};
use serde_json::{Value, json};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_analytics-mcp")
}

/// The project's root, where `.ci/` keeps the third-party clients the tests drive.
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Python that can import `modules` (e.g. "mcp, jsonschema"): `ANALYTICS_MCP_TEST_PYTHON`,
/// the CI venv, or `python3`.
pub fn python_with(modules: &str) -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("ANALYTICS_MCP_TEST_PYTHON").map(std::path::PathBuf::from),
        Some(repo().join(".ci/venv/bin/python")),
        Some(std::path::PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|p| {
        Command::new(p)
            .args(["-c", &format!("import {modules}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The instant every test pins "now" to (bridge and sandbox alike), so answers are fixed.
pub const NOW: &str = "2026-11-21T15:30:00Z";

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A temp HOME/config directory with the file credential store, isolated from the real
/// keychain and from the developer's environment.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = Self {
            dir,
            vars: Vec::new(),
        };
        let path = env.config_dir().display().to_string();
        env.set("ANALYTICS_MCP_CONFIG_DIR", &path);
        let data = env.dir.path().join("data").display().to_string();
        env.set("ANALYTICS_MCP_DATA_DIR", &data);
        env.set("ANALYTICS_MCP_CREDENTIAL_STORE", "file");
        env.set("HOME", &env.dir.path().display().to_string());
        env.set("ANALYTICS_MCP_NOW", NOW);
        env
    }

    pub fn config_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("config")
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.vars.retain(|(name, _)| name != k);
        self.vars.push((k.to_string(), v.to_string()));
        self
    }

    pub fn write_config(&self, toml: &str) {
        std::fs::create_dir_all(self.config_dir()).expect("mkdir");
        std::fs::write(self.config_dir().join("config.toml"), toml).expect("write config");
    }

    /// A command for the binary with this environment and nothing inherited that matters.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(bin());
        for var in [
            "ANALYTICS_MCP_API_KEY",
            "ANALYTICS_MCP_API_URL",
            "ANALYTICS_MCP_PROJECT",
            "ANALYTICS_MCP_TIMEOUT_SECS",
            "ANALYTICS_MCP_LOG",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// `login --mcp-url URL --profile zen` and `extra` flags: the hosted profile the tests use.
    pub fn login_zen(&self, mcp_url: &str, extra: &[&str], stdin: &str) -> Output {
        let mut args = vec!["login", "--mcp-url", mcp_url, "--profile", "zen"];
        args.extend_from_slice(extra);
        self.run(&args, stdin)
    }

    /// [`TestEnv::run`] with the arguments written as one line, split at spaces (for
    /// arguments that have none).
    pub fn run_words(&self, line: &str, stdin: &str) -> Output {
        self.run(&line.split_whitespace().collect::<Vec<_>>(), stdin)
    }

    /// Runs the binary to completion with `stdin` as input.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = spawn_piped(self.cmd().args(args), Stdio::piped(), "the binary");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        Output::of(child, "the binary")
    }
}

/// Starts `cmd` with `stdin` and its stdout and stderr piped to the test.
pub fn spawn_piped(cmd: &mut Command, stdin: Stdio, what: &str) -> Child {
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"))
}

/// Waits for `child` to exit (with its output), killing it and failing after `limit`.
pub fn finish_within(child: Child, limit: Duration, what: &str) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{what} did not finish within {limit:?}");
        }
    }
}

/// Reads `stream` line by line on a thread of its own, so a test can wait for a line with a
/// deadline; the thread ends with the stream.
pub fn line_reader(
    stream: impl std::io::Read + Send + 'static,
) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (rx, reader)
}

/// The Python that has the MCP SDK (and `modules`, a comma-separated import list), or None
/// after a skip (a failure under CI).
pub fn python_sdk(modules: &str) -> Option<std::path::PathBuf> {
    let python = python_with(modules);
    if python.is_none() {
        skip_or_fail(
            "the Python `mcp` SDK is not installed (pip install -r tests/python/requirements.txt)",
        );
    }
    python
}

/// The stdout of a program that finished, after asserting it succeeded (else `what` failed,
/// with both streams).
#[track_caller]
pub fn succeeded(out: &std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    stdout
}

/// The tool names in a `tools/list` answer, in order.
pub fn tool_names(list: &Value) -> Vec<String> {
    list["result"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

/// Everything a finished program printed, stdout then stderr.
pub fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Waits for `child` (at most [`WAIT`]) and keeps its exit code and what it printed.
    pub fn of(child: Child, what: &str) -> Self {
        let out = finish_within(child, WAIT, what);
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts the exit code; on failure shows everything the command printed.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}", self.all());
        self
    }

    /// Asserts the exit code and hands the output on: `let out = env.run(..).exits(0);`.
    #[track_caller]
    pub fn exits(self, code: i32) -> Self {
        self.expect_code(code);
        self
    }

    /// Asserts that stderr holds every one of `needles`.
    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        holds("stderr", &self.stderr, needles);
        self
    }

    /// Asserts that stdout holds every one of `needles`.
    #[track_caller]
    pub fn stdout_has(&self, needles: &[&str]) -> &Self {
        holds("stdout", &self.stdout, needles);
        self
    }
}

#[track_caller]
fn holds(stream: &str, text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            text.contains(needle),
            "`{needle}` missing from {stream}:\n{text}"
        );
    }
}

/// A sandbox upstream running on its own runtime for the length of a test.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    _rt: tokio::runtime::Runtime,
}

impl TestSandbox {
    pub fn start(options: SandboxOptions) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mut options = options;
        options.now = options.now.or_else(|| NOW.parse().ok());
        let sandbox = rt.block_on(sandbox::start(options)).expect("sandbox");
        Self { sandbox, _rt: rt }
    }

    pub fn url(&self) -> String {
        self.sandbox.base_url()
    }

    pub fn key(&self) -> &str {
        &self.sandbox.api_key
    }

    /// Points `env` at this sandbox with its key in the environment.
    pub fn configure(&self, env: &mut TestEnv) {
        env.set("ANALYTICS_MCP_API_URL", &self.url());
        env.set("ANALYTICS_MCP_API_KEY", self.key());
    }

    /// A sandbox with the faults `specs` (in `--fault` syntax) switched on.
    pub fn with_faults(specs: &[&str]) -> Self {
        Self::start(SandboxOptions {
            faults: specs
                .iter()
                .map(|f| f.parse().expect("fault spec"))
                .collect(),
            ..SandboxOptions::default()
        })
    }

    /// A sandbox that answers 429 beyond `limit` requests per window.
    pub fn rate_limited(limit: u32) -> Self {
        Self::start(SandboxOptions {
            rate_limit: limit,
            ..SandboxOptions::default()
        })
    }

    /// A fresh environment pointed at this sandbox.
    pub fn env(&self) -> TestEnv {
        let mut env = TestEnv::new();
        self.configure(&mut env);
        env
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `serve` with a line-level JSON-RPC client on its stdio.
pub struct McpSession {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// Every line `serve` wrote to stdout, in order.
    pub stdout_lines: Vec<String>,
    next_id: i64,
}

impl McpSession {
    pub fn spawn(env: &TestEnv, extra_args: &[&str]) -> Self {
        let mut cmd = env.cmd();
        cmd.arg("serve").args(extra_args);
        Self::spawn_command(cmd)
    }

    /// A session with `cmd` as the server, started as a client starts an entry.
    pub fn spawn_command(mut cmd: Command) -> Self {
        let mut child = spawn_piped(&mut cmd, Stdio::piped(), "serve");
        let (rx, reader) = line_reader(child.stdout.take().expect("stdout"));
        Self {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            reader: Some(reader),
            stdout_lines: Vec::new(),
            next_id: 100,
        }
    }

    /// The `serve` process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
    }

    /// Writes raw bytes (which need not be UTF-8) as they are.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_raw(&msg.to_string());
    }

    /// The next line from stdout, parsed; panics after [`WAIT`].
    pub fn recv(&mut self) -> Value {
        match self.lines.recv_timeout(WAIT) {
            Ok(line) => {
                self.stdout_lines.push(line.clone());
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"))
            }
            Err(RecvTimeoutError::Timeout) => panic!("no answer from serve within {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("serve closed stdout"),
        }
    }

    /// Waits for the message with this id (other messages are kept in `stdout_lines`).
    pub fn recv_id(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let msg = self.recv();
            if msg.get("id") == Some(id) {
                return msg;
            }
        }
        panic!("no answer for id {id}");
    }

    /// Sends a request and returns the whole response message.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.recv_id(&id)
    }

    /// `initialize` + `notifications/initialized`; returns the initialize result.
    pub fn initialize(&mut self) -> Value {
        self.initialize_with("2025-06-18")
    }

    pub fn initialize_with(&mut self, version: &str) -> Value {
        self.initialize_as(version, "it")
    }

    /// `initialize` as the client called `name` (which picks the output mode), then
    /// `notifications/initialized`; returns the initialize result.
    pub fn initialize_as(&mut self, version: &str, name: &str) -> Value {
        let resp = self.request(
            "initialize",
            json!({
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": name, "version": "0"}
            }),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        resp["result"].clone()
    }

    /// `initialize` (2025-11-25) as client `name` declaring `capabilities`, then
    /// `notifications/initialized`; returns the initialize result, panicking on an error.
    pub fn initialize_declaring(&mut self, capabilities: Value, name: &str) -> Value {
        let init = self.request(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": capabilities,
                "clientInfo": {"name": name, "version": "1"}
            }),
        );
        assert!(init.get("result").is_some(), "{init}");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        init["result"].clone()
    }

    /// `tools/call`; returns the result object (with `isError`), panicking on a JSON-RPC error.
    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let resp = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert!(
            resp.get("error").is_none(),
            "JSON-RPC error for {tool}: {resp}"
        );
        resp["result"].clone()
    }

    /// Closes stdin, waits for exit, and returns everything printed. Every stdout line must
    /// be JSON-RPC.
    pub fn finish(mut self) -> Finished {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        loop {
            match self.lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => self.stdout_lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    panic!("serve did not exit after stdin closed");
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "serve exited with {status}");
        for line in &self.stdout_lines {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|_| panic!("stdout carried a non-JSON line: {line}"));
            assert_eq!(
                v["jsonrpc"], "2.0",
                "stdout carried a non-JSON-RPC line: {line}"
            );
        }
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        Finished {
            stdout_lines: std::mem::take(&mut self.stdout_lines),
            stderr,
        }
    }
}

/// What a finished `serve` printed.
pub struct Finished {
    pub stdout_lines: Vec<String>,
    pub stderr: String,
}

/// The text of a tool result's first content block.
pub fn text_of(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// True when `CI` is set: tests that need an external program must then not skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Skips (returns true) with a printed reason locally; fails under CI.
pub fn skip_or_fail(reason: &str) -> bool {
    if in_ci() {
        panic!("CI is set, so this test may not skip: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    true
}
