//! Conformance of the embedded store over HTTP: every query and aggregation trendwatch or
//! its users send is answered on loopback and checked against values computed here by
//! plain iteration over the same documents — empty buckets, missing fields, a time zone
//! across a DST change, and composite paging past 10,000 groups included.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use serde_json::{Value, json};
use trendwatch::scenario::Fleet;
use trendwatch::source::embedded::{StoreBuilder, http};

/// Every document with its index and, for the hand-made ones, its `_id`.
struct Corpus {
    documents: Vec<(String, Option<String>, Value)>,
}

impl Corpus {
    fn new() -> Corpus {
        let mut documents = Vec::new();
        Fleet {
            days: 2,
            ..Fleet::default()
        }
        .generate(|index, document| documents.push((index.to_string(), None, document)));
        // Hourly readings around Paris's autumn DST change (2026-10-25 03:00 → 02:00),
        // with a gap (no 12:00 reading on the 24th) and some without the measured field.
        let start = Utc.with_ymd_and_hms(2026, 10, 23, 20, 30, 0).unwrap();
        for hour in 0..80 {
            let at = start + chrono::Duration::hours(hour);
            if at == Utc.with_ymd_and_hms(2026, 10, 24, 10, 30, 0).unwrap() {
                continue;
            }
            let mut document = json!({
                "@timestamp": at.to_rfc3339(),
                "sensor": { "id": format!("s-{}", hour % 3) },
                "tags": ["dst", if hour % 2 == 0 { "even" } else { "odd" }],
                "calibrated": hour % 4 == 0
            });
            if hour % 5 != 0 {
                document["reading"] = json!(hour as f64 * 1.5);
            }
            documents.push(("dst".to_string(), Some(format!("dst-{hour}")), document));
        }
        Corpus { documents }
    }

    fn in_index<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.documents
            .iter()
            .filter(move |(index, _, _)| index.starts_with(prefix))
            .map(|(_, _, document)| document)
    }

    async fn serve(&self) -> Client {
        let mut builder = StoreBuilder::new("@timestamp").unwrap();
        for (index, id, document) in &self.documents {
            builder.add_with_id(index, id.as_deref(), document).unwrap();
        }
        let store = Arc::new(builder.finish().unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(http::serve(store, listener, std::future::pending()));
        trendwatch::source::elasticsearch::install_crypto_provider();
        Client {
            base: format!("http://{address}"),
            http: reqwest::Client::new(),
        }
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn post(&self, index: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/{index}/_search", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn search(&self, index: &str, body: &Value) -> Value {
        let (status, response) = self.post(index, body).await;
        assert_eq!(status, 200, "{body}\n→ {response}");
        response
    }

    async fn count(&self, index: &str, query: Value) -> u64 {
        let response = self
            .search(
                index,
                &json!({ "size": 0, "track_total_hits": true, "query": query }),
            )
            .await;
        response["hits"]["total"]["value"].as_u64().unwrap()
    }
}

/// A document's value at a dotted path.
fn get<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(document, |value, key| value.get(key))
}

fn number(document: &Value, path: &str) -> Option<f64> {
    get(document, path).and_then(Value::as_f64)
}

fn text<'a>(document: &'a Value, path: &str) -> Option<&'a str> {
    get(document, path).and_then(Value::as_str)
}

fn millis(document: &Value) -> i64 {
    match &document["@timestamp"] {
        Value::Number(n) => n.as_i64().unwrap(),
        Value::String(s) => DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis(),
        other => panic!("timestamp {other}"),
    }
}

fn close(actual: &Value, expected: f64) -> bool {
    actual
        .as_f64()
        .is_some_and(|a| (a - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_match_what_iteration_finds() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let all = || corpus.documents.iter().map(|(_, _, d)| d);
    let count = |predicate: &dyn Fn(&Value) -> bool| all().filter(|d| predicate(d)).count() as u64;
    let host = |d: &Value| text(d, "host.name").unwrap_or("").to_string();
    let status = |d: &Value| number(d, "http.response.status_code");
    // A document's own millisecond, for narrow time ranges (looked up in the store's
    // timeline rather than by scanning the time column) with exclusive and inclusive ends.
    let mut times: Vec<i64> = all().map(millis).collect();
    times.sort_unstable();
    let t = times[times.len() / 3];

    let cases: Vec<(Value, u64)> = vec![
        (
            json!({ "range": { "@timestamp": { "gt": t, "lte": t + 2_700_123, "format": "epoch_millis" } } }),
            count(&|d| (t + 1..=t + 2_700_123).contains(&millis(d))),
        ),
        (
            json!({ "range": { "@timestamp": { "gte": t - 1, "lt": t + 1, "format": "epoch_millis" } } }),
            count(&|d| (t - 1..t + 1).contains(&millis(d))),
        ),
        (
            json!({ "term": { "@timestamp": t } }),
            count(&|d| millis(d) == t),
        ),
        (
            json!({ "query_string": { "query": "host.name:api-* AND NOT host.name:api-3" } }),
            count(&|d| host(d).starts_with("api-") && host(d) != "api-3"),
        ),
        (
            json!({ "query_string": { "query": "service.name:checkout AND http.response.status_code:[500 TO 599]" } }),
            count(&|d| {
                text(d, "service.name") == Some("checkout")
                    && status(d).is_some_and(|s| (500.0..=599.0).contains(&s))
            }),
        ),
        (
            json!({ "query_string": { "query": "http.response.status_code:>=500 OR http.response.status_code:404" } }),
            count(&|d| status(d).is_some_and(|s| s >= 500.0 || s == 404.0)),
        ),
        (
            json!({ "query_string": { "query": "url.path:\"/search\" -http.response.status_code:200" } }),
            count(&|d| text(d, "url.path") == Some("/search") && status(d) != Some(200.0)),
        ),
        (
            json!({ "query_string": { "query": "_exists_:reading AND sensor.id:(s-0 OR s-2)" } }),
            count(&|d| {
                d.get("reading").is_some() && matches!(text(d, "sensor.id"), Some("s-0" | "s-2"))
            }),
        ),
        (
            json!({ "query_string": { "query": "api-?", "default_field": "host.name" } }),
            count(&|d| host(d).len() == 5 && host(d).starts_with("api-")),
        ),
        (
            json!({ "bool": { "filter": [ { "term": { "calibrated": true } }, { "term": { "reading": 6.0 } } ] } }),
            count(&|d| {
                get(d, "calibrated") == Some(&json!(true)) && number(d, "reading") == Some(6.0)
            }),
        ),
        (
            json!({ "terms": { "calibrated": [false] } }),
            count(&|d| get(d, "calibrated") == Some(&json!(false))),
        ),
        (
            json!({ "ids": { "values": ["dst-1", "dst-2", "dst-999"] } }),
            2,
        ),
        (
            json!({ "bool": { "must": [ { "match": { "service.name": "search" } }, { "match_all": {} } ] } }),
            count(&|d| text(d, "service.name") == Some("search")),
        ),
        (
            json!({ "bool": {
                "should": [ { "term": { "host.name": "web-1" } }, { "prefix": { "host.name": "api-4" } }, { "terms": { "tags": ["odd"] } } ],
                "minimum_should_match": 1,
                "must_not": [ { "exists": { "field": "metricset.name" } } ]
            } }),
            count(&|d| {
                let should = host(d) == "web-1"
                    || host(d).starts_with("api-4")
                    || get(d, "tags")
                        .is_some_and(|t| t.as_array().unwrap().contains(&json!("odd")));
                should && get(d, "metricset.name").is_none()
            }),
        ),
        (
            json!({ "bool": { "filter": [
                { "match_phrase": { "metricset.name": "filesystem" } },
                { "range": { "system.filesystem.available": { "gt": 40e9, "lte": 60e9 } } },
                { "range": { "@timestamp": { "gte": "2026-11-12T06:00:00Z", "lt": "2026-11-12T18:00:00Z" } } }
            ] } }),
            count(&|d| {
                let available = number(d, "system.filesystem.available");
                text(d, "metricset.name") == Some("filesystem")
                    && available.is_some_and(|a| a > 40e9 && a <= 60e9)
                    && (1_794_463_200_000..1_794_506_400_000).contains(&millis(d))
            }),
        ),
    ];
    for (query, expected) in cases {
        assert!(
            expected > 0 || query.get("ids").is_some(),
            "a case that matches nothing proves little: {query}"
        );
        assert_eq!(client.count("*", query.clone()).await, expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_histogram_and_metrics_match_iteration() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let body = json!({
        "size": 0,
        "query": { "query_string": { "query": "metricset.name:memory" } },
        "aggs": { "hosts": {
            "terms": { "field": "host.name", "size": 4, "order": { "_key": "desc" } },
            "aggs": {
                "free": { "avg": { "field": "system.memory.actual.free" } },
                "p": { "percentiles": { "field": "system.memory.actual.free", "percents": [50, 95, 99.9] } },
                "hours": {
                    "date_histogram": { "field": "@timestamp", "fixed_interval": "6h" },
                    "aggs": {
                        "low": { "min": { "field": "system.memory.actual.free" } },
                        "high": { "max": { "field": "system.memory.actual.free" } },
                        "sum": { "sum": { "field": "system.memory.actual.free" } },
                        "n": { "value_count": { "field": "system.memory.actual.free" } }
                    }
                }
            }
        } }
    });
    let response = client.search("metricbeat-*", &body).await;
    let mut by_host: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for document in corpus.in_index("metricbeat") {
        if text(document, "metricset.name") == Some("memory") {
            by_host
                .entry(text(document, "host.name").unwrap().to_string())
                .or_default()
                .push(document);
        }
    }
    let hosts = &response["aggregations"]["hosts"];
    let expected_hosts: Vec<&String> = by_host.keys().rev().take(4).collect();
    let returned: Vec<&str> = hosts["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(returned, expected_hosts);
    let others: usize = by_host
        .iter()
        .rev()
        .skip(4)
        .map(|(_, docs)| docs.len())
        .sum();
    assert_eq!(hosts["sum_other_doc_count"], json!(others));
    assert_eq!(hosts["doc_count_error_upper_bound"], json!(0));
    for bucket in hosts["buckets"].as_array().unwrap() {
        let documents = &by_host[bucket["key"].as_str().unwrap()];
        assert_eq!(bucket["doc_count"], json!(documents.len()));
        let mut values: Vec<f64> = documents
            .iter()
            .map(|d| number(d, "system.memory.actual.free").unwrap())
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(close(&bucket["free"]["value"], mean));
        values.sort_by(f64::total_cmp);
        for (key, percent) in [("50.0", 50.0), ("95.0", 95.0), ("99.9", 99.9)] {
            let rank = percent / 100.0 * (values.len() - 1) as f64;
            let (low, high) = (values[rank.floor() as usize], values[rank.ceil() as usize]);
            let expected = low + (high - low) * rank.fract();
            assert!(close(&bucket["p"]["values"][key], expected), "{key}");
        }
        let mut windows: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for document in documents {
            let start = millis(document).div_euclid(6 * 3_600_000) * 6 * 3_600_000;
            windows
                .entry(start)
                .or_default()
                .push(number(document, "system.memory.actual.free").unwrap());
        }
        let histogram = bucket["hours"]["buckets"].as_array().unwrap();
        assert_eq!(histogram.len(), windows.len());
        for (hour, (start, values)) in histogram.iter().zip(&windows) {
            assert_eq!(hour["key"], json!(start));
            let when = DateTime::from_timestamp_millis(*start).unwrap();
            assert_eq!(
                hour["key_as_string"],
                json!(when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            );
            assert_eq!(hour["doc_count"], json!(values.len()));
            assert!(close(
                &hour["low"]["value"],
                values.iter().copied().fold(f64::INFINITY, f64::min)
            ));
            assert!(close(
                &hour["high"]["value"],
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            ));
            assert!(close(&hour["sum"]["value"], values.iter().sum()));
            assert_eq!(hour["n"]["value"], json!(values.len()));
        }
    }

    // Ordered by a sub-aggregation, with a `missing` key for documents without the field.
    let body = json!({
        "size": 0,
        "aggs": {
            "mounts": { "terms": { "field": "system.filesystem.mount_point", "missing": "(none)", "order": { "free": "asc" } },
                        "aggs": { "free": { "avg": { "field": "system.filesystem.available" } } } },
            "distinct_hosts": { "cardinality": { "field": "host.name" } }
        }
    });
    let response = client.search("metricbeat-*", &body).await;
    let mounts = response["aggregations"]["mounts"]["buckets"]
        .as_array()
        .unwrap();
    let keys: Vec<&str> = mounts.iter().map(|b| b["key"].as_str().unwrap()).collect();
    let mut averages: HashMap<&str, (f64, u64)> = HashMap::new();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for document in corpus.in_index("metricbeat") {
        let mount = text(document, "system.filesystem.mount_point").unwrap_or("(none)");
        *counts.entry(mount).or_default() += 1;
        if let Some(available) = number(document, "system.filesystem.available") {
            let entry = averages.entry(mount).or_default();
            entry.0 += available;
            entry.1 += 1;
        }
    }
    let mean = |mount: &str| averages.get(mount).map(|(sum, n)| sum / *n as f64);
    // Lower average first; "(none)" has no value and goes last.
    let mut expected: Vec<&str> = counts.keys().copied().collect();
    expected.sort_by(|a, b| match (mean(a), mean(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
    assert_eq!(keys, expected);
    for bucket in mounts {
        let key = bucket["key"].as_str().unwrap();
        assert_eq!(bucket["doc_count"], json!(counts[key]));
        match mean(key) {
            Some(value) => assert!(close(&bucket["free"]["value"], value)),
            None => assert_eq!(
                bucket["free"]["value"],
                Value::Null,
                "a bucket without the field has no average"
            ),
        }
    }
    let hosts: HashSet<&str> = corpus
        .in_index("metricbeat")
        .filter_map(|d| text(d, "host.name"))
        .collect();
    assert_eq!(
        response["aggregations"]["distinct_hosts"]["value"],
        json!(hosts.len())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histograms_in_a_time_zone_across_dst_with_empty_buckets() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let documents: Vec<&Value> = corpus.in_index("dst").collect();

    // Calendar days in Paris: the 25th is 25 hours long.
    let body = json!({ "size": 0, "aggs": { "days": {
        "date_histogram": { "field": "@timestamp", "calendar_interval": "day", "time_zone": "Europe/Paris" },
        "aggs": { "reading": { "avg": { "field": "reading" } } }
    } } });
    let response = client.search("dst", &body).await;
    let mut days: BTreeMap<chrono::NaiveDate, (u64, f64, u64)> = BTreeMap::new();
    for document in &documents {
        let local = Paris
            .timestamp_millis_opt(millis(document))
            .unwrap()
            .date_naive();
        let entry = days.entry(local).or_default();
        entry.0 += 1;
        if let Some(reading) = number(document, "reading") {
            entry.1 += reading;
            entry.2 += 1;
        }
    }
    let buckets = response["aggregations"]["days"]["buckets"]
        .as_array()
        .unwrap();
    assert_eq!(buckets.len(), days.len());
    for (bucket, (day, (count, sum, with_reading))) in buckets.iter().zip(&days) {
        let midnight = Paris
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .unwrap();
        assert_eq!(bucket["key"], json!(midnight.timestamp_millis()));
        assert_eq!(
            bucket["key_as_string"],
            json!(midnight.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
        );
        assert_eq!(bucket["doc_count"], json!(count));
        assert!(close(
            &bucket["reading"]["value"],
            sum / *with_reading as f64
        ));
    }
    let the_long_day = Paris
        .with_ymd_and_hms(2026, 10, 25, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let long_day = buckets
        .iter()
        .find(|b| b["key"] == json!(the_long_day))
        .unwrap();
    assert_eq!(
        long_day["doc_count"],
        json!(25),
        "the day the clocks go back has 25 hourly readings"
    );

    // Hourly buckets with empty ones filled out to extended bounds; avg of nothing is null.
    let body = json!({ "size": 0, "aggs": { "hours": {
        "date_histogram": { "field": "@timestamp", "fixed_interval": "1h", "time_zone": "Europe/Paris", "min_doc_count": 0,
                            "extended_bounds": { "min": "2026-10-23T18:00:00Z", "max": "2026-10-27T06:00:00Z" } },
        "aggs": { "reading": { "avg": { "field": "reading" } } }
    } } });
    let response = client.search("dst", &body).await;
    let buckets = response["aggregations"]["hours"]["buckets"]
        .as_array()
        .unwrap();
    let first = Utc
        .with_ymd_and_hms(2026, 10, 23, 18, 0, 0)
        .unwrap()
        .timestamp_millis();
    let last = Utc
        .with_ymd_and_hms(2026, 10, 27, 6, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(buckets.len() as i64, (last - first) / 3_600_000 + 1);
    for (at, bucket) in buckets.iter().enumerate() {
        let start = first + at as i64 * 3_600_000;
        assert_eq!(bucket["key"], json!(start));
        let inside: Vec<&&Value> = documents
            .iter()
            .filter(|d| (start..start + 3_600_000).contains(&millis(d)))
            .collect();
        assert_eq!(bucket["doc_count"], json!(inside.len()));
        let readings: Vec<f64> = inside.iter().filter_map(|d| number(d, "reading")).collect();
        if readings.is_empty() {
            assert_eq!(bucket["reading"]["value"], Value::Null);
        } else {
            assert!(close(
                &bucket["reading"]["value"],
                readings.iter().sum::<f64>() / readings.len() as f64
            ));
        }
    }
    let gap = Utc
        .with_ymd_and_hms(2026, 10, 24, 10, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        buckets.iter().find(|b| b["key"] == json!(gap)).unwrap()["doc_count"],
        json!(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_pages_through_more_than_ten_thousand_groups() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let mut expected: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for document in corpus.in_index("metricbeat") {
        if text(document, "metricset.name") == Some("memory") {
            let minute = millis(document).div_euclid(60_000) * 60_000;
            *expected
                .entry((text(document, "host.name").unwrap().to_string(), minute))
                .or_default() += 1;
        }
    }
    assert!(expected.len() > 10_000, "{} groups", expected.len());
    let mut seen: Vec<((String, i64), u64)> = Vec::new();
    let mut after: Option<Value> = None;
    let mut pages = 0;
    loop {
        let mut composite = json!({ "size": 3_000, "sources": [
            { "host": { "terms": { "field": "host.name" } } },
            { "minute": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1m" } } }
        ] });
        if let Some(after) = &after {
            composite["after"] = after.clone();
        }
        let body = json!({ "size": 0, "query": { "term": { "metricset.name": "memory" } }, "aggs": { "groups": { "composite": composite } } });
        let response = client.search("metricbeat-*", &body).await;
        let groups = &response["aggregations"]["groups"];
        let buckets = groups["buckets"].as_array().unwrap();
        if buckets.is_empty() {
            assert!(groups.get("after_key").is_none());
            break;
        }
        pages += 1;
        for bucket in buckets {
            let key = (
                bucket["key"]["host"].as_str().unwrap().to_string(),
                bucket["key"]["minute"].as_i64().unwrap(),
            );
            seen.push((key, bucket["doc_count"].as_u64().unwrap()));
        }
        assert_eq!(groups["after_key"], buckets.last().unwrap()["key"]);
        after = Some(groups["after_key"].clone());
    }
    assert_eq!(pages, expected.len().div_ceil(3_000));
    let expected: Vec<((String, i64), u64)> = expected.into_iter().collect();
    assert_eq!(
        seen, expected,
        "every group once, in key order, with its count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_bucket_script_give_the_error_share() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let body = json!({ "size": 0, "aggs": { "services": {
        "terms": { "field": "service.name" },
        "aggs": {
            "by_class": { "filters": { "filters": {
                "server_errors": { "range": { "http.response.status_code": { "gte": 500 } } },
                "not_found": { "term": { "http.response.status_code": 404 } }
            }, "other_bucket_key": "rest" } },
            "errors": { "filter": { "range": { "http.response.status_code": { "gte": 500 } } } },
            "error_share": { "bucket_script": {
                "buckets_path": { "errors": "errors>_count", "all": "_count" },
                "script": "params.errors / params.all * 100"
            } }
        }
    } } });
    let response = client.search("filebeat-*", &body).await;
    let mut tallies: HashMap<&str, [u64; 4]> = HashMap::new();
    for document in corpus.in_index("filebeat") {
        let status = number(document, "http.response.status_code").unwrap();
        let tally = tallies
            .entry(text(document, "service.name").unwrap())
            .or_default();
        tally[0] += 1;
        if status >= 500.0 {
            tally[1] += 1;
        } else if status == 404.0 {
            tally[2] += 1;
        } else {
            tally[3] += 1;
        }
    }
    let buckets = response["aggregations"]["services"]["buckets"]
        .as_array()
        .unwrap();
    assert_eq!(buckets.len(), tallies.len());
    for bucket in buckets {
        let [all, errors, not_found, rest] = tallies[bucket["key"].as_str().unwrap()];
        assert_eq!(bucket["doc_count"], json!(all));
        let classes = &bucket["by_class"]["buckets"];
        assert_eq!(classes["server_errors"]["doc_count"], json!(errors));
        assert_eq!(classes["not_found"]["doc_count"], json!(not_found));
        assert_eq!(classes["rest"]["doc_count"], json!(rest));
        assert!(close(
            &bucket["error_share"]["value"],
            errors as f64 / all as f64 * 100.0
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hit_counts_stop_at_ten_thousand_unless_asked() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let all = corpus.documents.len() as u64;
    assert!(all > 10_000);
    let total = |body: Value| {
        let client = &client;
        async move {
            client.search("*", &body).await["hits"]
                .get("total")
                .cloned()
        }
    };
    assert_eq!(
        total(json!({ "size": 0 })).await,
        Some(json!({ "value": 10_000, "relation": "gte" }))
    );
    assert_eq!(
        total(json!({ "size": 0, "track_total_hits": true })).await,
        Some(json!({ "value": all, "relation": "eq" }))
    );
    assert_eq!(
        total(json!({ "size": 0, "track_total_hits": 50 })).await,
        Some(json!({ "value": 50, "relation": "gte" }))
    );
    assert_eq!(
        total(json!({ "size": 0, "track_total_hits": false })).await,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_requests_are_400s_naming_the_clause() {
    let corpus = Corpus::new();
    let client = corpus.serve().await;
    let refused = [
        (
            json!({ "size": 0, "query": { "geo_distance": { "distance": "1km", "pin": [0, 0] } } }),
            "geo_distance",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "significant_terms": { "field": "host.name" } } } }),
            "significant_terms",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "terms": { "field": "host.name", "include": "api-.*" } } } }),
            "include",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "calendar_interval": "2d" } } } }),
            "fixed_interval",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1h", "format": "yyyy-MM-dd" } } } }),
            "yyyy-MM-dd",
        ),
        (
            json!({ "size": 0, "query": { "query_string": { "query": "checkout" } } }),
            "default_field",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "terms": { "field": "host.name" }, "aggs": { "s": { "bucket_script": { "buckets_path": { "a": "_count" }, "script": "doc['x'].value" } } } } } }),
            "params.name",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1m", "min_doc_count": 0, "extended_bounds": { "min": 0, "max": 1_800_000_000_000_i64 } } } } }),
            "too many buckets",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1m", "min_doc_count": 0, "extended_bounds": { "min": 0, "max": i64::MAX } } } } }),
            "outside the years 1677 to 2262",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1m", "hard_bounds": { "min": i64::MIN, "max": 0 } } } } }),
            "outside the years 1677 to 2262",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "300000d" } } } }),
            "at most 203613d",
        ),
        (
            json!({ "size": 0, "aggs": { "x": { "date_histogram": { "field": "@timestamp", "fixed_interval": "1h", "offset": "-9223372036854775807ms" } } } }),
            "[offset]",
        ),
    ];
    for (body, named) in refused {
        let (status, response) = client.post("*", &body).await;
        assert_eq!(status, 400, "{body} → {response}");
        assert_eq!(response["status"], json!(400));
        let reason = response["error"]["reason"].as_str().unwrap().to_lowercase();
        assert!(
            reason.contains(&named.to_lowercase()),
            "{reason} should name {named}"
        );
        assert!(response["error"]["type"].is_string());
    }
}
