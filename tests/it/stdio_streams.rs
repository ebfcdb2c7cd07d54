//! `serve` over each kind of stream a client hands it: pipes (Python, Codex), socket pairs
//! (Node's libuv, so Claude Code), a plain file; and the open files it shares with whoever
//! started it left as it found them (src/mcp/stdio.rs).

use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestEnv, TestSandbox, finish_within, line_reader, tool_names};

const WAIT: Duration = Duration::from_secs(20);

fn initialize() -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "streams", "version": "1"}}})
    .to_string()
}

/// `initialize`, `notifications/initialized`, `tools/list` and a `get_realtime` call, one
/// line each.
fn session_lines() -> String {
    [
        initialize(),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string(),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "get_realtime", "arguments": {}}})
        .to_string(),
    ]
    .map(|line| line + "\n")
    .concat()
}

/// The answer with `id`, waiting at most [`WAIT`] for each line.
fn answer(lines: &Receiver<String>, id: i64) -> Value {
    loop {
        let line = lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no answer with id {id} within {WAIT:?}"));
        let msg: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout holds a line that is not JSON ({e}): {line}"));
        if msg["id"] == json!(id) {
            return msg;
        }
    }
}

/// The answers to [`session_lines`], asserted to be what a client needs: the handshake, the
/// whole tool list, and the call's real answer.
fn assert_served(lines: &Receiver<String>) {
    let init = answer(lines, 1);
    assert_eq!(
        init["result"]["serverInfo"]["name"], "analytics-mcp",
        "{init}"
    );
    let list = answer(lines, 2);
    let names = tool_names(&list);
    assert!(
        names.contains(&"get_realtime".to_string()) && names.len() > 10,
        "{list}"
    );
    let call = answer(lines, 3);
    assert_ne!(call["result"]["isError"], json!(true), "{call}");
    let text = call["result"]["content"][0]["text"].as_str().unwrap_or("");
    assert!(text.to_lowercase().contains("visitor"), "{call}");
}

/// Waits for `child` (a `serve` whose client has closed its end) to exit, and asserts it
/// exited successfully.
fn ended(child: std::process::Child, what: &str) {
    let out = finish_within(child, WAIT, what);
    assert!(
        out.status.success(),
        "{what}: serve exited with {}",
        out.status
    );
}

fn serve(env: &TestEnv) -> Command {
    let mut cmd = env.cmd();
    cmd.arg("serve").stderr(Stdio::null());
    cmd
}

#[cfg(unix)]
#[test]
fn serve_answers_over_socket_pairs_as_node_clients_spawn_it() {
    use std::io::Write;
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;

    let sandbox = TestSandbox::start(Default::default());
    let env = sandbox.env();
    let (mut to_serve, its_stdin) = UnixStream::pair().unwrap();
    let (from_serve, its_stdout) = UnixStream::pair().unwrap();
    let child = serve(&env)
        .stdin(OwnedFd::from(its_stdin))
        .stdout(OwnedFd::from(its_stdout))
        .spawn()
        .expect("spawn serve");
    let (lines, _reader) = line_reader(from_serve);

    to_serve.write_all(session_lines().as_bytes()).unwrap();
    assert_served(&lines);
    #[cfg(target_os = "linux")]
    {
        let pid = child.id().to_string();
        assert_ne!(
            flags(&pid, 0) & NONBLOCK,
            0,
            "the stdin socket is not non-blocking"
        );
        assert_ne!(
            flags(&pid, 1) & NONBLOCK,
            0,
            "the stdout socket is not non-blocking"
        );
    }
    // Closing the client's end is the end of the session, as with a pipe.
    drop(to_serve);
    ended(child, "serve over socket pairs");
}

#[test]
fn serve_answers_a_session_read_from_a_file() {
    let sandbox = TestSandbox::start(Default::default());
    let env = sandbox.env();
    let input = env.dir.path().join("session.jsonl");
    std::fs::write(&input, session_lines()).unwrap();
    let mut child = serve(&env)
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let (lines, _reader) = line_reader(child.stdout.take().unwrap());
    assert_served(&lines);
    ended(child, "serve reading a file");
}

/// The flags of open file `fd` of process `pid` (`/proc/PID/fdinfo/FD`, octal).
#[cfg(target_os = "linux")]
fn flags(pid: &str, fd: i32) -> u32 {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).unwrap();
    let octal = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .unwrap_or_else(|| panic!("no flags in {info}"));
    u32::from_str_radix(octal.trim(), 8).unwrap()
}

/// `O_NONBLOCK` on Linux.
#[cfg(target_os = "linux")]
const NONBLOCK: u32 = 0o4000;

/// Asserts that this process's descriptor `fd` reads and writes blocking again.
#[cfg(target_os = "linux")]
#[track_caller]
fn assert_blocking_again(fd: &impl std::os::fd::AsRawFd, what: &str) {
    assert_eq!(
        flags("self", fd.as_raw_fd()) & NONBLOCK,
        0,
        "serve left {what} non-blocking"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn pipes_serve_reads_without_blocking_are_blocking_again_for_their_other_holders() {
    use std::io::Write;
    use std::os::fd::AsRawFd;

    let sandbox = TestSandbox::start(Default::default());
    let env = sandbox.env();
    // The test keeps a descriptor of each open file serve gets, as a shell that started it
    // would, and reads its flags through them.
    let (its_stdin, mut to_serve) = std::io::pipe().unwrap();
    let (from_serve, its_stdout) = std::io::pipe().unwrap();
    let shared_in = its_stdin.try_clone().unwrap();
    let shared_out = its_stdout.try_clone().unwrap();
    assert_eq!(flags("self", shared_in.as_raw_fd()) & NONBLOCK, 0);
    assert_eq!(flags("self", shared_out.as_raw_fd()) & NONBLOCK, 0);
    let child = serve(&env)
        .stdin(its_stdin)
        .stdout(its_stdout)
        .spawn()
        .expect("spawn serve");
    let pid = child.id().to_string();
    let (lines, _reader) = line_reader(from_serve);

    to_serve.write_all(session_lines().as_bytes()).unwrap();
    assert_served(&lines);
    // While it serves, both are read and written through the runtime's reactor.
    assert_ne!(flags(&pid, 0) & NONBLOCK, 0, "stdin is not non-blocking");
    assert_ne!(flags(&pid, 1) & NONBLOCK, 0, "stdout is not non-blocking");

    drop(to_serve);
    ended(child, "serve over pipes");
    assert_blocking_again(&shared_in, "the stdin it shared");
    assert_blocking_again(&shared_out, "the stdout it shared");
}

#[cfg(target_os = "linux")]
#[test]
fn one_socket_for_stdin_and_stdout_is_blocking_again_after_serve() {
    use std::io::Write;
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;

    let sandbox = TestSandbox::start(Default::default());
    let env = sandbox.env();
    // Some clients hand a server one socket for both streams: one open file, switched and
    // restored twice.
    let (mut client, its_end) = UnixStream::pair().unwrap();
    let shared = its_end.try_clone().unwrap();
    let child = serve(&env)
        .stdin(OwnedFd::from(its_end.try_clone().unwrap()))
        .stdout(OwnedFd::from(its_end))
        .spawn()
        .expect("spawn serve");
    let (lines, _reader) = line_reader(client.try_clone().unwrap());
    client.write_all(session_lines().as_bytes()).unwrap();
    assert_served(&lines);
    client.shutdown(std::net::Shutdown::Write).unwrap();
    ended(child, "serve over one socket");
    assert_blocking_again(&shared, "the socket it was given");
}

#[cfg(target_os = "linux")]
#[test]
fn stdout_shared_with_stderr_stays_blocking() {
    use std::io::Write;

    let sandbox = TestSandbox::start(Default::default());
    let env = sandbox.env();
    // `serve 2>&1 | …`: the log's writes expect a blocking stderr, so stdout is left as it is.
    let (from_serve, its_out) = std::io::pipe().unwrap();
    let mut child = env
        .cmd()
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(its_out.try_clone().unwrap())
        .stderr(its_out)
        .spawn()
        .expect("spawn serve");
    let mut to_serve = child.stdin.take().unwrap();
    let (lines, _reader) = line_reader(from_serve);
    to_serve.write_all(session_lines().as_bytes()).unwrap();
    assert_served(&lines);
    let pid = child.id().to_string();
    assert_eq!(flags(&pid, 1) & NONBLOCK, 0, "stdout was made non-blocking");
    assert_ne!(flags(&pid, 0) & NONBLOCK, 0, "stdin is not non-blocking");
    drop(to_serve);
    ended(child, "serve with 2>&1");
}
