//! Search answer → one `Series` per group, on the plan's regular time grid: buckets with
//! no data are `None` (counts are 0, never missing), and every shape error names the JSON
//! path where the answer differed from what was asked for.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::answer::{Aggregations, Answer, Histogram, Response, TimeBucket};
use super::buckets::Buckets;
use super::plan::{
    DENOMINATOR_AGG, GROUP_AGG, NUMERATOR_AGG, SERIES_AGG, SearchPlan, TimeGrid, VALUE_AGG,
};
use super::scan_page;
use crate::rules::Metric;

/// The values of the group-by fields that identify one series, in `group_by` order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GroupKey(pub Vec<(String, String)>);

impl GroupKey {
    /// Labels as a map, for templates and alert identity.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

impl std::fmt::Display for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(all)");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(field, value)| format!("{field}={value}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// The group as people say it: `api-3`, `web-2 /var`, or `all` for an ungrouped rule.
pub fn group_name(group: &[(String, String)]) -> String {
    if group.is_empty() {
        return "all".to_string();
    }
    group
        .iter()
        .map(|(_, value)| value.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One group's values per bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub group: GroupKey,
    pub grid: TimeGrid,
    /// The metric per bucket; `None` where a bucket had no data (never for counts).
    pub values: Buckets<Option<f64>>,
    /// Documents behind each value (the denominator for ratios), for volume floors.
    pub counts: Buckets<u64>,
}

impl Series {
    /// A series over `grid` in which no bucket has documents, as a search finding none
    /// reads it.
    pub fn empty(group: GroupKey, grid: TimeGrid, metric: &Metric) -> Series {
        Series {
            group,
            grid,
            values: vec![empty_bucket_value(metric); grid.len()].into(),
            counts: vec![0; grid.len()].into(),
        }
    }
}

/// The value of a bucket without documents: 0 for a count, none for any other metric.
pub fn empty_bucket_value(metric: &Metric) -> Option<f64> {
    metric.is_count().then_some(0.0)
}

/// The response did not have the shape the planned search asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("unexpected search response at `{path}`: {reason}")]
    Malformed { path: String, reason: String },
    #[error(
        "the search answered with partial results ({reason}); refusing to judge incomplete data"
    )]
    Partial { reason: String },
    #[error("unexpected search response at `{path}`: expected {expected}, found {found}")]
    Shape {
        path: String,
        expected: &'static str,
        found: String,
    },
}

/// One page of a rule's groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub series: Vec<Series>,
    /// The composite key to ask for the next page after, when this page came back full.
    pub next: Option<Value>,
}

/// Reads one page of series out of an answer to `plan_page`, with where the next page
/// starts.
pub fn page_from_response(
    answer: &Answer,
    metric: &Metric,
    group_by: &[String],
    plan: &SearchPlan,
) -> Result<Page, ResponseError> {
    let reader = Reader {
        metric,
        grid: plan.grid,
    };
    // Bytes of the expected shape are scanned straight into series; anything else is read
    // again by the typed reader below, which says exactly what was wrong where.
    if let Answer::Bytes(bytes) = answer
        && let Some(page) = scan_page::read_page(bytes, &reader, group_by, plan)
    {
        return Ok(page);
    }
    let aggregations: Aggregations = complete_aggregations(answer)?;
    if group_by.is_empty() {
        let path = || format!("aggregations.{SERIES_AGG}");
        let histogram = aggregations.series.ok_or_else(|| missing(&path()))?;
        return Ok(Page {
            series: vec![reader.series(&histogram, &path, GroupKey::default())?],
            next: None,
        });
    }
    let group_path = format!("aggregations.{GROUP_AGG}");
    let composite = aggregations.group.ok_or_else(|| missing(&group_path))?;
    let mut series = Vec::with_capacity(composite.buckets.len());
    // Paths are spelled out only for an error: a good answer reads without formatting.
    for (index, bucket) in composite.buckets.iter().enumerate() {
        let bucket_path = || format!("{group_path}.buckets[{index}]");
        let key = group_key(&bucket.key, group_by, &bucket_path)?;
        let series_path = || format!("{}.{SERIES_AGG}", bucket_path());
        series.push(reader.series(&bucket.series, &series_path, key)?);
    }
    let next = next_page(plan, series.len(), composite.after_key)?;
    Ok(Page { series, next })
}

/// Where the next page starts: after the `after_key` of a full page; none after a page
/// that is not full.
pub(super) fn next_page(
    plan: &SearchPlan,
    groups: usize,
    after_key: Option<Value>,
) -> Result<Option<Value>, ResponseError> {
    let full = plan.page_size.is_some_and(|size| groups >= size);
    match after_key {
        Some(after) if full => Ok(Some(after)),
        None if full => Err(ResponseError::Shape {
            path: format!("aggregations.{GROUP_AGG}.after_key"),
            expected: "the key of the last group of a full page",
            found: "nothing".to_string(),
        }),
        _ => Ok(None),
    }
}

/// A composite bucket's key `{field: value, …}` as the group's key, in `group_by` order.
pub(super) fn group_key(
    key: &BTreeMap<String, Value>,
    group_by: &[String],
    path: &dyn Fn() -> String,
) -> Result<GroupKey, ResponseError> {
    let mut labels = Vec::with_capacity(group_by.len());
    for field_name in group_by {
        let value_path = || format!("{}.key.{field_name}", path());
        let value = match key.get(field_name) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            Some(Value::Bool(flag)) => flag.to_string(),
            Some(other) => return Err(shape(&value_path(), "a string or number", other)),
            None => return Err(missing(&value_path())),
        };
        labels.push((field_name.clone(), value));
    }
    Ok(GroupKey(labels))
}

/// The aggregations of a complete answer, read as `A`; an error for a partial answer or one
/// without aggregations.
pub(super) fn complete_aggregations<A: for<'de> Deserialize<'de>>(
    answer: &Answer,
) -> Result<A, ResponseError> {
    let response: Response<A> = answer
        .read()
        .map_err(|(path, reason)| ResponseError::Malformed { path, reason })?;
    reject_partial(&response)?;
    response.aggregations.ok_or_else(|| missing("aggregations"))
}

fn reject_partial<A>(response: &Response<A>) -> Result<(), ResponseError> {
    if response.timed_out {
        return Err(ResponseError::Partial {
            reason: "the search timed out".to_string(),
        });
    }
    let Some(shards) = response.shards.as_ref().filter(|s| s.failed > 0) else {
        return Ok(());
    };
    let first = shards
        .failures
        .first()
        .and_then(|failure| failure.reason.as_ref())
        .and_then(|cause| cause.reason.clone().or_else(|| cause.kind.clone()));
    let reason = match first {
        Some(reason) => format!("{} shard(s) failed: {reason}", shards.failed),
        None => format!("{} shard(s) failed", shards.failed),
    };
    Err(ResponseError::Partial { reason })
}

/// Turns time buckets into a group's series on the plan's grid.
pub(super) struct Reader<'a> {
    pub metric: &'a Metric,
    pub grid: TimeGrid,
}

impl Reader<'_> {
    fn series(
        &self,
        histogram: &Histogram,
        path: &dyn Fn() -> String,
        group: GroupKey,
    ) -> Result<Series, ResponseError> {
        let mut series = Series::empty(group, self.grid, self.metric);
        for (index, bucket) in histogram.buckets.iter().enumerate() {
            self.place(&mut series, bucket, path, index)?;
        }
        Ok(series)
    }

    /// Puts the `index`-th bucket of the histogram at `path` into its slot of `series`
    /// (a bucket off the grid is left out).
    pub(super) fn place(
        &self,
        series: &mut Series,
        bucket: &TimeBucket,
        path: &dyn Fn() -> String,
        index: usize,
    ) -> Result<(), ResponseError> {
        let Some(slot) = self.grid.index_of(bucket.key.0) else {
            return Ok(());
        };
        let (value, volume) = self.bucket_value(bucket, path, index)?;
        series.values[slot] = value;
        series.counts[slot] = volume;
        Ok(())
    }

    fn bucket_value(
        &self,
        bucket: &TimeBucket,
        path: &dyn Fn() -> String,
        index: usize,
    ) -> Result<(Option<f64>, u64), ResponseError> {
        let at = |name: &str| format!("{}.buckets[{index}].{name}", path());
        let doc_count = bucket.doc_count;
        Ok(match self.metric {
            Metric::Count => (Some(doc_count as f64), doc_count),
            Metric::Field { .. } => {
                let value = bucket
                    .value
                    .as_ref()
                    .ok_or_else(|| missing(&at(VALUE_AGG)))?;
                (value.value.filter(|v| v.is_finite()), doc_count)
            }
            Metric::Percentile { .. } => {
                let value = bucket
                    .value
                    .as_ref()
                    .ok_or_else(|| missing(&at(VALUE_AGG)))?;
                let values = value
                    .values
                    .as_ref()
                    .ok_or_else(|| missing(&at(&format!("{VALUE_AGG}.values"))))?;
                let first = values.values().next().copied().flatten();
                (first.filter(|v| v.is_finite()), doc_count)
            }
            Metric::Ratio { denominator, .. } => {
                let numerator = bucket
                    .numerator
                    .as_ref()
                    .ok_or_else(|| missing(&at(NUMERATOR_AGG)))?
                    .doc_count;
                let total = match denominator {
                    None => doc_count,
                    Some(_) => {
                        bucket
                            .denominator
                            .as_ref()
                            .ok_or_else(|| missing(&at(DENOMINATOR_AGG)))?
                            .doc_count
                    }
                };
                let ratio = (total > 0).then(|| numerator as f64 / total as f64);
                (ratio, total)
            }
        })
    }
}

pub(super) fn missing(path: &str) -> ResponseError {
    ResponseError::Shape {
        path: path.to_string(),
        expected: "the aggregation the search asked for",
        found: "nothing".to_string(),
    }
}

fn shape(path: &str, expected: &'static str, found: &Value) -> ResponseError {
    let mut found = found.to_string();
    if found.len() > 80 {
        found.truncate(77);
        found.push_str("...");
    }
    ResponseError::Shape {
        path: path.to_string(),
        expected,
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_one;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn plan() -> (crate::rules::Rule, SearchPlan) {
        let rule = parse_one(
            "name: r\nindex: m\ngroup_by: host.name\nmetric: avg(free)\nbucket: 1m\nevery: 1m\nlookback: 3m\ncondition: { threshold: { below: 1 } }\nnotify: [ops]\n",
        );
        let now: DateTime<Utc> = "2026-11-20T10:03:30Z".parse().unwrap();
        let plan = super::super::plan_search(&rule, now);
        (rule, plan)
    }

    /// The same answer read from bytes and from a JSON tree gives the same series; an
    /// answer of the wrong shape names the path where it went wrong.
    #[test]
    fn bytes_and_trees_read_alike_and_errors_name_the_path() {
        let (rule, plan) = plan();
        let start = plan.grid.start_ms;
        let answer = json!({ "timed_out": false, "_shards": { "total": 1, "successful": 1, "failed": 0 }, "aggregations": { "group": { "after_key": { "host.name": "a" }, "buckets": [
            { "key": { "host.name": "a" }, "doc_count": 2, "series": { "buckets": [
                { "key_as_string": "x", "key": start, "doc_count": 1, "value": { "value": 5.0 } },
                { "key": (start + 60_000) as f64, "doc_count": 0, "value": { "value": null } },
                { "key": start + 120_000, "doc_count": 1, "value": { "value": 7.5 } }
            ] } }
        ] } } });
        let from_bytes = page_from_response(
            &Answer::Bytes(answer.to_string().into_bytes()),
            &rule.metric,
            &rule.group_by,
            &plan,
        )
        .unwrap();
        let from_tree = page_from_response(
            &Answer::Json(answer.clone()),
            &rule.metric,
            &rule.group_by,
            &plan,
        )
        .unwrap();
        assert_eq!(from_bytes, from_tree);
        assert_eq!(from_bytes.series[0].values, [Some(5.0), None, Some(7.5)]);
        assert_eq!(from_bytes.next, None, "a page that is not full is the last");

        let mut broken = answer;
        broken["aggregations"]["group"]["buckets"][0]["series"]["buckets"][1]["doc_count"] =
            json!("many");
        let error = page_from_response(
            &Answer::Bytes(broken.to_string().into_bytes()),
            &rule.metric,
            &rule.group_by,
            &plan,
        )
        .unwrap_err();
        let ResponseError::Malformed { path, reason } = error else {
            panic!("{error:?}")
        };
        assert_eq!(
            path,
            "aggregations.group.buckets[0].series.buckets[1].doc_count"
        );
        assert!(
            reason.starts_with("invalid type: string \"many\", expected u64"),
            "{reason}"
        );
    }
}
