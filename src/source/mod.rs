//! Sources of search results. A `Source` takes an index pattern and a search body and
//! answers with Elasticsearch's response JSON; `embedded` is the in-process store.
//! The Elasticsearch HTTP source arrives with its own issue.

pub mod embedded;

use std::future::Future;

use serde_json::Value;

/// Something that answers Elasticsearch search requests.
pub trait Source: Send + Sync {
    /// Runs one search, returning the response body exactly as Elasticsearch shapes it.
    fn search(
        &self,
        index: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Value, SourceError>> + Send;
}

/// Why a search produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The search was understood and refused (HTTP 4xx/5xx with an Elasticsearch error).
    #[error("search rejected ({status} {kind}): {reason}")]
    Rejected {
        status: u16,
        kind: String,
        reason: String,
    },
    /// The source could not be reached or did not answer.
    #[error("source unavailable: {reason}")]
    Unavailable { reason: String },
}
