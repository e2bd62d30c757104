//! The serde shape of a rule document as written in YAML, with source spans kept where
//! a later check needs to point at a value. `validate` turns it into a `Rule`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::model::{Severity, TrendDirection, WindowAggregate};
use super::units::{Duration, Quantity, Rate};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleDocument {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub index: Spanned<String>,
    pub timestamp_field: Option<String>,
    #[serde(default)]
    pub filter: Vec<Spanned<serde_json::Value>>,
    pub group_by: Option<Spanned<OneOrMany>>,
    pub metric: Spanned<MetricSpec>,
    pub bucket: Spanned<Duration>,
    pub window: Option<Spanned<Duration>>,
    pub lookback: Option<Spanned<Duration>>,
    pub every: Option<Spanned<Duration>>,
    pub cron: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
    pub query_delay: Option<Duration>,
    pub condition: Spanned<ConditionSpec>,
    #[serde(rename = "for")]
    pub pending_for: Option<Duration>,
    pub realert: Option<Duration>,
    pub keep_firing_for: Option<Duration>,
    pub notify_on_resolve: Option<bool>,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Spanned<String>>,
    pub notify: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Why a required key matters, shown when it is missing.
pub(super) fn purpose_of_required(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "a unique name for the rule, e.g. `name: api-memory-low`",
        "index" => "the index pattern to search, e.g. `index: metricbeat-*`",
        "metric" => {
            "what to compute per bucket, e.g. `metric: avg(system.cpu.total.pct)` or `metric: count`"
        }
        "bucket" => "the histogram bucket size, e.g. `bucket: 5m`",
        "condition" => "one of `threshold`, `change`, `trend` or `absent`",
        "direction" => {
            "a trend needs the direction that is bad: `direction: down` or `direction: up`"
        }
        "reaches" => "the bound the forecast line must reach, e.g. `reaches: 0B` or `reaches: 95%`",
        "within" => "the forecast horizon, e.g. `within: 48h`",
        _ => return None,
    })
}

/// A string or a list of strings (`group_by: host.name` or `group_by: [host.name, mount]`).
#[derive(Debug)]
pub(super) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a list of names")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// `metric: avg(field)` or `metric: { ratio: { of: ..., over: ... } }`.
#[derive(Debug)]
pub(super) enum MetricSpec {
    Expression(String),
    Ratio(Box<RatioSpec>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RatioSpec {
    pub of: Option<Spanned<serde_json::Value>>,
    pub over: Option<Spanned<serde_json::Value>>,
}

impl<'de> Deserialize<'de> for MetricSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetricVisitor;
        impl<'de> Visitor<'de> for MetricVisitor {
            type Value = MetricSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a metric such as `count`, `avg(field)`, `p95(field)` or `ratio: { of: <filter> }`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<MetricSpec, E> {
                Ok(MetricSpec::Expression(value.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetricSpec, A::Error> {
                let key: String = map.next_key()?.ok_or_else(|| {
                    de::Error::custom(
                        "an empty mapping is not a metric; write e.g. `metric: count`",
                    )
                })?;
                if key != "ratio" {
                    return Err(de::Error::unknown_variant(&key, &["ratio"]));
                }
                let ratio: RatioSpec = map.next_value()?;
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom("a metric mapping holds only `ratio`"));
                }
                Ok(MetricSpec::Ratio(Box::new(ratio)))
            }
        }
        deserializer.deserialize_any(MetricVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub(super) enum ConditionSpec {
    Threshold(ThresholdSpec),
    Change(ChangeSpec),
    Trend(TrendSpec),
    Absent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ThresholdSpec {
    pub above: Option<Quantity>,
    pub below: Option<Quantity>,
    #[serde(default)]
    pub of: WindowAggregate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeSpec {
    pub compare_to: Option<Spanned<OneOrMany>>,
    pub increase: Option<Spanned<AmountText>>,
    pub decrease: Option<Spanned<AmountText>>,
    #[serde(default)]
    pub min_count: u64,
}

/// A change amount kept as text until validation (`3x`, `50%`, `200`).
#[derive(Debug)]
pub(super) struct AmountText(pub String);

impl<'de> Deserialize<'de> for AmountText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let quantity_or_text = serde_json::Value::deserialize(deserializer)?;
        match quantity_or_text {
            serde_json::Value::String(text) => Ok(AmountText(text)),
            serde_json::Value::Number(number) => Ok(AmountText(number.to_string())),
            other => Err(de::Error::custom(format!(
                "expected an amount such as `3x`, `50%` or `200`, found {other}"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TrendSpec {
    pub direction: TrendDirection,
    pub min_rate: Option<Rate>,
    pub forecast: Option<ForecastSpec>,
    pub significance: Option<Spanned<f64>>,
    pub season: Option<Spanned<Duration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ForecastSpec {
    pub reaches: Quantity,
    pub within: Duration,
}
