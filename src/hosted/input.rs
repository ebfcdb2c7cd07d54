//! What the hosted server sends or asks our side of the bridge: list-changed notifications
//! go on to the downstream client, and input requests (elicitation) are answered by it when it
//! declared that capability. A 2025-era upstream asks with an `elicitation/create` request
//! ([`Events`]); a 2026-07-28 upstream answers a call with an `InputRequiredResult`
//! ([`Asker::answer`]), which goes through unchanged to a 2026-07-28 downstream client (it
//! retries the call itself) or is turned into `elicitation/create` requests to an older one.
//! A 2025-era server's question to a 2026-07-28 client goes through [`Relay`]. An accepted form
//! reaches the server with the defaults of the fields the person left out ([`with_defaults`],
//! SEP-1034). Imports rmcp and its siblings.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    Implementation, InputRequest, InputRequiredResult, InputResponses,
};
use rmcp::service::{NotificationContext, Peer, RequestContext};
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, RoleServer};

use super::relay::Relay;

/// Why an input request went unanswered, for the tool result.
pub const CANNOT_ASK: &str = "needs an answer from the user (the hosted server asked for input), and the MCP client in front of this bridge did not declare the elicitation capability, so it cannot answer input requests; use a client that supports elicitation, or call another tool";

/// Our client side of the upstream connection.
#[derive(Clone, Default)]
pub struct Events {
    /// The downstream client, once it has initialized (2025-era clients).
    pub downstream: Arc<OnceLock<Peer<RoleServer>>>,
    /// Set when an input request was refused because the downstream cannot answer it.
    pub refused: Arc<AtomicBool>,
    /// Questions for a 2026-07-28 downstream client.
    pub relay: Relay,
}

impl Events {
    /// Whether an input request was refused since the last call (and clears it).
    pub fn take_refused(&self) -> bool {
        self.refused.swap(false, Ordering::Relaxed)
    }
}

impl ClientHandler for Events {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(Default::default());
        ClientConfig::new(
            capabilities,
            Implementation::new("analytics-mcp", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        if let Some(peer) = self.downstream.get().filter(|p| declares_elicitation(p)) {
            return peer
                .create_elicitation(request.clone())
                .await
                .map(|answer| with_defaults(&request, answer))
                .map_err(|e| McpError::internal_error(e.to_string(), None));
        }
        if let Some(relay) = self.relay.sender() {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if relay.send((request.clone(), reply)).await.is_ok()
                && let Ok(answer) = answer.await
            {
                return answer.map(|answer| with_defaults(&request, answer));
            }
        }
        self.refused.store(true, Ordering::Relaxed);
        Err(McpError::invalid_request(CANNOT_ASK, None))
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_tool_list_changed().await;
        }
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_prompt_list_changed().await;
        }
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        if let Some(peer) = self.downstream.get() {
            let _ = peer.notify_resource_list_changed().await;
        }
    }
}

fn declares_elicitation(peer: &Peer<RoleServer>) -> bool {
    peer.peer_info()
        .is_some_and(|info| info.capabilities.elicitation.is_some())
}

/// The downstream client of one call, as far as input requests go.
pub enum Asker {
    /// A 2026-07-28 client that declared elicitation: it gets the `InputRequiredResult`.
    Modern,
    /// An older client that declared elicitation: it gets `elicitation/create` requests.
    Session(Peer<RoleServer>),
    /// A client that cannot answer (or the terminal's `call`).
    Nobody,
}

/// What to do with an upstream `InputRequiredResult`.
pub enum Answer {
    /// Pass it to the downstream client as it is.
    PassOn(InputRequiredResult),
    /// Retry upstream with these responses and the echoed state.
    Retry(Option<InputResponses>, Option<String>),
    /// Tell the model: nobody here can answer.
    Refused,
}

impl Asker {
    /// The asker for the request in `context`.
    pub fn of(context: &RequestContext<RoleServer>) -> Self {
        let elicits = context
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        let modern = context
            .meta
            .protocol_version()
            .is_some_and(|v| v.as_str() >= rmcp::model::ProtocolVersion::V_2026_07_28.as_str());
        match (elicits, modern) {
            (false, _) => Self::Nobody,
            (true, true) => Self::Modern,
            (true, false) => Self::Session(context.peer.clone()),
        }
    }

    pub async fn answer(&self, result: InputRequiredResult) -> Result<Answer, String> {
        let peer = match self {
            Self::Nobody => return Ok(Answer::Refused),
            Self::Modern => return Ok(Answer::PassOn(result)),
            Self::Session(peer) => peer,
        };
        let mut responses = InputResponses::new();
        for (key, request) in result.input_requests.unwrap_or_default() {
            let InputRequest::Elicitation(request) = request else {
                // Sampling and roots are not bridged: nobody here can answer them.
                return Ok(Answer::Refused);
            };
            let answer = peer
                .create_elicitation(request.params.clone())
                .await
                .map_err(|e| format!("the MCP client did not answer the input request: {e}"))?;
            let answer = with_defaults(&request.params, answer);
            responses.insert(key, serde_json::to_value(answer).unwrap_or_default());
        }
        Ok(Answer::Retry(
            (!responses.is_empty()).then_some(responses),
            result.request_state,
        ))
    }
}

/// An accepted form answer with the requested schema's `default` filled in for every field the
/// answer leaves out (SEP-1034: a client applies the defaults it offered; a downstream client
/// that does not pre-fill its form answers with only what the person changed). Declined and
/// cancelled answers, URL elicitations and fields the person did fill in are left as they are.
pub fn with_defaults(request: &ElicitRequestParams, mut answer: ElicitResult) -> ElicitResult {
    let ElicitRequestParams::FormElicitationParams {
        requested_schema, ..
    } = request
    else {
        return answer;
    };
    if answer.action != ElicitationAction::Accept {
        return answer;
    }
    let Ok(serde_json::Value::Object(schema)) = serde_json::to_value(requested_schema) else {
        return answer;
    };
    let Some(serde_json::Value::Object(fields)) = schema.get("properties") else {
        return answer;
    };
    let content = answer
        .content
        .get_or_insert_with(|| serde_json::Value::Object(Default::default()));
    let Some(content) = content.as_object_mut() else {
        return answer;
    };
    for (name, field) in fields {
        if let Some(default) = field.get("default") {
            content
                .entry(name.clone())
                .or_insert_with(|| default.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> ElicitRequestParams {
        serde_json::from_value(json!({
            "mode": "form",
            "message": "Your details",
            "requestedSchema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "default": "John Doe"},
                    "age": {"type": "integer", "default": 30},
                    "score": {"type": "number", "default": 95.5},
                    "status": {"type": "string", "enum": ["active", "inactive"], "default": "active"},
                    "verified": {"type": "boolean", "default": true},
                    "note": {"type": "string"}
                }
            }
        }))
        .expect("a form request")
    }

    #[test]
    fn an_accepted_form_gets_the_defaults_of_the_fields_left_out() {
        let answer = ElicitResult::new(ElicitationAction::Accept).with_content(json!({"age": 41}));
        let filled = with_defaults(&form(), answer);
        assert_eq!(
            filled.content,
            Some(
                json!({"name": "John Doe", "age": 41, "score": 95.5, "status": "active", "verified": true})
            )
        );
        let empty = with_defaults(&form(), ElicitResult::new(ElicitationAction::Accept));
        assert_eq!(empty.content.expect("content")["verified"], true);
    }

    #[test]
    fn declined_and_cancelled_answers_are_left_alone() {
        for action in [ElicitationAction::Decline, ElicitationAction::Cancel] {
            let answer = with_defaults(&form(), ElicitResult::new(action.clone()));
            assert_eq!(answer.content, None);
        }
    }
}
