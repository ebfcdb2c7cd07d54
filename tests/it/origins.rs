//! A credential reaches only the origin it was issued for: an environment key never goes to a
//! hosted server, a stored record is refused for another API URL, and `status` of a hosted
//! profile asks the hosted server only. Real processes, real HTTP to sandboxes on 127.0.0.1.

use analytics_mcp_sandbox::SandboxOptions;
use serde_json::{Value, json};

use crate::common::run::session;
use crate::common::signin::{hosted_profile, store_hosted_key, use_fake_browser};
use crate::common::{TestEnv, TestSandbox};

/// A Himetrica key that is not the sandbox's, so finding it anywhere means a leak.
const HM_KEY: &str = "hm_sk_live_3c9e1f7a2b5d8e0f4a6c";

#[test]
fn an_environment_key_never_reaches_a_hosted_server() {
    let hosted = TestSandbox::start(SandboxOptions::default());
    let mut env = hosted_profile(&hosted);
    env.set("ANALYTICS_MCP_API_KEY", HM_KEY);

    let out = env
        .run(&["call", "list_websites", "--profile", "zen"], "")
        .exits(3);
    out.stderr_has(&["analytics-mcp login --profile zen"]);
    let mut s = session(&env, &["--profile", "zen"]);
    let _ = s.request("tools/list", json!({}));
    let r = s.call("list_websites", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    s.finish();
    assert!(
        !hosted.sandbox.received_credential(HM_KEY),
        "the Himetrica key was sent to the hosted server"
    );

    // With the profile's own key stored, that key goes there, and still not the env one.
    store_hosted_key(&env, hosted.key(), &hosted.sandbox.origin());
    env.run(&["call", "list_websites", "--profile", "zen"], "")
        .exits(0);
    assert!(hosted.sandbox.received_credential(hosted.key()));
    assert!(!hosted.sandbox.received_credential(HM_KEY));
}

#[test]
fn a_credential_stored_for_one_origin_is_refused_for_another() {
    let api = TestSandbox::start(SandboxOptions::default());
    let elsewhere = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    env.set("ANALYTICS_MCP_API_URL", &api.url());
    env.run(&["login", "--with-key"], &format!("{}\n", api.key()))
        .exits(0);
    // The same record, with the API URL pointed at another server: nothing is sent there.
    env.set("ANALYTICS_MCP_API_URL", &elsewhere.url());
    let out = env.run(&["call", "get_realtime"], "");
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr
            .contains(&format!("issued for {}", api.sandbox.origin())),
        "{}",
        out.stderr
    );
    assert_eq!(elsewhere.sandbox.stats().credentialed, 0);
    assert!(!out.all().contains(api.key()));
}

#[test]
fn status_of_a_hosted_profile_checks_the_hosted_server_only() {
    let read_api = TestSandbox::start(SandboxOptions::default());
    let hosted = TestSandbox::start(SandboxOptions::default());
    let mut env = TestEnv::new();
    use_fake_browser(&mut env, "approve");
    env.write_config(&format!(
        "api_url = \"{}\"\n[profiles.zen]\nmcp_url = \"{}\"\n",
        read_api.url(),
        hosted.sandbox.mcp_url()
    ));
    env.run(&["login", "--profile", "zen", "--timeout", "15"], "")
        .exits(0);
    let token = serde_json::from_str::<Value>(
        &std::fs::read_to_string(env.config_dir().join("credentials.zen.json")).unwrap(),
    )
    .unwrap()["oauth"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let out = env.run(&["status", "--profile", "zen"], "").exits(0);
    assert!(
        out.stdout
            .contains(&format!("MCP server: {}", hosted.sandbox.mcp_url())),
        "{}",
        out.stdout
    );
    out.stdout_has(&["Live check: ✓ the MCP server accepted the credential"]);
    let out = env.run(&["doctor", "--profile", "zen"], "");
    out.stdout_has(&["✓ MCP server"]);
    assert!(hosted.sandbox.received_credential(&token));
    assert_eq!(
        read_api.sandbox.stats().requests,
        0,
        "the Read API was asked about a hosted profile's credential"
    );
}
