//! A search answer as the source produced it — the bytes a cluster (or the embedded
//! store) sent, or a JSON tree built in process — and the typed view of it the series
//! reader falls back to. Bytes of the expected shape are scanned straight into series
//! (`scan_page`); these types read everything else, JSON trees included, and name the path
//! where an answer differs from what was asked. Fields trendwatch does not read, like
//! `key_as_string`, are skipped as they are parsed.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

/// One search's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The body as received (HTTP sources), or as the embedded store wrote it.
    Bytes(Vec<u8>),
    /// JSON made in process (a `Source` that builds its answers as trees).
    Json(Value),
}

impl Answer {
    /// The answer as a JSON tree (for display and tools; the reader does not need it).
    pub fn into_json(self) -> Result<Value, serde_json::Error> {
        match self {
            Answer::Bytes(bytes) => serde_json::from_slice(&bytes),
            Answer::Json(value) => Ok(value),
        }
    }

    /// Reads the answer into `T`; an error names the JSON path where it failed. The path is
    /// tracked only on a second reading after a failure, so good answers read at full speed.
    pub(super) fn read<T: for<'de> Deserialize<'de>>(&self) -> Result<T, (String, String)> {
        let fast = match self {
            Answer::Bytes(bytes) => serde_json::from_slice(bytes),
            Answer::Json(value) => T::deserialize(value),
        };
        let error = match fast {
            Ok(read) => return Ok(read),
            Err(error) => error,
        };
        let failed = |error: serde_path_to_error::Error<serde_json::Error>| {
            (error.path().to_string(), error.into_inner().to_string())
        };
        let traced: Result<T, _> = match self {
            Answer::Bytes(bytes) => {
                let mut deserializer = serde_json::Deserializer::from_slice(bytes);
                serde_path_to_error::deserialize(&mut deserializer).map_err(failed)
            }
            Answer::Json(value) => serde_path_to_error::deserialize(value).map_err(failed),
        };
        match traced {
            Err(traced) => Err(traced),
            Ok(_) => Err((".".to_string(), error.to_string())),
        }
    }
}

/// A search response whose aggregations read as `A`: a series search's by default, or a
/// count check's ([`CountAggregations`]).
#[derive(Debug, Deserialize)]
pub(super) struct Response<A = Aggregations> {
    #[serde(default)]
    pub timed_out: bool,
    #[serde(rename = "_shards")]
    pub shards: Option<Shards>,
    pub aggregations: Option<A>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Shards {
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub failures: Vec<ShardFailure>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShardFailure {
    pub reason: Option<Cause>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Cause {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Aggregations {
    pub group: Option<Composite>,
    pub series: Option<Histogram>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Composite {
    pub buckets: Vec<GroupBucket>,
    pub after_key: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct GroupBucket {
    pub key: BTreeMap<String, Value>,
    pub series: Histogram,
}

/// A count check's aggregations: documents per group, or in all for an ungrouped rule.
#[derive(Debug, Deserialize)]
pub(super) struct CountAggregations {
    pub group: Option<CountComposite>,
    pub total: Option<Count>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CountComposite {
    pub buckets: Vec<CountBucket>,
    pub after_key: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CountBucket {
    pub key: BTreeMap<String, Value>,
    pub doc_count: u64,
}

#[derive(Debug, Deserialize)]
pub(super) struct Histogram {
    pub buckets: Vec<TimeBucket>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TimeBucket {
    pub key: Timestamp,
    pub doc_count: u64,
    pub value: Option<MetricValue>,
    pub numerator: Option<Count>,
    pub denominator: Option<Count>,
}

/// A single-value metric (`value`) or percentiles (`values`, keyed by percent).
#[derive(Debug, Deserialize)]
pub(super) struct MetricValue {
    #[serde(default)]
    pub value: Option<f64>,
    pub values: Option<BTreeMap<String, Option<f64>>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Count {
    pub doc_count: u64,
}

/// An epoch-millisecond bucket key: an integer, or a float with no fraction (some
/// servers write `1699999200000.0`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Timestamp(pub i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Millis;
        impl Visitor<'_> for Millis {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an epoch-millisecond timestamp")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp)
                    .map_err(|_| E::custom("a timestamp beyond the year 292 million"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if v.fract() == 0.0 && v.abs() < 9.2e18 {
                    Ok(Timestamp(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Millis)
    }
}
