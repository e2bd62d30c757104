//! `trendwatch demo`: generates a week of data for a small fleet in which the seed
//! incidents happen, loads it into the embedded store, runs the example rules over the
//! last days on their own schedules, and prints what fired and when — and what stayed quiet.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as TimeDelta, Utc};

use crate::alerts::Event;
use crate::engine::{Engine, RuleRun};
use crate::notify::{NotifierRegistry, StdoutNotifier};
use crate::rules::{Rule, ValidationContext, load_paths, parse_rules};
use crate::scenario::{Fleet, Generated};
use crate::scheduler::runs_between;
use crate::source::embedded::{EmbeddedStore, StoreBuilder};

/// The example rules from `rules/`, built in so the demo runs from anywhere.
pub const EXAMPLE_RULES: [(&str, &str); 4] = [
    (
        "rules/api-memory-low.yaml",
        include_str!("../../rules/api-memory-low.yaml"),
    ),
    (
        "rules/api-memory-leak.yaml",
        include_str!("../../rules/api-memory-leak.yaml"),
    ),
    (
        "rules/disk-filling-up.yaml",
        include_str!("../../rules/disk-filling-up.yaml"),
    ),
    (
        "rules/http-5xx-share-rising.yaml",
        include_str!("../../rules/http-5xx-share-rising.yaml"),
    ),
];

/// How many of the generated days the rules are run over (the earlier days are history).
pub const EVALUATED_DAYS: i64 = 3;

/// One alert transition seen during the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoEvent {
    pub at: DateTime<Utc>,
    pub rule: String,
    pub group: String,
    pub event: Event,
    pub explanation: String,
}

/// What the demo did, for printing and for tests.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub generated: Generated,
    pub rules: Vec<String>,
    pub evaluations: u64,
    pub events: Vec<DemoEvent>,
    /// Evaluation and delivery failures, each naming the rule.
    pub failures: Vec<String>,
    /// Every group each rule saw, so the quiet ones can be named.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

impl DemoReport {
    /// When `rule` first fired for `group`.
    pub fn first_fired(&self, rule: &str, group: &str) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .find(|e| e.rule == rule && e.group == group && e.event == Event::Fired)
            .map(|e| e.at)
    }

    /// Groups `rule` fired for.
    pub fn fired_groups(&self, rule: &str) -> BTreeSet<String> {
        self.events
            .iter()
            .filter(|e| e.rule == rule && e.event == Event::Fired)
            .map(|e| e.group.clone())
            .collect()
    }
}

/// The example rules, parsed from the built-in copies.
pub fn example_rules() -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for (path, text) in EXAMPLE_RULES {
        let (parsed, problems) = parse_rules(path.as_ref(), text, &ValidationContext::default());
        if let Some(problem) = problems.first() {
            bail!("built-in example rule is invalid: {problem}");
        }
        rules.extend(parsed);
    }
    Ok(rules)
}

/// Loads rules from paths, failing on the first problem (the demo is no place for half a set).
pub fn rules_from_paths(paths: &[PathBuf]) -> Result<Vec<Rule>> {
    let report = load_paths(paths, &ValidationContext::default());
    if let Some(problem) = report.diagnostics.first() {
        bail!(
            "{}\n(run `trendwatch validate` for every problem)",
            problem.render()
        );
    }
    Ok(report.rules)
}

/// Builds the store from the fleet's generated documents.
pub fn demo_store(fleet: &Fleet) -> Result<(EmbeddedStore, Generated)> {
    let mut builder = StoreBuilder::new("@timestamp").context("creating the embedded store")?;
    let mut first_error = None;
    let generated = fleet.generate(|index, document| {
        if let Err(error) = builder.add(index, &document)
            && first_error.is_none()
        {
            first_error = Some(error);
        }
    });
    if let Some(error) = first_error {
        bail!("generated document rejected: {error}");
    }
    Ok((
        builder.finish().context("indexing the demo data")?,
        generated,
    ))
}

/// A writer several notifiers and the timeline share, so lines keep their order.
#[derive(Clone)]
pub struct SharedWriter(pub Arc<Mutex<Box<dyn Write + Send>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("output lock poisoned"))?
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("output lock poisoned"))?
            .flush()
    }
}

impl SharedWriter {
    pub fn new(out: impl Write + Send + 'static) -> Self {
        SharedWriter(Arc::new(Mutex::new(Box::new(out))))
    }
}

pub use crate::query::group_name;

/// Runs `rules` over the last [`EVALUATED_DAYS`] of the fleet's data, each on its own
/// schedule, in time order. Timeline lines and notifications go to `out`.
pub async fn run_demo(fleet: &Fleet, rules: &[Rule], mut out: SharedWriter) -> Result<DemoReport> {
    let (store, generated) = demo_store(fleet)?;
    let mut report = DemoReport {
        generated,
        rules: rules.iter().map(|r| r.name.clone()).collect(),
        ..DemoReport::default()
    };
    let names: BTreeSet<&String> = rules.iter().flat_map(|rule| &rule.notify).collect();
    let notifiers: NotifierRegistry = names
        .into_iter()
        .map(|name| {
            (
                name.clone(),
                Box::new(StdoutNotifier::with_writer(
                    name.clone(),
                    Box::new(out.clone()),
                )) as Box<dyn crate::notify::Notifier>,
            )
        })
        .collect();
    let mut engine = Engine::new(store, notifiers);
    let (from, to) = (fleet.end() - TimeDelta::days(EVALUATED_DAYS), fleet.end());
    let mut runs = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        runs.extend(
            runs_between(&rule.schedule, from, to)
                .into_iter()
                .map(|at| (at, index)),
        );
    }
    runs.sort();
    // Rules due at the same instant are evaluated together, as the daemon will: their
    // searches would share one `_msearch` round trip on a cluster.
    for due in runs.chunk_by(|a, b| a.0 == b.0) {
        let at = due[0].0;
        let batch: Vec<&Rule> = due.iter().map(|(_, index)| &rules[*index]).collect();
        for run in engine.run_rules(&batch, at).await {
            report.evaluations += 1;
            record(&mut report, &run, &mut out)?;
        }
    }
    Ok(report)
}

fn record(report: &mut DemoReport, run: &RuleRun, out: &mut SharedWriter) -> Result<()> {
    let evaluation = match &run.evaluation {
        Ok(evaluation) => evaluation,
        Err(error) => {
            if report.failures.len() < 20 {
                writeln!(out, "{}  ERROR    {error}", run.at.format("%Y-%m-%d %H:%M"))?;
            }
            report.failures.push(error.to_string());
            return Ok(());
        }
    };
    let seen = report.groups.entry(run.rule.clone()).or_default();
    seen.extend(
        evaluation
            .groups
            .iter()
            .map(|g| group_name(&g.series.group.0)),
    );
    for activity in &run.activity {
        let group = group_name(&activity.key.group);
        report.events.push(DemoEvent {
            at: run.at,
            rule: run.rule.clone(),
            group: group.clone(),
            event: activity.event,
            explanation: activity.verdict.explanation.clone(),
        });
        let label = match activity.event {
            Event::Fired => "FIRED",
            Event::Reminded => "reminded",
            Event::Resolved { .. } => "RESOLVED",
            // Pending alerts notify nobody; the timeline shows only what reaches people.
            Event::Pending | Event::PendingCancelled => continue,
        };
        writeln!(
            out,
            "{}  {label:<9} {:<22} {group:<11} {}",
            run.at.format("%Y-%m-%d %H:%M"),
            run.rule,
            activity.verdict.explanation
        )?;
        for delivery in &activity.deliveries {
            if let Err(error) = &delivery.result {
                let failure = format!(
                    "rule `{}` {group}: notifier `{}` failed: {error}",
                    run.rule, delivery.notifier
                );
                writeln!(out, "                  ! {failure}")?;
                report.failures.push(failure);
            }
        }
    }
    Ok(())
}
