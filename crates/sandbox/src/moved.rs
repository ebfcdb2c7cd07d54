//! `--moved-paths` (issue 24): a Read API whose inferred paths are not where the bridge
//! expects them. Each of the eight paths the endpoint table marks as inferred answers 404;
//! its data is served under `/projects/{id}/reports/…` instead, so a test can pin the moved
//! path under `[endpoints]`. Imports the product's endpoint table only.

use analytics_mcp::config::endpoints::{Certainty, DEFAULT_PATHS};

/// Where a moved endpoint is served instead, under `/projects/{id}/`.
pub const MOVED_UNDER: &str = "reports/";

/// The path the demo routes should answer for `path` (under the API prefix), or `None` when
/// it answers 404 because it moved.
pub fn reroute(path: &str) -> Option<String> {
    let Some((project, endpoint)) = path
        .strip_prefix("/projects/")
        .and_then(|rest| rest.split_once('/'))
    else {
        return Some(path.to_string());
    };
    if is_inferred(endpoint) {
        return None;
    }
    match endpoint.strip_prefix(MOVED_UNDER) {
        Some(original) if is_inferred(original) => Some(format!("/projects/{project}/{original}")),
        _ => Some(path.to_string()),
    }
}

/// True when `endpoint` (the part after `/projects/{id}/`) is one of the inferred paths.
fn is_inferred(endpoint: &str) -> bool {
    DEFAULT_PATHS.iter().any(|(_, template, certainty)| {
        *certainty == Certainty::Inferred
            && template.strip_prefix("/projects/{project}/") == Some(endpoint)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_inferred_paths_move_and_the_others_stay() {
        assert_eq!(reroute("/projects/p/pages"), None);
        assert_eq!(reroute("/projects/p/revenue/timeseries"), None);
        assert_eq!(
            reroute("/projects/p/reports/pages").as_deref(),
            Some("/projects/p/pages")
        );
        for stays in ["/me", "/projects/p/analytics", "/projects/p/locations"] {
            assert_eq!(reroute(stays).as_deref(), Some(stays));
        }
        assert_eq!(
            reroute("/projects/p/reports/analytics").as_deref(),
            Some("/projects/p/reports/analytics"),
            "only the moved paths are served under reports/"
        );
    }
}
