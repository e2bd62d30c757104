//! Aggregations: Elasticsearch aggregation requests parsed into a plan and evaluated over
//! the documents a query matched, read from tantivy's fast-field columns, answered in
//! Elasticsearch's exact response shape.
//!
//! Evaluation partitions the matching documents: a bucket aggregation splits its
//! documents by key and evaluates its sub-aggregations on each part; metrics read the
//! column values of their part. Every option Elasticsearch accepts is either honoured or
//! refused by name — never ignored.

mod columns;
mod composite;
mod filters;
mod histogram;
mod metrics;
mod paths;
mod script;
mod terms;

use std::cell::Cell;

use serde_json::{Map, Value};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocId, Searcher, SegmentReader};

use super::dsl;
use super::error::StoreError;
use super::fields::Fields;
use super::reply::{self, Reply};
pub use columns::ColumnCache;

/// Elasticsearch's default `search.max_buckets`: a search creating more buckets fails
/// (the store's limit can be raised like the cluster setting can).
pub const MAX_BUCKETS: usize = 65_536;

/// One level of named aggregations.
#[derive(Default)]
pub struct Plan {
    nodes: Vec<Node>,
}

struct Node {
    /// Shared with every bucket's reply that names it.
    name: std::sync::Arc<str>,
    kind: Kind,
    sub: Plan,
    meta: Option<Value>,
}

enum Kind {
    Terms(terms::Terms),
    DateHistogram(histogram::DateHistogram),
    Composite(composite::Composite),
    Filter(filters::Filter),
    Filters(filters::Filters),
    Metric(metrics::Metric),
    BucketScript(script::BucketScript),
}

impl Kind {
    fn is_pipeline(&self) -> bool {
        matches!(self, Kind::BucketScript(_))
    }
}

impl Plan {
    /// Parses the request's `aggs` object; `path` names it in error messages.
    pub fn parse(aggs: &Value, cx: &dsl::Context<'_>, path: &str) -> Result<Plan, StoreError> {
        let plan = Self::parse_level(aggs, cx, path)?;
        if let Some(node) = plan.nodes.iter().find(|n| n.kind.is_pipeline()) {
            return Err(StoreError::parsing(
                &format!("{path}.{}", node.name),
                format!(
                    "bucket_script aggregation [{}] must be declared inside of another aggregation",
                    node.name
                ),
            ));
        }
        Ok(plan)
    }

    fn parse_level(aggs: &Value, cx: &dsl::Context<'_>, path: &str) -> Result<Plan, StoreError> {
        let object = aggs
            .as_object()
            .ok_or_else(|| StoreError::parsing(path, "[aggs] must be an object"))?;
        let nodes = object
            .iter()
            .map(|(name, definition)| Node::parse(name, definition, cx, &format!("{path}.{name}")))
            .collect::<Result<_, _>>()?;
        Ok(Plan { nodes })
    }

    /// Every field the plan reads, for opening their columns once.
    pub fn fields(&self) -> Vec<String> {
        let mut names = Vec::new();
        for node in &self.nodes {
            match &node.kind {
                Kind::Terms(t) => names.push(t.field.clone()),
                Kind::DateHistogram(h) => names.push(h.field.clone()),
                Kind::Composite(c) => names.extend(c.fields()),
                Kind::Metric(m) => names.push(m.field.clone()),
                Kind::Filter(_) | Kind::Filters(_) | Kind::BucketScript(_) => {}
            }
            names.extend(node.sub.fields());
        }
        names
    }
}

impl Node {
    fn parse(
        name: &str,
        definition: &Value,
        cx: &dsl::Context<'_>,
        path: &str,
    ) -> Result<Node, StoreError> {
        let object = definition
            .as_object()
            .ok_or_else(|| StoreError::parsing(path, "an aggregation must be an object"))?;
        let mut kind = None;
        let mut sub = None;
        let mut meta = None;
        for (key, value) in object {
            match key.as_str() {
                "aggs" | "aggregations" => sub = Some(value),
                "meta" => meta = Some(value.clone()),
                _ => {
                    if let Some((first, _)) = kind {
                        return Err(StoreError::parsing(
                            path,
                            format!(
                                "found two aggregation type definitions in [{name}]: [{first}] and [{key}]"
                            ),
                        ));
                    }
                    kind = Some((key.as_str(), value));
                }
            }
        }
        let (kind_name, body) = kind.ok_or_else(|| {
            StoreError::parsing(path, format!("missing aggregation type in [{name}]"))
        })?;
        let body_path = format!("{path}.{kind_name}");
        let kind = match kind_name {
            "terms" => Kind::Terms(terms::Terms::parse(body, &body_path)?),
            "date_histogram" => Kind::DateHistogram(histogram::DateHistogram::parse(
                body, cx.now_ms, &body_path,
            )?),
            "composite" => Kind::Composite(composite::Composite::parse(body, &body_path)?),
            "filter" => Kind::Filter(filters::Filter::parse(body, cx, &body_path)?),
            "filters" => Kind::Filters(filters::Filters::parse(body, cx, &body_path)?),
            "bucket_script" => Kind::BucketScript(script::BucketScript::parse(body, &body_path)?),
            other => match metrics::Metric::parse(other, body, &body_path)? {
                Some(metric) => Kind::Metric(metric),
                None => {
                    return Err(StoreError::unsupported(
                        &body_path,
                        format!("aggregation type [{other}]"),
                    ));
                }
            },
        };
        let sub = match sub {
            Some(sub) => {
                if matches!(kind, Kind::Metric(_) | Kind::BucketScript(_)) {
                    return Err(StoreError::parsing(
                        path,
                        format!(
                            "aggregator [{name}] of type [{kind_name}] cannot accept sub-aggregations"
                        ),
                    ));
                }
                Plan::parse_level(sub, cx, &format!("{path}.aggs"))?
            }
            None => Plan::default(),
        };
        Ok(Node {
            name: name.into(),
            kind,
            sub,
            meta,
        })
    }
}

/// One search's evaluation: the segment, its opened columns, and the bucket budget.
pub struct Run<'a> {
    /// The store's one segment; none while it is empty.
    pub segment: Option<&'a SegmentReader>,
    pub searcher: &'a Searcher,
    pub columns: ColumnCache,
    buckets: Cell<usize>,
    max_buckets: usize,
}

impl<'a> Run<'a> {
    pub fn new(
        plan: &Plan,
        searcher: &'a Searcher,
        segment: Option<&'a SegmentReader>,
        fields: &Fields,
        max_buckets: usize,
    ) -> Result<Self, StoreError> {
        let columns = match segment {
            Some(segment) => ColumnCache::load(segment, fields, plan.fields())?,
            None => ColumnCache::default(),
        };
        Ok(Run {
            segment,
            searcher,
            columns,
            buckets: Cell::new(0),
            max_buckets,
        })
    }

    /// Evaluates `plan` over `docs` (ascending), the documents of one bucket, whose
    /// `doc_count` pipeline aggregations may refer to as `_count`.
    pub fn evaluate(&self, plan: &Plan, docs: &[DocId]) -> Result<reply::Fields, StoreError> {
        let mut results = Vec::with_capacity(plan.nodes.len());
        self.evaluate_into(plan, docs, &mut results)?;
        Ok(results)
    }

    fn evaluate_into(
        &self,
        plan: &Plan,
        docs: &[DocId],
        results: &mut reply::Fields,
    ) -> Result<(), StoreError> {
        for node in plan.nodes.iter().filter(|n| !n.kind.is_pipeline()) {
            let mut value = match &node.kind {
                Kind::Terms(t) => t.evaluate(&node.sub, docs, self)?,
                Kind::DateHistogram(h) => h.evaluate(&node.sub, docs, self)?,
                Kind::Composite(c) => c.evaluate(&node.sub, docs, self)?,
                Kind::Filter(f) => f.evaluate(&node.sub, docs, self)?,
                Kind::Filters(f) => f.evaluate(&node.sub, docs, self)?,
                Kind::Metric(m) => m.evaluate(docs, self)?,
                Kind::BucketScript(_) => continue,
            };
            if let (Some(meta), Reply::Object(fields)) = (&node.meta, &mut value) {
                fields.push(("meta".into(), Reply::from(meta)));
            }
            // A name given twice (an aggregation named `key`, say) is resolved by the
            // reply: its last value counts, as a JSON map would keep it.
            results.push(((&node.name).into(), value));
        }
        for node in &plan.nodes {
            if let Kind::BucketScript(script) = &node.kind
                && let Some(value) = script.evaluate(results, docs.len() as u64)?
            {
                results.push(((&node.name).into(), value));
            }
        }
        Ok(())
    }

    /// A bucket's JSON: `fields` (its key), `doc_count`, then its sub-aggregations, in
    /// Elasticsearch's order.
    fn bucket<const N: usize>(
        &self,
        sub: &Plan,
        docs: &[DocId],
        fields: [(&'static str, Reply); N],
    ) -> Result<reply::Fields, StoreError> {
        let mut bucket = Vec::with_capacity(N + 1 + sub.nodes.len());
        for (name, value) in fields {
            bucket.push((name.into(), value));
        }
        bucket.push(("doc_count".into(), Reply::U64(docs.len() as u64)));
        self.evaluate_into(sub, docs, &mut bucket)?;
        Ok(bucket)
    }

    /// Counts `count` new buckets against the search's bucket limit.
    fn spend_buckets(&self, count: usize) -> Result<(), StoreError> {
        let total = self.buckets.get() + count;
        self.buckets.set(total);
        if total > self.max_buckets {
            return Err(StoreError::TooManyBuckets {
                limit: self.max_buckets,
                requested: total,
            });
        }
        Ok(())
    }

    /// The documents of this segment `query` matches, ascending.
    fn matching(&self, query: &dyn Query) -> Result<Vec<DocId>, StoreError> {
        matching(query, self.searcher, self.segment)
    }
}

/// The documents of `segment` that `query` matches, ascending.
pub fn matching(
    query: &dyn Query,
    searcher: &Searcher,
    segment: Option<&SegmentReader>,
) -> Result<Vec<DocId>, StoreError> {
    let Some(segment) = segment else {
        return Ok(Vec::new());
    };
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut docs = Vec::new();
    weight.for_each_no_score(segment, &mut |block| docs.extend_from_slice(block))?;
    Ok(docs)
}

/// An aggregation's body, which must be an object.
fn body_object<'v>(body: &'v Value, path: &str) -> Result<&'v Map<String, Value>, StoreError> {
    body.as_object()
        .ok_or_else(|| StoreError::parsing(path, "the aggregation body must be an object"))
}

/// A string option such as `field`.
fn string_option(value: &Value, name: &str, path: &str) -> Result<String, StoreError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| StoreError::parsing(path, format!("[{name}] must be a string")))
}

/// A boolean option such as `keyed`.
fn bool_option(value: &Value, name: &str, path: &str) -> Result<bool, StoreError> {
    value
        .as_bool()
        .ok_or_else(|| StoreError::parsing(path, format!("[{name}] must be a boolean")))
}

/// Elasticsearch's complaint when an aggregation names no `field`.
fn require_field(field: &str, path: &str) -> Result<(), StoreError> {
    if field.is_empty() {
        return Err(StoreError::parsing(
            path,
            "Required one of fields [field, script], but none were specified",
        ));
    }
    Ok(())
}

/// The documents in both ascending lists.
fn intersect(left: &[DocId], right: &[DocId]) -> Vec<DocId> {
    let (small, large) = if left.len() <= right.len() {
        (left, right)
    } else {
        (right, left)
    };
    let mut out = Vec::with_capacity(small.len());
    let mut rest = large;
    for &doc in small {
        match rest.binary_search(&doc) {
            Ok(at) => {
                out.push(doc);
                rest = &rest[at + 1..];
            }
            Err(at) => rest = &rest[at..],
        }
        if rest.is_empty() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersection_keeps_common_documents_in_order() {
        assert_eq!(intersect(&[1, 3, 5, 7, 9], &[3, 4, 9, 10]), vec![3, 9]);
        assert_eq!(intersect(&[], &[1]), Vec::<DocId>::new());
        assert_eq!(intersect(&[2, 4], &[1, 2, 3, 4]), vec![2, 4]);
    }
}
