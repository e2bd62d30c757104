//! The embedded store: an in-process document store on tantivy that evaluates the search
//! bodies trendwatch sends and answers in Elasticsearch's response shape, so the same
//! parser reads both. Requests outside the supported subset are errors, never
//! approximations. `http` serves it on loopback with Elasticsearch's endpoints.
//!
//! `dsl` and `query_string` turn queries into tantivy queries; `aggs` evaluates the
//! aggregations over tantivy's fast-field columns (tantivy's own aggregations know no
//! time zones, calendar intervals, `filters` or pipelines); `interval` and `date_math`
//! hold the calendar arithmetic; `ndjson` loads files; `document` hands them to tantivy;
//! `catalog` answers `_mapping` and `_field_caps`.

mod aggs;
mod catalog;
mod date_math;
mod document;
mod dsl;
mod error;
mod fields;
pub mod http;
mod interval;
mod ndjson;
mod pattern;
mod query_string;
mod reply;
mod store;
mod timeline;

use serde_json::Value;

pub use aggs::MAX_BUCKETS;
pub use catalog::{Catalog, FieldType};
pub use error::StoreError;
pub use ndjson::{LineError, Loaded, load_documents};
pub use reply::Reply;
pub use store::{DocumentError, EmbeddedStore, StoreBuilder};

use super::{Source, SourceError};
use crate::query::{Answer, PlanLimits};

impl Source for EmbeddedStore {
    /// The answer's bytes, as a cluster would send them: the reply tree serializes faster
    /// than it converts to a `Value`, and the reader scans bytes faster than it walks one.
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        let reply = self.search_reply(index, body)?;
        reply
            .to_json()
            .map(Answer::Bytes)
            .map_err(|error| SourceError::from(StoreError::Engine(error.to_string())))
    }

    async fn limits(&self) -> Result<PlanLimits, SourceError> {
        Ok(PlanLimits {
            max_buckets: self.max_buckets(),
        })
    }
}
