//! Date arguments: parsing `startDate`, `endDate` and `timezone` (resolution is in `window`).
//!
//! A bound is a calendar date (`2026-11-01`) or an RFC 3339 date-time
//! (`2026-11-01T09:00:00Z`); a time zone is an IANA name checked against the time zone
//! database. Checks happen here, before any request, so a model gets a precise reason.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// One bound of a date window, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Date(Date),
    Instant(Timestamp),
}

impl Bound {
    /// Parses a date or an RFC 3339 date-time; `field` names the argument in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.len() == 10
            && let Ok(date) = raw.parse::<Date>()
        {
            return Ok(Self::Date(date));
        }
        if raw.len() > 10
            && let Ok(ts) = raw.parse::<Timestamp>()
        {
            return Ok(Self::Instant(ts));
        }
        let why = match raw.get(..10).map(str::parse::<Date>) {
            // A well-formed prefix that still failed: the date itself is impossible or the
            // time part lacks an offset.
            Some(Err(_)) if looks_like_date(raw) => impossible_date(&raw[..10]),
            Some(Ok(_)) => " (a date-time needs a UTC offset such as `Z` or `+02:00`)".to_string(),
            _ => String::new(),
        };
        Err(format!(
            "`{field}` = \"{}\" is not a valid date{why}. Use a date like 2026-11-01 or an RFC 3339 date-time like 2026-11-01T09:00:00Z.",
            crate::text::clean(raw, 40)
        ))
    }
}

/// Why a well-formed `YYYY-MM-DD` is no date, in our words (jiff's name its own internals:
/// "parameter 'day' … 1..=28").
fn impossible_date(ymd: &str) -> String {
    let number = |range: std::ops::Range<usize>| ymd[range].parse::<i16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    if !(1..=12).contains(&month) {
        return format!(" (there is no month {month}; months run from 01 to 12)");
    }
    match Date::new(year, month as i8, 1) {
        Ok(first) => format!(
            " ({year:04}-{month:02} has {} days, so day {day} does not exist)",
            first.days_in_month()
        ),
        Err(_) => format!(" (the year {year} is out of range)"),
    }
}

fn looks_like_date(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// Checks an IANA time zone name.
pub fn parse_timezone(raw: &str) -> Result<TimeZone, String> {
    let name = raw.trim();
    TimeZone::get(name).map_err(|_| {
        format!(
            "`timezone` = \"{}\" is not a known IANA time zone. Use a name like America/New_York, Europe/Berlin or UTC.",
            crate::text::clean(name, 60)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dates_and_rfc3339() {
        assert!(matches!(
            Bound::parse("startDate", "2026-11-01"),
            Ok(Bound::Date(_))
        ));
        assert!(matches!(
            Bound::parse("startDate", "2026-11-01T09:00:00+02:00"),
            Ok(Bound::Instant(_))
        ));
    }

    #[test]
    fn refuses_impossible_and_malformed_dates_with_a_reason() {
        let e = Bound::parse("startDate", "2026-02-30").unwrap_err();
        assert!(
            e.contains("2026-02-30") && e.contains("not a valid date"),
            "{e}"
        );
        let e = Bound::parse("endDate", "last tuesday").unwrap_err();
        assert!(e.contains("`endDate`") && e.contains("2026-11-01"), "{e}");
        let e = Bound::parse("endDate", "2026-11-01T09:00:00").unwrap_err();
        assert!(e.contains("offset"), "{e}");
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert!(parse_timezone("Europe/Berlin").is_ok());
        assert!(parse_timezone("Mars/Olympus").unwrap_err().contains("IANA"));
    }
}
