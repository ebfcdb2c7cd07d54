//! A stand-in model API on 127.0.0.1 that drives real MCP clients headless and records what
//! they hand their model.
//!
//! It speaks just enough of the Anthropic Messages API (for Claude Code, through
//! `ANTHROPIC_BASE_URL`) and of the OpenAI Responses API (for Codex, through a
//! `model_providers` entry): each turn it asks for the next call of a plan (a tool and its arguments),
//! and finally answers in text. Claude Code defers MCP tools behind its ToolSearch tool, so the
//! first turn there loads our tools the way a model would (`select:` all of them), which is
//! also how their definitions reach the model. Every request body is kept; [`Recording`] reads
//! the tool results and tool definitions out of the last one.
//!
//! Shared by the integration tests (`tests/it/clients.rs`) and `cargo bench --bench context`
//! (included there by path), so it uses only the crate's own dependencies.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// Prefix Claude Code gives MCP tools of the server we register as `analytics`.
pub const CLAUDE_PREFIX: &str = "mcp__analytics__";
/// Codex's namespace for the same server.
pub const CODEX_NAMESPACE: &str = "mcp__analytics";

/// How long one client run may take before it is killed.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

/// One planned tool call: the tool and its arguments.
pub type Call = (String, Value);

struct Shared {
    plan: Vec<Call>,
    requests: Mutex<Vec<Value>>,
}

/// The stand-in, running on its own runtime for as long as it lives.
pub struct ModelApi {
    pub url: String,
    shared: Arc<Shared>,
    _rt: tokio::runtime::Runtime,
}

impl ModelApi {
    /// Starts a stand-in that asks for the calls in `plan`, in order, one per turn.
    pub fn start(plan: &[Call]) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            plan: plan.to_vec(),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/messages", post(anthropic))
            .route("/v1/messages/count_tokens", post(count_tokens))
            .route("/v1/responses", post(openai))
            .with_state(shared.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            shared,
            _rt: rt,
        }
    }

    /// Every request body received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }
}

fn sse(events: &[(&str, Value)]) -> Response {
    let body: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn count_tokens() -> Response {
    axum::Json(json!({"input_tokens": 100})).into_response()
}

/// Anthropic Messages API, streamed: ToolSearch first (when tools are deferred), then each
/// planned tool, then text.
async fn anthropic(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    shared.requests.lock().unwrap().push(req.clone());
    let tools: Vec<&str> = req["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let messages = req["messages"].to_string();
    let results = req["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|c| c["type"] == "tool_result")
        .count();
    let ours_loaded = tools.iter().any(|t| t.starts_with(CLAUDE_PREFIX));
    let deferred = tools.contains(&"ToolSearch") && messages.contains(CLAUDE_PREFIX);
    let searched = usize::from(messages.contains("toolu_search"));
    let (block, delta, stop) = if deferred && searched == 0 && !ours_loaded {
        let mut names: Vec<String> = messages
            .match_indices(CLAUDE_PREFIX)
            .map(|(i, _)| {
                messages[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect();
        names.sort();
        names.dedup();
        let input = json!({"query": format!("select:{}", names.join(",")), "max_results": 50});
        tool_use("toolu_search", "ToolSearch", &input)
    } else if ours_loaded && results >= searched && results - searched < shared.plan.len() {
        let k = results - searched;
        let (tool, args) = &shared.plan[k];
        tool_use(
            &format!("toolu_{k:02}"),
            &format!("{CLAUDE_PREFIX}{tool}"),
            args,
        )
    } else {
        (
            json!({"type": "text", "text": ""}),
            json!({"type": "text_delta", "text": "Done."}),
            "end_turn",
        )
    };
    let message = json!({
        "id": "msg_standin", "type": "message", "role": "assistant", "model": req["model"],
        "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 1, "output_tokens": 1}
    });
    sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": message}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": block}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
                   "usage": {"output_tokens": 1}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ])
}

fn tool_use(id: &str, name: &str, input: &Value) -> (Value, Value, &'static str) {
    (
        json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
        json!({"type": "input_json_delta", "partial_json": input.to_string()}),
        "tool_use",
    )
}

/// OpenAI Responses API, streamed: each planned tool (in our namespace), then a message.
async fn openai(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let req: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    shared.requests.lock().unwrap().push(req.clone());
    let ours = req["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["name"] == CODEX_NAMESPACE);
    let done = req["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["type"] == "function_call_output")
        .count();
    let item = if ours && done < shared.plan.len() {
        let (tool, args) = &shared.plan[done];
        json!({"type": "function_call", "id": format!("fc_{done}"), "call_id": format!("call_{done:02}"),
               "name": tool, "namespace": CODEX_NAMESPACE, "arguments": args.to_string(),
               "status": "completed"})
    } else {
        json!({"type": "message", "id": "msg_standin", "role": "assistant", "status": "completed",
               "content": [{"type": "output_text", "text": "Done.", "annotations": []}]})
    };
    let id = format!("resp_{done}");
    sse(&[
        (
            "response.created",
            json!({"type": "response.created", "response": {"id": id}}),
        ),
        (
            "response.output_item.added",
            json!({"type": "response.output_item.added", "output_index": 0, "item": item}),
        ),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": id, "usage": {
                "input_tokens": 1, "input_tokens_details": null, "output_tokens": 1,
                "output_tokens_details": null, "total_tokens": 2}}}),
        ),
    ])
}

/// What one client handed its model.
#[derive(Debug, Default)]
pub struct Recording {
    /// Per planned call, in order: the tool and its result as the model reads it (its text).
    pub results: Vec<(String, String)>,
    /// Per tool of ours: the bytes of its definition as the model is given it.
    pub definitions: Vec<(String, usize)>,
    /// Bytes of definitions given once for the whole server (Codex's namespace description,
    /// which is our `instructions`); 0 where the client gives them elsewhere.
    pub server_bytes: usize,
    /// The client's own output, for failure messages.
    pub log: String,
}

impl Recording {
    /// The answer to the planned call number `k`.
    pub fn result(&self, k: usize) -> Option<&str> {
        self.results.get(k).map(|(_, r)| r.as_str())
    }

    pub fn definition_bytes(&self) -> usize {
        self.definitions.iter().map(|(_, b)| b).sum::<usize>() + self.server_bytes
    }
}

/// The text a model reads from a tool result's content: a string, or the text of each block.
fn read_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Per planned call, the tool and the text of the result the client sent back: the item of
/// type `kind` whose `id_key` is the id the stand-in model gave the call (`{prefix}_00`, …),
/// its `content_key` read as text ("" when the client sent none).
fn results_by_id(
    plan: &[Call],
    items: &[&Value],
    prefix: &str,
    [kind, id_key, content_key]: [&str; 3],
) -> Vec<(String, String)> {
    plan.iter()
        .enumerate()
        .map(|(k, (tool, _))| {
            let id = format!("{prefix}_{k:02}");
            let answer = items
                .iter()
                .find(|i| i["type"] == kind && i[id_key] == id.as_str())
                .map(|i| read_text(&i[content_key]))
                .unwrap_or_default();
            (tool.clone(), answer)
        })
        .collect()
}

fn compact_len(value: &Value) -> usize {
    value.to_string().len()
}

/// Runs `program` to completion (killed after [`CLIENT_TIMEOUT`]); its stdout and stderr.
fn run_bounded(mut cmd: Command, dir: &Path) -> Result<String, String> {
    let out_path = dir.join("client.out");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("could not start the client: {e}"))?;
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the client did not finish within {CLIENT_TIMEOUT:?}: {}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(std::fs::read_to_string(&out_path).unwrap_or_default())
}

/// The MCP server a client starts: our binary, `serve --demo`, with a pinned clock.
pub struct Server {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// A command for a client with nothing of the developer's environment that matters.
fn client_command(program: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("ANALYTICS_MCP_")
            || k.starts_with("ANTHROPIC_")
            || k.starts_with("OPENAI_")
            || k.starts_with("CLAUDE")
            || k.starts_with("CODEX")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .current_dir(home);
    cmd
}

/// Claude Code (`claude -p`) with our server, against the stand-in at `api`.
pub fn run_claude(
    claude: &Path,
    api: &ModelApi,
    server: &Server,
    plan: &[Call],
    home: &Path,
) -> Result<Recording, String> {
    let env: serde_json::Map<String, Value> = server
        .env
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let config = json!({"mcpServers": {"analytics": {
        "command": server.command, "args": server.args, "env": env
    }}});
    let config_path = home.join("mcp.json");
    std::fs::write(&config_path, config.to_string()).map_err(|e| e.to_string())?;
    let mut allowed: Vec<String> = plan
        .iter()
        .map(|(t, _)| format!("{CLAUDE_PREFIX}{t}"))
        .collect();
    allowed.sort();
    allowed.dedup();
    let mut cmd = client_command(claude, home);
    cmd.args(["-p", "How is my website doing?", "--output-format", "json"])
        .arg("--mcp-config")
        .arg(&config_path)
        .arg("--strict-mcp-config")
        .arg("--allowedTools")
        .arg(allowed.join(","))
        .env("ANTHROPIC_BASE_URL", &api.url)
        .env("ANTHROPIC_API_KEY", "sk-ant-standin");
    let log = run_bounded(cmd, home)?;
    let requests = api.requests();
    // The main loop's last turn: the request that carries the most tool results (a client may
    // make side requests, such as a title, after it).
    let last = requests
        .iter()
        .filter(|r| r["messages"].is_array())
        .max_by_key(|r| r["messages"].to_string().matches("\"tool_result\"").count())
        .ok_or_else(|| format!("Claude Code never called the model API:\n{log}"))?;
    let mut rec = Recording {
        log,
        ..Recording::default()
    };
    let blocks: Vec<&Value> = last["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .collect();
    rec.results = results_by_id(
        plan,
        &blocks,
        "toolu",
        ["tool_result", "tool_use_id", "content"],
    );
    for tool in last["tools"].as_array().into_iter().flatten() {
        if let Some(name) = tool["name"].as_str()
            && let Some(short) = name.strip_prefix(CLAUDE_PREFIX)
        {
            rec.definitions.push((short.to_string(), compact_len(tool)));
        }
    }
    Ok(rec)
}

/// Codex (`codex exec`) with our server, against the stand-in at `api`.
pub fn run_codex(
    codex: &Path,
    api: &ModelApi,
    server: &Server,
    plan: &[Call],
    home: &Path,
) -> Result<Recording, String> {
    let codex_home = home.join("codex-home");
    std::fs::create_dir_all(&codex_home).map_err(|e| e.to_string())?;
    let toml_str = |s: &str| Value::String(s.to_string()).to_string();
    let env: Vec<String> = server
        .env
        .iter()
        .map(|(k, v)| format!("{k} = {}", toml_str(v)))
        .collect();
    let args: Vec<String> = server.args.iter().map(|a| toml_str(a)).collect();
    let config = format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"standin\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"read-only\"\n\n[model_providers.standin]\nname = \"stand-in\"\n\
         base_url = {}\nwire_api = \"responses\"\n\n[mcp_servers.analytics]\ncommand = {}\n\
         args = [{}]\nenv = {{ {} }}\n",
        toml_str(&format!("{}/v1", api.url)),
        toml_str(&server.command),
        args.join(", "),
        env.join(", ")
    );
    std::fs::write(codex_home.join("config.toml"), config).map_err(|e| e.to_string())?;
    let mut cmd = client_command(codex, home);
    cmd.args(["exec", "--skip-git-repo-check", "How is my website doing?"])
        .env("CODEX_HOME", &codex_home);
    let log = run_bounded(cmd, home)?;
    let requests = api.requests();
    let last = requests
        .iter()
        .filter(|r| r["input"].is_array())
        .max_by_key(|r| {
            r["input"]
                .to_string()
                .matches("function_call_output")
                .count()
        })
        .ok_or_else(|| format!("Codex never called the model API:\n{log}"))?;
    let mut rec = Recording {
        log,
        ..Recording::default()
    };
    let items: Vec<&Value> = last["input"].as_array().into_iter().flatten().collect();
    rec.results = results_by_id(
        plan,
        &items,
        "call",
        ["function_call_output", "call_id", "output"],
    );
    if let Some(ns) = last["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == CODEX_NAMESPACE)
    {
        for tool in ns["tools"].as_array().into_iter().flatten() {
            let name = tool["name"].as_str().unwrap_or_default().to_string();
            rec.definitions.push((name, compact_len(tool)));
        }
        let mut shell = ns.clone();
        shell["tools"] = json!([]);
        rec.server_bytes = compact_len(&shell);
    }
    Ok(rec)
}

/// A program installed in `.ci/node` (Claude Code, Codex CLI), or None.
pub fn node_program(repo: &Path, name: &str) -> Option<PathBuf> {
    let local = repo.join(".ci/node/node_modules/.bin").join(name);
    local.exists().then_some(local)
}
