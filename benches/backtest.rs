//! Backtest of a per-host trend rule over 30 days at 5-minute buckets for 50 hosts on the
//! embedded store, end to end: the one search for the whole range, reading it, and judging
//! the rule at every scheduled instant through the alert lifecycle. Target (issue "Rule
//! development from the CLI"): under 1 s, with exactly one search (counted, and printed).
//!
//! Baseline in the same process: what a backtest without the one-search design does — the
//! engine run at every instant, one search each (here over 2 of the 30 days, scaled).
//!
//! The store is built once from one document per host and bucket: free memory with a daily
//! cycle and noise, and a leak on every tenth host. Its bucket budget is raised to the
//! range (50 groups × 8,641 buckets), as a cluster's `search.max_buckets` would be for
//! this; with the default 65,536 the range is paged in 8 searches.
//!
//! Run: `cargo bench --bench backtest`.

use std::path::Path;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use divan::{Bencher, black_box};
use serde_json::{Value, json};
use trendwatch::engine::Engine;
use trendwatch::engine::backtest::backtest;
use trendwatch::notify::NotifierRegistry;
use trendwatch::query::{Answer, PlanLimits};
use trendwatch::rules::{Rule, ValidationContext, parse_rules};
use trendwatch::source::embedded::{EmbeddedStore, StoreBuilder};
use trendwatch::source::{Source, SourceError};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HOSTS: usize = 50;
const DAYS: i64 = 30;
const BUCKET_MS: i64 = 300_000;

const RULE: &str = "name: memory-leak\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: memory }\ngroup_by: host.name\nmetric: avg(system.memory.actual.free)\nbucket: 5m\nevery: 15m\nlookback: 1d\ncondition:\n  trend:\n    direction: down\n    forecast: { reaches: 100MB, within: 3d }\nfor: 2h\nrealert: 24h\nnotify: [ops]\n";

fn main() {
    divan::main();
}

fn end() -> DateTime<Utc> {
    "2026-11-20T00:00:00Z".parse().expect("time")
}

fn rule() -> Rule {
    let (mut rules, problems) =
        parse_rules(Path::new("bench.yaml"), RULE, &ValidationContext::default());
    assert!(problems.is_empty(), "{problems:?}");
    rules.remove(0)
}

/// SplitMix64 noise in [-0.5, 0.5).
fn noise(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

static STORE: LazyLock<EmbeddedStore> = LazyLock::new(|| {
    let mut builder = StoreBuilder::new("@timestamp").expect("store");
    let start = (end() - Duration::days(DAYS + 1)).timestamp_millis();
    let buckets = (DAYS + 1) * 86_400_000 / BUCKET_MS;
    let mut state = 7;
    for host in 0..HOSTS {
        let leaking = host % 10 == 3;
        let phase = host as f64 / HOSTS as f64;
        for bucket in 0..buckets {
            let at = start + bucket * BUCKET_MS;
            let day = bucket as f64 * BUCKET_MS as f64 / 86_400_000.0;
            let cycle = 2.5e8 * (std::f64::consts::TAU * (day + phase)).sin();
            // A leak of 700 MB/day that restarts (the OOM killer) every 2 days.
            let leak = if leaking { 7e8 * (day % 2.0) } else { 0.0 };
            let free = 1.6e9 + cycle + 5e7 * noise(&mut state) - leak;
            let document: Value = json!({
                "@timestamp": at,
                "metricset": { "name": "memory" },
                "host": { "name": format!("api-{host:02}") },
                "system": { "memory": { "actual": { "free": free } } }
            });
            builder
                .add("metricbeat-bench", &document)
                .expect("document");
        }
    }
    builder
        .finish()
        .expect("finish")
        .with_max_buckets(1_000_000)
});

/// Counts the searches that reach the store.
struct Counted {
    searches: AtomicUsize,
}

impl Source for Counted {
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        self.searches.fetch_add(1, Ordering::Relaxed);
        Source::search(&*STORE, index, body).await
    }

    async fn limits(&self) -> Result<PlanLimits, SourceError> {
        STORE.limits().await
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn backtest_30_days(bencher: Bencher) {
    let (rule, runtime) = (rule(), runtime());
    LazyLock::force(&STORE);
    let mut reported = false;
    bencher.bench_local(|| {
        let counted = Counted {
            searches: AtomicUsize::new(0),
        };
        let replay = runtime
            .block_on(backtest(
                black_box(&rule),
                &counted,
                end() - Duration::days(DAYS),
                end(),
            ))
            .expect("backtest");
        if !reported {
            reported = true;
            let fired: Vec<String> = replay
                .groups
                .iter()
                .filter(|g| g.notifications > 0)
                .map(|g| format!("{} ({})", g.group, g.notifications))
                .collect();
            eprintln!(
                "backtest: {} search(es) counted, {} instants, {} groups, {} notifications: {}",
                counted.searches.load(Ordering::Relaxed),
                replay.instants,
                replay.groups.len(),
                replay.notifications(),
                fired.join(", ")
            );
        }
        replay
    });
}

/// The engine at every instant of 2 days, one search each; ×15 for 30 days.
#[divan::bench(sample_count = 2, sample_size = 1)]
fn baseline_engine_every_instant_2_days(bencher: Bencher) {
    let (rule, runtime) = (rule(), runtime());
    LazyLock::force(&STORE);
    bencher.bench_local(|| {
        let mut engine = Engine::new(&*STORE, NotifierRegistry::default());
        let mut at = end() - Duration::days(2);
        let mut runs = 0;
        while at <= end() {
            let run = runtime.block_on(engine.run_rule(black_box(&rule), at));
            runs += usize::from(run.evaluation.is_ok());
            at += Duration::minutes(15);
        }
        runs
    });
}
