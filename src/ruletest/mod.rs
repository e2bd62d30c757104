//! Rule unit tests (`trendwatch test`), in the spirit of `promtool test rules`: a YAML file
//! names rule files, gives input series per group in a compact notation ([`notation`]) and
//! the alerts expected to be firing at given times. Each test loads its series into a fresh
//! embedded store and replays the rules through the real backtest (searches, analysis,
//! alert lifecycle), so a test passes exactly when the rule would behave so in production.
//!
//! ```yaml
//! rule_files: [../../rules/api-memory-low.yaml]
//! start: 2026-11-19T00:00:00Z        # the first point's time (default 2026-01-01)
//! tests:
//!   - name: a host under 100 MB for 3 minutes pages
//!     interval: 1m                     # time between points (default: the rule's bucket)
//!     input_series:
//!       - fields: { metricset.name: memory, host.name: api-1 }
//!         values: '300MB-25MBx20'
//!     alerts:
//!       - at: 10m                      # an offset from start, or an RFC 3339 time
//!         firing: []
//!       - at: 19m
//!         firing: [api-1]
//! ```

pub mod notation;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::alerts::Event;
use crate::engine::backtest::{Backtest, backtest};
use crate::query::group_name;
use crate::rules::{Diagnostic, Duration, Metric, Rule, ValidationContext, load_paths};
use crate::source::embedded::StoreBuilder;

/// When the first point is, unless the file says.
const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

/// The most documents one test loads (a million takes seconds; a rule test needs far
/// fewer). Counts matter: for count and ratio rules every value is that many documents.
const MOST_DOCUMENTS: usize = 2_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    rule_files: Vec<PathBuf>,
    start: Option<DateTime<Utc>>,
    tests: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    name: String,
    interval: Option<Duration>,
    input_series: Vec<InputSeries>,
    #[serde(default)]
    alerts: Vec<Expectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputSeries {
    /// The documents' fields besides the time and the value: what the rules filter and
    /// group by.
    #[serde(default)]
    fields: BTreeMap<String, Value>,
    /// The field each value is written to. Default: the field the rules' metric reads;
    /// for count and ratio rules each value is instead how many such documents a point has.
    field: Option<String>,
    values: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    /// An offset from `start` (`90m`) or an RFC 3339 time.
    at: String,
    /// The rule, when the file names several.
    rule: Option<String>,
    /// The groups firing at that time, as the CLI names them (`api-3`, `web-2 /var`, or
    /// `all` for an ungrouped rule).
    firing: Vec<String>,
}

/// One test's result.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    pub file: PathBuf,
    pub name: String,
    /// Empty when the test passed.
    pub failures: Vec<String>,
}

/// Why a test file could not be run at all.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.iter().map(Diagnostic::render).collect::<Vec<_>>().join("\n\n"))]
pub struct TestFileError(pub Vec<Diagnostic>);

/// Runs every test of one test file.
pub async fn run_file(path: &Path) -> Result<Vec<TestOutcome>, TestFileError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        TestFileError(vec![Diagnostic::for_file(
            path,
            format!("cannot read test file: {error}"),
        )])
    })?;
    let file: TestFile = serde_saphyr::from_str(&text)
        .map_err(|error| TestFileError(vec![Diagnostic::from_yaml(path, &error)]))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rule_paths: Vec<PathBuf> = file.rule_files.iter().map(|p| base.join(p)).collect();
    let loaded = load_paths(&rule_paths, &ValidationContext::default());
    if !loaded.diagnostics.is_empty() {
        return Err(TestFileError(loaded.diagnostics));
    }
    if loaded.rules.is_empty() {
        return Err(TestFileError(vec![Diagnostic::for_file(
            path,
            "`rule_files` holds no rule",
        )]));
    }
    let start = match file.start {
        Some(start) => start,
        None => DEFAULT_START.parse().unwrap_or_default(),
    };
    let mut outcomes = Vec::new();
    for case in &file.tests {
        let failures = match run_case(case, &loaded.rules, start).await {
            Ok(failures) => failures,
            Err(problem) => vec![problem],
        };
        outcomes.push(TestOutcome {
            file: path.to_path_buf(),
            name: case.name.clone(),
            failures,
        });
    }
    Ok(outcomes)
}

/// Runs one test: its failures (expected vs got), or `Err` when the test itself is wrong.
async fn run_case(
    case: &TestCase,
    rules: &[Rule],
    start: DateTime<Utc>,
) -> Result<Vec<String>, String> {
    let interval = case
        .interval
        .unwrap_or(rules[0].bucket)
        .as_millis_i64()
        .max(1);
    let time_field = rules[0].timestamp_field.as_str();
    let indices: BTreeSet<String> = rules.iter().map(|rule| index_for(&rule.index)).collect();
    let mut builder = StoreBuilder::new(time_field).map_err(|e| e.to_string())?;
    let mut loaded = 0_usize;
    for (number, input) in case.input_series.iter().enumerate() {
        let values = notation::parse_series(&input.values)
            .map_err(|error| format!("input_series #{}: {error}", number + 1))?;
        let writing = Writing::for_input(input, rules)
            .map_err(|reason| format!("input_series #{}: {reason}", number + 1))?;
        for (k, value) in values.iter().enumerate() {
            let Some(value) = value else { continue };
            let at = i64::try_from(k)
                .ok()
                .and_then(|k| interval.checked_mul(k))
                .and_then(|offset| start.timestamp_millis().checked_add(offset))
                .ok_or_else(|| {
                    format!(
                        "input_series #{}: point {} is beyond any date (the interval is too long)",
                        number + 1,
                        k + 1
                    )
                })?;
            let documents = writing.documents(input, time_field, at, *value)?;
            loaded = loaded.saturating_add(documents.len() * indices.len());
            if loaded > MOST_DOCUMENTS {
                return Err(format!(
                    "input_series #{}: the test would load more than {MOST_DOCUMENTS} documents \
                     (for count and ratio rules each value is a number of documents); a rule \
                     test needs far fewer",
                    number + 1
                ));
            }
            for document in documents {
                for index in &indices {
                    builder
                        .add(index, &document)
                        .map_err(|error| format!("input_series #{}: {error}", number + 1))?;
                }
            }
        }
    }
    let store = builder.finish().map_err(|e| e.to_string())?;
    let mut replays: BTreeMap<String, Backtest> = BTreeMap::new();
    let mut failures = Vec::new();
    for expectation in &case.alerts {
        let rule = pick(rules, expectation.rule.as_deref())?;
        let at = instant(&expectation.at, start)?;
        if at <= start {
            return Err(format!(
                "alert at `{}` is not after the start ({start})",
                expectation.at
            ));
        }
        // One replay per rule, long enough for its latest expectation.
        if !replays.contains_key(&rule.name) {
            let until = case
                .alerts
                .iter()
                .filter(|e| e.rule.as_deref().is_none_or(|name| name == rule.name))
                .filter_map(|e| instant(&e.at, start).ok())
                .max()
                .unwrap_or(at);
            let replay = backtest(rule, &store, start, until)
                .await
                .map_err(|error| error.to_string())?;
            replays.insert(rule.name.clone(), replay);
        }
        let replay = &replays[&rule.name];
        let got = firing_at(replay, at);
        let expected: BTreeSet<String> = expectation.firing.iter().cloned().collect();
        if got != expected {
            failures.push(format!(
                "{} at {} ({}): expected firing [{}], got [{}]{}",
                rule.name,
                expectation.at,
                at.format("%Y-%m-%d %H:%M"),
                join(&expected),
                join(&got),
                last_words(replay, at, &expected, &got)
            ));
        }
    }
    Ok(failures)
}

/// How an input series becomes documents.
enum Writing {
    /// One document per point with the value in this field.
    Field(String),
    /// `value` documents per point (count and ratio rules).
    Count,
}

impl Writing {
    fn for_input(input: &InputSeries, rules: &[Rule]) -> Result<Writing, String> {
        if let Some(field) = &input.field {
            return Ok(Writing::Field(field.clone()));
        }
        let fields: BTreeSet<&str> = rules
            .iter()
            .filter_map(|rule| match &rule.metric {
                Metric::Field { field, .. } | Metric::Percentile { field, .. } => {
                    Some(field.as_str())
                }
                Metric::Count | Metric::Ratio { .. } => None,
            })
            .collect();
        let fields: Vec<&str> = fields.into_iter().collect();
        match fields.as_slice() {
            [] => Ok(Writing::Count),
            [field] => Ok(Writing::Field((*field).to_string())),
            several => Err(format!(
                "the rules read several fields ({}): say which one with `field:`",
                several.join(", ")
            )),
        }
    }

    fn documents(
        &self,
        input: &InputSeries,
        time_field: &str,
        at: i64,
        value: f64,
    ) -> Result<Vec<Value>, String> {
        let mut base: Map<String, Value> = input.fields.clone().into_iter().collect();
        base.insert(time_field.to_string(), Value::from(at));
        match self {
            Writing::Field(field) => {
                base.insert(field.clone(), Value::from(value));
                Ok(vec![Value::Object(base)])
            }
            Writing::Count => {
                if value < 0.0 || value.fract() != 0.0 || value > 100_000.0 {
                    return Err(format!(
                        "`{value}`: for count and ratio rules each value is a number of \
                         documents (a whole number from 0 to 100000)"
                    ));
                }
                Ok(vec![Value::Object(base); value as usize])
            }
        }
    }
}

/// An index the rule's pattern matches: `metricbeat-*` → `metricbeat-test`.
fn index_for(pattern: &str) -> String {
    let first = pattern.split(',').next().unwrap_or(pattern).trim();
    first.replace('*', "test")
}

fn pick<'a>(rules: &'a [Rule], name: Option<&str>) -> Result<&'a Rule, String> {
    match name {
        Some(name) => rules.iter().find(|r| r.name == name).ok_or_else(|| {
            format!(
                "no rule named `{name}` in rule_files (they hold: {})",
                rules
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
        None if rules.len() == 1 => Ok(&rules[0]),
        None => Err("rule_files hold several rules: name one with `rule:`".to_string()),
    }
}

fn instant(text: &str, start: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(offset) = text.parse::<Duration>() {
        return Ok(start + chrono::Duration::milliseconds(offset.as_millis_i64()));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`at: {text}`: expected an offset (90m) or an RFC 3339 time"))
}

/// The groups whose alert is firing after the last run at or before `at`.
fn firing_at(replay: &Backtest, at: DateTime<Utc>) -> BTreeSet<String> {
    replay
        .groups
        .iter()
        .filter(|group| {
            group
                .events
                .iter()
                .filter(|e| e.at <= at)
                .rfind(|e| matches!(e.event, Event::Fired | Event::Resolved { .. }))
                .is_some_and(|e| e.event == Event::Fired)
        })
        .map(|group| group_name(&group.group.0))
        .collect()
}

/// For each group that differs, its last alert event before `at`, to say why.
fn last_words(
    replay: &Backtest,
    at: DateTime<Utc>,
    expected: &BTreeSet<String>,
    got: &BTreeSet<String>,
) -> String {
    let differing: BTreeSet<&String> = expected.symmetric_difference(got).collect();
    let mut words = String::new();
    for name in differing {
        let group = replay
            .groups
            .iter()
            .find(|g| group_name(&g.group.0) == *name);
        let said = match group.and_then(|g| g.events.iter().rfind(|e| e.at <= at)) {
            Some(event) => format!(
                "last event {:?} at {}: {}",
                event.event,
                event.at.format("%H:%M"),
                event.verdict.explanation
            ),
            None if group.is_some() => "no alert event by then".to_string(),
            None => "no such group in the input".to_string(),
        };
        words.push_str(&format!("\n        {name}: {said}"));
    }
    words
}

fn join(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_go_to_an_index_the_rule_searches() {
        assert_eq!(index_for("metricbeat-*"), "metricbeat-test");
        assert_eq!(index_for("logs-a, logs-b"), "logs-a");
    }

    #[test]
    fn alert_times_are_offsets_or_rfc3339() {
        let start: DateTime<Utc> = "2026-11-19T00:00:00Z".parse().unwrap();
        assert_eq!(
            instant("90m", start).unwrap(),
            "2026-11-19T01:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            instant("2026-11-19T05:00:00+01:00", start).unwrap(),
            "2026-11-19T04:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(
            instant("soon", start)
                .unwrap_err()
                .contains("expected an offset")
        );
    }

    #[test]
    fn counts_must_be_whole_numbers_of_documents() {
        let input = InputSeries {
            fields: BTreeMap::new(),
            field: None,
            values: "1".to_string(),
        };
        let documents = Writing::Count
            .documents(&input, "@timestamp", 0, 3.0)
            .unwrap();
        assert_eq!(documents.len(), 3);
        assert!(
            Writing::Count
                .documents(&input, "@timestamp", 0, 2.5)
                .is_err()
        );
        let one = Writing::Field("free".to_string())
            .documents(&input, "@timestamp", 7, 2.5)
            .unwrap();
        assert_eq!(
            one,
            vec![serde_json::json!({ "@timestamp": 7, "free": 2.5 })]
        );
    }
}
