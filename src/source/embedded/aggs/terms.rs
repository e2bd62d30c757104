//! The `terms` aggregation: one bucket per distinct value of a field, ordered by count,
//! key or a sub-aggregation's value, the first `size` returned and the rest counted in
//! `sum_other_doc_count`.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use serde_json::Value;
use tantivy::DocId;

use super::super::date_math::Zone;
use super::super::error::StoreError;
use super::super::reply::{self, Reply};
use super::columns::{Key, KeyValue};
use super::{Plan, Run, body_object, paths, require_field, string_option};

/// How buckets are ordered: by `_count`, `_key`, or a path into each bucket.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderBy {
    Count,
    Key,
    Path(String),
}

/// One ordering criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub by: OrderBy,
    pub ascending: bool,
}

pub struct Terms {
    pub field: String,
    size: usize,
    min_doc_count: u64,
    order: Vec<Order>,
    missing: Option<KeyValue>,
}

impl Terms {
    pub fn parse(body: &Value, path: &str) -> Result<Terms, StoreError> {
        let object = body_object(body, path)?;
        let mut terms = Terms {
            field: String::new(),
            size: 10,
            min_doc_count: 1,
            order: vec![
                Order {
                    by: OrderBy::Count,
                    ascending: false,
                },
                Order {
                    by: OrderBy::Key,
                    ascending: true,
                },
            ],
            missing: None,
        };
        for (key, value) in object {
            match key.as_str() {
                "field" => {
                    terms.field = string_option(value, "field", path)?;
                }
                "size" => terms.size = positive(value, "size", path)?,
                "min_doc_count" => {
                    terms.min_doc_count = value.as_u64().ok_or_else(|| {
                        StoreError::parsing(path, "[min_doc_count] must be a whole number")
                    })?;
                    if terms.min_doc_count == 0 {
                        return Err(StoreError::unsupported(
                            path,
                            "[min_doc_count] 0 on terms (listing terms no matching document has)",
                        ));
                    }
                }
                "order" => terms.order = parse_order(value, path)?,
                "missing" => {
                    terms.missing = Some(KeyValue::from_json(value).ok_or_else(|| {
                        StoreError::parsing(path, "[missing] must be a string, number or boolean")
                    })?);
                }
                // No effect on a single shard.
                "shard_size" | "execution_hint" | "collect_mode" | "show_term_doc_count_error" => {}
                other => {
                    return Err(StoreError::unsupported(
                        path,
                        format!("terms option [{other}]"),
                    ));
                }
            }
        }
        require_field(&terms.field, path)?;
        Ok(terms)
    }

    pub fn evaluate(&self, sub: &Plan, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let columns = run.columns.get(&self.field);
        let mut parts: FxHashMap<Key, Vec<DocId>> = FxHashMap::default();
        let mut without: Vec<DocId> = Vec::new();
        for &doc in docs {
            let mut any = false;
            columns.keys(doc, |key| {
                any = true;
                let part = parts.entry(key).or_default();
                if part.last() != Some(&doc) {
                    part.push(doc);
                }
            });
            if !any && self.missing.is_some() {
                without.push(doc);
            }
        }
        let mut groups: Vec<(KeyValue, Vec<DocId>)> = parts
            .into_iter()
            .map(|(key, docs)| Ok((columns.resolve(key)?, docs)))
            .collect::<Result<_, StoreError>>()?;
        if let Some(missing) = &self.missing
            && !without.is_empty()
        {
            match groups.iter_mut().find(|(key, _)| key == missing) {
                Some((_, docs)) => {
                    docs.extend(without);
                    docs.sort_unstable();
                }
                None => groups.push((missing.clone(), without)),
            }
        }
        groups.retain(|(_, docs)| docs.len() as u64 >= self.min_doc_count);
        let needs_sub_results = self.order.iter().any(|o| matches!(o.by, OrderBy::Path(_)));
        // Sub-aggregations are computed for every group only when the order needs them.
        let mut computed: Vec<Option<reply::Fields>> = Vec::with_capacity(groups.len());
        if needs_sub_results {
            run.spend_buckets(groups.len())?;
            for (_, docs) in &groups {
                computed.push(Some(run.bucket(sub, docs, [])?));
            }
        } else {
            computed.resize(groups.len(), None);
        }
        let mut ranked: Vec<Ranked<'_>> = groups
            .iter()
            .zip(computed)
            .map(|((key, docs), sub_results)| Ranked {
                key,
                docs,
                sub_results,
            })
            .collect();
        ranked.sort_by(|a, b| compare(&self.order, a, b));
        let other: usize = ranked.iter().skip(self.size).map(|b| b.docs.len()).sum();
        ranked.truncate(self.size);
        if !needs_sub_results {
            run.spend_buckets(ranked.len())?;
        }
        let rendered = ranked
            .into_iter()
            .map(|ranked| {
                let counted = match ranked.sub_results {
                    Some(bucket) => bucket,
                    None => run.bucket(sub, ranked.docs, [])?,
                };
                // In Elasticsearch's order: the key (and its string), then the counts.
                let (key, key_as_string) = ranked.key.to_reply(&Zone::UTC);
                let mut bucket = Vec::with_capacity(counted.len() + 2);
                bucket.push(("key".into(), key));
                if let Some(text) = key_as_string {
                    bucket.push(("key_as_string".into(), text));
                }
                bucket.extend(counted);
                Ok(Reply::Object(bucket))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Reply::object([
            ("doc_count_error_upper_bound", Reply::U64(0)),
            ("sum_other_doc_count", Reply::U64(other as u64)),
            ("buckets", Reply::Array(rendered)),
        ]))
    }
}

/// A group being ranked: its key, documents, and (when the order needs them) its
/// sub-aggregation results.
struct Ranked<'g> {
    key: &'g KeyValue,
    docs: &'g [DocId],
    sub_results: Option<reply::Fields>,
}

fn compare(order: &[Order], a: &Ranked<'_>, b: &Ranked<'_>) -> Ordering {
    for criterion in order {
        let ordering = match &criterion.by {
            OrderBy::Count => a.docs.len().cmp(&b.docs.len()),
            OrderBy::Key => a.key.compare(b.key),
            OrderBy::Path(path) => {
                let value = |ranked: &Ranked<'_>| {
                    ranked
                        .sub_results
                        .as_ref()
                        .and_then(|m| paths::resolve(m, ranked.docs.len() as u64, path))
                };
                match (value(a), value(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    // Buckets without a value go last whichever the direction.
                    (Some(_), None) => return Ordering::Less,
                    (None, Some(_)) => return Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
            }
        };
        let ordering = directed(ordering, criterion.ascending);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// `ordering` as an ascending criterion has it, reversed for a descending one.
pub fn directed(ordering: Ordering, ascending: bool) -> Ordering {
    if ascending {
        ordering
    } else {
        ordering.reverse()
    }
}

/// `{"_count": "desc"}` or a list of such objects; `_key asc` breaks remaining ties.
pub fn parse_order(value: &Value, path: &str) -> Result<Vec<Order>, StoreError> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut order = Vec::new();
    for item in items {
        let object = item.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            StoreError::parsing(
                path,
                "[order] must be an object such as {\"_count\": \"desc\"} or a list of them",
            )
        })?;
        for (by, direction) in object {
            let ascending = parse_direction(direction, path)?;
            let by = match by.as_str() {
                "_count" => OrderBy::Count,
                "_key" | "_term" => OrderBy::Key,
                path_text if paths::is_well_formed(path_text) => {
                    OrderBy::Path(path_text.to_string())
                }
                other => {
                    return Err(StoreError::parsing(
                        path,
                        format!("invalid order path [{other}]"),
                    ));
                }
            };
            order.push(Order { by, ascending });
        }
    }
    if !order.iter().any(|o| o.by == OrderBy::Key) {
        order.push(Order {
            by: OrderBy::Key,
            ascending: true,
        });
    }
    Ok(order)
}

pub fn parse_direction(value: &Value, path: &str) -> Result<bool, StoreError> {
    match value.as_str() {
        Some("asc") => Ok(true),
        Some("desc") => Ok(false),
        _ => Err(StoreError::parsing(
            path,
            format!("unknown order direction [{value}]: expected \"asc\" or \"desc\""),
        )),
    }
}

pub fn positive(value: &Value, name: &str, path: &str) -> Result<usize, StoreError> {
    match value.as_u64() {
        Some(n) if n > 0 => usize::try_from(n)
            .map_err(|_| StoreError::parsing(path, format!("[{name}] is too large"))),
        _ => Err(StoreError::parsing(
            path,
            format!("[{name}] must be greater than 0, found [{value}]"),
        )),
    }
}
