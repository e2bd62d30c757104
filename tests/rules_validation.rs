//! Rule validation as a specification: every broken file under tests/fixtures/broken gets
//! its exact diagnostics (file:line:col, message, hint) pinned in a snapshot, and the
//! loader's guarantees — good rules survive bad neighbours, the examples are valid — hold.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use trendwatch::config::Config;
use trendwatch::rules::{ValidationContext, load_paths, parse_rules};

/// The notifiers of the example config, so `notify` names are checked.
fn context() -> ValidationContext {
    let config = Config::load(Path::new("trendwatch.yaml")).expect("the example config is valid");
    ValidationContext {
        notifiers: Some(config.notifier_names()),
    }
}

fn broken_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/fixtures/broken")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_broken_rule_file_gets_its_exact_diagnostics() {
    let files = broken_files();
    assert!(files.len() >= 20, "only {} broken fixtures", files.len());
    for file in files {
        let report = load_paths(std::slice::from_ref(&file), &context());
        assert!(report.rules.is_empty(), "{} loaded a rule", file.display());
        assert!(
            !report.diagnostics.is_empty(),
            "{} produced no diagnostic",
            file.display()
        );
        let rendered: Vec<String> = report.diagnostics.iter().map(|d| d.render()).collect();
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, rendered.join("\n\n"));
    }
}

#[test]
fn distinct_fixtures_fail_for_distinct_reasons() {
    let messages: BTreeSet<String> = broken_files()
        .iter()
        .map(|file| {
            load_paths(std::slice::from_ref(file), &context()).diagnostics[0]
                .message
                .clone()
        })
        .collect();
    assert!(messages.len() >= 20, "{messages:#?}");
}

#[test]
fn an_unknown_field_gets_a_did_you_mean_hint() {
    let report = load_paths(
        &[PathBuf::from("tests/fixtures/broken/01-unknown-field.yaml")],
        &context(),
    );
    let problem = &report.diagnostics[0];
    assert_eq!((problem.line, problem.column), (6, 1));
    assert_eq!(problem.message, "unknown field `windw`");
    assert_eq!(problem.hint.as_deref(), Some("did you mean `window`?"));
}

#[test]
fn the_example_rules_are_valid_against_the_example_config() {
    let report = load_paths(&[PathBuf::from("rules")], &context());
    assert_eq!(report.diagnostics, vec![]);
    let names: Vec<&str> = report.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "api-memory-leak",
            "api-memory-low",
            "disk-filling-up",
            "http-5xx-share-rising"
        ]
    );
}

#[test]
fn one_bad_document_does_not_hide_the_good_ones_in_the_same_file() {
    let text = "name: good-one\nindex: a\nmetric: count\nbucket: 1m\ncondition: { threshold: { above: 1 } }\nnotify: [console]\n\
                ---\nname: bad-one\nindex: a\nmetric: count\nbucket: 1x\ncondition: { threshold: { above: 1 } }\nnotify: [console]\n\
                ---\nname: good-two\nindex: a\nmetric: count\nbucket: 1m\ncondition: { threshold: { above: 1 } }\nnotify: [console]\n";
    let (rules, problems) = parse_rules(Path::new("multi.yaml"), text, &context());
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["good-one", "good-two"]);
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].column), (11, 9));
    assert_eq!(problems[0].rule, None);
}

#[test]
fn rule_names_are_unique_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "name: same\nindex: a\nmetric: count\nbucket: 1m\ncondition: { threshold: { above: 1 } }\nnotify: [console]\n";
    std::fs::write(dir.path().join("a.yaml"), rule).unwrap();
    std::fs::write(dir.path().join("b.yml"), rule).unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "not a rule").unwrap();
    let report = load_paths(&[dir.path().to_path_buf()], &context());
    assert_eq!(report.files, 2);
    assert_eq!(report.rules.len(), 1);
    assert_eq!(report.diagnostics.len(), 1);
    let expected = format!(
        "duplicate rule name `same`; first defined at {}:1",
        dir.path().join("a.yaml").display()
    );
    assert_eq!(report.diagnostics[0].message, expected);
}

#[test]
fn defaults_are_those_documented() {
    let text = "name: defaults\nindex: a\nmetric: count\nbucket: 5m\ncondition: { threshold: { above: 1 } }\nnotify: [console]\n";
    let (rules, problems) = parse_rules(Path::new("d.yaml"), text, &context());
    assert!(problems.is_empty(), "{problems:?}");
    let rule = &rules[0];
    assert_eq!(rule.timestamp_field, "@timestamp");
    assert_eq!(
        (rule.window.to_string(), rule.lookback.to_string()),
        ("5m".to_string(), "5m".to_string())
    );
    assert_eq!(rule.schedule.to_string(), "every 5m");
    assert_eq!(
        (
            rule.pending_for.to_string(),
            rule.realert.to_string(),
            rule.query_delay.to_string()
        ),
        ("0s".to_string(), "4h".to_string(), "0s".to_string())
    );
    assert!(rule.notify_on_resolve);
    assert_eq!(rule.severity.to_string(), "warning");
}
