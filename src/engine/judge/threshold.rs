//! Threshold: the window reduced to one value, against a bound.

use crate::analysis::window::{Reduce, reduce};
use crate::analysis::{Status, Verdict};
use crate::query::Series;
use crate::rules::{Side, Threshold, Unit, WindowAggregate};

use super::format_value;

pub(super) fn judge_threshold(
    threshold: &Threshold,
    series: &Series,
    window: usize,
    unit: Unit,
) -> Verdict {
    let how = match threshold.of {
        WindowAggregate::Last => Reduce::Last,
        WindowAggregate::Mean => Reduce::Mean,
        WindowAggregate::Min => Reduce::Min,
        WindowAggregate::Max => Reduce::Max,
        WindowAggregate::Median => Reduce::Median,
        WindowAggregate::Sum => Reduce::Sum,
        WindowAggregate::Percentile(p) => Reduce::Percentile(p),
    };
    let Some(value) = reduce(
        &series.values[series.values.len().saturating_sub(window)..],
        how,
    ) else {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{rule, series};
    use super::super::judge;
    use crate::analysis::Status;

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
}
