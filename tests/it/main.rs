//! Integration tests: the real binary, over real stdio and real HTTP to a sandbox upstream on
//! 127.0.0.1, with a temp config directory. One binary, one file per area.

#![allow(clippy::unwrap_used)]

mod answers;
mod arguments;
mod browser;
mod charts;
mod cli;
mod clients;
mod common;
mod completions;
mod conformance;
mod credentials;
mod device;
mod dist;
mod docs;
mod eras;
mod exit_codes;
mod explain;
mod fallback;
mod first_run;
mod help;
mod hosted;
mod hostile;
mod install;
// The Secret Service over D-Bus, started by the test itself: Linux only.
#[cfg(target_os = "linux")]
mod keychain;
mod layout;
mod mcp_stdio;
mod model_view;
mod oauth;
mod origins;
mod output;
mod profiles;
mod projects;
mod rate_limits;
mod refresh;
mod resilience;
mod signin_clients;
mod skills;
mod stdio_streams;
mod terminal;
mod third_party;
mod upstream_errors;
mod waits;
