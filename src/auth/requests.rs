//! HTTP for sign-in: discovery, registration, token and revocation requests.
//!
//! One reqwest client that never follows redirects (a redirect could carry a code or a
//! refresh token to another host), with a timeout and a cap on every body. It also serves the
//! `oauth2` crate as its [`oauth2::AsyncHttpClient`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::AuthError;

/// Answers from authorization servers are small; anything larger is refused.
const MAX_BODY: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(20);

/// An HTTP answer, read whole (within [`MAX_BODY`]).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Clone)]
pub struct AuthHttp {
    /// Built on the first request: a token manager made at start-up may never need it.
    client: std::sync::Arc<crate::http::LazyClient>,
}

impl Default for AuthHttp {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthHttp {
    pub fn new() -> Self {
        let client = crate::http::LazyClient::new(TIMEOUT, |b, timeout| {
            b.connect_timeout(Duration::from_secs(10)).timeout(timeout)
        });
        Self {
            client: std::sync::Arc::new(client),
        }
    }

    pub async fn get(&self, url: &Url) -> Result<Answer, AuthError> {
        self.send(
            self.client
                .get()
                .get(url.clone())
                .header("accept", "application/json"),
        )
        .await
    }

    pub async fn post_json(&self, url: &Url, body: &Value) -> Result<Answer, AuthError> {
        self.send(self.client.get().post(url.clone()).json(body))
            .await
    }

    /// POSTs a JSON-RPC message as an MCP Streamable HTTP client does (to read the challenge
    /// a protected MCP server answers with).
    pub async fn post_mcp(
        &self,
        url: &Url,
        body: &Value,
        session: Option<&str>,
    ) -> Result<Answer, AuthError> {
        let mut request = self
            .client
            .get()
            .post(url.clone())
            .header("accept", "application/json, text/event-stream")
            .json(body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        self.send(request).await
    }

    /// POSTs an `application/x-www-form-urlencoded` body (which may hold a token).
    pub async fn post_form(&self, url: &Url, form: String) -> Result<Answer, AuthError> {
        self.send(
            self.client
                .get()
                .post(url.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form),
        )
        .await
    }

    /// [`Self::post_form`] with the client authenticated by HTTP Basic (RFC 6749 §2.3.1: the
    /// id and secret each form-encoded first).
    pub async fn post_form_basic(
        &self,
        url: &Url,
        form: String,
        client_id: &str,
        secret: &str,
    ) -> Result<Answer, AuthError> {
        use base64::Engine;
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(client_id),
            encode(secret)
        ));
        self.send(
            self.client
                .get()
                .post(url.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", format!("Basic {credentials}"))
                .body(form),
        )
        .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, AuthError> {
        let request = request
            .build()
            .map_err(|e| AuthError::Http(format!("could not build a request: {e}")))?;
        execute(self.client.get(), request)
            .await
            .map_err(AuthError::Http)
    }
}

/// Sends `request` and reads the answer within the body cap. Errors name the origin only,
/// never the query (which may hold a code).
async fn execute(client: &reqwest::Client, request: reqwest::Request) -> Result<Answer, String> {
    let origin = request.url().origin().ascii_serialization();
    let mut response = client
        .execute(request)
        .await
        .map_err(|e| describe(&origin, &e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&origin, &e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("{origin} answered with more than 1 MiB"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn describe(origin: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!(
            "{origin} did not answer within {} seconds",
            TIMEOUT.as_secs()
        )
    } else if e.is_connect() {
        format!(
            "could not connect to {origin}: {}",
            crate::http::transport_cause(e)
        )
    } else {
        format!("the request to {origin} failed")
    }
}

/// The error the `oauth2` crate sees from this client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(String);

type Pending<'c> =
    Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send + 'c>>;

impl<'c> oauth2::AsyncHttpClient<'c> for AuthHttp {
    type Error = TransportError;
    type Future = Pending<'c>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| TransportError(format!("could not build a request: {e}")))?;
            let answer = execute(self.client.get(), request)
                .await
                .map_err(TransportError)?;
            let mut builder = oauth2::http::Response::builder().status(answer.status);
            for (name, value) in &answer.headers {
                builder = builder.header(name, value);
            }
            builder
                .body(answer.body)
                .map_err(|e| TransportError(e.to_string()))
        })
    }
}
