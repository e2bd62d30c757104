//! The embedded store on a million metric documents: loading them, and answering a
//! 30-day, 5-minute `terms(host, 50) → date_histogram → avg` search, against a baseline of
//! the same search done by naive iteration over the parsed documents in the same process.
//! Targets (issue "Embedded store"): load ≥ 300k docs/s on one core, the search under
//! 150 ms, resident memory under 400 MB.
//!
//! The search is timed three ways: answered as the store's reply tree (what the HTTP
//! server serializes and the in-process source turns into bytes), with those bytes, and
//! as a `serde_json::Value` like the naive baseline builds.
//!
//! The search creates 432,000 buckets, more than Elasticsearch's default
//! `search.max_buckets` (65,536): like a cluster would need the setting raised, the store
//! here is given a higher limit. Resident memory is printed once, before the benches.
//!
//! Run: `cargo bench --bench store`.

use std::collections::HashMap;
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use serde_json::{Value, json};
use trendwatch::source::embedded::{EmbeddedStore, Reply, StoreBuilder};

/// The allocator the trendwatch binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DOCUMENTS: usize = 1_000_000;
const HOSTS: usize = 50;
const DAYS: i64 = 30;
const START_MS: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z
const SPAN_MS: i64 = DAYS * 86_400_000;

fn main() {
    let before = resident_mb();
    let store = LazyLock::force(&STORE);
    let after = resident_mb();
    eprintln!(
        "store: {} documents; resident memory {before:.0} MB before loading, {after:.0} MB after (peak {:.0} MB)",
        store.document_count(),
        peak_mb()
    );
    divan::main();
}

/// The i-th document: hosts take turns, timestamps spread evenly over 30 days.
fn document(i: usize) -> Value {
    let host = i % HOSTS;
    let at = START_MS + (i as i64) * SPAN_MS / DOCUMENTS as i64;
    let free = 1.6e9 - 2.5e8 * ((at % 86_400_000) as f64 / 86_400_000.0) + (i % 97) as f64 * 1e5;
    json!({
        "@timestamp": at,
        "host": { "name": format!("host-{host:02}") },
        "metricset": { "name": "memory" },
        "system": { "memory": { "actual": { "free": free } } }
    })
}

fn load<I: IntoIterator<Item = Value>>(documents: I) -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").expect("builder");
    for document in documents {
        builder
            .add_owned("metricbeat", None, document)
            .expect("document");
    }
    builder.finish().expect("store").with_max_buckets(1_000_000)
}

static STORE: LazyLock<EmbeddedStore> = LazyLock::new(|| load((0..DOCUMENTS).map(document)));

fn search_body() -> Value {
    json!({
        "size": 0,
        "query": { "bool": { "filter": [
            { "range": { "@timestamp": { "gte": START_MS, "lt": START_MS + SPAN_MS, "format": "epoch_millis" } } }
        ] } },
        "aggs": { "group": {
            "terms": { "field": "host.name", "size": HOSTS },
            "aggs": { "series": {
                "date_histogram": { "field": "@timestamp", "fixed_interval": "5m", "min_doc_count": 0,
                                    "extended_bounds": { "min": START_MS, "max": START_MS + SPAN_MS - 300_000 } },
                "aggs": { "value": { "avg": { "field": "system.memory.actual.free" } } }
            } }
        } }
    })
}

/// Loading a million parsed documents (making them is not timed).
#[divan::bench(sample_count = 2, sample_size = 1)]
fn load_one_million_documents(bencher: Bencher) {
    bencher
        .with_inputs(|| (0..DOCUMENTS).map(document).collect::<Vec<_>>())
        .bench_values(load);
}

/// The search over the loaded store, answered as its reply tree.
fn answer(body: &Value) -> Reply {
    STORE
        .search_reply_at("metricbeat", black_box(body), START_MS + SPAN_MS)
        .expect("search")
}

/// The search, answered as the store's reply tree (what the HTTP server serializes).
#[divan::bench(sample_count = 10)]
fn search_30_days_5m_50_hosts(bencher: Bencher) {
    let body = search_body();
    bencher.bench(|| answer(&body));
}

/// The search and its answer's bytes, as an HTTP client receives them.
#[divan::bench(sample_count = 10)]
fn search_30_days_5m_50_hosts_to_bytes(bencher: Bencher) {
    let body = search_body();
    bencher.bench(|| serde_json::to_vec(&answer(&body)).expect("bytes"));
}

/// The search, answered as a `serde_json::Value` (for callers that want one).
#[divan::bench(sample_count = 10)]
fn search_30_days_5m_50_hosts_as_value(bencher: Bencher) {
    let body = search_body();
    bencher.bench(|| answer(&body).into_value());
}

/// The daemon's usual search: the newest 15 minutes of the same aggregation (a narrow
/// time range, looked up in the store's timeline).
#[divan::bench(sample_count = 50)]
fn search_newest_15_minutes(bencher: Bencher) {
    let end = START_MS + SPAN_MS;
    let body = json!({
        "size": 0,
        "query": { "bool": { "filter": [
            { "range": { "@timestamp": { "gte": end - 900_000, "lt": end, "format": "epoch_millis" } } }
        ] } },
        "aggs": { "group": {
            "terms": { "field": "host.name", "size": HOSTS },
            "aggs": { "series": {
                "date_histogram": { "field": "@timestamp", "fixed_interval": "5m", "min_doc_count": 0 },
                "aggs": { "value": { "avg": { "field": "system.memory.actual.free" } } }
            } }
        } }
    });
    bencher.bench(|| answer(&body));
}

static PARSED: LazyLock<Vec<Value>> = LazyLock::new(|| (0..DOCUMENTS).map(document).collect());

/// One naive bucket: the sum and count of values, and the documents.
type Tally = (f64, u64, u64);

/// Baseline: the same search — the same Elasticsearch-shaped answer — by iterating over
/// the parsed documents.
#[divan::bench(sample_count = 10)]
fn naive_iteration_baseline(bencher: Bencher) {
    let documents = &*PARSED;
    let buckets_per_host = (SPAN_MS / 300_000) as usize;
    bencher.bench(|| {
        let mut sums: HashMap<&str, Vec<Tally>> = HashMap::new();
        for document in black_box(documents) {
            let at = document["@timestamp"].as_i64().unwrap_or(0);
            if !(START_MS..START_MS + SPAN_MS).contains(&at) {
                continue;
            }
            let host = document["host"]["name"].as_str().unwrap_or("");
            let buckets = sums
                .entry(host)
                .or_insert_with(|| vec![(0.0, 0, 0); buckets_per_host]);
            let bucket = &mut buckets[((at - START_MS) / 300_000) as usize];
            bucket.2 += 1;
            if let Some(free) = document["system"]["memory"]["actual"]["free"].as_f64() {
                bucket.0 += free;
                bucket.1 += 1;
            }
        }
        let mut hosts: Vec<(&str, Vec<Tally>)> = sums.into_iter().collect();
        hosts.sort_by(|a, b| {
            let count = |buckets: &[Tally]| buckets.iter().map(|b| b.2).sum::<u64>();
            count(&b.1).cmp(&count(&a.1)).then(a.0.cmp(b.0))
        });
        let host_buckets: Vec<Value> = hosts
            .into_iter()
            .map(|(host, buckets)| {
                let doc_count: u64 = buckets.iter().map(|b| b.2).sum();
                let series: Vec<Value> = buckets
                    .iter()
                    .enumerate()
                    .map(|(i, (sum, n, docs))| {
                        let key = START_MS + i as i64 * 300_000;
                        let when = chrono::DateTime::from_timestamp_millis(key).unwrap_or_default();
                        json!({
                            "key_as_string": when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                            "key": key,
                            "doc_count": docs,
                            "value": { "value": (*n > 0).then(|| sum / *n as f64) }
                        })
                    })
                    .collect();
                let mut bucket = json!({ "key": host, "doc_count": doc_count });
                bucket["series"] = json!({});
                bucket["series"]["buckets"] = Value::Array(series);
                bucket
            })
            .collect();
        let mut response =
            json!({ "group": { "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0 } });
        response["group"]["buckets"] = Value::Array(host_buckets);
        response
    });
}

fn status_kb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .unwrap_or(f64::NAN)
}

fn resident_mb() -> f64 {
    status_kb("VmRSS:") / 1024.0
}

fn peak_mb() -> f64 {
    status_kb("VmHWM:") / 1024.0
}
