//! Metric aggregations: `avg`, `min`, `max`, `sum`, `value_count`, `cardinality` and
//! `percentiles` over one bucket's documents.
//!
//! `cardinality` and `percentiles` are exact here. Elasticsearch estimates them
//! (HyperLogLog++ and t-digest), and its estimates are exact too below about 3,000
//! distinct values and for small buckets; beyond that the two may differ slightly.

use std::collections::HashSet;

use serde_json::Value;
use tantivy::DocId;

use super::super::date_math::Zone;
use super::super::error::StoreError;
use super::super::reply::{self, Reply};
use super::{Run, body_object, bool_option, require_field, string_option};

const DEFAULT_PERCENTS: [f64; 7] = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricKind {
    Avg,
    Min,
    Max,
    Sum,
    ValueCount,
    Cardinality,
    Percentiles,
}

/// One metric aggregation.
pub struct Metric {
    kind: MetricKind,
    pub field: String,
    /// Value for documents without the field (`missing`).
    missing: Option<f64>,
    percents: Vec<f64>,
    keyed: bool,
}

impl Metric {
    /// Parses `body` when `kind` is a metric type; `None` when it is not one.
    pub fn parse(kind: &str, body: &Value, path: &str) -> Result<Option<Metric>, StoreError> {
        let kind = match kind {
            "avg" => MetricKind::Avg,
            "min" => MetricKind::Min,
            "max" => MetricKind::Max,
            "sum" => MetricKind::Sum,
            "value_count" => MetricKind::ValueCount,
            "cardinality" => MetricKind::Cardinality,
            "percentiles" => MetricKind::Percentiles,
            _ => return Ok(None),
        };
        let object = body_object(body, path)?;
        let mut metric = Metric {
            kind,
            field: String::new(),
            missing: None,
            percents: DEFAULT_PERCENTS.to_vec(),
            keyed: true,
        };
        for (key, value) in object {
            match (key.as_str(), kind) {
                ("field", _) => {
                    metric.field = string_option(value, "field", path)?;
                }
                ("missing", MetricKind::ValueCount | MetricKind::Cardinality) => {
                    return Err(StoreError::unsupported(path, "[missing] on this metric"));
                }
                ("missing", _) => {
                    metric.missing =
                        Some(value.as_f64().ok_or_else(|| {
                            StoreError::parsing(path, "[missing] must be a number")
                        })?);
                }
                ("precision_threshold", MetricKind::Cardinality) => {}
                ("percents", MetricKind::Percentiles) => metric.percents = percents(value, path)?,
                ("keyed", MetricKind::Percentiles) => {
                    metric.keyed = bool_option(value, "keyed", path)?;
                }
                ("tdigest", MetricKind::Percentiles) => {}
                (other, _) => {
                    return Err(StoreError::unsupported(path, format!("option [{other}]")));
                }
            }
        }
        require_field(&metric.field, path)?;
        Ok(Some(metric))
    }

    pub fn evaluate(&self, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let columns = run.columns.get(&self.field);
        let each_value = |f: &mut dyn FnMut(f64)| {
            for &doc in docs {
                let mut seen = false;
                columns.numbers(doc, |v| {
                    seen = true;
                    f(v)
                });
                if let (false, Some(missing)) = (seen, self.missing) {
                    f(missing);
                }
            }
        };
        let date_string = |value: Option<f64>| {
            value
                .filter(|_| columns.is_date())
                .map(|ms| Reply::String(Zone::UTC.format_ms(ms as i64)))
        };
        Ok(match self.kind {
            MetricKind::Avg => {
                let (mut sum, mut count) = (0.0, 0u64);
                each_value(&mut |v| {
                    sum += v;
                    count += 1;
                });
                Reply::object([(
                    "value",
                    Reply::number((count > 0).then(|| sum / count as f64)),
                )])
            }
            MetricKind::Sum => {
                let mut sum = 0.0;
                each_value(&mut |v| sum += v);
                Reply::object([("value", Reply::F64(sum))])
            }
            MetricKind::Min | MetricKind::Max => {
                let mut best: Option<f64> = None;
                let is_min = self.kind == MetricKind::Min;
                each_value(&mut |v| {
                    best = Some(match best {
                        None => v,
                        Some(b) if is_min => b.min(v),
                        Some(b) => b.max(v),
                    })
                });
                let mut result = vec![("value".into(), Reply::number(best))];
                if let Some(text) = date_string(best) {
                    result.push(("value_as_string".into(), text));
                }
                Reply::Object(result)
            }
            MetricKind::ValueCount => {
                let mut count = 0u64;
                for &doc in docs {
                    columns.keys(doc, |_| count += 1);
                }
                Reply::object([("value", Reply::U64(count))])
            }
            MetricKind::Cardinality => {
                let mut distinct = HashSet::new();
                for &doc in docs {
                    columns.keys(doc, |key| {
                        distinct.insert(key);
                    });
                }
                Reply::object([("value", Reply::U64(distinct.len() as u64))])
            }
            MetricKind::Percentiles => {
                let mut values = Vec::new();
                each_value(&mut |v| values.push(v));
                values.sort_by(f64::total_cmp);
                self.percentiles_json(&values)
            }
        })
    }

    fn percentiles_json(&self, sorted: &[f64]) -> Reply {
        let pairs = self
            .percents
            .iter()
            .map(|&p| (percent_key(p), p, percentile(sorted, p)));
        if self.keyed {
            let mut values = reply::Fields::with_capacity(self.percents.len());
            for (key, _, value) in pairs {
                reply::set_field(&mut values, key.into(), Reply::number(value));
            }
            Reply::object([("values", Reply::Object(values))])
        } else {
            let values: Vec<Reply> = pairs
                .map(|(_, p, v)| {
                    Reply::object([("key", Reply::F64(p)), ("value", Reply::number(v))])
                })
                .collect();
            Reply::object([("values", Reply::Array(values))])
        }
    }
}

/// Elasticsearch's key for a percent: Java's `Double.toString` (`95.0`, `99.9`).
pub fn percent_key(percent: f64) -> String {
    if percent.fract() == 0.0 {
        format!("{percent:.1}")
    } else {
        format!("{percent}")
    }
}

/// The `percent`-th percentile of sorted values, interpolating linearly between the two
/// nearest ranks; `None` for no values.
fn percentile(sorted: &[f64], percent: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = percent / 100.0 * last as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    let (low, high) = (sorted[below.min(last)], sorted[above.min(last)]);
    Some(low + (high - low) * (rank - below as f64))
}

fn percents(value: &Value, path: &str) -> Result<Vec<f64>, StoreError> {
    let list = value
        .as_array()
        .ok_or_else(|| StoreError::parsing(path, "[percents] must be an array of numbers"))?;
    list.iter()
        .map(|p| match p.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
            _ => Err(StoreError::parsing(
                path,
                format!("[percents] must be numbers between 0 and 100, found [{p}]"),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_keys_print_like_java_doubles() {
        assert_eq!(percent_key(95.0), "95.0");
        assert_eq!(percent_key(99.9), "99.9");
        assert_eq!(percent_key(0.5), "0.5");
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let values = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&values, 50.0), Some(2.5));
        assert_eq!(percentile(&values, 100.0), Some(4.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
