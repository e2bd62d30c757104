//! `trendwatch test-rule` and `trendwatch backtest` as a user runs them: the real binary on
//! the demo's generated incidents (`store generate`), text and JSON output snapshotted,
//! exit codes checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The demo fleet as NDJSON, in a directory the test owns and removes when it ends.
///
/// Not shared through a `static`: statics are never dropped, so every run of this binary
/// would leave its 100 MB file behind in the temporary directory.
struct DemoData {
    _dir: tempfile::TempDir,
    file: PathBuf,
}

impl DemoData {
    fn generate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fleet.ndjson");
        let generated = trendwatch()
            .args(["store", "generate", "--out"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(generated.status.code(), Some(0));
        Self { _dir: dir, file }
    }

    fn run(&self, args: &[&str]) -> Output {
        trendwatch()
            .args(args)
            .arg("--data")
            .arg(&self.file)
            .output()
            .unwrap()
    }

    /// Stdout with the data file's path and the timings (which vary run to run) replaced.
    fn stable(&self, output: &Output) -> String {
        let text = String::from_utf8_lossy(&output.stdout)
            .replace(&self.file.display().to_string(), "DATA");
        text.lines()
            .map(|line| {
                if let Some((before, after)) = line.split_once("answered in ") {
                    let rest = after.split_once(" ms").map_or("", |(_, rest)| rest);
                    format!("{before}answered in N ms{rest}")
                } else if line.starts_with("done in ") {
                    "done in N s".to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn trendwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trendwatch"));
    command.env_remove("TRENDWATCH_LOG");
    command
}

#[test]
fn test_rule_shows_each_host_and_the_message_it_would_send() {
    let demo = DemoData::generate();
    let output = demo.run(&[
        "test-rule",
        "rules/api-memory-leak.yaml",
        "--at",
        "2026-11-18T20:15:00Z",
    ]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("test_rule_leak_text", demo.stable(&output));
}

#[test]
fn test_rule_json_carries_series_verdicts_and_the_query() {
    let demo = DemoData::generate();
    let output = demo.run(&[
        "test-rule",
        "rules/disk-filling-up.yaml",
        "--at",
        "2026-11-19T12:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let mut json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["answered_ms"].as_f64().unwrap() >= 0.0);
    json["answered_ms"] = 0.into();
    json["source"] = "DATA".into();
    let firing = json["would_fire"].as_array().unwrap();
    assert_eq!(firing.len(), 1, "only web-2 /var is filling");
    assert_eq!(firing[0]["group"], "web-2 /var");
    // The page size the bucket budget allows: 65,536 / (144 buckets + the group's own).
    assert_eq!(json["query"]["aggs"]["group"]["composite"]["size"], 451);
    insta::assert_snapshot!(
        "test_rule_disk_json",
        serde_json::to_string_pretty(&json).unwrap()
    );
}

#[test]
fn test_rule_fails_on_fire_and_says_nothing_was_sent() {
    let demo = DemoData::generate();
    let args = [
        "test-rule",
        "rules/http-5xx-share-rising.yaml",
        "--at",
        "2026-11-19T11:00:00Z",
        "--fail-on-fire",
        "--show-query",
    ];
    let output = demo.run(&args);
    assert_eq!(output.status.code(), Some(1));
    let text = demo.stable(&output);
    assert!(text.contains("POST /filebeat-*/_search\n{"), "{text}");
    assert!(
        text.contains("[ops-slack] FIRING http-5xx-share-rising (warning): checkout:"),
        "{text}"
    );
    assert!(text.contains("nothing was sent (pass --notify"), "{text}");
    // An instant before the deploy: nothing fires, exit 0 even with --fail-on-fire.
    let quiet = demo.run(&[
        "test-rule",
        "rules/http-5xx-share-rising.yaml",
        "--at",
        "2026-11-19T09:00:00Z",
        "--fail-on-fire",
    ]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(demo.stable(&quiet).contains("would fire: nothing"));
}

#[test]
fn test_rule_notify_reports_every_delivery_honestly() {
    let demo = DemoData::generate();
    let output = demo.run(&[
        "test-rule",
        "rules/api-memory-low.yaml",
        "--at",
        "2026-11-19T09:10:00Z",
        "--notify",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = demo.stable(&output);
    // The example config defines oncall-email and oncall-sms; neither delivers yet.
    assert!(
        text.contains("NOT SENT api-3 → oncall-email: email delivery is not built in this version"),
        "{text}"
    );
    assert!(
        text.contains("NOT SENT api-3 → oncall-sms: sms delivery is not built"),
        "{text}"
    );
}

#[test]
fn backtest_prints_the_timeline_and_summary() {
    let demo = DemoData::generate();
    let output = demo.run(&[
        "backtest",
        "rules/disk-filling-up.yaml",
        "--from",
        "2026-11-17",
        "--to",
        "2026-11-20",
    ]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("backtest_disk_text", demo.stable(&output));
}

#[test]
fn backtest_json_for_tools() {
    let demo = DemoData::generate();
    let output = demo.run(&[
        "backtest",
        "rules/api-memory-low.yaml",
        "--from",
        "now-1d",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // `now` is the minute after the newest document: the end of the generated week.
    assert_eq!(json["to"], "2026-11-20T00:00:00Z");
    assert_eq!(json["searches"], 1);
    // Every minute of the day, both ends included.
    assert_eq!(json["instants"], 1441);
    insta::assert_snapshot!(
        "backtest_memory_low_json",
        serde_json::to_string_pretty(&json).unwrap()
    );
}

#[test]
fn exit_codes_for_a_bad_rule_a_bad_time_and_an_unreachable_cluster() {
    let demo = DemoData::generate();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "name: broken\nindex: x\nmetric: avg(\n").unwrap();
    let output = trendwatch()
        .args(["test-rule"])
        .arg(&broken)
        .args(["--data", "/nonexistent.ndjson"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("broken.yaml:"), "{said}");

    let output = demo.run(&[
        "backtest",
        "rules/api-memory-leak.yaml",
        "--from",
        "yesterday",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--from `yesterday` is not a time"), "{said}");

    let output = trendwatch()
        .args(["backtest", "rules/api-memory-leak.yaml", "--es"])
        .arg(common::dead_node())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("error: rule `api-memory-leak`:"), "{said}");

    let output = trendwatch()
        .args([
            "test-rule",
            "rules/api-memory-leak.yaml",
            "--data",
            "/nonexistent.ndjson",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("reading /nonexistent.ndjson"), "{said}");
}

#[test]
fn backtest_draws_each_group_that_fired() {
    let demo = DemoData::generate();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("disk.svg");
    let output = demo.run(&[
        "backtest",
        "rules/disk-filling-up.yaml",
        "--from",
        "2026-11-17",
        "--to",
        "2026-11-20",
        "--chart",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = std::fs::read_to_string(&svg).unwrap();
    let document = roxmltree::Document::parse(&text).unwrap();
    let class = |node: &roxmltree::Node, name: &str| node.attribute("class") == Some(name);
    let panels: Vec<_> = document
        .descendants()
        .filter(|n| class(n, "panel"))
        .collect();
    assert_eq!(panels.len(), 1, "only web-2 /var fired");
    let panel = panels[0];
    assert_eq!(panel.attribute("data-group"), Some("web-2 /var"));
    let count = |name: &str| panel.descendants().filter(|n| class(n, name)).count();
    assert_eq!(count("fired"), 1);
    assert_eq!(count("resolved"), 0, "still firing at the end");
    assert_eq!(count("trend"), 1, "the trend line the firing saw");
    assert_eq!(count("bound"), 1, "the 0 B the forecast aims at");
    // The series: 3 days of range plus the 3-day lookback, one point per 30-minute bucket.
    let points: usize = panel
        .descendants()
        .filter(|n| class(n, "series"))
        .map(|n| n.attribute("points").unwrap().split(' ').count())
        .sum();
    assert_eq!(points, 6 * 48);
    let fired = panel.descendants().find(|n| class(n, "fired")).unwrap();
    let tooltip = fired
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .unwrap();
    assert!(
        tooltip
            .text()
            .unwrap()
            .starts_with("fired 2026-11-18 18:00: falling 3.18 GB/day"),
        "{:?}",
        tooltip.text()
    );

    let html = dir.path().join("disk.html");
    let output = demo.run(&[
        "backtest",
        "rules/disk-filling-up.yaml",
        "--from",
        "2026-11-17",
        "--chart",
        html.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("<svg "),
        "{page}"
    );

    let output = trendwatch()
        .args([
            "backtest",
            "rules/disk-filling-up.yaml",
            "--chart",
            "disk.png",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("must end in .svg or .html"));
}

#[test]
fn the_example_rules_pass_their_unit_tests() {
    let output = trendwatch().args(["test", "tests/rules"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("\n7 tests: 7 passed, 0 failed"), "{text}");
    for rule in [
        "api-memory-low",
        "api-memory-leak",
        "disk-filling-up",
        "http-5xx-share-rising",
    ] {
        assert!(
            text.contains(&format!("ok    tests/rules/{rule}.test.yaml: ")),
            "{rule}: {text}"
        );
    }
}

/// Writes a rule test file into `dir`, with `RULE` standing for the example memory rule.
fn rule_test(dir: &Path, name: &str, body: &str) -> PathBuf {
    let rule = std::fs::canonicalize("rules/api-memory-low.yaml").unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body.replace("RULE", &rule.display().to_string())).unwrap();
    path
}

/// Runs `trendwatch test FILE`: its exit code and stdout.
fn run_rule_test(path: &Path) -> (Option<i32>, String) {
    let output = trendwatch().arg("test").arg(path).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn a_failing_rule_test_shows_expected_and_got_and_a_broken_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = rule_test(
        dir.path(),
        "wrong.test.yaml",
        "rule_files: [RULE]\nstart: 2026-11-19T00:00:00Z\ntests:\n  - name: fires too early\n    interval: 1m\n    input_series:\n      - fields: { metricset.name: memory, host.name: api-1 }\n        values: 300MB-10MBx30\n    alerts:\n      - at: 25m\n        firing: [api-1]\n",
    );
    let (code, text) = run_rule_test(&wrong);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("api-memory-low at 25m (2026-11-19 00:25): expected firing [api-1], got []"),
        "{text}"
    );
    assert!(
        text.contains("api-1: last event Pending at 00:23: 90 MB is below 100 MB"),
        "{text}"
    );

    let broken = rule_test(
        dir.path(),
        "broken.test.yaml",
        "rule_files: [x.yaml]\ntests: []\nextra: 1\n",
    );
    let (code, text) = run_rule_test(&broken);
    assert_eq!(code, Some(2));
    assert!(
        text.contains("broken.test.yaml:3:1: unknown field `extra`"),
        "{text}"
    );

    let bad_series = rule_test(
        dir.path(),
        "series.test.yaml",
        "rule_files: [RULE]\ntests:\n  - name: bad notation\n    input_series:\n      - fields: { host.name: api-1 }\n        values: 1 2 lots\n    alerts: []\n",
    );
    let (code, text) = run_rule_test(&bad_series);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("input_series #1: `lots`: `lots` is not a number"),
        "{text}"
    );
}
