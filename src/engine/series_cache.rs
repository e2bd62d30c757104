//! Series kept between evaluations, so that a rule evaluated every few minutes over a long
//! look-back asks the cluster only for its newest buckets: a day of 5-minute buckets is
//! 288 per host, of which one is new each cycle. The newest [`REFETCH_BUCKETS`] known
//! buckets are asked again (late documents land in them), and everything is read in full
//! again after [`FULL_REFRESH_MS`], when the rule's search changes, when a group appears
//! that the cache has not seen, or after a failed evaluation.
//!
//! The merged series are exactly what a full search would return as long as no document
//! arrives later than `query_delay` plus the re-asked buckets; such a straggler is seen at
//! the next full refresh, as it would be by a full search made after it arrived.
//! Change rules ask only for a few short windows already and are always read in full.

use std::collections::HashMap;

use crate::query::{GroupKey, Series, TimeGrid, empty_bucket_value};
use crate::rules::{Condition, Metric, Rule};

/// Known buckets asked again each cycle, for documents that arrived late.
pub const REFETCH_BUCKETS: i64 = 2;
/// Everything is read again at least this often (milliseconds).
pub const FULL_REFRESH_MS: i64 = 3_600_000;

/// What to ask the source for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// The rule's whole grid.
    Full(TimeGrid),
    /// Only `fetch`, the newest part of `full`; the rest comes from the cache.
    Since { fetch: TimeGrid, full: TimeGrid },
}

impl Fetch {
    /// The grid the search covers.
    pub fn grid(&self) -> TimeGrid {
        match self {
            Fetch::Full(grid) | Fetch::Since { fetch: grid, .. } => *grid,
        }
    }
}

struct Entry {
    /// What the rule searches for, apart from time: a change here invalidates the entry.
    search: String,
    read_in_full_at_ms: i64,
    series: Vec<Series>,
    grid: TimeGrid,
}

/// Series per rule, by rule name.
#[derive(Default)]
pub struct SeriesCache {
    entries: HashMap<String, Entry>,
}

fn search_of(rule: &Rule) -> String {
    format!(
        "{:?}",
        (
            &rule.index,
            &rule.timestamp_field,
            &rule.filter,
            &rule.group_by,
            &rule.metric,
            rule.bucket
        )
    )
}

impl SeriesCache {
    /// What to fetch for `rule` whose grid now is `full`, at `now_ms`.
    pub fn plan(&self, rule: &Rule, full: TimeGrid, now_ms: i64) -> Fetch {
        let Some(entry) = self.entries.get(&rule.name) else {
            return Fetch::Full(full);
        };
        let from = entry.grid.end_ms - REFETCH_BUCKETS * full.bucket_ms;
        // A ratio over its own denominator counts that denominator, not the group's
        // documents, so whether a full search would list the group cannot be told.
        let ratio_of_subset = matches!(
            rule.metric,
            Metric::Ratio {
                denominator: Some(_),
                ..
            }
        );
        let usable = !matches!(rule.condition, Condition::Change(_))
            && !ratio_of_subset
            && entry.search == search_of(rule)
            && entry.grid.bucket_ms == full.bucket_ms
            && now_ms - entry.read_in_full_at_ms < FULL_REFRESH_MS
            && entry.grid.start_ms <= full.start_ms
            && entry.grid.end_ms <= full.end_ms
            && from > full.start_ms
            && (from - full.start_ms).rem_euclid(full.bucket_ms) == 0;
        if !usable {
            return Fetch::Full(full);
        }
        Fetch::Since {
            fetch: TimeGrid {
                start_ms: from,
                ..full
            },
            full,
        }
    }

    /// Keeps the series of a full read.
    pub fn store_full(&mut self, rule: &Rule, full: TimeGrid, series: &[Series], now_ms: i64) {
        self.entries.insert(
            rule.name.clone(),
            Entry {
                search: search_of(rule),
                read_in_full_at_ms: now_ms,
                series: series.to_vec(),
                grid: full,
            },
        );
    }

    /// Forgets `rule`'s series (after a failed evaluation, say).
    pub fn forget(&mut self, rule: &Rule) {
        self.entries.remove(&rule.name);
    }

    /// The full series from the cached ones and the newest buckets `fetched` over
    /// `fetch`'s grid; `None` when a full read is needed (a group the cache does not know).
    /// The cached series are moved along their grid in place.
    pub fn merge(
        &mut self,
        rule: &Rule,
        fetch: TimeGrid,
        full: TimeGrid,
        fetched: Vec<Series>,
    ) -> Option<Vec<Series>> {
        let entry = self.entries.get_mut(&rule.name)?;
        let bucket = full.bucket_ms;
        // Buckets the grid moved by, and how many known ones are kept.
        let shift = usize::try_from((full.start_ms - entry.grid.start_ms) / bucket).ok()?;
        let kept = usize::try_from((fetch.start_ms - full.start_ms) / bucket).ok()?;
        if entry.grid.len() < shift + kept || fetch.end_ms != full.end_ms {
            return None;
        }
        let mut fetched: HashMap<GroupKey, Series> =
            fetched.into_iter().map(|s| (s.group.clone(), s)).collect();
        let empty_value = empty_bucket_value(&rule.metric);
        for cached in &mut entry.series {
            cached.values.copy_within(shift..shift + kept, 0);
            cached.counts.copy_within(shift..shift + kept, 0);
            cached.values.resize(full.len(), empty_value);
            cached.counts.resize(full.len(), 0);
            cached.grid = full;
            match fetched.remove(&cached.group) {
                Some(newest) => {
                    cached.values[kept..].copy_from_slice(&newest.values);
                    cached.counts[kept..].copy_from_slice(&newest.counts);
                }
                None => {
                    cached.values[kept..].fill(empty_value);
                    cached.counts[kept..].fill(0);
                }
            }
        }
        entry.grid = full;
        if !fetched.is_empty() {
            return None;
        }
        // A full search returns only groups with documents in its range.
        entry
            .series
            .retain(|series| series.counts.iter().any(|&c| c > 0));
        Some(entry.series.clone())
    }
}
