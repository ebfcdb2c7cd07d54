//! The HTTP side of an MCP upstream: rmcp's Streamable HTTP client transport over our
//! reqwest client, with the credential attached to every request — the current OAuth access
//! token (refreshed before expiry, and once after a 401) or a static key in its header.
//! Sessions the upstream forgets (HTTP 404) are re-established by rmcp
//! (`reinit_on_expired_session`).

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse,
};
use sse_stream::Sse;

use crate::auth::TokenManager;
use crate::credentials::{Bound, Secret};

/// How requests to the upstream are authenticated. Each credential is [`Bound`] to its
/// origin and attached only through [`Bound::for_request`].
#[derive(Clone)]
pub enum UpstreamAuth {
    None,
    /// A static key: `Authorization: Bearer <key>`, or `<header>: <key>`.
    Key {
        header: String,
        key: Bound,
    },
    OAuth(Arc<TokenManager>),
    /// The credential store could not be read; every request says so.
    Unreadable(String),
}

/// The scope a hosted server last said it needs (`403 insufficient_scope`), shared between
/// the transport that saw it and the bridge that explains it.
pub type WantedScope = Arc<std::sync::Mutex<Option<String>>>;

/// reqwest, plus the credential on every request.
#[derive(Clone)]
pub struct AuthedClient {
    http: reqwest::Client,
    auth: UpstreamAuth,
    wanted_scope: WantedScope,
    /// Set once a session's own GET stream (the one rmcp opens after `initialize`, without a
    /// `Last-Event-ID`) has been answered, or refused.
    session_stream: Arc<tokio::sync::watch::Sender<bool>>,
}

type Failure = StreamableHttpError<reqwest::Error>;

/// The largest SSE event accepted when rmcp does not say (its own default, 16 MiB).
const MAX_SSE_EVENT: usize = 16 * 1024 * 1024;

fn rejected(e: &Failure) -> bool {
    match e {
        StreamableHttpError::AuthRequired(_) => true,
        StreamableHttpError::HttpStatus(s) => s.status == 401,
        _ => false,
    }
}

impl AuthedClient {
    pub fn new(
        auth: UpstreamAuth,
        connect_timeout: std::time::Duration,
        wanted_scope: WantedScope,
    ) -> Self {
        // No redirects (see `http_client`): the token must not travel to another host.
        let http = crate::http::http_client(|b| b.connect_timeout(connect_timeout));
        Self {
            http,
            auth,
            wanted_scope,
            session_stream: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }

    /// Remembers the scope of an `insufficient_scope` answer (MCP step-up authorization).
    fn note_scope(&self, result: &Result<StreamableHttpPostResponse, Failure>) {
        if let Err(StreamableHttpError::InsufficientScope(e)) = result {
            let scope = e
                .required_scope
                .clone()
                .or_else(|| crate::auth::metadata::challenge_scope(&e.www_authenticate_header));
            // RFC 6749 §3.3 scope tokens: printable ASCII without `"` and `\`.
            let printable = |s: &String| {
                s.len() <= 500
                    && s.chars()
                        .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\'))
            };
            if let Some(scope) = scope.filter(printable) {
                *self.wanted_scope.lock().unwrap_or_else(|p| p.into_inner()) = Some(scope);
            }
        }
    }

    /// The bearer token and extra headers for the next request to `uri`: the one place a
    /// hosted request gets a credential, and only for the credential's own origin.
    async fn credential(
        &self,
        uri: &str,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(Option<String>, HashMap<HeaderName, HeaderValue>), Failure> {
        let for_uri = |bound: &Bound| {
            bound
                .for_request(uri)
                .map(str::to_string)
                .map_err(|e| StreamableHttpError::UnexpectedServerResponse(e.to_string().into()))
        };
        match &self.auth {
            UpstreamAuth::None => Ok((None, headers)),
            UpstreamAuth::Unreadable(why) => Err(StreamableHttpError::UnexpectedServerResponse(
                why.clone().into(),
            )),
            UpstreamAuth::Key { header, key } if header.eq_ignore_ascii_case("authorization") => {
                Ok((Some(for_uri(key)?), headers))
            }
            UpstreamAuth::Key { header, key } => {
                let name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                    StreamableHttpError::UnexpectedServerResponse(
                        format!("`{header}` is not a valid header name (key_header)").into(),
                    )
                })?;
                let mut value = HeaderValue::from_str(&for_uri(key)?).map_err(|_| {
                    StreamableHttpError::UnexpectedServerResponse(
                        "the stored key has characters a header cannot carry".into(),
                    )
                })?;
                value.set_sensitive(true);
                headers.insert(name, value);
                Ok((None, headers))
            }
            UpstreamAuth::OAuth(m) => {
                let token = m.bearer().await.map_err(token_failure)?;
                Ok((Some(for_uri(&token)?), headers))
            }
        }
    }

    /// After a 401: a refreshed token, or `None` when refreshing cannot help.
    async fn after_rejection(&self, sent: Option<&str>) -> Result<bool, Failure> {
        let (UpstreamAuth::OAuth(m), Some(sent)) = (&self.auth, sent) else {
            return Ok(false);
        };
        m.after_rejection(&Secret::new(sent.to_string()))
            .await
            .map_err(token_failure)?;
        Ok(true)
    }
}

fn token_failure(e: crate::auth::AuthError) -> Failure {
    StreamableHttpError::UnexpectedServerResponse(e.to_string().into())
}

impl StreamableHttpClient for AuthedClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        self.post_message_with_max_sse_event_size(
            uri,
            message,
            session_id,
            None,
            custom_headers,
            MAX_SSE_EVENT,
        )
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let (token, headers) = self.credential(&uri, custom_headers.clone()).await?;
        let first = self
            .http
            .post_message_with_max_sse_event_size(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                token.clone(),
                headers,
                max_sse_event_size,
            )
            .await;
        let answer = match first {
            Err(e) if rejected(&e) && self.after_rejection(token.as_deref()).await? => {
                let (token, headers) = self.credential(&uri, custom_headers).await?;
                self.http
                    .post_message_with_max_sse_event_size(
                        uri,
                        message,
                        session_id,
                        token,
                        headers,
                        max_sse_event_size,
                    )
                    .await
            }
            other => other,
        };
        self.note_scope(&answer);
        answer
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Failure> {
        let (token, headers) = self.credential(&uri, custom_headers).await?;
        self.http
            .delete_session(uri, session_id, token, headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            None,
            custom_headers,
            MAX_SSE_EVENT,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        let opens_session_stream = session_id.is_some() && last_event_id.is_none();
        let (token, headers) = self.credential(&uri, custom_headers).await?;
        let stream = self
            .http
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                token,
                headers,
                max_sse_event_size,
            )
            .await;
        if opens_session_stream {
            self.session_stream.send_replace(true);
        }
        stream
    }
}

/// The transport for `url`: our authenticated client, with sessions re-established when the
/// upstream forgets them; and a flag that turns true once the session's own GET stream has
/// been answered (a 2025-era server only; stateless servers have no such stream).
pub fn transport(
    url: &url::Url,
    auth: UpstreamAuth,
    connect_timeout: std::time::Duration,
    wanted_scope: WantedScope,
) -> (
    StreamableHttpClientTransport<AuthedClient>,
    tokio::sync::watch::Receiver<bool>,
) {
    let config =
        StreamableHttpClientTransportConfig::with_uri(url.as_str()).reinit_on_expired_session(true);
    let client = AuthedClient::new(auth, connect_timeout, wanted_scope);
    let session_stream = client.session_stream.subscribe();
    (
        StreamableHttpClientTransport::with_client(client, config),
        session_stream,
    )
}
