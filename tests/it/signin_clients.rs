//! Which client a sign-in uses, in the MCP 2026-07-28 order, against the sandbox over real
//! HTTP: a Client ID Metadata Document when the server takes one (fetched by the server, no
//! registration), dynamic registration when it does not (or the document is switched off), a
//! clear error when it offers neither; the shipped document in `dist/`; and `logout`
//! revoking as a confidential client the way the server's metadata asks.

use serde_json::{Value, json};

use analytics_mcp_sandbox::oauth::OAuthOptions;

use crate::common::run::client_metadata;
use crate::common::signin::{browser_env, credentials_path, login, sandbox, stored};
use crate::common::{TestEnv, TestSandbox, repo};

/// A Client ID Metadata Document served on 127.0.0.1 for as long as the test runs.
struct Document {
    url: String,
    _rt: tokio::runtime::Runtime,
}

/// Serves the document `describe(url)` returns at `http://127.0.0.1:PORT/client-metadata.json`.
fn serve_document(describe: impl Fn(&str) -> Value) -> Document {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!(
        "http://{}/client-metadata.json",
        listener.local_addr().expect("addr")
    );
    let body = describe(&url).to_string();
    let app = axum::Router::new().route(
        "/client-metadata.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await });
    Document { url, _rt: rt }
}

/// Our document, as `dist/client-metadata.json` has it, with `client_id` the URL it is at.
fn our_document(url: &str) -> Value {
    let text = std::fs::read_to_string(repo().join("dist/client-metadata.json")).expect("read");
    let mut doc: Value = serde_json::from_str(&text).expect("JSON");
    doc["client_id"] = url.into();
    doc
}

/// A browser sign-in (approved) to a sandbox with `options`, configured with
/// `client_metadata_url = "url"`.
fn login_with_metadata_url(
    options: OAuthOptions,
    url: &str,
) -> (TestSandbox, TestEnv, crate::common::Output) {
    let sb = sandbox(options);
    let env = browser_env(&sb, "approve");
    env.write_config(&format!("[oauth]\nclient_metadata_url = \"{url}\"\n"));
    let out = login(&env);
    (sb, env, out)
}

#[test]
fn a_metadata_document_is_fetched_and_no_registration_made_when_both_are_offered() {
    let document = serve_document(our_document);
    let (sb, env, out) = login_with_metadata_url(OAuthOptions::default(), &document.url);
    out.expect_code(0);
    out.stderr_has(&["with a Client ID Metadata Document"]);
    let stats = sb.sandbox.oauth_stats();
    assert!(stats.metadata_fetches >= 1, "{stats:?}");
    assert_eq!((stats.registrations, stats.code_exchanges), (0, 1));
    assert_eq!(stored(&env)["oauth"]["client_id"], json!(document.url));

    let out = env.run(&["status"], "");
    assert!(
        out.stdout.contains(&format!(
            "Client:     {}, a Client ID Metadata Document",
            document.url
        )),
        "{}",
        out.stdout
    );
    env.run(&["call", "get_analytics"], "").exits(0);
}

/// The document's URL is only a client id where the server says it takes one; elsewhere, and
/// with `client_metadata_url = ""`, the sign-in registers as before.
#[test]
fn without_metadata_document_support_or_with_it_switched_off_the_client_registers() {
    let document = serve_document(our_document);
    let without = OAuthOptions {
        metadata_documents: false,
        ..OAuthOptions::default()
    };
    let (sb, _env, out) = login_with_metadata_url(without, &document.url);
    out.expect_code(0);
    out.stderr_has(&["with a newly registered client"]);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.metadata_fetches, stats.registrations), (0, 1));

    let (sb, _env, out) = login_with_metadata_url(OAuthOptions::default(), "");
    out.expect_code(0);
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.metadata_fetches, stats.registrations), (0, 1));
}

#[test]
fn no_registration_and_no_metadata_document_is_a_clear_error() {
    let closed = OAuthOptions {
        registration: false,
        ..OAuthOptions::default()
    };
    let (sb, env, out) = login_with_metadata_url(closed, "");
    assert_ne!(out.code, 0, "{}", out.all());
    out.stderr_has(&[
        "offers no dynamic client registration",
        "`client_id`",
        "`client_metadata_url`",
    ]);
    assert!(!credentials_path(&env).exists());
    assert_eq!(sb.sandbox.oauth_stats().consents_shown, 0);
}

/// A document whose `client_id` is not the URL it is served at is refused by the server, and
/// nothing is stored.
#[test]
fn a_document_naming_another_client_id_is_refused() {
    let document = serve_document(|_| our_document("https://elsewhere.example/client.json"));
    let sb = sandbox(OAuthOptions::default());
    let env = browser_env(&sb, "approve");
    env.write_config(&format!(
        "[oauth]\nclient_metadata_url = \"{}\"\n",
        document.url
    ));
    // The authorization server refuses the client on its own page and never redirects back
    // (RFC 6749 4.1.2.1), so `login` ends at its deadline: a short one here.
    let out = env.run(&["login", "--timeout", "4"], "");
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(!credentials_path(&env).exists());
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.consents_shown, stats.registrations), (0, 0));
    assert!(stats.metadata_fetches >= 1);
}

/// The document the project ships: a template whose `client_id` is the GitHub Pages URL
/// release.sh publishes it at for the release's owner (and, in a release build, the binary's
/// default `client_metadata_url`), describing a native public client with loopback redirect
/// URIs without a port.
#[test]
fn the_shipped_document_is_served_at_its_client_id_and_is_the_default() {
    let doc = client_metadata();
    let id = doc["client_id"].as_str().expect("client_id");
    assert_eq!(
        id, "https://OWNER.github.io/analytics-mcp/client-metadata.json",
        "the template names the Pages site release.sh publishes it at"
    );
    let default = analytics_mcp::auth::client::default_metadata_url();
    match option_env!("ANALYTICS_MCP_RELEASE_OWNER") {
        Some(owner) => assert_eq!(default, Some(id.replace("OWNER", owner))),
        None => assert_eq!(default, None, "a placeholder URL must not be the default"),
    }
    assert_eq!(doc["client_name"], "analytics-mcp");
    assert_eq!(doc["application_type"], "native");
    assert_eq!(doc["token_endpoint_auth_method"], "none");
    assert_eq!(
        doc["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    let uris = doc["redirect_uris"].as_array().expect("redirect_uris");
    assert!(!uris.is_empty());
    for uri in uris {
        let url = url::Url::parse(uri.as_str().expect("string")).expect("URL");
        assert_eq!((url.scheme(), url.host_str()), ("http", Some("127.0.0.1")));
        assert_eq!(url.port(), None, "{url}");
    }
}

const SECRET: &str = "sbx-secret-77aa66bb55cc44dd33ee22ff";

/// Signs in as the sandbox's confidential client, then signs out: the revocation carries the
/// secret the way the server asks, and both tokens are revoked.
fn confidential_logout(revocation_auth_methods: Option<Vec<String>>) {
    let sb = sandbox(OAuthOptions {
        confidential: Some(("sbx_confidential".into(), SECRET.into())),
        revocation_auth_methods,
        ..OAuthOptions::default()
    });
    let mut env = browser_env(&sb, "approve");
    env.set("ANALYTICS_MCP_LOG", "trace");
    env.write_config("[oauth]\nclient_id = \"sbx_confidential\"\n");
    env.run(
        &["login", "--timeout", "15", "--client-secret"],
        &format!("{SECRET}\n"),
    )
    .exits(0);
    let out = env.run(&["logout"], "").exits(0);
    out.stderr_has(&["Revoked the tokens at"]);
    assert!(!out.all().contains(SECRET), "the secret leaked");
    let stats = sb.sandbox.oauth_stats();
    assert_eq!((stats.revocations, stats.revocations_refused), (2, 0));
    assert!(!credentials_path(&env).exists());
}

#[test]
fn logout_revokes_as_a_confidential_client_as_the_token_endpoint_takes_it() {
    confidential_logout(None);
}

#[test]
fn logout_revokes_as_a_confidential_client_as_the_revocation_metadata_asks() {
    confidential_logout(Some(vec!["client_secret_post".into()]));
}
