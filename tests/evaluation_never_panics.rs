//! A rule that validates is evaluated without a panic and without running away, whatever
//! its values: each example rule has one value replaced by an extreme or odd one (tiny
//! and huge durations, zero, negative and huge quantities, other directions and units),
//! and every variant that still validates is evaluated against the embedded store, and
//! each group's notification rendered, firing and resolved, then backtested over six hours.
//! Each ends in verdicts (with words), a replay, or a clear error.

mod common;

use std::path::Path;

use chrono::TimeDelta;
use proptest::prelude::*;
use trendwatch::alerts::AlertKey;
use trendwatch::cli::demo::EXAMPLE_RULES;
use trendwatch::engine::backtest::backtest;
use trendwatch::engine::{evaluate_rule, notification_for};
use trendwatch::notify::NotificationStatus;
use trendwatch::rules::{ValidationContext, parse_rules};

use common::{SMALL_STORE as STORE, small_fleet_now as now};

/// Values to put where a rule has one: durations, quantities, numbers, words.
const ODD_VALUES: &[&str] = &[
    "1ms",
    "1s",
    "59s",
    "1m",
    "7d",
    "400d",
    "100y",
    "0s",
    "0",
    "-1",
    "0.0001",
    "1e308",
    "-1e308",
    ".nan",
    ".inf",
    "0B",
    "1B",
    "1e30B",
    "100%",
    "0.5",
    "up",
    "down",
    "any",
    "[]",
    "{}",
    "avg(system.memory.actual.free)",
    "count",
    "p99(http.response.time)",
    "distinct(host.name)",
    "sum(nonexistent.field)",
    "host.name",
    "\"\"",
];

/// The example rules, each as lines.
fn example_lines() -> Vec<Vec<String>> {
    EXAMPLE_RULES
        .iter()
        .map(|(_, text)| text.lines().map(str::to_string).collect())
        .collect()
}

/// `line` with the value after its key replaced, if it has a key and a plain value.
fn with_value(line: &str, value: &str) -> Option<String> {
    let (key, rest) = line.split_once(": ")?;
    let rest = rest.split(" #").next().unwrap_or(rest).trim();
    let key_is_plain = key
        .trim_start_matches([' ', '-'])
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    (key_is_plain && !rest.is_empty() && !rest.starts_with(['>', '|']))
        .then(|| format!("{key}: {value}"))
}

proptest! {
    #![proptest_config(common::property_cases(600))]

    #[test]
    fn a_rule_that_validates_is_evaluated_or_refused_never_panicked_on(
        rule_index in 0..EXAMPLE_RULES.len(),
        line in any::<prop::sample::Index>(),
        value in prop::sample::select(ODD_VALUES),
    ) {
        let mut lines = example_lines().swap_remove(rule_index);
        let at = line.index(lines.len());
        let Some(changed) = with_value(&lines[at], value) else {
            return Ok(());
        };
        lines[at] = changed;
        let text = lines.join("\n");
        let (rules, problems) =
            parse_rules(Path::new("odd.yaml"), &text, &ValidationContext::default());
        if !problems.is_empty() {
            return Ok(());
        }
        for rule in &rules {
            match common::block_on(evaluate_rule(rule, &*STORE, now())) {
                Ok(evaluation) => {
                    for group in &evaluation.groups {
                        prop_assert!(!group.verdict.explanation.trim().is_empty());
                        let key = AlertKey {
                            rule: rule.name.clone(),
                            group: group.series.group.0.clone(),
                        };
                        for status in [NotificationStatus::Firing, NotificationStatus::Resolved] {
                            let message = notification_for(rule, &key, &group.verdict, status, now());
                            prop_assert!(!message.summary().trim().is_empty());
                        }
                    }
                }
                Err(error) => prop_assert!(!error.to_string().trim().is_empty()),
            }
            // And replayed over the last six hours: one search, judged at every instant.
            let from = now() - TimeDelta::hours(6);
            match common::block_on(backtest(rule, &*STORE, from, now())) {
                Ok(replay) => prop_assert!(replay.notifications_per_week().is_finite()),
                Err(error) => prop_assert!(!error.to_string().trim().is_empty()),
            }
        }
    }
}

#[test]
fn the_example_rules_evaluate_and_values_can_be_replaced() {
    for (path, text) in EXAMPLE_RULES {
        let (rules, problems) = parse_rules(Path::new(path), text, &ValidationContext::default());
        assert!(problems.is_empty(), "{path}: {problems:?}");
        let evaluation = common::block_on(evaluate_rule(&rules[0], &*STORE, now()));
        assert!(!evaluation.unwrap().groups.is_empty(), "{path}");
    }
    assert_eq!(
        with_value("bucket: 30m   # a comment", "1s").as_deref(),
        Some("bucket: 1s")
    );
    assert_eq!(with_value("  summary: >-", "x"), None);
}
