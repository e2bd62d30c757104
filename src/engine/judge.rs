//! A rule's condition applied to one group's series: picks the windows, calls the pure
//! analysis functions, and explains the verdict in the rule's units.

use crate::analysis::change::{self, Amount, Comparison, WindowValue};
use crate::analysis::trend::{self, MIN_POINTS};
use crate::analysis::window::{Reduce, reduce};
use crate::analysis::{Status, Verdict};
use crate::humanize;
use crate::query::Series;
use crate::rules::{
    Change, ChangeAmount, ChangeDirection, Condition, MIN_TREND_POINTS, Metric, Rule, Side,
    Threshold, Trend, TrendDirection, Unit, WindowAggregate,
};

/// The verdict of `rule`'s condition on `series`.
pub fn judge(rule: &Rule, series: &Series) -> Verdict {
    let unit = value_unit(rule);
    let window = window_buckets(rule);
    match &rule.condition {
        Condition::Threshold(threshold) => judge_threshold(threshold, series, window, unit),
        Condition::Change(change) => judge_change(change, rule, series, window),
        Condition::Trend(trend) => judge_trend(trend, rule, series, unit),
        Condition::Absent => judge_absent(rule, series, window),
    }
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

/// z for the two-sided 95 % Wilson interval.
const WILSON_Z: f64 = 1.959_963_984_540_054;

fn window_buckets(rule: &Rule) -> usize {
    usize::try_from(rule.window.as_millis() / rule.bucket.as_millis().max(1))
        .unwrap_or(1)
        .max(1)
}

fn tail(values: &[Option<f64>], count: usize) -> &[Option<f64>] {
    &values[values.len().saturating_sub(count)..]
}

fn judge_threshold(threshold: &Threshold, series: &Series, window: usize, unit: Unit) -> Verdict {
    let how = match threshold.of {
        WindowAggregate::Last => Reduce::Last,
        WindowAggregate::Mean => Reduce::Mean,
        WindowAggregate::Min => Reduce::Min,
        WindowAggregate::Max => Reduce::Max,
        WindowAggregate::Median => Reduce::Median,
        WindowAggregate::Sum => Reduce::Sum,
    };
    let Some(value) = reduce(tail(&series.values, window), how) else {
        return Verdict::new(Status::NoData, "no data in the window");
    };
    let bound = threshold.bound.value;
    let (breached, relation) = match threshold.side {
        Side::Above => (
            value > bound,
            if value > bound { "above" } else { "not above" },
        ),
        Side::Below => (
            value < bound,
            if value < bound { "below" } else { "not below" },
        ),
    };
    let status = if breached {
        Status::Breached
    } else {
        Status::Ok
    };
    let mut verdict = Verdict::new(
        status,
        format!(
            "{} is {relation} {}",
            format_value(value, unit),
            format_value(bound, unit)
        ),
    );
    verdict.value = Some(value);
    verdict.baseline = Some(bound);
    verdict
}

/// A window's value: the total for counts, the pooled share for ratios, the mean otherwise.
fn window_value(metric: &Metric, values: &[Option<f64>], counts: &[u64]) -> Option<WindowValue> {
    let count: u64 = counts.iter().sum();
    let value = match metric {
        Metric::Count => Some(count as f64),
        Metric::Ratio { .. } => {
            let matching: f64 = values
                .iter()
                .zip(counts)
                .filter_map(|(v, c)| v.map(|v| (v * *c as f64).round()))
                .sum();
            (count > 0).then(|| matching / count as f64)
        }
        _ => reduce(values, Reduce::Mean),
    }?;
    Some(WindowValue { value, count })
}

fn judge_change(spec: &Change, rule: &Rule, series: &Series, window: usize) -> Verdict {
    let unit = if matches!(rule.metric, Metric::Ratio { .. }) {
        Unit::Ratio
    } else {
        Unit::Number
    };
    let len = series.values.len();
    let slice = |end: usize| (end.saturating_sub(window), end);
    let (start, end) = slice(len);
    let Some(current) = window_value(
        &rule.metric,
        &series.values[start..end],
        &series.counts[start..end],
    ) else {
        return Verdict::new(Status::NoData, "no data in the current window");
    };
    let amount = match spec.amount {
        ChangeAmount::Factor(f) => Amount::Factor(f),
        ChangeAmount::Relative(r) => Amount::Relative(r),
        ChangeAmount::Absolute(d) => Amount::Absolute(d),
    };
    let increase = spec.direction == ChangeDirection::Increase;
    // A share is judged by the bound of its 95 % Wilson interval on the safe side, against
    // baselines estimated with the Jeffreys prior, so a handful of errors in a few hundred
    // requests cannot look like a multiplied rate, nor an error-free hour like a zero rate.
    let share_bound = match rule.metric {
        Metric::Ratio { .. } => {
            let matching = (current.value * current.count as f64).round() as u64;
            change::wilson_interval(matching, current.count, WILSON_Z)
                .map(|(low, high)| if increase { low } else { high })
        }
        _ => None,
    };
    let judged = WindowValue {
        value: share_bound.unwrap_or(current.value),
        count: current.count,
    };
    let mut weakest: Option<(f64, f64)> = None; // (factor, baseline value) of the smallest change
    let mut all_hold = true;
    for baseline in &spec.baselines {
        let offset = usize::try_from(
            baseline.offset(rule.window).as_millis() / rule.bucket.as_millis().max(1),
        )
        .unwrap_or(usize::MAX);
        let Some(baseline_end) = len.checked_sub(offset) else {
            return Verdict::new(Status::NoData, format!("no data for {baseline}"));
        };
        let (start, end) = slice(baseline_end);
        let mut before = window_value(
            &rule.metric,
            &series.values[start..end],
            &series.counts[start..end],
        )
        .unwrap_or(WindowValue {
            value: 0.0,
            count: 0,
        });
        if share_bound.is_some() {
            let matching = (before.value * before.count as f64).round() as u64;
            before.value = change::jeffreys_share(matching, before.count);
        }
        match change::compare(judged, before, increase, amount, spec.min_count) {
            Comparison::BelowFloor => {
                let mut verdict = Verdict::new(
                    Status::NoData,
                    format!(
                        "too few documents to judge ({} now, {} {baseline}; min_count {})",
                        current.count, before.count, spec.min_count
                    ),
                );
                verdict.value = Some(current.value);
                return verdict;
            }
            Comparison::Judged { holds, factor } => {
                all_hold &= holds;
                let weaker =
                    weakest.is_none_or(|(w, _)| if increase { factor < w } else { factor > w });
                if weaker {
                    weakest = Some((factor, before.value));
                }
            }
        }
    }
    let baseline = weakest.map_or(current.value, |(_, baseline)| baseline);
    let observed_change = if baseline == 0.0 {
        f64::INFINITY
    } else {
        current.value / baseline
    };
    let status = if all_hold {
        Status::Breached
    } else {
        Status::Ok
    };
    let against: Vec<String> = spec.baselines.iter().map(ToString::to_string).collect();
    let confidence = share_bound
        .map(|bound| {
            format!(
                " (95 % sure it is {} {})",
                if increase { "at least" } else { "at most" },
                format_value(bound, unit)
            )
        })
        .unwrap_or_default();
    let explanation = format!(
        "{} now{confidence} vs {} {}: {}x",
        format_value(current.value, unit),
        format_value(baseline, unit),
        against.join(" / "),
        humanize::number(observed_change)
    );
    let mut verdict = Verdict::new(status, explanation);
    verdict.value = Some(current.value);
    verdict.baseline = Some(baseline);
    verdict.change = Some(observed_change);
    verdict
}

fn judge_trend(spec: &Trend, rule: &Rule, series: &Series, unit: Unit) -> Verdict {
    let grid = series.grid;
    let half_bucket = grid.bucket_ms as f64 / 2.0;
    let (times, values): (Vec<f64>, Vec<f64>) = series
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| {
                (
                    (grid.timestamp_of(i) as f64 + half_bucket - grid.end_ms as f64) / 1_000.0,
                    v,
                )
            })
        })
        .unzip();
    if values.len() < MIN_POINTS.max(MIN_TREND_POINTS as usize) {
        return Verdict::new(
            Status::NoData,
            format!("{} buckets with data; too few for a trend", values.len()),
        );
    }
    let (fit, test) = match (
        trend::theil_sen(&times, &values, 0.95),
        trend::mann_kendall(&values),
    ) {
        (Ok(fit), Ok(test)) => (fit, test),
        (Err(error), _) | (_, Err(error)) => {
            return Verdict::new(Status::NoData, format!("cannot fit a trend: {error}"));
        }
    };
    let per_day = fit.slope * 86_400.0;
    let rate_text = if rule.lookback.as_millis() >= 86_400_000 {
        format!("{}/day", format_value(per_day.abs(), unit))
    } else {
        format!("{}/h", format_value((fit.slope * 3_600.0).abs(), unit))
    };
    let latest = values.last().copied();
    let bad_sign = match spec.direction {
        TrendDirection::Down => fit.slope < 0.0 && test.s < 0,
        TrendDirection::Up => fit.slope > 0.0 && test.s > 0,
    };
    let word = if fit.slope < 0.0 { "falling" } else { "rising" };
    let mut verdict = Verdict::new(Status::Ok, "");
    verdict.value = latest;
    verdict.slope_per_second = Some(fit.slope);
    verdict.p_value = Some(test.p_value);
    let significant = test.p_value < spec.significance;
    let fast_enough = spec
        .min_rate
        .is_none_or(|rate| fit.slope.abs() >= rate.per_second());
    let forecast = spec.forecast.map(|forecast| {
        let level = forecast.reaches.value;
        let now_value = fit.intercept; // x = 0 is the end of the grid
        let already_there = match spec.direction {
            TrendDirection::Down => now_value <= level,
            TrendDirection::Up => now_value >= level,
        };
        let seconds = if already_there {
            Some(0.0)
        } else {
            trend::crossing(fit.intercept, fit.slope, level).filter(|x| *x >= 0.0)
        };
        (seconds, forecast)
    });
    if let Some((seconds, _)) = forecast {
        verdict.time_to_bound = seconds;
    }
    let now_text = latest
        .map(|v| format!("{} now", format_value(v, unit)))
        .unwrap_or_default();
    let p_text = if test.p_value < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {:.3}", test.p_value)
    };
    verdict.explanation = if !bad_sign {
        format!("{word} {rate_text}, not the bad direction ({p_text}); {now_text}")
    } else if !significant {
        format!(
            "{word} {rate_text} but not significant ({p_text} ≥ {}); {now_text}",
            spec.significance
        )
    } else if !fast_enough {
        let min_rate = spec
            .min_rate
            .map(|r| format!("{}/day", format_value(r.per_second() * 86_400.0, unit)))
            .unwrap_or_default();
        format!("{word} {rate_text} ({p_text}), slower than min_rate {min_rate}; {now_text}")
    } else {
        match forecast {
            None => {
                verdict.status = Status::Breached;
                format!("{word} {rate_text} ({p_text}); {now_text}")
            }
            Some((seconds, target)) => {
                let bound = format_value(target.reaches.value, unit);
                match seconds {
                    Some(s) if s <= target.within.as_secs_f64() => {
                        verdict.status = Status::Breached;
                        format!(
                            "{word} {rate_text} ({p_text}); {now_text}, reaches {bound} in ~{}",
                            humanize::duration_secs(s)
                        )
                    }
                    Some(s) => format!(
                        "{word} {rate_text} ({p_text}); reaches {bound} in ~{}, beyond {}",
                        humanize::duration_secs(s),
                        target.within
                    ),
                    None => format!("{word} {rate_text} ({p_text}); never reaches {bound}"),
                }
            }
        }
    };
    verdict
}

fn judge_absent(rule: &Rule, series: &Series, window: usize) -> Verdict {
    let split = series.counts.len().saturating_sub(window);
    let (before, recent) = series.counts.split_at(split);
    let recent_documents: u64 = recent.iter().sum();
    let earlier_documents: u64 = before.iter().sum();
    if recent_documents == 0 && earlier_documents > 0 {
        let last_seen = before
            .iter()
            .rposition(|c| *c > 0)
            .map(|i| series.grid.timestamp_of(i));
        let mut verdict = Verdict::new(
            Status::Breached,
            format!(
                "no data for {} (reported earlier in the last {})",
                rule.window, rule.lookback
            ),
        );
        verdict.value = Some(0.0);
        verdict.baseline = last_seen.map(|t| t as f64);
        return verdict;
    }
    Verdict::new(
        Status::Ok,
        format!("{recent_documents} documents in the last {}", rule.window),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::query::{GroupKey, TimeGrid};
    use crate::rules::{ValidationContext, parse_rules};

    const HOUR: i64 = 3_600_000;

    fn rule(body: &str) -> Rule {
        let text = format!("name: t\nindex: i\nnotify: [n]\n{body}");
        let (mut rules, problems) =
            parse_rules(Path::new("t.yaml"), &text, &ValidationContext::default());
        assert!(problems.is_empty(), "{problems:?}");
        rules.remove(0)
    }

    fn series(bucket_ms: i64, values: Vec<Option<f64>>, counts: Vec<u64>) -> Series {
        let len = values.len() as i64;
        Series {
            group: GroupKey::default(),
            grid: TimeGrid {
                start_ms: 0,
                end_ms: len * bucket_ms,
                bucket_ms,
            },
            values,
            counts,
        }
    }

    #[test]
    fn threshold_reduces_the_window_then_compares() {
        let rule = rule(
            "metric: max(x)\nbucket: 1m\nwindow: 3m\ncondition: { threshold: { above: 10, of: mean } }\n",
        );
        let verdict = judge(
            &rule,
            &series(
                60_000,
                vec![Some(100.0), Some(9.0), None, Some(12.0)],
                vec![1, 1, 0, 1],
            ),
        );
        // The window is the last three buckets; their mean skips the missing one: (9 + 12) / 2.
        assert_eq!(
            (verdict.status, verdict.value),
            (Status::Breached, Some(10.5))
        );
        assert_eq!(verdict.explanation, "10.5 is above 10");
        let empty = judge(
            &rule,
            &series(
                60_000,
                vec![Some(100.0), None, None, None],
                vec![1, 0, 0, 0],
            ),
        );
        assert_eq!(empty.status, Status::NoData);
    }

    /// 24 errors in 600 requests now (Wilson 95 % low end 0.027025) against 3 in 600 a day
    /// ago (Jeffreys (3 + ½)/601 = 0.005824): 0.027025 ≥ 3 × 0.005824 = 0.017471, so a
    /// tripled share holds; the observed change is 0.04 / 0.005824 = 6.87.
    #[test]
    fn a_ratio_change_is_judged_on_wilson_against_jeffreys() {
        let rule = rule(
            "metric: { ratio: { of: { term: { s: 500 } } } }\nbucket: 1h\nwindow: 1h\ncondition: { change: { compare_to: [1d], increase: 3x, min_count: 200 } }\n",
        );
        let mut values = vec![None; 25];
        let mut counts = vec![0; 25];
        (values[0], counts[0]) = (Some(3.0 / 600.0), 600);
        (values[24], counts[24]) = (Some(24.0 / 600.0), 600);
        let verdict = judge(&rule, &series(HOUR, values.clone(), counts.clone()));
        assert_eq!(verdict.status, Status::Breached, "{}", verdict.explanation);
        assert!((verdict.baseline.unwrap() - 3.5 / 601.0).abs() < 1e-12);
        assert!((verdict.change.unwrap() - 0.04 / (3.5 / 601.0)).abs() < 1e-9);

        // 3 in 240 against 1 in 240 is "tripled" only by chance: the Wilson low end of
        // 3/240 (0.00426) is below 3 × (1.5/241) = 0.01867.
        (values[0], counts[0]) = (Some(1.0 / 240.0), 240);
        (values[24], counts[24]) = (Some(3.0 / 240.0), 240);
        assert_eq!(
            judge(&rule, &series(HOUR, values.clone(), counts.clone())).status,
            Status::Ok
        );

        // Below the volume floor nothing is judged.
        counts[24] = 150;
        assert_eq!(
            judge(&rule, &series(HOUR, values, counts)).status,
            Status::NoData
        );
    }

    /// Hourly buckets falling 10 per hour from 1000: at the end of the grid (half a bucket
    /// after the last midpoint, value 530) the line is at 525, so it reaches 0 in 52.5 h.
    #[test]
    fn a_falling_line_forecasts_its_crossing_exactly() {
        let values: Vec<Option<f64>> = (0..48)
            .map(|i| Some(1_000.0 - 10.0 * f64::from(i)))
            .collect();
        let within = |horizon: &str| {
            rule(&format!(
                "metric: min(x)\nbucket: 1h\nlookback: 2d\ncondition: {{ trend: {{ direction: down, forecast: {{ reaches: 0, within: {horizon} }} }} }}\n"
            ))
        };
        let late = judge(&within("48h"), &series(HOUR, values.clone(), vec![1; 48]));
        assert_eq!(late.status, Status::Ok);
        assert!((late.time_to_bound.unwrap() - 52.5 * 3_600.0).abs() < 1e-6);
        assert!((late.slope_per_second.unwrap() * 3_600.0 + 10.0).abs() < 1e-12);
        let soon = judge(&within("60h"), &series(HOUR, values, vec![1; 48]));
        assert_eq!(soon.status, Status::Breached);
        assert_eq!(
            soon.explanation,
            "falling 240/day (p < 0.001); 530 now, reaches 0 in ~53 h"
        );
    }

    #[test]
    fn a_rising_series_never_fires_a_falling_rule() {
        let rule = rule(
            "metric: min(x)\nbucket: 1h\nlookback: 1d\ncondition: { trend: { direction: down } }\n",
        );
        let values: Vec<Option<f64>> = (0..24).map(|i| Some(f64::from(i))).collect();
        assert_eq!(
            judge(&rule, &series(HOUR, values, vec![1; 24])).status,
            Status::Ok
        );
    }

    #[test]
    fn absent_fires_for_a_group_that_went_silent() {
        let rule =
            rule("metric: count\nbucket: 5m\nwindow: 10m\nlookback: 1h\ncondition: absent\n");
        let silent = series(
            300_000,
            vec![Some(4.0), Some(2.0), Some(0.0), Some(0.0)],
            vec![4, 2, 0, 0],
        );
        let verdict = judge(&rule, &silent);
        assert_eq!(verdict.status, Status::Breached);
        assert_eq!(
            verdict.explanation,
            "no data for 10m (reported earlier in the last 1h)"
        );
        let reporting = series(
            300_000,
            vec![Some(4.0), Some(0.0), Some(0.0), Some(1.0)],
            vec![4, 0, 0, 1],
        );
        assert_eq!(judge(&rule, &reporting).status, Status::Ok);
    }
}
