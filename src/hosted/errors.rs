//! Upstream JSON-RPC errors as sentences a model can act on. Zenovay documents its codes;
//! others get the code and the (cleaned) message.

use crate::text::clean;

/// Zenovay's "authentication required": refresh once, then ask for a new sign-in.
pub const AUTH_REQUIRED: i32 = -32001;

/// The tool-result text for an upstream error `code` with `message`, for `profile`.
pub fn describe(code: i32, message: &str, tool: &str, profile: &str) -> String {
    let said = clean(message, 200);
    let login = if profile == crate::config::DEFAULT_PROFILE {
        "analytics-mcp login".to_string()
    } else {
        format!("analytics-mcp login --profile {profile}")
    };
    match code {
        AUTH_REQUIRED => format!(
            "The hosted server no longer accepts this sign-in, even after refreshing the token. Sign in again with `{login}`, then retry. (Upstream said: \"{said}\")"
        ),
        -32002 => format!(
            "`{tool}` needs a higher plan with the analytics provider; retrying will not help. Use another tool, or upgrade the plan. (Upstream said: \"{said}\")"
        ),
        -32003 => format!(
            "The provider's daily request limit is reached; do not retry before 00:00 UTC ({}). (Upstream said: \"{said}\")",
            until_midnight_utc()
        ),
        -32007 => format!(
            "`{tool}` changes data and needs write permission, which this sign-in does not grant. Ask the user before doing this elsewhere; the read tools still work. (Upstream said: \"{said}\")"
        ),
        -32008 => format!(
            "`{tool}` belongs to a tool category that is not enabled for this organization; enable it in the provider's dashboard, or use another tool. (Upstream said: \"{said}\")"
        ),
        -32601 => format!(
            "The hosted server has no tool `{tool}`; list the tools again and pick one of those. (Upstream said: \"{said}\")"
        ),
        _ => format!("The hosted server answered with error {code}: \"{said}\"."),
    }
}

/// `in 8 h 30 min` until the next 00:00 UTC, by the process clock (`ANALYTICS_MCP_NOW`).
fn until_midnight_utc() -> String {
    let now = crate::clock::now().as_second();
    let left = 86_400 - now.rem_euclid(86_400);
    format!("in {} h {} min", left / 3600, (left % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_zenovay_code_says_what_to_do() {
        let text = |code| describe(code, "upstream <b>words</b>", "get_funnels", "zen");
        assert!(text(-32001).contains("analytics-mcp login --profile zen"));
        assert!(text(-32002).contains("higher plan"));
        assert!(text(-32003).contains("do not retry before 00:00 UTC"));
        assert!(text(-32007).contains("write permission"));
        assert!(text(-32008).contains("not enabled for this organization"));
        assert!(text(-32601).contains("no tool `get_funnels`"));
        assert!(text(-1).contains("error -1"));
        assert!(describe(-32001, "x", "t", "default").contains("`analytics-mcp login`"));
    }
}
