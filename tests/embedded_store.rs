//! The embedded store answers the searches trendwatch plans exactly as Elasticsearch would:
//! each answer is checked against values computed here by plain iteration over the same
//! documents.

use serde_json::{Value, json};
use trendwatch::source::embedded::{EmbeddedStore, StoreBuilder, StoreError};

const MINUTE: i64 = 60_000;
const T0: i64 = 1_763_600_000_000 - 1_763_600_000_000 % (60 * MINUTE);

/// Memory documents for three hosts over 30 minutes, one every minute, with gaps and a
/// document without the metric field.
fn memory_documents() -> Vec<Value> {
    let mut documents = Vec::new();
    for minute in 0..30 {
        for (host, base) in [("api-1", 900.0), ("api-2", 500.0), ("web-1", 300.0)] {
            if host == "api-2" && (10..15).contains(&minute) {
                continue; // api-2 went quiet for five minutes
            }
            let free = base - f64::from(minute) * 3.5 + if minute % 2 == 0 { 1.25 } else { 0.0 };
            documents.push(json!({
                "@timestamp": T0 + i64::from(minute) * MINUTE + 17_000,
                "host": { "name": host },
                "metricset.name": "memory",
                "system": { "memory": { "actual": { "free": free } } }
            }));
        }
    }
    documents.push(json!({ "@timestamp": T0 + 5 * MINUTE, "host.name": "api-1", "metricset": { "name": "memory" } }));
    documents
}

fn request_documents() -> Vec<Value> {
    (0..600)
        .map(|i| {
            let status = if i % 7 == 0 {
                503
            } else if i % 5 == 0 {
                404
            } else {
                200
            };
            json!({
                "@timestamp": T0 + i * 3_000,
                "service": { "name": if i % 3 == 0 { "checkout" } else { "search" } },
                "http": { "response": { "status_code": status } }
            })
        })
        .collect()
}

fn store() -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    for document in memory_documents() {
        builder.add("metricbeat-2026.11.20", &document).unwrap();
    }
    for document in request_documents() {
        builder.add("filebeat-2026.11.20", &document).unwrap();
    }
    builder.finish().unwrap()
}

fn free_memory(document: &Value) -> Option<f64> {
    document
        .pointer("/system/memory/actual/free")
        .and_then(Value::as_f64)
}

fn host(document: &Value) -> &str {
    document
        .pointer("/host/name")
        .or_else(|| document.get("host.name"))
        .and_then(Value::as_str)
        .unwrap()
}

#[test]
fn terms_then_histogram_then_min_matches_plain_iteration() {
    let body = json!({
        "size": 0,
        "query": { "bool": { "filter": [
            { "term": { "metricset.name": "memory" } },
            { "prefix": { "host.name": "api-" } },
            { "range": { "@timestamp": { "gte": T0, "lt": T0 + 20 * MINUTE, "format": "epoch_millis" } } }
        ] } },
        "aggs": { "group_0": {
            "terms": { "field": "host.name", "size": 10, "order": { "_key": "asc" } },
            "aggs": { "series": {
                "date_histogram": { "field": "@timestamp", "fixed_interval": "5m", "min_doc_count": 0,
                                    "extended_bounds": { "min": T0, "max": T0 + 15 * MINUTE } },
                "aggs": { "value": { "min": { "field": "system.memory.actual.free" } } }
            } }
        } }
    });
    let response = store().search("metricbeat-*", &body).unwrap();
    let groups = response["aggregations"]["group_0"]["buckets"]
        .as_array()
        .unwrap();
    let hosts: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["api-1", "api-2"]);
    let documents = memory_documents();
    for group in groups {
        let host_name = group["key"].as_str().unwrap();
        let buckets = group["series"]["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), 4);
        for (index, bucket) in buckets.iter().enumerate() {
            let start = T0 + index as i64 * 5 * MINUTE;
            assert_eq!(bucket["key"], json!(start));
            let in_bucket: Vec<&Value> = documents
                .iter()
                .filter(|d| host(d) == host_name)
                .filter(|d| {
                    (start..start + 5 * MINUTE).contains(&d["@timestamp"].as_i64().unwrap())
                })
                .collect();
            let expected_min = in_bucket
                .iter()
                .filter_map(|d| free_memory(d))
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
            assert_eq!(
                bucket["doc_count"],
                json!(in_bucket.len()),
                "{host_name} bucket {index}"
            );
            assert_eq!(
                bucket["value"]["value"].as_f64(),
                expected_min,
                "{host_name} bucket {index}"
            );
        }
    }
    // Keys come in the order Elasticsearch writes them.
    let names =
        |object: &Value| -> Vec<String> { object.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(names(&groups[0]), ["key", "doc_count", "series"]);
    assert_eq!(
        names(&groups[0]["series"]["buckets"][0]),
        ["key_as_string", "key", "doc_count", "value"]
    );
    let api2_gap = &groups[1]["series"]["buckets"][2];
    assert_eq!(api2_gap["doc_count"], json!(0));
    assert_eq!(api2_gap["value"]["value"], Value::Null);
    assert_eq!(
        groups[0]["series"]["buckets"][1]["key_as_string"],
        json!(
            chrono::DateTime::from_timestamp_millis(T0 + 5 * MINUTE)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        )
    );
}

#[test]
fn filter_sub_aggregation_counts_numerators_per_bucket() {
    let body = json!({
        "size": 0,
        "track_total_hits": true,
        "query": { "bool": { "filter": [ { "exists": { "field": "http.response.status_code" } } ] } },
        "aggs": { "group_0": {
            "terms": { "field": "service.name", "size": 10, "order": { "_key": "asc" } },
            "aggs": { "series": {
                "date_histogram": { "field": "@timestamp", "fixed_interval": "10m", "min_doc_count": 0 },
                "aggs": { "numerator": { "filter": { "range": { "http.response.status_code": { "gte": 500 } } } } }
            } }
        } }
    });
    let response = store().search("filebeat-*", &body).unwrap();
    assert_eq!(
        response["hits"]["total"],
        json!({ "value": 600, "relation": "eq" })
    );
    let documents = request_documents();
    for group in response["aggregations"]["group_0"]["buckets"]
        .as_array()
        .unwrap()
    {
        let service = group["key"].as_str().unwrap();
        for bucket in group["series"]["buckets"].as_array().unwrap() {
            let start = bucket["key"].as_i64().unwrap();
            let in_bucket = documents
                .iter()
                .filter(|d| d.pointer("/service/name").unwrap() == service)
                .filter(|d| {
                    (start..start + 10 * MINUTE).contains(&d["@timestamp"].as_i64().unwrap())
                });
            let (total, failed) = in_bucket.fold((0, 0), |(t, f), d| {
                (
                    t + 1,
                    f + u64::from(
                        d.pointer("/http/response/status_code")
                            .unwrap()
                            .as_u64()
                            .unwrap()
                            >= 500,
                    ),
                )
            });
            assert_eq!(bucket["doc_count"], json!(total));
            assert_eq!(
                bucket["numerator"]["doc_count"],
                json!(failed),
                "{service} at {start}"
            );
        }
    }
}

#[test]
fn numeric_term_and_boolean_clauses_combine_like_elasticsearch() {
    let body = json!({
        "size": 0,
        "track_total_hits": true,
        "query": { "bool": {
            "should": [ { "term": { "http.response.status_code": 503 } }, { "term": { "http.response.status_code": 404 } } ],
            "must_not": [ { "term": { "service.name": "checkout" } } ]
        } }
    });
    let response = store().search("filebeat-*", &body).unwrap();
    let expected = request_documents()
        .iter()
        .filter(|d| {
            matches!(
                d.pointer("/http/response/status_code").unwrap().as_u64(),
                Some(503 | 404)
            )
        })
        .filter(|d| d.pointer("/service/name").unwrap() != "checkout")
        .count();
    assert_eq!(response["hits"]["total"]["value"], json!(expected));
}

#[test]
fn a_missing_concrete_index_is_not_found_and_an_empty_wildcard_is_empty() {
    let body = json!({ "size": 0, "track_total_hits": true });
    let error = store().search("nosuch", &body).unwrap_err();
    assert_eq!(
        error,
        StoreError::IndexNotFound {
            index: "nosuch".to_string()
        }
    );
    assert_eq!(error.to_response()["status"], json!(404));
    let response = store().search("nosuch-*", &body).unwrap();
    assert_eq!(response["hits"]["total"]["value"], json!(0));
}

#[test]
fn unsupported_clauses_are_refused_by_name() {
    let body = json!({ "size": 0, "query": { "bool": { "filter": [ { "fuzzy": { "host.name": "api" } } ] } } });
    let error = store().search("metricbeat-*", &body).unwrap_err();
    assert_eq!(
        error.to_string(),
        "[query.bool.filter[0].fuzzy] query type [fuzzy] is not supported by the embedded store"
    );
    let response = error.to_response();
    assert_eq!(
        response["error"]["type"],
        json!("illegal_argument_exception")
    );
    assert_eq!(response["status"], json!(400));
}

/// Time ranges take two paths (the date index for narrow ranges, the time column for wide
/// ones, and both for bounds finer than a second); each must count exactly what plain
/// iteration counts.
#[test]
fn time_ranges_are_exact_on_every_path() {
    let store = store();
    let documents: Vec<i64> = memory_documents()
        .iter()
        .chain(request_documents().iter())
        .map(|d| d["@timestamp"].as_i64().unwrap())
        .collect();
    let cases: [(&str, i64, &str, i64); 6] = [
        ("gte", T0 + MINUTE, "lt", T0 + 2 * MINUTE),
        ("gte", T0 + MINUTE + 17_000, "lt", T0 + MINUTE + 18_000),
        ("gt", T0 + MINUTE + 17_000, "lte", T0 + 3 * MINUTE + 17_000),
        ("gte", T0 + 1_500, "lt", T0 + 4_500),
        ("gte", T0, "lt", T0 + 30 * MINUTE),
        ("gt", T0 - 1, "lte", T0 + 29 * MINUTE + 17_001),
    ];
    for (low_op, low, high_op, high) in cases {
        let body = json!({ "size": 0, "track_total_hits": true, "query": { "range": { "@timestamp": { low_op: low, high_op: high } } } });
        let response = store.search("*", &body).unwrap();
        let expected = documents
            .iter()
            .filter(|t| {
                if low_op == "gt" {
                    **t > low
                } else {
                    **t >= low
                }
            })
            .filter(|t| {
                if high_op == "lt" {
                    **t < high
                } else {
                    **t <= high
                }
            })
            .count();
        assert_eq!(
            response["hits"]["total"]["value"],
            json!(expected),
            "{low_op} {low} {high_op} {high}"
        );
    }
}

/// A prefix in the query is expanded to its matching terms; inside a `filter` aggregation
/// it is scanned. Both must count exactly the documents whose value starts with it.
#[test]
fn prefixes_match_exactly_on_both_paths() {
    let store = store();
    let documents = memory_documents();
    for prefix in ["api-", "api-2", "web", "a", "zzz", "api-1x"] {
        let expected = documents
            .iter()
            .filter(|d| host(d).starts_with(prefix))
            .count();
        let in_query = json!({ "size": 0, "track_total_hits": true, "query": { "prefix": { "host.name": prefix } } });
        let response = store.search("metricbeat-*", &in_query).unwrap();
        assert_eq!(
            response["hits"]["total"]["value"],
            json!(expected),
            "query prefix {prefix:?}"
        );
        // No query here: the filter aggregation alone must select the prefixed documents.
        let in_filter = json!({ "size": 0, "aggs": { "matching": { "filter": { "prefix": { "host.name": { "value": prefix } } } } } });
        let response = store.search("metricbeat-*", &in_filter).unwrap();
        assert_eq!(
            response["aggregations"]["matching"]["doc_count"],
            json!(expected),
            "filter prefix {prefix:?}"
        );
    }
}

/// Date math in range queries (and in filter aggregations), with Elasticsearch's rounding
/// per key, a time zone and epoch seconds: each range counts what plain iteration over the
/// equivalent millisecond bounds counts.
#[test]
fn date_math_ranges_round_like_elasticsearch() {
    let store = store();
    let times: Vec<i64> = memory_documents()
        .iter()
        .chain(request_documents().iter())
        .map(|d| d["@timestamp"].as_i64().unwrap())
        .collect();
    let now = T0 + 20 * MINUTE + 30_000;
    let count = |low: i64, high: i64| times.iter().filter(|t| **t >= low && **t < high).count();
    let cases = [
        // gte and lt take the start of the rounded minute.
        (
            json!({ "gte": "now-5m/m", "lt": "now/m" }),
            count(T0 + 15 * MINUTE, T0 + 20 * MINUTE),
        ),
        // gt and lte take its last millisecond: > …:10:59.999 and ≤ …:17:59.999.
        (
            json!({ "gt": "now-10m/m", "lte": "now-3m/m" }),
            count(T0 + 11 * MINUTE, T0 + 18 * MINUTE),
        ),
        // At +05:30 an hour starts at half past in UTC: now/h is 30 minutes before T0.
        (
            json!({ "gte": "now/h", "lt": "now", "time_zone": "+05:30" }),
            count(T0 - 30 * MINUTE, now),
        ),
        (
            json!({ "gte": T0 / 1000 + 60, "lt": T0 / 1000 + 120, "format": "epoch_second" }),
            count(T0 + MINUTE, T0 + 2 * MINUTE),
        ),
        (
            json!({ "gte": format!("{}||+1m", T0), "lt": format!("{}||+2m", T0) }),
            count(T0 + MINUTE, T0 + 2 * MINUTE),
        ),
    ];
    for (bounds, expected) in cases {
        let body = json!({ "size": 0, "track_total_hits": true, "query": { "range": { "@timestamp": bounds.clone() } } });
        let response = store.search_at("*", &body, now).unwrap();
        assert_eq!(
            response["hits"]["total"]["value"],
            json!(expected),
            "{bounds}"
        );
    }
    let body = json!({ "size": 0, "aggs": { "recent": { "filter": { "range": { "@timestamp": { "gte": "now-5m" } } } } } });
    let response = store.search_at("*", &body, now).unwrap();
    assert_eq!(
        response["aggregations"]["recent"]["doc_count"],
        json!(times.iter().filter(|t| **t >= now - 5 * MINUTE).count())
    );
    let bad = json!({ "size": 0, "query": { "range": { "@timestamp": { "gte": "now-1q" } } } });
    let error = store.search_at("*", &bad, now).unwrap_err();
    assert_eq!(
        error.to_string(),
        "[query.range.gte] unknown unit [q] in date math [now-1q]: expected y, M, w, d, h, H, m or s"
    );
}

/// `wildcard` (`*` and `?`), `match` and `match_phrase` on keyword values: each counts what
/// plain iteration counts; options meant for analysed text are refused by name.
#[test]
fn wildcard_and_match_queries_match_exactly() {
    let store = store();
    let documents = memory_documents();
    let count = |keep: &dyn Fn(&str) -> bool| documents.iter().filter(|d| keep(host(d))).count();
    let cases = [
        (
            json!({ "wildcard": { "host.name": "api-?" } }),
            count(&|h| h.starts_with("api-") && h.len() == 5),
        ),
        (
            json!({ "wildcard": { "host.name": { "value": "*-1" } } }),
            count(&|h| h.ends_with("-1")),
        ),
        (
            json!({ "wildcard": { "host.name": "w*b?1" } }),
            count(&|h| h == "web-1"),
        ),
        (json!({ "wildcard": { "host.name": "nothing*" } }), 0),
        (
            json!({ "match": { "host.name": "api-2" } }),
            count(&|h| h == "api-2"),
        ),
        (
            json!({ "match_phrase": { "host.name": { "query": "web-1" } } }),
            count(&|h| h == "web-1"),
        ),
    ];
    for (query, expected) in cases {
        let body = json!({ "size": 0, "track_total_hits": true, "query": { "bool": { "filter": [query.clone(), { "term": { "metricset.name": "memory" } }] } } });
        let response = store.search("metricbeat-*", &body).unwrap();
        assert_eq!(
            response["hits"]["total"]["value"],
            json!(expected),
            "{query}"
        );
    }
    let refused = [
        (
            json!({ "match": { "host.name": { "query": "api", "fuzziness": 1 } } }),
            "[match] option [fuzziness]",
        ),
        (
            json!({ "wildcard": { "host.name": { "value": "api*", "case_insensitive": true } } }),
            "[wildcard] option [case_insensitive]",
        ),
    ];
    for (query, named) in refused {
        let error = store
            .search("*", &json!({ "size": 0, "query": query }))
            .unwrap_err();
        assert!(error.to_string().contains(named), "{error}");
    }
    // Inside a filter aggregation the same clause counts the same documents.
    let wildcard = json!({ "wildcard": { "host.name": "api-*" } });
    let in_aggregation = json!({ "size": 0, "aggs": { "f": { "filter": wildcard } } });
    let as_query = json!({ "size": 0, "track_total_hits": true, "query": wildcard });
    let from_aggregation =
        store.search("*", &in_aggregation).unwrap()["aggregations"]["f"]["doc_count"].clone();
    let from_query = store.search("*", &as_query).unwrap()["hits"]["total"]["value"].clone();
    assert!(from_query.as_u64().unwrap() > 0);
    assert_eq!(from_aggregation, from_query);
}

#[test]
fn a_store_built_on_disk_answers_like_one_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    let mut on_disk = StoreBuilder::in_directory("@timestamp", &index_dir).unwrap();
    let mut in_memory = StoreBuilder::new("@timestamp").unwrap();
    for document in memory_documents() {
        on_disk.add("metricbeat-2026.11.20", &document).unwrap();
        in_memory.add("metricbeat-2026.11.20", &document).unwrap();
    }
    let (on_disk, in_memory) = (on_disk.finish().unwrap(), in_memory.finish().unwrap());
    assert!(
        std::fs::read_dir(&index_dir).unwrap().count() > 1,
        "the index files are in the directory"
    );
    let body = json!({ "size": 0, "aggs": { "hosts": { "terms": { "field": "host.name" },
        "aggs": { "low": { "min": { "field": "system.memory.actual.free" } } } } } });
    let answer = |store: &EmbeddedStore| {
        let mut response = store.search("metricbeat-*", &body).unwrap();
        response.as_object_mut().unwrap().remove("took");
        response
    };
    assert_eq!(answer(&on_disk), answer(&in_memory));
    assert!(
        answer(&on_disk)["aggregations"]["hosts"]["buckets"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
}
