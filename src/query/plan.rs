//! Rule → the search bodies that return every group's series: filters AND a time range →
//! a `composite` aggregation over the group-by fields, paged by `after_key` → a
//! `date_histogram` → the metric. One request per rule while its groups fit in the
//! cluster's bucket budget (`search.max_buckets`), further pages only beyond it.
//!
//! Why `composite` and not `terms`: a `terms` level cannot page, so a fleet larger than its
//! `size` silently loses hosts, and `terms(1000) → 288 buckets` already asks for 288,000
//! buckets, which real clusters refuse (`too_many_buckets_exception`). Composite buckets
//! come sorted by key, as the `terms` levels were ordered, and every group is read exactly
//! once however many there are.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::json::object;
use crate::rules::{Condition, FieldAggregation, Metric, Rule};

/// Most groups one page asks for, however generous the bucket budget.
pub const MAX_GROUPS_PER_PAGE: usize = 1_000;

/// The aggregation names the planner emits and the parser reads.
pub(super) const GROUP_AGG: &str = "group";
pub(super) const SERIES_AGG: &str = "series";
pub(super) const VALUE_AGG: &str = "value";
pub(super) const NUMERATOR_AGG: &str = "numerator";
pub(super) const DENOMINATOR_AGG: &str = "denominator";

/// What the cluster allows one search to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// The cluster's `search.max_buckets`: every bucket of every multi-bucket aggregation
    /// in one response counts.
    pub max_buckets: usize,
}

impl PlanLimits {
    /// `search.max_buckets` of Elasticsearch 7.9 and later and of OpenSearch, less one so
    /// either spelling of the default (65,535 or 65,536) is respected.
    pub const DEFAULT_MAX_BUCKETS: usize = 65_535;
}

impl Default for PlanLimits {
    fn default() -> Self {
        PlanLimits {
            max_buckets: Self::DEFAULT_MAX_BUCKETS,
        }
    }
}

/// The buckets a search covers: `[start_ms, end_ms)` in steps of `bucket_ms`, complete
/// buckets only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeGrid {
    pub start_ms: i64,
    pub end_ms: i64,
    pub bucket_ms: i64,
}

impl TimeGrid {
    pub fn len(&self) -> usize {
        usize::try_from((self.end_ms - self.start_ms) / self.bucket_ms).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bucket index a timestamp falls in, if it is on the grid.
    pub fn index_of(&self, timestamp_ms: i64) -> Option<usize> {
        if timestamp_ms < self.start_ms || timestamp_ms >= self.end_ms {
            return None;
        }
        usize::try_from((timestamp_ms - self.start_ms) / self.bucket_ms).ok()
    }

    pub fn timestamp_of(&self, index: usize) -> i64 {
        self.start_ms + self.bucket_ms * index as i64
    }
}

/// A planned search: where to send it, what to send, and the grid its series land on.
#[derive(Debug, Clone)]
pub struct SearchPlan {
    pub index: String,
    pub body: Value,
    pub grid: TimeGrid,
    /// Groups per page for a grouped rule (`None` when the rule has no `group_by`): a page
    /// that comes back full may have a next one.
    pub page_size: Option<usize>,
}

/// The grid a rule evaluated at `now` looks at: it ends at the last bucket boundary before
/// `now - query_delay` (the still-filling bucket is never judged) and reaches back over the
/// lookback or the farthest comparison window, whichever is longer.
pub fn time_grid(rule: &Rule, now: DateTime<Utc>) -> TimeGrid {
    let bucket_ms = rule.bucket.as_millis_i64().max(1);
    let visible = now.timestamp_millis() - rule.query_delay.as_millis_i64();
    let end_ms = visible.div_euclid(bucket_ms) * bucket_ms;
    let mut span_ms = rule
        .lookback
        .as_millis_i64()
        .max(rule.window.as_millis_i64());
    if let Condition::Change(change) = &rule.condition {
        for baseline in &change.baselines {
            let reach = baseline.reach(rule.window).as_millis_i64() + rule.window.as_millis_i64();
            span_ms = span_ms.max(reach);
        }
    }
    TimeGrid {
        start_ms: end_ms - span_ms,
        end_ms,
        bucket_ms,
    }
}

/// Plans the first (usually the only) search that evaluates `rule` at `now`, within the
/// default bucket budget.
pub fn plan_search(rule: &Rule, now: DateTime<Utc>) -> SearchPlan {
    plan_page(rule, now, PlanLimits::default(), None)
}

/// Plans one page of the search that evaluates `rule` at `now`: the first when `after` is
/// `None`, else the one after the composite key `after` (the previous page's `after_key`).
///
/// A change rule compares a few short windows spread over days; its search asks only for
/// those windows and for non-empty buckets, instead of every bucket in between.
pub fn plan_page(
    rule: &Rule,
    now: DateTime<Utc>,
    limits: PlanLimits,
    after: Option<&Value>,
) -> SearchPlan {
    plan_over(rule, time_grid(rule, now), limits, after)
}

/// Plans one page of the search for `rule` over `grid` — the rule's own grid, or for a
/// rule whose older buckets are already known, only the newest part of it. A change
/// rule's windows are placed back from the grid's end.
pub fn plan_over(
    rule: &Rule,
    grid: TimeGrid,
    limits: PlanLimits,
    after: Option<&Value>,
) -> SearchPlan {
    plan_with(rule, grid, limits, after, Coverage::AsJudged)
}

/// Plans one page of a search for every bucket of `grid`, whatever the condition: a
/// backtest reads a whole range once and judges many instants from it, so a change rule's
/// windows, which move with each instant, cannot be searched for alone.
pub fn plan_range(
    rule: &Rule,
    grid: TimeGrid,
    limits: PlanLimits,
    after: Option<&Value>,
) -> SearchPlan {
    plan_with(rule, grid, limits, after, Coverage::EveryBucket)
}

/// Which buckets of the grid a search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    /// What one evaluation judges: a change rule's windows, else the whole grid.
    AsJudged,
    EveryBucket,
}

fn plan_with(
    rule: &Rule,
    grid: TimeGrid,
    limits: PlanLimits,
    after: Option<&Value>,
    coverage: Coverage,
) -> SearchPlan {
    // Built by moving values in: planned for every rule every cycle, so no deep copies.
    let mut filters = rule.filter.clone();
    let mut histogram = Map::from_iter([
        ("field".to_string(), rule.timestamp_field.as_str().into()),
        (
            "fixed_interval".to_string(),
            rule.bucket.to_es_interval().into(),
        ),
        ("min_doc_count".to_string(), 0.into()),
        // Each bucket also carries its key as a string, unused here: as epoch
        // milliseconds it is about half as long as a date, which every answer repeats
        // per host and bucket.
        ("format".to_string(), "epoch_millis".into()),
    ]);
    let mut buckets_per_group = grid.len();
    match (&rule.condition, coverage) {
        (Condition::Change(_), Coverage::AsJudged) => {
            let windows: Vec<Value> = change_windows(rule, grid.end_ms)
                .into_iter()
                .map(|(start, end)| time_range(rule, start, end))
                .collect();
            let window = rule.window.as_millis_i64();
            // Each window covers window/bucket buckets, plus one where it starts off-grid.
            let per_window = usize::try_from(window / grid.bucket_ms.max(1)).unwrap_or(0) + 1;
            buckets_per_group = buckets_per_group.min(windows.len() * per_window);
            filters.push(object([(
                "bool",
                object([
                    ("should", Value::Array(windows)),
                    ("minimum_should_match", 1.into()),
                ]),
            )]));
            histogram.insert("min_doc_count".to_string(), 1.into());
        }
        _ => {
            filters.push(time_range(rule, grid.start_ms, grid.end_ms));
            let bounds = object([
                ("min", grid.start_ms.into()),
                ("max", (grid.end_ms - grid.bucket_ms).into()),
            ]);
            histogram.insert("extended_bounds".to_string(), bounds);
        }
    }
    let mut series = Map::from_iter([("date_histogram".to_string(), Value::Object(histogram))]);
    if let Some(metric_aggs) = metric_aggregations(&rule.metric) {
        series.insert("aggs".to_string(), metric_aggs);
    }
    let mut aggs = object([(SERIES_AGG, Value::Object(series))]);
    let mut page_size = None;
    if !rule.group_by.is_empty() {
        // The composite bucket itself and its histogram's buckets, per group.
        let size = (limits.max_buckets / (buckets_per_group + 1)).clamp(1, MAX_GROUPS_PER_PAGE);
        aggs = object([(
            GROUP_AGG,
            object([("composite", composite(rule, size, after)), ("aggs", aggs)]),
        )]);
        page_size = Some(size);
    }
    SearchPlan {
        index: rule.index.clone(),
        body: search_body(filters, aggs),
        grid,
        page_size,
    }
}

/// `[start, end)` of the rule's time field, in epoch milliseconds.
pub(super) fn time_range(rule: &Rule, start_ms: i64, end_ms: i64) -> Value {
    let bounds = object([
        ("gte", start_ms.into()),
        ("lt", end_ms.into()),
        ("format", "epoch_millis".into()),
    ]);
    object([("range", object([(rule.timestamp_field.as_str(), bounds)]))])
}

/// A `composite` over the rule's group-by fields, `size` groups a page, after `after`.
pub(super) fn composite(rule: &Rule, size: usize, after: Option<&Value>) -> Value {
    let sources: Vec<Value> = rule
        .group_by
        .iter()
        .map(|field| {
            let terms = object([("terms", object([("field", field.as_str().into())]))]);
            object([(field.as_str(), terms)])
        })
        .collect();
    let mut composite = Map::from_iter([
        ("size".to_string(), size.into()),
        ("sources".to_string(), Value::Array(sources)),
    ]);
    if let Some(after) = after {
        composite.insert("after".to_string(), after.clone());
    }
    Value::Object(composite)
}

/// A body that counts no hits, filters by `filters` and aggregates by `aggs`.
pub(super) fn search_body(filters: Vec<Value>, aggs: Value) -> Value {
    object([
        ("size", 0.into()),
        ("track_total_hits", false.into()),
        (
            "query",
            object([("bool", object([("filter", Value::Array(filters))]))]),
        ),
        ("aggs", aggs),
    ])
}

/// The `[start, end)` windows in epoch milliseconds a change rule compares when judged
/// with its grid ending at `end_ms`: the current window first, then each baseline's; none
/// for other conditions.
pub fn change_windows(rule: &Rule, end_ms: i64) -> Vec<(i64, i64)> {
    let Condition::Change(change) = &rule.condition else {
        return Vec::new();
    };
    let window = rule.window.as_millis_i64();
    let mut windows = vec![(end_ms - window, end_ms)];
    for offset in change.baselines.iter().flat_map(|b| b.offsets(rule.window)) {
        let end = end_ms - offset.as_millis_i64();
        windows.push((end - window, end));
    }
    windows
}

fn metric_aggregations(metric: &Metric) -> Option<Value> {
    Some(match metric {
        Metric::Count => return None,
        Metric::Field { aggregation, field } => {
            let kind = match aggregation {
                FieldAggregation::Avg => "avg",
                FieldAggregation::Min => "min",
                FieldAggregation::Max => "max",
                FieldAggregation::Sum => "sum",
                FieldAggregation::Distinct => "cardinality",
            };
            json!({ VALUE_AGG: { kind: { "field": field } } })
        }
        Metric::Percentile { field, percent } => {
            json!({ VALUE_AGG: { "percentiles": { "field": field, "percents": [percent] } } })
        }
        Metric::Ratio {
            numerator,
            denominator,
        } => {
            let mut aggs = json!({ NUMERATOR_AGG: { "filter": numerator } });
            if let Some(denominator) = denominator {
                aggs[DENOMINATOR_AGG] = json!({ "filter": denominator });
            }
            aggs
        }
    })
}
