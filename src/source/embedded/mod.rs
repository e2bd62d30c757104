//! The embedded store: an in-process document store on tantivy that evaluates the search
//! bodies trendwatch sends and answers in Elasticsearch's response shape, so the same
//! parser reads both. Requests outside the supported subset are errors, never
//! approximations. This is the first, minimal version: the query DSL and aggregations the
//! planner emits; the HTTP server and the rest of the DSL come with the store's own issue.

mod aggs;
mod dsl;
mod error;
mod fields;
mod ndjson;
mod store;

use serde_json::Value;

pub use error::StoreError;
pub use ndjson::{LineError, load_ndjson};
pub use store::{DocumentError, EmbeddedStore, StoreBuilder};

use super::{Source, SourceError};

impl Source for EmbeddedStore {
    async fn search(&self, index: &str, body: &Value) -> Result<Value, SourceError> {
        EmbeddedStore::search(self, index, body).map_err(SourceError::from)
    }
}
