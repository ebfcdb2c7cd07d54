//! Packaging: the MCP Bundle manifest and the registry's server.json match the code, pass
//! `mcpb validate` and the registry's JSON Schema.

use std::process::Command;

use serde_json::Value;

use crate::common::run::client_metadata;
use crate::common::{bin, printed, python_with, repo, skip_or_fail};

/// A JSON file of the project's, parsed.
fn json_file(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

#[test]
fn the_bundle_manifest_lists_exactly_our_tools_and_keeps_the_key_sensitive() {
    let m = json_file("dist/mcpb/manifest.json");
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
    let text = printed(&out);
    assert!(
        out.status.success() && text.contains("validation passes"),
        "{text}"
    );
}

#[test]
fn server_json_matches_the_crate_and_the_bundle() {
    let entry = json_file("dist/server.json");
    assert_eq!(entry["version"], env!("CARGO_PKG_VERSION"));
    let package = &entry["packages"][0];
    assert_eq!(package["registryType"], "mcpb");
    assert_eq!(package["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(package["transport"]["type"], "stdio");
    let identifier = package["identifier"].as_str().expect("identifier");
    assert!(
        identifier.ends_with(&format!(
            "analytics-mcp-{}-x86_64-unknown-linux-gnu.mcpb",
            env!("CARGO_PKG_VERSION")
        )),
        "{identifier}"
    );
    // The one environment variable is the bundle's secret, and the registry marks it secret too.
    let vars = package["environmentVariables"]
        .as_array()
        .expect("env vars");
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0]["name"], "ANALYTICS_MCP_API_KEY");
    assert_eq!(vars[0]["isSecret"], true);
    assert!(
        json_file("dist/mcpb/manifest.json")["server"]["mcp_config"]["env"]
            .get("ANALYTICS_MCP_API_KEY")
            .is_some()
    );
}

#[test]
fn server_json_passes_the_registry_schema() {
    let schema = repo().join(".ci/schemas/server.schema.json");
    let Some(python) = python_with("jsonschema").filter(|_| schema.exists()) else {
        skip_or_fail("the registry schema or jsonschema is missing (bash .ci/install-clients)");
        return;
    };
    let check = |path: &std::path::Path| {
        let out = Command::new(&python)
            .arg(repo().join("tests/python/validate_server_json.py"))
            .arg(&schema)
            .arg(path)
            .output()
            .expect("run python");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, text) = check(&repo().join("dist/server.json"));
    assert!(ok && text.trim() == "valid", "{text}");

    // The check has teeth: a name without its namespace and an over-long description fail.
    let mut broken = json_file("dist/server.json");
    broken["name"] = "analytics-mcp".into();
    broken["description"] = "x".repeat(101).into();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("server.json");
    std::fs::write(&path, broken.to_string()).expect("write");
    let (ok, text) = check(&path);
    assert!(!ok, "{text}");
    assert!(
        text.contains("name:") && text.contains("description:"),
        "{text}"
    );
}

/// The Client ID Metadata Document users publish for `[oauth] client_metadata_url`: what an
/// authorization server checks before it accepts the URL as our client id.
#[test]
fn the_client_metadata_document_describes_a_native_public_client() {
    let doc = client_metadata();
    let id = doc["client_id"].as_str().expect("client_id");
    assert!(
        id.starts_with("https://") && id.ends_with("/client-metadata.json"),
        "{id}"
    );
    assert_eq!(doc["application_type"], "native");
    assert_eq!(doc["token_endpoint_auth_method"], "none");
    assert_eq!(
        doc["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    // RFC 8252 §7.3: a loopback redirect URI without a port, so any port matches.
    for uri in doc["redirect_uris"].as_array().expect("redirect_uris") {
        let url = url::Url::parse(uri.as_str().expect("string")).expect("URL");
        assert_eq!(url.host_str(), Some("127.0.0.1"), "{url}");
        assert_eq!(url.port(), None, "{url}");
        assert_eq!(url.path(), "/callback", "{url}");
    }
}

/// The binary users install carries nothing of the sandbox crate (issue 23): no device
/// verification page, no consent page, no fault injector. Checked on the bytes of the built
/// binary, so any path that links the sandbox back in fails here.
#[test]
fn the_product_binary_contains_nothing_of_the_sandbox() {
    let markers = [
        "<title>Device sign-in</title>",
        "Himetrica sandbox",
        "Down for maintenance",
        "Injected fault",
        "sbx_device_",
    ];
    // GNU grep reads the debug build's few hundred megabytes in well under a second; a
    // search in this unoptimized test took ten.
    let mut grep = Command::new("grep");
    grep.args(["-a", "-o", "-F", "-e", "prj_demo_northwind"]);
    for marker in markers {
        grep.args(["-e", marker]);
    }
    let found = grep.arg(bin()).output().expect("run grep");
    let found = String::from_utf8_lossy(&found.stdout);
    let has = |needle: &str| found.lines().any(|line| line == needle);
    for marker in markers {
        assert!(!has(marker), "the product binary contains {marker:?}");
    }
    assert!(has("prj_demo_northwind"));
}
