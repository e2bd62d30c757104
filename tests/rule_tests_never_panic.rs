//! No rule unit test file makes `trendwatch test` panic. The example test files in
//! `tests/rules` have one value replaced by an odd one (series notation at its limits,
//! tiny and huge intervals, times far off), or a few bytes edited anywhere, and each run
//! ends in outcomes or in diagnostics that say something.

mod common;

use common::damage::text_edit;
use proptest::prelude::*;
use trendwatch::ruletest::{TestFileError, TestOutcome, run_file};

const TEST_FILES: [&str; 4] = [
    "api-memory-leak.test.yaml",
    "api-memory-low.test.yaml",
    "disk-filling-up.test.yaml",
    "http-5xx-share-rising.test.yaml",
];

/// Values for `values:`, `interval:`, `at:` and `start:` lines.
const ODD_VALUES: &[&str] = &[
    "_x1000000",
    "0+1x1000000",
    "1e308+1e308x100",
    "-1e308x3",
    "5 _ 5 _",
    "1x0",
    "1x1000001",
    "x5",
    "+1x5",
    "100MB-1GBx10",
    "0x99999999999999999999",
    "''",
    "1ms",
    "1d",
    "10000d",
    "0s",
    "-5m",
    "99999999h",
    "2262-04-12T00:00:00Z",
    "1677-09-21T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "now",
    "[]",
];

/// The test file's text with the rule paths made absolute, so it runs from anywhere.
fn test_file(name: &str) -> String {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/");
    std::fs::read_to_string(format!("{}/tests/rules/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("../../rules/", rules)
}

/// `text` run as a test file, from a temporary directory.
fn run_text(text: &str) -> Result<Vec<TestOutcome>, TestFileError> {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("odd.test.yaml");
    std::fs::write(&path, text).unwrap();
    common::block_on(run_file(&path))
}

fn run(text: &str) {
    match run_text(text) {
        Ok(outcomes) => {
            for outcome in outcomes {
                assert!(!outcome.name.is_empty() || text.contains("name: ''"));
                for failure in &outcome.failures {
                    assert!(!failure.trim().is_empty());
                }
            }
        }
        Err(error) => assert!(!error.to_string().trim().is_empty()),
    }
}

proptest! {
    #![proptest_config(common::property_cases(32))]

    #[test]
    fn an_odd_value_ends_in_outcomes_or_diagnostics(
        file in 0..TEST_FILES.len(),
        line in any::<prop::sample::Index>(),
        value in prop::sample::select(ODD_VALUES),
    ) {
        let text = test_file(TEST_FILES[file]);
        let candidates: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, line)| {
                let key = line.trim_start_matches([' ', '-']);
                ["values:", "interval:", "at:", "start:"].iter().any(|k| key.starts_with(k))
            })
            .map(|(at, _)| at)
            .collect();
        let at = candidates[line.index(candidates.len())];
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let (key, _) = lines[at].split_once(": ").unwrap();
        lines[at] = format!("{key}: {value}");
        run(&lines.join("\n"));
    }

    #[test]
    fn an_edited_file_ends_in_outcomes_or_diagnostics(
        file in 0..TEST_FILES.len(),
        edit in text_edit(),
    ) {
        run(&edit.apply(&test_file(TEST_FILES[file])));
    }
}

#[test]
fn the_example_test_files_pass_from_a_temporary_directory() {
    for name in TEST_FILES {
        let outcomes = run_text(&test_file(name)).unwrap();
        assert!(!outcomes.is_empty(), "{name}");
        for outcome in outcomes {
            assert_eq!(
                outcome.failures,
                Vec::<String>::new(),
                "{name}: {}",
                outcome.name
            );
        }
    }
}

/// The failures of the first test in `text`.
fn first_failures(text: &str) -> Vec<String> {
    run_text(text).unwrap()[0].failures.clone()
}

#[test]
fn a_test_too_large_to_load_says_so_instead_of_running_away() {
    // For a ratio rule each value is a number of documents: 2,304 points of 100,000.
    let ratio = test_file("http-5xx-share-rising.test.yaml").replacen(
        "values: 40x2304",
        "values: 100000x2304",
        1,
    );
    let failures = first_failures(&ratio);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("input_series #1: the test would load more than 2000000 documents"),
        "{failures:?}"
    );
    // Points so far apart that the second is past 2262.
    let far = test_file("api-memory-low.test.yaml")
        .replacen("interval: 1m", "interval: 99999999h", 1)
        .replacen("values: 300MB-10MBx30", "values: 300MBx1000000", 1);
    let failures = first_failures(&far);
    assert!(
        failures[0].contains("input_series #1:")
            && failures[0].contains("outside the years 1677 to 2262"),
        "{failures:?}"
    );
}
