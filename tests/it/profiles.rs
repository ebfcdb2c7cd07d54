//! Profiles: `[profiles.NAME]` tables in config.toml, each with its own API and credential,
//! selected with `--profile` or `ANALYTICS_MCP_PROFILE`, listed by `profiles`, and carried
//! into client entries by `install --profile`.

use analytics_mcp_sandbox::SandboxOptions;

use crate::common::{TestEnv, TestSandbox};

const STAGING_KEY: &str = "hm_sk_staging_0a1b2c3d4e5f6a7b";

#[test]
fn each_profile_has_its_own_api_and_credential() {
    let default_api = TestSandbox::start(SandboxOptions::default());
    let staging = TestSandbox::start(SandboxOptions {
        api_key: STAGING_KEY.to_string(),
        ..SandboxOptions::default()
    });
    let mut env = TestEnv::new();
    env.write_config(&format!(
        "api_url = \"{}\"\nmask_emails = true\n\n[profiles.staging]\napi_url = \"{}\"\n",
        default_api.url(),
        staging.url()
    ));

    // The staging key is accepted by the staging API only, so this proves the profile's URL.
    let out = env
        .run(
            &["login", "--with-key", "--profile", "staging"],
            &format!("{STAGING_KEY}\n"),
        )
        .exits(0);
    out.stderr_has(&["Signed in (profile staging)"]);
    assert!(env.config_dir().join("credentials.staging.json").exists());
    assert!(!env.config_dir().join("credentials.json").exists());

    // The default profile is still signed out; staging works, by flag and by environment.
    assert_eq!(env.run(&["status"], "").code, 4);
    let out = env.run(&["status", "--profile", "staging"], "").exits(0);
    out.stdout_has(&["Profile:    staging"]);
    assert!(out.stdout.contains(&staging.url()), "{}", out.stdout);
    env.set("ANALYTICS_MCP_PROFILE", "staging");
    let out = env.run(&["call", "get_analytics"], "").exits(0);
    out.stdout_has(&["visitors"]);
    env.set("ANALYTICS_MCP_PROFILE", "default");
    assert_eq!(env.run(&["call", "get_analytics"], "").code, 4);

    // `profiles` lists both, marks the one in use, and says which is signed in.
    let out = env.run(&["profiles"], "").exits(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(lines[0].starts_with("* default") && lines[0].contains("not signed in"));
    assert!(lines[1].contains("staging") && lines[1].contains("signed in (secret key"));
    assert!(!out.all().contains(STAGING_KEY));

    // Signing out of staging leaves other profiles alone.
    env.run(&["logout", "--profile", "staging"], "").exits(0);
    assert!(!env.config_dir().join("credentials.staging.json").exists());
}

#[test]
fn an_unknown_or_malformed_profile_is_refused_with_the_known_ones() {
    let env = TestEnv::new();
    env.write_config("[profiles.work]\nproject = \"p1\"\n[profiles.home]\nproject = \"p2\"\n");
    let out = env.run(&["status", "--profile", "wrok"], "").exits(2);
    out.stderr_has(&["no profile `wrok`"]);
    out.stderr_has(&["the profiles are: default, home, work"]);

    let out = env.run(&["status", "--profile", "../../etc"], "").exits(2);
    out.stderr_has(&["not a usable profile name"]);
}

#[test]
fn install_carries_the_profile_into_the_entry() {
    let env = TestEnv::new();
    env.write_config("[profiles.work]\nproject = \"p1\"\n");
    env.run(&["install", "cursor", "--profile", "work"], "")
        .exits(0);
    let path = env.dir.path().join(".cursor/mcp.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("JSON");
    let entry = &config["mcpServers"]["analytics-work"];
    assert_eq!(
        entry["args"],
        serde_json::json!(["serve", "--profile", "work"])
    );

    // A profile that does not exist is refused before anything is written.
    let before = std::fs::read(&path).expect("file");
    let out = env
        .run(&["install", "cursor", "--profile", "play"], "")
        .exits(2);
    out.stderr_has(&["no profile `play`"]);
    assert_eq!(std::fs::read(&path).expect("file"), before);

    env.run(&["uninstall", "cursor", "--profile", "work"], "")
        .exits(0);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("JSON");
    assert!(
        config["mcpServers"].get("analytics-work").is_none(),
        "{config}"
    );
}
