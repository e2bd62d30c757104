//! `trendwatch rules import-elastalert` on rules written after ElastAlert 2's documented
//! examples (tests/fixtures/elastalert): every convertible rule converts, the converted
//! rules pass `trendwatch validate` (with notifiers of the alerters' names defined), and
//! what cannot be converted is refused with the reason.

mod common;

use std::process::Command;

use common::damage::text_edit;
use common::secrets::{MARKER, pasted_secret};
use proptest::prelude::*;
use trendwatch::import::elastalert::{Conversion, convert};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/elastalert/{name}")).unwrap()
}

fn converted(name: &str) -> Vec<trendwatch::import::elastalert::Converted> {
    match convert(&fixture(name)).unwrap() {
        Conversion::Converted(rules) => rules,
        Conversion::NotConvertible { reason, .. } => panic!("{name}: {reason}"),
    }
}

#[test]
fn every_documented_example_converts_into_rules_that_validate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rules");
    let files: Vec<_> = std::fs::read_dir("tests/fixtures/elastalert")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert_eq!(files.len(), 8);
    let output = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["rules", "import-elastalert", "--out-dir"])
        .arg(&out)
        .args(&files)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    // `change` cannot be converted: exit 1, the rest written.
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("9 trendwatch rules from 8 files; 1 rules not convertible"),
        "{said}"
    );
    assert!(
        said.contains("(`New country login`): `change` matches when a field's value differs"),
        "{said}"
    );
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "error-percentage.yaml",
            "error-spike-per-host.yaml",
            "event-spike-down.yaml",
            "event-spike-up.yaml",
            "example-frequency-rule.yaml",
            "heartbeat-flatline.yaml",
            "metricbeat-cpu-spike-rule-high.yaml",
            "metricbeat-cpu-spike-rule-low.yaml",
            "too-many-users-per-ip.yaml",
        ]
    );
    // Notifiers named like ElastAlert's alerters, so `validate` checks the names too.
    let config = dir.path().join("trendwatch.yaml");
    let mut text = String::from("notifiers:\n");
    for name in ["email", "slack", "pagerduty", "debug"] {
        text.push_str(&format!("  {name}:\n    stdout: {{}}\n"));
    }
    std::fs::write(&config, text).unwrap();
    let validate = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["validate", "--offline", "--config"])
        .arg(&config)
        .arg(&out)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&validate.stdout);
    assert_eq!(validate.status.code(), Some(0), "{report}");
    assert!(
        report.starts_with("ok: 9 rules in 9 files are valid"),
        "{report}"
    );
}

#[test]
fn frequency_counts_over_the_timeframe_inclusively() {
    let rules = converted("example_frequency.yaml");
    assert_eq!(rules.len(), 1);
    let yaml = &rules[0].yaml;
    assert!(yaml.contains("metric: \"count\"\n"), "{yaml}");
    assert!(yaml.contains("window: 4h\n"), "{yaml}");
    // 50 documents or more: more than 49.
    assert!(
        yaml.contains("condition: {\"threshold\":{\"above\":49,\"of\":\"sum\"}}"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  - {\"term\":{\"some_field\":\"some_value\"}}"),
        "{yaml}"
    );
}

#[test]
fn spike_both_ways_becomes_two_rules_and_says_what_it_dropped() {
    let rules = converted("example_spike.yaml");
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["event-spike-up", "event-spike-down"]);
    let up = &rules[0].yaml;
    assert!(
        up.contains(
            "{\"change\":{\"compare_to\":\"previous\",\"increase\":\"3x\",\"min_count\":0}}"
        ),
        "{up}"
    );
    assert!(rules[1].yaml.contains("\"decrease\":\"3x\""));
    // The old `query: query_string` wrapper is unwrapped; the mapping-type clause dropped.
    assert!(
        up.contains("  - {\"query_string\":{\"query\":\"field: value\"}}"),
        "{up}"
    );
    for said in [
        "mapping types no longer exist",
        "`threshold_cur: 5` is not converted",
        "named `event-spike`",
    ] {
        assert!(
            rules[0].notes.iter().any(|n| n.contains(said)),
            "{said}: {:?}",
            rules[0].notes
        );
    }
}

#[test]
fn per_group_types_keep_their_groups_and_windows() {
    let spike = &converted("example_spike_up.yaml")[0].yaml;
    for line in [
        "group_by: [\"host.name\"]",
        "window: 30m",
        "bucket: 5m",
        "every: 5m",
        "realert: 1h",
        "\"min_count\":20",
    ] {
        assert!(spike.contains(line), "{line}: {spike}");
    }
    let flatline = &converted("example_flatline.yaml")[0].yaml;
    assert!(flatline.contains("lookback: 30m"), "{flatline}");
    assert!(
        flatline.contains("{\"threshold\":{\"below\":3,\"of\":\"sum\"}}"),
        "{flatline}"
    );
    let share = &converted("example_percentage_match.yaml")[0];
    assert!(
        share.yaml.contains("{\"threshold\":{\"above\":\"10%\"}}"),
        "{}",
        share.yaml
    );
    assert!(share.notes.iter().any(|n| n.contains("min_denominator")));
    let metric = converted("example_metric_aggregation.yaml");
    assert_eq!(metric.len(), 2);
    assert!(
        metric[0]
            .yaml
            .contains("metric: \"avg(system.cpu.user.pct)\"")
    );
    assert!(metric[0].yaml.contains("bucket: 5m\nwindow: 5m"));
    assert!(metric[1].yaml.contains("{\"threshold\":{\"below\":0.1}}"));
}

#[test]
fn what_cannot_map_is_refused_with_a_reason() {
    let refused = |text: &str| match convert(text).unwrap() {
        Conversion::NotConvertible { reason, .. } => reason,
        Conversion::Converted(rules) => panic!("converted: {rules:?}"),
    };
    assert!(refused(&fixture("example_change.yaml")).contains("previous document's"));
    assert!(refused("name: a\ntype: any\nindex: x\n").contains("alerts on individual documents"));
    assert!(
        refused("name: a\ntype: metric_aggregation\nindex: x\nmetric_agg_key: f\nmetric_agg_type: avg\nmetric_agg_script: {script: x}\nmax_threshold: 1\n")
            .contains("Painless")
    );
    assert!(
        refused("name: a\ntype: frequency\nindex: x\nnum_events: 3\ntimeframe: {minutes: 5}\nfilter:\n- script: {script: x}\n")
            .contains("filter clause `script`")
    );
    assert!(refused("name: a\ntype: frequency\nindex: x\n").contains("needs `num_events`"));
    assert!(convert("- just a list").unwrap_err().contains("mapping"));
    // ElastAlert rules keep secrets inline: a YAML error names the place, not the lines.
    let broken = "name: a\ntype: frequency\nslack_webhook_url: \"https://hooks.slack.com/services/T0/B0/SECRETXYZ\nnum_events: 5\n";
    assert_eq!(
        convert(broken).unwrap_err(),
        "not valid YAML: unclosed quote at line 3, column 20"
    );
    assert!(
        convert("type: frequency\n")
            .unwrap_err()
            .contains("no `name`")
    );
}

/// Everything a conversion says: the rules' YAML and notes, or the reason it refused.
fn everything_said(text: &str) -> String {
    match convert(text) {
        Ok(Conversion::Converted(rules)) => rules
            .iter()
            .map(|rule| format!("{}\n{}\n{}", rule.name, rule.yaml, rule.notes.join("\n")))
            .collect(),
        Ok(Conversion::NotConvertible { name, reason }) => format!("{name}: {reason}"),
        Err(reason) => reason,
    }
}

const CONVERTIBLE: [&str; 7] = [
    "example_cardinality.yaml",
    "example_flatline.yaml",
    "example_frequency.yaml",
    "example_metric_aggregation.yaml",
    "example_percentage_match.yaml",
    "example_spike.yaml",
    "example_spike_up.yaml",
];

proptest! {
    #![proptest_config(common::property_cases(1_000))]

    /// ElastAlert rules keep alerter secrets inline; however one is written, and wherever
    /// its line lands, neither the converted rules nor any message repeat it.
    #[test]
    fn an_alerter_secret_is_never_carried_over_or_shown(
        fixture_index in 0..CONVERTIBLE.len(),
        key in prop::sample::select(vec!["slack_webhook_url", "smtp_auth_file", "telegram_bot_token", "pagerduty_service_key"]),
        pasted in pasted_secret(),
        line in any::<prop::sample::Index>(),
    ) {
        let mut lines: Vec<String> = fixture(CONVERTIBLE[fixture_index]).lines().map(str::to_string).collect();
        let at = line.index(lines.len() + 1);
        lines.insert(at, format!("{key}: {pasted}"));
        let said = everything_said(&lines.join("\n"));
        prop_assert!(!said.contains(MARKER), "{said}");
    }

    #[test]
    fn mutated_rules_never_panic(fixture_index in 0..CONVERTIBLE.len(), edit in text_edit()) {
        everything_said(&edit.apply(&fixture(CONVERTIBLE[fixture_index])));
    }
}
