//! The stdio transport: rmcp's [`Transport`] over the client's pipes.
//!
//! It frames the input once (tokio-util's `LinesCodec`, bounded at [`MAX_LINE_BYTES`]: a
//! longer line is refused and skipped as it streams by, never held whole), has `guard` check
//! each line (parsed once, into rmcp's message), and answers what `guard` refuses itself.
//! It keeps at most `max_in_flight` requests with rmcp: past that `receive` waits, so stdin
//! is not read and further requests queue, in order, in the client's pipe, and memory stays
//! flat whatever the client writes. A slot is freed once the request's answer is queued for
//! stdout (a bounded queue, so a client slow to read stdout slows its requests too), or by
//! the client's `notifications/cancelled` (rmcp sends no answer to a cancelled request).
//!
//! It owns stdout: rmcp's messages and the transport's own answers go through one writer
//! task, a whole line at a time, so nothing but JSON-RPC lines ever reaches stdout.
//! Uses `guard`, `stdio` (the streams themselves) and rmcp.

use std::collections::HashSet;
use std::io;
use std::sync::{Arc, PoisonError};

use futures_util::StreamExt;
use rmcp::model::{ClientNotification, ClientRequest, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::{RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder, FramedRead, LinesCodec, LinesCodecError};

use super::guard::{self, Verdict, error_line};
use super::stdio;

/// The largest JSON-RPC line accepted from the client.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Serves `server` on this process's stdin/stdout until the client closes stdin, with at
/// most `max_in_flight` requests being worked on at once.
pub async fn serve_stdio<S: ServerHandler>(server: S, max_in_flight: usize) -> anyhow::Result<()> {
    // `_restore` lives until serving ends: then stdin and stdout block again.
    let (input, output, _restore) = stdio::open();
    serve_on(server, input, output, max_in_flight).await
}

/// Serves on any reader/writer pair (stdio in production, pipes in tests).
pub async fn serve_on<S, R, W>(
    server: S,
    input: R,
    output: W,
    max_in_flight: usize,
) -> anyhow::Result<()>
where
    S: ServerHandler,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, writer) = writer(output);
    match server
        .serve(StdioTransport::new(input, out, max_in_flight))
        .await
    {
        Ok(running) => {
            let _ = running.waiting().await;
        }
        Err(e) => tracing::debug!("session ended before initialization: {e}"),
    }
    // The transport is gone with the session: the writer ends once its queue is written.
    let _ = writer.await;
    Ok(())
}

/// How many lines may wait for stdout.
const QUEUED_LINES: usize = 256;

/// The one writer of `output`: whole lines, in the order they are queued.
fn writer<W: AsyncWrite + Unpin + Send + 'static>(
    mut output: W,
) -> (mpsc::Sender<Vec<u8>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUED_LINES);
    let task = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
                tracing::warn!("writing stdout failed: the client is gone");
                break;
            }
        }
    });
    (tx, task)
}

/// One line as framed: its text, or why it has none.
enum Frame {
    Line(String),
    TooLong,
    NotUtf8,
}

/// `LinesCodec` with its refusals as frames: an error would end `FramedRead`'s stream, and
/// a line already buffered behind it would wait for more input.
struct Lines(LinesCodec);

impl Decoder for Lines {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Frame>> {
        Ok(frame(self.0.decode(buf)))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Frame>> {
        Ok(frame(self.0.decode_eof(buf)))
    }
}

fn frame(decoded: Result<Option<String>, LinesCodecError>) -> Option<Frame> {
    match decoded {
        Ok(line) => line.map(Frame::Line),
        // The codec skips the rest of the line itself.
        Err(LinesCodecError::MaxLineLengthExceeded) => Some(Frame::TooLong),
        // Its only other error: the line (consumed) is not UTF-8. Read errors come from
        // `FramedRead`, not from the codec.
        Err(LinesCodecError::Io(_)) => Some(Frame::NotUtf8),
    }
}

/// The requests rmcp is working on, by id as rmcp reads it (`1.0` is `1`), each holding one
/// of `slots`' permits. The id leaves the set as its answer is sent (so the client may reuse
/// it as soon as it reads the answer); the permit comes back once the answer is written.
struct InFlight {
    slots: Semaphore,
    ids: std::sync::Mutex<HashSet<RequestId>>,
}

impl InFlight {
    fn ids(&self) -> std::sync::MutexGuard<'_, HashSet<RequestId>> {
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free slot (cancel-safe: a dropped wait takes none).
    async fn admit(&self, id: RequestId) {
        if let Ok(permit) = self.slots.acquire().await {
            permit.forget();
        }
        self.ids().insert(id);
    }

    fn holds(&self, id: &RequestId) -> bool {
        self.ids().contains(id)
    }

    /// Request `id` is settled: true if it was in flight, and so owes its slot back.
    fn settle(&self, id: &RequestId) -> bool {
        self.ids().remove(id)
    }

    fn give_back(&self) {
        self.slots.add_permits(1);
    }
}

/// What a message does to the slots.
enum Slot {
    /// Answered at once by rmcp (ping, initialize) or no request: takes none.
    None,
    /// Worked on: holds a slot until answered.
    Take(RequestId),
    /// `notifications/cancelled`: rmcp will not answer that request, so its slot is free.
    Free(RequestId),
}

fn slot_of(message: &RxJsonRpcMessage<RoleServer>) -> Slot {
    match message {
        JsonRpcMessage::Request(r) => match r.request {
            ClientRequest::PingRequest(_) | ClientRequest::InitializeRequest(_) => Slot::None,
            _ => Slot::Take(r.id.clone()),
        },
        JsonRpcMessage::Notification(n) => match &n.notification {
            ClientNotification::CancelledNotification(c) => {
                c.params.request_id.clone().map_or(Slot::None, Slot::Free)
            }
            _ => Slot::None,
        },
        _ => Slot::None,
    }
}

/// rmcp's [`Transport`] for `serve`'s stdio; see the module docs.
pub struct StdioTransport<R> {
    lines: FramedRead<R, Lines>,
    out: mpsc::Sender<Vec<u8>>,
    initialized: bool,
    in_flight: Arc<InFlight>,
    /// A request read but not yet handed over, waiting for a slot. Kept here because rmcp
    /// drops the `receive` future whenever something else is ready.
    waiting: Option<(RxJsonRpcMessage<RoleServer>, RequestId)>,
    /// The transport's last answer, being queued by its own task so that rmcp dropping
    /// `receive` cannot lose it.
    answering: Option<JoinHandle<bool>>,
}

impl<R: AsyncRead> StdioTransport<R> {
    /// Reads `input`; writes through `out`, the queue of [`writer`].
    pub fn new(input: R, out: mpsc::Sender<Vec<u8>>, max_in_flight: usize) -> Self {
        Self {
            lines: FramedRead::new(
                input,
                Lines(LinesCodec::new_with_max_length(MAX_LINE_BYTES)),
            ),
            out,
            initialized: false,
            in_flight: Arc::new(InFlight {
                slots: Semaphore::new(max_in_flight.max(1)),
                ids: std::sync::Mutex::default(),
            }),
            waiting: None,
            answering: None,
        }
    }

    fn answer(&mut self, line: Vec<u8>) {
        let out = self.out.clone();
        self.answering = Some(tokio::spawn(async move { out.send(line).await.is_ok() }));
    }
}

fn writer_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "stdout's writer has stopped")
}

impl<R: AsyncRead + Unpin + Send> Transport<RoleServer> for StdioTransport<R> {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        let answered = match &item {
            JsonRpcMessage::Response(r) => Some(&r.id),
            JsonRpcMessage::Error(e) => e.id.as_ref(),
            _ => None,
        };
        let owes_slot = answered.is_some_and(|id| self.in_flight.settle(id));
        let (out, in_flight) = (self.out.clone(), self.in_flight.clone());
        async move {
            let mut line = serde_json::to_vec(&item)?;
            line.push(b'\n');
            let queued = out.send(line).await;
            if owes_slot {
                in_flight.give_back();
            }
            queued.map_err(|_| writer_gone())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            // The last answer is queued before the next line is read: stdin waits on stdout.
            if let Some(answering) = self.answering.as_mut() {
                let queued = answering.await;
                self.answering = None;
                if !matches!(queued, Ok(true)) {
                    return None;
                }
            }
            if let Some((_, id)) = &self.waiting {
                // Past the cap this waits, and stdin is not read meanwhile.
                self.in_flight.admit(id.clone()).await;
                return self.waiting.take().map(|(message, _)| message);
            }
            let verdict = match self.lines.next().await? {
                Ok(Frame::Line(line)) => guard::check(&line, &mut self.initialized),
                Ok(Frame::TooLong) => Verdict::Answer(error_line(
                    &Value::Null,
                    -32600,
                    &format!(
                        "Invalid Request: message larger than {} MiB refused",
                        MAX_LINE_BYTES / (1024 * 1024)
                    ),
                )),
                Ok(Frame::NotUtf8) => Verdict::Answer(error_line(
                    &Value::Null,
                    -32700,
                    "Parse error: the line is not valid UTF-8",
                )),
                Err(e) => {
                    tracing::warn!("reading stdin failed: {e}");
                    return None;
                }
            };
            let message = match verdict {
                Verdict::Skip => continue,
                Verdict::Answer(line) => {
                    self.answer(line);
                    continue;
                }
                Verdict::Deliver(message) => message,
            };
            if let JsonRpcMessage::Request(r) = &message
                && self.in_flight.holds(&r.id)
            {
                // rmcp keeps one request per id: a second one would never be answered.
                self.answer(error_line(
                    &r.id.clone().into_json_value(),
                    -32600,
                    "Invalid Request: a request with this id is still in flight",
                ));
                continue;
            }
            match slot_of(&message) {
                Slot::None => return Some(message),
                Slot::Free(id) => {
                    if self.in_flight.settle(&id) {
                        self.in_flight.give_back();
                    }
                    return Some(message);
                }
                Slot::Take(id) => self.waiting = Some((message, id)),
            }
        }
    }

    async fn close(&mut self) -> io::Result<()> {
        if let Some(answering) = self.answering.take() {
            let _ = answering.await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use rmcp::model::{EmptyResult, ServerResult};
    use tokio::io::{AsyncBufReadExt, BufReader, DuplexStream};

    type Pipes = (
        StdioTransport<DuplexStream>,
        DuplexStream,
        tokio::io::Lines<BufReader<DuplexStream>>,
    );

    /// A transport with the client's ends of its stdin and stdout.
    fn transport(max_in_flight: usize) -> Pipes {
        let (stdin, client_in) = tokio::io::duplex(16 * 1024 * 1024);
        let (client_out, stdout) = tokio::io::duplex(1024 * 1024);
        let mut t = StdioTransport::new(stdin, writer(client_out).0, max_in_flight);
        t.initialized = true;
        (t, client_in, BufReader::new(stdout).lines())
    }

    fn call(id: i64) -> String {
        format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"x\"}}}}\n"
        )
    }

    fn id_of(message: Option<RxJsonRpcMessage<RoleServer>>) -> RequestId {
        match message {
            Some(JsonRpcMessage::Request(r)) => r.id,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    async fn next_answer(out: &mut tokio::io::Lines<BufReader<DuplexStream>>) -> Value {
        let line = out.next_line().await.unwrap().expect("an answer");
        serde_json::from_str(&line).unwrap()
    }

    #[tokio::test]
    async fn an_oversized_or_non_utf8_line_is_refused_and_the_next_one_read() {
        let (mut t, mut client, mut out) = transport(4);
        // Exactly the limit is read (and is not JSON); one byte more is refused.
        let mut data = vec![b'x'; MAX_LINE_BYTES];
        data.push(b'\n');
        data.extend(vec![b'x'; MAX_LINE_BYTES + 1]);
        data.extend_from_slice(b"\n\xff\xfe\n");
        data.extend_from_slice(call(1).as_bytes());
        client.write_all(&data).await.unwrap();
        let received = t.receive().await;
        let exact = next_answer(&mut out).await;
        assert_eq!(exact["error"]["code"], -32700, "{exact}");
        let big = next_answer(&mut out).await;
        assert_eq!(big["error"]["code"], -32600, "{big}");
        let message = big["error"]["message"].as_str().unwrap();
        assert!(message.contains("larger than 4 MiB"), "{big}");
        let bytes = next_answer(&mut out).await;
        assert_eq!(bytes["error"]["code"], -32700, "{bytes}");
        assert_eq!(id_of(received), RequestId::Number(1));
        drop(client);
        assert!(t.receive().await.is_none(), "stdin closed");
    }

    #[tokio::test]
    async fn past_the_cap_a_request_waits_until_an_answer_or_a_cancel_frees_a_slot() {
        let (mut t, mut client, mut out) = transport(2);
        for id in 1..=4 {
            client.write_all(call(id).as_bytes()).await.unwrap();
        }
        assert_eq!(id_of(t.receive().await), RequestId::Number(1));
        assert_eq!(id_of(t.receive().await), RequestId::Number(2));
        assert!(t.receive().now_or_never().is_none(), "the third waits");
        // An answer nobody asked for frees nothing.
        let stray = ServerJsonRpc::response(
            ServerResult::EmptyResult(EmptyResult {}),
            RequestId::Number(9),
        );
        t.send(stray).await.unwrap();
        assert!(t.receive().now_or_never().is_none(), "still waiting");
        let answer = ServerJsonRpc::response(
            ServerResult::EmptyResult(EmptyResult {}),
            RequestId::Number(1),
        );
        t.send(answer).await.unwrap();
        assert_eq!(next_answer(&mut out).await["id"], 9);
        assert_eq!(next_answer(&mut out).await["id"], 1);
        assert_eq!(id_of(t.receive().await), RequestId::Number(3));
        assert!(t.receive().now_or_never().is_none(), "the fourth waits");
        client
            .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":2.0}}\n")
            .await
            .unwrap();
        // The fourth was read already: the cancel behind it waits too, until ...
        let answer = ServerJsonRpc::response(
            ServerResult::EmptyResult(EmptyResult {}),
            RequestId::Number(3),
        );
        t.send(answer).await.unwrap();
        assert_eq!(id_of(t.receive().await), RequestId::Number(4));
        assert!(matches!(
            t.receive().await,
            Some(JsonRpcMessage::Notification(_))
        ));
        // ... the cancel freed request 2's slot: one more fits.
        client.write_all(call(5).as_bytes()).await.unwrap();
        assert_eq!(id_of(t.receive().await), RequestId::Number(5));
    }

    #[tokio::test]
    async fn a_second_request_with_an_id_in_flight_is_answered_with_that_id() {
        let (mut t, mut client, mut out) = transport(4);
        client.write_all(call(7).as_bytes()).await.unwrap();
        client.write_all(call(7).as_bytes()).await.unwrap();
        client
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}\n")
            .await
            .unwrap();
        client.write_all(call(8).as_bytes()).await.unwrap();
        assert_eq!(id_of(t.receive().await), RequestId::Number(7));
        assert_eq!(id_of(t.receive().await), RequestId::Number(8));
        for _ in 0..2 {
            let dup = next_answer(&mut out).await;
            assert_eq!(
                (dup["id"].clone(), dup["error"]["code"].clone()),
                (7.into(), (-32600).into()),
                "{dup}"
            );
        }
    }

    type ServerJsonRpc = TxJsonRpcMessage<RoleServer>;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        #[test]
        fn any_bytes_are_framed_into_lines_that_get_valid_answers(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            init in proptest::prelude::any::<bool>(),
        ) {
            let mut codec = Lines(LinesCodec::new_with_max_length(64));
            let mut buf = BytesMut::from(&bytes[..]);
            let mut frames = Vec::new();
            while let Some(f) = codec.decode_eof(&mut buf).unwrap() {
                frames.push(f);
            }
            for f in frames {
                if let Frame::Line(line) = f
                    && let Verdict::Answer(a) = guard::check(&line, &mut init.clone())
                {
                    let v: Value = serde_json::from_slice(&a).unwrap();
                    proptest::prop_assert_eq!(&v["jsonrpc"], "2.0");
                    proptest::prop_assert!(v["error"]["code"].is_i64());
                }
            }
        }
    }
}
