//! Elasticsearch date math, as users paste it into range queries: an anchor (`now`, or a
//! date followed by `||`), then additions and subtractions (`+1d`, `-15m`) and roundings
//! (`/d`, `/M`), in a time zone.
//!
//! Units: `y` years, `M` months, `w` weeks, `d` days, `h`/`H` hours, `m` minutes, `s`
//! seconds. Calendar units move the local date (a day across a DST change is 23 or 25
//! hours), and rounding happens in the zone: `now/d` in Europe/Paris is local midnight.
//! How a rounded bound is used depends on the range key, as in Elasticsearch's range query:
//! `gte` and `lt` take the first millisecond of the rounded unit, `gt` and `lte` the last.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// Which end of a rounded unit a bound takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundTo {
    /// The first millisecond of the unit (`gte`, `lt`).
    Start,
    /// The last millisecond of the unit (`gt`, `lte`).
    End,
}

/// The time zone dates without an offset are read in and rounding happens in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    Named(Tz),
    Fixed(chrono::FixedOffset),
}

impl Zone {
    pub const UTC: Zone = Zone::Named(Tz::UTC);

    /// `Europe/Paris`, `UTC`, `Z`, `+01:00`, `-0530`.
    pub fn parse(text: &str) -> Result<Zone, String> {
        if text == "Z" {
            return Ok(Zone::UTC);
        }
        if let Ok(zone) = text.parse::<Tz>() {
            return Ok(Zone::Named(zone));
        }
        let offset = text
            .parse::<chrono::FixedOffset>()
            .or_else(|_| format!("{text}:00").parse::<chrono::FixedOffset>());
        offset
            .map(Zone::Fixed)
            .map_err(|_| format!("unknown time zone [{text}]: expected an IANA name such as Europe/Paris or an offset such as +01:00"))
    }
}

/// Evaluates `text` (date math, an RFC 3339 date, a date without offset read in `zone`, or
/// epoch milliseconds) to epoch milliseconds at `now_ms`.
pub fn resolve(text: &str, now_ms: i64, zone: Zone, round_to: RoundTo) -> Result<i64, String> {
    match zone {
        Zone::Named(tz) => resolve_in(text, now_ms, &tz, round_to),
        Zone::Fixed(offset) => resolve_in(text, now_ms, &offset, round_to),
    }
}

fn resolve_in<Z: TimeZone>(
    text: &str,
    now_ms: i64,
    zone: &Z,
    round_to: RoundTo,
) -> Result<i64, String>
where
    Z::Offset: Copy,
{
    let (anchor, operations) = if let Some(rest) = text.strip_prefix("now") {
        let now = DateTime::<Utc>::from_timestamp_millis(now_ms).ok_or("`now` is out of range")?;
        (now.with_timezone(zone), rest)
    } else if let Some((date, rest)) = text.split_once("||") {
        (parse_date(date, zone)?, rest)
    } else {
        (parse_date(text, zone)?, "")
    };
    let mut at = anchor;
    let mut chars = operations.chars().peekable();
    while let Some(op) = chars.next() {
        match op {
            '+' | '-' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|c| c.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let amount: u32 = if digits.is_empty() {
                    1
                } else {
                    digits
                        .parse()
                        .map_err(|_| format!("the number in [{text}] is too large"))?
                };
                let unit = chars
                    .next()
                    .ok_or_else(|| format!("[{text}] ends before a unit"))?;
                at = shift(at, unit, amount, op == '-', text)?;
            }
            '/' => {
                let unit = chars
                    .next()
                    .ok_or_else(|| format!("[{text}] ends before the rounding unit"))?;
                at = floor(at, unit, zone, text)?;
                if round_to == RoundTo::End {
                    // The last millisecond of the unit, as Elasticsearch rounds up.
                    at = shift(at, unit, 1, false, text)? - Duration::milliseconds(1);
                }
            }
            other => return Err(format!("unexpected [{other}] in date math [{text}]")),
        }
    }
    Ok(at.timestamp_millis())
}

fn parse_date<Z: TimeZone>(text: &str, zone: &Z) -> Result<DateTime<Z>, String> {
    if let Ok(millis) = text.parse::<i64>() {
        return DateTime::<Utc>::from_timestamp_millis(millis)
            .map(|t| t.with_timezone(zone))
            .ok_or_else(|| format!("[{text}] is out of range"));
    }
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Ok(with_offset.with_timezone(zone));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|_| format!("failed to parse date [{text}]: expected RFC 3339, a date such as 2026-11-25, epoch milliseconds or date math such as now-1h/m"))?;
    local_time(zone, local, text)
}

/// A local time in `zone`; in a DST gap, the first instant after it.
fn local_time<Z: TimeZone>(
    zone: &Z,
    local: NaiveDateTime,
    text: &str,
) -> Result<DateTime<Z>, String> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t),
        LocalResult::Ambiguous(earliest, _) => Ok(earliest),
        LocalResult::None => zone
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .ok_or_else(|| format!("[{text}] falls in a time-zone gap")),
    }
}

fn shift<Z: TimeZone>(
    at: DateTime<Z>,
    unit: char,
    amount: u32,
    back: bool,
    text: &str,
) -> Result<DateTime<Z>, String> {
    let fixed = |d: Duration| {
        if back {
            at.clone().checked_sub_signed(d)
        } else {
            at.clone().checked_add_signed(d)
        }
    };
    let n = i64::from(amount);
    let moved = match unit {
        'y' => months(at.clone(), amount.saturating_mul(12), back),
        'M' => months(at.clone(), amount, back),
        'w' => days(at.clone(), u64::from(amount) * 7, back),
        'd' => days(at.clone(), u64::from(amount), back),
        'h' | 'H' => fixed(Duration::hours(n)),
        'm' => fixed(Duration::minutes(n)),
        's' => fixed(Duration::seconds(n)),
        other => {
            return Err(format!(
                "unknown unit [{other}] in date math [{text}]: expected y, M, w, d, h, H, m or s"
            ));
        }
    };
    moved.ok_or_else(|| format!("[{text}] is out of range"))
}

fn months<Z: TimeZone>(at: DateTime<Z>, count: u32, back: bool) -> Option<DateTime<Z>> {
    if back {
        at.checked_sub_months(Months::new(count))
    } else {
        at.checked_add_months(Months::new(count))
    }
}

fn days<Z: TimeZone>(at: DateTime<Z>, count: u64, back: bool) -> Option<DateTime<Z>> {
    if back {
        at.checked_sub_days(Days::new(count))
    } else {
        at.checked_add_days(Days::new(count))
    }
}

/// The start of the unit `at` lies in, in its zone.
fn floor<Z: TimeZone>(
    at: DateTime<Z>,
    unit: char,
    zone: &Z,
    text: &str,
) -> Result<DateTime<Z>, String> {
    let local = at.naive_local();
    let date = local.date();
    let start = match unit {
        'y' => NaiveDate::from_ymd_opt(date.year(), 1, 1).map(|d| d.and_time(NaiveTime::MIN)),
        'M' => NaiveDate::from_ymd_opt(date.year(), date.month(), 1).map(|d| d.and_time(NaiveTime::MIN)),
        'w' => date
            .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
            .map(|d| d.and_time(NaiveTime::MIN)),
        'd' => Some(date.and_time(NaiveTime::MIN)),
        'h' | 'H' => local.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)),
        'm' => local.with_second(0).and_then(|t| t.with_nanosecond(0)),
        's' => local.with_nanosecond(0),
        other => return Err(format!("unknown rounding unit [{other}] in date math [{text}]: expected y, M, w, d, h, H, m or s")),
    }
    .ok_or_else(|| format!("[{text}] is out of range"))?;
    local_time(zone, start, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T10:17:42.123Z.
    const NOW: i64 = 1_795_601_862_123;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    fn utc(text: &str, round_to: RoundTo) -> i64 {
        resolve(text, NOW, Zone::UTC, round_to).unwrap()
    }

    #[test]
    fn now_with_additions_and_roundings() {
        assert_eq!(utc("now", RoundTo::Start), NOW);
        assert_eq!(utc("now-1h", RoundTo::Start), NOW - 3_600_000);
        assert_eq!(utc("now-1h/m", RoundTo::Start), at("2026-11-25T09:17:00Z"));
        assert_eq!(
            utc("now-1h/m", RoundTo::End),
            at("2026-11-25T09:17:59.999Z")
        );
        assert_eq!(utc("now/d", RoundTo::Start), at("2026-11-25T00:00:00Z"));
        assert_eq!(utc("now/w", RoundTo::Start), at("2026-11-23T00:00:00Z")); // a Monday
        assert_eq!(utc("now/M", RoundTo::End), at("2026-11-30T23:59:59.999Z"));
        assert_eq!(
            utc("now+1M-1d/y", RoundTo::Start),
            at("2026-01-01T00:00:00Z")
        );
        assert_eq!(utc("now-d", RoundTo::Start), NOW - 86_400_000);
    }

    #[test]
    fn anchored_dates_and_plain_dates() {
        assert_eq!(
            utc("2014-11-18||/M", RoundTo::Start),
            at("2014-11-01T00:00:00Z")
        );
        assert_eq!(
            utc("2014-11-18||/M", RoundTo::End),
            at("2014-11-30T23:59:59.999Z")
        );
        assert_eq!(
            utc("2026-01-31||+1M", RoundTo::Start),
            at("2026-02-28T00:00:00Z")
        );
        assert_eq!(
            utc("2026-11-25T10:00:00+01:00", RoundTo::Start),
            at("2026-11-25T09:00:00Z")
        );
        assert_eq!(utc("1795601862123", RoundTo::Start), NOW);
    }

    /// Europe/Paris leaves summer time on 2026-10-25 at 03:00 local (01:00 UTC).
    #[test]
    fn days_and_roundings_follow_the_zone_across_dst() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        let resolve_at =
            |text: &str, now: &str| resolve(text, at(now), paris, RoundTo::Start).unwrap();
        // Local midnight in winter is 23:00 UTC the day before.
        assert_eq!(
            resolve_at("now/d", "2026-11-25T10:00:00Z"),
            at("2026-11-24T23:00:00Z")
        );
        // The day of the change has 25 hours: midnight to midnight.
        assert_eq!(
            resolve_at("now/d", "2026-10-25T12:00:00Z"),
            at("2026-10-24T22:00:00Z")
        );
        assert_eq!(
            resolve_at("now/d+1d", "2026-10-25T12:00:00Z"),
            at("2026-10-25T23:00:00Z")
        );
        // A date without offset is read in the zone.
        assert_eq!(
            resolve("2026-07-01", NOW, paris, RoundTo::Start).unwrap(),
            at("2026-06-30T22:00:00Z")
        );
        let fixed = Zone::parse("+05:30").unwrap();
        assert_eq!(
            resolve("now/h", at("2026-11-25T10:17:00Z"), fixed, RoundTo::Start).unwrap(),
            at("2026-11-25T09:30:00Z")
        );
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        let error = |text: &str| resolve(text, NOW, Zone::UTC, RoundTo::Start).unwrap_err();
        assert_eq!(
            error("now-1q"),
            "unknown unit [q] in date math [now-1q]: expected y, M, w, d, h, H, m or s"
        );
        assert_eq!(error("now-"), "[now-] ends before a unit");
        assert_eq!(error("now*2"), "unexpected [*] in date math [now*2]");
        assert!(error("yesterday").starts_with("failed to parse date [yesterday]"));
        assert!(
            Zone::parse("Mars/Olympus")
                .unwrap_err()
                .starts_with("unknown time zone [Mars/Olympus]")
        );
    }
}
