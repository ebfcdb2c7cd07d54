//! The loopback redirect target: a one-shot HTTP server on `127.0.0.1` (never 0.0.0.0) that
//! takes the browser's return to `/callback`, checks `state` (and `iss`), hands the code to
//! the sign-in, and tells the person in the browser how it ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::AuthError;

/// What came back to `/callback`: a code (and a way to tell the browser the final outcome),
/// or why there is none.
pub struct Callback {
    pub code: String,
    /// Send the outcome of the exchange; the browser's page waits for it (up to 30 s).
    pub done: oneshot::Sender<Result<String, String>>,
}

/// A bound callback listener.
pub struct Listener {
    listener: TcpListener,
    pub port: u16,
}

/// Binds `127.0.0.1:port` (0: any free port). A busy pinned port is [`AuthError::PortBusy`].
pub async fn bind(port: u16) -> Result<Listener, AuthError> {
    match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => {
            let port = listener
                .local_addr()
                .map_err(|e| AuthError::Listen(e.to_string()))?
                .port();
            Ok(Listener { listener, port })
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && port != 0 => {
            Err(AuthError::PortBusy(port))
        }
        Err(e) => Err(AuthError::Listen(e.to_string())),
    }
}

impl Listener {
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Serves `/callback` until the first valid or failed return, checking `state` and, when
    /// given or required, `iss`.
    pub fn serve(self, state: String, issuer: String, iss_required: bool) -> Server {
        let (tx, rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            state,
            issuer,
            iss_required,
            tx: Mutex::new(Some(tx.clone())),
        });
        let app = Router::new()
            .route("/callback", get(callback))
            .fallback(|| async { (StatusCode::NOT_FOUND, "Not found") })
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(self.listener, app)
                .with_graceful_shutdown(async move { tx.closed().await })
                .await;
        });
        Server { returns: rx, task }
    }
}

/// The running callback server.
pub struct Server {
    pub returns: mpsc::Receiver<Result<Callback, AuthError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops listening once the page in flight has reached the browser (at most 3 s), so the
    /// person sees how it ended even though the program exits right after.
    pub async fn close(self) {
        drop(self.returns);
        let _ = tokio::time::timeout(Duration::from_secs(3), self.task).await;
    }
}

struct Shared {
    state: String,
    issuer: String,
    iss_required: bool,
    /// Taken by the first return that settles the sign-in; later ones are told it is over.
    tx: Mutex<Option<mpsc::Sender<Result<Callback, AuthError>>>>,
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(tx) = shared.tx.lock().ok().and_then(|mut t| t.take()) else {
        return page(
            StatusCode::GONE,
            "This sign-in is already over",
            "Return to the terminal.",
        );
    };
    let outcome = check(&shared, &params);
    let (result, reply) = match outcome {
        Ok(code) => {
            let (done, wait) = oneshot::channel();
            (Ok(Callback { code, done }), Some(wait))
        }
        Err(e) => (Err(e), None),
    };
    let failure = result.as_ref().err().map(ToString::to_string);
    if tx.send(result).await.is_err() {
        return page(
            StatusCode::GONE,
            "This sign-in is already over",
            "Return to the terminal.",
        );
    }
    match (reply, failure) {
        (Some(wait), _) => match tokio::time::timeout(Duration::from_secs(30), wait).await {
            Ok(Ok(Ok(who))) => page(
                StatusCode::OK,
                "Signed in",
                &format!(
                    "analytics-mcp is signed in{who}. You can close this tab and return to the terminal."
                ),
            ),
            Ok(Ok(Err(why))) => page(StatusCode::BAD_REQUEST, "Sign-in failed", &why),
            _ => page(
                StatusCode::OK,
                "Approved",
                "The terminal is finishing the sign-in; you can close this tab.",
            ),
        },
        (None, Some(why)) => page(StatusCode::BAD_REQUEST, "Sign-in failed", &why),
        (None, None) => page(StatusCode::BAD_REQUEST, "Sign-in failed", ""),
    }
}

/// The code, if the return is the one this sign-in is waiting for.
fn check(shared: &Shared, params: &HashMap<String, String>) -> Result<String, AuthError> {
    if params.get("state") != Some(&shared.state) {
        return Err(AuthError::StateMismatch);
    }
    match params.get("iss") {
        // RFC 9207 §2.4 (and SEP-2468): compared byte for byte, no normalization.
        Some(iss) if *iss != shared.issuer => {
            return Err(AuthError::IssuerMismatch(crate::text::clean(iss, 100)));
        }
        None if shared.iss_required => {
            return Err(AuthError::IssuerMismatch("no issuer in the answer".into()));
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        let detail = params
            .get("error_description")
            .map(|d| crate::text::clean(d, 200))
            .unwrap_or_default();
        return Err(if error == "access_denied" {
            AuthError::Denied(detail)
        } else {
            AuthError::Refused(crate::text::clean(&format!("{error} {detail}"), 200))
        });
    }
    params
        .get("code")
        .filter(|c| !c.is_empty())
        .cloned()
        .ok_or_else(|| AuthError::Refused("the answer carried no code".into()))
}

/// A small page for the browser tab. Every string is escaped.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · analytics-mcp</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}</style>\
         </head><body><h1 id=\"title\">{t}</h1><p id=\"detail\">{d}</p></body></html>",
        t = crate::text::escape(title),
        d = crate::text::escape(text)
    );
    (status, Html(body)).into_response()
}
