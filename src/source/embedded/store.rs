//! The in-memory tantivy index and the search entry point: index-pattern resolution,
//! request validation, query + aggregation execution, and the response envelope.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use tantivy::directory::{MmapDirectory, RamDirectory};
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{
    DateTime, Directory, Index, IndexReader, Searcher, SegmentReader, SingleSegmentIndexWriter,
};

use super::aggs;
use super::catalog::Catalog;
use super::document::{DocumentFields, StoreDocument};
use super::dsl;
use super::error::StoreError;
use super::fields::Fields;
use super::pattern::glob_match;
use super::reply::Reply;
use super::timeline::Timeline;

/// Hits Elasticsearch counts exactly when a search does not set `track_total_hits`.
const DEFAULT_TRACK_TOTAL_HITS: u64 = 10_000;

/// The index's in-memory buffers start sized for this much.
const WRITER_MEMORY_BYTES: usize = 200_000_000;

/// The most the index's buffers may hold: tantivy addresses a segment's buffers in 4 GiB,
/// and the store is one segment. Documents past it are refused, not lost silently.
const MAX_INDEX_BYTES: usize = 3 << 30;

/// Why one document could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("a document must be a JSON object")]
    NotAnObject,
    #[error("the document has no `{0}` timestamp")]
    MissingTimestamp(String),
    #[error("the `{field}` timestamp is invalid: {reason}")]
    BadTimestamp { field: String, reason: String },
    #[error("the `_id` [{0}] was already loaded: each document must appear once")]
    DuplicateId(String),
    #[error(
        "the embedded store is full after {documents} documents ({limit_mib} MiB of index): \
         load fewer days or hosts, or search the data in Elasticsearch"
    )]
    StoreFull { documents: u64, limit_mib: usize },
    #[error("the index refused the document: {0}")]
    Rejected(String),
}

/// Collects documents, then builds the searchable store.
///
/// Documents are indexed as they are added, on the calling thread, straight into the one
/// segment the store searches: the loaded JSON is read in place (see `document`), while
/// it is still in the cache, and nothing is merged at the end.
pub struct StoreBuilder {
    writer: SingleSegmentIndexWriter<StoreDocument>,
    fields: Fields,
    document_fields: DocumentFields,
    /// The index names seen, each shared by its documents.
    indices: BTreeSet<Arc<str>>,
    catalog: Catalog,
    documents: u64,
    /// `_id`s given by the loaded files, to refuse a second document with the same one.
    explicit_ids: HashSet<String>,
    /// [`MAX_INDEX_BYTES`], lowered by tests.
    max_index_bytes: usize,
}

impl StoreBuilder {
    pub fn new(time_field: &str) -> Result<Self, StoreError> {
        Self::writing_to(time_field, RamDirectory::create())
    }

    /// A builder whose index lives in `directory` (created if missing; it must be empty)
    /// instead of in memory.
    pub fn in_directory(time_field: &str, directory: &std::path::Path) -> Result<Self, StoreError> {
        let cannot_open = |error: &dyn std::fmt::Display| {
            StoreError::Engine(format!("opening {}: {error}", directory.display()))
        };
        std::fs::create_dir_all(directory).map_err(|error| cannot_open(&error))?;
        let holds_files = std::fs::read_dir(directory)
            .map_err(|error| cannot_open(&error))?
            .next()
            .is_some();
        if holds_files {
            return Err(cannot_open(
                &"the directory is not empty; give a new or empty one",
            ));
        }
        Self::writing_to(
            time_field,
            MmapDirectory::open(directory).map_err(|error| cannot_open(&error))?,
        )
    }

    /// A builder indexing into `directory`, which must hold nothing yet.
    fn writing_to(
        time_field: &str,
        directory: impl Into<Box<dyn Directory>>,
    ) -> Result<Self, StoreError> {
        let (schema, fields) = Fields::schema(time_field);
        let writer = Index::builder()
            .schema(schema)
            .single_segment_index_writer(directory, WRITER_MEMORY_BYTES)?;
        Ok(StoreBuilder {
            writer,
            document_fields: DocumentFields::from(&fields),
            fields,
            indices: BTreeSet::new(),
            catalog: Catalog::default(),
            documents: 0,
            explicit_ids: HashSet::new(),
            max_index_bytes: MAX_INDEX_BYTES,
        })
    }

    /// Adds one document to `index_name`. The time field is read from the document's top
    /// level.
    pub fn add(&mut self, index_name: &str, document: &Value) -> Result<(), DocumentError> {
        self.add_owned(index_name, None, document.clone())
    }

    /// [`Self::add`] with the `_id` the source file gave, if any.
    pub fn add_with_id(
        &mut self,
        index_name: &str,
        id: Option<&str>,
        document: &Value,
    ) -> Result<(), DocumentError> {
        self.add_owned(index_name, id, document.clone())
    }

    /// Adds a document the caller no longer needs (no copy is made). Only documents whose
    /// file gave an `_id` have one: the `ids` query finds those, and a second document
    /// with the same `_id` is refused.
    pub fn add_owned(
        &mut self,
        index_name: &str,
        id: Option<&str>,
        document: Value,
    ) -> Result<(), DocumentError> {
        let Value::Object(mut object) = document else {
            return Err(DocumentError::NotAnObject);
        };
        if self.writer.mem_usage() >= self.max_index_bytes {
            return Err(DocumentError::StoreFull {
                documents: self.documents,
                limit_mib: self.max_index_bytes >> 20,
            });
        }
        let time_name = &self.fields.time_name;
        let timestamp = object
            .get(time_name)
            .ok_or_else(|| DocumentError::MissingTimestamp(time_name.clone()))?;
        let millis = dsl::timestamp_millis(timestamp, time_name)
            .map_err(|error| error.to_string())
            .and_then(dsl::storable_millis)
            .map_err(|reason| DocumentError::BadTimestamp {
                field: time_name.clone(),
                reason,
            })?;
        if let Some(id) = id
            && !self.explicit_ids.insert(id.to_string())
        {
            return Err(DocumentError::DuplicateId(id.to_string()));
        }
        self.catalog.record(index_name, time_name, &object);
        object.remove(time_name);
        let index = match self.indices.get(index_name) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(index_name);
                self.indices.insert(Arc::clone(&shared));
                shared
            }
        };
        let document = StoreDocument::new(
            self.document_fields,
            id.map(str::to_string),
            DateTime::from_timestamp_millis(millis),
            index,
            object,
        );
        self.writer
            .add_document(document)
            .map_err(|error| DocumentError::Rejected(error.to_string()))?;
        self.documents += 1;
        Ok(())
    }

    /// Writes the segment out: the store is read-only from here on.
    pub fn finish(self) -> Result<EmbeddedStore, StoreError> {
        let index = self.writer.finalize()?;
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let timeline = Timeline::build(single_segment(&searcher)?, &self.fields.time_name)?;
        let fields = Fields {
            timeline: Some(Arc::new(timeline)),
            ..self.fields
        };
        Ok(EmbeddedStore {
            reader,
            fields,
            indices: self.indices.iter().map(|name| name.to_string()).collect(),
            catalog: self.catalog,
            documents: self.documents,
            max_buckets: aggs::MAX_BUCKETS,
        })
    }
}

/// A searchable, read-only set of documents that answers Elasticsearch search bodies.
pub struct EmbeddedStore {
    reader: IndexReader,
    fields: Fields,
    indices: BTreeSet<String>,
    catalog: Catalog,
    documents: u64,
    max_buckets: usize,
}

impl EmbeddedStore {
    /// Raises (or lowers) the most buckets one search may create, Elasticsearch's
    /// The bucket budget of one search.
    pub fn max_buckets(&self) -> usize {
        self.max_buckets
    }

    /// `search.max_buckets` (default 65,536).
    pub fn with_max_buckets(mut self, max_buckets: usize) -> Self {
        self.max_buckets = max_buckets;
        self
    }

    /// The first and last document time, epoch milliseconds (`None` when empty).
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.fields.time_span()
    }

    pub fn document_count(&self) -> u64 {
        self.documents
    }

    pub fn index_names(&self) -> impl Iterator<Item = &str> {
        self.indices.iter().map(String::as_str)
    }

    /// Answers `POST /{index_pattern}/_search` with `body`, in Elasticsearch's shape; date
    /// math's `now` is the current time.
    pub fn search(&self, index_pattern: &str, body: &Value) -> Result<Value, StoreError> {
        self.search_at(index_pattern, body, chrono::Utc::now().timestamp_millis())
    }

    /// [`Self::search`] as the tree that serializes straight to the response's bytes.
    pub fn search_reply(&self, index_pattern: &str, body: &Value) -> Result<Reply, StoreError> {
        self.search_reply_at(index_pattern, body, chrono::Utc::now().timestamp_millis())
    }

    /// [`Self::search`] with `now` (epoch milliseconds) given, for date math.
    pub fn search_at(
        &self,
        index_pattern: &str,
        body: &Value,
        now_ms: i64,
    ) -> Result<Value, StoreError> {
        self.search_reply_at(index_pattern, body, now_ms)
            .map(Reply::into_value)
    }

    /// The answer to a search as the tree that serializes straight to the response's
    /// bytes (see [`Reply`]); [`Self::search_at`] gives it as a `Value`.
    pub fn search_reply_at(
        &self,
        index_pattern: &str,
        body: &Value,
        now_ms: i64,
    ) -> Result<Reply, StoreError> {
        let started = Instant::now();
        let request = body
            .as_object()
            .ok_or_else(|| StoreError::parsing("", "the search body must be a JSON object"))?;
        // Elasticsearch counts matches exactly up to 10,000 unless told otherwise.
        let mut track_total_hits = Some(DEFAULT_TRACK_TOTAL_HITS);
        for (key, value) in request {
            match key.as_str() {
                "size" if value.as_u64() == Some(0) => {}
                "size" => {
                    return Err(StoreError::unsupported(
                        "size",
                        "returning documents (size > 0); set \"size\": 0",
                    ));
                }
                "track_total_hits" => {
                    track_total_hits = match value {
                        Value::Bool(true) => Some(u64::MAX),
                        Value::Bool(false) => None,
                        Value::Number(n) => n
                            .as_u64()
                            .or_else(|| (n.as_i64() == Some(-1)).then_some(u64::MAX)),
                        _ => None,
                    };
                    if track_total_hits.is_none() && *value != Value::Bool(false) {
                        return Err(StoreError::parsing(
                            "track_total_hits",
                            format!(
                                "[track_total_hits] must be true, false or a number of hits, found [{value}]"
                            ),
                        ));
                    }
                }
                "query" | "aggs" | "aggregations" | "timeout" => {}
                other => {
                    return Err(StoreError::unsupported(
                        other,
                        format!("search option [{other}]"),
                    ));
                }
            }
        }
        if !request.contains_key("size") {
            return Err(StoreError::unsupported(
                "size",
                "returning documents (the default size is 10); set \"size\": 0",
            ));
        }
        let matching_indices = self.resolve_indices(index_pattern)?;
        let searcher = self.reader.searcher();
        let segment = single_segment(&searcher)?;
        let cx = dsl::Context {
            fields: &self.fields,
            searcher: Some(&searcher),
            now_ms,
        };
        let query = self.query_for(request.get("query"), &matching_indices, &cx)?;
        let plan = match request.get("aggs").or_else(|| request.get("aggregations")) {
            Some(aggs) => Some(aggs::Plan::parse(aggs, &cx, "aggs")?),
            None => None,
        };
        let docs = aggs::matching(query.as_ref(), &searcher, segment)?;
        let mut hits = vec![
            ("max_score".into(), Reply::Null),
            ("hits".into(), Reply::Array(Vec::new())),
        ];
        if let Some(limit) = track_total_hits {
            let matched = docs.len() as u64;
            let (value, relation) = if matched > limit {
                (limit, "gte")
            } else {
                (matched, "eq")
            };
            let total = Reply::object([
                ("value", Reply::U64(value)),
                ("relation", Reply::String(relation.to_string())),
            ]);
            hits.push(("total".into(), total));
        }
        let aggregations = match plan {
            Some(plan) => {
                let run =
                    aggs::Run::new(&plan, &searcher, segment, &self.fields, self.max_buckets)?;
                Some(Reply::Object(run.evaluate(&plan, &docs)?))
            }
            None => None,
        };
        let shards = Reply::object([
            ("total", Reply::U64(1)),
            ("successful", Reply::U64(1)),
            ("skipped", Reply::U64(0)),
            ("failed", Reply::U64(0)),
        ]);
        let mut response = vec![
            (
                "took".into(),
                Reply::U64(started.elapsed().as_millis() as u64),
            ),
            ("timed_out".into(), Reply::Bool(false)),
            ("_shards".into(), shards),
            ("hits".into(), Reply::Object(hits)),
        ];
        if let Some(aggregations) = aggregations {
            response.push(("aggregations".into(), aggregations));
        }
        Ok(Reply::Object(response))
    }

    /// Answers `GET /{index_pattern}/_mapping`: each matching index's fields, nested.
    pub fn mapping(&self, index_pattern: &str) -> Result<Value, StoreError> {
        let indices = self.resolve_indices(index_pattern)?;
        Ok(Value::Object(
            indices
                .into_iter()
                .map(|name| (name.to_string(), self.catalog.mapping(name)))
                .collect(),
        ))
    }

    /// Answers `GET /{index_pattern}/_field_caps?fields=…`: per field (names may use `*`),
    /// its type(s) across the matching indices, whether it can be searched and aggregated,
    /// and — when the indices disagree — which index has which type.
    pub fn field_caps(&self, index_pattern: &str, fields: &str) -> Result<Value, StoreError> {
        if fields.trim().is_empty() {
            return Err(StoreError::parsing(
                "fields",
                "specify a field list with ?fields=… (`*` for all)",
            ));
        }
        let indices = self.resolve_indices(index_pattern)?;
        let patterns: Vec<&str> = fields.split(',').map(str::trim).collect();
        let mut found: BTreeMap<&str, BTreeMap<&'static str, Vec<&str>>> = BTreeMap::new();
        for index in &indices {
            for (field, kind) in self.catalog.fields(index).into_iter().flatten() {
                if patterns.iter().any(|p| glob_match(p, field)) {
                    found
                        .entry(field)
                        .or_default()
                        .entry(kind.name())
                        .or_default()
                        .push(index);
                }
            }
        }
        let fields: serde_json::Map<String, Value> = found
            .into_iter()
            .map(|(field, types)| {
                let conflicting = types.len() > 1;
                let caps: serde_json::Map<String, Value> = types
                    .into_iter()
                    .map(|(kind, in_indices)| {
                        let mut caps = json!({
                            "type": kind,
                            "metadata_field": false,
                            "searchable": true,
                            "aggregatable": true
                        });
                        if conflicting {
                            caps["indices"] = json!(in_indices);
                        }
                        (kind.to_string(), caps)
                    })
                    .collect();
                (field.to_string(), Value::Object(caps))
            })
            .collect();
        Ok(json!({ "indices": indices, "fields": fields }))
    }

    /// Index names matching a pattern list (`metricbeat-*,other`). A concrete name that does
    /// not exist is an error; a wildcard matching nothing is an empty result, as in Elasticsearch.
    fn resolve_indices(&self, pattern: &str) -> Result<Vec<&str>, StoreError> {
        let mut matched = BTreeSet::new();
        for part in pattern.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.starts_with('-') {
                return Err(StoreError::unsupported(
                    "index",
                    format!("index exclusion [{part}]"),
                ));
            }
            let hits: Vec<&str> = self
                .indices
                .iter()
                .map(String::as_str)
                .filter(|name| part == "_all" || glob_match(part, name))
                .collect();
            if hits.is_empty() && !part.contains('*') && part != "_all" {
                return Err(StoreError::IndexNotFound {
                    index: part.to_string(),
                });
            }
            matched.extend(hits);
        }
        Ok(matched.into_iter().collect())
    }

    fn query_for(
        &self,
        query: Option<&Value>,
        indices: &[&str],
        cx: &dsl::Context<'_>,
    ) -> Result<Box<dyn Query>, StoreError> {
        if indices.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if indices.len() < self.indices.len() {
            let alternatives = indices
                .iter()
                .map(|name| {
                    let term = Term::from_field_text(self.fields.index, name);
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        if let Some(query) = query {
            clauses.push((Occur::Must, dsl::translate(query, cx, "query")?));
        }
        if clauses.is_empty() {
            return Ok(Box::new(tantivy::query::AllQuery));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }
}

/// The store's only segment (`finish` writes exactly one), or none while empty.
fn single_segment(searcher: &Searcher) -> Result<Option<&SegmentReader>, StoreError> {
    match searcher.segment_readers() {
        [] => Ok(None),
        [segment] => Ok(Some(segment)),
        more => Err(StoreError::Engine(format!(
            "the store holds {} segments; it is built as one",
            more.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_store_refuses_documents_with_a_reason_and_keeps_what_it_has() {
        let mut builder = StoreBuilder::new("@timestamp").unwrap();
        let document = json!({ "@timestamp": 1_000, "host": { "name": "a" }, "free": 1.5 });
        builder.add("m", &document).unwrap();
        builder.max_index_bytes = builder.writer.mem_usage();
        let refused = builder.add("m", &document).unwrap_err();
        assert_eq!(
            refused,
            DocumentError::StoreFull {
                documents: 1,
                limit_mib: builder.max_index_bytes >> 20
            }
        );
        assert!(
            refused
                .to_string()
                .starts_with("the embedded store is full after 1 documents")
        );
        let store = builder.finish().unwrap();
        assert_eq!(store.document_count(), 1);
        let body = json!({ "size": 0, "query": { "term": { "host.name": "a" } } });
        let answer = store.search_at("m", &body, 2_000).unwrap();
        assert_eq!(answer["hits"]["total"]["value"], 1);
    }

    #[test]
    fn times_beyond_what_the_store_holds_are_refused_or_match_nothing() {
        let mut builder = StoreBuilder::new("@timestamp").unwrap();
        for at in [1_000, 2_000] {
            builder.add("m", &json!({ "@timestamp": at })).unwrap();
        }
        let far = 1e16; // the year 318857
        let refused = builder.add("m", &json!({ "@timestamp": far })).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the `@timestamp` timestamp is invalid: 10000000000000000 ms is outside the \
             years 1677 to 2262, which the store can hold"
        );
        let store = builder.finish().unwrap();
        let hits = |query: Value| {
            let body = json!({ "size": 0, "query": query });
            store.search_at("m", &body, 3_000).unwrap()["hits"]["total"]["value"].clone()
        };
        let range =
            |bound: &str, at: f64| hits(json!({ "range": { "@timestamp": { bound: at } } }));
        assert_eq!(range("gte", far), 0);
        assert_eq!(range("gt", far), 0);
        assert_eq!(range("lte", far), 2);
        assert_eq!(range("lt", far), 2);
        assert_eq!(range("gte", -far), 2);
        assert_eq!(range("lt", -far), 0);
        assert_eq!(range("lte", -far), 0);
        assert_eq!(range("lt", i64::MIN as f64), 0);
        assert_eq!(range("lt", 2_000.0), 1);
        assert_eq!(range("gt", 1_000.0), 1);
        assert_eq!(hits(json!({ "term": { "@timestamp": far } })), 0);
        assert_eq!(hits(json!({ "term": { "@timestamp": 2_000 } })), 1);
        let both = json!({ "range": { "@timestamp": { "gte": 1_500, "lte": far } } });
        assert_eq!(hits(both), 1);
    }

    #[test]
    fn an_index_directory_must_be_empty() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("notes.txt"), "mine").unwrap();
        let refused = StoreBuilder::in_directory("@timestamp", directory.path())
            .err()
            .unwrap();
        assert!(refused.to_string().contains("not empty"), "{refused}");
        assert!(directory.path().join("notes.txt").exists());
    }
}
