//! Deterministic sample data for the demo project, a small SaaS ("Northwind Notes").
//!
//! Every number derives from the calendar day through a hash, so the same window always gives
//! the same answer, different windows give different answers, and breakdowns (pages, sources,
//! locations, time series buckets) add up exactly to the window's totals. Days after today
//! have no data.

use jiff::civil::{Date, Weekday};
use serde_json::{Value, json};

pub const PROJECT_ID: &str = "prj_demo_northwind";
pub const PROJECT_NAME: &str = "Northwind Notes (demo)";
pub const PROJECT_TIMEZONE: &str = "America/New_York";
pub const PROJECT_DOMAIN: &str = "northwind-notes.example";

/// SplitMix64: a tiny, well-known mixing function, so values need no RNG state.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A value in [0, 1) fixed by `day` and `salt`.
fn unit(day: i64, salt: u64) -> f64 {
    (mix((day as u64) ^ salt.wrapping_mul(0x1000_0000_01B3)) >> 11) as f64 / (1u64 << 53) as f64
}

fn day_number(d: Date) -> i64 {
    d.since(Date::constant(2020, 1, 1))
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(0)
}

/// One day's traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Day {
    pub visitors: u64,
    pub sessions: u64,
    pub pageviews: u64,
    pub bounced: u64,
    pub duration_secs: u64,
    pub revenue_cents: u64,
    pub new_subs: u64,
    pub churned_subs: u64,
}

impl Day {
    pub fn add(&mut self, o: &Day) {
        self.visitors += o.visitors;
        self.sessions += o.sessions;
        self.pageviews += o.pageviews;
        self.bounced += o.bounced;
        self.duration_secs += o.duration_secs;
        self.revenue_cents += o.revenue_cents;
        self.new_subs += o.new_subs;
        self.churned_subs += o.churned_subs;
    }
}

/// The demo's traffic and revenue on `d`; zero after `today`.
pub fn day(d: Date, today: Date) -> Day {
    if d > today {
        return Day::default();
    }
    let n = day_number(d);
    let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
    let growth = 1.0 + 0.0006 * (n - 2000) as f64;
    let base = 1150.0 * growth.max(0.3) * if weekend { 0.62 } else { 1.0 };
    let visitors = (base * (0.85 + 0.3 * unit(n, 1))).round() as u64;
    let sessions = (visitors as f64 * (1.22 + 0.12 * unit(n, 2))).round() as u64;
    let pageviews = (sessions as f64 * (2.4 + 0.8 * unit(n, 3))).round() as u64;
    let bounced = (sessions as f64 * (0.36 + 0.1 * unit(n, 4))).round() as u64;
    let duration_secs = sessions * (140 + (unit(n, 5) * 80.0) as u64);
    let new_subs = (visitors as f64 * (0.003 + 0.003 * unit(n, 6))).round() as u64;
    let churned_subs = (unit(n, 7) * 3.2).floor() as u64;
    let mrr_cents = mrr_cents(d);
    let revenue_cents = mrr_cents / 30 + new_subs * 2900 + (unit(n, 8) * 15_000.0) as u64;
    Day {
        visitors,
        sessions,
        pageviews,
        bounced,
        duration_secs,
        revenue_cents,
        new_subs,
        churned_subs,
    }
}

/// The first `hours` hours of `day` (each field split over the hours as [`HOUR_WEIGHTS`]
/// splits visitors): what a day has so far, so that nothing after the current time is served.
pub fn first_hours(day: &Day, hours: usize) -> Day {
    let part = |n: u64| apportion(n, &HOUR_WEIGHTS).iter().take(hours).sum();
    Day {
        visitors: part(day.visitors),
        sessions: part(day.sessions),
        pageviews: part(day.pageviews),
        bounced: part(day.bounced),
        duration_secs: part(day.duration_secs),
        revenue_cents: part(day.revenue_cents),
        new_subs: part(day.new_subs),
        churned_subs: part(day.churned_subs),
    }
}

/// Monthly recurring revenue at the end of `d`, in cents.
pub fn mrr_cents(d: Date) -> u64 {
    let n = day_number(d);
    let trend = 1_840_000.0 + 1_150.0 * (n - 2000) as f64;
    let wobble = 25_000.0 * (unit(n / 7, 9) - 0.5);
    (trend + wobble).max(100_000.0) as u64
}

/// Active paying subscriptions at the end of `d`.
pub fn active_subs(d: Date) -> u64 {
    mrr_cents(d) / 3100
}

/// Splits `total` across `weights` so that the parts add up exactly (largest remainder).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// Visitor share of each hour of a day (New York time): quiet nights, a working-day hump.
pub const HOUR_WEIGHTS: [f64; 24] = [
    1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.2, 3.6, 5.0, 6.0, 6.4, 6.2, 6.4, 6.6, 6.3, 5.8, 5.0, 4.2,
    3.8, 3.6, 3.2, 2.4, 1.7,
];

/// `(path, title, weight, avg seconds on page)`.
pub const PAGES: &[(&str, &str, f64, u64)] = &[
    (
        "/",
        "Northwind Notes — notes that organize themselves",
        24.0,
        48,
    ),
    ("/pricing", "Pricing · Northwind Notes", 12.5, 95),
    ("/features", "Features · Northwind Notes", 9.0, 80),
    (
        "/blog/markdown-vs-rich-text",
        "Markdown vs rich text: what we learned",
        7.5,
        240,
    ),
    ("/app/notes", "Your notes", 7.0, 410),
    ("/signup", "Create your account", 6.0, 65),
    ("/docs/getting-started", "Getting started · Docs", 5.5, 210),
    (
        "/blog/second-brain-for-teams",
        "A second brain for teams",
        4.8,
        265,
    ),
    ("/integrations", "Integrations · Northwind Notes", 4.0, 70),
    ("/login", "Log in", 3.8, 20),
    ("/changelog", "Changelog", 3.0, 120),
    ("/docs/api", "API reference · Docs", 2.6, 300),
    ("/about", "About us", 1.7, 55),
    ("/careers", "Careers", 1.2, 75),
    ("/security", "Security", 0.9, 90),
];

/// Referrers and their visitor share.
pub const REFERRERS: &[(&str, f64)] = &[
    ("google.com", 33.0),
    ("(direct)", 22.0),
    ("news.ycombinator.com", 9.0),
    ("x.com", 6.5),
    ("github.com", 6.0),
    ("reddit.com", 5.0),
    ("producthunt.com", 4.5),
    ("linkedin.com", 3.5),
    ("bing.com", 3.0),
    ("duckduckgo.com", 2.5),
    ("newsletter.northwind-notes.example", 2.0),
    ("dev.to", 1.5),
    ("chatgpt.com", 1.5),
];

pub const UTM_SOURCES: &[(&str, f64)] = &[
    ("(none)", 58.0),
    ("google", 14.0),
    ("newsletter", 9.0),
    ("twitter", 6.0),
    ("producthunt", 5.0),
    ("partner_blog", 4.5),
    ("linkedin", 3.5),
];

pub const UTM_MEDIUMS: &[(&str, f64)] = &[
    ("(none)", 58.0),
    ("cpc", 15.0),
    ("email", 10.0),
    ("social", 9.5),
    ("referral", 7.5),
];

pub const UTM_CAMPAIGNS: &[(&str, f64)] = &[
    ("(none)", 58.0),
    ("fall_launch_2026", 12.0),
    ("black_friday_2026", 9.0),
    ("onboarding_drip", 8.0),
    ("webinar_october", 6.5),
    ("brand_search", 6.5),
];

/// `(country, code, region, city, weight)`: leaves of the location tree.
pub const PLACES: &[(&str, &str, &str, &str, f64)] = &[
    ("United States", "US", "California", "San Francisco", 9.0),
    ("United States", "US", "California", "Los Angeles", 5.0),
    ("United States", "US", "New York", "New York", 8.0),
    ("United States", "US", "Texas", "Austin", 4.0),
    ("United States", "US", "Washington", "Seattle", 4.0),
    ("United States", "US", "Massachusetts", "Boston", 3.0),
    ("United Kingdom", "GB", "England", "London", 7.0),
    ("United Kingdom", "GB", "Scotland", "Edinburgh", 1.5),
    ("Germany", "DE", "Berlin", "Berlin", 5.0),
    ("Germany", "DE", "Bavaria", "Munich", 2.5),
    ("India", "IN", "Karnataka", "Bengaluru", 5.5),
    ("India", "IN", "Maharashtra", "Mumbai", 2.5),
    ("Canada", "CA", "Ontario", "Toronto", 4.0),
    ("Canada", "CA", "British Columbia", "Vancouver", 2.0),
    ("France", "FR", "Île-de-France", "Paris", 4.0),
    ("Brazil", "BR", "São Paulo", "São Paulo", 3.0),
    ("Australia", "AU", "New South Wales", "Sydney", 2.8),
    ("Netherlands", "NL", "North Holland", "Amsterdam", 2.6),
    ("Japan", "JP", "Tokyo", "Tokyo", 2.2),
    ("Spain", "ES", "Community of Madrid", "Madrid", 1.8),
];

/// `(event, events per 100 visitors, share of visitors who fire it)`.
pub const EVENTS: &[(&str, f64, f64)] = &[
    ("note_created", 58.0, 0.16),
    ("signup_started", 6.5, 0.06),
    ("signup_completed", 3.9, 0.039),
    ("invite_sent", 3.1, 0.02),
    ("upgrade_clicked", 2.4, 0.021),
    ("export_pdf", 1.8, 0.012),
    ("checkout_completed", 0.6, 0.006),
];

/// `(name, email, plan, since, share of revenue)`.
pub const CUSTOMERS: &[(&str, &str, &str, &str, f64)] = &[
    (
        "Acme Robotics",
        "billing@acme-robotics.example",
        "Business",
        "2024-03-14",
        5.2,
    ),
    (
        "Globex Health",
        "finance@globex-health.example",
        "Business",
        "2024-07-02",
        4.6,
    ),
    (
        "Initech",
        "ap@initech.example",
        "Business",
        "2023-11-20",
        4.1,
    ),
    (
        "Umbrella Learning",
        "accounts@umbrella-learning.example",
        "Team",
        "2025-01-09",
        3.3,
    ),
    (
        "Stark Studio",
        "ops@starkstudio.example",
        "Team",
        "2024-09-30",
        2.9,
    ),
    (
        "Wayne Logistics",
        "billing@wayne-logistics.example",
        "Team",
        "2025-04-17",
        2.6,
    ),
    (
        "Hooli Labs",
        "money@hooli-labs.example",
        "Team",
        "2025-02-11",
        2.2,
    ),
    (
        "Soylent Kitchens",
        "hello@soylent-kitchens.example",
        "Team",
        "2025-06-23",
        1.9,
    ),
    (
        "Vandelay Imports",
        "art@vandelay.example",
        "Pro",
        "2025-08-05",
        1.2,
    ),
    (
        "Pied Piper",
        "richard@piedpiper.example",
        "Pro",
        "2025-10-12",
        1.1,
    ),
    (
        "Tyrell Research",
        "billing@tyrell-research.example",
        "Pro",
        "2026-01-19",
        0.9,
    ),
    (
        "Cyberdyne Design",
        "studio@cyberdyne-design.example",
        "Pro",
        "2026-03-03",
        0.8,
    ),
];

/// `(channel, share of visitors, customers per 1000 visitors, ad spend per visitor in cents)`.
pub const CHANNELS: &[(&str, f64, f64, u64)] = &[
    ("Organic search", 36.0, 3.1, 0),
    ("Direct", 22.0, 4.2, 0),
    ("Paid search", 15.0, 3.6, 95),
    ("Social", 10.0, 1.8, 40),
    ("Newsletter", 7.0, 6.5, 12),
    ("Referral", 6.0, 3.9, 0),
    ("Product Hunt", 4.0, 2.2, 0),
];

/// Rows of `(label, count)` sorted by count, descending.
pub fn ranked(labels: &[(&str, f64)], total: u64) -> Vec<(String, u64)> {
    let weights: Vec<f64> = labels.iter().map(|(_, w)| *w).collect();
    let parts = apportion(total, &weights);
    let mut rows: Vec<(String, u64)> = labels
        .iter()
        .zip(parts)
        .map(|((l, _), n)| (l.to_string(), n))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

/// A percentage rounded to one decimal.
pub fn pct(part: u64, whole: u64) -> Value {
    if whole == 0 {
        json!(0.0)
    } else {
        json!((part as f64 * 1000.0 / whole as f64).round() / 10.0)
    }
}

/// Cents as a JSON number of currency units with two decimals.
pub fn money(cents: u64) -> Value {
    json!(cents as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_exactly() {
        for total in [0, 1, 7, 999, 123_457] {
            let parts = apportion(total, &HOUR_WEIGHTS);
            assert_eq!(parts.iter().sum::<u64>(), total);
        }
    }

    #[test]
    fn days_are_deterministic_and_empty_in_the_future() {
        let today = Date::constant(2026, 11, 21);
        let d = Date::constant(2026, 10, 5);
        assert_eq!(day(d, today), day(d, today));
        assert!(day(d, today).visitors > 500);
        assert_eq!(day(Date::constant(2026, 11, 22), today), Day::default());
    }
}
