//! The Read API client: one authenticated GET, its errors, and the rate-limit state it saw.
//!
//! It knows nothing of tools or MCP. The credential is attached here and only here, and only
//! to the configured origin: redirects are not followed, so a key can never be carried to
//! another host.

pub mod endpoints;
pub mod error;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde::Serialize;
use serde_json::Value;
use url::Url;

pub use error::ApiError;

use crate::credentials::Credential;

/// Bodies larger than this are refused rather than read into memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `X-RateLimit-*` headers of the most recent response that had them.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RateLimitState {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// As the upstream sent it (seconds, epoch seconds or a date).
    pub reset: Option<String>,
}

/// An authenticated Read API client.
#[derive(Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    credential: Option<Credential>,
    timeout: Duration,
    rate: Mutex<RateLimitState>,
    requests: AtomicU64,
}

/// A query string as `(name, value)` pairs, in the order sent.
pub type Query = Vec<(String, String)>;

impl ApiClient {
    pub fn new(base: Url, credential: Option<Credential>, timeout: Duration) -> Self {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("analytics-mcp/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            // Never follow redirects: reqwest keeps custom headers such as X-API-Key across
            // them, which would hand the key to whatever host a redirect names.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            http,
            base,
            credential,
            timeout,
            rate: Mutex::new(RateLimitState::default()),
            requests: AtomicU64::new(0),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn has_credential(&self) -> bool {
        self.credential.is_some()
    }

    /// The rate-limit headers seen last.
    pub fn rate_limit(&self) -> RateLimitState {
        self.rate.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many upstream requests this client has made.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET base + path ? query` and return the `data` member of the JSON answer (or the whole
    /// answer when it has no `data`).
    pub async fn get(&self, path: &str, query: &Query) -> Result<Value, ApiError> {
        let url = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        let mut request = self.http.get(&url).query(query);
        match &self.credential {
            Some(Credential::ApiKey(key)) => {
                let mut value = HeaderValue::from_str(key.expose())
                    .map_err(|_| ApiError::Other("the stored key has invalid characters".into()))?;
                value.set_sensitive(true);
                request = request.header("X-API-Key", value);
            }
            None => {}
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%path, params = query.len(), "GET");
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        self.record_rate_limit(response.headers());
        let retry_after = retry_after(response.headers());
        let body = read_capped(response, self.timeout, self).await?;

        if status.is_success() {
            let json: Value = serde_json::from_slice(&body).map_err(|_| ApiError::NotJson {
                excerpt: error::excerpt(&body),
            })?;
            return Ok(match json {
                Value::Object(mut map) if map.contains_key("data") => {
                    map.remove("data").unwrap_or(Value::Null)
                }
                other => other,
            });
        }
        let excerpt = error::excerpt(&body);
        Err(match status.as_u16() {
            401 => ApiError::Unauthorized { excerpt },
            403 => ApiError::Forbidden { excerpt },
            404 => ApiError::NotFound {
                path: path.to_string(),
                excerpt,
            },
            429 => ApiError::RateLimited { retry_after },
            s @ 500..=599 => ApiError::Server { status: s, excerpt },
            s => ApiError::Status { status: s, excerpt },
        })
    }

    fn transport_error(&self, e: &reqwest::Error) -> ApiError {
        if e.is_timeout() {
            ApiError::Timeout(self.timeout)
        } else if e.is_connect() {
            ApiError::Connect {
                origin: self.base.origin().ascii_serialization(),
            }
        } else {
            // reqwest's Display names the URL, which holds no secret; the key is a header.
            ApiError::Other(error::clean(&e.to_string(), 200))
        }
    }

    fn record_rate_limit(&self, headers: &HeaderMap) {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let limit = num("x-ratelimit-limit");
        let remaining = num("x-ratelimit-remaining");
        let reset = headers
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .map(|v| error::clean(v, 64));
        if (limit.is_some() || remaining.is_some() || reset.is_some())
            && let Ok(mut state) = self.rate.lock()
        {
            *state = RateLimitState {
                limit,
                remaining,
                reset,
            };
        }
    }
}

/// TLS uses rustls with the `ring` provider, chosen over reqwest's default (aws-lc-rs) for a
/// binary about a fifth smaller. Installing it twice is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs and is treated as absent).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 86_400.0)
        .map(Duration::from_secs_f64)
}

/// Reads the body chunk by chunk, refusing more than [`MAX_BODY_BYTES`].
async fn read_capped(
    mut response: reqwest::Response,
    timeout: Duration,
    client: &ApiClient,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::TooLarge {
                        limit: MAX_BODY_BYTES,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => return Err(ApiError::Timeout(timeout)),
            Err(e) => return Err(client.transport_error(&e)),
        }
    }
}
