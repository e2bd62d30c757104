//! Date-histogram intervals: parsing `fixed_interval` / `calendar_interval`, rounding a
//! timestamp down to its bucket in a time zone, stepping to the next bucket, and printing
//! bucket keys the way Elasticsearch's default date format does.
//!
//! Rounding happens in local time, as in Elasticsearch: a `1d` bucket in Europe/Paris starts
//! at local midnight, so the day of a DST change is 23 or 25 hours long. Where a local time
//! occurs twice (the autumn change), a timestamp belongs to the occurrence not after it, so
//! hourly buckets stay one hour long; where it does not exist (spring), the bucket starts at
//! the first instant after the gap.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::date_math::Zone;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The widest fixed interval or offset taken, 2⁴⁴ ms (about 557 years): wider than all the
/// time the store can hold, and narrow enough that no sum of a stored time, an offset and
/// a width overflows.
pub const LONGEST_MS: i64 = 1 << 44;

/// A calendar unit for `calendar_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarUnit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// How wide a date-histogram bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A fixed number of milliseconds (`fixed_interval`).
    Fixed(i64),
    /// One calendar unit (`calendar_interval`), whose length varies.
    Calendar(CalendarUnit),
}

impl Interval {
    /// Parses a `fixed_interval`: a positive whole number and one of `ms s m h d`.
    pub fn fixed(text: &str) -> Result<Interval, String> {
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("[{text}] has no unit: expected e.g. 5m, 1h or 1d"))?;
        let (digits, unit) = text.split_at(split);
        let amount: i64 = digits
            .parse()
            .map_err(|_| format!("[{text}] must start with a whole number, e.g. 5m"))?;
        let unit_ms = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => MINUTE_MS,
            "h" => HOUR_MS,
            "d" => DAY_MS,
            _ => {
                return Err(format!(
                    "[{text}]: the unit [{unit}] is not a fixed interval unit; expected ms, s, m, h or d \
                     (weeks, months, quarters and years are calendar_interval units)"
                ));
            }
        };
        // The digits have no sign: the product is zero or more.
        match amount.checked_mul(unit_ms).filter(|&ms| ms <= LONGEST_MS) {
            Some(0) => Err(format!("[{text}] must be a positive interval")),
            Some(ms) => Ok(Interval::Fixed(ms)),
            None => Err(format!(
                "[{text}] is longer than the store can use: at most {}d",
                LONGEST_MS / DAY_MS
            )),
        }
    }

    /// Parses a `calendar_interval`: `1m`, `minute`, `1h`, `hour`, `1d`, `day`, `1w`, `week`,
    /// `1M`, `month`, `1q`, `quarter`, `1y`, `year`. Elasticsearch allows only one unit.
    pub fn calendar(text: &str) -> Result<Interval, String> {
        let unit = match text {
            "1m" | "minute" => CalendarUnit::Minute,
            "1h" | "hour" => CalendarUnit::Hour,
            "1d" | "day" => CalendarUnit::Day,
            "1w" | "week" => CalendarUnit::Week,
            "1M" | "month" => CalendarUnit::Month,
            "1q" | "quarter" => CalendarUnit::Quarter,
            "1y" | "year" => CalendarUnit::Year,
            _ => {
                return Err(format!(
                    "the calendar interval [{text}] is not supported: expected one unit such as 1d, 1w, 1M, \
                     1q or 1y (use fixed_interval for multiples such as 5m)"
                ));
            }
        };
        Ok(Interval::Calendar(unit))
    }
}

/// An interval in a zone, shifted by an `offset`: everything a histogram needs to place a
/// timestamp in its bucket.
#[derive(Debug, Clone, Copy)]
pub struct Rounding {
    pub interval: Interval,
    pub zone: Zone,
    /// Elasticsearch's `offset`: buckets start this many milliseconds after the rounding.
    pub offset_ms: i64,
}

impl Rounding {
    /// The key (start, epoch ms) of the bucket `at_ms` falls in.
    pub fn floor(&self, at_ms: i64) -> i64 {
        let shifted = at_ms - self.offset_ms;
        let start = match (self.interval, self.zone.fixed_offset_ms()) {
            (Interval::Fixed(width), Some(offset)) => {
                (shifted + offset).div_euclid(width) * width - offset
            }
            (Interval::Calendar(unit), Some(offset)) => match unit_width(unit) {
                Some(width) => {
                    // Weeks start on Monday; the epoch was a Thursday.
                    let monday = if unit == CalendarUnit::Week {
                        3 * DAY_MS
                    } else {
                        0
                    };
                    (shifted + offset + monday).div_euclid(width) * width - offset - monday
                }
                None => self.floor_in_zone(shifted),
            },
            (_, None) => self.floor_in_zone(shifted),
        };
        start + self.offset_ms
    }

    /// The key of the bucket after the one starting at `start_ms`.
    pub fn next(&self, start_ms: i64) -> i64 {
        let unshifted = start_ms - self.offset_ms;
        let fixed_zone = self.zone.fixed_offset_ms().is_some();
        let (step, constant_length) = match self.interval {
            Interval::Fixed(width) => (width, fixed_zone),
            Interval::Calendar(unit @ (CalendarUnit::Minute | CalendarUnit::Hour)) => {
                (unit_width(unit).unwrap_or(HOUR_MS), true)
            }
            Interval::Calendar(unit) => match unit_width(unit) {
                Some(width) if fixed_zone => (width, true),
                _ => (shortest(unit), false),
            },
        };
        if constant_length {
            return unshifted + step + self.offset_ms;
        }
        // The unit's length varies (DST, months): probe from one step on, an hour at a
        // time, until the probe rounds down to a later bucket.
        let mut probe = unshifted + step;
        for _ in 0..MAX_PROBES {
            let next = self.floor_in_zone(probe);
            if next > unshifted {
                return next + self.offset_ms;
            }
            probe += HOUR_MS;
        }
        unshifted + step + self.offset_ms
    }

    fn floor_in_zone(&self, at_ms: i64) -> i64 {
        match self.zone {
            Zone::Named(tz) => floor_local(at_ms, self.interval, &tz),
            Zone::Fixed(offset) => floor_local(at_ms, self.interval, &offset),
        }
    }
}

impl Zone {
    /// The zone's offset in milliseconds when it never changes (UTC or a fixed offset).
    pub fn fixed_offset_ms(&self) -> Option<i64> {
        match self {
            Zone::Named(Tz::UTC) | Zone::Named(Tz::Etc__UTC) | Zone::Named(Tz::GMT) => Some(0),
            Zone::Named(_) => None,
            Zone::Fixed(offset) => Some(i64::from(offset.local_minus_utc()) * 1_000),
        }
    }

    /// `at_ms` in Elasticsearch's default date format, `2026-03-29T00:00:00.000+01:00`
    /// (`Z` in UTC). Written out by hand: histograms print one per bucket.
    pub fn format_ms(&self, at_ms: i64) -> String {
        let fixed_offset_ms = self.fixed_offset_ms();
        let offset_seconds = match fixed_offset_ms {
            Some(offset_ms) => (offset_ms / 1_000) as i32,
            None => match (self, DateTime::<Utc>::from_timestamp_millis(at_ms)) {
                (Zone::Named(tz), Some(utc)) => {
                    utc.with_timezone(tz).offset().fix().local_minus_utc()
                }
                _ => return at_ms.to_string(),
            },
        };
        let Some(local_ms) = at_ms.checked_add(i64::from(offset_seconds) * 1_000) else {
            return at_ms.to_string();
        };
        let (days, ms_of_day) = (local_ms.div_euclid(DAY_MS), local_ms.rem_euclid(DAY_MS));
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return at_ms.to_string();
        }
        let seconds_of_day = (ms_of_day / 1_000) as u32;
        let mut text = String::with_capacity(29);
        push_digits(&mut text, year as u32, 4);
        text.push('-');
        push_digits(&mut text, month, 2);
        text.push('-');
        push_digits(&mut text, day, 2);
        text.push('T');
        push_digits(&mut text, seconds_of_day / 3_600, 2);
        text.push(':');
        push_digits(&mut text, seconds_of_day / 60 % 60, 2);
        text.push(':');
        push_digits(&mut text, seconds_of_day % 60, 2);
        text.push('.');
        push_digits(&mut text, (ms_of_day % 1_000) as u32, 3);
        if fixed_offset_ms == Some(0) {
            text.push('Z');
        } else {
            text.push(if offset_seconds < 0 { '-' } else { '+' });
            let seconds = offset_seconds.unsigned_abs();
            push_digits(&mut text, seconds / 3_600, 2);
            text.push(':');
            push_digits(&mut text, seconds / 60 % 60, 2);
            // Local mean time before standard zones had seconds (Java prints them too).
            if seconds % 60 != 0 {
                text.push(':');
                push_digits(&mut text, seconds % 60, 2);
            }
        }
        text
    }
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01: Howard
/// Hinnant's `civil_from_days` (chrono-compatible algorithms, 2013), which counts in
/// 400-year eras starting on March 1st so leap days fall at the end of a year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends `value` as exactly `width` decimal digits, zero-padded (histograms print a key
/// per bucket, and `format!` costs more than the bucket).
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

/// Units of constant length in a zone without DST.
fn unit_width(unit: CalendarUnit) -> Option<i64> {
    match unit {
        CalendarUnit::Minute => Some(MINUTE_MS),
        CalendarUnit::Hour => Some(HOUR_MS),
        CalendarUnit::Day => Some(DAY_MS),
        CalendarUnit::Week => Some(7 * DAY_MS),
        CalendarUnit::Month | CalendarUnit::Quarter | CalendarUnit::Year => None,
    }
}

/// A lower bound on the unit's length anywhere, DST included.
fn shortest(unit: CalendarUnit) -> i64 {
    match unit {
        CalendarUnit::Minute => MINUTE_MS,
        CalendarUnit::Hour => HOUR_MS,
        CalendarUnit::Day => DAY_MS - 3 * HOUR_MS,
        CalendarUnit::Week => 7 * DAY_MS - 3 * HOUR_MS,
        CalendarUnit::Month => 28 * DAY_MS - 3 * HOUR_MS,
        CalendarUnit::Quarter => 89 * DAY_MS,
        CalendarUnit::Year => 364 * DAY_MS,
    }
}

/// Hour-long probes `next` may take past one step: a month is at most 3 days longer
/// than 28 days, a DST change a few hours.
const MAX_PROBES: usize = 24 * 4;

/// Rounds `at_ms` down in local time and maps the local start back to an instant.
fn floor_local<Z: TimeZone>(at_ms: i64, interval: Interval, zone: &Z) -> i64 {
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(at_ms) else {
        return at_ms;
    };
    let local = utc.with_timezone(zone).naive_local();
    let start = match interval {
        Interval::Fixed(width) => {
            let local_ms = local.and_utc().timestamp_millis();
            DateTime::<Utc>::from_timestamp_millis(local_ms.div_euclid(width) * width)
                .map(|t| t.naive_utc())
        }
        Interval::Calendar(unit) => local_unit_start(local, unit),
    };
    start
        .and_then(|start| instant_not_after(zone, start, at_ms))
        .unwrap_or(at_ms)
}

fn local_unit_start(local: NaiveDateTime, unit: CalendarUnit) -> Option<NaiveDateTime> {
    let date = local.date();
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    match unit {
        CalendarUnit::Minute => local.with_second(0)?.with_nanosecond(0),
        CalendarUnit::Hour => local.with_minute(0)?.with_second(0)?.with_nanosecond(0),
        CalendarUnit::Day => Some(midnight(date)),
        CalendarUnit::Week => date
            .checked_sub_signed(Duration::days(i64::from(
                date.weekday().num_days_from_monday(),
            )))
            .map(midnight),
        CalendarUnit::Month => NaiveDate::from_ymd_opt(date.year(), date.month(), 1).map(midnight),
        CalendarUnit::Quarter => {
            let first_month = (date.month0() / 3) * 3 + 1;
            NaiveDate::from_ymd_opt(date.year(), first_month, 1).map(midnight)
        }
        CalendarUnit::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).map(midnight),
    }
}

/// The instant of local time `local` in `zone`: of two (autumn change), the later one not
/// after `at_ms`; of none (spring gap), the first instant after the gap.
fn instant_not_after<Z: TimeZone>(zone: &Z, local: NaiveDateTime, at_ms: i64) -> Option<i64> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(earliest, latest) => {
            let latest = latest.timestamp_millis();
            Some(if latest <= at_ms {
                latest
            } else {
                earliest.timestamp_millis()
            })
        }
        LocalResult::None => {
            // Walk forward minute by minute out of the gap (gaps are at most a few hours).
            (1..=24 * 60).find_map(|minutes| {
                zone.from_local_datetime(&(local + Duration::minutes(minutes)))
                    .earliest()
                    .map(|t| t.timestamp_millis())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;

    #[test]
    fn civil_dates_agree_with_chrono_across_eras_and_leap_days() {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-800_000..800_000).step_by(97).chain(-1_000..1_000) {
            let date = epoch + Duration::days(days);
            assert_eq!(
                civil_from_days(days),
                (i64::from(date.year()), date.month(), date.day()),
                "{days} days after 1970-01-01"
            );
        }
    }

    #[test]
    fn keys_print_as_chrono_prints_them_in_every_kind_of_zone() {
        let zones = ["UTC", "Europe/Paris", "America/St_Johns", "+05:30", "-0800"];
        for zone in zones.map(|z| Zone::parse(z).unwrap()) {
            for at_ms in (0..4_000_000_000_000_i64).step_by(7_777_777_777) {
                let utc = DateTime::<Utc>::from_timestamp_millis(at_ms).unwrap();
                // Only the UTC zones print `Z`; another zone at offset 0 prints `+00:00`.
                let use_z = zone.fixed_offset_ms() == Some(0);
                let expected = match zone {
                    Zone::Named(tz) => utc
                        .with_timezone(&tz)
                        .to_rfc3339_opts(SecondsFormat::Millis, use_z),
                    Zone::Fixed(offset) => utc
                        .with_timezone(&offset)
                        .to_rfc3339_opts(SecondsFormat::Millis, use_z),
                };
                assert_eq!(zone.format_ms(at_ms), expected, "{at_ms} in {zone:?}");
            }
        }
        // Before 1935 St. John's kept local mean time, 3:30:52 behind UTC.
        let st_johns = Zone::parse("America/St_Johns").unwrap();
        assert_eq!(
            st_johns.format_ms(-2_000_000_000_000),
            "1906-08-16T16:55:48.000-03:30:52"
        );
        assert_eq!(
            Zone::UTC.format_ms(-2_000_000_000_000),
            "1906-08-16T20:26:40.000Z"
        );
        // Beyond the years a date prints in (or i64 itself), the key prints as a number.
        for zone in ["UTC", "Europe/Paris", "+05:30", "-0800"].map(|z| Zone::parse(z).unwrap()) {
            for at_ms in [i64::MAX, i64::MIN, 300_000_000_000_000] {
                assert_eq!(
                    zone.format_ms(at_ms),
                    at_ms.to_string(),
                    "{at_ms} in {zone:?}"
                );
            }
        }
    }

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    fn rounding(interval: Interval, zone: &str) -> Rounding {
        Rounding {
            interval,
            zone: Zone::parse(zone).unwrap(),
            offset_ms: 0,
        }
    }

    #[test]
    fn fixed_intervals_in_utc_are_plain_arithmetic() {
        let five_minutes = rounding(Interval::fixed("5m").unwrap(), "UTC");
        assert_eq!(
            five_minutes.floor(at("2026-03-29T01:07:00Z")),
            at("2026-03-29T01:05:00Z")
        );
        assert_eq!(
            five_minutes.next(at("2026-03-29T01:05:00Z")),
            at("2026-03-29T01:10:00Z")
        );
    }

    #[test]
    fn days_in_paris_start_at_local_midnight_across_the_spring_change() {
        let day = rounding(Interval::calendar("1d").unwrap(), "Europe/Paris");
        let start = day.floor(at("2026-03-29T15:00:00+02:00"));
        assert_eq!(start, at("2026-03-29T00:00:00+01:00"));
        let next = day.next(start);
        assert_eq!(next, at("2026-03-30T00:00:00+02:00"));
        assert_eq!(next - start, 23 * HOUR_MS);
        assert_eq!(day.zone.format_ms(start), "2026-03-29T00:00:00.000+01:00");
    }

    #[test]
    fn the_repeated_autumn_hour_is_two_hourly_buckets() {
        let hour = rounding(Interval::calendar("1h").unwrap(), "Europe/Paris");
        let first = hour.floor(at("2026-10-25T02:30:00+02:00"));
        let second = hour.floor(at("2026-10-25T02:30:00+01:00"));
        assert_eq!(first, at("2026-10-25T02:00:00+02:00"));
        assert_eq!(second, at("2026-10-25T02:00:00+01:00"));
        assert_eq!(hour.next(first), second);
        let fixed_day = rounding(Interval::fixed("1d").unwrap(), "Europe/Paris");
        let start = fixed_day.floor(at("2026-10-25T20:00:00+01:00"));
        assert_eq!(start, at("2026-10-25T00:00:00+02:00"));
        assert_eq!(fixed_day.next(start) - start, 25 * HOUR_MS);
    }

    #[test]
    fn weeks_months_quarters_and_years_follow_the_calendar() {
        let week = rounding(Interval::calendar("week").unwrap(), "UTC");
        assert_eq!(
            week.floor(at("2026-11-26T10:00:00Z")),
            at("2026-11-23T00:00:00Z")
        );
        let quarter = rounding(Interval::calendar("1q").unwrap(), "+05:30");
        let start = quarter.floor(at("2026-11-26T10:00:00Z"));
        assert_eq!(start, at("2026-10-01T00:00:00+05:30"));
        assert_eq!(quarter.next(start), at("2027-01-01T00:00:00+05:30"));
        let paris_month = rounding(Interval::calendar("month").unwrap(), "Europe/Paris");
        assert_eq!(
            paris_month.next(at("2026-03-01T00:00:00+01:00")),
            at("2026-04-01T00:00:00+02:00")
        );
        let paris_year = rounding(Interval::calendar("1y").unwrap(), "Europe/Paris");
        assert_eq!(
            paris_year.next(paris_year.floor(at("2026-07-14T12:00:00Z"))),
            at("2027-01-01T00:00:00+01:00")
        );
        let month = rounding(Interval::calendar("1M").unwrap(), "UTC");
        assert_eq!(
            month.next(at("2026-02-01T00:00:00Z")),
            at("2026-03-01T00:00:00Z")
        );
    }

    #[test]
    fn offsets_shift_bucket_starts() {
        let day = Rounding {
            offset_ms: 6 * HOUR_MS,
            ..rounding(Interval::fixed("1d").unwrap(), "UTC")
        };
        assert_eq!(
            day.floor(at("2026-11-26T05:00:00Z")),
            at("2026-11-25T06:00:00Z")
        );
        assert_eq!(
            day.next(at("2026-11-25T06:00:00Z")),
            at("2026-11-26T06:00:00Z")
        );
    }

    #[test]
    fn bad_intervals_say_what_was_expected() {
        assert!(
            Interval::fixed("1M")
                .unwrap_err()
                .contains("calendar_interval")
        );
        assert!(Interval::fixed("0m").unwrap_err().contains("positive"));
        assert_eq!(
            Interval::fixed("203613d"),
            Ok(Interval::Fixed(203_613 * DAY_MS))
        );
        for too_long in ["203614d", "99999999999999999d", "9223372036854775807ms"] {
            let refused = Interval::fixed(too_long).unwrap_err();
            assert!(refused.ends_with("at most 203613d"), "{refused}");
        }
        assert!(
            Interval::calendar("2d")
                .unwrap_err()
                .contains("fixed_interval")
        );
    }
}
