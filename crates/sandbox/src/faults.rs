//! Injected faults: the `PATH=SPEC[*N]` syntax of `sandbox --fault` and the answers a fault
//! gives (statuses, delays, broken or endless bodies, redirects), for tests of a flaky upstream.
//! Imports only the parent's [`super::error`] body; no sibling.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

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

/// The answer a fault gives, or `None` to carry on normally (after a delay).
pub(super) async fn fault_response(kind: &FaultKind) -> Option<Response> {
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
            let mut response = super::error(code, "Injected fault");
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert("retry-after", v);
            }
            response
        }
    })
}
