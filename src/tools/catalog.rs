//! The catalog: every tool the model sees, and every fact about one that code acts on.
//!
//! A fact about a tool (where its answer comes from, how long it may be reused, what chart it
//! has, which icon it shows) is a field here, so no other code compares tool names. Uses
//! `params` (argument structs), `icons` and the leaf `chart` (the chart kinds).

use std::time::Duration;

use super::data::Data;
use super::explain_args::ExplainArgs;
use super::icons::Icon;
use super::params::{
    Args, CompareArgs, EventsArgs, ListArgs, LocationsArgs, NoArgs, SeriesArgs, SourcesArgs,
    WindowArgs,
};
use crate::chart::Kind;

/// The shape the upstream `data` usually has, for rendering and the output schema's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Rows,
}

/// Where a tool's answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The tool's path in the endpoint table (with the project id where it has `{project}`).
    Endpoint,
    /// `GET /me`, asked once per process: the project itself, no project id needed.
    Me,
    /// `explain_change`: the overview, breakdowns and daily series of the endpoint table, in
    /// two windows, each through the cache.
    Explain,
    /// This process's request count and the last rate-limit headers it saw: costs no API call
    /// and needs no sign-in.
    Counters,
}

/// One tool: what the model reads about it, which arguments it takes, and how it is answered.
#[derive(Debug)]
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: Args,
    pub shape: Shape,
    /// Columns the text table shows, in order (numbers first, the label last so it needs no
    /// padding). Empty: every scalar column. `structuredContent` has the same columns; the
    /// upstream's full rows are in `detail`.
    pub columns: &'static [&'static str],
    pub source: Source,
    /// The column a list is ranked by, largest first, when the API does not rank it (the text
    /// and summary say so). `None`: the API's order.
    pub rank_by: Option<&'static str>,
    /// The longest an answer is reused, whatever the configured cache lifetime (realtime
    /// numbers go stale fast). `None`: the configured lifetime.
    pub max_ttl: Option<Duration>,
    /// What the terminal, `--svg` and the MCP Apps view draw of an answer: a series over time,
    /// bars for a breakdown, or nothing.
    pub chart: Option<Kind>,
    pub icon: Icon,
    /// The fields an overview is read by (a list is read by its `columns`): an answer that
    /// has none of them is a shape this tool does not know, never shown as an empty table or
    /// zeros (issue 24).
    pub reads: &'static [&'static str],
}

impl ToolDef {
    /// True when `data` has at least one field this tool reads (an empty list is an answer:
    /// nothing happened).
    pub fn recognizes(&self, data: &Data) -> bool {
        let fields: &[&str] = if self.reads.is_empty() {
            self.columns
        } else {
            self.reads
        };
        let known = |v: &serde_json::Value| {
            v.as_object()
                .is_some_and(|m| fields.iter().any(|f| m.contains_key(*f)))
        };
        match (self.shape, data) {
            (_, Data::Rows(rows)) => rows.is_empty() || rows.iter().any(known),
            (Shape::Rows, Data::Object(_)) => data
                .rows()
                .is_some_and(|rows| rows.is_empty() || rows.iter().any(known)),
            (Shape::Object, Data::Object(map)) => fields.iter().any(|f| map.contains_key(*f)),
        }
    }
}

/// How long a realtime answer is reused at most.
pub const REALTIME_TTL: Duration = Duration::from_secs(10);

/// The fields most tools share; each entry below names what differs.
pub(super) const BASE: ToolDef = ToolDef {
    name: "",
    title: "",
    description: "",
    args: Args::of::<NoArgs>(),
    shape: Shape::Object,
    columns: &[],
    source: Source::Endpoint,
    rank_by: None,
    max_ttl: None,
    chart: None,
    icon: Icon::Traffic,
    reads: &[],
};

/// Every tool, in the order `tools/list` shows them.
pub const CATALOG: &[ToolDef] = &[
    ToolDef {
        name: "get_project",
        title: "Project",
        description: "Which project the data is for: id, name and time zone.",
        source: Source::Me,
        ..BASE
    },
    ToolDef {
        name: "get_analytics",
        title: "Traffic overview",
        description: "Visitors, pageviews, sessions, bounce rate and visit length for a window, with changes: 'how many visitors?', 'is traffic up?'.",
        args: Args::of::<CompareArgs>(),
        reads: &[
            "visitors",
            "uniqueVisitors",
            "pageViews",
            "sessions",
            "bounceRate",
            "avgDuration",
        ],
        ..BASE
    },
    ToolDef {
        name: "get_timeseries",
        title: "Traffic over time",
        description: "Visitors, pageviews and sessions per hour, day, week or month, for trends.",
        args: Args::of::<SeriesArgs>(),
        shape: Shape::Rows,
        columns: &["date", "visitors", "pageViews", "sessions"],
        chart: Some(Kind::Series),
        ..BASE
    },
    ToolDef {
        name: "get_realtime",
        title: "Active visitors now",
        description: "Visitors on the site right now.",
        max_ttl: Some(REALTIME_TTL),
        reads: &["activeVisitors", "visitors"],
        ..BASE
    },
    ToolDef {
        name: "get_top_pages",
        title: "Top pages",
        description: "Pages ranked by pageviews, with visitors: which content is read.",
        args: Args::of::<ListArgs>(),
        shape: Shape::Rows,
        columns: &["pageViews", "visitors", "path"],
        chart: Some(Kind::Bars),
        ..BASE
    },
    ToolDef {
        name: "get_traffic_sources",
        title: "Traffic sources",
        description: "Where visitors came from, by referrer or UTM tag.",
        args: Args::of::<SourcesArgs>(),
        shape: Shape::Rows,
        columns: &["visitors", "source", "referrer"],
        chart: Some(Kind::Bars),
        ..BASE
    },
    ToolDef {
        name: "get_top_locations",
        title: "Top locations",
        description: "Visitors by country, region or city.",
        args: Args::of::<LocationsArgs>(),
        shape: Shape::Rows,
        columns: &["visitors", "city", "region", "country"],
        chart: Some(Kind::Bars),
        ..BASE
    },
    ToolDef {
        name: "get_events",
        title: "Custom events",
        description: "Custom events (signups, clicks, purchases) with counts.",
        args: Args::of::<EventsArgs>(),
        shape: Shape::Rows,
        columns: &["count", "eventName"],
        chart: Some(Kind::Bars),
        ..BASE
    },
    ToolDef {
        name: "get_revenue",
        title: "Revenue overview",
        description: "MRR, ARR, revenue, subscriptions and churn for a window, with changes: 'what is my MRR?'.",
        args: Args::of::<CompareArgs>(),
        icon: Icon::Revenue,
        reads: &[
            "mrr",
            "arr",
            "revenue",
            "activeSubscriptions",
            "newSubscriptions",
            "churnedSubscriptions",
            "churnRate",
        ],
        ..BASE
    },
    ToolDef {
        name: "get_revenue_timeseries",
        title: "Revenue over time",
        description: "Revenue, subscriptions and MRR per hour, day, week or month.",
        args: Args::of::<SeriesArgs>(),
        shape: Shape::Rows,
        columns: &[
            "date",
            "revenue",
            "newSubscriptions",
            "churnedSubscriptions",
            "mrr",
        ],
        chart: Some(Kind::Series),
        icon: Icon::Revenue,
        ..BASE
    },
    ToolDef {
        name: "get_top_customers",
        title: "Top customers",
        description: "Customers ranked by revenue, with plan.",
        args: Args::of::<ListArgs>(),
        shape: Shape::Rows,
        columns: &["revenue", "plan", "name"],
        chart: Some(Kind::Bars),
        icon: Icon::Revenue,
        ..BASE
    },
    ToolDef {
        name: "get_channel_roi",
        title: "Channel ROI",
        description: "Revenue, ad spend, CAC, LTV and ROI per marketing channel: 'which channel pays off?'.",
        args: Args::of::<WindowArgs>(),
        shape: Shape::Rows,
        columns: &["revenue", "adSpend", "cac", "ltv", "roi", "channel"],
        rank_by: Some("revenue"),
        chart: Some(Kind::Bars),
        icon: Icon::Revenue,
        ..BASE
    },
    ToolDef {
        name: "explain_change",
        title: "Why it changed",
        description: "Why a metric changed against an earlier window ('why did signups drop?'): which pages, referrers, UTM tags, countries, events, channels or customers carry the change, what stays unexplained, and days that broke the weekly pattern.",
        args: Args::of::<ExplainArgs>(),
        source: Source::Explain,
        icon: Icon::Traffic,
        ..BASE
    },
    ToolDef {
        name: "get_api_usage",
        title: "API usage",
        description: "Requests left in the analytics API's rate limit; costs no request.",
        source: Source::Counters,
        ..BASE
    },
];

/// Finds a tool by name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    CATALOG.iter().find(|t| t.name == name)
}

/// Every tool's name, for a message that lists them.
pub fn names() -> String {
    CATALOG
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_recognized_by_the_fields_the_tool_reads() {
        use serde_json::json;
        let tool = |n| find(n).unwrap();
        let parse = |v| Data::parse(v);
        assert!(tool("get_analytics").recognizes(&parse(json!({"pageViews": 3}))));
        assert!(!tool("get_analytics").recognizes(&parse(json!({"hits": 3}))));
        assert!(tool("get_top_pages").recognizes(&parse(json!([{"path": "/", "visitors": 1}]))));
        assert!(tool("get_top_pages").recognizes(&parse(json!([]))));
        assert!(tool("get_top_pages").recognizes(&parse(json!({"pages": [{"path": "/"}]}))));
        assert!(!tool("get_top_pages").recognizes(&parse(json!([{"url": "/", "hits": 1}]))));
        assert!(!tool("get_top_pages").recognizes(&parse(json!({"message": "ok"}))));
        assert!(tool("get_realtime").recognizes(&parse(json!({"activeVisitors": 0}))));
        assert!(!tool("get_revenue").recognizes(&parse(json!({"value": "<html>"}))));
    }

    #[test]
    fn names_are_unique_and_each_fact_fits_its_tool() {
        for (i, tool) in CATALOG.iter().enumerate() {
            assert!(!tool.name.is_empty() && !tool.title.is_empty());
            assert!(
                CATALOG[..i].iter().all(|t| t.name != tool.name),
                "{}",
                tool.name
            );
            // A chart draws rows, and a series is drawn over a window's buckets.
            if tool.chart.is_some() {
                assert_eq!(tool.shape, Shape::Rows, "{}", tool.name);
                assert!(tool.args.kind().takes_window(), "{}", tool.name);
            }
            // The typed facts say what the argument struct's schema says.
            assert_eq!(tool.args.kind().takes_window(), tool.args.accepts("period"));
            assert_eq!(tool.args.kind().takes_limit(), tool.args.accepts("limit"));
            assert_eq!(
                tool.args.kind().takes_compare(),
                tool.args.accepts("compare")
            );
            // Answers that need no upstream path take no window.
            if !matches!(tool.source, Source::Endpoint | Source::Explain) {
                assert!(!tool.args.kind().takes_window(), "{}", tool.name);
            }
        }
    }
}
