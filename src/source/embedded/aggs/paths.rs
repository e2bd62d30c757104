//! Buckets paths: how `order` and `bucket_script` name a value inside a bucket —
//! `_count`, `metric`, `metric.value`, `percentiles.95` or `percentiles[95.0]`, and
//! `single_bucket>inner` through filter aggregations.

use super::super::reply::{Fields, field};
use super::metrics::percent_key;

/// The number `path` names in `bucket` (whose document count is `doc_count`); `None` when
/// the path leads to nothing or to a null value.
pub fn resolve(bucket: &Fields, doc_count: u64, path: &str) -> Option<f64> {
    let (head, rest) = match path.split_once('>') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    if let Some(rest) = rest {
        let inner = field(bucket, head)?.as_fields()?;
        let inner_count = field(inner, "doc_count")?.as_u64()?;
        return resolve(inner, inner_count, rest);
    }
    if head == "_count" {
        return Some(doc_count as f64);
    }
    let (name, property) = split_property(head);
    let result = field(bucket, name)?.as_fields()?;
    let value = field(result, "value");
    match property {
        None | Some("value") if value.is_some() => value?.as_f64(),
        None => None,
        Some("_count" | "doc_count") => field(result, "doc_count")?.as_f64(),
        Some(property) => {
            let values = field(result, "values")?.as_fields()?;
            let value = field(values, property).or_else(|| {
                property
                    .parse::<f64>()
                    .ok()
                    .and_then(|p| field(values, &percent_key(p)))
            })?;
            value.as_f64()
        }
    }
}

/// Whether `path` is one `resolve` can read (checked when the request is parsed).
pub fn is_well_formed(path: &str) -> bool {
    !path.is_empty() && path.split('>').all(|part| !part.is_empty())
}

/// `pct[95.0]` → (`pct`, `95.0`); `pct.95` → (`pct`, `95`); `avg` → (`avg`, none).
fn split_property(head: &str) -> (&str, Option<&str>) {
    if let Some((name, rest)) = head.split_once('[') {
        return (name, Some(rest.trim_end_matches(']')));
    }
    match head.split_once('.') {
        Some((name, property)) => (name, Some(property)),
        None => (head, None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::reply::Reply;
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_counts_values_percentiles_and_nested_buckets() {
        let bucket = Reply::from(&json!({
            "avg_mem": { "value": 5.0 },
            "empty": { "value": null },
            "p": { "values": { "95.0": 7.5 } },
            "errors": { "doc_count": 3, "max_code": { "value": 503.0 } }
        }));
        let bucket = bucket.as_fields().unwrap();
        assert_eq!(resolve(bucket, 10, "_count"), Some(10.0));
        assert_eq!(resolve(bucket, 10, "avg_mem"), Some(5.0));
        assert_eq!(resolve(bucket, 10, "avg_mem.value"), Some(5.0));
        assert_eq!(resolve(bucket, 10, "empty"), None);
        assert_eq!(resolve(bucket, 10, "p.95"), Some(7.5));
        assert_eq!(resolve(bucket, 10, "p[95.0]"), Some(7.5));
        assert_eq!(resolve(bucket, 10, "errors>_count"), Some(3.0));
        assert_eq!(resolve(bucket, 10, "errors._count"), Some(3.0));
        assert_eq!(resolve(bucket, 10, "errors>max_code"), Some(503.0));
        assert_eq!(resolve(bucket, 10, "nothing"), None);
    }
}
