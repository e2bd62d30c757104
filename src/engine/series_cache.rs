//! Series kept between evaluations, so that a rule evaluated every few minutes over a long
//! look-back asks the cluster only for its newest buckets: a day of 5-minute buckets is
//! 288 per host, of which one is new each cycle. The newest [`REFETCH_BUCKETS`] known
//! buckets are asked again (late documents land in them).
//!
//! Documents later than that are caught by the count check: at least every
//! [`COUNT_CHECK_MS`] the rule's search also asks how many documents each group has in the
//! buckets not asked again — a few bytes per group — and a count that differs from the
//! cached ones means everything is read in full. Each rule's checks fall at its own point
//! of the hour ([`count_check_due`]), so rules read in full together, as all are when
//! trendwatch starts, do not all check in the same cycle. Everything is also read in full
//! when the rule's search changes, when a group appears that the cache has not seen, or
//! after a failed evaluation.
//!
//! The merged series are exactly what a full search would return as long as no document
//! arrives later than `query_delay` plus the re-asked buckets and leaves the count of
//! documents as it was. A late one is seen at the next count check. A document changed in
//! place is seen when its bucket is read again, which happens at least every
//! [`FULL_REFRESH_MS`]: a grid no longer than that renews itself as it slides (each bucket
//! was last asked for when it was among the newest, less than that before it leaves the
//! grid); a longer one is read in full that often. Change rules ask only for a few short
//! windows already and are always read in full.

use std::collections::HashMap;
use std::sync::Arc;

use crate::query::{Buckets, GroupKey, Series, TimeGrid, empty_bucket_value};
use crate::rules::{Condition, Duration, Metric, Rule};

/// Known buckets asked again each cycle, for documents that arrived late.
pub const REFETCH_BUCKETS: i64 = 2;
/// The older buckets' document counts are checked at least this often (milliseconds).
pub const COUNT_CHECK_MS: i64 = 3_600_000;
/// Every bucket is read again at least this often (milliseconds): by sliding out of a grid
/// no longer than this, else by a full read.
pub const FULL_REFRESH_MS: i64 = 86_400_000;

/// What to ask the source for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// The rule's whole grid.
    Full(TimeGrid),
    /// Only `fetch`, the newest part of `full`; the rest comes from the cache. With
    /// `check`, the count check is due over that older part of `full` (see
    /// [`SeriesCache::counts_agree`]).
    Since {
        fetch: TimeGrid,
        full: TimeGrid,
        check: Option<TimeGrid>,
    },
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
    search: SearchShape,
    read_in_full_at_ms: i64,
    /// When the counts were last known to be right: read in full or checked.
    checked_at_ms: i64,
    /// The series, shared with whoever holds the last evaluation's. Their documents are
    /// added up only when counts are checked, once an hour: a running total would make
    /// every cycle read the oldest bucket of every series, a cache miss each, for a sum
    /// needed once in twelve cycles.
    series: Vec<Arc<Series>>,
    grid: TimeGrid,
}

/// Series per rule, by rule name.
#[derive(Default)]
pub struct SeriesCache {
    entries: HashMap<String, Entry>,
}

/// What a rule searches for, apart from time: when it changes, the cached series are
/// no longer what a full search would return.
struct SearchShape {
    index: String,
    timestamp_field: String,
    filter: Vec<serde_json::Value>,
    group_by: Vec<String>,
    metric: Metric,
    bucket: Duration,
}

impl SearchShape {
    fn of(rule: &Rule) -> Self {
        SearchShape {
            index: rule.index.clone(),
            timestamp_field: rule.timestamp_field.clone(),
            filter: rule.filter.clone(),
            group_by: rule.group_by.clone(),
            metric: rule.metric.clone(),
            bucket: rule.bucket,
        }
    }

    fn matches(&self, rule: &Rule) -> bool {
        self.index == rule.index
            && self.timestamp_field == rule.timestamp_field
            && self.filter == rule.filter
            && self.group_by == rule.group_by
            && self.metric == rule.metric
            && self.bucket == rule.bucket
    }
}

impl SeriesCache {
    /// What to fetch for `rule` whose grid now is `full`, at `now_ms`.
    pub fn plan(&self, rule: &Rule, full: TimeGrid, now_ms: i64) -> Fetch {
        let Some(entry) = self.entries.get(&rule.name) else {
            return Fetch::Full(full);
        };
        let from = entry.grid.end_ms - REFETCH_BUCKETS * full.bucket_ms;
        let usable = reads_incrementally(rule)
            && entry.search.matches(rule)
            && entry.grid.bucket_ms == full.bucket_ms
            && !full_read_due(entry.read_in_full_at_ms, full, now_ms)
            && entry.grid.start_ms <= full.start_ms
            && entry.grid.end_ms <= full.end_ms
            && from > full.start_ms
            && (from - full.start_ms).rem_euclid(full.bucket_ms) == 0;
        if !usable {
            return Fetch::Full(full);
        }
        let check = TimeGrid {
            end_ms: from,
            ..full
        };
        Fetch::Since {
            fetch: TimeGrid {
                start_ms: from,
                ..full
            },
            full,
            check: count_check_due(&rule.name, entry.checked_at_ms, now_ms).then_some(check),
        }
    }

    /// Whether the documents per group over `check` (a count check's answer, every page)
    /// are what the cached series of `rule` count there: every counted group cached with
    /// that count, and no cached group with documents there left uncounted. A count check
    /// lists only groups with documents.
    pub fn counts_agree(&self, rule: &Rule, check: TimeGrid, counted: &[(GroupKey, u64)]) -> bool {
        let Some(entry) = self.entries.get(&rule.name) else {
            return false;
        };
        let (Some(first), Some(last)) = (
            entry.grid.index_of(check.start_ms),
            entry.grid.index_of(check.end_ms - check.bucket_ms),
        ) else {
            return false;
        };
        let in_check = |cached: &Series| {
            let counts = cached.counts.get(first..=last)?;
            Some(counts.iter().sum::<u64>())
        };
        // Both lists come in the source's group order, as fetched series do.
        let mut counted = Matcher::new(counted.iter().collect());
        for cached in &entry.series {
            let Some(documents) = in_check(cached) else {
                return false;
            };
            // A count check lists only groups with documents there.
            let agrees = match counted.take(&cached.group) {
                Some(&(_, count)) => count > 0 && count == documents,
                None => documents == 0,
            };
            if !agrees {
                return false;
            }
        }
        counted.all_taken()
    }

    /// Notes that `rule`'s counts were checked and agreed at `now_ms`.
    pub fn checked(&mut self, rule: &Rule, now_ms: i64) {
        if let Some(entry) = self.entries.get_mut(&rule.name) {
            entry.checked_at_ms = now_ms;
        }
    }

    /// Keeps the series of a full read, and hands them out shared with the cache.
    ///
    /// Each gets room for the values it appends between reclaims of its dropped ones, so
    /// sliding never reallocates it. A rule that is always read in full keeps nothing.
    pub fn store_full(
        &mut self,
        rule: &Rule,
        full: TimeGrid,
        series: Vec<Series>,
        now_ms: i64,
    ) -> Vec<Arc<Series>> {
        if !reads_incrementally(rule) {
            self.entries.remove(&rule.name);
            return series.into_iter().map(Arc::new).collect();
        }
        // Dropped values are reclaimed after at most `RECLAIM_AFTER` of them; appending
        // never needs more room than that and one cycle's fetch.
        let room = (Buckets::<f64>::RECLAIM_AFTER
            + usize::try_from(REFETCH_BUCKETS + 1).unwrap_or(0))
        .min(full.len());
        let cached: Vec<Arc<Series>> = series
            .into_iter()
            .map(|mut series| {
                series.values.reserve(room);
                series.counts.reserve(room);
                Arc::new(series)
            })
            .collect();
        let series = cached.clone();
        self.entries.insert(
            rule.name.clone(),
            Entry {
                search: SearchShape::of(rule),
                read_in_full_at_ms: now_ms,
                checked_at_ms: now_ms,
                series: cached,
                grid: full,
            },
        );
        series
    }

    /// Forgets `rule`'s series (after a failed evaluation, say).
    pub fn forget(&mut self, rule: &Rule) {
        self.entries.remove(&rule.name);
    }

    /// The full series from the cached ones and the newest buckets `fetched` over
    /// `fetch`'s grid; `None` when a full read is needed (a group the cache does not know).
    ///
    /// The cached series slide along their grid in place: the oldest buckets are dropped
    /// and the fetched ones appended, so a cycle touches only the new buckets. The series
    /// handed out are shared with the cache; one still held from the previous cycle is
    /// copied before it changes.
    pub fn merge(
        &mut self,
        rule: &Rule,
        fetch: TimeGrid,
        full: TimeGrid,
        fetched: Vec<Series>,
    ) -> Option<Vec<Arc<Series>>> {
        let entry = self.entries.get_mut(&rule.name)?;
        let bucket = full.bucket_ms;
        // Buckets the grid moved by, and how many known ones are kept.
        let shift = usize::try_from((full.start_ms - entry.grid.start_ms) / bucket).ok()?;
        let kept = usize::try_from((fetch.start_ms - full.start_ms) / bucket).ok()?;
        if entry.grid.len() < shift + kept
            || fetch.end_ms != full.end_ms
            || fetched.iter().any(|s| s.values.len() != fetch.len())
        {
            return None;
        }
        let mut fetched = Matcher::new(fetched);
        let empty_value = empty_bucket_value(&rule.metric);
        for cached in &mut entry.series {
            let series = Arc::make_mut(cached);
            series.values.drop_oldest(shift);
            series.counts.drop_oldest(shift);
            series.values.truncate(kept);
            series.counts.truncate(kept);
            series.grid = full;
            match fetched.take(&series.group) {
                Some(newest) => {
                    series.values.extend_from_slice(&newest.values);
                    series.counts.extend_from_slice(&newest.counts);
                }
                None => {
                    series.values.resize(full.len(), empty_value);
                    series.counts.resize(full.len(), 0);
                }
            }
        }
        entry.grid = full;
        if !fetched.all_taken() {
            return None;
        }
        // A full search returns only groups with documents in its range. The newest
        // bucket usually has some, so this looks at one or two buckets per group.
        entry
            .series
            .retain(|cached| cached.counts.iter().rev().any(|&c| c > 0));
        Some(entry.series.clone())
    }
}

/// Whether the count check of the rule named `rule_name` is due at `now_ms`, its counts
/// last known right at `checked_at_ms` (read in full or checked). Time is cut into
/// [`COUNT_CHECK_MS`]-long slots, offset by a point of the hour fixed by the rule's name,
/// and the check is due once the slot has changed: checks are never further apart than
/// that, and the checks of many rules fall evenly over the cycles of the hour instead of
/// all in one (which made that cycle half again as long, and the cluster answer a count
/// search for every rule at once).
pub fn count_check_due(rule_name: &str, checked_at_ms: i64, now_ms: i64) -> bool {
    now_ms >= next_count_check_ms(rule_name, checked_at_ms)
}

/// The first instant the count check of the rule named `rule_name` is due after its
/// counts were known right at `checked_at_ms`: the start of the next slot, at most
/// [`COUNT_CHECK_MS`] later.
pub fn next_count_check_ms(rule_name: &str, checked_at_ms: i64) -> i64 {
    let phase = count_check_phase_ms(rule_name);
    ((checked_at_ms + phase).div_euclid(COUNT_CHECK_MS) + 1) * COUNT_CHECK_MS - phase
}

/// The rule's point in the count-check hour: FNV-1a of its name (stable across runs and
/// builds), modulo the hour.
fn count_check_phase_ms(rule_name: &str) -> i64 {
    let hash = rule_name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    let hour = COUNT_CHECK_MS.unsigned_abs();
    i64::try_from(hash % hour).unwrap_or(0)
}

/// Whether a grid like `full`, last read in full at `read_in_full_at_ms`, holds a bucket
/// not read for [`FULL_REFRESH_MS`]. A grid no longer than that never does: each of its
/// buckets was asked for while among the newest, and leaves the grid within that time.
/// (So a one-day look-back is never read in full just for its age; reading it would
/// aggregate the whole day on the cluster and bound staleness no better.)
fn full_read_due(read_in_full_at_ms: i64, full: TimeGrid, now_ms: i64) -> bool {
    full.end_ms - full.start_ms > FULL_REFRESH_MS && now_ms - read_in_full_at_ms >= FULL_REFRESH_MS
}

/// Whether `rule` can be read a few new buckets at a time. A change rule asks only for a
/// few short windows already; a ratio over its own denominator counts that denominator,
/// not the group's documents, so whether a full search would list a group cannot be told.
fn reads_incrementally(rule: &Rule) -> bool {
    let ratio_of_subset = matches!(
        rule.metric,
        Metric::Ratio {
            denominator: Some(_),
            ..
        }
    );
    !matches!(rule.condition, Condition::Change(_)) && !ratio_of_subset
}

/// Something fetched for one group: a series, or a count check's count.
trait OfGroup {
    fn group(&self) -> &GroupKey;
}

impl OfGroup for Series {
    fn group(&self) -> &GroupKey {
        &self.group
    }
}

impl OfGroup for &(GroupKey, u64) {
    fn group(&self) -> &GroupKey {
        &self.0
    }
}

/// Finds what was fetched for each cached group. Both lists come in the source's group
/// order, so each is usually the next one; a lookup table is built only when they part.
struct Matcher<T> {
    fetched: Vec<Option<T>>,
    next: usize,
    left: usize,
    by_group: Option<HashMap<GroupKey, usize>>,
}

impl<T: OfGroup> Matcher<T> {
    fn new(fetched: Vec<T>) -> Self {
        Matcher {
            left: fetched.len(),
            fetched: fetched.into_iter().map(Some).collect(),
            next: 0,
            by_group: None,
        }
    }

    /// What was fetched for `group`, if anything.
    fn take(&mut self, group: &GroupKey) -> Option<T> {
        let next_matches = self
            .fetched
            .get(self.next)
            .and_then(Option::as_ref)
            .is_some_and(|item| item.group() == group);
        let index = if next_matches {
            self.next
        } else {
            let fetched = &self.fetched;
            *self
                .by_group
                .get_or_insert_with(|| {
                    fetched
                        .iter()
                        .enumerate()
                        .filter_map(|(i, item)| item.as_ref().map(|item| (item.group().clone(), i)))
                        .collect()
                })
                .get(group)?
        };
        let item = self.fetched.get_mut(index)?.take()?;
        self.next = index + 1;
        self.left -= 1;
        Some(item)
    }

    /// Whether everything fetched went to a cached group.
    fn all_taken(&self) -> bool {
        self.left == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_one;

    const MINUTE: i64 = 60_000;

    fn rule() -> Rule {
        parse_one(
            "name: t\nindex: i\nnotify: [n]\ngroup_by: host\nmetric: avg(free)\nbucket: 1m\nevery: 1m\nlookback: 4m\ncondition: { threshold: { below: 1 } }\n",
        )
    }

    fn grid(start_minute: i64, buckets: i64) -> TimeGrid {
        TimeGrid {
            start_ms: start_minute * MINUTE,
            end_ms: (start_minute + buckets) * MINUTE,
            bucket_ms: MINUTE,
        }
    }

    fn series(host: &str, grid: TimeGrid, first: i64) -> Series {
        let values: Vec<Option<f64>> = (0..grid.len() as i64)
            .map(|i| Some((first + i) as f64))
            .collect();
        Series {
            group: GroupKey(vec![("host".to_string(), host.to_string())]),
            grid,
            counts: vec![1; values.len()].into(),
            values: values.into(),
        }
    }

    /// Cycle after cycle the merged series equal a full read of the same grid, also while
    /// the previous cycle's series are still held (which must not change under them), and
    /// with the fetched groups in another order than the cached ones.
    #[test]
    fn merged_series_equal_full_reads_and_held_ones_stay_as_they_were() {
        let rule = rule();
        let mut cache = SeriesCache::default();
        let first = grid(0, 4);
        let held = cache.store_full(
            &rule,
            first,
            vec![series("a", first, 0), series("b", first, 100)],
            0,
        );
        let mut still_held: Option<(Vec<Arc<Series>>, Vec<Series>)> = None;
        for cycle in 1..40 {
            let full = grid(cycle, 4);
            let Fetch::Since { fetch, full, .. } = cache.plan(&rule, full, cycle * MINUTE) else {
                panic!("cycle {cycle} should read incrementally");
            };
            assert_eq!(fetch.len() as i64, REFETCH_BUCKETS + 1);
            let offset = (fetch.start_ms - full.start_ms) / MINUTE;
            let fetched = vec![
                series("b", fetch, 100 + cycle + offset),
                series("a", fetch, cycle + offset),
            ];
            let merged = cache.merge(&rule, fetch, full, fetched).expect("merged");
            let expected = [series("a", full, cycle), series("b", full, 100 + cycle)];
            assert_eq!(merged.len(), 2);
            for (got, want) in merged.iter().zip(&expected) {
                assert_eq!(**got, *want, "cycle {cycle}");
            }
            // Every other cycle's result is still held while the next one merges.
            if let Some((held, as_it_was)) = still_held.take() {
                let now: Vec<Series> = held.iter().map(|s| Series::clone(s)).collect();
                assert_eq!(now, as_it_was, "a held result changed at cycle {cycle}");
            }
            if cycle % 2 == 0 {
                let snapshot = merged.iter().map(|s| Series::clone(s)).collect();
                still_held = Some((merged, snapshot));
            }
        }
        assert_eq!(
            *held[0],
            series("a", first, 0),
            "the first read is untouched"
        );
    }

    /// A group the cache has not seen needs a full read; so does a changed search, and a
    /// change rule always.
    #[test]
    fn new_groups_and_changed_searches_need_a_full_read() {
        let rule = rule();
        let mut cache = SeriesCache::default();
        let first = grid(0, 4);
        cache.store_full(&rule, first, vec![series("a", first, 0)], 0);
        let Fetch::Since { fetch, full, .. } = cache.plan(&rule, grid(1, 4), MINUTE) else {
            panic!("should read incrementally");
        };
        let fetched = vec![series("a", fetch, 3), series("new", fetch, 0)];
        assert_eq!(cache.merge(&rule, fetch, full, fetched), None);

        cache.store_full(&rule, first, vec![series("a", first, 0)], 0);
        let changed = Rule {
            index: "other-*".to_string(),
            ..rule.clone()
        };
        assert_eq!(
            cache.plan(&changed, grid(1, 4), MINUTE),
            Fetch::Full(grid(1, 4))
        );
        // A grid longer than a day is read in full daily; a shorter one renews itself.
        let day_minutes = FULL_REFRESH_MS / MINUTE;
        let long = grid(0, day_minutes + 1);
        cache.store_full(&rule, long, vec![series("a", long, 0)], 0);
        let a_day_later = grid(1, day_minutes + 1);
        assert_eq!(
            cache.plan(&rule, a_day_later, FULL_REFRESH_MS),
            Fetch::Full(a_day_later),
            "read in full at least daily"
        );
        assert!(
            matches!(
                cache.plan(&rule, a_day_later, FULL_REFRESH_MS - 1),
                Fetch::Since { .. }
            ),
            "not before a day has passed"
        );
        let day = grid(0, day_minutes);
        cache.store_full(&rule, day, vec![series("a", day, 0)], 0);
        assert!(
            matches!(
                cache.plan(&rule, grid(1, day_minutes), 2 * FULL_REFRESH_MS),
                Fetch::Since { .. }
            ),
            "a grid of a day has turned over by itself"
        );

        // A change rule is always read in full, so none of its series are kept.
        let change = parse_one(
            "name: c\nindex: i\nnotify: [n]\nmetric: count\nbucket: 1m\nwindow: 1m\ncondition: { change: { compare_to: [1h], increase: 3x } }\n",
        );
        let shared = cache.store_full(&change, first, vec![series("a", first, 0)], 0);
        assert_eq!(*shared[0], series("a", first, 0));
        assert_eq!(
            cache.plan(&change, grid(1, 4), MINUTE),
            Fetch::Full(grid(1, 4))
        );
        assert!(!cache.entries.contains_key("c"));
    }

    /// The count check is due hourly over the buckets not asked again; it agrees only when
    /// every group has the documents the cache counts there.
    #[test]
    fn counts_are_checked_hourly_over_the_buckets_not_asked_again() {
        let rule = rule();
        let mut cache = SeriesCache::default();
        let first = grid(0, 4);
        let mut quiet = series("quiet", first, 0);
        quiet.counts = vec![0; 4].into();
        let stored = vec![series("a", first, 0), series("b", first, 0), quiet];
        cache.store_full(&rule, first, stored, 0);
        let due = next_count_check_ms(&rule.name, 0);
        assert!(due > 0 && due <= COUNT_CHECK_MS);
        let Fetch::Since { check: None, .. } = cache.plan(&rule, grid(1, 4), due - 1) else {
            panic!("no check before it is due");
        };
        let Fetch::Since {
            check: Some(check), ..
        } = cache.plan(&rule, grid(1, 4), due)
        else {
            panic!("the check is due within the hour");
        };
        // Minute 1 of the old grid: minutes 2 and 3 are asked again, 4 is new.
        assert_eq!(check, grid(1, 1));
        let key = |host: &str| GroupKey(vec![("host".to_string(), host.to_string())]);
        let agreeing = [(key("b"), 1), (key("a"), 1)];
        assert!(cache.counts_agree(&rule, check, &agreeing));
        for differing in [
            vec![(key("a"), 1), (key("b"), 2)],
            vec![(key("a"), 1)],
            vec![(key("a"), 1), (key("b"), 1), (key("quiet"), 1)],
            vec![(key("a"), 1), (key("b"), 1), (key("unknown"), 1)],
        ] {
            assert!(
                !cache.counts_agree(&rule, check, &differing),
                "{differing:?}"
            );
        }
        cache.checked(&rule, due);
        let Fetch::Since { check: None, .. } =
            cache.plan(&rule, grid(1, 4), due + COUNT_CHECK_MS - 1)
        else {
            panic!("checked: not due again for an hour");
        };
        let Fetch::Since { check: Some(_), .. } =
            cache.plan(&rule, grid(1, 4), due + COUNT_CHECK_MS)
        else {
            panic!("due again an hour later");
        };
    }

    /// Checks are never more than an hour apart, and the checks of many rules read in full
    /// at the same instant spread over the hour's twelve 5-minute cycles.
    #[test]
    fn count_checks_spread_over_the_hour() {
        for checked_at in [0, 1, 59 * MINUTE, COUNT_CHECK_MS, 1_795_000_000_123] {
            for name in ["t", "api-memory-leak", "disk-filling-up", ""] {
                let next = next_count_check_ms(name, checked_at);
                assert!(next > checked_at && next <= checked_at + COUNT_CHECK_MS);
                assert!(!count_check_due(name, checked_at, next - 1), "{name}");
                assert!(count_check_due(name, checked_at, next), "{name}");
            }
        }
        let mut per_cycle = [0; 12];
        for i in 0..1200 {
            let first = next_count_check_ms(&format!("memory-trend-{i}"), 0);
            per_cycle[usize::try_from((first - 1) / (5 * MINUTE)).unwrap()] += 1;
        }
        assert!(
            per_cycle.iter().all(|&n| (60..=140).contains(&n)),
            "{per_cycle:?}"
        );
    }
}
