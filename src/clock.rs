//! The current time, which tests and demos can pin.
//!
//! `ANALYTICS_MCP_NOW` (an RFC 3339 instant) fixes "now" for date presets and for the sandbox,
//! so snapshot tests and recorded demos give the same answer every day. A leaf helper: any
//! module may use it.

use std::sync::OnceLock;

use jiff::Timestamp;

use crate::env_vars;

/// Now, or the instant `ANALYTICS_MCP_NOW` names (read once per process). An unparsable value
/// is ignored with a warning rather than failing every request.
pub fn now() -> Timestamp {
    static FIXED: OnceLock<Option<Timestamp>> = OnceLock::new();
    let fixed = FIXED.get_or_init(|| {
        let raw = env_vars::var(env_vars::NOW)?;
        match raw.trim().parse::<Timestamp>() {
            Ok(ts) => Some(ts),
            Err(e) => {
                tracing::warn!("ignoring {}: {e}", env_vars::NOW);
                None
            }
        }
    });
    fixed.unwrap_or_else(Timestamp::now)
}
