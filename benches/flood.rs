//! A flood of pipelined calls: `cargo bench --bench flood`.
//!
//! 20,000 distinct `tools/call` requests (limit × start date, so the cache cannot answer any)
//! are written to one `serve` process without waiting for an answer, against the sandbox on
//! 127.0.0.1 with no rate limit. Prints how long it took until every one was answered and the
//! process's peak RSS (`VmHWM`, Linux), and fails when that peak is over [`BOUND_MIB`]: `serve`
//! reads no more input while `max_concurrent_calls` requests are in flight, so memory stays
//! flat however many are queued. `BENCH_FLOOD_CALLS` changes the number of calls.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use analytics_mcp_sandbox::{self as sandbox, SandboxOptions};
use serde_json::{Value, json};

/// The most peak RSS `serve` may reach through the flood.
const BOUND_MIB: u64 = 64;
/// How long the whole flood may take before the run is called stuck.
const LIMIT: Duration = Duration::from_secs(600);

fn main() {
    let calls: i64 = std::env::var("BENCH_FLOOD_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    if !std::path::Path::new("/proc/self/status").exists() {
        println!("skipped: no /proc to read peak memory from");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sb = rt
        .block_on(sandbox::start(SandboxOptions {
            rate_limit: u32::MAX,
            ..SandboxOptions::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_analytics-mcp"))
        .arg("serve")
        .env("ANALYTICS_MCP_API_URL", sb.base_url())
        .env("ANALYTICS_MCP_API_KEY", &sb.api_key)
        .env("ANALYTICS_MCP_CONFIG_DIR", home.path())
        .env("ANALYTICS_MCP_CREDENTIAL_STORE", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = move |msg: Value| {
        let mut line = msg.to_string();
        line.push('\n');
        stdin.write_all(line.as_bytes()).unwrap();
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "flood", "version": "0"}}}),
    );
    let init = lines.next().unwrap().unwrap();
    assert!(init.contains("\"result\""), "{init}");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let started = Instant::now();
    // Written from a thread of its own: `serve` stops reading while it is busy, so a writer
    // that also had to read the answers would deadlock on a full pipe.
    let writer = std::thread::spawn(move || {
        for i in 0..calls {
            let day = jiff::civil::date(2025, 1, 1)
                .checked_add(jiff::Span::new().days(i / 50))
                .unwrap();
            send(
                json!({"jsonrpc": "2.0", "id": 10_000 + i, "method": "tools/call",
                "params": {"name": "get_top_pages", "arguments": {
                    "limit": 1 + i % 50, "startDate": day.to_string(), "endDate": "2026-11-20"}}}),
            );
        }
        send
    });
    let mut waiting: HashSet<i64> = (10_000..10_000 + calls).collect();
    while !waiting.is_empty() {
        assert!(
            started.elapsed() < LIMIT,
            "{} calls unanswered",
            waiting.len()
        );
        let line = lines.next().expect("serve ended early").unwrap();
        let msg: Value = serde_json::from_str(&line).unwrap();
        let Some(id) = msg["id"].as_i64().filter(|id| waiting.contains(id)) else {
            continue;
        };
        assert_eq!(msg["result"]["isError"], false, "{msg}");
        waiting.remove(&id);
    }
    let elapsed = started.elapsed();
    let peak_kib = peak_rss_kib(pid).expect("VmHWM");
    drop(writer.join().unwrap());
    child.wait().unwrap();

    println!("| what | value |\n|---|---|");
    println!("| pipelined calls, all answered | {calls} in {elapsed:.1?} |");
    println!(
        "| peak RSS of serve (bound {BOUND_MIB} MiB) | {:.1} MiB |",
        peak_kib as f64 / 1024.0
    );
    assert!(
        peak_kib <= BOUND_MIB * 1024,
        "peak RSS {} MiB is over the bound of {BOUND_MIB} MiB",
        peak_kib / 1024
    );
}

/// Peak resident memory of process `pid`, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
