//! The Read API's answers: `/me` and each path of the endpoint table, computed from the
//! deterministic demo data for the asked window. Imports [`super::data`] and
//! [`super::window`]; no HTTP here beyond the status of an error.

use std::collections::HashMap;

use axum::http::StatusCode;
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::{Value, json};

use super::data::{self, Day, PROJECT_ID};
use super::window::{Routed, Window, bad, parse_limit};

pub fn route(path: &str, params: &HashMap<String, String>, now: jiff::Timestamp) -> Routed {
    if path == "/me" {
        return Ok(json!({
            "projectId": PROJECT_ID,
            "name": data::PROJECT_NAME,
            "domain": data::PROJECT_DOMAIN,
            "timezone": data::PROJECT_TIMEZONE,
        }));
    }
    let Some(rest) = path.strip_prefix("/projects/") else {
        return Err((StatusCode::NOT_FOUND, "Not found".into()));
    };
    let (project, endpoint) = rest.split_once('/').unwrap_or((rest, ""));
    if project != PROJECT_ID {
        return Err((StatusCode::NOT_FOUND, "Project not found".into()));
    }
    if endpoint == "analytics/realtime" {
        let minute = now.as_second() / 60;
        let n = 6 + (data_mix(minute as u64) % 14);
        return Ok(json!({ "activeVisitors": n }));
    }
    let w = Window::parse(params, now)?;
    let limit = parse_limit(params)?;
    match endpoint {
        "analytics" => Ok(analytics(&w)),
        "analytics/timeseries" => timeseries(&w, params, false),
        "revenue" => Ok(revenue(&w)),
        "revenue/timeseries" => timeseries(&w, params, true),
        "pages" => Ok(pages(&w, limit)),
        "sources" => sources(&w, params, limit),
        "locations" => locations(&w, params, limit),
        "events" => Ok(events(&w, params, limit)),
        "revenue/customers" => Ok(customers(&w, limit)),
        "channel-roi" => Ok(channel_roi(&w)),
        _ => Err((StatusCode::NOT_FOUND, "Not found".into())),
    }
}

fn data_mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 31)
}

fn traffic_metrics(t: &Day) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("uniqueVisitors".into(), json!(t.visitors));
    m.insert("pageViews".into(), json!(t.pageviews));
    m.insert("sessions".into(), json!(t.sessions));
    m.insert("bounceRate".into(), data::pct(t.bounced, t.sessions));
    let avg = t.duration_secs.checked_div(t.sessions).unwrap_or(0);
    m.insert("avgDuration".into(), json!(avg));
    m
}

fn analytics(w: &Window) -> Value {
    let now = traffic_metrics(&w.total());
    let prev_window = w.previous();
    let before = traffic_metrics(&prev_window.total());
    let mut change = serde_json::Map::new();
    for (k, v) in &now {
        let (a, b) = (v.as_f64().unwrap_or(0.0), before[k].as_f64().unwrap_or(0.0));
        let pct = if b == 0.0 {
            Value::Null
        } else {
            json!(((a - b) / b * 1000.0).round() / 10.0)
        };
        change.insert(k.clone(), pct);
    }
    let mut out = now;
    let mut prev = before;
    prev.insert("startDate".into(), json!(prev_window.start.to_string()));
    prev.insert("endDate".into(), json!(prev_window.end.to_string()));
    out.insert("previousPeriod".into(), Value::Object(prev));
    out.insert("changePercent".into(), Value::Object(change));
    out.insert("period".into(), w.echo());
    Value::Object(out)
}

fn revenue(w: &Window) -> Value {
    let t = w.total();
    let last = w.end.min(w.today);
    let mrr = data::mrr_cents(last);
    let active_start = data::active_subs(w.start.yesterday().unwrap_or(w.start));
    json!({
        "mrr": data::money(mrr),
        "arr": data::money(mrr * 12),
        "revenue": data::money(t.revenue_cents),
        "currency": "USD",
        "activeSubscriptions": data::active_subs(last),
        "newSubscriptions": t.new_subs,
        "churnedSubscriptions": t.churned_subs,
        "churnRate": data::pct(t.churned_subs, active_start),
        "period": w.echo(),
    })
}

/// Buckets of days (or hours) with sums that add up to the window's totals.
fn timeseries(w: &Window, params: &HashMap<String, String>, money: bool) -> Routed {
    let granularity = params
        .get("granularity")
        .map(String::as_str)
        .unwrap_or("day");
    let mut rows = Vec::new();
    let row = |label: String, d: &Day, mrr_day: Date| {
        if money {
            json!({
                "date": label,
                "revenue": data::money(d.revenue_cents),
                "newSubscriptions": d.new_subs,
                "churnedSubscriptions": d.churned_subs,
                "mrr": data::money(if mrr_day > w.today { 0 } else { data::mrr_cents(mrr_day) }),
            })
        } else {
            json!({
                "date": label,
                "visitors": d.visitors,
                "pageViews": d.pageviews,
                "sessions": d.sessions,
            })
        }
    };
    match granularity {
        "hour" => {
            if w.days().count() > 31 {
                return Err(bad("hour granularity supports at most 31 days"));
            }
            for d in w.days() {
                let day = data::day(d, w.today);
                let split = |n: u64| data::apportion(n, &data::HOUR_WEIGHTS);
                let (v, p, s, r, ns, cs) = (
                    split(day.visitors),
                    split(day.pageviews),
                    split(day.sessions),
                    split(day.revenue_cents),
                    split(day.new_subs),
                    split(day.churned_subs),
                );
                // Nothing after the window's end (and so nothing after now).
                for h in 0..w.hours(d) {
                    let hour = Day {
                        visitors: v[h],
                        pageviews: p[h],
                        sessions: s[h],
                        revenue_cents: r[h],
                        new_subs: ns[h],
                        churned_subs: cs[h],
                        ..Day::default()
                    };
                    rows.push(row(format!("{d}T{h:02}:00"), &hour, d));
                }
            }
        }
        "day" | "week" | "month" => {
            let mut current: Option<(Date, Date, Day)> = None;
            for d in w.days() {
                let key = match granularity {
                    "week" => d
                        .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
                        .unwrap_or(d)
                        .max(w.start),
                    "month" => d.first_of_month().max(w.start),
                    _ => d,
                };
                let day = w.day(d);
                match &mut current {
                    Some((k, last, sum)) if *k == key => {
                        sum.add(&day);
                        *last = d;
                    }
                    _ => {
                        if let Some((k, last, sum)) = current.take() {
                            rows.push(row(k.to_string(), &sum, last));
                        }
                        current = Some((key, d, day));
                    }
                }
            }
            if let Some((k, last, sum)) = current {
                rows.push(row(k.to_string(), &sum, last));
            }
        }
        other => {
            return Err(bad(format!(
                "Invalid granularity: {other} (expected hour, day, week or month)"
            )));
        }
    }
    Ok(Value::Array(rows))
}

fn pages(w: &Window, limit: usize) -> Value {
    let t = w.total();
    let weights: Vec<f64> = data::PAGES.iter().map(|p| p.2).collect();
    let views = data::apportion(t.pageviews, &weights);
    let visitors = data::apportion(t.visitors, &weights);
    let rows: Vec<Value> = data::PAGES
        .iter()
        .enumerate()
        .map(|(i, (path, title, _, secs))| {
            json!({
                "path": path,
                "title": title,
                "pageViews": views[i],
                "visitors": visitors[i],
                "avgDuration": if views[i] == 0 { 0 } else { *secs },
            })
        })
        .take(limit)
        .collect();
    Value::Array(rows)
}

fn sources(w: &Window, params: &HashMap<String, String>, limit: usize) -> Routed {
    let table = match params
        .get("groupBy")
        .map(String::as_str)
        .unwrap_or("referrer")
    {
        "referrer" => data::REFERRERS,
        "utm_source" => data::UTM_SOURCES,
        "utm_medium" => data::UTM_MEDIUMS,
        "utm_campaign" => data::UTM_CAMPAIGNS,
        other => {
            return Err(bad(format!(
                "Invalid groupBy: {other} (expected referrer, utm_source, utm_medium, utm_campaign)"
            )));
        }
    };
    let t = w.total();
    let by =
        |total: u64| -> HashMap<String, u64> { data::ranked(table, total).into_iter().collect() };
    let (sessions, pageviews, bounced) = (by(t.sessions), by(t.pageviews), by(t.bounced));
    let avg = t.duration_secs.checked_div(t.sessions).unwrap_or(0);
    Ok(Value::Array(
        data::ranked(table, t.visitors)
            .into_iter()
            .take(limit)
            .map(|(label, visitors)| {
                let s = sessions.get(&label).copied().unwrap_or(0);
                json!({
                    "source": label,
                    "visitors": visitors,
                    "sessions": s,
                    "pageViews": pageviews.get(&label).copied().unwrap_or(0),
                    "bounceRate": data::pct(bounced.get(&label).copied().unwrap_or(0), s),
                    "avgDuration": avg,
                })
            })
            .collect(),
    ))
}

fn locations(w: &Window, params: &HashMap<String, String>, limit: usize) -> Routed {
    let group = params
        .get("groupBy")
        .map(String::as_str)
        .unwrap_or("country");
    if !["country", "region", "city"].contains(&group) {
        return Err(bad(format!(
            "Invalid groupBy: {group} (expected country, region, city)"
        )));
    }
    let weights: Vec<f64> = data::PLACES.iter().map(|p| p.4).collect();
    let t = w.total();
    let visitors = data::apportion(t.visitors, &weights);
    let sessions = data::apportion(t.sessions, &weights);
    let pageviews = data::apportion(t.pageviews, &weights);
    // (place, [visitors, sessions, pageviews])
    let mut rows: Vec<(Value, [u64; 3])> = Vec::new();
    for (i, (country, code, region, city, _)) in data::PLACES.iter().enumerate() {
        let key = match group {
            "country" => json!({ "country": country, "countryCode": code }),
            "region" => json!({ "country": country, "region": region }),
            _ => json!({ "country": country, "region": region, "city": city }),
        };
        let add = [visitors[i], sessions[i], pageviews[i]];
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => n.iter_mut().zip(add).for_each(|(a, b)| *a += b),
            None => rows.push((key, add)),
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1[0]));
    Ok(Value::Array(
        rows.into_iter()
            .take(limit)
            .map(|(mut key, [v, s, p])| {
                key["visitors"] = json!(v);
                key["sessions"] = json!(s);
                key["pageViews"] = json!(p);
                key
            })
            .collect(),
    ))
}

fn events(w: &Window, params: &HashMap<String, String>, limit: usize) -> Value {
    let v = w.total().visitors as f64;
    let wanted = params.get("eventName");
    Value::Array(
        data::EVENTS
            .iter()
            .filter(|(name, _, _)| wanted.is_none_or(|w| w == name))
            .take(limit)
            .map(|(name, per100, share)| {
                json!({
                    "eventName": name,
                    "count": (v * per100 / 100.0).round() as u64,
                    "uniqueVisitors": (v * share).round() as u64,
                    "conversionRate": (share * 1000.0).round() / 10.0,
                })
            })
            .collect(),
    )
}

fn customers(w: &Window, limit: usize) -> Value {
    let revenue = w.total().revenue_cents;
    Value::Array(
        data::CUSTOMERS
            .iter()
            .filter(|c| c.3.parse::<Date>().is_ok_and(|since| since <= w.end))
            .take(limit)
            .map(|(name, email, plan, since, share)| {
                json!({
                    "name": name,
                    "email": email,
                    "plan": plan,
                    "revenue": data::money((revenue as f64 * share / 100.0).round() as u64),
                    "customerSince": since,
                })
            })
            .collect(),
    )
}

fn channel_roi(w: &Window) -> Value {
    let t = w.total();
    let weights: Vec<f64> = data::CHANNELS.iter().map(|c| c.1).collect();
    let visitors = data::apportion(t.visitors, &weights);
    let customers: Vec<u64> = data::CHANNELS
        .iter()
        .zip(&visitors)
        .map(|(c, v)| (*v as f64 * c.2 / 1000.0).round() as u64)
        .collect();
    let conv: Vec<f64> = customers.iter().map(|c| *c as f64).collect();
    let revenue = data::apportion(t.revenue_cents, &conv);
    Value::Array(
        data::CHANNELS
            .iter()
            .enumerate()
            .map(|(i, (name, _, _, spend_per_visitor))| {
                let spend = visitors[i] * spend_per_visitor;
                let cac = if customers[i] == 0 || spend == 0 {
                    0
                } else {
                    spend / customers[i]
                };
                let roi = if spend == 0 {
                    Value::Null
                } else {
                    json!(
                        ((revenue[i] as f64 - spend as f64) / spend as f64 * 1000.0).round() / 10.0
                    )
                };
                json!({
                    "channel": name,
                    "visitors": visitors[i],
                    "customers": customers[i],
                    "revenue": data::money(revenue[i]),
                    "adSpend": data::money(spend),
                    "cac": data::money(cac),
                    "ltv": data::money(3100 * 14),
                    "roi": roi,
                })
            })
            .collect(),
    )
}
