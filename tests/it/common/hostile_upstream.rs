//! A hostile stand-in for the Read API on 127.0.0.1: each route answers what the test says
//! (any status, headers and body, byte for byte), and every request path is recorded. For
//! answers the sandbox would never give: bidi and tag characters, HTTP-date `Retry-After`s,
//! numbers out of range. Plain threads and `std::net`, so a test needs no runtime.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::TestEnv;

/// The key every test gives the bridge; the hostile upstream takes any key.
pub const KEY: &str = "hm_sk_hostile_0123456789abcdef";

/// One answer: status, extra headers, JSON body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// 200 with `{"data": data}`.
    pub fn data(data: serde_json::Value) -> Self {
        Self::status(200, serde_json::json!({ "data": data }))
    }

    pub fn status(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Routes: a path substring and the replies it gives in turn (the last one repeats).
type Routes = Vec<(String, Vec<Reply>)>;

pub struct Hostile {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    /// Serves `routes` (first match wins) and `/me` for project `p1`, unless a route takes it.
    pub fn start(routes: Vec<(&str, Vec<Reply>)>) -> Self {
        let mut routes: Routes = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        routes.push((
            "/me".into(),
            vec![Reply::data(serde_json::json!({
                "projectId": "p1", "name": "Hostile", "timezone": "UTC"
            }))],
        ));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let served: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(vec![0; routes.len()]));
        let (log, routes) = (seen.clone(), Arc::new(routes));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, routes, served) = (log.clone(), routes.clone(), served.clone());
                std::thread::spawn(move || answer(stream, &log, &routes, &served));
            }
        });
        Self { port, seen }
    }

    /// The base URL to give the bridge.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1", self.port)
    }

    /// Every request path (with its query) received so far.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("log").clone()
    }

    /// A fresh environment pointed at this upstream with [`KEY`].
    pub fn env(&self) -> TestEnv {
        let mut env = TestEnv::new();
        env.set("ANALYTICS_MCP_API_URL", &self.url());
        env.set("ANALYTICS_MCP_API_KEY", KEY);
        env
    }
}

fn answer(
    stream: TcpStream,
    log: &Mutex<Vec<String>>,
    routes: &Routes,
    served: &Mutex<Vec<usize>>,
) {
    let mut reader = BufReader::new(&stream);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    // The headers; a GET has no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let target = first.split_whitespace().nth(1).unwrap_or("").to_string();
    log.lock().expect("log").push(target.clone());
    let path = target.split('?').next().unwrap_or("");
    let reply = match routes.iter().position(|(p, _)| path.contains(p.as_str())) {
        Some(i) => {
            let mut served = served.lock().expect("count");
            let replies = &routes[i].1;
            let reply = replies[served[i].min(replies.len() - 1)].clone();
            served[i] += 1;
            reply
        }
        None => Reply::status(404, serde_json::json!({"error": "not found"})),
    };
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = &stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
}
