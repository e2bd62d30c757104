//! Incremental reads: an engine that keeps each rule's series between runs asks only for
//! the newest buckets, and its series are exactly those a full search returns — for every
//! example rule, run after run, on the embedded store over HTTP and in process. Documents
//! that arrive late in older buckets are caught by the hourly count check.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{Value, json};
use trendwatch::cli::demo::example_rules;
use trendwatch::engine::{
    REFETCH_BUCKETS, SeriesCache, count_check_due, evaluate_rule, evaluate_rules_cached,
    next_count_check_ms,
};
use trendwatch::query::{Answer, Series};
use trendwatch::rules::{Condition, Rule, ValidationContext, parse_rules};
use trendwatch::scenario::{Fleet, Scenario};
use trendwatch::source::elasticsearch::{ElasticsearchSource, Settings};
use trendwatch::source::embedded::{EmbeddedStore, StoreBuilder, http};
use trendwatch::source::{Source, SourceError};

fn fleet() -> Fleet {
    Fleet {
        days: 3,
        ..Fleet::with_hosts(6, Scenario::All)
    }
}

fn store() -> EmbeddedStore {
    common::load_fleet(&fleet())
}

fn series(groups: &[trendwatch::engine::GroupVerdict]) -> Vec<Series> {
    groups.iter().map(|g| Series::clone(&g.series)).collect()
}

/// The first run of a rule every five minutes from `known_at` (when its counts were known
/// right) at which its count check is due.
fn first_check(rule: &Rule, known_at: DateTime<Utc>) -> DateTime<Utc> {
    let due = next_count_check_ms(&rule.name, known_at.timestamp_millis());
    let step = TimeDelta::minutes(5).num_milliseconds();
    let steps = (due - known_at.timestamp_millis() + step - 1) / step;
    known_at + TimeDelta::milliseconds(steps * step)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_reads_equal_full_reads_run_after_run() {
    let store = Arc::new(store());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(http::serve(store.clone(), listener, std::future::pending()));
    let cluster = ElasticsearchSource::new(&Settings::for_url(&url).unwrap()).unwrap();

    let rules = example_rules().unwrap();
    let refs: Vec<&Rule> = rules.iter().collect();
    let mut over_http = SeriesCache::default();
    let mut in_process = SeriesCache::default();
    // When each rule's counts were last known right: read in full, or checked.
    let mut known_at: Vec<i64> = vec![0; rules.len()];
    // Every 5 minutes for 3 hours, through the web-1 silence, then a 61-minute jump.
    let start: DateTime<Utc> = fleet().end() - TimeDelta::hours(38);
    let mut instants: Vec<DateTime<Utc>> =
        (0..36).map(|i| start + TimeDelta::minutes(5 * i)).collect();
    instants.push(instants[35] + TimeDelta::minutes(61));
    for (step, now) in instants.iter().enumerate() {
        let cached_http = evaluate_rules_cached(&refs, &cluster, *now, &mut over_http).await;
        let cached_local =
            evaluate_rules_cached(&refs, store.as_ref(), *now, &mut in_process).await;
        for (((rule, http), local), known_at) in rules
            .iter()
            .zip(cached_http)
            .zip(cached_local)
            .zip(&mut known_at)
        {
            let (http, local) = (http.unwrap(), local.unwrap());
            let full = evaluate_rule(rule, store.as_ref(), *now).await.unwrap();
            assert_eq!(
                series(&http.groups),
                series(&full.groups),
                "{} at {now}",
                rule.name
            );
            assert_eq!(
                series(&local.groups),
                series(&full.groups),
                "{} at {now}",
                rule.name
            );
            let whole = full.plan.grid.len();
            // The bucket(s) completed since the previous run and the re-asked ones.
            let elapsed = match step {
                0 => 0,
                _ => (*now - instants[step - 1]).num_milliseconds() as u64,
            };
            let newest = elapsed.div_ceil(rule.bucket.as_millis()) as usize;
            // A grid no longer than that is read whole; so are change rules (a few windows).
            // The first run reads everything; later ones only the newest buckets, with the
            // count check of the rest once in each hour, at the rule's own point of it.
            let incremental = step > 0
                && whole > newest + REFETCH_BUCKETS as usize
                && !matches!(rule.condition, Condition::Change(_));
            let checked =
                incremental && count_check_due(&rule.name, *known_at, now.timestamp_millis());
            if checked || !incremental {
                *known_at = now.timestamp_millis();
            }
            let pages = full.searches;
            assert_eq!(
                http.searches,
                if checked { pages + 1 } else { pages },
                "{} at {now}: searches",
                rule.name
            );
            if incremental {
                assert!(
                    http.fetched_buckets <= newest + REFETCH_BUCKETS as usize
                        && http.fetched_buckets >= REFETCH_BUCKETS as usize,
                    "{} at {now}: {} buckets",
                    rule.name,
                    http.fetched_buckets
                );
                assert!(http.fetched_buckets < whole, "{}", rule.name);
            } else {
                assert_eq!(
                    http.fetched_buckets, whole,
                    "{} at {now}: a full read",
                    rule.name
                );
            }
        }
    }
}

/// Two hosts reporting every five minutes for three hours either side of `start`; with
/// `late`, one more document for `h1` half an hour before `start`, as if it had
/// been held up on the way.
fn small_store(start: DateTime<Utc>, late: bool) -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    for minute in (-180..180).step_by(5) {
        for (host, free) in [("h1", 500.0), ("h2", 800.0)] {
            let at = start + TimeDelta::minutes(minute) + TimeDelta::seconds(20);
            let document = json!({ "@timestamp": at.to_rfc3339(), "host": host, "free": free });
            builder.add("metrics", &document).unwrap();
        }
    }
    if late {
        let at = start - TimeDelta::minutes(30) + TimeDelta::seconds(40);
        let document = json!({ "@timestamp": at.to_rfc3339(), "host": "h1", "free": 100.0 });
        builder.add("metrics", &document).unwrap();
    }
    builder.finish().unwrap()
}

/// A document that arrives after its bucket was read and is no longer asked again is not
/// seen by the incremental reads; the hourly count check notices the count that differs,
/// and that evaluation reads everything again. When the counts agree, the check is all it
/// costs. Grouped and ungrouped rules alike.
#[tokio::test]
async fn the_count_check_catches_documents_that_arrived_late() {
    for group_by in ["group_by: host\n", ""] {
        late_documents_are_caught(&free_rule(group_by, "2h")).await;
    }
}

async fn late_documents_are_caught(rule: &Rule) {
    let start: DateTime<Utc> = "2026-11-20T12:00:00Z".parse().unwrap();
    let (before, after) = (small_store(start, false), small_store(start, true));
    let mut cache = SeriesCache::default();
    let mut run = async |store: &EmbeddedStore, at: DateTime<Utc>| {
        let mut results = evaluate_rules_cached(&[rule], store, at, &mut cache).await;
        let cached = results.pop().unwrap().unwrap();
        let full = evaluate_rule(rule, store, at).await.unwrap();
        (
            cached.searches,
            series(&cached.groups),
            series(&full.groups),
        )
    };
    let (searches, cached, full) = run(&before, start).await;
    assert_eq!(
        (searches, &cached),
        (1, &full),
        "the first run reads everything"
    );

    // The late document is in an older bucket: five minutes on, it is not asked again.
    let check_due = first_check(rule, start);
    assert!(
        check_due > start + TimeDelta::minutes(5),
        "the rule's point in the hour must leave a run without the check"
    );
    let (searches, cached, full) = run(&after, start + TimeDelta::minutes(5)).await;
    assert_eq!(searches, 1);
    assert_ne!(cached, full, "not seen without a count check");

    // Within the hour after the full read the check is due: one document more there.
    let (searches, cached, full) = run(&after, check_due).await;
    assert_eq!(
        searches, 3,
        "newest buckets, the count check, then everything"
    );
    assert_eq!(cached, full);
    let (_, _, without_late) = run(&before, check_due).await;
    assert_ne!(full, without_late, "the late document is inside the grid");

    // Read in full just now: the next check is an hour away, and then it agrees.
    let mut cache_after = SeriesCache::default();
    let mut run = async |at: DateTime<Utc>| {
        let mut results = evaluate_rules_cached(&[rule], &after, at, &mut cache_after).await;
        let cached = results.pop().unwrap().unwrap();
        let full = evaluate_rule(rule, &after, at).await.unwrap();
        (
            cached.searches,
            series(&cached.groups),
            series(&full.groups),
        )
    };
    let (searches, cached, full) = run(check_due).await;
    assert_eq!((searches, &cached), (1, &full));
    let (searches, cached, full) = run(check_due + TimeDelta::minutes(5)).await;
    assert_eq!((searches, &cached), (1, &full));
    let next_check = first_check(rule, check_due);
    assert!(next_check > check_due + TimeDelta::minutes(55));
    let (searches, cached, full) = run(next_check).await;
    assert_eq!(
        (searches, &cached),
        (2, &full),
        "the check agrees: nothing more"
    );
}

/// A store that fails every count check, as a cluster might refuse one.
struct RefusesCountChecks<'a>(&'a EmbeddedStore);

impl Source for RefusesCountChecks<'_> {
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        let aggs = &body["aggs"];
        let count_check = aggs.get("total").is_some() || aggs["group"].get("aggs").is_none();
        if count_check {
            return Err(SourceError::Unavailable {
                reason: "count checks refused".to_string(),
            });
        }
        Source::search(self.0, index, body).await
    }
}

/// A count check that fails confirms nothing: that evaluation reads everything again
/// instead of failing, and the next check is an hour later.
#[tokio::test]
async fn a_failed_count_check_means_a_full_read() {
    let rule = &free_rule("group_by: host\n", "2h");
    let start: DateTime<Utc> = "2026-11-20T12:00:00Z".parse().unwrap();
    let store = small_store(start, true);
    let source = RefusesCountChecks(&store);
    let mut cache = SeriesCache::default();
    let check_due = first_check(rule, start);
    for (at, searches) in [
        (start, 1),
        (check_due, 3),
        (check_due + TimeDelta::minutes(5), 1),
    ] {
        let mut results = evaluate_rules_cached(&[rule], &source, at, &mut cache).await;
        let cached = results.pop().unwrap().unwrap();
        let full = evaluate_rule(rule, &store, at).await.unwrap();
        assert_eq!(cached.searches, searches, "at {at}");
        assert_eq!(series(&cached.groups), series(&full.groups), "at {at}");
    }
}

/// Two hosts reporting every five minutes for three days before `end`, their free memory
/// different in every bucket.
fn days_store(end: DateTime<Utc>) -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    for step in 0..3 * 288 {
        for (host, base) in [("h1", 500.0), ("h2", 800.0)] {
            let at = end - TimeDelta::minutes(5 * step) + TimeDelta::seconds(20);
            let free = base + (step % 97) as f64;
            let document = json!({ "@timestamp": at.to_rfc3339(), "host": host, "free": free });
            builder.add("metrics", &document).unwrap();
        }
    }
    builder.finish().unwrap()
}

/// A rule on the free memory in `metrics`, every 5 minutes over `lookback`, grouped as
/// `group_by` says (a `group_by:` line, or nothing).
fn free_rule(group_by: &str, lookback: &str) -> Rule {
    let text = format!(
        "name: free\nindex: metrics\n{group_by}metric: avg(free)\nbucket: 5m\nevery: 5m\nlookback: {lookback}\ncondition: {{ threshold: {{ below: 50 }} }}\nnotify: [ops]\n"
    );
    let (mut rules, problems) = parse_rules(
        std::path::Path::new("free.yaml"),
        &text,
        &ValidationContext::default(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    rules.remove(0)
}

/// A look-back of a day renews itself as it slides: run after run for more than a day after
/// its one full read it asks only for the newest buckets (and the hourly count check), and
/// its series stay those a full search returns. A look-back of two days is read in full
/// once a day after its last full read.
#[tokio::test]
async fn only_look_backs_longer_than_a_day_are_read_in_full_daily() {
    let start: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
    let store = days_store(start + TimeDelta::hours(26));
    let day = free_rule("group_by: host\n", "1d");
    let mut cache = SeriesCache::default();
    let mut known_at = start.timestamp_millis();
    for step in 0..=(26 * 12) {
        let now = start + TimeDelta::minutes(5 * step);
        let cached = evaluate_rules_cached(&[&day], &store, now, &mut cache)
            .await
            .pop()
            .unwrap()
            .unwrap();
        let full = evaluate_rule(&day, &store, now).await.unwrap();
        assert_eq!(series(&cached.groups), series(&full.groups), "at {now}");
        if step == 0 {
            assert_eq!(cached.fetched_buckets, full.plan.grid.len());
            continue;
        }
        let checked = count_check_due(&day.name, known_at, now.timestamp_millis());
        if checked {
            known_at = now.timestamp_millis();
        }
        assert_eq!(
            cached.searches,
            1 + usize::from(checked),
            "at {now}: the newest buckets, and hourly the count check"
        );
        assert_eq!(
            cached.fetched_buckets,
            REFETCH_BUCKETS as usize + 1,
            "at {now}: never read in full again"
        );
    }

    let two_days = free_rule("group_by: host\n", "2d");
    let mut cache = SeriesCache::default();
    let mut run = async |now: DateTime<Utc>| {
        evaluate_rules_cached(&[&two_days], &store, now, &mut cache)
            .await
            .pop()
            .unwrap()
            .unwrap()
    };
    let whole = run(start).await.fetched_buckets;
    assert_eq!(whole, 2 * 288);
    let almost_a_day = start + TimeDelta::hours(23) + TimeDelta::minutes(55);
    assert_eq!(
        run(almost_a_day).await.fetched_buckets,
        287 + REFETCH_BUCKETS as usize,
        "23 h 55 min of new buckets and the re-asked ones"
    );
    let a_day_later = start + TimeDelta::hours(24);
    assert_eq!(
        run(a_day_later).await.fetched_buckets,
        whole,
        "read in full a day after the last full read"
    );
}
