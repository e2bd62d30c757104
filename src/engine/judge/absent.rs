//! Absent: a group that reported within the lookback but has no data in the window.

use crate::analysis::{Status, Verdict};
use crate::query::Series;
use crate::rules::Rule;

pub(super) fn judge_absent(rule: &Rule, series: &Series, window: usize) -> Verdict {
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
    use super::super::fixtures::{rule, series};
    use super::super::judge;
    use crate::analysis::Status;

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
