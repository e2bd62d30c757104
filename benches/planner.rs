//! One evaluation cycle's client-side work for 1,000 rules, each grouping 50 hosts over
//! 288 five-minute buckets: planning every search, and reading every answer (the response
//! bytes as the cluster sends them) into series. The cluster's own time is not counted.
//! Target (issue "Elasticsearch source"): under 50 ms per cycle on one core.
//!
//! Three cycles are measured: reading every rule's whole day (what the first evaluation
//! does, and a full read after a late document); the steady cycle of the engine, whose
//! series cache asks only for the newest buckets (the new one and the two re-asked ones)
//! and merges them in, and checks the counts of the rules whose point of the hour has come
//! (about one in twelve: each rule's hourly count check falls at its own point); and, as
//! the worst case, a cycle in which every rule's count check is due at once. (A one-day
//! look-back is not read in full again for its age: its buckets renew themselves as it
//! slides.)
//!
//! The baseline, in the same process, is parsing the whole-day bytes into a
//! `serde_json::Value` and nothing else: the floor for any reader that goes through a JSON
//! tree.
//!
//! The answer is computed once by the embedded store from one document per host and
//! bucket, so its shape is exactly what the planner asked for.
//!
//! Run: `cargo bench --bench planner`.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use divan::{Bencher, black_box};
use serde_json::{Value, json};
use trendwatch::engine::{COUNT_CHECK_MS, Fetch, REFETCH_BUCKETS, SeriesCache, count_check_due};
use trendwatch::query::{
    Answer, PlanLimits, SearchPlan, counts_from_response, page_from_response, plan_counts,
    plan_over, plan_page, time_grid,
};
use trendwatch::rules::{Rule, ValidationContext, parse_rules};
use trendwatch::source::embedded::StoreBuilder;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RULES: usize = 1_000;
const HOSTS: usize = 50;
const BUCKETS: i64 = 288;
const BUCKET_MS: i64 = 300_000;

const RULE: &str = "name: memory-trend\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: memory }\ngroup_by: host.name\nmetric: avg(system.memory.actual.free)\nbucket: 5m\nevery: 5m\nlookback: 24h\ncondition: { trend: { direction: down } }\nnotify: [ops]\n";

fn main() {
    let (_, bytes) = &*ANSWER;
    eprintln!(
        "one answer: {} bytes; a cycle reads {:.0} MB",
        bytes.len(),
        (bytes.len() * RULES) as f64 / 1e6
    );
    let read_at = previous_cycle().timestamp_millis();
    let checking = RULE_SET
        .iter()
        .filter(|rule| count_check_due(&rule.name, read_at, now_ms()))
        .count();
    eprintln!("the steady cycle checks the counts of {checking} of {RULES} rules");
    divan::main();
}

/// The cycle's instant, taken once per cycle as the engine does.
fn now() -> DateTime<Utc> {
    static NOW: LazyLock<DateTime<Utc>> =
        LazyLock::new(|| "2026-11-20T00:00:10Z".parse().expect("time"));
    *NOW
}

fn rule() -> Rule {
    let (mut rules, problems) =
        parse_rules(Path::new("bench.yaml"), RULE, &ValidationContext::default());
    assert!(problems.is_empty(), "{problems:?}");
    rules.remove(0)
}

/// 1,000 rules that differ by name (as a real rule set differs by everything).
static RULE_SET: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    (0..RULES)
        .map(|i| Rule {
            name: format!("memory-trend-{i}"),
            ..rule()
        })
        .collect()
});

/// The store's answer to the rule's whole-day search, as bytes on the wire.
static ANSWER: LazyLock<(Rule, Vec<u8>)> =
    LazyLock::new(|| (ANSWERS.rule.clone(), ANSWERS.whole_day.clone()));

/// What the steady cycle reads: the whole day as of the previous cycle (five minutes
/// earlier), then at this cycle the newest buckets — the one new bucket and the
/// [`REFETCH_BUCKETS`] re-asked ones.
struct Answers {
    rule: Rule,
    whole_day: Vec<u8>,
    previous_day: Vec<u8>,
    newest: Vec<u8>,
    /// The hourly count check's answer.
    counts: Vec<u8>,
}

fn previous_cycle() -> DateTime<Utc> {
    now() - chrono::Duration::milliseconds(BUCKET_MS)
}

static ANSWERS: LazyLock<Answers> = LazyLock::new(|| {
    let rule = rule();
    let previous = plan_page(&rule, previous_cycle(), limits(), None);
    let mut builder = StoreBuilder::new("@timestamp").expect("builder");
    for host in 0..HOSTS {
        for bucket in 0..=BUCKETS {
            let at = previous.grid.start_ms + bucket * BUCKET_MS + 1_000;
            let document = json!({
                "@timestamp": at,
                "host": { "name": format!("api-{host:02}") },
                "metricset": { "name": "memory" },
                "system": { "memory": { "actual": { "free": 1.6e9 - (bucket as f64) * 1.3e6 + host as f64 } } }
            });
            builder
                .add("metricbeat-2026.11.19", &document)
                .expect("document");
        }
    }
    let store = builder.finish().expect("store").with_max_buckets(1_000_000);
    let answer = |plan: &SearchPlan| {
        let answer = store.search(&plan.index, &plan.body).expect("search");
        serde_json::to_vec(&answer).expect("json")
    };
    let mut cache = SeriesCache::default();
    cache.store_full(
        &rule,
        previous.grid,
        Vec::new(),
        previous_cycle().timestamp_millis(),
    );
    let due = now_ms() + COUNT_CHECK_MS;
    let Fetch::Since {
        fetch,
        check: Some(check),
        ..
    } = cache.plan(&rule, time_grid(&rule, now()), due)
    else {
        panic!("the cache should ask only for the newest buckets, and check the rest");
    };
    assert_eq!(fetch.len() as i64, REFETCH_BUCKETS + 1);
    assert_eq!(check.len() as i64, BUCKETS - REFETCH_BUCKETS - 1);
    Answers {
        whole_day: answer(&plan_page(&rule, now(), limits(), None)),
        previous_day: answer(&previous),
        newest: answer(&plan_over(&rule, fetch, limits(), None)),
        counts: answer(&plan_counts(&rule, check, limits(), None)),
        rule,
    }
});

fn now_ms() -> i64 {
    now().timestamp_millis()
}

fn limits() -> PlanLimits {
    PlanLimits {
        max_buckets: 1_000_000,
    }
}

#[divan::bench(sample_count = 20)]
fn plan_1000_rules() -> usize {
    RULE_SET
        .iter()
        .map(|rule| {
            plan_page(black_box(rule), now(), limits(), None)
                .body
                .as_object()
                .map_or(0, |o| o.len())
        })
        .sum()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn read_1000_answers(bencher: Bencher) {
    let (rule, bytes) = &*ANSWER;
    let plan = plan_page(rule, now(), limits(), None);
    let answer = Answer::Bytes(bytes.clone());
    bencher.bench_local(|| {
        let mut series = 0;
        for _ in 0..RULES {
            series += page_from_response(black_box(&answer), &rule.metric, &rule.group_by, &plan)
                .expect("page")
                .series
                .len();
        }
        assert_eq!(series, RULES * HOSTS);
        series
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn cycle_plan_and_read_1000_rules(bencher: Bencher) {
    let (_, bytes) = &*ANSWER;
    let answer = Answer::Bytes(bytes.clone());
    bencher.bench_local(|| {
        let mut series = 0;
        for rule in RULE_SET.iter() {
            let plan = plan_page(rule, now(), limits(), None);
            series += page_from_response(black_box(&answer), &rule.metric, &rule.group_by, &plan)
                .expect("page")
                .series
                .len();
        }
        series
    });
}

/// The engine's steady cycle: each rule's series known from the previous cycle five
/// minutes earlier; the newest buckets asked for, read and merged in (the grid moves by
/// one bucket), and the counts checked for the rules whose check falls in these five
/// minutes. Each sample starts from a freshly filled cache, made outside the timing.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn cycle_incremental_1000_rules(bencher: Bencher) {
    steady_cycle(bencher, false);
}

/// The worst case: a cycle in which every rule's hourly count check is due — the same
/// newest buckets, and for each rule the documents per host over the rest of its day,
/// compared with the cached counts before the merge. (Before checks were spread over the
/// hour, this was every twelfth cycle.)
#[divan::bench(sample_count = 20, sample_size = 1)]
fn cycle_with_count_checks_1000_rules(bencher: Bencher) {
    steady_cycle(bencher, true);
}

fn steady_cycle(bencher: Bencher, all_checks_due: bool) {
    let answers = &*ANSWERS;
    let previous_plan = plan_page(&answers.rule, previous_cycle(), limits(), None);
    let previous_series = page_from_response(
        &Answer::Bytes(answers.previous_day.clone()),
        &answers.rule.metric,
        &answers.rule.group_by,
        &previous_plan,
    )
    .expect("page")
    .series;
    let newest = Answer::Bytes(answers.newest.clone());
    let counts = Answer::Bytes(answers.counts.clone());
    // Every rule's check is due an hour after the previous full read.
    let at = if all_checks_due {
        now_ms() + COUNT_CHECK_MS
    } else {
        now_ms()
    };
    let read_at = previous_cycle().timestamp_millis();
    bencher
        .with_inputs(|| {
            let mut cache = SeriesCache::default();
            for rule in RULE_SET.iter() {
                cache.store_full(rule, previous_plan.grid, previous_series.clone(), read_at);
            }
            cache
        })
        .bench_local_values(|mut cache| {
            let mut series = 0;
            for rule in RULE_SET.iter() {
                let Fetch::Since { fetch, full, check } =
                    cache.plan(rule, time_grid(rule, now()), at)
                else {
                    panic!("expected an incremental read");
                };
                if let Some(check) = check {
                    let check_plan = plan_counts(rule, check, limits(), None);
                    let counted =
                        counts_from_response(black_box(&counts), &rule.group_by, &check_plan)
                            .expect("counts")
                            .counts;
                    assert!(cache.counts_agree(rule, check, &counted));
                    cache.checked(rule, at);
                }
                let plan = plan_over(rule, fetch, limits(), None);
                let page =
                    page_from_response(black_box(&newest), &rule.metric, &rule.group_by, &plan)
                        .expect("page");
                series += cache
                    .merge(rule, fetch, full, page.series)
                    .expect("merge")
                    .len();
            }
            assert_eq!(series, RULES * HOSTS);
            (series, cache)
        });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn baseline_json_tree_only(bencher: Bencher) {
    let (_, bytes) = &*ANSWER;
    bencher.bench_local(|| {
        (0..RULES)
            .map(|_| {
                serde_json::from_slice::<Value>(black_box(bytes))
                    .expect("json")
                    .as_object()
                    .map_or(0, |o| o.len())
            })
            .sum::<usize>()
    });
}

/// The steady cycle's reading alone: the newest buckets' answer for every rule.
#[divan::bench(sample_count = 20)]
fn read_newest_1000_answers(bencher: Bencher) {
    let answers = &*ANSWERS;
    let rule = &answers.rule;
    let cache_plan = {
        let mut cache = SeriesCache::default();
        cache.store_full(
            rule,
            plan_page(rule, previous_cycle(), limits(), None).grid,
            Vec::new(),
            previous_cycle().timestamp_millis(),
        );
        cache.plan(rule, time_grid(rule, now()), now_ms())
    };
    let plan = plan_over(rule, cache_plan.grid(), limits(), None);
    let newest = Answer::Bytes(answers.newest.clone());
    bencher.bench_local(|| {
        (0..RULES)
            .map(|_| {
                page_from_response(black_box(&newest), &rule.metric, &rule.group_by, &plan)
                    .expect("page")
                    .series
                    .len()
            })
            .sum::<usize>()
    });
}
