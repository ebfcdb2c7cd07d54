//! The per-line checks of the stdio transport: what to do with one line from the client.
//!
//! rmcp silently drops a line that is not JSON and ends the session on a stray message
//! before `initialize`. A client deserves an answer for every request, so each line is parsed
//! here, once, and either handed to rmcp as its typed message or answered here:
//! - a line that is not JSON gets a parse error (`-32700`, id `null`); serde_json's nesting
//!   limit (128) makes a deeper line one of those;
//! - a JSON value that is not a request object gets `-32600`, and so does a request whose id
//!   rmcp could not answer by (not a string or an integer within `i64`), or whose params do
//!   not fit its method (with its id: rmcp would answer that without one);
//! - before `initialize`, unknown methods get `-32601` and known ones "not initialized";
//!   notifications and stray responses are dropped instead of letting rmcp hang up (rmcp ends
//!   a session whose first message is not a request);
//! - responses and notifications rmcp cannot read are dropped: they answer nothing we asked.
//!
//! Framing, the in-flight cap and writing answers are `transport.rs`'s.
//! Uses rmcp's model and `crate::text`.

use rmcp::RoleServer;
use rmcp::model::{CallToolRequest, ClientRequest, JsonRpcMessage, JsonRpcRequest};
use rmcp::service::RxJsonRpcMessage;
use serde::Deserialize;
use serde_json::{Map, Value, json};

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

/// What to do with one line from the client.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "lives for one line and the message goes on to rmcp by value: a box would cost an allocation per line"
)]
pub enum Verdict {
    /// rmcp's message, parsed from the line.
    Deliver(RxJsonRpcMessage<RoleServer>),
    /// A JSON-RPC error line (ending in `\n`) to write back.
    Answer(Vec<u8>),
    /// Nothing to do.
    Skip,
}

/// Decides what to do with one line; `initialized` turns true when an `initialize` goes to
/// rmcp.
pub fn check(line: &str, initialized: &mut bool) -> Verdict {
    let text = line.trim();
    if text.is_empty() {
        return Verdict::Skip;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return answer(
                &Value::Null,
                -32700,
                &format!("Parse error: the line is not valid JSON ({e})"),
            );
        }
    };
    let Some(obj) = value.as_object() else {
        return answer(
            &Value::Null,
            -32600,
            "Invalid Request: expected one JSON-RPC object per line (batches are not supported)",
        );
    };
    let id = obj.get("id");
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response to a server request or garbage. Before `initialize` nothing can have
        // been asked, and rmcp would end the session on it.
        return match (id, obj.contains_key("result") || obj.contains_key("error")) {
            (Some(_), true) if !*initialized => {
                tracing::debug!("dropping a response sent before initialize");
                Verdict::Skip
            }
            (Some(_), true) => deliver_or_drop(&value),
            (Some(id), false) => answer(id, -32600, "Invalid Request: no `method`"),
            (None, _) => Verdict::Skip,
        };
    };
    if let Some(id) = id
        // rmcp keeps ids as i64: a larger one could not be answered by id.
        && !(id.is_string() || id.is_i64())
    {
        return answer(
            &Value::Null,
            -32600,
            "Invalid Request: `id` must be a string or an integer within 64-bit signed range",
        );
    }
    // rmcp answers a request whose params do not fit its method with an error that has no
    // id: such a request is answered here, with its id.
    let request = |id: &Value| match parse_request(&value, obj, method) {
        Ok(message) => Verdict::Deliver(message),
        Err(e) => answer(
            id,
            -32600,
            &format!(
                "Invalid Request: the params do not fit `{}` ({})",
                crate::text::clean(method, 80),
                crate::text::clean(&e.to_string(), 160)
            ),
        ),
    };
    if *initialized {
        return match id {
            Some(id) => request(id),
            None => deliver_or_drop(&value),
        };
    }
    match (method, id) {
        ("initialize", Some(id)) => match parse(&value) {
            Ok(message) => {
                *initialized = true;
                Verdict::Deliver(message)
            }
            // rmcp would answer a malformed initialize with no id and then end the session
            // on the client's `initialized`: answered here instead, still uninitialized.
            Err(e) => answer(
                id,
                -32600,
                &format!(
                    "Invalid Request: the initialize params are not valid ({})",
                    crate::text::clean(&e.to_string(), 160)
                ),
            ),
        },
        ("ping" | "server/discover", Some(id)) => request(id),
        // Stateless clients (protocol 2026-07-28) send the version inline instead of
        // initializing; rmcp handles those.
        (_, Some(id)) if has_inline_version(obj) => request(id),
        (_, None) => Verdict::Skip,
        (m, Some(id)) if KNOWN_METHODS.contains(&m) => answer(
            id,
            -32002,
            "Server not initialized: send `initialize` first",
        ),
        (m, Some(id)) => answer(
            id,
            -32601,
            &format!("Method not found: {}", crate::text::clean(m, 80)),
        ),
    }
}

/// The line as rmcp's message, read from the tree already parsed (not from the text again).
fn parse(value: &Value) -> Result<RxJsonRpcMessage<RoleServer>, serde_json::Error> {
    <RxJsonRpcMessage<RoleServer> as Deserialize>::deserialize(value)
}

/// A request as rmcp's message. A `tools/call`, most of what a session sends, is read straight
/// into its kind: rmcp's own reading buffers the whole message and tries its 22 request kinds
/// in turn, `tools/call` the fourteenth (about 4% of a call's CPU, issue 23). Any other
/// request, and a `tools/call` that does not read that way, is read rmcp's way, so what is
/// delivered, and every error, is what rmcp's reading gives.
fn parse_request(
    value: &Value,
    obj: &Map<String, Value>,
    method: &str,
) -> Result<RxJsonRpcMessage<RoleServer>, serde_json::Error> {
    // rmcp reads a message with a `result` or an `error` beside its `method` as none at all.
    if method == "tools/call"
        && !obj.contains_key("result")
        && !obj.contains_key("error")
        && let Ok(call) = JsonRpcRequest::<CallToolRequest>::deserialize(value)
    {
        return Ok(JsonRpcMessage::Request(JsonRpcRequest {
            jsonrpc: call.jsonrpc,
            id: call.id,
            request: ClientRequest::CallToolRequest(call.request),
        }));
    }
    parse(value)
}

/// A notification or a response: handed on if rmcp can read it, else dropped, since it
/// answers nothing we asked and must not be answered.
fn deliver_or_drop(value: &Value) -> Verdict {
    match parse(value) {
        Ok(message) => Verdict::Deliver(message),
        Err(e) => {
            tracing::debug!("dropping a message rmcp cannot read: {e}");
            Verdict::Skip
        }
    }
}

fn has_inline_version(obj: &Map<String, Value>) -> bool {
    obj.get("params")
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.as_object())
        .is_some_and(|m| m.keys().any(|k| k.ends_with("protocolVersion")))
}

fn answer(id: &Value, code: i64, message: &str) -> Verdict {
    Verdict::Answer(error_line(id, code, message))
}

/// A JSON-RPC error as one line, `\n` included.
pub fn error_line(id: &Value, code: i64, message: &str) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{ClientNotification, ClientRequest, JsonRpcMessage};

    fn verdict(line: &str, init: bool) -> String {
        let mut flag = init;
        match check(line, &mut flag) {
            Verdict::Deliver(JsonRpcMessage::Request(r)) => {
                format!("request {} {}", r.request.method(), r.id)
            }
            Verdict::Deliver(JsonRpcMessage::Notification(n)) => match n.notification {
                ClientNotification::CancelledNotification(c) => {
                    format!("cancel {:?}", c.params.request_id)
                }
                _ => "notification".into(),
            },
            Verdict::Deliver(_) => "response".into(),
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
        assert!(verdict(r#"{"jsonrpc":"2.0","id":1.0,"method":"ping"}"#, true).contains("-32600"));
        let huge = r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"tools/list"}"#;
        assert!(verdict(huge, true).contains("-32600"));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let a = verdict(&deep, true);
        assert!(a.contains("-32700") && a.contains("recursion limit"), "{a}");
        assert_eq!(verdict("  \r", true), "skip");
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
            "request server/discover 1"
        );
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
        let mut flag = false;
        assert!(matches!(
            check(init, &mut flag),
            Verdict::Deliver(JsonRpcMessage::Request(r))
                if matches!(r.request, ClientRequest::InitializeRequest(_))
        ));
        assert!(flag, "a valid initialize initializes");
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":1,"method":"foo/bar"}"#, true),
            "request foo/bar 1"
        );
    }

    #[test]
    fn stray_responses_before_initialize_are_dropped_and_passed_on_after() {
        for stray in [
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"no"}}"#,
        ] {
            assert_eq!(verdict(stray, false), "skip", "{stray}");
            assert_eq!(verdict(stray, true), "response", "{stray}");
        }
        // One rmcp cannot read is dropped, never answered.
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":7,"error":5}"#, true),
            "skip"
        );
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#,
                true
            ),
            "request tools/call a"
        );
        assert_eq!(
            verdict(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#, true),
            "request ping 3"
        );
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}"#,
                true
            ),
            "cancel Some(Number(9))"
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
        assert_eq!(cancel("1.0"), "cancel Some(Number(1))");
        assert_eq!(cancel("1e0"), "cancel Some(Number(1))");
        assert_eq!(cancel("\"a\""), "cancel Some(String(\"a\"))");
        let mut flag = false;
        let bad = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":5}"#;
        match check(bad, &mut flag) {
            Verdict::Answer(a) => {
                let a = String::from_utf8(a).unwrap();
                assert!(a.contains("-32600") && a.contains("\"id\":1"), "{a}");
            }
            _ => panic!("a malformed initialize is answered"),
        }
        assert!(!flag, "and the session is not initialized");
    }

    #[test]
    fn a_request_whose_params_do_not_fit_is_answered_with_its_id() {
        for method in ["tools/call", "ping"] {
            let a = verdict(
                &format!(r#"{{"jsonrpc":"2.0","id":3,"method":"{method}","params":5}}"#),
                true,
            );
            assert!(a.contains("-32600") && a.contains("\"id\":3"), "{a}");
        }
        assert_eq!(
            verdict(
                r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x"}}"#,
                true
            ),
            "request tools/call 4"
        );
    }

    #[test]
    fn a_tools_call_read_straight_is_what_rmcps_own_reading_gives() {
        for line in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_realtime","arguments":{}}}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_top_pages","arguments":{"limit":5,"period":"30d"},"_meta":{"progressToken":"p1","io.example/x":[1]}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_analytics","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}},"extra":true}"#,
            r#"{"id":4,"params":{"arguments":null,"name":"y","task":{"ttl":1000}},"method":"tools/call","jsonrpc":"2.0"}"#,
        ] {
            let value: Value = serde_json::from_str(line).unwrap();
            let obj = value.as_object().unwrap();
            let straight = parse_request(&value, obj, "tools/call").unwrap();
            assert!(
                matches!(&straight, JsonRpcMessage::Request(r)
                    if matches!(r.request, ClientRequest::CallToolRequest(_))),
                "{line}"
            );
            let rmcps = parse(&value).unwrap();
            // Serialized, `_meta` included: rmcp writes it back from the request's extensions.
            assert_eq!(
                serde_json::to_value(&straight).unwrap(),
                serde_json::to_value(&rmcps).unwrap(),
                "{line}"
            );
            assert_eq!(format!("{straight:?}"), format!("{rmcps:?}"), "{line}");
        }
        // What does not read as a call goes rmcp's way, with rmcp's error.
        for line in [
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":5}"#,
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x"},"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call"}"#,
        ] {
            let value: Value = serde_json::from_str(line).unwrap();
            let straight = parse_request(&value, value.as_object().unwrap(), "tools/call");
            let rmcps = parse(&value);
            assert_eq!(
                straight
                    .map(|m| format!("{m:?}"))
                    .map_err(|e| e.to_string()),
                rmcps.map(|m| format!("{m:?}")).map_err(|e| e.to_string()),
                "{line}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn any_line_gets_a_valid_answer_or_passes_through(
            line in proptest::prelude::any::<String>(),
            init in proptest::prelude::any::<bool>(),
        ) {
            if let Verdict::Answer(line) = check(&line, &mut init.clone()) {
                let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
                proptest::prop_assert_eq!(&v["jsonrpc"], "2.0");
                proptest::prop_assert!(v["error"]["code"].is_i64());
            }
        }
    }
}
