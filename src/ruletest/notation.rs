//! The compact series notation of rule tests, in the spirit of `promtool test rules`:
//! space-separated terms, each giving one or more consecutive values.
//!
//! - `42`, `1.5e9`, `100MB`, `2.5 %`-free quantities: one value (units as in rules);
//! - `_`: one bucket without data; `_x10`: ten of them;
//! - `7x3`: the value 7, three times;
//! - `8000-50x96`: 96 values from 8000, falling by 50 each (`8000, 7950, …, 3250`);
//! - `0+1x4`: `0, 1, 2, 3`.

use crate::rules::Quantity;

/// Why a series could not be read; `term` is the offending term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{term}`: {reason}")]
pub struct NotationError {
    pub term: String,
    pub reason: String,
}

/// Most values one term may expand to (a week of minutes is 10,080).
const MOST_VALUES: usize = 1_000_000;

/// Reads a series: one entry per bucket, `None` where it has no data.
pub fn parse_series(text: &str) -> Result<Vec<Option<f64>>, NotationError> {
    let mut values = Vec::new();
    for term in text.split_whitespace() {
        let error = |reason: &str| NotationError {
            term: term.to_string(),
            reason: reason.to_string(),
        };
        let (head, count) = match term.rsplit_once('x') {
            Some((head, count))
                if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let count: usize = count.parse().map_err(|_| error("the count is too large"))?;
                (head, Some(count))
            }
            _ => (term, None),
        };
        if count.is_some_and(|c| c == 0 || c > MOST_VALUES) {
            return Err(error(&format!("the count must be 1 to {MOST_VALUES}")));
        }
        if values.len() + count.unwrap_or(1) > MOST_VALUES {
            return Err(error(&format!(
                "a series holds at most {MOST_VALUES} values"
            )));
        }
        if head == "_" {
            values.extend(std::iter::repeat_n(None, count.unwrap_or(1)));
            continue;
        }
        let (start, step) = match (count, split_step(head)) {
            (Some(_), Some((start, sign, step))) => (start, Some((sign, step))),
            _ => (head, None),
        };
        let start = number(start).map_err(|reason| error(&reason))?;
        let step = match step {
            Some((sign, step)) => sign * number(step).map_err(|reason| error(&reason))?,
            None => 0.0,
        };
        for k in 0..count.unwrap_or(1) {
            values.push(Some(start + step * k as f64));
        }
    }
    if values.is_empty() {
        return Err(NotationError {
            term: text.to_string(),
            reason: "no values (write e.g. `100 90 80`, `8000-50x96` or `_` for a gap)".to_string(),
        });
    }
    Ok(values)
}

/// `a+b` or `a-b` → (a, ±1, b); the sign may not be the first character (a negative
/// start) nor follow an exponent's `e`.
fn split_step(head: &str) -> Option<(&str, f64, &str)> {
    let bytes = head.as_bytes();
    (1..bytes.len()).rev().find_map(|i| {
        let sign = match bytes[i] {
            b'+' => 1.0,
            b'-' => -1.0,
            _ => return None,
        };
        if matches!(bytes[i - 1], b'e' | b'E') {
            return None;
        }
        Some((&head[..i], sign, &head[i + 1..]))
    })
}

/// A plain number, or a quantity with a unit (`100MB`, `5%`), in base units.
fn number(text: &str) -> Result<f64, String> {
    if let Ok(value) = text.parse::<f64>() {
        return value
            .is_finite()
            .then_some(value)
            .ok_or_else(|| "not a finite number".to_string());
    }
    text.parse::<Quantity>()
        .map(|quantity| quantity.value)
        .map_err(|_| format!("`{text}` is not a number (e.g. 42, 1.5e9, 100MB)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Option<f64>> {
        parse_series(text).unwrap()
    }

    #[test]
    fn the_issues_example_counts_down_96_buckets() {
        let series = values("8000-50x96");
        assert_eq!(series.len(), 96);
        assert_eq!(series[0], Some(8000.0));
        assert_eq!(series[95], Some(8000.0 - 50.0 * 95.0));
    }

    #[test]
    fn terms_combine() {
        assert_eq!(
            values("1 _ 7x2 0+2.5x3 _x2 -3"),
            [
                Some(1.0),
                None,
                Some(7.0),
                Some(7.0),
                Some(0.0),
                Some(2.5),
                Some(5.0),
                None,
                None,
                Some(-3.0)
            ]
        );
        assert_eq!(values("1e3+1e2x2"), [Some(1000.0), Some(1100.0)]);
        assert_eq!(values("300MB-50MBx2"), [Some(3e8), Some(2.5e8)]);
    }

    #[test]
    fn bad_terms_are_named() {
        let error = parse_series("1 2 abc").unwrap_err();
        assert_eq!(error.term, "abc");
        assert!(parse_series("5x0").unwrap_err().reason.contains("1 to"));
        assert!(parse_series("  ").unwrap_err().reason.contains("no values"));
        assert!(parse_series("inf").is_err());
        assert!(parse_series("1x2000000").is_err());
    }
}
