//! One rule through every stage — plan, embedded store, series, verdict, lifecycle,
//! template, notifier — on documents made in the test, at chosen instants.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::Capture;
use serde_json::json;
use trendwatch::alerts::Event;
use trendwatch::cli::demo::example_rules;
use trendwatch::engine::Engine;
use trendwatch::notify::{NotifierRegistry, StdoutNotifier};
use trendwatch::query::{PlanLimits, TimeGrid, plan_counts, plan_search, time_grid};
use trendwatch::source::embedded::{EmbeddedStore, StoreBuilder};

fn t0() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

use common::rule_from as rule;

/// Two hosts reporting free memory every minute for an hour; `api-2` drops to 60 MB at
/// minute 30 and stays there, `api-1` stays at 900 MB.
fn memory_store() -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    for minute in 0..60 {
        for host in ["api-1", "api-2"] {
            let free = if host == "api-2" && minute >= 30 {
                60e6
            } else {
                900e6
            };
            let at = t0() + Duration::minutes(minute) + Duration::seconds(5);
            let document = json!({ "@timestamp": at.to_rfc3339(), "host": { "name": host }, "metricset": { "name": "memory" }, "system": { "memory": { "actual": { "free": free } } } });
            builder.add("metricbeat-2026.11.20", &document).unwrap();
        }
    }
    builder.finish().unwrap()
}

const MEMORY_RULE: &str = "name: api-memory-low\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: memory }\ngroup_by: host.name\nmetric: min(system.memory.actual.free)\nbucket: 1m\nevery: 1m\ncondition: { threshold: { below: 100MB } }\nfor: 3m\nseverity: critical\nannotations:\n  summary: \"{{ labels['host.name'] }} has {{ value | bytes }} available\"\nnotify: [console]\n";

#[tokio::test]
async fn a_threshold_fires_after_its_pending_duration_and_notifies_once() {
    let capture = Capture::default();
    let notifiers: NotifierRegistry = [(
        "console".to_string(),
        Box::new(StdoutNotifier::with_writer(
            "console",
            Box::new(capture.clone()),
        )) as _,
    )]
    .into_iter()
    .collect();
    let mut engine = Engine::new(memory_store(), notifiers);
    let rule = rule(MEMORY_RULE);
    let mut events = Vec::new();
    for minute in 25..45 {
        let run = engine
            .run_rule(&rule, t0() + Duration::minutes(minute))
            .await;
        let evaluation = run.evaluation.as_ref().unwrap();
        assert_eq!(evaluation.groups.len(), 2);
        events.extend(
            run.activity
                .iter()
                .map(|a| (minute, a.key.group[0].1.clone(), a.event)),
        );
    }
    // Bucket 30 is the first complete low bucket at 10:31; `for: 3m` fires at 10:34.
    assert_eq!(
        events,
        vec![
            (31, "api-2".to_string(), Event::Pending),
            (34, "api-2".to_string(), Event::Fired)
        ]
    );
    let output = capture.text();
    assert_eq!(
        output,
        "[console] FIRING api-memory-low (critical): api-2 has 60 MB available\n"
    );
}

#[tokio::test]
async fn a_failing_search_is_reported_and_changes_no_alert() {
    let mut engine = Engine::new(memory_store(), NotifierRegistry::new());
    let broken = rule(&MEMORY_RULE.replace("index: metricbeat-*", "index: no-such-index"));
    let run = engine.run_rule(&broken, t0() + Duration::minutes(40)).await;
    let error = run.evaluation.unwrap_err().to_string();
    assert_eq!(
        error,
        "rule `api-memory-low`: search rejected (404 index_not_found_exception): no such index [no-such-index]"
    );
    assert!(run.activity.is_empty());
    assert_eq!(engine.alerts().iter().count(), 0);
}

#[tokio::test]
async fn an_undeliverable_notification_is_reported_not_dropped() {
    let mut engine = Engine::new(memory_store(), NotifierRegistry::new());
    let rule = rule(&MEMORY_RULE.replace("for: 3m\n", ""));
    let run = engine.run_rule(&rule, t0() + Duration::minutes(40)).await;
    let activity = &run.activity[0];
    assert_eq!(activity.event, Event::Fired);
    assert_eq!(
        activity.notification.as_ref().unwrap().summary(),
        "api-2 has 60 MB available"
    );
    let failure = activity.deliveries[0].result.as_ref().unwrap_err();
    assert_eq!(
        failure.reason,
        "notifier `console` is not defined in the config"
    );
}

/// The hourly count check of a grouped rule's older buckets, pinned like its search.
#[test]
fn the_count_check_asks_only_for_documents_per_group() {
    let now: DateTime<Utc> = "2026-11-20T10:07:42Z".parse().unwrap();
    let rule = example_rules()
        .unwrap()
        .into_iter()
        .find(|rule| rule.name == "api-memory-leak")
        .unwrap();
    let grid = time_grid(&rule, now);
    let check = TimeGrid {
        end_ms: grid.end_ms - 3 * grid.bucket_ms,
        ..grid
    };
    let plan = plan_counts(&rule, check, PlanLimits::default(), None);
    insta::assert_snapshot!(
        "count_check_api-memory-leak",
        format!(
            "POST /{}/_search\n{}",
            plan.index,
            serde_json::to_string_pretty(&plan.body).unwrap()
        )
    );
}

/// The search bodies of the example rules, pinned so reviewers can read what is sent.
#[test]
fn example_rules_plan_one_search_each() {
    let now: DateTime<Utc> = "2026-11-20T10:07:42Z".parse().unwrap();
    for rule in example_rules().unwrap() {
        let plan = plan_search(&rule, now);
        insta::assert_snapshot!(
            format!("plan_{}", rule.name),
            format!(
                "POST /{}/_search\n{}",
                plan.index,
                serde_json::to_string_pretty(&plan.body).unwrap()
            )
        );
    }
}
