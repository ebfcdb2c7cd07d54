//! The Read API client: one authenticated GET with its deadline, retries, rate-limit manners
//! and size cap.
//!
//! It knows nothing of tools or MCP. The credential is attached here and only here, and only
//! to the configured origin: redirects are not followed, so a key can never be carried to
//! another host. Every call has one deadline that covers waiting, connecting, retrying and
//! reading the body, so a stalled upstream costs at most that long.

pub mod cache;
mod credential;
pub mod error;
pub mod limiter;
pub mod probed;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use url::Url;

pub use crate::config::{DEFAULT_MAX_IN_FLIGHT, Limits, endpoints};
use crate::http::{Backoff, LazyClient};
pub use crate::http::{http_client, install_crypto_provider};
use credential::CredentialCell;
pub use error::ApiError;
use limiter::Limiter;
pub use limiter::RateLimitState;

use crate::auth::{AuthError, TokenManager};
use crate::credentials::{Bound, Credential, WrongOrigin};

/// How requests are authenticated. Every credential is [`Bound`] to its origin and attached
/// only through [`Bound::for_request`].
#[derive(Debug, Clone)]
pub enum Auth {
    /// `X-API-Key: hm_sk_…`.
    ApiKey(Bound),
    /// `Authorization: Bearer …`, refreshed as needed.
    OAuth(std::sync::Arc<TokenManager>),
    /// `Authorization: Bearer …` as given, never refreshed (checking a token just issued).
    Bearer(Bound),
    /// The credential store could not be read: every call says so (file and fix) rather
    /// than "not signed in".
    Unreadable(String),
}

impl Auth {
    /// The way to send `credential` for the settings' profile.
    pub fn new(settings: &crate::config::Settings, credential: Credential) -> Self {
        match credential {
            Credential::ApiKey(key) => Self::ApiKey(key),
            Credential::OAuth(tokens) => {
                Self::OAuth(std::sync::Arc::new(TokenManager::new(settings, tokens)))
            }
        }
    }
}

/// The secret of `bound` for a request to `url` (see [`Bound::for_request`]).
fn secret<'a>(bound: &'a Bound, url: &Result<Url, String>) -> Result<&'a str, WrongOrigin> {
    match url {
        Ok(url) => bound.for_url(url),
        Err(text) => bound.for_request(text),
    }
}

/// The wait before a retry: 200 ms, doubling each time, with ±50% jitter.
const BACKOFF: Backoff = Backoff::doubling(Duration::from_millis(200)).jittered();

/// An authenticated Read API client.
#[derive(Debug)]
pub struct ApiClient {
    /// Built on the first request (see [`LazyClient`]).
    http: LazyClient,
    base: Url,
    /// `base` ending in one `/`, which request paths are parsed against (see `url_for`); none
    /// for a base with a query or a fragment.
    dir: Option<Url>,
    /// Given, or read from the stores on the first request (see [`CredentialCell`]).
    auth: CredentialCell,
    limits: Limits,
    limiter: Mutex<Limiter>,
    /// One permit per upstream request in flight.
    slots: tokio::sync::Semaphore,
    requests: AtomicU64,
}

/// A query string as `(name, value)` pairs, in the order sent.
pub type Query = Vec<(String, String)>;

impl ApiClient {
    /// A client with `auth` as given (`None`: not signed in); no store is read.
    pub fn new(base: Url, auth: Option<Auth>, limits: Limits) -> Self {
        Self::with(base, CredentialCell::given(auth), limits)
    }

    /// A client for the profile of `settings`, whose credential is read from the stores by the
    /// first request that needs it, once, and shared.
    pub fn for_profile(settings: &crate::config::Settings) -> Self {
        Self::with(
            settings.api_url.clone(),
            CredentialCell::stored(settings),
            settings.limits,
        )
    }

    fn with(base: Url, auth: CredentialCell, limits: Limits) -> Self {
        let http = LazyClient::new(limits.connect_timeout.min(limits.timeout), |b, t| {
            b.connect_timeout(t)
        });
        let dir = match (base.query(), base.fragment()) {
            (None, None) => Url::parse(&format!("{}/", base.as_str().trim_end_matches('/'))).ok(),
            _ => None,
        };
        Self {
            http,
            base,
            dir,
            auth,
            limits,
            limiter: Mutex::new(Limiter::default()),
            slots: tokio::sync::Semaphore::new(limits.max_in_flight.max(1)),
            requests: AtomicU64::new(0),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// True when there is a credential (reading the stores the first time).
    pub async fn has_credential(&self) -> bool {
        self.auth.get().await.is_some()
    }

    /// How requests are authenticated, reading the stores the first time (Himetrica's hosted
    /// MCP server takes the same credential, on the same origin: issue 24).
    pub async fn auth(&self) -> Option<&Auth> {
        self.auth.get().await
    }

    /// The token manager, when signed in through the browser and the credential has been
    /// obtained (a client that never needed its credential has no refresh in flight).
    pub fn token_manager(&self) -> Option<&TokenManager> {
        match self.auth.if_obtained() {
            Some(Auth::OAuth(m)) => Some(m),
            _ => None,
        }
    }

    /// The rate-limit headers seen last.
    pub fn rate_limit(&self) -> RateLimitState {
        self.limiter.lock().map(|l| l.state()).unwrap_or_default()
    }

    /// How many upstream requests this client has made.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET base + path ? query` and return the `data` member of the JSON answer (or the whole
    /// answer when it has no `data`). Retries what is worth retrying, within one deadline.
    pub async fn get(&self, path: &str, query: &Query) -> Result<Value, ApiError> {
        let deadline = Instant::now() + self.limits.timeout;
        let auth = self.auth.get().await;
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let bearer = match auth {
                Some(Auth::OAuth(m)) => Some(within(deadline, m.bearer()).await?),
                Some(Auth::Bearer(token)) => Some(token.clone()),
                Some(Auth::Unreadable(why)) => return Err(ApiError::CredentialStore(why.clone())),
                _ => None,
            };
            // The rate-limit slot is taken last, just before the request goes out: a slot
            // taken before a wait (for a token, for a free connection) could be spent in a
            // window that has already turned.
            let _in_flight = tokio::time::timeout_at(deadline.into(), self.slots.acquire())
                .await
                .map_err(|_| ApiError::Timeout(self.limits.timeout))?;
            self.wait_for_slot(deadline).await?;
            let outcome = self
                .attempt(path, query, deadline, auth, bearer.as_ref())
                .await;
            // A rejected access token is refreshed once, and the call tried again.
            if let (Err(ApiError::Unauthorized { .. }), Some(Auth::OAuth(m)), Some(token)) =
                (&outcome, auth, &bearer)
                && !refreshed
            {
                tracing::debug!(%path, "access token rejected; refreshing");
                within(deadline, m.after_rejection(token.secret())).await?;
                refreshed = true;
                continue;
            }
            let wait = match &outcome {
                Err(e) if attempt < self.limits.max_retries => match e {
                    ApiError::Connect { .. }
                    | ApiError::Incomplete
                    | ApiError::Server {
                        status: 502..=504, ..
                    } => Some(BACKOFF.delay(attempt)),
                    ApiError::RateLimited {
                        retry_after: Some(d),
                    } if *d <= self.limits.max_retry_wait => Some(*d),
                    _ => None,
                },
                _ => None,
            };
            match wait {
                Some(wait) if Instant::now() + wait < deadline => {
                    tracing::debug!(%path, attempt, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return outcome,
            }
        }
    }

    /// Waits for the next rate-limit window when the last headers said this one is used up,
    /// or answers at once with when to retry if that wait is too long (with
    /// `max_retry_wait_secs = 0`, always). Never sends a request the upstream has already said
    /// it will refuse; a request that waited takes a slot like any other.
    async fn wait_for_slot(&self, deadline: Instant) -> Result<(), ApiError> {
        // Each round sleeps at least a millisecond, and the deadline ends the loop; the
        // count is a second bound.
        for _ in 0..10_000 {
            let needed = match self.limiter.lock() {
                Ok(mut l) => l.acquire(Instant::now()),
                Err(_) => None,
            };
            let Some(wait) = needed else {
                return Ok(());
            };
            if wait > self.limits.max_retry_wait || Instant::now() + wait >= deadline {
                return Err(ApiError::RateLimited {
                    retry_after: Some(wait),
                });
            }
            tracing::debug!(?wait, "rate limit used up; waiting for the next window");
            tokio::time::sleep(wait).await;
        }
        Err(ApiError::RateLimited { retry_after: None })
    }

    /// One request, bounded by `deadline`.
    async fn attempt(
        &self,
        path: &str,
        query: &Query,
        deadline: Instant,
        auth: Option<&Auth>,
        bearer: Option<&Bound>,
    ) -> Result<Value, ApiError> {
        let url = self.url_for(path);
        // The one place a Read API request gets a credential: only for its own origin.
        let header = match (auth, bearer) {
            (Some(Auth::ApiKey(key)), _) => Some(("X-API-Key", secret(key, &url)?.to_string())),
            (Some(Auth::OAuth(_) | Auth::Bearer(_)), Some(token)) => {
                Some(("Authorization", format!("Bearer {}", secret(token, &url)?)))
            }
            _ => None,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let request = match url {
            Ok(url) => self.http.get().get(url),
            Err(text) => self.http.get().get(text),
        };
        let mut request = request.query(query).timeout(left);
        if let Some((name, value)) = header {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                ApiError::Other("the stored credential has invalid characters".into())
            })?;
            value.set_sensitive(true);
            request = request.header(name, value);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%path, params = query.len(), "GET");
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if let Ok(mut l) = self.limiter.lock() {
            l.observe(response.headers(), jiff::Timestamp::now(), Instant::now());
        }
        let retry_after = retry_after(response.headers());
        if status.is_redirection() {
            // Not followed, on purpose (see `new`).
            return Err(ApiError::Redirected {
                status: status.as_u16(),
            });
        }
        let body = self.read_capped(response).await?;

        if status.is_success() {
            let json: Value = serde_json::from_slice(&body).map_err(|_| ApiError::NotJson {
                excerpt: crate::text::excerpt(&body),
            })?;
            let mut data = match json {
                Value::Object(mut map) if map.contains_key("data") => {
                    map.remove("data").unwrap_or(Value::Null)
                }
                other => other,
            };
            // Once, where the answer enters: every view of it (text, structuredContent,
            // terminal, chart, `--json`) is built from clean strings and finite numbers.
            crate::text::clean_value(&mut data);
            if let Some(at) = crate::text::out_of_range_number(&data) {
                return Err(ApiError::BadNumber { at });
            }
            return Ok(data);
        }
        let excerpt = crate::text::excerpt(&body);
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

    /// `base + path` as a URL, parsed once for the request and the credential's origin check.
    /// A path with one leading `/` is parsed relative to the base's directory (behind `./`, so
    /// a `:` in its first segment is no scheme): the base's scheme and host are not parsed
    /// again on every call (the host's parse was the larger part of a call's own CPU time,
    /// BENCHMARKS.md, issue 23). Anything else is joined as text and parsed whole; text that
    /// does not parse is handed back for the request to fail on, as before.
    fn url_for(&self, path: &str) -> Result<Url, String> {
        if let (Some(dir), Some(rest)) = (&self.dir, path.strip_prefix('/'))
            && !rest.starts_with('/')
            && let Ok(url) = dir.join(&format!("./{rest}"))
        {
            return Ok(url);
        }
        let text = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        Url::parse(&text).map_err(|_| text)
    }

    /// Reads the body chunk by chunk, refusing more than the cap (and a declared length over
    /// it before reading anything).
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
        let limit = self.limits.max_body;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(ApiError::TooLarge { limit });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::TooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) if e.is_timeout() => return Err(ApiError::Timeout(self.limits.timeout)),
                // The connection broke after the status line: worth another try.
                Err(_) => return Err(ApiError::Incomplete),
            }
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> ApiError {
        if e.is_timeout() {
            ApiError::Timeout(self.limits.timeout)
        } else if e.is_connect() {
            ApiError::Connect {
                origin: self.base.origin().ascii_serialization(),
                cause: crate::http::transport_cause(e),
            }
        } else if e.is_request() || e.is_body() {
            // The connection closed under the request (a reset, a pooled connection the
            // server had dropped): worth another try.
            ApiError::Incomplete
        } else {
            // reqwest's Display names the URL, which holds no secret; the key is a header.
            ApiError::Other(crate::text::clean(&e.to_string(), 200))
        }
    }
}

/// Runs a token step within the call's deadline, as an [`ApiError`].
async fn within<T>(
    deadline: Instant,
    step: impl std::future::Future<Output = Result<T, AuthError>>,
) -> Result<T, ApiError> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(AuthError::SignInAgain(why))) => Err(ApiError::SignInAgain(why)),
        Ok(Err(e)) => Err(ApiError::Token(e.to_string())),
        Err(_) => Err(ApiError::Timeout(left)),
    }
}

/// `Retry-After` in either form RFC 9110 allows: a number of seconds (any size) or an
/// HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), as the wait from now. A date in the past is
/// no wait; a value that is neither is treated as absent.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<f64>() {
        // At most a year: beyond that the number means nothing more, and `Duration` is safe.
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(limiter::LONGEST_RETRY.as_secs_f64())));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(raw)
        .ok()?;
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(
        Duration::try_from(wait)
            .unwrap_or(Duration::ZERO)
            .min(limiter::LONGEST_RETRY),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsing a path against the base's directory gives the URL that joining the two as text
    /// and parsing the whole gave before: the same requests go out.
    #[test]
    fn a_path_parsed_against_the_base_is_the_path_joined_as_text() {
        let paths = [
            "/projects/prj_1/analytics/realtime",
            "/me",
            "/x:y/z",
            "/a b/é?x=1&y=a b#frag",
            "/../../etc",
            "/projects/%2e%2e/x",
            "//evil.example/x",
            "",
            "relative",
        ];
        for base in [
            "https://app.himetrica.com/api/v1",
            "https://app.himetrica.com/api/v1/",
            "http://127.0.0.1:8080",
            "https://example.com/api/v1?tenant=a",
        ] {
            let client = ApiClient::new(Url::parse(base).unwrap(), None, Limits::default());
            for path in paths {
                let text = format!("{}{path}", base.trim_end_matches('/'));
                assert_eq!(
                    client.url_for(path).map_err(|_| ()),
                    Url::parse(&text).map_err(|_| ()),
                    "{base} + {path}"
                );
            }
        }
    }
}
