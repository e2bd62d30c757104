//! Numbers as people read them: `98.2 MB`, `3.5 %`, `31 h`. A leaf used by rules
//! (displaying bounds), the engine (explanations) and notify (template filters).

/// Three significant digits at most, no trailing zeros: `1.5`, `98.2`, `1234`.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_string()
        } else if value > 0.0 {
            "∞".to_string()
        } else {
            "-∞".to_string()
        };
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let decimals = if value.abs() >= 100.0 {
        1
    } else if value.abs() >= 1.0 {
        2
    } else {
        3
    };
    let text = format!("{value:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Bytes in decimal units: `98.2 MB`, `1.5 GB`, `512 B`.
pub fn bytes(value: f64) -> String {
    let magnitude = value.abs();
    for (name, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] {
        if magnitude >= size {
            return format!("{} {name}", number(round_to(value / size, 3)));
        }
    }
    format!("{} B", number(value.round()))
}

/// A fraction as a percentage: 0.0312 → `3.12 %`.
pub fn percent(fraction: f64) -> String {
    format!("{} %", number(round_to(fraction * 100.0, 3)))
}

/// A span of seconds, coarsely: `45 s`, `12 min`, `31 h`, `4.5 days`.
pub fn duration_secs(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "never".to_string();
    }
    let seconds = seconds.max(0.0);
    if seconds < 120.0 {
        format!("{} s", seconds.round())
    } else if seconds < 7_200.0 {
        format!("{} min", (seconds / 60.0).round())
    } else if seconds < 72.0 * 3_600.0 {
        format!("{} h", (seconds / 3_600.0).round())
    } else {
        format!(
            "{} days",
            number((seconds / 86_400.0 * 10.0).round() / 10.0)
        )
    }
}

/// Rounds to `digits` significant digits.
fn round_to(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_three_significant_digits() {
        assert_eq!(bytes(98_200_000.0), "98.2 MB");
        assert_eq!(bytes(1_500_000_000.0), "1.5 GB");
        assert_eq!(bytes(123_456_789_000.0), "123 GB");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(-2_100_000_000.0), "-2.1 GB");
    }

    #[test]
    fn percentages_and_durations_read_naturally() {
        assert_eq!(percent(0.0312), "3.12 %");
        assert_eq!(percent(0.005), "0.5 %");
        assert_eq!(duration_secs(45.0), "45 s");
        assert_eq!(duration_secs(31.0 * 3_600.0), "31 h");
        assert_eq!(duration_secs(4.5 * 86_400.0), "4.5 days");
        assert_eq!(duration_secs(f64::INFINITY), "never");
    }
}
