//! `analytics-mcp sandbox`: a local stand-in for the Himetrica Read API on 127.0.0.1.
//!
//! It serves `/me` and every path of the endpoint table with deterministic demo data
//! ([`data`]), checks `X-API-Key`, sends `X-RateLimit-*` headers and a 429 with `Retry-After`
//! past its limit, and can inject faults for tests (statuses, delays, non-JSON bodies).
//! `--demo` starts one in-process. It stands alone: nothing here uses the bridge's modules.

pub mod data;
pub mod mcp;
pub mod oauth;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use data::{Day, PROJECT_ID};

/// The key the sandbox accepts unless told otherwise. It is not a secret.
pub const DEMO_KEY: &str = "hm_sk_demo_northwind_0123456789abcdef";
/// The path prefix of the sandbox's Read API, as on the hosted service.
pub const API_PREFIX: &str = "/api/v1";
/// A random token with `prefix` (OS randomness, as the oauth2 crate draws it).
pub(crate) fn random(prefix: &str) -> String {
    format!("{prefix}{}", oauth2::CsrfToken::new_random().secret())
}

/// Where the hosted MCP endpoint is served (shared by it and the OAuth server's metadata).
pub const MCP_PATH: &str = "/mcp";
/// Requests per minute per key, as documented for the hosted service.
pub const DEFAULT_RATE_LIMIT: u32 = 100;
/// The longest window the sandbox computes, in days.
const MAX_DAYS: i64 = 1100;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and a small JSON error body (429 carries `Retry-After`).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer 200 with an HTML page instead of JSON.
    Html,
    /// Answer 200 with this JSON body (for tests of odd or hostile upstream data).
    Json(String),
    /// Answer 200 with JSON cut off mid-way.
    InvalidJson,
    /// Start a 200 answer, then drop the connection mid-body.
    Reset,
    /// Start a 200 answer, then send nothing more, forever.
    Stall,
    /// Answer 200 with a body of this many MiB.
    Huge(usize),
    /// Answer 302 to this URL.
    Redirect(String),
}

/// A fault applied to requests whose path contains `path_contains`, the first `times` times
/// (every time when `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub path_contains: String,
    pub kind: FaultKind,
    pub times: Option<u32>,
}

impl Fault {
    pub fn new(path_contains: &str, kind: FaultKind) -> Self {
        Self {
            path_contains: path_contains.to_string(),
            kind,
            times: None,
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// `PATH=SPEC[*N]`: SPEC is `503`, `429:30` (Retry-After seconds), `delay:1500` (ms),
    /// `html`, `invalid-json`, `reset`, `stall`, `huge:50` (MiB) or `redirect:URL`; `*N`
    /// applies it to the first N matching requests only.
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "expected PATH=SPEC[*N] with SPEC one of 503, 429:30, delay:1500, html, invalid-json, reset, stall, huge:50, redirect:URL";
        let (path, spec) = s.split_once('=').ok_or(usage)?;
        let (spec, times) = match spec.rsplit_once('*') {
            Some((spec, n)) if !spec.starts_with("redirect:") || n.parse::<u32>().is_ok() => {
                (spec, Some(n.parse::<u32>().map_err(|_| usage)?))
            }
            _ => (spec, None),
        };
        let kind = if spec == "html" {
            FaultKind::Html
        } else if spec == "invalid-json" {
            FaultKind::InvalidJson
        } else if spec == "reset" {
            FaultKind::Reset
        } else if spec == "stall" {
            FaultKind::Stall
        } else if let Some(url) = spec.strip_prefix("redirect:") {
            FaultKind::Redirect(url.to_string())
        } else if let Some(mib) = spec.strip_prefix("huge:") {
            FaultKind::Huge(mib.parse().map_err(|_| usage)?)
        } else if let Some(ms) = spec.strip_prefix("delay:") {
            FaultKind::Delay(Duration::from_millis(ms.parse().map_err(|_| usage)?))
        } else {
            let (status, retry) = match spec.split_once(':') {
                Some((s, r)) => (s, Some(r.parse::<u64>().map_err(|_| usage)?)),
                None => (spec, None),
            };
            let status: u16 = status.parse().map_err(|_| usage)?;
            if !(400..=599).contains(&status) {
                return Err(usage.to_string());
            }
            FaultKind::Status {
                status,
                retry_after: retry,
            }
        };
        Ok(Fault {
            path_contains: path.to_string(),
            kind,
            times,
        })
    }
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

    /// Requests and connections seen so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            connections: self.stats.peers.lock().map(|p| p.len() as u64).unwrap_or(0),
            credentialed: self.stats.credentialed.load(Ordering::Relaxed),
            rate_limited: self.stats.rate_limited.load(Ordering::Relaxed),
            delays_done: self.stats.delays_done.load(Ordering::Relaxed),
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

struct AppState {
    options: SandboxOptions,
    origin: String,
    oauth: Arc<oauth::AuthServer>,
    mcp: Arc<mcp::McpEndpoint>,
    window: Mutex<(Instant, u32)>,
    window_epoch: AtomicI64,
    stats: Arc<StatsInner>,
    /// How often each fault has fired, for `Fault::times`.
    fault_uses: Vec<std::sync::atomic::AtomicU32>,
}

/// Counters a test or benchmark reads to see what reached the upstream.
#[derive(Default)]
struct StatsInner {
    requests: AtomicU64,
    credentialed: AtomicU64,
    rate_limited: AtomicU64,
    delays_done: AtomicU64,
    peers: Mutex<HashSet<SocketAddr>>,
    /// Every distinct `X-API-Key` / `Authorization` value received (at most
    /// [`MAX_CREDENTIALS_KEPT`]), so a test can tell which secrets reached this origin.
    credentials: Mutex<HashSet<String>>,
}

const MAX_CREDENTIALS_KEPT: usize = 10_000;

/// What the sandbox has seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Requests received (all paths, before auth and faults).
    pub requests: u64,
    /// Distinct client connections (by remote address and port).
    pub connections: u64,
    /// Requests that carried `X-API-Key` or `Authorization`.
    pub credentialed: u64,
    /// Requests answered 429 because the rate limit was exceeded (not injected faults).
    pub rate_limited: u64,
    /// Injected delays that ran to the end (a dropped connection cancels its delay).
    pub delays_done: u64,
}

/// Starts a sandbox on 127.0.0.1 in the current tokio runtime.
pub async fn start(options: SandboxOptions) -> std::io::Result<Sandbox> {
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    let api_key = options.api_key.clone();
    let stats = Arc::new(StatsInner::default());
    let fault_uses = options.faults.iter().map(|_| Default::default()).collect();
    let oauth = Arc::new(oauth::AuthServer::new(options.oauth.clone()));
    let mcp = Arc::new(mcp::McpEndpoint::new(
        options.mcp_era,
        options.mcp_errors.clone(),
        options.mcp_hang.clone(),
    ));
    let state = Arc::new(AppState {
        options,
        origin: format!("http://{addr}"),
        oauth: oauth.clone(),
        mcp: mcp.clone(),
        window: Mutex::new((Instant::now(), 0)),
        window_epoch: AtomicI64::new(jiff::Timestamp::now().as_millisecond()),
        stats: stats.clone(),
        fault_uses,
    });
    let app = Router::new()
        .fallback(handle)
        .with_state(state)
        .into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("sandbox stopped: {e}");
        }
    });
    Ok(Sandbox {
        addr,
        api_key,
        stats,
        oauth,
        mcp,
        shutdown: Some(tx),
    })
}

/// The answer a fault gives, or `None` to carry on normally (after a delay).
async fn fault_response(kind: &FaultKind) -> Option<Response> {
    use axum::body::Body;
    use futures_util::stream::{self, StreamExt};
    let chunk =
        |s: &'static str| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(s.as_bytes()));
    let json = [("content-type", "application/json")];
    Some(match kind {
        FaultKind::Delay(d) => {
            tokio::time::sleep(*d).await;
            return None;
        }
        FaultKind::Json(body) => (StatusCode::OK, json, body.clone()).into_response(),
        FaultKind::InvalidJson => {
            (StatusCode::OK, json, r#"{"data": [{"path": "/", "pageV"#).into_response()
        }
        FaultKind::Html => (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body><h1>Down for maintenance</h1><p>Back soon.</p></body></html>",
        )
            .into_response(),
        FaultKind::Reset => {
            let body = stream::iter(vec![
                chunk(r#"{"data": [{"path": "/", "#),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ]);
            (StatusCode::OK, json, Body::from_stream(body)).into_response()
        }
        FaultKind::Stall => {
            let body =
                stream::iter(vec![chunk(r#"{"data": [{"path": "/", "#)]).chain(stream::pending());
            (StatusCode::OK, json, Body::from_stream(body)).into_response()
        }
        FaultKind::Huge(mib) => {
            let block = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
            let body = stream::iter((0..*mib).map(move |_| Ok::<_, std::io::Error>(block.clone())));
            (StatusCode::OK, json, Body::from_stream(body)).into_response()
        }
        FaultKind::Redirect(url) => {
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(url) {
                r.headers_mut().insert("location", v);
            }
            r
        }
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = error(code, "Injected fault");
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut peers) = state.stats.peers.lock() {
        peers.insert(peer);
    }
    let path = uri.path().to_string();
    if headers.contains_key("x-api-key") || headers.contains_key("authorization") {
        state.stats.credentialed.fetch_add(1, Ordering::Relaxed);
        let mut seen = state
            .stats
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for name in ["x-api-key", "authorization"] {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok())
                && seen.len() < MAX_CREDENTIALS_KEPT
            {
                seen.insert(v.to_string());
            }
        }
    }
    for (fault, uses) in state.options.faults.iter().zip(&state.fault_uses) {
        if !path.contains(&fault.path_contains) {
            continue;
        }
        if let Some(times) = fault.times
            && uses.fetch_add(1, Ordering::Relaxed) >= times
        {
            continue;
        }
        if let Some(response) = fault_response(&fault.kind).await {
            return response;
        }
        if matches!(fault.kind, FaultKind::Delay(_)) {
            state.stats.delays_done.fetch_add(1, Ordering::Relaxed);
        }
    }

    if let Some(response) = state.oauth.handle(
        &state.origin,
        &method,
        &path,
        &params,
        headers.get("authorization").and_then(|v| v.to_str().ok()),
        &body,
    ) {
        // A slow token endpoint answers late, after it has already rotated the tokens.
        let delay = state.options.oauth.refresh_delay;
        if !delay.is_zero()
            && path == "/oauth/token"
            && oauth::form(&body).get("grant_type").map(String::as_str) == Some("refresh_token")
        {
            tokio::time::sleep(delay).await;
        }
        return response;
    }
    let resource = if path == mcp::PATH {
        mcp::PATH
    } else if path.starts_with(API_PREFIX) {
        API_PREFIX
    } else {
        return error(StatusCode::NOT_FOUND, "Not found");
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let refused = match (
        headers.get("x-api-key").and_then(|v| v.to_str().ok()),
        bearer,
    ) {
        (Some(key), _) if key != state.options.api_key => Some("Invalid API key"),
        (Some(_), _) => None,
        // The MCP endpoint also takes the demo key as a static bearer token.
        (None, Some(token)) if resource == mcp::PATH && token == state.options.api_key => None,
        (None, Some(token)) if !state.oauth.check_bearer(token) => {
            Some("Invalid or expired access token")
        }
        (None, Some(_)) => None,
        (None, None) => Some("Missing API key or bearer token"),
    };
    if let Some(message) = refused {
        let mut r = error(StatusCode::UNAUTHORIZED, message);
        let challenge = state
            .oauth
            .challenge(&state.origin, resource, bearer.is_some());
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert("www-authenticate", v);
        }
        return r;
    }
    if resource == mcp::PATH {
        return state.mcp.handle(method, uri, headers, body).await;
    }
    let rest = path.strip_prefix(API_PREFIX).unwrap_or_default();

    let (limit, remaining, reset, over) = state.count_request();
    let mut response = if over {
        state.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        let wait = (reset - jiff::Timestamp::now().as_second()).max(1);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        r
    } else {
        let now = state.options.now.unwrap_or_else(crate::clock::now);
        match route(rest, &params, now) {
            Ok(data) => axum::Json(json!({ "data": data })).into_response(),
            Err((status, message)) => error(status, &message),
        }
    };
    let h = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    response
}

impl AppState {
    /// Counts one request in the current window: `(limit, remaining, reset epoch seconds,
    /// over the limit)`. The reset is rounded up to the second, so a client that waits for
    /// it never arrives before the window has turned.
    fn count_request(&self) -> (u32, u32, i64, bool) {
        let limit = self.options.rate_limit;
        let length = self.options.rate_window.max(Duration::from_millis(100));
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0.elapsed() >= length {
            *window = (Instant::now(), 0);
            self.window_epoch
                .store(jiff::Timestamp::now().as_millisecond(), Ordering::Relaxed);
        }
        window.1 = window.1.saturating_add(1);
        let ends_ms = self.window_epoch.load(Ordering::Relaxed) + length.as_millis() as i64;
        let reset = (ends_ms + 999).div_euclid(1000);
        (
            limit,
            limit.saturating_sub(window.1),
            reset,
            window.1 > limit,
        )
    }
}

type Routed = Result<Value, (StatusCode, String)>;

fn bad(message: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.into())
}

fn route(path: &str, params: &HashMap<String, String>, now: jiff::Timestamp) -> Routed {
    if path == "/me" {
        return Ok(json!({
            "projectId": PROJECT_ID,
            "name": data::PROJECT_NAME,
            "domain": data::PROJECT_DOMAIN,
            "timezone": data::PROJECT_TIMEZONE,
        }));
    }
    let Some(rest) = path.strip_prefix("/projects/") else {
        return Err((StatusCode::NOT_FOUND, "Not found".into()));
    };
    let (project, endpoint) = rest.split_once('/').unwrap_or((rest, ""));
    if project != PROJECT_ID {
        return Err((StatusCode::NOT_FOUND, "Project not found".into()));
    }
    if endpoint == "analytics/realtime" {
        let minute = now.as_second() / 60;
        let n = 6 + (data_mix(minute as u64) % 14);
        return Ok(json!({ "activeVisitors": n }));
    }
    let w = Window::parse(params, now)?;
    let limit = parse_limit(params)?;
    match endpoint {
        "analytics" => Ok(analytics(&w)),
        "analytics/timeseries" => timeseries(&w, params, false),
        "revenue" => Ok(revenue(&w)),
        "revenue/timeseries" => timeseries(&w, params, true),
        "pages" => Ok(pages(&w, limit)),
        "sources" => sources(&w, params, limit),
        "locations" => locations(&w, params, limit),
        "events" => Ok(events(&w, params, limit)),
        "revenue/customers" => Ok(customers(&w, limit)),
        "channel-roi" => Ok(channel_roi(&w)),
        _ => Err((StatusCode::NOT_FOUND, "Not found".into())),
    }
}

fn data_mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 31)
}

/// A resolved window: whole days in a time zone, and today there.
struct Window {
    start: Date,
    end: Date,
    today: Date,
    tz_name: String,
}

impl Window {
    fn parse(
        params: &HashMap<String, String>,
        now: jiff::Timestamp,
    ) -> Result<Self, (StatusCode, String)> {
        let tz_name = params
            .get("timezone")
            .cloned()
            .unwrap_or_else(|| data::PROJECT_TIMEZONE.to_string());
        let tz =
            TimeZone::get(&tz_name).map_err(|_| bad(format!("Invalid timezone: {tz_name}")))?;
        let today = now.to_zoned(tz.clone()).date();
        let day_of = |name: &str| -> Result<Option<Date>, (StatusCode, String)> {
            let Some(raw) = params.get(name) else {
                return Ok(None);
            };
            if raw.len() == 10
                && let Ok(d) = raw.parse::<Date>()
            {
                return Ok(Some(d));
            }
            raw.parse::<jiff::Timestamp>()
                .map(|ts| Some(ts.to_zoned(tz.clone()).date()))
                .map_err(|_| bad(format!("Invalid {name}: expected ISO 8601")))
        };
        let end = day_of("endDate")?.unwrap_or(today);
        let start = match day_of("startDate")? {
            Some(d) => d,
            None => end
                .checked_sub(6.days())
                .map_err(|_| bad("Invalid range"))?,
        };
        if start > end {
            return Err(bad("startDate must be before endDate"));
        }
        let days = i64::from(
            start
                .until(end)
                .map_err(|_| bad("Invalid range"))?
                .get_days(),
        );
        if days >= MAX_DAYS {
            return Err(bad(format!("Date range too long (max {MAX_DAYS} days)")));
        }
        Ok(Self {
            start,
            end,
            today,
            tz_name,
        })
    }

    fn days(&self) -> impl Iterator<Item = Date> + '_ {
        self.start.series(1.day()).take_while(|d| *d <= self.end)
    }

    fn total(&self) -> Day {
        let mut sum = Day::default();
        for d in self.days() {
            sum.add(&data::day(d, self.today));
        }
        sum
    }

    /// The window of the same length just before this one.
    fn previous(&self) -> Self {
        let len = self.days().count() as i64;
        let end = self.start.yesterday().unwrap_or(self.start);
        let start = end.checked_sub((len - 1).days()).unwrap_or(end);
        Self {
            start,
            end,
            today: self.today,
            tz_name: self.tz_name.clone(),
        }
    }

    fn echo(&self) -> Value {
        json!({
            "startDate": self.start.to_string(),
            "endDate": self.end.to_string(),
            "timezone": self.tz_name,
        })
    }
}

fn parse_limit(params: &HashMap<String, String>) -> Result<usize, (StatusCode, String)> {
    match params.get("limit") {
        None => Ok(10),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(bad("limit must be between 1 and 100")),
        },
    }
}

fn traffic_metrics(t: &Day) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("uniqueVisitors".into(), json!(t.visitors));
    m.insert("pageViews".into(), json!(t.pageviews));
    m.insert("sessions".into(), json!(t.sessions));
    m.insert("bounceRate".into(), data::pct(t.bounced, t.sessions));
    let avg = t.duration_secs.checked_div(t.sessions).unwrap_or(0);
    m.insert("avgDuration".into(), json!(avg));
    m
}

fn analytics(w: &Window) -> Value {
    let now = traffic_metrics(&w.total());
    let prev_window = w.previous();
    let before = traffic_metrics(&prev_window.total());
    let mut change = serde_json::Map::new();
    for (k, v) in &now {
        let (a, b) = (v.as_f64().unwrap_or(0.0), before[k].as_f64().unwrap_or(0.0));
        let pct = if b == 0.0 {
            Value::Null
        } else {
            json!(((a - b) / b * 1000.0).round() / 10.0)
        };
        change.insert(k.clone(), pct);
    }
    let mut out = now;
    let mut prev = before;
    prev.insert("startDate".into(), json!(prev_window.start.to_string()));
    prev.insert("endDate".into(), json!(prev_window.end.to_string()));
    out.insert("previousPeriod".into(), Value::Object(prev));
    out.insert("changePercent".into(), Value::Object(change));
    out.insert("period".into(), w.echo());
    Value::Object(out)
}

fn revenue(w: &Window) -> Value {
    let t = w.total();
    let last = w.end.min(w.today);
    let mrr = data::mrr_cents(last);
    let active_start = data::active_subs(w.start.yesterday().unwrap_or(w.start));
    json!({
        "mrr": data::money(mrr),
        "arr": data::money(mrr * 12),
        "revenue": data::money(t.revenue_cents),
        "currency": "USD",
        "activeSubscriptions": data::active_subs(last),
        "newSubscriptions": t.new_subs,
        "churnedSubscriptions": t.churned_subs,
        "churnRate": data::pct(t.churned_subs, active_start),
        "period": w.echo(),
    })
}

/// Buckets of days (or hours) with sums that add up to the window's totals.
fn timeseries(w: &Window, params: &HashMap<String, String>, money: bool) -> Routed {
    let granularity = params
        .get("granularity")
        .map(String::as_str)
        .unwrap_or("day");
    let mut rows = Vec::new();
    let row = |label: String, d: &Day, mrr_day: Date| {
        if money {
            json!({
                "date": label,
                "revenue": data::money(d.revenue_cents),
                "newSubscriptions": d.new_subs,
                "churnedSubscriptions": d.churned_subs,
                "mrr": data::money(if mrr_day > w.today { 0 } else { data::mrr_cents(mrr_day) }),
            })
        } else {
            json!({
                "date": label,
                "visitors": d.visitors,
                "pageViews": d.pageviews,
                "sessions": d.sessions,
            })
        }
    };
    match granularity {
        "hour" => {
            if w.days().count() > 31 {
                return Err(bad("hour granularity supports at most 31 days"));
            }
            for d in w.days() {
                let day = data::day(d, w.today);
                let split = |n: u64| data::apportion(n, &data::HOUR_WEIGHTS);
                let (v, p, s, r, ns, cs) = (
                    split(day.visitors),
                    split(day.pageviews),
                    split(day.sessions),
                    split(day.revenue_cents),
                    split(day.new_subs),
                    split(day.churned_subs),
                );
                for h in 0..24 {
                    let hour = Day {
                        visitors: v[h],
                        pageviews: p[h],
                        sessions: s[h],
                        revenue_cents: r[h],
                        new_subs: ns[h],
                        churned_subs: cs[h],
                        ..Day::default()
                    };
                    rows.push(row(format!("{d}T{h:02}:00"), &hour, d));
                }
            }
        }
        "day" | "week" | "month" => {
            let mut current: Option<(Date, Date, Day)> = None;
            for d in w.days() {
                let key = match granularity {
                    "week" => d
                        .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
                        .unwrap_or(d)
                        .max(w.start),
                    "month" => d.first_of_month().max(w.start),
                    _ => d,
                };
                let day = data::day(d, w.today);
                match &mut current {
                    Some((k, last, sum)) if *k == key => {
                        sum.add(&day);
                        *last = d;
                    }
                    _ => {
                        if let Some((k, last, sum)) = current.take() {
                            rows.push(row(k.to_string(), &sum, last));
                        }
                        current = Some((key, d, day));
                    }
                }
            }
            if let Some((k, last, sum)) = current {
                rows.push(row(k.to_string(), &sum, last));
            }
        }
        other => {
            return Err(bad(format!(
                "Invalid granularity: {other} (expected hour, day, week or month)"
            )));
        }
    }
    Ok(Value::Array(rows))
}

fn pages(w: &Window, limit: usize) -> Value {
    let t = w.total();
    let weights: Vec<f64> = data::PAGES.iter().map(|p| p.2).collect();
    let views = data::apportion(t.pageviews, &weights);
    let visitors = data::apportion(t.visitors, &weights);
    let rows: Vec<Value> = data::PAGES
        .iter()
        .enumerate()
        .map(|(i, (path, title, _, secs))| {
            json!({
                "path": path,
                "title": title,
                "pageViews": views[i],
                "visitors": visitors[i],
                "avgDuration": if views[i] == 0 { 0 } else { *secs },
            })
        })
        .take(limit)
        .collect();
    Value::Array(rows)
}

fn sources(w: &Window, params: &HashMap<String, String>, limit: usize) -> Routed {
    let table = match params
        .get("groupBy")
        .map(String::as_str)
        .unwrap_or("referrer")
    {
        "referrer" => data::REFERRERS,
        "utm_source" => data::UTM_SOURCES,
        "utm_medium" => data::UTM_MEDIUMS,
        "utm_campaign" => data::UTM_CAMPAIGNS,
        other => {
            return Err(bad(format!(
                "Invalid groupBy: {other} (expected referrer, utm_source, utm_medium, utm_campaign)"
            )));
        }
    };
    let t = w.total();
    let by =
        |total: u64| -> HashMap<String, u64> { data::ranked(table, total).into_iter().collect() };
    let (sessions, pageviews, bounced) = (by(t.sessions), by(t.pageviews), by(t.bounced));
    let avg = t.duration_secs.checked_div(t.sessions).unwrap_or(0);
    Ok(Value::Array(
        data::ranked(table, t.visitors)
            .into_iter()
            .take(limit)
            .map(|(label, visitors)| {
                let s = sessions.get(&label).copied().unwrap_or(0);
                json!({
                    "source": label,
                    "visitors": visitors,
                    "sessions": s,
                    "pageViews": pageviews.get(&label).copied().unwrap_or(0),
                    "bounceRate": data::pct(bounced.get(&label).copied().unwrap_or(0), s),
                    "avgDuration": avg,
                })
            })
            .collect(),
    ))
}

fn locations(w: &Window, params: &HashMap<String, String>, limit: usize) -> Routed {
    let group = params
        .get("groupBy")
        .map(String::as_str)
        .unwrap_or("country");
    if !["country", "region", "city"].contains(&group) {
        return Err(bad(format!(
            "Invalid groupBy: {group} (expected country, region, city)"
        )));
    }
    let weights: Vec<f64> = data::PLACES.iter().map(|p| p.4).collect();
    let t = w.total();
    let visitors = data::apportion(t.visitors, &weights);
    let sessions = data::apportion(t.sessions, &weights);
    let pageviews = data::apportion(t.pageviews, &weights);
    // (place, [visitors, sessions, pageviews])
    let mut rows: Vec<(Value, [u64; 3])> = Vec::new();
    for (i, (country, code, region, city, _)) in data::PLACES.iter().enumerate() {
        let key = match group {
            "country" => json!({ "country": country, "countryCode": code }),
            "region" => json!({ "country": country, "region": region }),
            _ => json!({ "country": country, "region": region, "city": city }),
        };
        let add = [visitors[i], sessions[i], pageviews[i]];
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => n.iter_mut().zip(add).for_each(|(a, b)| *a += b),
            None => rows.push((key, add)),
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1[0]));
    Ok(Value::Array(
        rows.into_iter()
            .take(limit)
            .map(|(mut key, [v, s, p])| {
                key["visitors"] = json!(v);
                key["sessions"] = json!(s);
                key["pageViews"] = json!(p);
                key
            })
            .collect(),
    ))
}

fn events(w: &Window, params: &HashMap<String, String>, limit: usize) -> Value {
    let v = w.total().visitors as f64;
    let wanted = params.get("eventName");
    Value::Array(
        data::EVENTS
            .iter()
            .filter(|(name, _, _)| wanted.is_none_or(|w| w == name))
            .take(limit)
            .map(|(name, per100, share)| {
                json!({
                    "eventName": name,
                    "count": (v * per100 / 100.0).round() as u64,
                    "uniqueVisitors": (v * share).round() as u64,
                    "conversionRate": (share * 1000.0).round() / 10.0,
                })
            })
            .collect(),
    )
}

fn customers(w: &Window, limit: usize) -> Value {
    let revenue = w.total().revenue_cents;
    Value::Array(
        data::CUSTOMERS
            .iter()
            .filter(|c| c.3.parse::<Date>().is_ok_and(|since| since <= w.end))
            .take(limit)
            .map(|(name, email, plan, since, share)| {
                json!({
                    "name": name,
                    "email": email,
                    "plan": plan,
                    "revenue": data::money((revenue as f64 * share / 100.0).round() as u64),
                    "customerSince": since,
                })
            })
            .collect(),
    )
}

fn channel_roi(w: &Window) -> Value {
    let t = w.total();
    let weights: Vec<f64> = data::CHANNELS.iter().map(|c| c.1).collect();
    let visitors = data::apportion(t.visitors, &weights);
    let customers: Vec<u64> = data::CHANNELS
        .iter()
        .zip(&visitors)
        .map(|(c, v)| (*v as f64 * c.2 / 1000.0).round() as u64)
        .collect();
    let conv: Vec<f64> = customers.iter().map(|c| *c as f64).collect();
    let revenue = data::apportion(t.revenue_cents, &conv);
    Value::Array(
        data::CHANNELS
            .iter()
            .enumerate()
            .map(|(i, (name, _, _, spend_per_visitor))| {
                let spend = visitors[i] * spend_per_visitor;
                let cac = if customers[i] == 0 || spend == 0 {
                    0
                } else {
                    spend / customers[i]
                };
                let roi = if spend == 0 {
                    Value::Null
                } else {
                    json!(
                        ((revenue[i] as f64 - spend as f64) / spend as f64 * 1000.0).round() / 10.0
                    )
                };
                json!({
                    "channel": name,
                    "visitors": visitors[i],
                    "customers": customers[i],
                    "revenue": data::money(revenue[i]),
                    "adSpend": data::money(spend),
                    "cac": data::money(cac),
                    "ltv": data::money(3100 * 14),
                    "roi": roi,
                })
            })
            .collect(),
    )
}
