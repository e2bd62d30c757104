//! A rule's condition applied to one group's series: picks the windows, calls the pure
//! analysis functions, and explains the verdict in the rule's units. One file per kind of
//! condition.

mod absent;
mod change;
mod threshold;
mod trend;

use crate::analysis::trend::TrendHints;
use crate::analysis::{Status, Verdict};
use crate::humanize;
use crate::query::Series;
use crate::rules::{Condition, Metric, Rule, Unit};

/// How much of a verdict to work out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every number a message shows.
    Full,
    /// The status alone; numbers that only explain it may be left out, and a trend's
    /// checks run cheapest first.
    Status,
}

/// The verdict of `rule`'s condition on `series`.
pub fn judge(rule: &Rule, series: &Series) -> Verdict {
    judge_in(rule, series, Detail::Full, &mut TrendHints::default())
}

/// The status [`judge`] would give, without the numbers that only explain it: for a
/// backtest's instants, where only a change of status is reported. `hints` carry where a
/// trend's slopes were found for the same group at the previous instant.
pub fn judge_status(rule: &Rule, series: &Series, hints: &mut TrendHints) -> Status {
    judge_in(rule, series, Detail::Status, hints).status
}

fn judge_in(rule: &Rule, series: &Series, detail: Detail, hints: &mut TrendHints) -> Verdict {
    let unit = value_unit(rule);
    let window = window_buckets(rule);
    let mut verdict = match &rule.condition {
        Condition::Threshold(spec) => threshold::judge_threshold(spec, series, window, unit),
        Condition::Change(spec) => change::judge_change(spec, rule, series, window),
        Condition::Trend(spec) => match detail {
            Detail::Full => trend::judge_trend(spec, rule, series, unit),
            Detail::Status => Verdict::new(
                trend::trend_status(spec, rule, series, unit, hints),
                String::new(),
            ),
        },
        Condition::Absent => absent::judge_absent(rule, series, window),
    };
    let span = match rule.condition {
        Condition::Trend(_) => rule.lookback,
        _ => rule.window,
    };
    verdict.span_seconds = Some(span.as_secs_f64());
    verdict
}

/// How values of this rule are written: from the metric or the units in its condition.
pub fn value_unit(rule: &Rule) -> Unit {
    if matches!(rule.metric, Metric::Ratio { .. }) {
        return Unit::Ratio;
    }
    match &rule.condition {
        Condition::Threshold(threshold) => threshold.bound.unit,
        Condition::Trend(trend) => trend
            .forecast
            .map(|forecast| forecast.reaches.unit)
            .or(trend.min_rate.map(|rate| rate.amount.unit))
            .unwrap_or(Unit::Number),
        Condition::Change(_) | Condition::Absent => Unit::Number,
    }
}

pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Bytes => humanize::bytes(value),
        Unit::Ratio => humanize::percent(value),
        Unit::Number => humanize::number(value),
    }
}

fn window_buckets(rule: &Rule) -> usize {
    usize::try_from(rule.window.as_millis() / rule.bucket.as_millis().max(1))
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod fixtures {
    use crate::query::{GroupKey, Series, TimeGrid};
    use crate::rules::{Rule, parse_one};

    pub const HOUR: i64 = 3_600_000;

    pub fn rule(body: &str) -> Rule {
        parse_one(&format!("name: t\nindex: i\nnotify: [n]\n{body}"))
    }

    pub fn series(bucket_ms: i64, values: Vec<Option<f64>>, counts: Vec<u64>) -> Series {
        let len = values.len() as i64;
        Series {
            group: GroupKey::default(),
            grid: TimeGrid {
                start_ms: 0,
                end_ms: len * bucket_ms,
                bucket_ms,
            },
            values: values.into(),
            counts: counts.into(),
        }
    }
}

#[cfg(test)]
mod status_tests {
    use super::fixtures::{HOUR, rule, series};
    use super::{judge, judge_status};
    use crate::analysis::Status;
    use crate::analysis::trend::TrendHints;

    /// 96 hourly buckets: a slope per hour, a swing over `period` hours, noise, and a step
    /// halfway.
    fn shaped(slope: f64, (swing, period): (f64, f64), noise: f64, step: f64) -> Vec<Option<f64>> {
        (0..96)
            .map(|i| {
                let hour = f64::from(i);
                let cycle = swing * (std::f64::consts::TAU * hour / period).sin();
                let jitter = noise * (((i * 7919) % 23) as f64 / 11.0 - 1.0);
                let shift = if i < 48 { 0.0 } else { step };
                Some(5_000.0 + slope * hour + cycle + jitter + shift)
            })
            .collect()
    }

    /// Judging the status alone leaves out only numbers that explain it: for every kind of
    /// condition, over falling, rising, flat, cyclic, noisy and stepped series, it agrees
    /// with the full verdict; and the full verdict of a firing trend still has its interval.
    #[test]
    fn the_status_alone_agrees_with_the_full_verdict() {
        let rules = [
            "metric: avg(x)\nbucket: 1h\nlookback: 4d\ncondition: { trend: { direction: down, forecast: { reaches: 0, within: 60h } } }\n",
            "metric: avg(x)\nbucket: 1h\nlookback: 4d\ncondition: { trend: { direction: down, forecast: { reaches: 4000, within: 5d } } }\n",
            "metric: avg(x)\nbucket: 1h\nlookback: 4d\ncondition: { trend: { direction: up, min_rate: 100/day } }\n",
            "metric: avg(x)\nbucket: 1h\nlookback: 4d\ncondition: { trend: { direction: down } }\n",
            "metric: avg(x)\nbucket: 1h\nlookback: 4d\ncondition: { trend: { direction: down, season: 1d, forecast: { reaches: 0, within: 10d } } }\n",
            "metric: avg(x)\nbucket: 1h\nwindow: 6h\ncondition: { threshold: { below: 4900 } }\n",
            "metric: avg(x)\nbucket: 1h\nwindow: 6h\nlookback: 4d\ncondition: { change: { compare_to: previous, increase: 2% } }\n",
        ];
        let mut seen = [0; 2];
        // Carried from series to series as a backtest carries them from instant to instant;
        // they must never change a status.
        let mut hints = TrendHints::default();
        for body in rules {
            let rule = rule(body);
            for slope in [-40.0, -5.0, -2.0, -0.5, 0.0, 0.5, 5.0, 40.0] {
                // Straight, cyclic (autocorrelated: at -2/h over a two-day swing, only the
                // correction keeps it from firing), stepped (a level shift: persistence
                // decides), and both.
                for (swing, noise, step) in [
                    ((0.0, 24.0), 0.0, 0.0),
                    ((300.0, 24.0), 50.0, 0.0),
                    ((0.0, 24.0), 400.0, -900.0),
                    ((2_000.0, 48.0), 20.0, 0.0),
                    ((600.0, 24.0), 20.0, 0.0),
                    ((300.0, 24.0), 50.0, -900.0),
                ] {
                    let values = shaped(slope, swing, noise, step);
                    let series = series(HOUR, values, vec![1; 96]);
                    let full = judge(&rule, &series);
                    assert_eq!(
                        judge_status(&rule, &series, &mut hints),
                        full.status,
                        "{body} slope {slope}: {}",
                        full.explanation
                    );
                    let firing = full.status == Status::Breached;
                    seen[usize::from(firing)] += 1;
                    if firing && body.contains("forecast") {
                        assert!(
                            full.slope_interval.is_some(),
                            "{body}: {}",
                            full.explanation
                        );
                    }
                }
            }
        }
        assert!(
            seen.iter().all(|&count| count > 10),
            "both statuses are exercised: {seen:?}"
        );
    }
}
