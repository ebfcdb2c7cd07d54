//! Bridging a hosted MCP server (a profile with `mcp_url`, e.g. Zenovay's or Himetrica's
//! hosted endpoint): an MCP client of the upstream over Streamable HTTP ([`client`]), one
//! connection to it in the era it speaks, under one deadline ([`upstream`]), behind our stdio
//! server ([`proxy`]), with the profile's tool filters and the upstream's JSON-RPC errors
//! turned into tool results a model can act on ([`errors`]). What the upstream sends or asks
//! our side — list changes, input requests — goes on to the downstream client ([`input`]),
//! across protocol eras through [`relay`].

pub mod client;
pub mod errors;
pub mod input;
pub mod proxy;
pub mod relay;
pub mod upstream;
