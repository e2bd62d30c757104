//! Sources of search results. A `Source` takes an index pattern and a search body and
//! answers with Elasticsearch's response JSON: `elasticsearch` speaks HTTP to a cluster
//! (Elasticsearch 7–9, OpenSearch 1–3), `embedded` is the in-process store.

pub mod elasticsearch;
pub mod embedded;

use std::future::Future;

use serde_json::Value;

use crate::query::{Answer, PlanLimits};

/// One search: the index pattern and the body, borrowed from the plan that made them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchRequest<'a> {
    pub index: &'a str,
    pub body: &'a Value,
}

/// Something that answers Elasticsearch search requests.
pub trait Source: Send + Sync {
    /// Runs one search, returning the answer exactly as Elasticsearch shapes it.
    fn search(
        &self,
        index: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Answer, SourceError>> + Send;

    /// Runs several searches, answering each on its own: one failing fails only itself.
    /// Elasticsearch sends them in `_msearch` round trips; the default runs them in turn.
    fn search_batch(
        &self,
        requests: &[SearchRequest<'_>],
    ) -> impl Future<Output = Vec<Result<Answer, SourceError>>> + Send {
        async move {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(self.search(request.index, request.body).await);
            }
            answers
        }
    }

    /// What one search may ask of this source (its bucket budget).
    fn limits(&self) -> impl Future<Output = Result<PlanLimits, SourceError>> + Send {
        async { Ok(PlanLimits::default()) }
    }
}

/// A borrowed source answers as the source itself: one store can serve several engines
/// (the backtest checks, tests).
impl<S: Source> Source for &S {
    fn search(
        &self,
        index: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Answer, SourceError>> + Send {
        (**self).search(index, body)
    }

    fn search_batch(
        &self,
        requests: &[SearchRequest<'_>],
    ) -> impl Future<Output = Vec<Result<Answer, SourceError>>> + Send {
        (**self).search_batch(requests)
    }

    fn limits(&self) -> impl Future<Output = Result<PlanLimits, SourceError>> + Send {
        (**self).limits()
    }
}

/// Why a search produced no usable answer. Messages carry the cluster's own reason and
/// never a credential.
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
    /// The source answered, but is not something trendwatch can use.
    #[error("unsupported source: {reason}")]
    Unsupported { reason: String },
}
