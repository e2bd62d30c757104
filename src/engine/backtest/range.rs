//! Reading a rule's series over a whole past range for a backtest: one search while the
//! range fits the cluster's bucket budget (`search.max_buckets`), composite pages when the
//! groups do not fit one, and consecutive time spans only when a single group's buckets
//! alone exceed the budget. The pieces are put back together into one series per group.

use std::collections::BTreeMap;

use super::super::evaluate::{read_pages, search, source_error};
use super::{BacktestError, MOST_CELLS};
use crate::query::{GroupKey, PlanLimits, Series, TimeGrid, plan_range};
use crate::rules::Rule;
use crate::source::Source;

/// Every group's series over a range, and the searches it took.
#[derive(Debug, Clone)]
pub struct RangeRead {
    pub series: Vec<Series>,
    pub searches: usize,
}

/// Reads every bucket of `grid` for every group of `rule`; refused once the groups would
/// hold more than [`MOST_CELLS`] buckets in all.
pub async fn read_range<S: Source>(
    rule: &Rule,
    source: &S,
    grid: TimeGrid,
) -> Result<RangeRead, BacktestError> {
    let limits = source
        .limits()
        .await
        .map_err(|error| source_error(rule, error))?;
    let mut groups: BTreeMap<GroupKey, Series> = BTreeMap::new();
    let mut searches = 0;
    for span in spans(grid, limits) {
        let first_plan = plan_range(rule, span, limits, None);
        let first = search(rule, source, &first_plan).await?;
        let (pieces, taken) = read_pages(rule, source, &first_plan, &first, |after| {
            plan_range(rule, span, limits, Some(after))
        })
        .await?;
        searches += taken;
        for piece in pieces {
            if !groups.contains_key(&piece.group)
                && (groups.len() + 1).saturating_mul(grid.len()) > MOST_CELLS
            {
                return Err(BacktestError::TooMuchData {
                    rule: rule.name.clone(),
                    groups: groups.len(),
                    buckets: grid.len(),
                    most: MOST_CELLS,
                });
            }
            let whole = groups
                .entry(piece.group.clone())
                .or_insert_with(|| Series::empty(piece.group.clone(), grid, &rule.metric));
            place(whole, &piece);
        }
    }
    Ok(RangeRead {
        series: groups.into_values().collect(),
        searches,
    })
}

/// Consecutive parts of `grid` each small enough that one group's histogram (plus its
/// composite bucket) fits the bucket budget; the whole grid when it fits.
fn spans(grid: TimeGrid, limits: PlanLimits) -> Vec<TimeGrid> {
    let most = i64::try_from(limits.max_buckets.saturating_sub(1).max(1)).unwrap_or(i64::MAX);
    let step = most.saturating_mul(grid.bucket_ms);
    let mut spans = Vec::new();
    let mut start = grid.start_ms;
    while start < grid.end_ms {
        let end = start.saturating_add(step).min(grid.end_ms);
        spans.push(TimeGrid {
            start_ms: start,
            end_ms: end,
            bucket_ms: grid.bucket_ms,
        });
        start = end;
    }
    spans
}

/// Copies `piece` (a span of the whole grid) into `whole`.
fn place(whole: &mut Series, piece: &Series) {
    let Some(offset) = whole.grid.index_of(piece.grid.start_ms) else {
        return;
    };
    let end = (offset + piece.values.len()).min(whole.values.len());
    let length = end - offset;
    whole.values[offset..end].copy_from_slice(&piece.values[..length]);
    whole.counts[offset..end].copy_from_slice(&piece.counts[..length]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_within_the_budget_is_one_span() {
        let grid = TimeGrid {
            start_ms: 0,
            end_ms: 8_640 * 300_000,
            bucket_ms: 300_000,
        };
        assert_eq!(spans(grid, PlanLimits::default()), vec![grid]);
    }

    #[test]
    fn a_group_longer_than_the_budget_is_split_in_time() {
        let grid = TimeGrid {
            start_ms: 1_000,
            end_ms: 1_000 + 25 * 60_000,
            bucket_ms: 60_000,
        };
        let parts = spans(grid, PlanLimits { max_buckets: 11 });
        // 10 buckets per span (one bucket of the budget is the group's own).
        assert_eq!(
            parts.iter().map(TimeGrid::len).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        assert_eq!(parts[0].start_ms, grid.start_ms);
        assert_eq!(parts[2].end_ms, grid.end_ms);
        assert!(parts.windows(2).all(|w| w[0].end_ms == w[1].start_ms));
    }
}
