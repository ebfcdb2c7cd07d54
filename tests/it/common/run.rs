//! Small helpers several test files repeated by hand: an initialized `serve` session, and the
//! shipped Client ID Metadata Document.

use serde_json::Value;

use super::{McpSession, TestEnv, repo};

/// `serve` with `args`, spawned and initialized.
pub fn session(env: &TestEnv, args: &[&str]) -> McpSession {
    let mut s = McpSession::spawn(env, args);
    s.initialize();
    s
}

/// `dist/client-metadata.json`, parsed.
pub fn client_metadata() -> Value {
    let text = std::fs::read_to_string(repo().join("dist/client-metadata.json")).expect("read");
    serde_json::from_str(&text).expect("dist/client-metadata.json is JSON")
}
