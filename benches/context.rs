//! How much of a model's context each answer costs: `cargo bench --bench context`.
//!
//! For every tool on the demo data (default arguments, a pinned date), prints the bytes of the
//! text content against the bytes of the raw upstream JSON for the same request. The target:
//! for list tools the text is at most half the raw JSON. Runs in-process against a sandbox on
//! 127.0.0.1; measures sizes, not time.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;

use analytics_mcp::api::endpoints::Endpoints;
use analytics_mcp::api::{ApiClient, Auth};
use analytics_mcp::credentials::{Bound, Origin, Secret};
use analytics_mcp::sandbox::{self, SandboxOptions};
use analytics_mcp::tools::{ArgsKind, CATALOG, Shape, Toolbox};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        analytics_mcp::api::install_crypto_provider();
        let sb = sandbox::start(SandboxOptions {
            now: Some("2026-11-21T15:30:00Z".parse().unwrap()),
            rate_limit: u32::MAX,
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let url = analytics_mcp::config::parse_api_url(&sb.base_url()).unwrap();
        let key = Auth::ApiKey(Bound::new(
            Secret::new(sb.api_key.clone()),
            Origin::of(&url),
        ));
        let api = ApiClient::new(url, Some(key), analytics_mcp::api::Limits::default());
        let toolbox = Toolbox::new(Arc::new(api), Endpoints::default(), None);
        let http = reqwest::Client::new();

        println!("| tool | kind | raw upstream JSON | text content | text / raw |");
        println!("|---|---|---|---|---|");
        let mut worst_list: f64 = 0.0;
        for tool in CATALOG {
            if tool.name == "get_api_usage" {
                continue; // answered locally: there is no upstream JSON to compare with
            }
            let out = toolbox.call(tool.name, None).await.unwrap();
            let request = &out.structured["request"];
            // The raw answer a direct caller gets for the same question: the limit it asked
            // for, not the one extra row the bridge fetches to know whether more exist.
            let asked = out.structured["rows"]["limit"].as_u64();
            let params: Vec<(String, String)> = request["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| match (k.as_str(), asked) {
                    ("limit", Some(n)) => (k.clone(), n.to_string()),
                    _ => (k.clone(), v.as_str().unwrap().to_string()),
                })
                .collect();
            let raw = http
                .get(format!(
                    "{}{}",
                    sb.base_url(),
                    request["path"].as_str().unwrap()
                ))
                .header("X-API-Key", &sb.api_key)
                .query(&params)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let is_list = tool.shape == Shape::Rows && tool.args != ArgsKind::Series;
            let ratio = out.text.len() as f64 / raw.len() as f64;
            if is_list {
                worst_list = worst_list.max(ratio);
            }
            let kind = match (tool.shape, is_list) {
                (Shape::Rows, true) => "list",
                (Shape::Rows, false) => "series",
                (Shape::Object, _) => "object",
            };
            println!(
                "| {} | {kind} | {} B | {} B | {:.0}% |",
                tool.name,
                raw.len(),
                out.text.len(),
                ratio * 100.0
            );
        }
        println!(
            "\nLargest text/raw ratio among list tools: {:.0}% (target: at most 50%).",
            worst_list * 100.0
        );
    });
}
