//! The icons a client may show next to the server and its tools (MCP 2025-11-25 `icons`):
//! two small inline SVGs as `data:` URIs, so no client fetches anything from anywhere.

/// Bars: traffic, and the server itself.
const TRAFFIC: &str = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' \
stroke='#2563eb' stroke-width='2.5' stroke-linecap='round'><path d='M4 20h16M7 16v-5M12 16V6M17 16v-8'/></svg>";

/// A coin: revenue.
const REVENUE: &str = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' \
stroke='#16a34a' stroke-width='2.5' stroke-linecap='round'><circle cx='12' cy='12' r='9'/>\
<path d='M12 7v10M15 9.5h-4a1.5 1.5 0 0 0 0 3h2a1.5 1.5 0 0 1 0 3H9'/></svg>";

/// Which icon a tool gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Traffic,
    Revenue,
}

impl Icon {
    /// `data:image/svg+xml,…`, percent-encoded where a URI needs it.
    pub fn data_uri(self) -> String {
        let svg = match self {
            Self::Traffic => TRAFFIC,
            Self::Revenue => REVENUE,
        };
        let mut uri = String::from("data:image/svg+xml,");
        for c in svg.chars() {
            match c {
                '<' => uri.push_str("%3C"),
                '>' => uri.push_str("%3E"),
                '#' => uri.push_str("%23"),
                ' ' => uri.push_str("%20"),
                '"' => uri.push_str("%22"),
                '%' => uri.push_str("%25"),
                other => uri.push(other),
            }
        }
        uri
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_small_self_contained_data_uris() {
        for icon in [Icon::Traffic, Icon::Revenue] {
            let uri = icon.data_uri();
            assert!(uri.starts_with("data:image/svg+xml,%3Csvg"), "{uri}");
            assert!(!uri.contains([' ', '<', '>', '#', '"']), "{uri}");
            assert!(uri.len() < 400, "{} bytes", uri.len());
            // Nothing to fetch: the only URL is the SVG namespace name.
            assert_eq!(uri.matches("http").count(), 1, "{uri}");
        }
        let icon = |name| crate::tools::find(name).map(|t| t.icon);
        assert_eq!(icon("get_channel_roi"), Some(Icon::Revenue));
        assert_eq!(icon("get_top_pages"), Some(Icon::Traffic));
    }
}
