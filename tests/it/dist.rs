//! Packaging: the MCP Bundle manifest matches the code and passes `mcpb validate`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, skip_or_fail};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(repo().join("dist/mcpb/manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

#[test]
fn the_bundle_manifest_lists_exactly_our_tools_and_keeps_the_key_sensitive() {
    let m = manifest();
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["server"]["type"], "binary");
    assert_eq!(
        m["server"]["mcp_config"]["args"],
        serde_json::json!(["serve"])
    );
    assert_eq!(m["user_config"]["api_key"]["sensitive"], true);
    assert_eq!(
        m["server"]["mcp_config"]["env"]["ANALYTICS_MCP_API_KEY"], "${user_config.api_key}",
        "the key reaches the server through its environment, never its arguments"
    );
    let listed: Value = serde_json::from_slice(
        &Command::new(bin())
            .args(["tools", "--json"])
            .output()
            .expect("tools")
            .stdout,
    )
    .expect("tools --json");
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&m["tools"]), names(&listed["tools"]));
}

#[test]
fn mcpb_validate_accepts_the_manifest() {
    let mcpb = repo().join(".ci/node/node_modules/.bin/mcpb");
    if !mcpb.exists() {
        skip_or_fail("the mcpb CLI is not installed (bash .ci/install-clients)");
        return;
    }
    let out = Command::new(&mcpb)
        .arg("validate")
        .arg(repo().join("dist/mcpb/manifest.json"))
        .output()
        .expect("run mcpb");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("validation passes"),
        "{text}"
    );
}
