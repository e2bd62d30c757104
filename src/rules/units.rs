//! Units people write in rules: durations (`5m`, `1h30m`, `7d`), quantities with a unit
//! (`100MB`, `512MiB`, `95%`, `0.5`) and rates (`1GB/day`).
//!
//! Parsing is strict — a value either means exactly one thing or is an error that says what
//! was expected. Display writes values back the way a person would write them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::humanize;

/// A span of time with millisecond resolution, as written in rules (`90s`, `5m`, `1h30m`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: u64,
}

const UNITS_MS: [(&str, u64); 6] = [
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl Duration {
    pub const ZERO: Duration = Duration { millis: 0 };

    pub const fn from_millis(millis: u64) -> Self {
        Duration { millis }
    }

    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            millis: secs * 1_000,
        }
    }

    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Milliseconds as a signed number, for arithmetic on epoch timestamps.
    pub fn as_millis_i64(self) -> i64 {
        i64::try_from(self.millis).unwrap_or(i64::MAX)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1_000.0
    }

    pub fn is_zero(self) -> bool {
        self.millis == 0
    }

    /// Whether `self` is a whole multiple of `unit` (false for a zero unit).
    pub fn is_multiple_of(self, unit: Duration) -> bool {
        unit.millis != 0 && self.millis.is_multiple_of(unit.millis)
    }

    /// The Elasticsearch `fixed_interval` spelling of this duration (`30m`, `90s`, `250ms`).
    pub fn to_es_interval(self) -> String {
        for (unit, size) in UNITS_MS.iter().skip(1) {
            if self.millis.is_multiple_of(*size) {
                return format!("{}{unit}", self.millis / size);
            }
        }
        format!("{}ms", self.millis)
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{input}` ({reason}); expected a whole number and a unit (ms, s, m, h, d, w) such as `90s`, `5m` or `1h30m`"
)]
pub struct DurationError {
    input: String,
    reason: String,
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| DurationError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut millis: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(fail("a unit must follow a whole number"));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| fail("the number is too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            if unit_len == 0 {
                return Err(fail("the unit is missing"));
            }
            let unit = &rest[..unit_len];
            let size = UNITS_MS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, size)| *size)
                .ok_or_else(|| fail(&unit_problem(unit, UNITS_MS.iter().map(|(name, _)| *name))))?;
            rest = &rest[unit_len..];
            millis = number
                .checked_mul(size)
                .and_then(|part| millis.checked_add(part))
                .ok_or_else(|| fail("it is too long"))?;
        }
        Ok(Duration { millis })
    }
}

impl fmt::Display for Duration {
    /// Writes the shortest exact spelling: `1h30m`, `2d`, `250ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        for (unit, size) in UNITS_MS {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = scalar_text(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a [`Quantity`] measures, so it can be displayed and compared sensibly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain number (a count, a latency in the field's own unit).
    Number,
    /// Bytes; `100MB` is 100,000,000 and `100MiB` is 104,857,600.
    Bytes,
    /// A share; `5%` is stored as 0.05.
    Ratio,
}

/// A number as written in a rule, with its unit: `100MB`, `95%`, `0`, `1.5e3`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// The value in base units: bytes for sizes, a fraction for percentages.
    pub value: f64,
    pub unit: Unit,
}

/// Why a quantity was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid value `{input}` ({reason}); expected a number, a size such as `100MB` or `512MiB`, or a percentage such as `95%`"
)]
pub struct QuantityError {
    input: String,
    reason: String,
}

const BYTE_UNITS: [(&str, f64); 13] = [
    ("B", 1.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("PB", 1e15),
    ("KiB", 1024.0),
    ("MiB", 1_048_576.0),
    ("GiB", 1_073_741_824.0),
    ("TiB", 1_099_511_627_776.0),
    ("PiB", 1_125_899_906_842_624.0),
    ("kB", 1e3),
    ("k", 1e3),
];

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| QuantityError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .unwrap_or(text.len());
        // `1e3` is a number but `1EB` would be read as exponent + unit; units never start with e/E.
        let (number, unit) = text.split_at(split);
        let unit = unit.trim();
        let number: f64 = number
            .parse()
            .map_err(|_| fail("it does not start with a number"))?;
        if !number.is_finite() {
            return Err(fail("the number is not finite"));
        }
        if unit.is_empty() {
            return Ok(Quantity {
                value: number,
                unit: Unit::Number,
            });
        }
        if unit == "%" {
            return Ok(Quantity {
                value: number / 100.0,
                unit: Unit::Ratio,
            });
        }
        let size = BYTE_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, size)| *size)
            .ok_or_else(|| {
                fail(&unit_problem(
                    unit,
                    BYTE_UNITS.iter().map(|(name, _)| *name).chain(["%"]),
                ))
            })?;
        Ok(Quantity {
            value: number * size,
            unit: Unit::Bytes,
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Number => f.write_str(&humanize::number(self.value)),
            Unit::Ratio => f.write_str(&humanize::percent(self.value)),
            Unit::Bytes => f.write_str(&humanize::bytes(self.value)),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = scalar_text(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A rate of change per unit of time, written `1GB/day`, `2%/h`, `50/5m`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub amount: Quantity,
    pub per: Duration,
}

impl Rate {
    /// The rate in base units per second.
    pub fn per_second(&self) -> f64 {
        self.amount.value / self.per.as_secs_f64()
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let expected = "expected an amount per time unit such as `1GB/day`, `2%/h` or `50/5m`";
        let (amount, per) = input
            .split_once('/')
            .ok_or_else(|| format!("invalid rate `{input}`: {expected}"))?;
        let amount: Quantity = amount.parse().map_err(|e: QuantityError| e.to_string())?;
        let per = match per.trim() {
            "second" | "sec" => Duration::from_secs(1),
            "minute" | "min" => Duration::from_secs(60),
            "hour" => Duration::from_secs(3_600),
            "day" => Duration::from_secs(86_400),
            "week" => Duration::from_secs(7 * 86_400),
            unit if unit.starts_with(|c: char| c.is_ascii_digit()) => unit
                .parse()
                .map_err(|e: DurationError| format!("invalid rate `{input}`: {e}"))?,
            unit => format!("1{unit}")
                .parse()
                .map_err(|_| format!("invalid rate `{input}`: {expected}"))?,
        };
        if per.is_zero() {
            return Err(format!(
                "invalid rate `{input}`: the time unit must not be zero"
            ));
        }
        Ok(Rate { amount, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.amount, self.per)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = scalar_text(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why `unit` is not one of `known`: a case slip gets the right spelling.
fn unit_problem<'a>(unit: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    match known.clone().find(|name| name.eq_ignore_ascii_case(unit)) {
        Some(right) => format!("units are case-sensitive: `{right}`, not `{unit}`"),
        None => format!("unknown unit `{unit}`"),
    }
}

/// Reads a scalar as text whether YAML typed it as a string or a number, so that `window: 5m`
/// and `above: 100` both deserialize through the same parser.
fn scalar_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct ScalarText;
    impl serde::de::Visitor<'_> for ScalarText {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a single value such as `5m` or `100MB`")
        }
        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<String, E> {
            Ok(value.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<String, E> {
            Ok(value.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<String, E> {
            Ok(value.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<String, E> {
            Ok(value.to_string())
        }
    }
    deserializer.deserialize_any(ScalarText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_compound_spellings() {
        assert_eq!("1h30m".parse::<Duration>().unwrap().as_millis(), 5_400_000);
        assert_eq!("250ms".parse::<Duration>().unwrap().as_millis(), 250);
        assert_eq!("7d".parse::<Duration>().unwrap().as_millis(), 604_800_000);
        assert_eq!("2w".parse::<Duration>().unwrap(), "14d".parse().unwrap());
    }

    #[test]
    fn durations_reject_what_they_cannot_mean() {
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "1.5h",
            "-5m",
            "99999999999999999999d",
            "5 m",
        ] {
            assert!(
                bad.parse::<Duration>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn durations_display_as_written() {
        for text in ["1h30m", "2d", "250ms", "1w2d", "0s", "90m"] {
            let shown = text.parse::<Duration>().unwrap().to_string();
            let reparsed: Duration = shown.parse().unwrap();
            assert_eq!(reparsed, text.parse().unwrap());
        }
        assert_eq!("90m".parse::<Duration>().unwrap().to_string(), "1h30m");
        assert_eq!("90m".parse::<Duration>().unwrap().to_es_interval(), "90m");
        assert_eq!("2h".parse::<Duration>().unwrap().to_es_interval(), "2h");
    }

    #[test]
    fn sizes_distinguish_decimal_and_binary_units() {
        assert_eq!("100MB".parse::<Quantity>().unwrap().value, 100_000_000.0);
        assert_eq!("100MiB".parse::<Quantity>().unwrap().value, 104_857_600.0);
        assert_eq!("0B".parse::<Quantity>().unwrap().unit, Unit::Bytes);
        assert_eq!("1.5 GB".parse::<Quantity>().unwrap().value, 1.5e9);
    }

    #[test]
    fn percentages_are_fractions() {
        let q: Quantity = "95%".parse().unwrap();
        assert_eq!((q.value, q.unit), (0.95, Unit::Ratio));
        assert_eq!(q.to_string(), "95 %");
    }

    #[test]
    fn quantities_reject_unknown_units() {
        for bad in ["100mb", "MB", "1e400", "five", "10 parsecs"] {
            assert!(
                bad.parse::<Quantity>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn rates_accept_named_and_numeric_time_units() {
        let rate: Rate = "1GB/day".parse().unwrap();
        assert!((rate.per_second() - 1e9 / 86_400.0).abs() < 1e-6);
        let rate: Rate = "50/5m".parse().unwrap();
        assert!((rate.per_second() - 50.0 / 300.0).abs() < 1e-9);
        assert!("1GB/0s".parse::<Rate>().is_err());
        assert!("1GB".parse::<Rate>().is_err());
    }
}
