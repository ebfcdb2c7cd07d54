//! Integration tests: the real binary, over real stdio and real HTTP to a sandbox upstream on
//! 127.0.0.1, with a temp config directory. One binary, one file per area.

#![allow(clippy::unwrap_used)]

mod browser;
mod charts;
mod cli;
mod clients;
mod common;
mod credentials;
mod dist;
mod hosted;
mod install;
mod mcp_stdio;
mod model_view;
mod oauth;
mod profiles;
mod resilience;
mod third_party;
mod upstream_errors;
