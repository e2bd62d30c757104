//! A rule's condition applied to one group's series: picks the windows, calls the pure
//! analysis functions, and explains the verdict in the rule's units. One file per kind of
//! condition.

mod absent;
mod change;
mod threshold;
mod trend;

use crate::analysis::Verdict;
use crate::humanize;
use crate::query::Series;
use crate::rules::{Condition, Metric, Rule, Unit};

/// The verdict of `rule`'s condition on `series`.
pub fn judge(rule: &Rule, series: &Series) -> Verdict {
    let unit = value_unit(rule);
    let window = window_buckets(rule);
    let mut verdict = match &rule.condition {
        Condition::Threshold(spec) => threshold::judge_threshold(spec, series, window, unit),
        Condition::Change(spec) => change::judge_change(spec, rule, series, window),
        Condition::Trend(spec) => trend::judge_trend(spec, rule, series, unit),
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
