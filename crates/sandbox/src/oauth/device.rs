//! RFC 8628 device authorization: a device code and a user code for a known client, the
//! verification page where a person approves or denies the code, and the device grant polled
//! at the token endpoint (`authorization_pending`, `slow_down` when too soon, `expired_token`,
//! `access_denied`). Imports the parent module, [`super::clients`] (through
//! [`AuthServer::client`] and [`AuthServer::authenticate`]); tokens are issued by the parent's
//! [`AuthServer::issue`], kept with the token endpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use super::{
    AuthServer, DEVICE_INTERVAL_SECS, DEVICE_TTL, Device, SCOPE, bump, oauth_error, same_resource,
};
use analytics_mcp::text::escape;

/// A device authorization request (RFC 8628 §3.1).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DeviceRequest {
    client_id: String,
    client_secret: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
}

/// `POST /oauth/device` (RFC 8628 §3.1–3.2).
pub(super) async fn authorization(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    Form(mut f): Form<DeviceRequest>,
) -> Response {
    if let Err(refused) =
        server.at_token_endpoint(&headers, &mut f.client_id, f.client_secret.as_deref())
    {
        return refused;
    }
    if server.client(&f.client_id).await.is_err() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let device_code = crate::random("sbx_device_");
    // Eight letters a person can type, BCDF-GHJK style (RFC 8628 §6.1).
    let letters: Vec<char> = "BCDFGHJKLMNPQRSTVWXZ".chars().collect();
    let raw = crate::random("");
    let user_code: String = raw
        .bytes()
        .take(8)
        .enumerate()
        .flat_map(|(i, b)| {
            let c = letters[b as usize % letters.len()];
            if i == 4 { vec!['-', c] } else { vec![c] }
        })
        .collect();
    server.inner().devices.insert(
        device_code.clone(),
        Device {
            client_id: f.client_id,
            user_code: user_code.clone(),
            scope: f.scope.unwrap_or_else(|| SCOPE.to_string()),
            resource: f.resource,
            issued: Instant::now(),
            last_poll: None,
            decision: None,
        },
    );
    let verify = format!("{}/oauth/device/verify", server.origin);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verify,
        "verification_uri_complete": format!("{verify}?user_code={user_code}"),
        "expires_in": DEVICE_TTL.as_secs(),
        "interval": DEVICE_INTERVAL_SECS,
    }))
    .into_response()
}

/// The device grant (RFC 8628 §3.4–3.5), from the token endpoint.
pub(super) fn poll(
    server: &AuthServer,
    device_code: &str,
    client_id: &str,
    resource: Option<&str>,
) -> Response {
    let mut inner = server.inner();
    inner.device_polls += 1;
    let Some(d) = inner.devices.get_mut(device_code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown device code",
        );
    };
    if d.client_id != client_id || !same_resource(d.resource.as_deref(), resource) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "another client's code, or another resource",
        );
    }
    if d.issued.elapsed() > DEVICE_TTL {
        return oauth_error(StatusCode::BAD_REQUEST, "expired_token", "the code expired");
    }
    // A little slack for timers: a poll at the interval is on time.
    let interval = Duration::from_secs(DEVICE_INTERVAL_SECS) - Duration::from_millis(100);
    let too_soon = d.last_poll.is_some_and(|at| at.elapsed() < interval);
    d.last_poll = Some(Instant::now());
    if too_soon {
        inner.slow_downs += 1;
        return oauth_error(StatusCode::BAD_REQUEST, "slow_down", "poll less often");
    }
    match d.decision {
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            "the person has not answered yet",
        ),
        Some(false) => {
            inner.devices.remove(device_code);
            drop(inner);
            bump(&server.counters.denials);
            oauth_error(
                StatusCode::BAD_REQUEST,
                "access_denied",
                "the person said no",
            )
        }
        Some(true) => {
            let (client_id, scope) = (d.client_id.clone(), d.scope.clone());
            inner.devices.remove(device_code);
            drop(inner);
            bump(&server.counters.approvals);
            bump(&server.counters.code_exchanges);
            server.issue(&client_id, server.new_family(), &scope)
        }
    }
}

/// The verification page's query and form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Verification {
    user_code: String,
    decision: String,
}

/// `GET /oauth/device/verify`: the code's sign-in, with Approve and Deny.
pub(super) async fn page(Query(q): Query<Verification>) -> Response {
    Html(format!(
        "<!doctype html><title>Device sign-in</title><h1>Sign in a device</h1>\
         <form method=\"post\"><label>Code <input name=\"user_code\" value=\"{c}\"></label>\
         <button name=\"decision\" value=\"approve\">Approve</button>\
         <button name=\"decision\" value=\"deny\">Deny</button></form>",
        c = escape(&q.user_code)
    ))
    .into_response()
}

/// `POST /oauth/device/verify`: the person's answer.
pub(super) async fn decide(
    State(server): State<Arc<AuthServer>>,
    Form(f): Form<Verification>,
) -> Response {
    let approve = f.decision == "approve";
    if server.decide_device(&f.user_code, approve) {
        Html(if approve {
            "<p id=\"done\">Approved; return to your device.</p>"
        } else {
            "<p id=\"done\">Denied.</p>"
        })
        .into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Html("<p id=\"error\">No sign-in is waiting for that code.</p>"),
        )
            .into_response()
    }
}
