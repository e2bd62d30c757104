//! No input makes the rule loader panic: arbitrary text, arbitrary YAML-ish structures and
//! mutations of a valid rule all end in rules or diagnostics.

mod common;

use std::path::Path;

use common::damage::text_edit;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use trendwatch::rules::{ValidationContext, parse_rules};

const VALID: &str = "name: api-memory-low\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: memory }\ngroup_by: host.name\nmetric: min(system.memory.actual.free)\nbucket: 1m\nwindow: 5m\ncondition:\n  threshold: { below: 100MB, of: max }\nfor: 3m\nannotations:\n  summary: \"{{ value | bytes }}\"\nnotify: [oncall-email]\n";

fn load(text: &str) {
    let (rules, problems) =
        parse_rules(Path::new("fuzz.yaml"), text, &ValidationContext::default());
    // The end of a newline-terminated file is the start of the line after the last.
    let lines = text.split('\n').count() as u64;
    for problem in &problems {
        // Every diagnostic points inside the file, and rendering it cannot panic.
        assert_eq!(problem.file, Path::new("fuzz.yaml"));
        assert!(
            problem.line <= lines,
            "line {} of {lines}: {problem}",
            problem.line
        );
        assert!(!problem.render().is_empty());
    }
    assert!(rules.len() <= text.matches("---").count() + 1);
}

/// YAML-looking fragments: keys of the rule model, values of every kind, odd indentation.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("name"),
        Just("index"),
        Just("metric"),
        Just("bucket"),
        Just("window"),
        Just("lookback"),
        Just("condition"),
        Just("threshold"),
        Just("trend"),
        Just("change"),
        Just("notify"),
        Just("filter"),
        Just("group_by"),
        Just("every"),
        Just("cron"),
        Just("for"),
        Just("ratio"),
        Just("of"),
        Just("direction"),
    ];
    let value = prop_oneof![
        Just("5m".to_string()),
        Just("100MB".to_string()),
        Just("[a, b]".to_string()),
        Just("{ below: 1 }".to_string()),
        Just("~".to_string()),
        Just("&a x".to_string()),
        Just("*a".to_string()),
        Just("!!binary aGk=".to_string()),
        Just("'unterminated".to_string()),
        Just("{{ x }}".to_string()),
        Just("-1e999".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[ -~]{0,12}",
    ];
    let line = (0usize..6, key, value)
        .prop_map(|(indent, key, value)| format!("{}{key}: {value}", " ".repeat(indent)));
    prop::collection::vec(
        prop_oneof![
            line,
            Just("---".to_string()),
            Just("- item".to_string()),
            "[ -~]{0,20}"
        ],
        0..24,
    )
    .prop_map(|lines| lines.join("\n"))
}

#[test]
fn an_error_at_the_end_of_the_file_points_just_past_the_last_line() {
    let (rules, problems) = parse_rules(
        Path::new("fuzz.yaml"),
        "%A\n",
        &ValidationContext::default(),
    );
    assert!(rules.is_empty());
    assert_eq!((problems[0].line, problems[0].column), (2, 1));
    load("%A\n");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/rules_never_panic.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        load(&text);
    }

    #[test]
    fn yaml_shaped_input_never_panics(text in yamlish()) {
        load(&text);
    }

    #[test]
    fn mutating_a_valid_rule_never_panics(edit in text_edit()) {
        load(&edit.apply(VALID));
    }
}
