//! `call … --svg FILE`: the chart as one standalone SVG for a report. A series is a line and
//! area per metric (stacked panels) with one `<circle class="point">` per bucket, each titled
//! with its date and value (a browser shows that on hover), and the previous period dashed; a
//! breakdown is one `<rect class="point">` per row. No script, no external reference.

use super::{Chart, Kind, Metric, range};

const WIDTH: f64 = 720.0;
const PANEL: f64 = 200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 44.0;

/// The SVG document; `fmt` writes a metric's value as the table does.
pub fn render(chart: &Chart, fmt: &dyn Fn(&Metric, f64) -> String) -> String {
    match chart.kind {
        Kind::Series => series(chart, fmt),
        Kind::Bars => bars(chart),
    }
}

/// Text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    crate::text::escape(s)
}

fn header(width: f64, height: f64, title: &str, subtitle: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"{LEFT}\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"#111827\">{}</text>\n\
         <text x=\"{LEFT}\" y=\"36\" fill=\"#6b7280\">{}</text>\n",
        esc(title),
        esc(title),
        esc(subtitle)
    )
}

fn series(chart: &Chart, fmt: &dyn Fn(&Metric, f64) -> String) -> String {
    let height = TOP + PANEL * chart.metrics.len() as f64 + 10.0;
    let subtitle = [
        chart.window.clone(),
        chart.bucket.as_ref().map(|b| format!("per {b}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let mut out = header(WIDTH, height, &chart.title, &subtitle);
    if chart.metrics.iter().any(|m| m.previous.is_some()) {
        out.push_str(&legend(chart));
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    for (p, metric) in chart.metrics.iter().enumerate() {
        let y0 = TOP + PANEL * p as f64 + 24.0;
        let plot_h = PANEL - 60.0;
        let Some((lo, hi)) = metric.range() else {
            continue;
        };
        let (base, top) = (
            lo.min(0.0),
            if hi > lo.min(0.0) { hi } else { base_top(lo) },
        );
        let n = metric
            .values
            .len()
            .max(metric.previous.as_ref().map_or(0, Vec::len));
        let x = |i: usize| {
            if n <= 1 {
                LEFT + plot_w / 2.0
            } else {
                LEFT + plot_w * i as f64 / (n - 1) as f64
            }
        };
        let y = |v: f64| y0 + plot_h - (v - base) / (top - base) * plot_h;
        out.push_str(&format!(
            "<g class=\"metric\" data-key=\"{}\">\n<text x=\"{LEFT}\" y=\"{:.1}\" font-weight=\"600\" fill=\"#111827\">{}</text>\n",
            esc(&metric.key),
            y0 - 6.0,
            esc(&metric.label)
        ));
        for (v, anchor) in [(top, "top"), (base, "base")] {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#6b7280\" class=\"axis-{anchor}\">{}</text>\n\
                 <line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e7eb\"/>\n",
                LEFT - 8.0,
                y(v) + 4.0,
                esc(&fmt(metric, v)),
                WIDTH - RIGHT,
                y(v),
                y(v)
            ));
        }
        if let Some(prev) = &metric.previous {
            let path = polyline(prev, &x, &y);
            if !path.is_empty() {
                out.push_str(&format!(
                    "<polyline class=\"previous\" points=\"{path}\" fill=\"none\" stroke=\"#9ca3af\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n"
                ));
            }
        }
        let path = polyline(&metric.values, &x, &y);
        if !path.is_empty() {
            let (first, last) = ends_x(&metric.values, &x);
            out.push_str(&format!(
                "<polygon class=\"area\" points=\"{first:.1},{b:.1} {path} {last:.1},{b:.1}\" fill=\"#2563eb\" fill-opacity=\"0.12\"/>\n\
                 <polyline class=\"line\" points=\"{path}\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\"/>\n",
                b = y(base)
            ));
        }
        for (i, v) in metric.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let date = chart.labels.get(i).map(String::as_str).unwrap_or("");
            let shown = metric
                .display
                .get(i)
                .cloned()
                .unwrap_or_else(|| fmt(metric, *v));
            out.push_str(&format!(
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#2563eb\"><title>{}: {}</title></circle>\n",
                x(i),
                y(*v),
                esc(date),
                esc(&shown)
            ));
        }
        let first = chart.labels.first().map(String::as_str).unwrap_or("");
        let last = chart.labels.last().map(String::as_str).unwrap_or("");
        let ly = y0 + plot_h + 16.0;
        out.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{ly:.1}\" fill=\"#6b7280\">{}</text>\n",
            esc(first)
        ));
        if chart.labels.len() > 1 {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" fill=\"#6b7280\">{}</text>\n",
                WIDTH - RIGHT,
                esc(last)
            ));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// What the solid and the dashed lines are, top right: this window and the one compared.
fn legend(chart: &Chart) -> String {
    // The subtitle states this window; the legend names the one compared.
    let current = "this period".to_string();
    let previous = match (chart.previous_labels.first(), chart.previous_labels.last()) {
        (Some(a), Some(b)) if a != b => format!("previous period, {a} to {b}"),
        (Some(a), _) => format!("previous period, {a}"),
        _ => "previous period".to_string(),
    };
    // One line on the right of the first panel's label row, clear of the title and subtitle.
    let x = WIDTH - RIGHT - 390.0;
    let y = TOP + 18.0;
    let x2 = x + 24.0 + 6.5 * current.chars().count() as f64 + 16.0;
    format!(
        "<g class=\"legend\" font-size=\"11\" fill=\"#374151\">\n\
         <line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#2563eb\" stroke-width=\"2\"/>\n\
         <text x=\"{:.1}\" y=\"{y:.1}\">{}</text>\n\
         <line x1=\"{x2:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n\
         <text x=\"{:.1}\" y=\"{y:.1}\">{}</text>\n</g>\n",
        x + 18.0,
        y - 4.0,
        y - 4.0,
        x + 24.0,
        esc(&current),
        x2 + 18.0,
        y - 4.0,
        y - 4.0,
        x2 + 24.0,
        esc(&previous)
    )
}

/// The top of a flat series' axis: a little above it (or 1 for a zero series).
fn base_top(v: f64) -> f64 {
    if v > 0.0 { v * 1.1 } else { 1.0 }
}

fn polyline(values: &[Option<f64>], x: &dyn Fn(usize) -> f64, y: &dyn Fn(f64) -> f64) -> String {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The x of the first and of the last present value, where the area under a line closes
/// (the plot's left edge when there is none).
fn ends_x(values: &[Option<f64>], x: &dyn Fn(usize) -> f64) -> (f64, f64) {
    let at = |i: Option<usize>| i.map(x).unwrap_or(LEFT);
    let present = |v: &Option<f64>| v.is_some();
    (
        at(values.iter().position(present)),
        at(values.iter().rposition(present)),
    )
}

fn bars(chart: &Chart) -> String {
    let Some(metric) = chart.metrics.first() else {
        return header(WIDTH, 60.0, &chart.title, "") + "</svg>\n";
    };
    let row = 24.0;
    let height = TOP + row * chart.labels.len() as f64 + 16.0;
    let subtitle = match &chart.window {
        Some(window) => format!("{} · {window}", metric.label),
        None => metric.label.clone(),
    };
    let mut out = header(WIDTH, height, &chart.title, &subtitle);
    let max = range(&metric.values).map(|(_, hi)| hi).unwrap_or(0.0);
    let label_w = 220.0;
    let bar_w = WIDTH - label_w - 100.0;
    for (i, label) in chart.labels.iter().enumerate() {
        let v = metric.values.get(i).copied().flatten().unwrap_or(0.0);
        let w = if max > 0.0 && v > 0.0 {
            (v / max * bar_w).max(1.0)
        } else {
            0.0
        };
        let y = TOP + 8.0 + row * i as f64;
        let shown = metric.display.get(i).map(String::as_str).unwrap_or("");
        let name: String = label.chars().take(34).collect();
        out.push_str(&format!(
            "<text x=\"10\" y=\"{:.1}\" fill=\"#111827\">{}</text>\n\
             <rect class=\"point\" x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"#2563eb\"><title>{}: {}</title></rect>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#374151\">{}</text>\n",
            y + 12.0,
            esc(&name),
            esc(label),
            esc(shown),
            label_w + w + 6.0,
            y + 12.0,
            esc(shown)
        ));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::Metric;
    use super::*;

    #[test]
    fn one_mark_per_point_and_markup_escaped() {
        let chart = Chart {
            kind: Kind::Series,
            title: "Traffic <over> time".into(),
            window: Some("2026-11-01 to 2026-11-03".into()),
            bucket: Some("day".into()),
            labels: vec!["a".into(), "b".into(), "c".into()],
            previous_labels: Vec::new(),
            marks: Vec::new(),
            metrics: vec![Metric {
                key: "visitors".into(),
                label: "Visitors".into(),
                values: vec![Some(1.0), None, Some(3.0)],
                display: vec!["1".into(), String::new(), "3".into()],
                previous: Some(vec![Some(2.0), Some(2.0), Some(2.0)]),
            }],
        };
        let svg = render(&chart, &|_, v| v.to_string());
        assert_eq!(svg.matches("class=\"point\"").count(), 2, "{svg}");
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("class=\"legend\""), "{svg}");
        assert!(svg.contains(">this period<"), "{svg}");
        assert!(svg.contains(">previous period<"), "{svg}");
        assert!(svg.contains("2026-11-01 to 2026-11-03"), "{svg}");
        assert!(svg.contains("Traffic &lt;over&gt; time"));
        assert!(!svg.contains("<over>"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn a_breakdown_is_one_bar_per_row() {
        let chart = Chart {
            kind: Kind::Bars,
            title: "Top pages".into(),
            window: None,
            bucket: None,
            labels: vec!["/".into(), "/pricing".into(), "/empty".into()],
            previous_labels: Vec::new(),
            marks: Vec::new(),
            metrics: vec![Metric {
                key: "pageViews".into(),
                label: "Page views".into(),
                values: vec![Some(8558.0), Some(4457.0), Some(0.0)],
                display: vec!["8,558".into(), "4,457".into(), "0".into()],
                previous: None,
            }],
        };
        let svg = render(&chart, &|_, v| v.to_string());
        assert_eq!(svg.matches("<rect class=\"point\"").count(), 3, "{svg}");
        assert!(svg.contains("<title>/pricing: 4,457</title>"), "{svg}");
        assert!(
            svg.contains("width=\"0.0\""),
            "an empty row has no bar: {svg}"
        );
    }
}
