//! The Elasticsearch source: trendwatch's searches sent over HTTP(S) to an Elasticsearch
//! 7.x–9.x or OpenSearch 1.x–3.x cluster, as a light and polite client.
//!
//! - `settings`: nodes (or a Cloud ID), credentials, TLS material, timeouts, from the config;
//! - `transport`: the HTTP client, failover across nodes, retries with backoff;
//! - `product`: which product and version answered `GET /`, and how requests adapt to it;
//! - `msearch`: several rules' searches in one `_msearch` round trip;
//! - `errors`: the cluster's error answers as errors that keep its own reason.
//!
//! The product is detected once, on first use. Searches ask for the shard request cache
//! when they can be cached (`size: 0` and no `now` in the body): trendwatch's own ranges
//! are absolute and aligned to buckets, so rules evaluated at the same instant, and
//! backtests, hit the cache.

mod errors;
mod msearch;
mod product;
mod retry;
mod settings;
mod transport;

use std::borrow::Cow;
use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;
use tokio::sync::OnceCell;

pub use product::{Distribution, Product};
pub use retry::RetryPolicy;
pub use settings::{Credentials, Hidden, Settings, SettingsError, cloud_id_url, parse_node_url};
pub use transport::{Pause, Sleep, install_crypto_provider};

use super::{SearchRequest, Source, SourceError};
use crate::query::{Answer, PlanLimits};
use transport::{Payload, Transport};

/// A cluster, reached over HTTP.
#[derive(Debug)]
pub struct ElasticsearchSource {
    transport: Transport,
    product: OnceCell<Product>,
    msearch_batch: usize,
    max_buckets: Option<usize>,
}

impl ElasticsearchSource {
    /// A source for the cluster `settings` describe. Nothing is sent until the first use.
    pub fn new(settings: &Settings) -> Result<Self, SourceError> {
        Self::with_pause(settings, Arc::new(Sleep))
    }

    /// [`Self::new`] with the wait between retries supplied (tests record it instead).
    pub fn with_pause(settings: &Settings, pause: Arc<dyn Pause>) -> Result<Self, SourceError> {
        Ok(ElasticsearchSource {
            transport: Transport::new(settings, pause)?,
            product: OnceCell::new(),
            msearch_batch: settings.msearch_batch.max(1),
            max_buckets: settings.max_buckets,
        })
    }

    /// The product and version of the cluster, asked with `GET /` the first time.
    pub async fn product(&self) -> Result<Product, SourceError> {
        self.product
            .get_or_try_init(|| async {
                let answer = self.transport.send(Method::GET, "/", Payload::None).await?;
                let elastic_product = answer.elastic_product.clone();
                let info = success_json(answer)?;
                Product::identify(&info, elastic_product.as_deref())
            })
            .await
            .copied()
    }

    /// `_field_caps` for `fields` in the indices matching `index`.
    pub async fn field_caps(&self, index: &str, fields: &[String]) -> Result<Value, SourceError> {
        self.product().await?;
        let path = format!(
            "/{}/_field_caps?fields={}&ignore_unavailable=true",
            encode(index),
            fields
                .iter()
                .map(|f| encode(f))
                .collect::<Vec<_>>()
                .join(",")
        );
        let answer = self
            .transport
            .send(Method::GET, &path, Payload::None)
            .await?;
        success_json(answer)
    }
}

impl Source for ElasticsearchSource {
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        let product = self.product().await?;
        let body = product.adapt(body);
        let cache = if cacheable(&body) {
            "?request_cache=true"
        } else {
            ""
        };
        let path = format!("/{}/_search{cache}", encode(index));
        let answer = self
            .transport
            .send(Method::POST, &path, Payload::Json(&body))
            .await?;
        success_body(answer).map(Answer::Bytes)
    }

    async fn search_batch(
        &self,
        requests: &[SearchRequest<'_>],
    ) -> Vec<Result<Answer, SourceError>> {
        let product = match self.product().await {
            Ok(product) => product,
            Err(error) => return vec![Err(error); requests.len()],
        };
        let mut answers = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(self.msearch_batch) {
            let adapted: Vec<(&str, Cow<'_, Value>, bool)> = chunk
                .iter()
                .map(|request| {
                    let body = product.adapt(request.body);
                    let cache = cacheable(&body);
                    (request.index, body, cache)
                })
                .collect();
            let text = msearch::body(&adapted);
            let answer = self
                .transport
                .send(Method::POST, "/_msearch", Payload::NdJson(&text))
                .await
                .and_then(success_body);
            match answer {
                Ok(bytes) => answers.extend(msearch::split(&bytes, chunk.len())),
                Err(error) => answers.extend(std::iter::repeat_n(Err(error), chunk.len())),
            }
        }
        answers
    }

    async fn limits(&self) -> Result<PlanLimits, SourceError> {
        let product = self.product().await?;
        Ok(PlanLimits {
            max_buckets: self.max_buckets.unwrap_or(product.default_max_buckets()),
        })
    }
}

/// The body of a successful answer, unparsed, or the cluster's error.
fn success_body(answer: transport::Answer) -> Result<Vec<u8>, SourceError> {
    if !(200..300).contains(&answer.status) {
        return Err(errors::rejection(answer.status, &answer.body, &answer.node));
    }
    Ok(answer.body)
}

/// The JSON of a successful answer, or the cluster's error.
fn success_json(answer: transport::Answer) -> Result<Value, SourceError> {
    let (node, status) = (answer.node.clone(), answer.status);
    let body = success_body(answer)?;
    serde_json::from_slice(&body).map_err(|error| SourceError::Unavailable {
        reason: format!("{node} answered HTTP {status} with a body that is not JSON ({error})"),
    })
}

/// Whether the shard request cache may keep the answer: no hits, and nothing relative to
/// `now` (Elasticsearch would not cache that anyway, and should not be asked to).
fn cacheable(body: &Value) -> bool {
    fn mentions_now(value: &Value) -> bool {
        match value {
            Value::String(text) => text.contains("now"),
            Value::Array(items) => items.iter().any(mentions_now),
            Value::Object(object) => object.values().any(mentions_now),
            _ => false,
        }
    }
    body.get("size").and_then(Value::as_u64) == Some(0) && !mentions_now(body)
}

/// Percent-encodes a path segment, keeping what index patterns and field lists use.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.*,:+@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_absolute_size_zero_searches_are_cached() {
        assert!(cacheable(
            &json!({ "size": 0, "query": { "range": { "@timestamp": { "gte": 1, "lt": 2 } } } })
        ));
        assert!(!cacheable(
            &json!({ "size": 0, "query": { "range": { "@timestamp": { "gte": "now-1h" } } } })
        ));
        assert!(!cacheable(&json!({ "query": { "match_all": {} } })));
    }

    #[test]
    fn index_names_are_encoded_for_the_path() {
        assert_eq!(encode("metricbeat-*,filebeat-*"), "metricbeat-*,filebeat-*");
        assert_eq!(encode("<logs-{now/d}>"), "%3Clogs-%7Bnow%2Fd%7D%3E");
    }
}
