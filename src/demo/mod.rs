//! The offline demo behind `--demo` on `serve` and `call`: the Read API of a sample project
//! ([`read_api`], from the deterministic [`data`] of [`window`]s), served on 127.0.0.1 in the
//! user's process so the one HTTP client, the cache and the rate-limit headers work as against
//! the real service. Nothing more: no authorization server and no MCP endpoint — those live in
//! the sandbox crate (`crates/sandbox`, binary `analytics-mcp-sandbox`), which the product never
//! links; the sandbox serves these same routes and data.
//!
//! Imports only the leaf `clock`; siblings import one another downward:
//! read_api → window → data.

pub mod data;
pub mod read_api;
pub mod window;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The key the demo (and the sandbox, unless told otherwise) accepts. It is not a secret.
pub const DEMO_KEY: &str = "hm_sk_demo_northwind_0123456789abcdef";
/// The path prefix of the Read API, as on the hosted service.
pub const API_PREFIX: &str = "/api/v1";
/// Requests per minute per key, as documented for the hosted service.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

/// A fixed rate-limit window, as the hosted service counts: `limit` requests per `length`.
pub struct RateWindow {
    limit: u32,
    length: Duration,
    /// When the current window started (monotonic and wall clock) and its count so far.
    current: Mutex<(Instant, jiff::Timestamp, u32)>,
}

/// What [`RateWindow::count`] tells a response: its `X-RateLimit-*` values, and whether the
/// request is over the limit.
pub struct RateCount {
    pub limit: u32,
    pub remaining: u32,
    /// When the window turns, in epoch seconds (rounded up, so a client that waits for it
    /// never arrives before the window has turned).
    pub reset: i64,
    pub over: bool,
}

impl RateWindow {
    pub fn new(limit: u32, length: Duration) -> Self {
        Self {
            limit,
            length: length.max(Duration::from_millis(100)),
            current: Mutex::new((Instant::now(), jiff::Timestamp::now(), 0)),
        }
    }

    /// Counts one request in the current window.
    pub fn count(&self) -> RateCount {
        let mut w = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if w.0.elapsed() >= self.length {
            *w = (Instant::now(), jiff::Timestamp::now(), 0);
        }
        w.2 = w.2.saturating_add(1);
        let ends_ms = w.1.as_millisecond() + self.length.as_millis() as i64;
        RateCount {
            limit: self.limit,
            remaining: self.limit.saturating_sub(w.2),
            reset: (ends_ms + 999).div_euclid(1000),
            over: w.2 > self.limit,
        }
    }
}

impl RateCount {
    /// The Read API's answer for this count: 429 with `Retry-After` when over, else `answer()`,
    /// with the `X-RateLimit-*` headers either way.
    pub fn respond(&self, answer: impl FnOnce() -> Response) -> Response {
        let mut response = if self.over {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
            let wait = (self.reset - jiff::Timestamp::now().as_second()).max(1);
            set(r.headers_mut(), "retry-after", wait.to_string());
            r
        } else {
            answer()
        };
        let h = response.headers_mut();
        set(h, "x-ratelimit-limit", self.limit.to_string());
        set(h, "x-ratelimit-remaining", self.remaining.to_string());
        set(h, "x-ratelimit-reset", self.reset.to_string());
        response
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(name, v);
    }
}

/// A JSON response (by hand: axum's `json` feature would be linked for this alone).
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A small JSON error body, as the hosted Read API sends.
pub fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// The answer of the Read API route at `path` (under [`API_PREFIX`]) for `now`.
pub fn answer(path: &str, params: &HashMap<String, String>, now: jiff::Timestamp) -> Response {
    match read_api::route(path, params, now) {
        Ok(data) => json_response(StatusCode::OK, &json!({ "data": data })),
        Err((status, message)) => error(status, &message),
    }
}

/// The running demo; dropping it stops the server.
pub struct Demo {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Demo {
    /// The Read API base URL, e.g. `http://127.0.0.1:41234/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The key it accepts (not a secret).
    pub fn api_key(&self) -> &'static str {
        DEMO_KEY
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the demo Read API on a free port of 127.0.0.1 in the current tokio runtime.
pub async fn start() -> std::io::Result<Demo> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let rate = Arc::new(RateWindow::new(DEFAULT_RATE_LIMIT, Duration::from_secs(60)));
    let app = axum::Router::new().fallback(serve).with_state(rate);
    Ok(Demo {
        addr,
        shutdown: Some(serve_in_background(listener, app, "demo")),
    })
}

/// Serves `app` on `listener` in a background task (handlers may ask for the peer's
/// [`SocketAddr`]) until the returned sender is used or dropped. `name` is for the log line of
/// a server that stopped on an error. Shared with the sandbox.
pub fn serve_in_background(
    listener: TcpListener,
    app: axum::Router,
    name: &'static str,
) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    // Answers go out whole, without waiting for the client's ACK of an earlier piece (Nagle
    // against delayed ACKs: 40 ms on a streamed answer in the sandbox's hosted MCP endpoint).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("{name} stopped: {e}");
        }
    });
    tx
}

/// Every request: the demo key, then the rate limit, then the route.
async fn serve(
    State(rate): State<Arc<RateWindow>>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(path) = uri.path().strip_prefix(API_PREFIX) else {
        return error(StatusCode::NOT_FOUND, "Not found");
    };
    match headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        Some(DEMO_KEY) => {}
        Some(_) => return error(StatusCode::UNAUTHORIZED, "Invalid API key"),
        None => return error(StatusCode::UNAUTHORIZED, "Missing API key"),
    }
    rate.count()
        .respond(|| answer(path, &params, crate::clock::now()))
}
