//! Printing the demo: the header, the live timeline, and the closing summary comparing
//! what trendwatch said with what really happened.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, Duration as TimeDelta, Utc};

use super::demo::{
    DemoReport, EVALUATED_DAYS, SharedWriter, example_rules, rules_from_paths, run_demo,
};
use crate::humanize;
use crate::scenario::{FAILING_SERVICE, FILLING_HOST, FILLING_MOUNT, Fleet, LEAKING_HOST};

pub fn run(rule_paths: &[PathBuf]) -> Result<ExitCode> {
    let rules = if rule_paths.is_empty() {
        example_rules()?
    } else {
        rules_from_paths(rule_paths)?
    };
    let fleet = Fleet::default();
    let started = Instant::now();
    let from = fleet.end() - TimeDelta::days(EVALUATED_DAYS);
    println!("trendwatch demo: the example rules on a generated fleet, all in process\n");
    println!(
        "  fleet   {} and {}: {} days of Metricbeat/Filebeat-shaped data from {}",
        fleet.api_host_names().join(", "),
        fleet.web_host_names().join(", "),
        fleet.days,
        day(fleet.start)
    );
    println!(
        "  rules   {}",
        rules
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  run     {} to {} UTC, each rule on its own schedule",
        minute(from),
        minute(fleet.end())
    );
    println!("  notify  every notifier prints here instead of sending (the demo has no config)\n");
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let report = runtime.block_on(run_demo(
        &fleet,
        &rules,
        SharedWriter::new(std::io::stdout()),
    ))?;
    std::io::stdout().flush()?;
    print_summary(&report, started.elapsed().as_secs_f64());
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// `3 h before`, `25 min after`.
fn relative(alert: DateTime<Utc>, truth: DateTime<Utc>) -> String {
    let seconds = (truth - alert).num_seconds() as f64;
    if seconds >= 0.0 {
        format!("{} before", humanize::duration_secs(seconds))
    } else {
        format!("{} after", humanize::duration_secs(-seconds))
    }
}

fn print_summary(report: &DemoReport, seconds: f64) {
    println!("\nWhat really happened (the generator's ground truth):");
    for truth in &report.generated.truths {
        println!("  {}  {}", minute(truth.at), truth.what);
    }
    println!("\nWhat trendwatch said, per rule:");
    for rule in &report.rules {
        let fired = report.fired_groups(rule);
        let seen = report.groups.get(rule).cloned().unwrap_or_default();
        for group in &fired {
            let Some(at) = report.first_fired(rule, group) else {
                continue;
            };
            let context = if group == LEAKING_HOST {
                report
                    .generated
                    .memory_exhausted_at
                    .map(|oom| format!(", {} {LEAKING_HOST} ran out of memory", relative(at, oom)))
            } else if *group == format!("{FILLING_HOST} {FILLING_MOUNT}") {
                report.generated.disk_full_at.map(|full| {
                    format!(
                        ", {} the disk is full ({})",
                        relative(at, full),
                        minute(full)
                    )
                })
            } else if group == FAILING_SERVICE {
                report
                    .generated
                    .truths
                    .iter()
                    .find(|t| t.what.starts_with(FAILING_SERVICE))
                    .map(|t| format!(", {} the bad deploy", relative(at, t.at)))
            } else {
                None
            };
            println!(
                "  {rule:<22} {group:<11} first fired {}{}",
                minute(at),
                context.unwrap_or_default()
            );
        }
        let quiet: Vec<&str> = seen
            .iter()
            .filter(|g| !fired.contains(*g))
            .map(String::as_str)
            .collect();
        if fired.is_empty() {
            println!("  {rule:<22} quiet for all {} groups", seen.len());
        } else if !quiet.is_empty() {
            println!("  {rule:<22} quiet for {}", quiet.join(", "));
        }
    }
    println!(
        "\n{} evaluations (one search each) in {:.1} s, {} documents; {} failures.",
        report.evaluations,
        seconds,
        report.generated.documents,
        report.failures.len()
    );
    if !report.failures.is_empty() {
        println!("Failures:");
        for failure in report.failures.iter().take(20) {
            println!("  {failure}");
        }
    }
}
