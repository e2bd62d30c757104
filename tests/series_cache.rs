//! Incremental reads: an engine that keeps each rule's series between runs asks only for
//! the newest buckets, and its series are exactly those a full search returns — for every
//! example rule, run after run, on the embedded store over HTTP and in process.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use trendwatch::cli::demo::example_rules;
use trendwatch::engine::{REFETCH_BUCKETS, SeriesCache, evaluate_rule, evaluate_rules_cached};
use trendwatch::query::Series;
use trendwatch::rules::{Condition, Rule};
use trendwatch::scenario::{Fleet, Scenario};
use trendwatch::source::elasticsearch::{ElasticsearchSource, Settings};
use trendwatch::source::embedded::{EmbeddedStore, http};

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
    // Every 5 minutes for 3 hours, through the web-1 silence, then a 61-minute jump.
    let start: DateTime<Utc> = fleet().end() - TimeDelta::hours(38);
    let mut instants: Vec<DateTime<Utc>> =
        (0..36).map(|i| start + TimeDelta::minutes(5 * i)).collect();
    instants.push(instants[35] + TimeDelta::minutes(61));
    for (step, now) in instants.iter().enumerate() {
        let cached_http = evaluate_rules_cached(&refs, &cluster, *now, &mut over_http).await;
        let cached_local =
            evaluate_rules_cached(&refs, store.as_ref(), *now, &mut in_process).await;
        for ((rule, http), local) in rules.iter().zip(cached_http).zip(cached_local) {
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
            // The bucket(s) completed in the last 5 minutes and the re-asked ones.
            let newest = 300_000_u64.div_ceil(rule.bucket.as_millis()) as usize;
            // A grid no longer than that is read whole; so are change rules (a few windows);
            // and everything is read whole every hour (every 12th step, and after the jump).
            let incremental = step % 12 != 0
                && step < 36
                && whole > newest + REFETCH_BUCKETS as usize
                && !matches!(rule.condition, Condition::Change(_));
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
