//! The validated rule: what a loaded rule means, in types that cannot hold an invalid one.
//!
//! Nothing here parses YAML; `document` and `validate` turn text into these types.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::units::{Duration, Quantity, Rate};

/// One alerting rule, fully validated.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    /// Where the rule was written, for messages that point back at it.
    pub origin: Origin,
    /// Index pattern(s) to search, as Elasticsearch takes them (`metricbeat-*`, `a,b`).
    pub index: String,
    pub timestamp_field: String,
    /// Query DSL clauses, AND-ed (ElastAlert's `filter:`).
    pub filter: Vec<serde_json::Value>,
    /// Fields whose distinct values each get their own series (empty: one series).
    pub group_by: Vec<String>,
    pub metric: Metric,
    /// Histogram bucket size.
    pub bucket: Duration,
    /// The recent span the condition judges (threshold aggregate, change window, absence).
    pub window: Duration,
    /// How far back the series reaches (the trend's fit span; at least `window`).
    pub lookback: Duration,
    pub schedule: Schedule,
    /// Ingest lag to wait for: the rule sees data up to `now - query_delay`.
    pub query_delay: Duration,
    pub condition: Condition,
    /// How long the condition must hold before the alert fires (Prometheus' `for`).
    pub pending_for: Duration,
    /// While firing, how long before the same alert notifies again.
    pub realert: Duration,
    /// How long the condition must stay clear before a firing alert resolves.
    pub keep_firing_for: Duration,
    pub notify_on_resolve: bool,
    pub severity: Severity,
    pub labels: BTreeMap<String, String>,
    /// Message templates (`summary`, `description`, ...), minijinja syntax, checked at load.
    pub annotations: BTreeMap<String, String>,
    /// Names of notifiers defined in the engine config.
    pub notify: Vec<String>,
}

/// The file and line where a rule document starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// What is computed per bucket.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// Number of matching documents.
    Count,
    /// A single-value aggregation of a numeric field.
    Field {
        aggregation: FieldAggregation,
        field: String,
    },
    /// A percentile (0–100) of a numeric field.
    Percentile { field: String, percent: f64 },
    /// Documents matching `numerator` divided by documents matching `denominator`
    /// (all documents of the rule when absent), e.g. 5xx responses / all responses.
    Ratio {
        numerator: serde_json::Value,
        denominator: Option<serde_json::Value>,
    },
}

impl Metric {
    /// Whether the bucket value is a document count (so an empty bucket is 0, not missing).
    pub fn is_count(&self) -> bool {
        matches!(self, Metric::Count)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Count => f.write_str("count"),
            Metric::Field { aggregation, field } => write!(f, "{}({field})", aggregation.name()),
            Metric::Percentile { field, percent } => write!(f, "p{percent}({field})"),
            Metric::Ratio { .. } => f.write_str("ratio"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAggregation {
    Avg,
    Min,
    Max,
    Sum,
    /// Approximate distinct count (Elasticsearch `cardinality`).
    Distinct,
}

impl FieldAggregation {
    pub const ALL: [(&'static str, FieldAggregation); 5] = [
        ("avg", FieldAggregation::Avg),
        ("min", FieldAggregation::Min),
        ("max", FieldAggregation::Max),
        ("sum", FieldAggregation::Sum),
        ("distinct", FieldAggregation::Distinct),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, aggregation)| *aggregation == self)
            .map_or("?", |(name, _)| name)
    }
}

/// When a rule runs.
#[derive(Debug, Clone)]
pub enum Schedule {
    Every(Duration),
    Cron {
        expression: String,
        cron: Box<croner::Cron>,
        timezone: chrono_tz::Tz,
    },
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Every(every) => write!(f, "every {every}"),
            Schedule::Cron {
                expression,
                timezone,
                ..
            } => write!(f, "cron `{expression}` ({timezone})"),
        }
    }
}

/// The comparison a rule makes; exactly one per rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Threshold(Threshold),
    Change(Change),
    Trend(Trend),
    /// A group that reported within `lookback` has no data in the last `window`.
    Absent,
}

impl Condition {
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::Threshold(_) => "threshold",
            Condition::Change(_) => "change",
            Condition::Trend(_) => "trend",
            Condition::Absent => "absent",
        }
    }
}

/// `threshold: { below: 100MB, of: min }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub side: Side,
    pub bound: Quantity,
    /// How the window's buckets are reduced to the one value compared.
    pub of: WindowAggregate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Above,
    Below,
}

/// How the buckets of the window are reduced to one value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum WindowAggregate {
    /// The newest bucket that has data.
    #[default]
    Last,
    Mean,
    Min,
    Max,
    Median,
    Sum,
    /// `p95`: the value below which that percentage of the window's buckets lie
    /// (linear interpolation between closest ranks, as numpy's default).
    Percentile(f64),
}

impl WindowAggregate {
    pub const NAMES: &'static str =
        "`last`, `mean`, `min`, `max`, `median`, `sum` or a percentile such as `p95`";
}

impl std::str::FromStr for WindowAggregate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(match text {
            "last" => WindowAggregate::Last,
            "mean" => WindowAggregate::Mean,
            "min" => WindowAggregate::Min,
            "max" => WindowAggregate::Max,
            "median" => WindowAggregate::Median,
            "sum" => WindowAggregate::Sum,
            _ => {
                let percent = text
                    .strip_prefix('p')
                    .and_then(|digits| digits.parse::<f64>().ok())
                    .filter(|p| *p > 0.0 && *p < 100.0)
                    .ok_or_else(|| {
                        format!(
                            "unknown window aggregate `{text}`; expected {}",
                            Self::NAMES
                        )
                    })?;
                WindowAggregate::Percentile(percent)
            }
        })
    }
}

impl<'de> Deserialize<'de> for WindowAggregate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `change: { compare_to: [1d, 7d], increase: 3x, min_count: 200 }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The earlier windows the current one is compared with; the change must hold against each.
    pub baselines: Vec<Baseline>,
    pub direction: ChangeDirection,
    pub amount: ChangeAmount,
    /// The fewest documents the current window and each baseline must hold to be judged.
    pub min_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The window right before the current one.
    Previous,
    /// The same window this long ago (`1d`, `7d`).
    Ago(Duration),
    /// The median of the same window `every` ago, `2·every` ago, … `count·every` ago
    /// (`median of 7 x 1d`): a seasonal baseline that one odd day cannot move.
    MedianOf { count: u32, every: Duration },
}

impl Baseline {
    /// How far back from the current window each window of this baseline ends.
    pub fn offsets(self, window: Duration) -> Vec<Duration> {
        match self {
            Baseline::Previous => vec![window],
            Baseline::Ago(offset) => vec![offset],
            Baseline::MedianOf { count, every } => (1..=u64::from(count))
                .map(|k| Duration::from_millis(every.as_millis().saturating_mul(k)))
                .collect(),
        }
    }

    /// The farthest any of its windows ends back from the current one.
    pub fn reach(self, window: Duration) -> Duration {
        self.offsets(window)
            .into_iter()
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Baseline::Previous => f.write_str("the previous window"),
            Baseline::Ago(offset) => write!(f, "{offset} ago"),
            Baseline::MedianOf { count, every } => {
                write!(f, "the median of the last {count} x {every}")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeDirection {
    Increase,
    Decrease,
}

/// How large a change must be: `3x` (factor), `50%` (relative), `200` (absolute difference).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeAmount {
    Factor(f64),
    Relative(f64),
    Absolute(f64),
}

/// `trend: { direction: down, forecast: { reaches: 0B, within: 48h } }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// The direction that is bad.
    pub direction: TrendDirection,
    /// A slope smaller than this (in absolute value) never fires.
    pub min_rate: Option<Rate>,
    pub forecast: Option<Forecast>,
    /// The significance level of the Mann–Kendall test (default 0.05).
    pub significance: f64,
    /// Pair each bucket only with buckets at the same phase of this cycle (`1d`: the same
    /// time of day), so daily cycles and nightly log-rotation sawteeth are not trends.
    pub season: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendDirection {
    Up,
    Down,
}

/// Fire only when the fitted line reaches `reaches` within `within`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub reaches: Quantity,
    pub within: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        })
    }
}
