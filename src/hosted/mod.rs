//! Bridging a hosted MCP server (a profile with `mcp_url`, e.g. Zenovay's or Himetrica's
//! hosted endpoint): an MCP client of the upstream over Streamable HTTP ([`client`]) behind
//! our stdio server ([`proxy`]), with the profile's tool filters and the upstream's JSON-RPC
//! errors turned into tool results a model can act on ([`errors`]).

pub mod client;
pub mod errors;
pub mod input;
pub mod proxy;
pub mod relay;
pub mod upstream;
