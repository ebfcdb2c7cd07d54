//! Charts from numbers: sparklines and share bars for the text answer, a wider block chart for
//! the terminal, and a standalone SVG (issue 15).
//!
//! A leaf module: it knows series of numbers and their labels, not tools, the API or MCP, so
//! `tools` (the answer's text), `commands` (the terminal chart, `--svg`) and `mcp` (the MCP
//! Apps view's data) all use the same [`Chart`]. Values are `Option<f64>`: a bucket the
//! upstream left empty is a gap, not a zero.

pub mod svg;
pub mod terminal;

use serde::Serialize;

/// The eight heights of a sparkline, lowest first.
pub const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Partial cells of a horizontal bar, one eighth to seven eighths.
const EIGHTHS: [char; 7] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];
/// Longest sparkline: a longer series is down-sampled (and the bucket size said).
pub const MAX_SPARK: usize = 60;

/// What a chart draws: either a series over time (one or more metrics, each with an optional
/// previous period) or a breakdown (one bar per row). Serialized as the MCP Apps view's input.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// `series` or `bars`.
    pub kind: Kind,
    /// The tool's title, e.g. `Traffic over time`.
    pub title: String,
    /// The window as people read it, e.g. `2026-11-24 to 2026-11-30 (America/New_York)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The bucket size (`day`, `week`, …) of a series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// One label per point: a bucket's date, or a breakdown row's name.
    pub labels: Vec<String>,
    /// The previous period's bucket dates, when there is one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_labels: Vec<String>,
    pub metrics: Vec<Metric>,
    /// Points that break the weekly pattern (issue 25): indexes into `labels`, marked ⚠.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<usize>,
}

impl Chart {
    /// The chart with the points whose label starts with one of `dates` marked.
    pub fn marked(mut self, dates: &[&str]) -> Self {
        self.marks = (self.labels.iter().enumerate())
            .filter(|(_, l)| dates.iter().any(|d| l.starts_with(d)))
            .map(|(i, _)| i)
            .collect();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Series,
    Bars,
}

/// One metric of a chart.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// The upstream's key, e.g. `pageViews`.
    pub key: String,
    /// As people read it, e.g. `Page views`.
    pub label: String,
    pub values: Vec<Option<f64>>,
    /// Each value as the text shows it (`$1,163`, `4,297`).
    pub display: Vec<String>,
    /// The previous period's values (a series with `compare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Vec<Option<f64>>>,
}

impl Metric {
    /// Lowest and highest present value of the metric and its previous period, which are
    /// drawn on one scale so the two read against each other.
    pub fn range(&self) -> Option<(f64, f64)> {
        let previous = self.previous.as_deref().and_then(range);
        match (range(&self.values), previous) {
            (Some((lo, hi)), Some((plo, phi))) => Some((lo.min(plo), hi.max(phi))),
            (current, previous) => current.or(previous),
        }
    }
}

/// Lowest and highest present value.
pub fn range(values: &[Option<f64>]) -> Option<(f64, f64)> {
    values
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(None, |acc, &v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Positions of the first lowest and the first highest present value.
pub fn extremes(values: &[Option<f64>]) -> Option<(usize, usize)> {
    let mut lo: Option<(usize, f64)> = None;
    let mut hi: Option<(usize, f64)> = None;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            continue;
        };
        if lo.is_none_or(|(_, l)| v < l) {
            lo = Some((i, v));
        }
        if hi.is_none_or(|(_, h)| v > h) {
            hi = Some((i, v));
        }
    }
    Some((lo?.0, hi?.0))
}

/// How many buckets each character stands for so that `len` buckets fit in `max` characters.
pub fn step_for(len: usize, max: usize) -> usize {
    len.div_ceil(max.max(1)).max(1)
}

/// Groups `step` buckets into one: the mean of the present values (a gap when none is), so
/// a short last group is not drawn lower than the others.
pub fn downsample(values: &[Option<f64>], step: usize) -> Vec<Option<f64>> {
    values
        .chunks(step.max(1))
        .map(|chunk| {
            let present: Vec<f64> = chunk.iter().flatten().copied().collect();
            (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
        })
        .collect()
}

/// The height (0..levels) of `v` between `lo` and `hi`. A flat series sits in the middle,
/// except at zero, where it lies on the floor: "nothing" should look like nothing.
pub fn level(v: f64, lo: f64, hi: f64, levels: usize) -> usize {
    let top = levels.saturating_sub(1);
    if hi <= lo {
        return if hi == 0.0 { 0 } else { top / 2 };
    }
    (((v - lo) / (hi - lo)) * top as f64)
        .round()
        .clamp(0.0, top as f64) as usize
}

/// One character per value, scaled between `lo` and `hi` (shared by a metric's current and
/// previous series, so the two compare); a gap is a space.
pub fn sparkline(values: &[Option<f64>], lo: f64, hi: f64) -> String {
    values
        .iter()
        .map(|v| match v.filter(|v| v.is_finite()) {
            Some(v) => SPARKS[level(v, lo, hi, SPARKS.len())],
            None => ' ',
        })
        .collect()
}

/// A bar `width` cells long for `max`, in eighths of a cell; empty for nothing or less.
pub fn bar(value: f64, max: f64, width: usize) -> String {
    if !(value > 0.0 && max > 0.0) {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * (width * 8) as f64)
        .round()
        .max(1.0) as usize;
    let mut out = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8 - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn sparklines_scale_between_low_and_high() {
        let v = some(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(sparkline(&v, 0.0, 7.0), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&some(&[5.0, 5.0]), 5.0, 5.0), "▄▄");
        assert_eq!(sparkline(&some(&[0.0, 0.0]), 0.0, 0.0), "▁▁");
        assert_eq!(sparkline(&[Some(1.0), None, Some(3.0)], 1.0, 3.0), "▁ █");
    }

    #[test]
    fn long_series_are_grouped_by_their_mean() {
        assert_eq!(step_for(90, 60), 2);
        assert_eq!(step_for(60, 60), 1);
        assert_eq!(step_for(1, 60), 1);
        let v = some(&[1.0, 3.0, 5.0]);
        assert_eq!(downsample(&v, 2), vec![Some(2.0), Some(5.0)]);
        assert_eq!(downsample(&[None, None], 2), vec![None]);
    }

    #[test]
    fn extremes_are_the_first_low_and_high() {
        let v = [Some(3.0), None, Some(1.0), Some(9.0), Some(1.0), Some(9.0)];
        assert_eq!(extremes(&v), Some((2, 3)));
        assert_eq!(range(&v), Some((1.0, 9.0)));
        assert_eq!(extremes(&[None]), None);
    }

    #[test]
    fn a_metric_and_its_previous_period_share_one_range() {
        let metric = |values: Vec<Option<f64>>, previous| Metric {
            key: "visitors".into(),
            label: "Visitors".into(),
            display: Vec::new(),
            values,
            previous,
        };
        let both = metric(some(&[3.0, 5.0]), Some(some(&[1.0, 4.0])));
        assert_eq!(both.range(), Some((1.0, 5.0)));
        assert_eq!(metric(some(&[3.0]), None).range(), Some((3.0, 3.0)));
        assert_eq!(
            metric(vec![None], Some(some(&[2.0]))).range(),
            Some((2.0, 2.0))
        );
        assert_eq!(metric(vec![None], None).range(), None);
    }

    #[test]
    fn bars_are_measured_in_eighths() {
        assert_eq!(bar(10.0, 10.0, 4), "████");
        assert_eq!(bar(5.0, 10.0, 4), "██");
        assert_eq!(bar(1.0, 10.0, 4), "▍");
        assert_eq!(bar(0.01, 10.0, 4), "▏");
        assert_eq!(bar(0.0, 10.0, 4), "");
        assert_eq!(bar(-3.0, 10.0, 4), "");
    }
}
