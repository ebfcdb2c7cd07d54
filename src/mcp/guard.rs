//! The stdio guard: a thin line filter between the client's pipes and rmcp.
//!
//! rmcp silently drops a line that is not JSON and ends the session on a stray notification
//! before `initialize`. A client deserves an answer for every request, so this guard:
//! - answers a line that is not JSON with a JSON-RPC parse error (`-32700`, id `null`);
//! - answers a JSON value that is not a request object with `-32600`;
//! - refuses lines over [`MAX_LINE_BYTES`] without holding them in memory;
//! - before `initialize`, answers unknown methods with `-32601` and known ones with
//!   "not initialized", and drops notifications and stray responses, instead of letting rmcp
//!   hang up (rmcp ends a session whose first message is not a request);
//! - keeps at most `max_in_flight` requests in rmcp at once: past that it stops reading
//!   stdin until an answer goes out, so requests queue in order in the client's pipe and
//!   memory stays flat whatever the client writes;
//! - passes everything else through unchanged.
//!
//! It owns stdout: rmcp's output and the guard's own errors go through one writer, a whole
//! line at a time, so nothing but JSON-RPC lines ever reaches stdout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::ServiceExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, mpsc};

use rmcp::ServerHandler;

/// The largest JSON-RPC line accepted from the client.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Methods rmcp serves once initialized; before that they get "not initialized".
const KNOWN_METHODS: &[&str] = &[
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "completion/complete",
    "logging/setLevel",
];

/// Serves `server` on this process's stdin/stdout until the client closes stdin, with at
/// most `max_in_flight` requests being worked on at once.
pub async fn serve_stdio<S: ServerHandler>(server: S, max_in_flight: usize) -> anyhow::Result<()> {
    serve_on(
        server,
        tokio::io::stdin(),
        tokio::io::stdout(),
        max_in_flight,
    )
    .await
}

/// The requests rmcp is working on, by id: each holds one of `slots`' permits until its
/// answer (or the client's cancellation) goes by.
struct InFlight {
    slots: Semaphore,
    ids: Mutex<HashMap<String, usize>>,
}

impl InFlight {
    fn new(max: usize) -> Self {
        Self {
            slots: Semaphore::new(max.max(1)),
            ids: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a free slot, then counts request `id` as in flight.
    async fn admit(&self, id: String) {
        if let Ok(permit) = self.slots.acquire().await {
            permit.forget();
        }
        *self
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_default() += 1;
    }

    /// Whether a request with this id is being worked on.
    fn holds(&self, id: &str) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    /// Request `id` is answered (or cancelled): its slot is free again.
    fn release(&self, id: &str) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = ids.get_mut(id) {
            *n -= 1;
            if *n == 0 {
                ids.remove(id);
            }
            self.slots.add_permits(1);
        }
    }
}

/// Just enough of an outgoing line to tell an answer (id, no method) from the rest.
#[derive(Deserialize)]
struct Head {
    id: Option<Value>,
    method: Option<serde::de::IgnoredAny>,
}

/// Serves on any reader/writer pair (stdio in production, pipes in tests).
pub async fn serve_on<S, R, W>(
    server: S,
    input: R,
    output: W,
    max_in_flight: usize,
) -> anyhow::Result<()>
where
    S: ServerHandler,
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (guard_side, rmcp_side) = tokio::io::duplex(256 * 1024);
    let (rmcp_read, rmcp_write) = tokio::io::split(rmcp_side);
    let (from_rmcp, mut to_rmcp) = tokio::io::split(guard_side);
    let (tx, rx) = mpsc::channel::<Vec<u8>>(256);

    let writer = tokio::spawn(write_lines(rx, output));
    let in_flight = Arc::new(InFlight::new(max_in_flight));

    // rmcp's answers, line by line, into the single writer.
    let tx_out = tx.clone();
    let answered = in_flight.clone();
    let forward_out = tokio::spawn(async move {
        let mut lines = BufReader::new(from_rmcp);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match lines.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if !buf.ends_with(b"\n") {
                        buf.push(b'\n');
                    }
                    if let Ok(Head {
                        id: Some(id),
                        method: None,
                    }) = serde_json::from_slice::<Head>(&buf)
                    {
                        answered.release(&id.to_string());
                    }
                    if tx_out.send(buf.clone()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });

    // The client's lines, checked, into rmcp.
    let initialized = Arc::new(AtomicBool::new(false));
    let tx_in = tx.clone();
    let forward_in = tokio::spawn(async move {
        let mut input = BufReader::new(input);
        loop {
            let line = match read_bounded_line(&mut input).await {
                Ok(Line::Eof) => break,
                Ok(Line::TooLong) => {
                    let _ = tx_in
                        .send(error_line(
                            &Value::Null,
                            -32600,
                            &format!(
                                "Invalid Request: message larger than {} MiB refused",
                                MAX_LINE_BYTES / (1024 * 1024)
                            ),
                        ))
                        .await;
                    continue;
                }
                Ok(Line::Data(line)) => line,
                Err(e) => {
                    tracing::warn!("reading stdin failed: {e}");
                    break;
                }
            };
            match check(&line, &initialized) {
                Verdict::Skip => {}
                Verdict::Answer(reply) => {
                    if tx_in.send(reply).await.is_err() {
                        break;
                    }
                }
                Verdict::Cancel(id) => {
                    in_flight.release(&id);
                    let mut line = line;
                    line.push(b'\n');
                    if to_rmcp.write_all(&line).await.is_err() {
                        break;
                    }
                }
                Verdict::Request(id) if in_flight.holds(&id) => {
                    // rmcp keeps one request per id: a second one would never be answered
                    // (nor free its slot).
                    let id_value: Value = serde_json::from_str(&id).unwrap_or(Value::Null);
                    let reply = error_line(
                        &id_value,
                        -32600,
                        "Invalid Request: a request with this id is still in flight",
                    );
                    if tx_in.send(reply).await.is_err() {
                        break;
                    }
                }
                Verdict::Request(id) => {
                    // Past the cap this waits, and stdin is not read meanwhile.
                    in_flight.admit(id).await;
                    let mut line = line;
                    line.push(b'\n');
                    if to_rmcp.write_all(&line).await.is_err() {
                        break;
                    }
                }
                Verdict::Pass => {
                    let mut line = line;
                    line.push(b'\n');
                    if to_rmcp.write_all(&line).await.is_err() {
                        break;
                    }
                }
            }
        }
        // Closing rmcp's input ends the session once in-flight requests are answered.
        let _ = to_rmcp.shutdown().await;
    });
    drop(tx);

    match server.serve((rmcp_read, rmcp_write)).await {
        Ok(running) => {
            let _ = running.waiting().await;
        }
        Err(e) => tracing::debug!("session ended before initialization: {e}"),
    }
    forward_in.abort();
    let _ = forward_out.await;
    let _ = writer.await;
    Ok(())
}

enum Verdict {
    Pass,
    /// A request rmcp will answer, by its id (as JSON text): it takes an in-flight slot.
    Request(String),
    /// `notifications/cancelled` for this request id: its slot is free again.
    Cancel(String),
    Skip,
    Answer(Vec<u8>),
}

/// Decides what to do with one line from the client.
fn check(line: &[u8], initialized: &AtomicBool) -> Verdict {
    let text = match std::str::from_utf8(line) {
        Ok(t) => t.trim(),
        Err(_) => {
            return Verdict::Answer(error_line(
                &Value::Null,
                -32700,
                "Parse error: the line is not valid UTF-8",
            ));
        }
    };
    if text.is_empty() {
        return Verdict::Skip;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Answer(error_line(
                &Value::Null,
                -32700,
                &format!("Parse error: the line is not valid JSON ({e})"),
            ));
        }
    };
    let Some(obj) = value.as_object() else {
        return Verdict::Answer(error_line(
            &Value::Null,
            -32600,
            "Invalid Request: expected one JSON-RPC object per line (batches are not supported)",
        ));
    };
    let id = obj.get("id").cloned();
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response to a server request (rmcp sends none today) or garbage. Before
        // `initialize` nothing can have been asked, and rmcp would end the session on it.
        return match (&id, obj.contains_key("result") || obj.contains_key("error")) {
            (Some(_), true) if !initialized.load(Ordering::Acquire) => {
                tracing::debug!("dropping a response sent before initialize");
                Verdict::Skip
            }
            (Some(_), true) => Verdict::Pass,
            (Some(id), false) => {
                Verdict::Answer(error_line(id, -32600, "Invalid Request: no `method`"))
            }
            (None, _) => Verdict::Skip,
        };
    };
    if let Some(id) = &id
        // rmcp keeps ids as i64: a larger one could not be answered by id (nor free its slot).
        && !(id.is_string() || id.is_i64())
    {
        return Verdict::Answer(error_line(
            &Value::Null,
            -32600,
            "Invalid Request: `id` must be a string or an integer within 64-bit signed range",
        ));
    }
    // What rmcp works on takes a slot: every request but the cheap ping and the handshake.
    // rmcp answers a request whose params do not fit its method with an error that has no
    // id, which would leave the slot taken for good: such a request is answered here, with
    // its id.
    let work = |id: &Value| match method {
        "ping" | "initialize" => Verdict::Pass,
        _ => match serde_json::from_str::<rmcp::model::ClientJsonRpcMessage>(text) {
            Ok(_) => Verdict::Request(id.to_string()),
            Err(e) => Verdict::Answer(error_line(
                id,
                -32600,
                &format!(
                    "Invalid Request: the params do not fit `{}` ({})",
                    crate::text::clean(method, 80),
                    crate::text::clean(&e.to_string(), 160)
                ),
            )),
        },
    };
    if initialized.load(Ordering::Acquire) {
        return match (&id, method) {
            (Some(id), _) => work(id),
            (None, "notifications/cancelled") => obj
                .get("params")
                .and_then(|p| p.get("requestId"))
                .map_or(Verdict::Pass, |r| Verdict::Cancel(id_key(r))),
            (None, _) => Verdict::Pass,
        };
    }
    match (method, &id) {
        ("initialize", Some(id)) => {
            // rmcp would answer a malformed initialize with no id and then end the session
            // on the client's `initialized`: answered here instead, still uninitialized.
            if let Err(e) = serde_json::from_str::<rmcp::model::ClientJsonRpcMessage>(text) {
                return Verdict::Answer(error_line(
                    id,
                    -32600,
                    &format!(
                        "Invalid Request: the initialize params are not valid ({})",
                        crate::text::clean(&e.to_string(), 160)
                    ),
                ));
            }
            initialized.store(true, Ordering::Release);
            Verdict::Pass
        }
        ("ping" | "server/discover", Some(_)) => Verdict::Pass,
        // Stateless clients (protocol 2026-07-28) send the version inline instead of
        // initializing; rmcp handles those.
        (_, Some(id)) if has_inline_version(obj) => work(id),
        (_, None) => Verdict::Skip,
        (m, Some(id)) if KNOWN_METHODS.contains(&m) => Verdict::Answer(error_line(
            id,
            -32002,
            "Server not initialized: send `initialize` first",
        )),
        (m, Some(id)) => Verdict::Answer(error_line(
            id,
            -32601,
            &format!("Method not found: {}", crate::text::clean(m, 80)),
        )),
    }
}

/// A request id as rmcp keys it: an integral number in any spelling (`1`, `1.0`, `1e0`) is
/// that integer; anything else is its JSON text.
fn id_key(id: &Value) -> String {
    match id.as_f64() {
        Some(x) if !id.is_i64() && x.fract() == 0.0 && x.abs() < 9.0e15 => (x as i64).to_string(),
        _ => id.to_string(),
    }
}

fn has_inline_version(obj: &serde_json::Map<String, Value>) -> bool {
    obj.get("params")
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.as_object())
        .is_some_and(|m| m.keys().any(|k| k.ends_with("protocolVersion")))
}

fn error_line(id: &Value, code: i64, message: &str) -> Vec<u8> {
    let mut line = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message }
    })
    .to_string()
    .into_bytes();
    line.push(b'\n');
    line
}

async fn write_lines<W: tokio::io::AsyncWrite + Unpin>(
    mut rx: mpsc::Receiver<Vec<u8>>,
    mut out: W,
) {
    while let Some(line) = rx.recv().await {
        if out.write_all(&line).await.is_err() || out.flush().await.is_err() {
            break;
        }
    }
}

enum Line {
    Data(Vec<u8>),
    TooLong,
    Eof,
}

/// Reads one `\n`-terminated line, discarding (not buffering) the rest of an oversized one.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(input: &mut R) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::Eof,
                (false, false) => Line::Data(line),
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(available.len());
        input.consume(consumed);
        if done.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Data(line)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(line: &str, init: bool) -> String {
        let flag = AtomicBool::new(init);
        match check(line.as_bytes(), &flag) {
            Verdict::Pass => "pass".into(),
            Verdict::Request(id) => format!("request {id}"),
            Verdict::Cancel(id) => format!("cancel {id}"),
            Verdict::Skip => "skip".into(),
            Verdict::Answer(a) => String::from_utf8(a).unwrap(),
        }
    }

    #[test]
    fn garbage_gets_a_parse_error_with_null_id() {
        let a = verdict("{not json", true);
        assert!(a.contains("-32700") && a.contains("\"id\":null"), "{a}");
        assert!(verdict("[1,2]", true).contains("-32600"));
        assert!(verdict(r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, true).contains("-32600"));
        let huge = r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"tools/list"}"#;
        assert!(verdict(huge, true).contains("-32600"));
    }

    #[test]
    fn before_initialize_unknown_methods_are_answered_and_notifications_dropped() {
        let a = verdict(r#"{"jsonrpc":"2.0","id":"x","method":"foo/bar"}"#, false);
        assert!(a.contains("-32601") && a.contains("\"id\":\"x\""), "{a}");
        let a = verdict(r#"{"jsonrpc":"2.0","id":0,"method":"tools/list"}"#, false);
        assert!(a.contains("-32002") && a.contains("\"id\":0"), "{a}");
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                false
            ),
            "skip"
        );
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","id":1,"method":"server/discover"}"#,
                false
            ),
            "pass"
        );
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
                false
            ),
            "pass"
        );
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":1,"method":"foo/bar"}"#, true),
            "request 1"
        );
    }

    #[test]
    fn stray_responses_before_initialize_are_dropped_and_requests_take_slots() {
        for stray in [
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"no"}}"#,
        ] {
            assert_eq!(verdict(stray, false), "skip", "{stray}");
            assert_eq!(verdict(stray, true), "pass", "{stray}");
        }
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":"a","method":"tools/call"}"#, true),
            "request \"a\""
        );
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#, true),
            "pass"
        );
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}"#,
                true
            ),
            "cancel 9"
        );
    }

    #[test]
    fn a_cancel_names_its_request_as_rmcp_does_and_a_bad_initialize_is_answered() {
        let cancel = |rid: &str| {
            verdict(
                &format!(
                    r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{rid}}}}}"#
                ),
                true,
            )
        };
        assert_eq!(cancel("1.0"), "cancel 1");
        assert_eq!(cancel("1e0"), "cancel 1");
        assert_eq!(cancel("\"a\""), "cancel \"a\"");
        let flag = AtomicBool::new(false);
        let bad = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":5}"#;
        match check(bad.as_bytes(), &flag) {
            Verdict::Answer(a) => {
                let a = String::from_utf8(a).unwrap();
                assert!(a.contains("-32600") && a.contains("\"id\":1"), "{a}");
            }
            _ => panic!("a malformed initialize is answered"),
        }
        assert!(
            !flag.load(Ordering::Acquire),
            "and the session is not initialized"
        );
    }

    #[test]
    fn a_request_whose_params_do_not_fit_is_answered_with_its_id() {
        let a = verdict(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":5}"#,
            true,
        );
        assert!(a.contains("-32600") && a.contains("\"id\":3"), "{a}");
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x"}}"#,
                true
            ),
            "request 4"
        );
    }

    #[tokio::test]
    async fn past_the_cap_a_request_waits_until_an_answer_frees_a_slot() {
        let slots = Arc::new(InFlight::new(2));
        slots.admit("1".into()).await;
        slots.admit("2".into()).await;
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.admit("3".into()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the third request waits");
        slots.release("unknown");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "an answer nobody asked for frees nothing"
        );
        slots.release("1");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("admitted")
            .unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn any_bytes_get_a_valid_answer_or_pass_through(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            init in proptest::prelude::any::<bool>(),
        ) {
            if let Verdict::Answer(line) = check(&bytes, &AtomicBool::new(init)) {
                let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
                proptest::prop_assert_eq!(&v["jsonrpc"], "2.0");
                proptest::prop_assert!(v["error"]["code"].is_i64());
            }
        }
    }

    #[tokio::test]
    async fn oversized_lines_are_skipped_without_buffering() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 10];
        data.extend_from_slice(b"\n{\"a\":1}\n");
        let mut reader = BufReader::new(&data[..]);
        assert!(matches!(
            read_bounded_line(&mut reader).await.unwrap(),
            Line::TooLong
        ));
        match read_bounded_line(&mut reader).await.unwrap() {
            Line::Data(l) => assert_eq!(l, b"{\"a\":1}"),
            _ => panic!("expected the next line"),
        }
        assert!(matches!(
            read_bounded_line(&mut reader).await.unwrap(),
            Line::Eof
        ));
    }
}
