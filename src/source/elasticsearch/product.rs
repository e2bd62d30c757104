//! Which cluster answers: Elasticsearch 7.x–9.x or OpenSearch 1.x–3.x, read from `GET /`,
//! and what that changes in the requests (interval spelling, the bucket budget).

use std::borrow::Cow;

use serde_json::Value;

use crate::source::SourceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    Elasticsearch,
    OpenSearch,
}

/// The product and version a cluster reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    pub distribution: Distribution,
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl std::fmt::Display for Product {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.distribution {
            Distribution::Elasticsearch => "Elasticsearch",
            Distribution::OpenSearch => "OpenSearch",
        };
        write!(f, "{name} {}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Product {
    /// Reads `GET /`'s answer. OpenSearch says `version.distribution: opensearch` (also when
    /// it reports a 7.10.2 compatibility version); Elasticsearch has no distribution and its
    /// tagline, or from 7.14 the `X-Elastic-Product` header.
    pub fn identify(
        info: &Value,
        elastic_product_header: Option<&str>,
    ) -> Result<Product, SourceError> {
        let unsupported = |reason: String| SourceError::Unsupported { reason };
        let number = info
            .pointer("/version/number")
            .and_then(Value::as_str)
            .ok_or_else(|| unsupported("`GET /` did not answer with `version.number`; is this an Elasticsearch or OpenSearch node?".to_string()))?;
        let (major, minor, patch) = parse_version(number).ok_or_else(|| {
            unsupported(format!(
                "`GET /` reported version `{number}`, which is not `major.minor.patch`"
            ))
        })?;
        let opensearch = info
            .pointer("/version/distribution")
            .and_then(Value::as_str)
            == Some("opensearch");
        let elasticsearch = elastic_product_header == Some("Elasticsearch")
            || info.get("tagline").and_then(Value::as_str) == Some("You Know, for Search");
        let distribution = match (opensearch, elasticsearch) {
            (true, _) => Distribution::OpenSearch,
            (false, true) => Distribution::Elasticsearch,
            (false, false) => {
                return Err(unsupported(format!(
                    "`GET /` answered version {number} but neither as Elasticsearch nor as OpenSearch"
                )));
            }
        };
        let product = Product {
            distribution,
            major,
            minor,
            patch,
        };
        let supported = match distribution {
            Distribution::Elasticsearch => (7..=9).contains(&major),
            Distribution::OpenSearch => (1..=3).contains(&major),
        };
        if !supported {
            return Err(unsupported(format!(
                "{product} is not supported; trendwatch speaks to Elasticsearch 7.x–9.x and OpenSearch 1.x–3.x"
            )));
        }
        Ok(product)
    }

    /// The default `search.max_buckets`: 10,000 before Elasticsearch 7.9, 65,535 since
    /// (and in every OpenSearch).
    pub fn default_max_buckets(&self) -> usize {
        match self.distribution {
            Distribution::Elasticsearch if (self.major, self.minor) < (7, 9) => 10_000,
            _ => crate::query::PlanLimits::DEFAULT_MAX_BUCKETS,
        }
    }

    /// Elasticsearch 7.0 and 7.1 know only `interval` in a `date_histogram`;
    /// `fixed_interval` and `calendar_interval` arrived in 7.2.
    fn needs_legacy_interval(&self) -> bool {
        self.distribution == Distribution::Elasticsearch && self.major == 7 && self.minor < 2
    }

    /// The search body this cluster understands.
    pub fn adapt<'a>(&self, body: &'a Value) -> Cow<'a, Value> {
        if !self.needs_legacy_interval() {
            return Cow::Borrowed(body);
        }
        let mut adapted = body.clone();
        rename_intervals(&mut adapted);
        Cow::Owned(adapted)
    }
}

fn parse_version(number: &str) -> Option<(u32, u32, u32)> {
    let core = number.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(str::parse::<u32>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

fn rename_intervals(node: &mut Value) {
    match node {
        Value::Object(object) => {
            if let Some(Value::Object(histogram)) = object.get_mut("date_histogram") {
                for old in ["fixed_interval", "calendar_interval"] {
                    if let Some(interval) = histogram.remove(old) {
                        histogram.insert("interval".to_string(), interval);
                    }
                }
            }
            object.values_mut().for_each(rename_intervals);
        }
        Value::Array(items) => items.iter_mut().for_each(rename_intervals),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn old_elasticsearch_gets_the_old_interval_spelling() {
        let product = Product {
            distribution: Distribution::Elasticsearch,
            major: 7,
            minor: 1,
            patch: 1,
        };
        let body = json!({ "aggs": { "g": { "composite": {}, "aggs": { "s": { "date_histogram": { "field": "@timestamp", "fixed_interval": "5m" } } } } } });
        let adapted = product.adapt(&body);
        assert_eq!(
            adapted["aggs"]["g"]["aggs"]["s"]["date_histogram"],
            json!({ "field": "@timestamp", "interval": "5m" })
        );
        let modern = Product {
            minor: 2,
            ..product
        };
        assert!(matches!(modern.adapt(&body), Cow::Borrowed(_)));
    }

    #[test]
    fn versions_with_suffixes_parse() {
        assert_eq!(parse_version("8.11.0-SNAPSHOT"), Some((8, 11, 0)));
        assert_eq!(parse_version("3.0.0-alpha1"), Some((3, 0, 0)));
        assert_eq!(parse_version("x.y"), None);
    }
}
