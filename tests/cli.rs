//! The command line as a CI job in a rules repository uses it: exit codes, text and JSON.

use std::process::{Command, Output};

fn trendwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(args)
        .env_remove("TRENDWATCH_LOG")
        .env_remove("ES_API_KEY")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn valid_rules_exit_zero_and_say_what_was_checked() {
    let output = trendwatch(&["validate", "rules", "--config", "trendwatch.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "ok: 4 rules in 4 files are valid; notifier names checked against trendwatch.yaml; \
         fields not checked (the config's `source.elasticsearch`: environment variable `ES_API_KEY` \
         (needed by source.elasticsearch.auth.api_key) is not set)\n"
    );
}

#[test]
fn invalid_rules_exit_one_and_list_every_problem() {
    let output = trendwatch(&[
        "validate",
        "tests/fixtures/broken",
        "--config",
        "trendwatch.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for entry in std::fs::read_dir("tests/fixtures/broken").unwrap() {
        let path = entry.unwrap().path();
        assert!(
            text.contains(&format!("{}:", path.display())),
            "{} missing from:\n{text}",
            path.display()
        );
    }
    assert!(
        text.lines().last().unwrap().starts_with("invalid: "),
        "{text}"
    );
}

#[test]
fn json_output_is_machine_readable() {
    let output = trendwatch(&[
        "validate",
        "tests/fixtures/broken/01-unknown-field.yaml",
        "rules",
        "--config",
        "trendwatch.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["files"], 5);
    assert_eq!(report["rules"].as_array().unwrap().len(), 4);
    assert_eq!(report["notifiers_checked"], true);
    let problem = &report["problems"][0];
    assert_eq!(
        problem["file"],
        "tests/fixtures/broken/01-unknown-field.yaml"
    );
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(6), Some(1))
    );
    assert_eq!(problem["message"], "unknown field `windw`");
    assert_eq!(problem["hint"], "did you mean `window`?");
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        trendwatch(&["validate", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(trendwatch(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn a_config_with_a_literal_secret_is_rejected_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trendwatch.yaml");
    std::fs::write(&config, "notifiers:\n  mail:\n    email:\n      smtp: { host: smtp.example.com, username: tw, password: hunter2-SECRET }\n      from: a@example.com\n      to: [b@example.com]\n").unwrap();
    for format in ["text", "json"] {
        let output = trendwatch(&[
            "validate",
            "rules",
            "--config",
            config.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1));
        let all = format!(
            "{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains("hunter2"),
            "secret leaked in {format} output:\n{all}"
        );
        assert!(
            all.contains("secrets are read from the environment"),
            "{all}"
        );
    }
}

#[test]
fn a_missing_path_is_reported_not_ignored() {
    let output = trendwatch(&["validate", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("no/such/dir: no such file or directory"),
        "{}",
        stdout(&output)
    );
}

/// Serves a day of the demo fleet on loopback from a thread of its own; returns the URL.
fn serve_demo_day() -> String {
    use trendwatch::scenario::Fleet;
    use trendwatch::source::embedded::{StoreBuilder, http};
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    Fleet {
        days: 1,
        ..Fleet::default()
    }
    .generate(|index, document| builder.add(index, &document).unwrap());
    let store = std::sync::Arc::new(builder.finish().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            http::serve(store, listener, std::future::pending())
                .await
                .unwrap();
        });
    });
    url
}

#[test]
fn validate_checks_fields_on_a_cluster() {
    let url = serve_demo_day();
    let output = trendwatch(&["validate", "rules", "--es", &url]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout(&output).ends_with(&format!("; fields checked on {url}\n")),
        "{}",
        stdout(&output)
    );

    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("typo.yaml");
    let text = std::fs::read_to_string("rules/api-memory-low.yaml")
        .unwrap()
        .replace(
            "metric: min(system.memory.actual.free)",
            "metric: min(system.memory.actual.fre)",
        );
    std::fs::write(&rule, text).unwrap();
    let output = trendwatch(&["validate", rule.to_str().unwrap(), "--es", &url]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(
            "typo.yaml:15:13: field `system.memory.actual.fre` does not exist in indices matching `metricbeat-*`\n   |\n15 | metric: min(system.memory.actual.fre)\n   |             ^"
        ),
        "{text}"
    );
    assert!(
        text.contains("did you mean `system.memory.actual.free`?"),
        "{text}"
    );

    // A cluster that cannot be asked: exit 3, and the rules are not called invalid.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let output = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["validate", "rules", "--es", &dead])
        .env("TRENDWATCH_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: asking the cluster for the fields of `metricbeat-*`: source unavailable: no node answered"), "{stderr}");
}

#[test]
fn shell_completions_and_man_pages_are_generated_from_the_command_line() {
    for shell in ["bash", "zsh", "fish"] {
        let output = trendwatch(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        for subcommand in ["validate", "test-rule", "backtest", "demo"] {
            assert!(script.contains(subcommand), "{shell}: {subcommand}");
        }
    }
    let page = stdout(&trendwatch(&["man"]));
    assert!(page.contains(".TH trendwatch 1"), "{page}");
    assert!(page.contains("backtest"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let output = trendwatch(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let backtest = std::fs::read_to_string(dir.path().join("trendwatch-backtest.1")).unwrap();
    assert!(backtest.contains("\\-\\-chart"), "{backtest}");
}
