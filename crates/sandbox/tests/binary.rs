//! The `analytics-mcp-sandbox` binary: it starts on a free port, prints its Read API URL and
//! demo key first, and answers the demo key there. (Having an integration test also makes
//! `cargo test` build the binary, which `analytics-mcp sandbox` runs from beside itself.)

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_binary_prints_url_and_key_first_and_serves_them() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_analytics-mcp-sandbox"))
        .args(["--port", "0", "--rate-limit", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let key = lines.next().unwrap().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = rt.block_on(async {
        let r = analytics_mcp::http::http_client(|b| b)
            .get(format!("{url}/me"))
            .header("X-API-Key", &key)
            .send()
            .await
            .unwrap();
        let limit = r.headers()["x-ratelimit-limit"]
            .to_str()
            .unwrap()
            .to_string();
        (r.status().as_u16(), limit, r.text().await.unwrap())
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1"),
        "{url}"
    );
    assert_eq!(answer.0, 200, "{}", answer.2);
    assert_eq!(answer.1, "7");
    assert!(answer.2.contains("prj_demo_northwind"), "{}", answer.2);
}
