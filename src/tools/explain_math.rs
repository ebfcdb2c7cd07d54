//! The arithmetic of `explain_change` (issue 25): each item's contribution to a change, from
//! one breakdown in two windows, and the typed explanation a model is sent.
//!
//! An item's contribution is its value now minus its value before (an item absent from one
//! list counts as zero there, and is named `new` or `vanished`). A dimension's listed items
//! carry the sum of their contributions; the rest of the total change is `other`: items
//! outside the top N a list returns, or visitors not attributed in that dimension. So
//! `Σ contributions + other = total change`, exactly, in every dimension. Pure functions;
//! uses nothing from the crate but `serde` and `schemars`.

use schemars::JsonSchema;
use serde::Serialize;

/// How many contributors up and down each dimension names.
pub const TOP: usize = 2;

/// The change of one metric between two windows, and what carries it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The metric explained: visitors, pageviews, sessions, events or revenue.
    pub metric: String,
    /// Its total in the window, and in the window compared with.
    #[serde(serialize_with = "whole")]
    pub current: f64,
    #[serde(serialize_with = "whole")]
    pub previous: f64,
    /// `current - previous`.
    #[serde(serialize_with = "whole")]
    pub change: f64,
    /// Percent change; absent when `previous` is zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_percent: Option<f64>,
    /// One entry per breakdown asked, in the order asked.
    pub dimensions: Vec<Dimension>,
}

/// One breakdown's share of the change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dimension {
    /// pages, referrers, utm_source, utm_campaign, countries, events, channels, customers.
    pub dimension: String,
    /// Items seen in either window.
    pub items: usize,
    /// Only when true: a list was as long as one request returns, so items beyond it exist
    /// and their part is in `other`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// Percent of the total change the listed items carry together (absent when the total
    /// did not change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// The change the listed items do not carry: `change - Σ contributions`.
    #[serde(serialize_with = "whole")]
    pub other: f64,
    /// The largest contributions up, then down.
    pub up: Vec<Contributor>,
    pub down: Vec<Contributor>,
}

/// One item's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contributor {
    pub item: String,
    /// Its value now minus before.
    #[serde(serialize_with = "whole")]
    pub change: f64,
    /// Percent of the total change (negative when it went against it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// `new` (absent before) or `vanished` (absent now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Vanished,
}

/// Every item's contribution between `before` and `now` (`(item, value)` lists, as the API
/// ranked them), largest first by size. Items are matched by name.
pub fn contributions(now: &[(String, f64)], before: &[(String, f64)]) -> Vec<(Contributor, f64)> {
    let mut out: Vec<(Contributor, f64)> = Vec::new();
    for (item, value) in now {
        let old = before.iter().find(|(i, _)| i == item).map(|(_, v)| *v);
        let status = old.is_none().then_some(Status::New);
        let change = value - old.unwrap_or(0.0);
        out.push((contributor(item, change, status), *value));
    }
    for (item, old) in before {
        if !now.iter().any(|(i, _)| i == item) {
            out.push((contributor(item, -old, Some(Status::Vanished)), 0.0));
        }
    }
    out.sort_by(|a, b| b.0.change.abs().total_cmp(&a.0.change.abs()));
    out
}

fn contributor(item: &str, change: f64, status: Option<Status>) -> Contributor {
    Contributor {
        item: item.to_string(),
        change: round2(change),
        share: None,
        status,
    }
}

/// One dimension's entry: its contributions against the total `change`; `cut` when a list
/// was as long as one request returns.
pub fn dimension(
    name: &str,
    now: &[(String, f64)],
    before: &[(String, f64)],
    change: f64,
    cut: bool,
) -> Dimension {
    let all = contributions(now, before);
    let carried: f64 = all.iter().map(|(c, _)| c.change).sum();
    let share = |x: f64| (change != 0.0).then(|| round1(x / change * 100.0));
    let pick = |up: bool| -> Vec<Contributor> {
        all.iter()
            .map(|(c, _)| c)
            .filter(|c| if up { c.change > 0.0 } else { c.change < 0.0 })
            .take(TOP)
            .map(|c| Contributor {
                share: share(c.change),
                ..c.clone()
            })
            .collect()
    };
    Dimension {
        dimension: name.to_string(),
        items: all.len(),
        cut,
        coverage: share(carried),
        other: round2(change - carried),
        up: pick(true),
        down: pick(false),
    }
}

/// The explanation of `metric` from its totals and its dimensions.
pub fn explanation(
    metric: &str,
    current: f64,
    previous: f64,
    dimensions: Vec<Dimension>,
) -> Explanation {
    Explanation {
        metric: metric.to_string(),
        current: round2(current),
        previous: round2(previous),
        change: round2(current - previous),
        change_percent: (previous != 0.0).then(|| round1((current - previous) / previous * 100.0)),
        dimensions,
    }
}

/// A whole number as an integer (`5200`, not `5200.0`): what a model reads costs context.
fn whole<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Money to the cent; counts stay whole.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, f64)]) -> Vec<(String, f64)> {
        items.iter().map(|(i, v)| (i.to_string(), *v)).collect()
    }

    #[test]
    fn contributions_and_other_add_up_to_the_total_change() {
        let before = list(&[("/", 500.0), ("/pricing", 300.0), ("/old", 40.0)]);
        let now = list(&[("/", 520.0), ("/pricing", 120.0), ("/launch", 90.0)]);
        // The overview says 1,000 → 900; the lists carry -110 of that -100, so 10 is other.
        let (current, previous) = (900.0, 1000.0);
        let d = dimension("pages", &now, &before, current - previous, false);
        let all = contributions(&now, &before);
        let sum: f64 = all.iter().map(|(c, _)| c.change).sum();
        assert_eq!(sum + d.other, current - previous);
        assert_eq!(d.other, 10.0);
        assert_eq!(d.items, 4);
        assert_eq!(d.coverage, Some(110.0));
        // Down first by size: /pricing -180 then /old (vanished) -40; up: /launch (new) +90,
        // then / +20.
        assert_eq!(d.down[0].item, "/pricing");
        assert_eq!(d.down[0].change, -180.0);
        assert_eq!(d.down[0].share, Some(180.0));
        assert_eq!(d.down[1].status, Some(Status::Vanished));
        assert_eq!(d.up[0].item, "/launch");
        assert_eq!(d.up[0].status, Some(Status::New));
        assert_eq!(d.up[0].share, Some(-90.0));
        assert_eq!(d.up[1].change, 20.0);
    }

    #[test]
    fn an_unchanged_total_has_no_shares_and_empty_lists_explain_nothing() {
        let same = list(&[("a", 10.0), ("b", 5.0)]);
        let d = dimension("referrers", &same, &same, 0.0, false);
        assert_eq!(d.coverage, None);
        assert!(d.up.is_empty() && d.down.is_empty());
        let d = dimension("events", &[], &[], 25.0, true);
        assert_eq!((d.other, d.coverage, d.cut), (25.0, Some(0.0), true));
        let e = explanation("revenue", 1234.565, 0.0, vec![d]);
        assert_eq!(e.change_percent, None);
        assert_eq!(e.current, 1234.57);
    }
}
