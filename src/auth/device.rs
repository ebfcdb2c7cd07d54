//! Device sign-in (RFC 8628) for SSH sessions and machines without a browser: the server hands
//! out a user code, the person approves it on any other device, and this side polls the token
//! endpoint at the server's interval (the `oauth2` crate honours `slow_down`) until approval,
//! denial, expiry or Ctrl-C. It never opens a browser and never prints a device code or token.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenUrl,
};

use super::client::Chosen;
use super::flow::{ClientSource, LoginOptions, Target, issued, target};
use super::metadata::Probe;
use super::requests::AuthHttp;
use super::{AuthError, client, registration};
use crate::config::Settings;
use crate::credentials::OAuthTokens;

/// What a device sign-in yields: the tokens and how the client id was found.
pub struct DeviceSignedIn {
    pub tokens: OAuthTokens,
    pub client_source: ClientSource,
}

/// Runs the device sign-in for the resource at `resource_url`. Prints the verification URL
/// (and the complete one with the code) and the user code to stderr.
pub async fn login(
    settings: &Settings,
    resource_url: &url::Url,
    probe: Probe<'_>,
    options: &LoginOptions,
) -> Result<DeviceSignedIn, AuthError> {
    let http = AuthHttp::new();
    let Target {
        server,
        resource,
        scopes,
    } = target(&http, settings, resource_url, probe, options).await?;
    let endpoint = server
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| AuthError::NoDevice(server.issuer.clone()))?;

    // The client: pre-registered, a metadata document, else a fresh registration for the
    // device grant (not remembered: a browser sign-in's registration has a redirect URI).
    let chosen =
        client::before_registration(&settings.oauth, &server, options.client_secret.clone())?;
    let chosen = match chosen {
        Some(chosen) => chosen,
        None => {
            let registration_endpoint = server
                .registration_endpoint
                .as_deref()
                .ok_or_else(|| client::no_registration(&server))?;
            let r = registration::register(
                &http,
                &server,
                registration_endpoint,
                "http://127.0.0.1/callback",
                &scopes,
                true,
            )
            .await?;
            Chosen::new(
                r.registration.client_id,
                r.client_auth,
                ClientSource::Registered,
            )
        }
    };

    let invalid = |what: &str| AuthError::Device(format!("the {what} is not a valid URL"));
    let client = BasicClient::new(ClientId::new(chosen.id.clone()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(endpoint).map_err(|_| invalid("device endpoint"))?,
        )
        .set_token_uri(
            TokenUrl::new(server.token_endpoint.clone()).map_err(|_| invalid("token endpoint"))?,
        );
    let client = client::with_secret(client, chosen.auth.as_ref());
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .add_extra_param("resource", resource.clone())
        .request_async(&http)
        .await
        .map_err(|e| AuthError::Device(super::describe_token_error(&e)))?;

    // Ctrl-C is listened for before the prompt says it may be pressed (tokio installs the
    // handler when the future is first polled).
    let mut cancel = Box::pin(tokio::signal::ctrl_c());
    std::future::poll_fn(|cx| {
        let _ = cancel.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;

    let clean = |s: &str| crate::text::clean(s, 300);
    let verify = clean(details.verification_uri().as_str());
    crate::output::note(&format!(
        "To sign in to {}, open {verify} on any device and enter the code:\n\n  {}\n",
        server.issuer,
        clean(details.user_code().secret())
    ));
    if let Some(complete) = details.verification_uri_complete() {
        crate::output::note(&format!(
            "Or open this URL, which carries the code:\n\n  {}\n",
            clean(complete.secret())
        ));
    }
    let expires = details.expires_in();
    crate::output::note(&format!(
        "Waiting for the approval (the code expires in {} s; Ctrl-C to cancel)…",
        expires.as_secs()
    ));

    let poll = client
        .exchange_device_access_token(&details)
        .add_extra_param("resource", resource.clone())
        .request_async(&http, tokio::time::sleep, Some(expires.min(MAX_WAIT)));
    let token = tokio::select! {
        token = poll => token.map_err(|e| AuthError::Device(super::describe_token_error(&e)))?,
        _ = &mut cancel => return Err(AuthError::Cancelled),
    };
    Ok(DeviceSignedIn {
        client_source: chosen.source,
        tokens: issued(&token, server, resource, scopes, chosen),
    })
}

/// How long a device sign-in may take at most, whatever the server says.
pub const MAX_WAIT: Duration = Duration::from_secs(30 * 60);
