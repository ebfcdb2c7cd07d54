//! The authorization endpoint: the consent page (Approve / Deny) for a known client and one of
//! its redirect URIs (a loopback one matches on any port, RFC 8252 §7.3), and the decision
//! that sends the browser back with a code or `access_denied`, the `state` and the `iss`.
//! Errors about the client or redirect URI are shown on the page, never sent to an unverified
//! redirect URI. Imports the parent module and [`super::clients`] (through
//! [`AuthServer::client`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{AuthServer, Code, Pending, SCOPE, bump, redirect};
use analytics_mcp::demo::data;
use analytics_mcp::text::escape;

/// The authorization request's query (RFC 6749 §4.1.1, PKCE, RFC 8707 `resource`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Request {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    code_challenge_method: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
}

/// The consent page's answer.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Decision {
    request: String,
    decision: String,
}

fn page_error(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p id=\"error\">{}</p>",
            escape(msg)
        )),
    )
        .into_response()
}

/// `GET /oauth/authorize`.
pub(super) async fn consent(
    State(server): State<Arc<AuthServer>>,
    Query(q): Query<Request>,
) -> Response {
    let client = match server.client(&q.client_id).await {
        Ok(c) => c,
        Err(why) => return page_error(&why),
    };
    let loopback_any_port = |registered: &String| {
        let (Ok(r), Ok(u)) = (
            url::Url::parse(registered),
            url::Url::parse(&q.redirect_uri),
        ) else {
            return false;
        };
        r.port().is_none()
            && r.host_str() == Some("127.0.0.1")
            && u.host_str() == Some("127.0.0.1")
            && r.path() == u.path()
    };
    if !client.redirect_uris.contains(&q.redirect_uri)
        && !client.redirect_uris.iter().any(loopback_any_port)
    {
        return page_error("redirect_uri is not registered for this client.");
    }
    let Ok(back) = url::Url::parse(&q.redirect_uri) else {
        return page_error("redirect_uri is not a URL.");
    };
    let bounce = |error: &str| {
        let mut to = back.clone();
        to.query_pairs_mut().append_pair("error", error);
        if let Some(s) = &q.state {
            to.query_pairs_mut().append_pair("state", s);
        }
        redirect(to.as_str())
    };
    if q.response_type != "code" {
        return bounce("unsupported_response_type");
    }
    let method = q.code_challenge_method.as_deref().unwrap_or("plain");
    if q.code_challenge.is_empty() || !server.options.pkce_methods.iter().any(|m| m == method) {
        return bounce("invalid_request");
    }
    let scope = q.scope.clone().unwrap_or_else(|| SCOPE.to_string());
    if scope.split_whitespace().any(|s| s != SCOPE) {
        return bounce("invalid_scope");
    }
    let request_id = crate::random("sbx_req_");
    let redirect_host = back
        .host_str()
        .map(|h| format!("{h}:{}", back.port_or_known_default().unwrap_or(0)))
        .unwrap_or_default();
    server.inner().pending.insert(
        request_id.clone(),
        Pending {
            client_id: q.client_id,
            redirect_uri: q.redirect_uri,
            state: q.state,
            challenge: q.code_challenge,
            resource: q.resource,
            scope: scope.clone(),
        },
    );
    bump(&server.counters.consents_shown);
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {client} · Himetrica sandbox</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}}</style></head>
<body>
<h1>Allow <span id="client">{client}</span> to read <span id="project">{project}</span>?</h1>
<p>It will be able to read this project's analytics ({scope}). It cannot change anything.</p>
<p>After you decide, you will be sent back to <code id="redirect-host">{host}</code>.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request" value="{request}">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
</body></html>"#,
        client = escape(&client.name),
        project = escape(data::PROJECT_NAME),
        scope = escape(&scope),
        host = escape(&redirect_host),
        request = escape(&request_id),
    ))
    .into_response()
}

/// `POST /oauth/authorize`: Approve or Deny on the consent page.
pub(super) async fn decide(
    State(server): State<Arc<AuthServer>>,
    Form(f): Form<Decision>,
) -> Response {
    let Some(p) = server.inner().pending.remove(&f.request) else {
        return (
            StatusCode::BAD_REQUEST,
            Html("<p id=\"error\">This request has expired; start again.</p>"),
        )
            .into_response();
    };
    let Ok(mut to) = url::Url::parse(&p.redirect_uri) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if f.decision == "approve" {
        let code = crate::random("sbx_code_");
        server.inner().codes.insert(
            code.clone(),
            Code {
                client_id: p.client_id,
                redirect_uri: p.redirect_uri,
                challenge: p.challenge,
                resource: p.resource,
                scope: p.scope,
                issued: Instant::now(),
            },
        );
        bump(&server.counters.approvals);
        to.query_pairs_mut().append_pair("code", &code);
    } else {
        bump(&server.counters.denials);
        to.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The request was denied.");
    }
    if let Some(s) = &p.state {
        to.query_pairs_mut().append_pair("state", s);
    }
    let origin = &server.origin;
    match server.options.iss.as_deref() {
        None => {
            to.query_pairs_mut().append_pair("iss", origin);
        }
        Some("") => {}
        Some(other) => {
            to.query_pairs_mut()
                .append_pair("iss", &other.replace("{issuer}", origin));
        }
    }
    redirect(to.as_str())
}
