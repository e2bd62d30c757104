//! Search response → one `Series` per group, on the plan's regular time grid: buckets with
//! no data are `None` (counts are 0, never missing), and every shape error names the JSON
//! path where the answer differed from what was asked for.

use std::collections::BTreeMap;

use serde_json::Value;

use super::plan::{
    DENOMINATOR_AGG, GROUP_AGG, NUMERATOR_AGG, SERIES_AGG, SearchPlan, TimeGrid, VALUE_AGG,
};
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

/// One group's values per bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub group: GroupKey,
    pub grid: TimeGrid,
    /// The metric per bucket; `None` where a bucket had no data (never for counts).
    pub values: Vec<Option<f64>>,
    /// Documents behind each value (the denominator for ratios), for volume floors.
    pub counts: Vec<u64>,
}

/// The response did not have the shape the planned search asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
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

/// Reads every group's series out of a response to `plan_search`, ignoring further pages.
pub fn series_from_response(
    response: &Value,
    metric: &Metric,
    group_by: &[String],
    plan: &SearchPlan,
) -> Result<Vec<Series>, ResponseError> {
    page_from_response(response, metric, group_by, plan).map(|page| page.series)
}

/// Reads one page of series out of a response to `plan_page`, with where the next page
/// starts.
pub fn page_from_response(
    response: &Value,
    metric: &Metric,
    group_by: &[String],
    plan: &SearchPlan,
) -> Result<Page, ResponseError> {
    reject_partial(response)?;
    let aggregations = field(response, "aggregations", "aggregations")?;
    let reader = Reader {
        metric,
        grid: plan.grid,
    };
    if group_by.is_empty() {
        let path = format!("aggregations.{SERIES_AGG}");
        let histogram = field(aggregations, SERIES_AGG, &path)?;
        return Ok(Page {
            series: vec![reader.series(histogram, &path, GroupKey::default())?],
            next: None,
        });
    }
    let group_path = format!("aggregations.{GROUP_AGG}");
    let composite = field(aggregations, GROUP_AGG, &group_path)?;
    let buckets = buckets(composite, &group_path)?;
    let mut series = Vec::with_capacity(buckets.len());
    for (index, bucket) in buckets.iter().enumerate() {
        let bucket_path = format!("{group_path}.buckets[{index}]");
        let key = group_key(field(bucket, "key", &bucket_path)?, group_by, &bucket_path)?;
        let histogram_path = format!("{bucket_path}.{SERIES_AGG}");
        let histogram = field(bucket, SERIES_AGG, &histogram_path)?;
        series.push(reader.series(histogram, &histogram_path, key)?);
    }
    let full = plan.page_size.is_some_and(|size| buckets.len() >= size);
    let next = match composite.get("after_key") {
        Some(after) if full => Some(after.clone()),
        None if full => {
            return Err(ResponseError::Shape {
                path: format!("{group_path}.after_key"),
                expected: "the key of the last group of a full page",
                found: "nothing".to_string(),
            });
        }
        _ => None,
    };
    Ok(Page { series, next })
}

/// A composite bucket's key `{field: value, …}` as the group's key, in `group_by` order.
fn group_key(key: &Value, group_by: &[String], path: &str) -> Result<GroupKey, ResponseError> {
    let mut labels = Vec::with_capacity(group_by.len());
    for field_name in group_by {
        let value_path = format!("{path}.key.{field_name}");
        let value = match field(key, field_name, &value_path)? {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            other => return Err(shape(&value_path, "a string or number", other)),
        };
        labels.push((field_name.clone(), value));
    }
    Ok(GroupKey(labels))
}

fn reject_partial(response: &Value) -> Result<(), ResponseError> {
    if response.get("timed_out").and_then(Value::as_bool) == Some(true) {
        return Err(ResponseError::Partial {
            reason: "the search timed out".to_string(),
        });
    }
    let failed = response
        .pointer("/_shards/failed")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if failed > 0 {
        let reason = response
            .pointer("/_shards/failures/0/reason/reason")
            .and_then(Value::as_str)
            .map_or_else(
                || format!("{failed} shard(s) failed"),
                |r| format!("{failed} shard(s) failed: {r}"),
            );
        return Err(ResponseError::Partial { reason });
    }
    Ok(())
}

struct Reader<'a> {
    metric: &'a Metric,
    grid: TimeGrid,
}

impl Reader<'_> {
    fn series(
        &self,
        histogram: &Value,
        path: &str,
        group: GroupKey,
    ) -> Result<Series, ResponseError> {
        let len = self.grid.len();
        let mut values = vec![None; len];
        let mut counts = vec![0; len];
        if self.metric.is_count() {
            values.fill(Some(0.0));
        }
        for (index, bucket) in buckets(histogram, path)?.iter().enumerate() {
            let bucket_path = format!("{path}.buckets[{index}]");
            let timestamp = field(bucket, "key", &bucket_path)?;
            let timestamp = timestamp
                .as_i64()
                .or_else(|| {
                    timestamp
                        .as_f64()
                        .filter(|t| t.fract() == 0.0)
                        .map(|t| t as i64)
                })
                .ok_or_else(|| {
                    shape(
                        &format!("{bucket_path}.key"),
                        "an epoch-millisecond timestamp",
                        timestamp,
                    )
                })?;
            let Some(slot) = self.grid.index_of(timestamp) else {
                continue;
            };
            let doc_count = count(bucket, &bucket_path)?;
            let (value, volume) = self.bucket_value(bucket, &bucket_path, doc_count)?;
            values[slot] = value;
            counts[slot] = volume;
        }
        Ok(Series {
            group,
            grid: self.grid,
            values,
            counts,
        })
    }

    fn bucket_value(
        &self,
        bucket: &Value,
        path: &str,
        doc_count: u64,
    ) -> Result<(Option<f64>, u64), ResponseError> {
        let value_path = format!("{path}.{VALUE_AGG}");
        Ok(match self.metric {
            Metric::Count => (Some(doc_count as f64), doc_count),
            Metric::Field { .. } => {
                let value = field(bucket, VALUE_AGG, &value_path)?;
                (
                    number_or_null(
                        field(value, "value", &value_path)?,
                        &format!("{value_path}.value"),
                    )?,
                    doc_count,
                )
            }
            Metric::Percentile { .. } => {
                let values = field(
                    field(bucket, VALUE_AGG, &value_path)?,
                    "values",
                    &value_path,
                )?;
                let object = values
                    .as_object()
                    .ok_or_else(|| shape(&format!("{value_path}.values"), "an object", values))?;
                let first = object.values().next().unwrap_or(&Value::Null);
                (
                    number_or_null(first, &format!("{value_path}.values"))?,
                    doc_count,
                )
            }
            Metric::Ratio { denominator, .. } => {
                let numerator = count(
                    field(bucket, NUMERATOR_AGG, &format!("{path}.{NUMERATOR_AGG}"))?,
                    &format!("{path}.{NUMERATOR_AGG}"),
                )?;
                let total = match denominator {
                    None => doc_count,
                    Some(_) => count(
                        field(
                            bucket,
                            DENOMINATOR_AGG,
                            &format!("{path}.{DENOMINATOR_AGG}"),
                        )?,
                        &format!("{path}.{DENOMINATOR_AGG}"),
                    )?,
                };
                let ratio = (total > 0).then(|| numerator as f64 / total as f64);
                (ratio, total)
            }
        })
    }
}

fn field<'v>(node: &'v Value, name: &str, path: &str) -> Result<&'v Value, ResponseError> {
    node.get(name).ok_or_else(|| ResponseError::Shape {
        path: path.to_string(),
        expected: "the aggregation the search asked for",
        found: "nothing".to_string(),
    })
}

fn buckets<'v>(node: &'v Value, path: &str) -> Result<&'v Vec<Value>, ResponseError> {
    let buckets = field(node, "buckets", &format!("{path}.buckets"))?;
    buckets
        .as_array()
        .ok_or_else(|| shape(&format!("{path}.buckets"), "an array of buckets", buckets))
}

fn count(bucket: &Value, path: &str) -> Result<u64, ResponseError> {
    let doc_count = field(bucket, "doc_count", &format!("{path}.doc_count"))?;
    doc_count
        .as_u64()
        .ok_or_else(|| shape(&format!("{path}.doc_count"), "a document count", doc_count))
}

fn number_or_null(value: &Value, path: &str) -> Result<Option<f64>, ResponseError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => Ok(number.as_f64().filter(|v| v.is_finite())),
        other => Err(shape(path, "a number or null", other)),
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
