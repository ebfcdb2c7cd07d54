//! Small helpers several test files repeated by hand: an initialized `serve` session, a tool
//! call that must be refused, a JSON-RPC error's message, and the shipped Client ID Metadata
//! Document.

use serde_json::Value;

use super::{McpSession, TestEnv, repo, text_of};

/// `serve` with `args`, spawned and initialized.
pub fn session(env: &TestEnv, args: &[&str]) -> McpSession {
    let mut s = McpSession::spawn(env, args);
    s.initialize();
    s
}

/// Calls `tool` with `args`, asserts the result is an error whose text says `needle`, and
/// returns the result and that text.
#[track_caller]
pub fn refusal(s: &mut McpSession, tool: &str, args: Value, needle: &str) -> (Value, String) {
    let result = s.call(tool, args.clone());
    assert_eq!(result["isError"], true, "{tool} {args}: {result}");
    let text = text_of(&result);
    assert!(text.contains(needle), "{tool} {args}: {text}");
    (result, text)
}

/// The `error.message` of a JSON-RPC response (empty when there is none).
pub fn error_message(response: &Value) -> &str {
    response["error"]["message"].as_str().unwrap_or_default()
}

/// `dist/client-metadata.json`, parsed.
pub fn client_metadata() -> Value {
    let text = std::fs::read_to_string(repo().join("dist/client-metadata.json")).expect("read");
    serde_json::from_str(&text).expect("dist/client-metadata.json is JSON")
}
