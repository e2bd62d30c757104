//! Elasticsearch aggregation requests → tantivy `Aggregations`, and tantivy's results back
//! into Elasticsearch's exact shape (integer histogram keys, `key_as_string`, terms
//! bookkeeping fields). `filter` aggregations carry our own query DSL translation.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tantivy::aggregation::agg_req::{Aggregation, AggregationVariants, Aggregations};
use tantivy::aggregation::bucket::{FilterAggregation, QueryBuilder};
use tantivy::query::Query;
use tantivy::schema::Schema;
use tantivy::tokenizer::TokenizerManager;

use super::dsl;
use super::error::StoreError;
use super::fields::Fields;

const SUPPORTED: [&str; 10] = [
    "terms",
    "date_histogram",
    "filter",
    "avg",
    "min",
    "max",
    "sum",
    "value_count",
    "cardinality",
    "percentiles",
];

/// The request's aggregations as tantivy takes them; `now_ms` is `now` for date math in
/// filter aggregations.
pub fn translate(
    aggs: &Value,
    fields: &Fields,
    now_ms: i64,
    path: &str,
) -> Result<Aggregations, StoreError> {
    let object = aggs
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "[aggs] must be an object"))?;
    object
        .iter()
        .map(|(name, definition)| {
            Ok((
                name.clone(),
                translate_one(definition, fields, now_ms, &format!("{path}.{name}"))?,
            ))
        })
        .collect()
}

fn translate_one(
    definition: &Value,
    fields: &Fields,
    now_ms: i64,
    path: &str,
) -> Result<Aggregation, StoreError> {
    let (kind, body, sub) = split_definition(definition, path)?;
    let sub_aggregation = match sub {
        Some(sub) => translate(sub, fields, now_ms, &format!("{path}.aggs"))?,
        None => Aggregations::default(),
    };
    let path = format!("{path}.{kind}");
    if !SUPPORTED.contains(&kind) {
        return Err(StoreError::unsupported(
            &path,
            format!("aggregation type [{kind}]"),
        ));
    }
    let agg = if kind == "filter" {
        // Reject unsupported filters now, not mid-search.
        dsl::translate(body, &dsl::Context::schema_only(fields, now_ms), &path)?;
        let builder = DslFilter {
            clause: body.clone(),
            time_field: fields.time_name.clone(),
            now_ms,
        };
        AggregationVariants::Filter(FilterAggregation::new_with_builder(Box::new(builder)))
    } else {
        let body = request_body(kind, body, fields, &path)?;
        serde_json::from_value(json!({ kind: body }))
            .map_err(|error| StoreError::parsing(&path, error.to_string()))?
    };
    Ok(Aggregation {
        agg,
        sub_aggregation,
    })
}

/// `(type, body, sub-aggregations)` of one named aggregation.
fn split_definition<'v>(
    definition: &'v Value,
    path: &str,
) -> Result<(&'v str, &'v Value, Option<&'v Value>), StoreError> {
    let object = definition
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "an aggregation must be an object"))?;
    let mut kind = None;
    let mut sub = None;
    for (key, value) in object {
        match key.as_str() {
            "aggs" | "aggregations" => sub = Some(value),
            "meta" => {}
            _ if kind.is_some() => {
                return Err(StoreError::parsing(
                    path,
                    format!(
                        "found two aggregation types: [{}] and [{key}]",
                        kind.map_or("", |(k, _)| k)
                    ),
                ));
            }
            _ => kind = Some((key.as_str(), value)),
        }
    }
    let (kind, body) = kind.ok_or_else(|| StoreError::parsing(path, "missing aggregation type"))?;
    Ok((kind, body, sub))
}

/// The aggregation body with field names mapped to tantivy columns and options tantivy
/// lacks refused.
fn request_body(
    kind: &str,
    body: &Value,
    fields: &Fields,
    path: &str,
) -> Result<Value, StoreError> {
    let mut body: Map<String, Value> = body
        .as_object()
        .cloned()
        .ok_or_else(|| StoreError::parsing(path, "the aggregation body must be an object"))?;
    if kind == "date_histogram" {
        if let Some(zone) = body.get("time_zone").and_then(Value::as_str)
            && !matches!(zone, "UTC" | "Z" | "+00:00")
        {
            return Err(StoreError::unsupported(path, format!("[time_zone] {zone}")));
        }
        body.remove("time_zone");
        if body.contains_key("calendar_interval") {
            return Err(StoreError::unsupported(
                path,
                "[calendar_interval] (use fixed_interval)",
            ));
        }
        body.remove("format");
    }
    match body.get("field").and_then(Value::as_str) {
        Some(field) => {
            let column = fields.column(field);
            body.insert("field".to_string(), Value::String(column));
        }
        None => {
            return Err(StoreError::parsing(
                path,
                format!("[{kind}] needs a [field]"),
            ));
        }
    }
    Ok(Value::Object(body))
}

/// A `filter` aggregation's clause, translated by our DSL when tantivy runs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DslFilter {
    clause: Value,
    time_field: String,
    /// `now` of the search, for date math in the clause.
    now_ms: i64,
}

#[typetag::serde]
impl QueryBuilder for DslFilter {
    fn build_query(
        &self,
        schema: &Schema,
        _tokenizers: &TokenizerManager,
    ) -> tantivy::Result<Box<dyn Query>> {
        let fields = Fields::from_schema(schema, &self.time_field)?;
        dsl::translate(
            &self.clause,
            &dsl::Context::schema_only(&fields, self.now_ms),
            "filter",
        )
        .map_err(|error| tantivy::TantivyError::InvalidArgument(error.to_string()))
    }

    fn box_clone(&self) -> Box<dyn QueryBuilder> {
        Box::new(self.clone())
    }
}

/// Rewrites tantivy's result JSON into Elasticsearch's shape, guided by the request.
pub fn shape_results(request: &Value, results: &mut Value) {
    let (Some(request), Some(results)) = (request.as_object(), results.as_object_mut()) else {
        return;
    };
    for (name, definition) in request {
        let Some(result) = results.get_mut(name) else {
            continue;
        };
        let Some(object) = definition.as_object() else {
            continue;
        };
        let kind = object
            .keys()
            .find(|k| !matches!(k.as_str(), "aggs" | "aggregations" | "meta"))
            .map(String::as_str);
        let sub = object.get("aggs").or_else(|| object.get("aggregations"));
        match kind {
            Some("date_histogram") => shape_buckets(result, sub, shape_histogram_bucket),
            Some("terms") => {
                if let Some(result) = result.as_object_mut() {
                    result
                        .entry("doc_count_error_upper_bound")
                        .or_insert(json!(0));
                    result.entry("sum_other_doc_count").or_insert(json!(0));
                }
                shape_buckets(result, sub, |_| {});
            }
            Some("filter") => {
                if let Some(sub) = sub {
                    shape_results(sub, result);
                }
            }
            _ => {}
        }
    }
}

fn shape_buckets(result: &mut Value, sub: Option<&Value>, fix: impl Fn(&mut Map<String, Value>)) {
    let Some(buckets) = result.get_mut("buckets").and_then(Value::as_array_mut) else {
        return;
    };
    for bucket in buckets {
        if let Some(object) = bucket.as_object_mut() {
            fix(object);
        }
        if let Some(sub) = sub {
            shape_results(sub, bucket);
        }
    }
}

fn shape_histogram_bucket(bucket: &mut Map<String, Value>) {
    let Some(key) = bucket.get("key").and_then(Value::as_f64) else {
        return;
    };
    let millis = key as i64;
    bucket.insert("key".to_string(), json!(millis));
    if let Some(time) = chrono::DateTime::from_timestamp_millis(millis) {
        bucket.insert(
            "key_as_string".to_string(),
            json!(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
}
