//! Errors of the embedded store, shaped like Elasticsearch's so clients read them the same.

use serde_json::{Value, json};

use crate::source::SourceError;

/// A request the store cannot answer exactly; never answered approximately instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Malformed request: the JSON at `path` is not what Elasticsearch accepts there.
    #[error("[{path}] {reason}")]
    Parsing { path: String, reason: String },
    /// Valid Elasticsearch, but outside the subset the embedded store evaluates.
    #[error("[{path}] {feature} is not supported by the embedded store")]
    Unsupported { path: String, feature: String },
    /// The aggregations would create more buckets than `search.max_buckets` allows.
    #[error(
        "Trying to create too many buckets. Must be less than or equal to: [{limit}] but was [{requested}]. \
         Narrow the time range, widen the interval, or page through groups with a composite aggregation"
    )]
    TooManyBuckets { limit: usize, requested: usize },
    #[error("no such index [{index}]")]
    IndexNotFound { index: String },
    /// tantivy failed while executing a translated request.
    #[error("search failed: {0}")]
    Engine(String),
}

impl StoreError {
    pub fn status(&self) -> u16 {
        match self {
            StoreError::Parsing { .. }
            | StoreError::Unsupported { .. }
            | StoreError::TooManyBuckets { .. } => 400,
            StoreError::IndexNotFound { .. } => 404,
            StoreError::Engine(_) => 500,
        }
    }

    /// Elasticsearch's `error.type` for this error.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Parsing { .. } => "parsing_exception",
            StoreError::Unsupported { .. } => "illegal_argument_exception",
            StoreError::TooManyBuckets { .. } => "too_many_buckets_exception",
            StoreError::IndexNotFound { .. } => "index_not_found_exception",
            StoreError::Engine(_) => "search_phase_execution_exception",
        }
    }

    /// The error response body Elasticsearch would send.
    pub fn to_response(&self) -> Value {
        let cause = json!({ "type": self.kind(), "reason": self.to_string() });
        json!({
            "error": { "root_cause": [cause.clone()], "type": self.kind(), "reason": self.to_string() },
            "status": self.status()
        })
    }

    pub(super) fn parsing(path: &str, reason: impl Into<String>) -> Self {
        StoreError::Parsing {
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    pub(super) fn unsupported(path: &str, feature: impl Into<String>) -> Self {
        StoreError::Unsupported {
            path: path.to_string(),
            feature: feature.into(),
        }
    }
}

impl From<tantivy::TantivyError> for StoreError {
    fn from(error: tantivy::TantivyError) -> Self {
        StoreError::Engine(error.to_string())
    }
}

impl From<StoreError> for SourceError {
    fn from(error: StoreError) -> Self {
        SourceError::Rejected {
            status: error.status(),
            kind: error.kind().to_string(),
            reason: error.to_string(),
        }
    }
}
