//! Change: the current window against earlier ones — the previous window, the same window
//! a day or a week ago, or the median of the same window over several days — as a factor,
//! a relative change or a difference, with a volume floor.

use crate::analysis::change::{self, Amount, Comparison, WindowValue};
use crate::analysis::window::{Reduce, median_in_place, reduce};
use crate::analysis::{Status, Verdict};
use crate::humanize;
use crate::query::Series;
use crate::rules::{Baseline, Change, ChangeAmount, ChangeDirection, Metric, Rule, Unit};

use super::format_value;

/// z for the two-sided 95 % Wilson interval.
const WILSON_Z: f64 = 1.959_963_984_540_054;

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

pub(super) fn judge_change(spec: &Change, rule: &Rule, series: &Series, window: usize) -> Verdict {
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
        let before = match baseline_value(rule, series, *baseline, window, share_bound.is_some()) {
            Ok(before) => before,
            Err(reason) => return Verdict::new(Status::NoData, reason),
        };
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

/// The value a baseline compares with: its one window, or the median of its windows
/// (windows without documents are left out of a median). Shares are estimated with the
/// Jeffreys prior. `Err` says why there is no baseline (the series does not reach back).
fn baseline_value(
    rule: &Rule,
    series: &Series,
    baseline: Baseline,
    window: usize,
    share: bool,
) -> Result<WindowValue, String> {
    let len = series.values.len();
    let bucket_ms = rule.bucket.as_millis().max(1);
    let mut windows = Vec::new();
    for offset in baseline.offsets(rule.window) {
        let offset = usize::try_from(offset.as_millis() / bucket_ms).unwrap_or(usize::MAX);
        let Some(end) = len.checked_sub(offset) else {
            return Err(format!("no data for {baseline}"));
        };
        let start = end.saturating_sub(window);
        let found = window_value(
            &rule.metric,
            &series.values[start..end],
            &series.counts[start..end],
        );
        let mut before = found.unwrap_or(WindowValue {
            value: 0.0,
            count: 0,
        });
        if share {
            let matching = (before.value * before.count as f64).round() as u64;
            before.value = change::jeffreys_share(matching, before.count);
        }
        windows.push((found.is_some() && before.count > 0, before));
    }
    if let [(_, single)] = windows.as_slice() {
        return Ok(*single);
    }
    let present: Vec<WindowValue> = windows
        .into_iter()
        .filter_map(|(present, value)| present.then_some(value))
        .collect();
    let mut values: Vec<f64> = present.iter().map(|w| w.value).collect();
    let mut counts: Vec<f64> = present.iter().map(|w| w.count as f64).collect();
    match (median_in_place(&mut values), median_in_place(&mut counts)) {
        (Some(value), Some(count)) => Ok(WindowValue {
            value,
            count: count as u64,
        }),
        _ => Err(format!("no data in any window of {baseline}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{HOUR, rule, series};
    use super::super::judge;
    use crate::analysis::Status;

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

    /// The median of the same hour on each of the last 4 days: one odd day (a spike of
    /// 1,000) moves nothing; 40 now against a median of 10 is a 4x rise.
    #[test]
    fn a_seasonal_median_baseline_ignores_one_odd_day() {
        let rule = rule(
            "metric: count\nbucket: 1h\nwindow: 1h\ncondition: { change: { compare_to: median of 4 x 1d, increase: 3x } }\n",
        );
        let mut counts = vec![0u64; 97];
        for (day, count) in [(0, 10), (24, 1_000), (48, 9), (72, 11), (96, 40)] {
            counts[day] = count;
        }
        let values = counts.iter().map(|c| Some(*c as f64)).collect();
        let verdict = judge(&rule, &series(HOUR, values, counts.clone()));
        // Windows 1..4 days back: 11 (72), 9 (48), 1000 (24), 10 (0) → median (10 + 11)/2.
        assert_eq!(verdict.baseline, Some(10.5));
        assert_eq!(verdict.status, Status::Breached, "{}", verdict.explanation);
        assert!(
            verdict
                .explanation
                .ends_with("vs 10.5 the median of the last 4 x 1d: 3.81x"),
            "{}",
            verdict.explanation
        );
        // A series that does not reach back 4 days cannot be judged.
        let short: Vec<u64> = counts[30..].to_vec();
        let values = short.iter().map(|c| Some(*c as f64)).collect();
        assert_eq!(
            judge(&rule, &series(HOUR, values, short)).status,
            Status::NoData
        );
    }
}
