//! The terminal chart under `call`'s table: one block-column chart per metric, wider and taller
//! than a sparkline (eight heights per row, so 64 steps in eight rows), with its top and base
//! values on the left and the first and last dates below. With a comparison, the previous
//! period runs under it as a line of column-wide sparks on the same scale. Breakdowns get one
//! bar per row.

use super::{Chart, Kind, Metric, downsample, range, step_for};

/// The gutter label of the previous period's line.
const PREV: &str = "prev";
/// Rows of a series chart.
const HEIGHT: usize = 8;
/// The partial tops of a column, one eighth to seven eighths.
const TOPS: [char; 7] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇'];

/// The chart for a terminal `width` columns wide; `fmt` writes a metric's value as the table
/// does.
pub fn render(chart: &Chart, width: usize, fmt: &dyn Fn(&Metric, f64) -> String) -> String {
    match chart.kind {
        Kind::Series => chart
            .metrics
            .iter()
            .filter_map(|m| series(chart, m, width, fmt))
            .collect::<Vec<_>>()
            .join("\n"),
        Kind::Bars => chart
            .metrics
            .first()
            .map(|m| bars(chart, m, width))
            .unwrap_or_default(),
    }
}

fn series(
    chart: &Chart,
    metric: &Metric,
    width: usize,
    fmt: &dyn Fn(&Metric, f64) -> String,
) -> Option<String> {
    // Nothing to draw without a current value; the previous period shares its scale.
    range(&metric.values)?;
    let (lo, hi) = metric.range()?;
    // Columns stand on zero, so a column twice as tall is twice as much (issue 20: an axis
    // from 740 made 949 look like a twentieth of 1,612); only a series that dips below zero
    // stands on a round number under its low, which the base label names.
    let base = if lo >= 0.0 { 0.0 } else { nice_floor(lo) };
    let top = hi.max(base);
    let (top_label, base_label) = (fmt(metric, top), fmt(metric, base));
    let mut gutter = top_label.chars().count().max(base_label.chars().count());
    if metric.previous.is_some() {
        gutter = gutter.max(PREV.len());
    }
    let plot = width.saturating_sub(gutter + 2).clamp(10, 120);
    let step = step_for(metric.values.len(), plot);
    let values = downsample(&metric.values, step);
    let cell = (plot / values.len().max(1)).clamp(1, 6);
    // Wide columns keep a gap between them so neighbours stay apart.
    let (bar, gap) = if cell >= 3 { (cell - 1, 1) } else { (cell, 0) };
    let eighths: Vec<Option<usize>> = values
        .iter()
        .map(|v| {
            v.map(|v| {
                if top <= base {
                    0
                } else {
                    (((v - base) / (top - base)) * (HEIGHT * 8) as f64).round() as usize
                }
            })
        })
        .collect();
    let bucket = chart.bucket.as_deref().unwrap_or("bucket");
    let per = if step > 1 {
        format!("each column {step} {bucket}s, the mean")
    } else {
        format!("per {bucket}")
    };
    let mut out = format!("{} ({per})\n", metric.label);
    for row in (0..HEIGHT).rev() {
        let label = match row {
            r if r == HEIGHT - 1 => top_label.as_str(),
            0 => base_label.as_str(),
            _ => "",
        };
        let axis = if label.is_empty() { '│' } else { '┤' };
        let mut line = format!("{label:>gutter$} {axis}");
        for e in &eighths {
            let glyph = match e {
                Some(e) if *e >= (row + 1) * 8 => '█',
                Some(e) if *e > row * 8 => TOPS[e - row * 8 - 1],
                // A present zero still shows on the floor.
                Some(_) if row == 0 => '▁',
                _ => ' ',
            };
            line.extend(std::iter::repeat_n(glyph, bar));
            line.extend(std::iter::repeat_n(' ', gap));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if let Some(previous) = &metric.previous {
        let previous = downsample(previous, step);
        let mut line = format!("{PREV:>gutter$} │");
        for v in previous.iter().take(values.len()) {
            let glyph = match v {
                Some(v) => super::SPARKS[super::level(*v, base, top, super::SPARKS.len())],
                None => ' ',
            };
            line.extend(std::iter::repeat_n(glyph, bar));
            line.extend(std::iter::repeat_n(' ', gap));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if !chart.marks.is_empty() {
        // ⚠ under each column holding a day that breaks the weekly pattern.
        let mut line = format!("{:gutter$}  ", "");
        for i in 0..values.len() {
            let marked = chart.marks.iter().any(|m| m / step == i);
            line.push(if marked { '⚠' } else { ' ' });
            line.extend(std::iter::repeat_n(' ', (bar + gap).saturating_sub(1)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let first = chart.labels.first().map(String::as_str).unwrap_or("");
    let last = chart.labels.last().map(String::as_str).unwrap_or("");
    let span = values.len() * cell;
    let pad = span.saturating_sub(first.chars().count() + last.chars().count());
    let dates = match chart.labels.len() {
        0 | 1 => first.to_string(),
        _ if pad >= 2 => format!("{first}{}{last}", " ".repeat(pad)),
        _ => format!("{first} → {last}"),
    };
    out.push_str(&format!("{:gutter$}  {dates}", ""));
    Some(fit(&out, width))
}

/// Each line cut to `width` columns (a chart wider than a narrow terminal would wrap).
fn fit(text: &str, width: usize) -> String {
    text.lines()
        .map(|l| {
            l.chars()
                .take(width)
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `733.2` → `730`, `2151` → `2100`: an axis base that reads as a round number.
fn nice_floor(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let unit = 10f64.powf(x.abs().log10().floor() - 1.0);
    (x / unit).floor() * unit
}

fn bars(chart: &Chart, metric: &Metric, width: usize) -> String {
    let max = range(&metric.values).map(|(_, hi)| hi).unwrap_or(0.0);
    let name_w = chart
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    let value_w = metric
        .display
        .iter()
        .map(|d| d.chars().count())
        .max()
        .unwrap_or(0);
    let bar_w = width.saturating_sub(name_w + value_w + 4).clamp(10, 60);
    let mut out = format!("{}: {}\n", chart.title, metric.label.to_lowercase());
    for (i, label) in chart.labels.iter().enumerate() {
        let v = metric.values.get(i).copied().flatten().unwrap_or(0.0);
        let shown = metric.display.get(i).map(String::as_str).unwrap_or("");
        let name: String = label.chars().take(name_w).collect();
        out.push_str(&format!(
            "{name:<name_w$}  {shown:>value_w$}  {}\n",
            super::bar(v, max, bar_w)
        ));
    }
    fit(out.trim_end(), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: &[f64]) -> Chart {
        Chart {
            kind: Kind::Series,
            title: "Traffic over time".into(),
            window: None,
            bucket: Some("day".into()),
            labels: (1..=values.len())
                .map(|d| format!("2026-11-{d:02}"))
                .collect(),
            previous_labels: Vec::new(),
            marks: Vec::new(),
            metrics: vec![Metric {
                key: "visitors".into(),
                label: "Visitors".into(),
                values: values.iter().copied().map(Some).collect(),
                display: values.iter().map(|v| v.to_string()).collect(),
                previous: None,
            }],
        }
    }

    #[test]
    fn a_narrow_band_still_stands_on_zero() {
        assert_eq!(nice_floor(733.2), 730.0);
        assert_eq!(nice_floor(2151.0), 2100.0);
        assert_eq!(nice_floor(-80.5), -81.0);
        let out = render(&chart(&[900.0, 1000.0, 950.0]), 40, &|_, v| v.to_string());
        assert!(out.lines().nth(8).unwrap().starts_with("   0 ┤"), "{out}");
        let below = render(&chart(&[-80.5, 10.0]), 40, &|_, v| v.to_string());
        assert!(below.contains("-81 ┤"), "{below}");
    }

    #[test]
    fn every_line_fits_the_width() {
        let values: Vec<f64> = (0..90).map(|i| 1000.0 + f64::from(i % 7) * 100.0).collect();
        for width in [40, 60, 80, 120] {
            let out = render(&chart(&values), width, &|_, v| format!("{v:.0}"));
            for line in out.lines() {
                assert!(line.chars().count() <= width, "{width}: {line:?}\n{out}");
            }
        }
    }

    #[test]
    fn the_previous_period_runs_under_the_columns_on_the_same_scale() {
        let mut c = chart(&[2.0, 4.0, 8.0]);
        c.metrics[0].previous = Some(vec![Some(8.0), Some(4.0), Some(0.0)]);
        let out = render(&c, 40, &|_, v| v.to_string());
        let prev = out
            .lines()
            .find(|l| l.trim_start().starts_with("prev"))
            .unwrap();
        assert!(prev.contains('█') && prev.contains('▁'), "{out}");
        insta::assert_snapshot!("terminal_with_previous", out);
    }

    #[test]
    fn a_day_that_breaks_the_pattern_is_marked_under_its_column() {
        let c = chart(&[1.0, 1.0, 9.0, 1.0]).marked(&["2026-11-03"]);
        assert_eq!(c.marks, [2]);
        let out = render(&c, 40, &|_, v| v.to_string());
        let lines: Vec<Vec<char>> = out.lines().map(|l| l.chars().collect()).collect();
        // Only the third column reaches the top row; the ⚠ stands under it, alone.
        let top = lines[1].iter().position(|c| *c == '█').unwrap();
        let marks: Vec<&Vec<char>> = lines.iter().filter(|l| l.contains(&'⚠')).collect();
        assert_eq!(marks.len(), 1, "{out}");
        assert_eq!(marks[0].iter().position(|c| *c == '⚠'), Some(top), "{out}");
        assert_eq!(marks[0].iter().filter(|c| **c == '⚠').count(), 1);
        // Unmarked, the chart has no such line.
        assert!(!render(&chart(&[1.0, 9.0]), 40, &|_, v| v.to_string()).contains('⚠'));
    }

    #[test]
    fn columns_rise_from_zero_with_labels_and_dates() {
        let out = render(&chart(&[0.0, 4.0, 8.0]), 40, &|_, v| v.to_string());
        insta::assert_snapshot!("terminal_columns", out);
    }
}
