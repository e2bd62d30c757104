//! `trendwatch test-rule`: a dry run of one rule at one instant — the search sent (with
//! `--show-query`), how long the answer took, every group's series as a sparkline with its
//! verdict, the alerts that would fire and the message each notifier would carry. Sends
//! nothing unless `--notify`.

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::data_source::{self, Prepared, SourceArgs};
use super::demo::group_name;
use super::sparkline::sparkline;
use crate::alerts::AlertKey;
use crate::analysis::{Status, Verdict};
use crate::config::Config;
use crate::engine::{RuleEvaluation, evaluate_rule, format_value, notification_for, value_unit};
use crate::humanize;
use crate::notify::{NotBuiltNotifier, Notification, NotificationStatus, Notifier, StdoutNotifier};
use crate::rules::Rule;

/// Characters of the sparkline.
const SPARK_WIDTH: usize = 48;

/// What `test-rule` was asked.
pub struct TestRuleOptions {
    pub rule_file: std::path::PathBuf,
    pub rule_name: Option<String>,
    pub at: Option<String>,
    pub source: SourceArgs,
    pub as_json: bool,
    pub show_query: bool,
    pub notify: bool,
    pub fail_on_fire: bool,
}

/// One breached group: the notification it would send, and through which notifiers.
struct WouldFire {
    group: String,
    notification: Notification,
}

/// Exit codes: 0 done, 1 a group is breached and `--fail-on-fire` was given, 2 the rule (or
/// `--at`) is invalid, 3 the data could not be read.
pub fn run(options: &TestRuleOptions) -> Result<ExitCode> {
    let Prepared {
        config,
        rule,
        source,
    } = match data_source::prepare(
        &options.rule_file,
        options.rule_name.as_deref(),
        &options.source,
    )? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let end = source.data_end().unwrap_or_else(Utc::now);
    let at = match &options.at {
        Some(text) => match data_source::parse_time(text, end) {
            Ok(at) => at,
            Err(error) => {
                eprintln!("error: --at {error}");
                return Ok(ExitCode::from(2));
            }
        },
        None => end,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let evaluation = match runtime.block_on(evaluate_rule(&rule, &source, at)) {
        Ok(evaluation) => evaluation,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(3));
        }
    };
    let answered_ms = started.elapsed().as_secs_f64() * 1000.0;
    let firing = would_fire(&rule, &evaluation, at);
    let deliveries = if options.notify {
        runtime.block_on(deliver(&rule, &firing, config.as_ref()))
    } else {
        Vec::new()
    };
    if options.as_json {
        let output = json!({
            "rule": rule.name,
            "file": rule.origin.file,
            "line": rule.origin.line,
            "at": at,
            "source": source.describe(),
            "index": evaluation.plan.index,
            "query": evaluation.plan.body,
            "searches": evaluation.searches,
            "answered_ms": answered_ms,
            "groups": evaluation.groups.iter().map(|group| json!({
                "group": group.series.group.labels(),
                "verdict": group.verdict,
                "bucket_start": group.series.grid.start_ms,
                "bucket_ms": group.series.grid.bucket_ms,
                "values": group.series.values,
            })).collect::<Vec<_>>(),
            "would_fire": firing.iter().map(|fire| json!({
                "group": fire.group,
                "notification": fire.notification,
                "notifiers": rule.notify,
            })).collect::<Vec<_>>(),
            "sent": options.notify,
            "deliveries": deliveries.iter().map(|(group, notifier, result)| json!({
                "group": group,
                "notifier": notifier,
                "delivered": result.is_ok(),
                "error": result.as_ref().err(),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        let text = Report {
            rule: &rule,
            evaluation: &evaluation,
            at,
            source: source.describe(),
            answered_ms,
            show_query: options.show_query,
        }
        .text(&firing);
        print!("{text}");
        if options.notify {
            for (group, notifier, result) in &deliveries {
                match result {
                    Ok(()) => println!("sent     {group} → {notifier}"),
                    Err(reason) => println!("NOT SENT {group} → {notifier}: {reason}"),
                }
            }
        } else if !firing.is_empty() {
            println!("nothing was sent (pass --notify to deliver through the config's notifiers)");
        }
    }
    Ok(if options.fail_on_fire && !firing.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The groups whose condition holds, with the notification each would send.
fn would_fire(rule: &Rule, evaluation: &RuleEvaluation, at: DateTime<Utc>) -> Vec<WouldFire> {
    evaluation
        .groups
        .iter()
        .filter(|group| group.verdict.is_breached())
        .map(|group| {
            let key = AlertKey {
                rule: rule.name.clone(),
                group: group.series.group.0.clone(),
            };
            WouldFire {
                group: group_name(&key.group),
                notification: notification_for(
                    rule,
                    &key,
                    &group.verdict,
                    NotificationStatus::Firing,
                    at,
                ),
            }
        })
        .collect()
}

/// Delivers each notification through each of the rule's notifiers as the config defines
/// them. Returns (group, notifier, outcome) for every attempt.
async fn deliver(
    rule: &Rule,
    firing: &[WouldFire],
    config: Option<&Config>,
) -> Vec<(String, String, Result<(), String>)> {
    let mut outcomes = Vec::new();
    for fire in firing {
        for name in &rule.notify {
            let outcome = match config.and_then(|c| c.notifiers.get(name)) {
                // Email, SMS and the HTTP integrations deliver with the delivery issue;
                // until then they say so instead of pretending to send.
                Some(defined) => NotBuiltNotifier::new(defined.kind())
                    .deliver(&fire.notification)
                    .await
                    .map_err(|error| error.reason),
                None => Err(format!(
                    "notifier `{name}` is not defined in {}",
                    config.map_or("a config (none was loaded)".to_string(), |c| c
                        .path
                        .as_ref()
                        .map_or("the config".to_string(), |p| p.display().to_string()))
                )),
            };
            outcomes.push((fire.group.clone(), name.clone(), outcome));
        }
    }
    outcomes
}

/// The text report.
struct Report<'a> {
    rule: &'a Rule,
    evaluation: &'a RuleEvaluation,
    at: DateTime<Utc>,
    source: &'a str,
    answered_ms: f64,
    show_query: bool,
}

impl Report<'_> {
    fn text(&self, firing: &[WouldFire]) -> String {
        let (rule, evaluation) = (self.rule, self.evaluation);
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "test-rule {} ({}) at {} on {}",
            rule.name,
            rule.origin,
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.source
        ));
        if self.show_query {
            line(format!("POST /{}/_search", evaluation.plan.index));
            line(serde_json::to_string_pretty(&evaluation.plan.body).unwrap_or_default());
        }
        let grid = evaluation.plan.grid;
        let minute = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .map_or_else(String::new, |t| t.format("%m-%d %H:%M").to_string())
        };
        line(format!(
            "{} search{} answered in {:.0} ms; {} groups; buckets {} → {} UTC every {}",
            evaluation.searches,
            if evaluation.searches == 1 { "" } else { "es" },
            self.answered_ms,
            evaluation.groups.len(),
            minute(grid.start_ms),
            minute(grid.end_ms),
            rule.bucket
        ));
        line(String::new());
        let unit = value_unit(rule);
        for group in &evaluation.groups {
            let status = match group.verdict.status {
                Status::Breached => "BREACHED",
                Status::Ok => "ok",
                Status::NoData => "no data",
            };
            line(format!(
                "{:<12} {}  {status:<8} {}",
                group_name(&group.series.group.0),
                sparkline(&group.series.values, SPARK_WIDTH),
                group.verdict.explanation
            ));
            let numbers = numbers(&group.verdict, unit);
            if !numbers.is_empty() {
                line(format!("{:<12} {numbers}", ""));
            }
        }
        if evaluation.groups.is_empty() {
            line("no group has data in the searched range".to_string());
        }
        line(String::new());
        if firing.is_empty() {
            line("would fire: nothing".to_string());
        } else {
            let wait = if rule.pending_for.as_millis_i64() > 0 {
                format!(
                    " (once the condition has held for {}, the rule's `for`)",
                    rule.pending_for
                )
            } else {
                String::new()
            };
            line(format!("would fire{wait}:"));
            for fire in firing {
                for name in &rule.notify {
                    line(format!(
                        "  {}",
                        StdoutNotifier::new(name.clone()).line(&fire.notification)
                    ));
                }
                if rule.notify.is_empty() {
                    line(format!(
                        "  {} (the rule names no notifier)",
                        fire.notification.summary()
                    ));
                }
            }
        }
        out
    }
}

/// The verdict's numbers in one line: value, baseline, change, slope, p, forecast.
fn numbers(verdict: &Verdict, unit: crate::rules::Unit) -> String {
    let mut parts = Vec::new();
    if let Some(value) = verdict.value {
        parts.push(format!("value {}", format_value(value, unit)));
    }
    if let Some(baseline) = verdict.baseline {
        parts.push(format!("baseline {}", format_value(baseline, unit)));
    }
    if let Some(change) = verdict.change {
        parts.push(format!("change {}x", humanize::number(change)));
    }
    if let Some(slope) = verdict.slope_per_second {
        parts.push(format!(
            "slope {}/day",
            format_value(slope * 86_400.0, unit)
        ));
    }
    match verdict.p_value {
        Some(p) if p < 0.001 => parts.push("p < 0.001".to_string()),
        Some(p) => parts.push(format!("p = {}", humanize::number(p))),
        None => {}
    }
    if let Some(seconds) = verdict.time_to_bound {
        parts.push(format!("forecast {}", humanize::duration_secs(seconds)));
    }
    parts.join(" · ")
}
