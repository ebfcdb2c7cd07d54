//! The sandbox's HTTP front: what every request passes through (counting, the credentials seen,
//! injected faults) and the resources behind a credential — the hosted MCP endpoint and the
//! Read API with its rate limit. Imports the siblings it serves: [`super::faults`],
//! [`super::oauth`] (bearer checks and challenges), [`super::mcp`], and the demo's Read API
//! routes and rate window from the product's library (`analytics_mcp::demo`), through
//! [`super::scenarios`], which plants changes on top of them.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::{FaultKind, fault_response};
use analytics_mcp::demo::{self, RateWindow};
use axum::http::StatusCode as Status;
use serde_json::json;

use super::{
    API_PREFIX, READ_API_MCP_PATH, ReadApiMcp, SandboxOptions, error, mcp, moved, oauth, scenarios,
};

pub(super) struct AppState {
    pub options: SandboxOptions,
    pub oauth: Arc<oauth::AuthServer>,
    pub mcp: Arc<mcp::McpEndpoint>,
    /// The Himetrica-like hosted MCP server on the Read API's origin.
    pub read_api_mcp: Arc<mcp::McpEndpoint>,
    /// The Read API's rate-limit window (the demo's, shared).
    pub rate: RateWindow,
    pub stats: Arc<StatsInner>,
    /// How often each fault has fired, for `Fault::times`.
    pub fault_uses: Vec<AtomicU32>,
}

/// Counters a test or benchmark reads to see what reached the upstream.
#[derive(Default)]
pub(super) struct StatsInner {
    pub requests: AtomicU64,
    pub credentialed: AtomicU64,
    pub rate_limited: AtomicU64,
    pub delays_started: AtomicU64,
    pub delays_done: AtomicU64,
    pub delays_abandoned: AtomicU64,
    /// Requests being answered now, and the most there ever were at once.
    pub in_flight: AtomicU64,
    pub peak_in_flight: AtomicU64,
    pub peers: Mutex<HashSet<SocketAddr>>,
    /// Every distinct `X-API-Key` / `Authorization` value received (at most
    /// [`MAX_CREDENTIALS_KEPT`]), so a test can tell which secrets reached this origin.
    pub credentials: Mutex<HashSet<String>>,
    /// Requests per path (at most [`MAX_CREDENTIALS_KEPT`] paths), so a test can tell what a
    /// path cost.
    pub paths: Mutex<HashMap<String, u64>>,
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
    /// Injected delays begun (the request is being held).
    pub delays_started: u64,
    /// Injected delays that ran to the end (a dropped connection cancels its delay).
    pub delays_done: u64,
    /// Injected delays cut short because the client dropped the request: a test waits for
    /// this instead of waiting the delay out.
    pub delays_abandoned: u64,
    /// The most requests that were being answered at once.
    pub peak_in_flight: u64,
}

/// Counts a request in flight for as long as it lives (answered or dropped).
struct InFlight<'a>(&'a StatsInner);

impl<'a> InFlight<'a> {
    fn enter(stats: &'a StatsInner) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        stats.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        Self(stats)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a delay as abandoned unless it is disarmed after running to the end.
struct AbandonGuard<'a>(Option<&'a AtomicU64>);

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        if let Some(counter) = self.0 {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Every request, whichever route answers it: counted, its credentials noted, and the
/// injected faults that match its path applied.
pub(super) async fn observe(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlight::enter(&state.stats);
    if let Ok(mut peers) = state.stats.peers.lock() {
        peers.insert(peer);
    }
    let headers = request.headers();
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
    let path = request.uri().path().to_string();
    {
        let mut paths = state.stats.paths.lock().unwrap_or_else(|p| p.into_inner());
        if paths.len() < MAX_CREDENTIALS_KEPT || paths.contains_key(&path) {
            *paths.entry(path.clone()).or_default() += 1;
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
        let delay = matches!(fault.kind, FaultKind::Delay(_));
        if delay {
            state.stats.delays_started.fetch_add(1, Ordering::Relaxed);
        }
        let mut abandoned = AbandonGuard(delay.then_some(&state.stats.delays_abandoned));
        if let Some(response) = fault_response(&fault.kind).await {
            return response;
        }
        abandoned.0 = None;
        if delay {
            state.stats.delays_done.fetch_add(1, Ordering::Relaxed);
        }
    }
    next.run(request).await
}

/// Any path the authorization server does not route: the hosted MCP endpoint and the Read
/// API, each behind the demo key or a live bearer token (401 with a challenge otherwise).
pub(super) async fn resource(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path();
    let resource = if path == mcp::PATH {
        mcp::PATH
    } else if path == READ_API_MCP_PATH && state.options.read_api_mcp != ReadApiMcp::Absent {
        READ_API_MCP_PATH
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
        _ if resource == READ_API_MCP_PATH
            && state.options.read_api_mcp == ReadApiMcp::RefusesKey =>
        {
            Some("Invalid API key")
        }
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
        let challenge = state.oauth.challenge(resource, bearer.is_some());
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert("www-authenticate", v);
        }
        return r;
    }
    if resource == mcp::PATH {
        return state.mcp.handle(method, uri, headers, body).await;
    }
    if resource == READ_API_MCP_PATH {
        return state.read_api_mcp.handle(method, uri, headers, body).await;
    }
    let rest = path.strip_prefix(API_PREFIX).unwrap_or_default();
    let Some(mut rest) = as_demo(&state.options, rest) else {
        return demo::error(StatusCode::NOT_FOUND, "Project not found");
    };
    let count = state.rate.count();
    if count.over {
        state.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    if state.options.moved_paths {
        match moved::reroute(&rest) {
            Some(to) => rest = to,
            None => return count.respond(|| demo::error(Status::NOT_FOUND, "Not found")),
        }
    }
    let now = state.options.now.unwrap_or_else(analytics_mcp::clock::now);
    count.respond(
        || match scenarios::route(state.options.scenario, &rest, &params, now) {
            Ok(mut data) => {
                if let (Some((id, name)), "/me") = (&state.options.project, rest.as_str()) {
                    data["projectId"] = json!(id);
                    data["name"] = json!(name);
                }
                demo::json_response(Status::OK, &json!({ "data": data }))
            }
            Err((status, message)) => demo::error(status, &message),
        },
    )
}

/// The demo path for `rest` when the sandbox serves another project id
/// ([`SandboxOptions::project`]); `None` for a path of any other project.
fn as_demo(options: &SandboxOptions, rest: &str) -> Option<String> {
    let Some((id, _)) = &options.project else {
        return Some(rest.to_string());
    };
    match rest.strip_prefix("/projects/") {
        None => Some(rest.to_string()),
        Some(tail) => {
            let tail = tail.strip_prefix(id.as_str())?;
            (tail.is_empty() || tail.starts_with('/'))
                .then(|| format!("/projects/{}{tail}", demo::data::PROJECT_ID))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_project_id_is_served_as_the_demo_and_only_it() {
        let options = SandboxOptions {
            project: Some(("prj_docs".into(), "Docs".into())),
            ..SandboxOptions::default()
        };
        let demo = demo::data::PROJECT_ID;
        assert_eq!(
            as_demo(&options, "/projects/prj_docs/pages").as_deref(),
            Some(format!("/projects/{demo}/pages").as_str())
        );
        assert_eq!(as_demo(&options, "/me").as_deref(), Some("/me"));
        assert_eq!(as_demo(&options, &format!("/projects/{demo}/pages")), None);
        assert_eq!(as_demo(&options, "/projects/prj_docsX/pages"), None);
        let plain = SandboxOptions::default();
        assert_eq!(
            as_demo(&plain, "/projects/x/pages").as_deref(),
            Some("/projects/x/pages")
        );
    }
}
