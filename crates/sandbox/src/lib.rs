//! analytics-mcp-sandbox: a local stand-in for the Himetrica Read API on 127.0.0.1, for
//! development, tests and trying sign-in without an account. Its binary takes the arguments
//! `analytics-mcp sandbox` took before the sandbox left the product (`main.rs`).
//!
//! It serves `/me` and every path of the endpoint table with the product's deterministic demo
//! data and routes (`analytics_mcp::demo`, re-exported here as [`data`]), checks `X-API-Key`,
//! sends `X-RateLimit-*` headers and a 429 with `Retry-After` past its limit, can inject faults
//! for tests ([`faults`]), and has its own authorization server ([`oauth`]) and hosted MCP
//! endpoint ([`mcp`]), and can play a Read API whose inferred paths moved ([`moved`]) with a
//! Himetrica-like hosted MCP server on its origin that serves them (issue 24). The product
//! never links this crate: tests and benches use it as a dev-dependency. Of the product's
//! library it uses the demo, the endpoint table (`config::endpoints`) and the leaves `clock`,
//! `http`, `text`, `output` and `error`.
//!
//! This file holds the options, the running [`Sandbox`] handle and its start-up (the router);
//! [`server`] is the HTTP front every request passes through. Siblings import one another
//! only downward: server → faults, oauth, mcp, moved.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod faults;
pub mod mcp;
mod moved;
pub mod oauth;
pub mod scenarios;
mod server;

pub use analytics_mcp::demo::data;
pub use analytics_mcp::demo::{API_PREFIX, DEFAULT_RATE_LIMIT, DEMO_KEY};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use tokio::net::TcpListener;

pub use faults::{Fault, FaultKind};
pub use scenarios::Scenario;
pub use server::Stats;
use server::{AppState, StatsInner};

/// A random token with `prefix` (OS randomness, as the oauth2 crate draws it).
pub(crate) fn random(prefix: &str) -> String {
    format!("{prefix}{}", oauth2::CsrfToken::new_random().secret())
}

/// Where the hosted MCP endpoint is served (shared by it and the OAuth server's metadata).
pub const MCP_PATH: &str = "/mcp";

/// Where the Himetrica-like hosted MCP server is served: `{origin}/api/v1/mcp`, on the Read
/// API's origin, as Himetrica serves its own.
pub const READ_API_MCP_PATH: &str = "/api/v1/mcp";

/// What the Himetrica-like hosted MCP server at [`READ_API_MCP_PATH`] does (issue 24).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadApiMcp {
    /// Serves the eleven Read API tools with the demo key in `X-API-Key`.
    #[default]
    Serves,
    /// Not there: 404, like any unknown path.
    Absent,
    /// There, but refuses every key (401).
    RefusesKey,
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// 0 picks a free port.
    pub port: u16,
    pub api_key: String,
    pub rate_limit: u32,
    /// The rate-limit window (one minute, like Himetrica's).
    pub rate_window: Duration,
    pub faults: Vec<Fault>,
    /// A fixed "now" for dates and realtime (default: the clock, which `ANALYTICS_MCP_NOW`
    /// can pin).
    pub now: Option<jiff::Timestamp>,
    /// The authorization server's behaviour (token lifetime, PKCE methods, …).
    pub oauth: oauth::OAuthOptions,
    /// Tools of the hosted MCP endpoint that answer with a JSON-RPC error code
    /// (Zenovay's -32001, -32002, -32003, -32007, -32008).
    pub mcp_errors: HashMap<String, i64>,
    /// Methods the hosted MCP endpoint accepts and never answers (e.g. `initialize`,
    /// `tools/call`): a server that hangs.
    pub mcp_hang: Vec<String>,
    /// The protocol era(s) the hosted MCP endpoint speaks (2025-11-25 sessions by default).
    pub mcp_era: mcp::McpEra,
    /// A change planted on top of the demo data ([`scenarios`]); `None`: the demo as is.
    pub scenario: Option<Scenario>,
    /// Another project's id and name for the demo data (`/me` names it, and only its id is
    /// served): a second sandbox as a second site. `None`: the demo project.
    pub project: Option<(String, String)>,
    /// The eight inferred Read API paths answer 404 where the bridge expects them (as if the
    /// API differed from its reading); their data is served under `/projects/{id}/reports/…`
    /// instead, and by the hosted MCP server at [`READ_API_MCP_PATH`].
    pub moved_paths: bool,
    /// What the Himetrica-like hosted MCP server does.
    pub read_api_mcp: ReadApiMcp,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            port: 0,
            api_key: DEMO_KEY.to_string(),
            rate_limit: DEFAULT_RATE_LIMIT,
            rate_window: Duration::from_secs(60),
            faults: Vec::new(),
            now: None,
            oauth: oauth::OAuthOptions::default(),
            mcp_errors: HashMap::new(),
            mcp_hang: Vec::new(),
            mcp_era: mcp::McpEra::default(),
            scenario: None,
            project: None,
            moved_paths: false,
            read_api_mcp: ReadApiMcp::default(),
        }
    }
}

/// A running sandbox; dropping it stops the server.
pub struct Sandbox {
    pub addr: SocketAddr,
    pub api_key: String,
    stats: Arc<StatsInner>,
    oauth: Arc<oauth::AuthServer>,
    mcp: Arc<mcp::McpEndpoint>,
    read_api_mcp: Arc<mcp::McpEndpoint>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Sandbox {
    /// The Read API base URL, e.g. `http://127.0.0.1:41234/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The origin, which is also the authorization server's issuer.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The hosted MCP endpoint's URL, e.g. `http://127.0.0.1:41234/mcp`.
    pub fn mcp_url(&self) -> String {
        format!("http://{}{}", self.addr, mcp::PATH)
    }

    /// The Himetrica-like hosted MCP server's URL, e.g. `http://127.0.0.1:41234/api/v1/mcp`.
    pub fn read_api_mcp_url(&self) -> String {
        format!("http://{}{READ_API_MCP_PATH}", self.addr)
    }

    /// What the Himetrica-like hosted MCP server has done so far.
    pub fn read_api_mcp_stats(&self) -> mcp::McpStats {
        self.read_api_mcp.stats()
    }

    /// How many requests reached exactly `path` (e.g. `/api/v1/projects/ID/pages`), whatever
    /// their query or answer.
    pub fn requests_to(&self, path: &str) -> u64 {
        self.stats
            .paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Whether any request so far carried `secret` in its `X-API-Key` or `Authorization`
    /// header.
    pub fn received_credential(&self, secret: &str) -> bool {
        self.stats
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|v| v.contains(secret))
    }

    /// What the hosted MCP endpoint has done so far.
    pub fn mcp_stats(&self) -> mcp::McpStats {
        self.mcp.stats()
    }

    /// Makes the hosted MCP endpoint forget its sessions (as a restart would).
    pub fn drop_mcp_sessions(&self) {
        self.mcp.drop_sessions();
    }

    /// What the authorization server has done so far.
    pub fn oauth_stats(&self) -> oauth::OAuthStats {
        self.oauth.stats()
    }

    /// Approves (or denies) the waiting device sign-in that shows `user_code`, as the person
    /// at the verification page would.
    pub fn decide_device(&self, user_code: &str, approve: bool) -> bool {
        self.oauth.decide_device(user_code, approve)
    }

    /// Lets every access token issued so far lapse now (see
    /// [`oauth::AuthServer::expire_access_tokens`]).
    pub fn expire_access_tokens(&self) {
        self.oauth.expire_access_tokens();
    }

    /// Requests and connections seen so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            connections: self.stats.peers.lock().map(|p| p.len() as u64).unwrap_or(0),
            credentialed: self.stats.credentialed.load(Ordering::Relaxed),
            rate_limited: self.stats.rate_limited.load(Ordering::Relaxed),
            delays_started: self.stats.delays_started.load(Ordering::Relaxed),
            delays_done: self.stats.delays_done.load(Ordering::Relaxed),
            delays_abandoned: self.stats.delays_abandoned.load(Ordering::Relaxed),
            peak_in_flight: self.stats.peak_in_flight.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a sandbox on 127.0.0.1 in the current tokio runtime.
pub async fn start(options: SandboxOptions) -> std::io::Result<Sandbox> {
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    let api_key = options.api_key.clone();
    let stats = Arc::new(StatsInner::default());
    let fault_uses = options.faults.iter().map(|_| Default::default()).collect();
    let oauth = Arc::new(oauth::AuthServer::new(
        options.oauth.clone(),
        format!("http://{addr}"),
    ));
    let mcp = Arc::new(mcp::McpEndpoint::new(mcp::Flavor::Zenovay, &options));
    let read_api_data = mcp::ReadApiData {
        scenario: options.scenario,
        now: options.now,
    };
    let read_api_mcp = Arc::new(mcp::McpEndpoint::new(
        mcp::Flavor::ReadApi(read_api_data),
        &options,
    ));
    let rate = analytics_mcp::demo::RateWindow::new(options.rate_limit, options.rate_window);
    let state = Arc::new(AppState {
        options,
        oauth: oauth.clone(),
        mcp: mcp.clone(),
        read_api_mcp: read_api_mcp.clone(),
        rate,
        stats: stats.clone(),
        fault_uses,
    });
    // The authorization server's routes first; anything else is a resource behind a
    // credential. Every request, routed or not, passes the front (counting, faults).
    let app = Router::new()
        .merge(oauth::router(oauth.clone()))
        .fallback(server::resource)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            server::observe,
        ))
        .with_state(state);
    let shutdown = analytics_mcp::demo::serve_in_background(listener, app, "sandbox");
    Ok(Sandbox {
        addr,
        api_key,
        stats,
        oauth,
        mcp,
        read_api_mcp,
        shutdown: Some(shutdown),
    })
}

/// A small JSON error body, as the hosted Read API sends.
fn error(status: StatusCode, message: &str) -> Response {
    analytics_mcp::demo::error(status, message)
}
