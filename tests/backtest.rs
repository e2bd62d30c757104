//! The backtest against the real engine: replaying a rule from one search over the range
//! must give exactly the alert events (and verdicts) that running the engine at every
//! scheduled instant gives, search by search — for every example rule, on the demo's
//! generated incidents. Also: the search count, the split past the bucket budget, and the
//! summary numbers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use trendwatch::alerts::Event;
use trendwatch::analysis::Verdict;
use trendwatch::engine::Engine;
use trendwatch::engine::backtest::{BacktestError, backtest, instants};
use trendwatch::notify::NotifierRegistry;
use trendwatch::query::{Answer, PlanLimits};
use trendwatch::rules::Rule;
use trendwatch::scenario::Fleet;
use trendwatch::source::embedded::EmbeddedStore;
use trendwatch::source::{Source, SourceError};

/// Counts the searches that reach a source.
struct Counted<'a> {
    inner: &'a EmbeddedStore,
    searches: AtomicUsize,
}

impl Source for Counted<'_> {
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        self.searches.fetch_add(1, Ordering::Relaxed);
        Source::search(self.inner, index, body).await
    }

    async fn limits(&self) -> Result<PlanLimits, SourceError> {
        Source::limits(self.inner).await
    }
}

use common::example_rule as rule;

type Events = Vec<(DateTime<Utc>, String, Event, Verdict)>;

/// The engine run at every scheduled instant, one evaluation each, as the daemon would.
async fn live_events(
    rule: &Rule,
    store: &EmbeddedStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Events {
    let mut engine = Engine::new(store, NotifierRegistry::default());
    let mut events = Vec::new();
    for at in instants(rule, from, to) {
        let run = engine.run_rule(rule, at).await;
        run.evaluation.as_ref().expect("live evaluation");
        for activity in run.activity {
            events.push((
                at,
                format!("{:?}", activity.key.group),
                activity.event,
                activity.verdict,
            ));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    events
}

#[tokio::test]
async fn backtest_gives_the_live_engines_events_from_one_search() {
    let fleet = Fleet::default();
    let store = common::load_fleet(&fleet);
    let end = fleet.end();
    let cases = [
        // Every minute: four hours around the OOM at 09:20 on the last day but one (fires,
        // then resolves after the restart).
        (
            "api-memory-low",
            end - Duration::hours(16),
            end - Duration::hours(12),
        ),
        ("api-memory-leak", end - Duration::days(3), end),
        ("disk-filling-up", end - Duration::days(3), end),
        // A change rule: its live searches ask for three windows only.
        ("http-5xx-share-rising", end - Duration::days(2), end),
    ];
    for (name, from, to) in cases {
        let rule = rule(name);
        let live = live_events(&rule, &store, from, to).await;
        let counted = Counted {
            inner: &store,
            searches: AtomicUsize::new(0),
        };
        let replay = backtest(&rule, &counted, from, to).await.unwrap();
        assert_eq!(counted.searches.load(Ordering::Relaxed), 1, "{name}");
        assert_eq!(replay.searches, 1, "{name}");
        assert_eq!(replay.instants, instants(&rule, from, to).len());
        let replayed: Events = replay
            .timeline()
            .into_iter()
            .map(|(group, e)| (e.at, format!("{:?}", group.0), e.event, e.verdict.clone()))
            .collect();
        assert!(
            live.iter().any(|e| e.2 == Event::Fired),
            "{name}: the range should hold a firing"
        );
        assert_eq!(
            replayed.len(),
            live.len(),
            "{name}: {replayed:#?}\n{live:#?}"
        );
        for (replayed, live) in replayed.iter().zip(&live) {
            assert_eq!(replayed, live, "{name}");
        }
    }
}

#[tokio::test]
async fn summary_counts_notifications_and_time_firing() {
    let fleet = Fleet::default();
    let store = common::load_fleet(&fleet);
    let rule = rule("disk-filling-up");
    let (from, to) = (fleet.end() - Duration::days(3), fleet.end());
    let replay = backtest(&rule, &store, from, to).await.unwrap();
    let filling = replay
        .groups
        .iter()
        .find(|g| g.events.iter().any(|e| e.event == Event::Fired))
        .unwrap();
    let notifying = filling.events.iter().filter(|e| e.event.notifies()).count();
    assert_eq!(filling.notifications, notifying);
    assert_eq!(replay.notifications(), notifying, "only web-2 /var pages");
    let fired = filling
        .events
        .iter()
        .find(|e| e.event == Event::Fired)
        .unwrap()
        .at;
    match filling
        .events
        .iter()
        .find(|e| matches!(e.event, Event::Resolved { .. }))
    {
        Some(resolved) => assert_eq!(
            filling.firing_ms,
            (resolved.at - fired).num_milliseconds(),
            "one firing spell"
        ),
        None => {
            assert!(filling.firing_at_end);
            let last = *instants(&rule, from, to).last().unwrap();
            assert_eq!(filling.firing_ms, (last - fired).num_milliseconds());
        }
    }
    let weeks = 3.0 / 7.0;
    assert!((replay.notifications_per_week() - notifying as f64 / weeks).abs() < 1e-9);
}

#[tokio::test]
async fn a_range_past_the_bucket_budget_is_split_and_replays_the_same() {
    let fleet = Fleet::default();
    let store = common::load_fleet(&fleet);
    let rule = rule("api-memory-leak");
    let (from, to) = (fleet.end() - Duration::days(3), fleet.end());
    let whole = backtest(&rule, &store, from, to).await.unwrap();
    // 4 days of 15-minute buckets = 384 per group; a budget of 100 needs 4 spans, and one
    // group per page: per span, a page per group and the empty page that ends the paging.
    let tight = store.with_max_buckets(100);
    let split = backtest(&rule, &tight, from, to).await.unwrap();
    assert_eq!(
        split.searches,
        4 * (split.groups.len() + 1),
        "a last, empty page per span"
    );
    assert_eq!(split.groups.len(), whole.groups.len());
    for (a, b) in split.groups.iter().zip(&whole.groups) {
        assert_eq!(a.series, b.series);
        assert_eq!(a.events.len(), b.events.len());
    }
}

#[tokio::test]
async fn an_empty_or_inverted_range_is_refused() {
    let fleet = Fleet::default();
    let store = common::load_fleet(&fleet);
    let rule = rule("api-memory-leak");
    let at = fleet.end();
    assert!(matches!(
        backtest(&rule, &store, at, at).await,
        Err(BacktestError::EmptyRange { .. })
    ));
    // Every 15 minutes: nothing between :01 and :14.
    let quarter = at - Duration::minutes(14);
    let error = backtest(&rule, &store, quarter, quarter + Duration::minutes(13))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("would not run between"),
        "{error}"
    );
}

#[tokio::test]
async fn a_range_too_long_to_hold_is_refused_before_it_is_read() {
    let fleet = Fleet {
        days: 1,
        ..Fleet::default()
    };
    let store = common::load_fleet(&fleet);
    let counted = Counted {
        inner: &store,
        searches: AtomicUsize::new(0),
    };
    let to = fleet.end();
    // Every minute for three years: over a million runs.
    let every_minute = rule("api-memory-low");
    let error = backtest(&every_minute, &counted, to - Duration::days(3 * 365), to)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            BacktestError::TooManyRuns {
                most: 1_000_000,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("would run more than 1000000 times"),
        "{error}"
    );
    // Once a day, but on one-minute buckets: three years of them per group.
    let text = "name: daily\nindex: metricbeat-*\ngroup_by: host.name\nmetric: min(system.memory.actual.free)\nbucket: 1m\nevery: 1d\ncondition: { threshold: { below: 100MB } }\nnotify: [ops]\n";
    let daily = common::rule_from(text);
    let error = backtest(&daily, &counted, to - Duration::days(3 * 365), to)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BacktestError::TooManyBuckets { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("more than the 1000000 a backtest reads"),
        "{error}"
    );
    assert_eq!(
        counted.searches.load(Ordering::Relaxed),
        0,
        "refused before any search"
    );
    // 690 days of one-minute buckets fit one group, but not 60 hosts' (50 million in all).
    let fleet = Fleet {
        days: 1,
        ..Fleet::with_hosts(60, trendwatch::scenario::Scenario::Demo)
    };
    let store = common::load_fleet(&fleet);
    let to = fleet.end();
    let error = backtest(&daily, &store, to - Duration::days(690), to)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BacktestError::TooMuchData { .. }),
        "{error}"
    );
}
