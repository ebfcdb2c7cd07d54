//! `explain_change`'s arguments (issue 25): the metric, the window and the one it is compared
//! with, and the breakdowns to look in. Which breakdown carries which metric is here, and
//! which tool's path serves it. Uses `params` and `window`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::{ArgsKind, Plan, ToolArgs, Window, serde_name};
use super::window::Compare;

/// What changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    #[default]
    Visitors,
    Pageviews,
    Sessions,
    Events,
    Revenue,
}

/// A breakdown that can carry a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Pages,
    Referrers,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    Countries,
    Events,
    Channels,
    Customers,
}

impl Metric {
    /// The breakdowns that carry this metric, the default ones first (`default` of them).
    fn dimensions(self) -> (&'static [Dimension], usize) {
        use Dimension::*;
        match self {
            Self::Visitors | Self::Pageviews => (
                &[
                    Pages,
                    Referrers,
                    UtmSource,
                    UtmCampaign,
                    Countries,
                    UtmMedium,
                ],
                5,
            ),
            Self::Sessions => (
                &[Referrers, UtmSource, UtmCampaign, Countries, UtmMedium],
                4,
            ),
            Self::Events => (&[Events], 1),
            Self::Revenue => (&[Channels, Customers], 2),
        }
    }

    /// The field a breakdown row or the overview holds this metric in, in order of preference.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Visitors => &["visitors", "uniqueVisitors"],
            Self::Pageviews => &["pageViews", "pageviews"],
            Self::Sessions => &["sessions"],
            Self::Events => &["count"],
            Self::Revenue => &["revenue"],
        }
    }

    /// The tool whose path serves the overview total, if any (events are summed from their
    /// list).
    pub fn overview(self) -> Option<&'static str> {
        match self {
            Self::Events => None,
            Self::Revenue => Some("get_revenue"),
            _ => Some("get_analytics"),
        }
    }

    /// The daily series the metric is in, and the column: for the window's anomaly flags.
    pub fn series(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Events => None,
            Self::Revenue => Some(("get_revenue_timeseries", "revenue")),
            Self::Visitors => Some(("get_timeseries", "visitors")),
            Self::Pageviews => Some(("get_timeseries", "pageViews")),
            Self::Sessions => Some(("get_timeseries", "sessions")),
        }
    }

    pub fn name(self) -> String {
        serde_name(&self)
    }
}

impl Dimension {
    /// The tool whose path serves it, and its `groupBy`.
    pub fn source(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Pages => ("get_top_pages", None),
            Self::Referrers => ("get_traffic_sources", Some("referrer")),
            Self::UtmSource => ("get_traffic_sources", Some("utm_source")),
            Self::UtmMedium => ("get_traffic_sources", Some("utm_medium")),
            Self::UtmCampaign => ("get_traffic_sources", Some("utm_campaign")),
            Self::Countries => ("get_top_locations", Some("country")),
            Self::Events => ("get_events", None),
            Self::Channels => ("get_channel_roi", None),
            Self::Customers => ("get_top_customers", None),
        }
    }

    /// The fields that name a row, in order of preference.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Self::Pages => &["path", "page", "url"],
            Self::Countries => &["country", "countryCode"],
            Self::Events => &["eventName", "name", "event"],
            Self::Channels => &["channel", "name"],
            Self::Customers => &["name", "email", "id"],
            _ => &["source", "referrer", "utm_source", "value", "name"],
        }
    }

    pub fn name(self) -> String {
        serde_name(&self)
    }

    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.into())).ok()
    }
}

/// Arguments of `explain_change`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplainArgs {
    /// What changed (default visitors).
    pub metric: Option<Metric>,
    #[serde(flatten)]
    pub window: Window,
    /// The window compared with (default previous_period).
    pub compare: Option<Compare>,
    /// Breakdowns to look in (default: those that carry the metric).
    pub dimensions: Option<Vec<Dimension>>,
}

impl ToolArgs for ExplainArgs {
    const KIND: ArgsKind = ArgsKind::Explain;
    fn plan(self) -> Result<Plan, String> {
        let metric = self.metric.unwrap_or_default();
        let (carrying, default) = metric.dimensions();
        let dimensions = match self.dimensions {
            Some(asked) if asked.is_empty() => {
                return Err(
                    "`dimensions` is empty; leave it out to look in every breakdown.".into(),
                );
            }
            Some(asked) => asked,
            None => carrying[..default].to_vec(),
        };
        if let Some(d) = dimensions.iter().find(|d| !carrying.contains(d)) {
            let names: Vec<String> = carrying.iter().map(|d| d.name()).collect();
            return Err(format!(
                "`{}` does not carry {}; for {} use {}.",
                d.name(),
                metric.name(),
                metric.name(),
                names.join(", ")
            ));
        }
        let mut plan = Plan {
            compare: Some(self.compare.unwrap_or(Compare::PreviousPeriod)),
            ..Plan::over(self.window)
        };
        plan.extra.push(("metric".into(), metric.name()));
        let mut names: Vec<String> = dimensions.iter().map(|d| d.name()).collect();
        names.dedup();
        plan.extra.push(("dimensions".into(), names.join(",")));
        Ok(plan)
    }
}

/// The metric and dimensions a plan from [`ExplainArgs`] carries.
pub fn of_plan(plan: &Plan) -> (Metric, Vec<Dimension>) {
    let get = |k: &str| {
        plan.extra
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let metric =
        serde_json::from_value(serde_json::Value::String(get("metric").into())).unwrap_or_default();
    let dimensions = get("dimensions")
        .split(',')
        .filter_map(Dimension::parse)
        .collect();
    (metric, dimensions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dimension_that_does_not_carry_the_metric_is_refused_with_the_ones_that_do() {
        let plan = |v: serde_json::Value| serde_json::from_value::<ExplainArgs>(v).unwrap().plan();
        let err =
            plan(serde_json::json!({"metric": "revenue", "dimensions": ["pages"]})).unwrap_err();
        assert_eq!(
            err,
            "`pages` does not carry revenue; for revenue use channels, customers."
        );
        let ok = plan(serde_json::json!({})).unwrap();
        let (metric, dims) = of_plan(&ok);
        assert_eq!(metric, Metric::Visitors);
        assert_eq!(dims.len(), 5);
        assert_eq!(ok.compare, Some(Compare::PreviousPeriod));
    }
}
