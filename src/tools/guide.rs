//! What the model reads besides tool results: the server instructions, the metric glossary
//! (also served as a resource), and the prompts. Plain text, kept short: it is sent to the
//! model on every session.

use super::window::PERIODS;

/// `instructions` in the `initialize` result. Clients repeat it (Codex once per tool in code
/// mode), so it is short; the date grammar lives here once instead of in every tool.
pub const INSTRUCTIONS: &str = "\
Live analytics of one website (Himetrica); every tool is read-only.
Dates: `period` (today, yesterday, last_7_days, last_28_days, last_30_days, last_90_days, month_to_date, \
last_month, year_to_date, last_12_months), read in the project's time zone, last_N_days ending yesterday; or \
`startDate`/`endDate` (2026-11-01 or RFC 3339), not both. Default last_7_days. `compare`: previous_period or \
previous_year. Lists take `limit` 1-100 (default 10); `more` says whether more rows exist.
Answers lead with `summary`, then `window`, `metrics` or `columns` + `rows`. Rates are %; \
ROI = (revenue - ad spend) / ad spend; CAC = ad spend / new customers. Glossary: resource analytics://glossary.";

/// The glossary resource (`analytics://glossary`).
pub const GLOSSARY: &str = "# Analytics glossary

- **Visitors** (unique visitors): distinct people in the window, counted once however often they came.
- **Sessions**: visits. A visit ends after about 30 minutes without activity; one visitor can have several.
- **Pageviews**: pages loaded, across all sessions.
- **Bounce rate**: the percentage of sessions with a single pageview.
- **Average duration**: mean session length.
- **Referrer**: the site a visitor came from; `(direct)` means none (typed URL, bookmark, app).
- **UTM source / medium / campaign**: tags on links (`utm_source=newsletter`) that name where traffic came from.
- **Custom events**: actions the site reports (signups, clicks, purchases), with counts and unique visitors.
- **MRR**: monthly recurring revenue from active subscriptions. **ARR** = 12 × MRR.
- **Churn rate**: the percentage of subscriptions active at the start of the window that were cancelled in it.
- **CAC**: customer acquisition cost = ad spend ÷ new customers from a channel.
- **LTV**: lifetime value, the revenue a customer is expected to bring over their lifetime.
- **ROI**: (revenue − ad spend) ÷ ad spend, in percent; none when a channel has no spend.

## Date windows

`period` presets are read in the project's time zone. `last_7_days`, `last_28_days`, `last_30_days` and
`last_90_days` are whole days ending yesterday; `today`, `month_to_date` and `year_to_date` run until now
(unfinished, and flagged so); `last_month` is the previous calendar month; `last_12_months` the twelve
calendar months before this one. `compare=previous_period` uses the same length just before;
`compare=previous_year` the same dates a year earlier.
";

/// A prompt the client can offer: name, description, arguments `(name, description)`, the
/// window it covers when none is given, and the message it expands to for a window (and a
/// metric, for the prompts that take one).
pub struct PromptDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub arguments: &'static [(&'static str, &'static str)],
    pub default_period: &'static str,
    text: fn(&str, Option<&str>) -> Result<String, String>,
}

pub const PROMPTS: &[PromptDef] = &[
    PromptDef {
        name: "weekly_report",
        title: "Weekly analytics report",
        description: "A short report on traffic, content, acquisition and revenue for a window, with changes against the previous period.",
        arguments: &[("period", "Window to report on (default last_7_days)")],
        default_period: "last_7_days",
        text: weekly_report,
    },
    PromptDef {
        name: "what_changed",
        title: "What changed and why",
        description: "Find the biggest movement in a metric against the previous period and trace it to pages, sources, places or events.",
        arguments: &[
            (
                "metric",
                "Metric to explain, e.g. uniqueVisitors, pageViews, bounceRate, mrr (default uniqueVisitors)",
            ),
            ("period", "Window to examine (default last_7_days)"),
        ],
        default_period: "last_7_days",
        text: what_changed,
    },
    PromptDef {
        name: "revenue_review",
        title: "Revenue review",
        description: "MRR, churn, top customers and channel ROI for a window, with changes against the previous period.",
        arguments: &[("period", "Window to review (default last_30_days)")],
        default_period: "last_30_days",
        text: revenue_review,
    },
];

/// Metric names the `metric` argument completes to.
pub const METRICS: &[&str] = &[
    "uniqueVisitors",
    "pageViews",
    "sessions",
    "bounceRate",
    "avgDuration",
    "mrr",
    "revenue",
    "newSubscriptions",
    "churnRate",
    "events",
];

/// The user message a prompt expands to. Unknown values are refused with what is accepted.
pub fn prompt_text(
    name: &str,
    period: Option<&str>,
    metric: Option<&str>,
) -> Result<String, String> {
    let Some(prompt) = PROMPTS.iter().find(|p| p.name == name) else {
        return Err(format!(
            "unknown prompt `{}`; known prompts: {}",
            crate::text::clean(name, 40),
            PROMPTS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let period = match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => prompt.default_period,
        Some(p) if PERIODS.iter().any(|(_, n)| *n == p) => p,
        Some(p) => {
            return Err(format!(
                "unknown period `{}`; accepted: {}",
                crate::text::clean(p, 40),
                super::window::period_list()
            ));
        }
    };
    (prompt.text)(period, metric)
}

fn weekly_report(period: &str, _metric: Option<&str>) -> Result<String, String> {
    Ok(format!(
        "Write a short analytics report for period={period}.\n\
         1. Call get_analytics with period={period} and compare=previous_period; lead with visitors, pageviews and bounce rate and how each changed.\n\
         2. Call get_top_pages (limit 5) and get_traffic_sources (limit 5) for the same period; name what drove traffic.\n\
         3. Call get_revenue with period={period} and compare=previous_period; report MRR, new and churned subscriptions.\n\
         Keep it under 200 words, use the numbers as given, say which window they cover, and end with one suggestion."
    ))
}

fn what_changed(period: &str, metric: Option<&str>) -> Result<String, String> {
    let metric = metric
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("uniqueVisitors");
    if !METRICS.contains(&metric) {
        return Err(format!(
            "unknown metric `{}`; accepted: {}",
            crate::text::clean(metric, 40),
            METRICS.join(", ")
        ));
    }
    // explain_change does the breakdowns and the arithmetic in one call (issue 25); a metric
    // no breakdown carries is sized by its overview and explained through the one that drives it.
    let explained = match metric {
        "uniqueVisitors" => Some("visitors"),
        "pageViews" => Some("pageviews"),
        "sessions" => Some("sessions"),
        "revenue" => Some("revenue"),
        "events" => Some("events"),
        _ => None,
    };
    let step = match explained {
        Some(m) => format!(
            "1. Call explain_change with metric={m} and period={period} (compared with the previous period): it sizes the change, names the pages, sources, places or events that carry it with their numbers, says how much stays unexplained, and flags days that broke the weekly pattern."
        ),
        None => {
            let (tool, driver) = if ["mrr", "newSubscriptions", "churnRate"].contains(&metric) {
                ("get_revenue", "revenue")
            } else {
                ("get_analytics", "visitors")
            };
            format!(
                "1. Call {tool} with period={period} and compare=previous_period to size the change in {metric}; then call explain_change with metric={driver} and period={period} to trace what drives it."
            )
        }
    };
    Ok(format!(
        "Explain what changed in {metric} for period={period}.\n\
         {step}\n\
         2. Name the two or three items whose change explains most of the difference, with their numbers and share of the change, and any flagged day.\n\
         If the change is small (under 5%), say so rather than over-explaining noise."
    ))
}

fn revenue_review(period: &str, _metric: Option<&str>) -> Result<String, String> {
    Ok(format!(
        "Review revenue for period={period}.\n\
         1. Call get_revenue with period={period} and compare=previous_period; lead with MRR, ARR, new and churned subscriptions and the churn rate, and how each changed.\n\
         2. Call get_revenue_timeseries for the same period (granularity week when it is longer than a month) to say when MRR moved.\n\
         3. Call get_top_customers (limit 5): who brings the most revenue, and how concentrated it is.\n\
         4. Call get_channel_roi: which channels pay off (ROI, CAC against LTV) and which lose money.\n\
         Keep it under 250 words, use the numbers as given, say which window they cover, and end with one action."
    ))
}

/// Completion candidates for a prompt argument, filtered by what was typed so far.
pub fn complete(argument: &str, typed: &str) -> Vec<String> {
    let typed = typed.trim().to_ascii_lowercase();
    let pool: Vec<&str> = match argument {
        "period" => PERIODS.iter().map(|(_, n)| *n).collect(),
        "metric" => METRICS.to_vec(),
        _ => Vec::new(),
    };
    pool.into_iter()
        .filter(|v| v.to_ascii_lowercase().starts_with(&typed))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_expand_and_refuse_unknown_values() {
        let t = prompt_text("weekly_report", Some("last_month"), None).unwrap();
        assert!(t.contains("period=last_month") && t.contains("compare=previous_period"));
        assert!(
            prompt_text("what_changed", None, Some("mrr"))
                .unwrap()
                .contains("get_revenue")
        );
        let t = prompt_text("what_changed", None, Some("pageViews")).unwrap();
        assert!(t.contains("explain_change with metric=pageviews"), "{t}");
        let r = prompt_text("revenue_review", None, None).unwrap();
        assert!(
            r.contains("period=last_30_days")
                && r.contains("get_top_customers")
                && r.contains("get_channel_roi"),
            "{r}"
        );
        assert!(
            prompt_text("revenue_review", Some("fortnight"), None)
                .unwrap_err()
                .contains("last_12_months")
        );
        assert!(
            prompt_text("weekly_report", Some("fortnight"), None)
                .unwrap_err()
                .contains("last_7_days")
        );
        assert!(
            prompt_text("what_changed", None, Some("vibes"))
                .unwrap_err()
                .contains("uniqueVisitors")
        );
    }

    #[test]
    fn completions_filter_by_prefix() {
        assert_eq!(complete("period", "last_1"), vec!["last_12_months"]);
        assert_eq!(complete("period", "").len(), 10);
        assert!(complete("metric", "b").contains(&"bounceRate".to_string()));
        assert!(complete("nope", "").is_empty());
    }
}
