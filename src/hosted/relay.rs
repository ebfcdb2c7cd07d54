//! A 2025-era upstream's question to a 2026-07-28 downstream client. The older server asks
//! with an `elicitation/create` request in the middle of a call; the newer client can only be
//! asked through an `InputRequiredResult` and answers by calling again. So the upstream call
//! keeps running in a task, parked under a random `requestState` with the question's reply
//! channel; the client's retry (carrying that state and its answer) replies and picks the call
//! up again. One relayed call at a time per upstream (a second one waits for a plain error).
//! Imports rmcp only (`input` and `upstream` use it, not the other way round).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolResponse, ElicitRequestParams, ElicitResult, ElicitationAction, InputRequest,
    InputRequiredResult,
};
use tokio::sync::{mpsc, oneshot};

/// An upstream question and where its answer goes.
pub type Ask = (
    ElicitRequestParams,
    oneshot::Sender<Result<ElicitResult, McpError>>,
);

/// The key of the relayed question in the `InputRequiredResult`.
const KEY: &str = "elicitation";

/// A call waiting for the downstream client's answer.
struct Parked {
    reply: oneshot::Sender<Result<ElicitResult, McpError>>,
    call: Call,
}

/// The running upstream call and the questions it asks.
pub struct Call {
    task: tokio::task::JoinHandle<CallToolResponse>,
    asks: mpsc::Receiver<Ask>,
}

impl Drop for Call {
    fn drop(&mut self) {
        // A call nobody will pick up again (cancelled, or its client gone) stops upstream.
        self.task.abort();
    }
}

/// The relay of one upstream: where `input::Events` sends questions, and the calls
/// parked until their client answers.
#[derive(Clone, Default)]
pub struct Relay {
    asks: Arc<Mutex<Option<mpsc::Sender<Ask>>>>,
    parked: Arc<Mutex<HashMap<String, Parked>>>,
}

impl Relay {
    /// The sender for the relayed call in flight, if any.
    pub fn sender(&self) -> Option<mpsc::Sender<Ask>> {
        self.asks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Starts `work` as the relayed call, or picks up the call parked under `state` with the
    /// client's `answer`.
    pub fn start_or_resume(
        &self,
        state: Option<&str>,
        answer: Option<serde_json::Value>,
        work: impl FnOnce() -> tokio::task::JoinHandle<CallToolResponse>,
    ) -> Call {
        let parked = state.and_then(|s| {
            self.parked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(s)
        });
        if let Some(parked) = parked {
            let answer = answer
                .and_then(|a| serde_json::from_value::<ElicitResult>(a).ok())
                .unwrap_or_else(|| ElicitResult::new(ElicitationAction::Cancel));
            let _ = parked.reply.send(Ok(answer));
            return parked.call;
        }
        let (tx, rx) = mpsc::channel(1);
        *self.asks.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        Call {
            task: work(),
            asks: rx,
        }
    }

    /// Runs `call` until it ends or asks a question; a question parks it and becomes the
    /// `InputRequiredResult` for the client.
    pub async fn drive(&self, mut call: Call) -> CallToolResponse {
        tokio::select! {
            done = &mut call.task => {
                *self.asks.lock().unwrap_or_else(|p| p.into_inner()) = None;
                done.unwrap_or_else(|e| rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(format!("the call failed: {e}"))]).into())
            }
            Some((question, reply)) = call.asks.recv() => {
                let state = format!("relay-{:016x}", fastrand::u64(..));
                let request: Result<InputRequest, _> = serde_json::from_value(serde_json::json!({
                    "method": "elicitation/create",
                    "params": question,
                }));
                let Ok(request) = request else {
                    let _ = reply.send(Err(McpError::internal_error("unreadable question", None)));
                    return Box::pin(self.drive(call)).await;
                };
                self.parked
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(state.clone(), Parked { reply, call });
                let requests = [(KEY.to_string(), request)].into_iter().collect();
                InputRequiredResult::new(Some(requests), Some(state)).into()
            }
        }
    }

    /// The client's answer to the relayed question in `responses`.
    pub fn answer(responses: Option<&rmcp::model::InputResponses>) -> Option<serde_json::Value> {
        responses.and_then(|r| r.get(KEY)).cloned()
    }
}
