//! The documents that describe the sandbox's authorization: RFC 9728 protected-resource
//! metadata for the Read API and the hosted MCP endpoint, and RFC 8414 server metadata saying
//! which endpoints, methods and switches are on. Imports only the parent module.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{AuthServer, SCOPE};
use crate::{API_PREFIX, MCP_PATH};

fn resource(server: &AuthServer, path: &str, name: &str) -> Json<Value> {
    let origin = &server.origin;
    Json(json!({
        "resource": format!("{origin}{path}"),
        "authorization_servers": [origin],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    }))
}

/// `/.well-known/oauth-protected-resource[/api/v1]`: the Read API.
pub(super) async fn api(State(server): State<Arc<AuthServer>>) -> Json<Value> {
    resource(&server, API_PREFIX, "Himetrica sandbox Read API")
}

/// `/.well-known/oauth-protected-resource/mcp`: the hosted MCP endpoint.
pub(super) async fn mcp(State(server): State<Arc<AuthServer>>) -> Json<Value> {
    resource(&server, MCP_PATH, "Sandbox hosted MCP server")
}

/// `/.well-known/oauth-authorization-server`.
pub(super) async fn server(State(server): State<Arc<AuthServer>>) -> Json<Value> {
    let (o, origin) = (&server.options, &server.origin);
    let mut m = json!({
        "issuer": origin,
        "authorization_endpoint": o.authorization_endpoint.clone()
            .unwrap_or_else(|| format!("{origin}/oauth/authorize")),
        "token_endpoint": format!("{origin}/oauth/token"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": o.pkce_methods,
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": o.metadata_documents,
    });
    if o.registration && o.confidential.is_none() {
        m["registration_endpoint"] = format!("{origin}/oauth/register").into();
    }
    if o.revocation {
        m["revocation_endpoint"] = format!("{origin}/oauth/revoke").into();
        if let Some(methods) = &o.revocation_auth_methods {
            m["revocation_endpoint_auth_methods_supported"] = json!(methods);
        }
    }
    if o.device {
        m["device_authorization_endpoint"] = format!("{origin}/oauth/device").into();
    }
    if o.confidential.is_some() {
        m["token_endpoint_auth_methods_supported"] = json!(["client_secret_basic"]);
    }
    Json(m)
}
