//! The HTTP client every part of the program uses (Read API, sign-in, hosted MCP servers) and
//! its TLS provider. A leaf: it imports nothing of the crate, and every module may use it.

/// The one way to build an HTTP client (Read API, sign-in, hosted MCP servers):
/// our user agent, rustls with `ring`, and redirects never followed — reqwest keeps custom
/// headers such as X-API-Key across them, which would hand a credential to whatever host a
/// redirect names. `configure` adds the caller's timeouts.
pub fn http_client(
    configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Client {
    install_crypto_provider();
    let base = || {
        reqwest::Client::builder()
            .user_agent(concat!("analytics-mcp/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
    };
    configure(base()).build().unwrap_or_else(|e| {
        tracing::warn!("HTTP client settings refused ({e}); using the defaults without redirects");
        // `reqwest::Client::new()` would follow redirects; it panics in this case too.
        #[allow(clippy::expect_used)]
        base()
            .build()
            .expect("the HTTP client could not start (TLS set-up failed)")
    })
}

/// TLS uses rustls with the `ring` provider, chosen over reqwest's default (aws-lc-rs) for a
/// binary about a fifth smaller. Installing it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
