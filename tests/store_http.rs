//! The embedded store served over HTTP on loopback, exercised with a real HTTP client:
//! every example rule's planned search gets the same answer over HTTP as in process, and
//! the other endpoints answer in Elasticsearch's shapes, errors included.

use std::path::Path;
use std::sync::Arc;

use chrono::Duration as TimeDelta;
use serde_json::{Value, json};
use trendwatch::cli::demo::EXAMPLE_RULES;
use trendwatch::query::plan_search;
use trendwatch::rules::{ValidationContext, parse_rules};
use trendwatch::scenario::Fleet;
use trendwatch::source::embedded::{EmbeddedStore, StoreBuilder, http};

fn fleet() -> Fleet {
    Fleet {
        days: 2,
        ..Fleet::default()
    }
}

fn store() -> EmbeddedStore {
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    fleet().generate(|index, document| builder.add(index, &document).unwrap());
    // A second index with a conflicting type, for `_field_caps`.
    builder
        .add("other", &json!({ "@timestamp": 0, "host": { "name": 7 } }))
        .unwrap();
    builder.finish().unwrap()
}

/// Serves `store` on an ephemeral loopback port; returns its base URL.
async fn serve(store: Arc<EmbeddedStore>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(http::serve(store, listener, std::future::pending()));
    format!("http://{address}")
}

fn without_took(mut response: Value) -> Value {
    if let Some(object) = response.as_object_mut() {
        object.remove("took");
    }
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_over_http_answers_like_elasticsearch() {
    let store = Arc::new(store());
    let base = serve(store.clone()).await;
    trendwatch::source::elasticsearch::install_crypto_provider();
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();

    // GET /: who we are and which API level we speak.
    let info: Value = get("/").await.unwrap().json().await.unwrap();
    assert_eq!(info["version"]["number"], http::COMPATIBLE_VERSION);
    assert_eq!(info["tagline"], "You Know, for Search");

    // Every example rule's search: the same answer over HTTP as in process.
    let now = fleet().end() - TimeDelta::hours(1);
    for (path, text) in EXAMPLE_RULES {
        let (rules, problems) = parse_rules(Path::new(path), text, &ValidationContext::default());
        assert!(problems.is_empty());
        let plan = plan_search(&rules[0], now);
        let over_http = client
            .post(format!("{base}/{}/_search", plan.index))
            .json(&plan.body)
            .send()
            .await
            .unwrap();
        assert_eq!(over_http.status(), 200, "{path}");
        assert_eq!(
            over_http.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let over_http: Value = over_http.json().await.unwrap();
        let in_process = store.search(&plan.index, &plan.body).unwrap();
        assert_eq!(without_took(over_http), without_took(in_process), "{path}");
    }

    // _msearch: one search per header/body pair, and a failing one fails alone.
    let lines = [
        json!({ "index": "metricbeat-*" }),
        json!({ "size": 0, "query": { "term": { "host.name": "api-3" } } }),
        json!({ "index": "missing" }),
        json!({ "size": 0 }),
        json!({}),
        json!({ "size": 0, "query": { "fuzzy": { "host.name": "api" } } }),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let multi: Value = client
        .post(format!("{base}/_msearch"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let responses = multi["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 3);
    assert_eq!(responses[0]["status"], 200);
    // api-3 over two days: a memory document a minute and two mounts every five minutes.
    assert_eq!(
        responses[0]["hits"]["total"]["value"],
        2 * (24 * 60 + 2 * 24 * 12)
    );
    assert_eq!(responses[1]["status"], 404);
    assert_eq!(responses[1]["error"]["type"], "index_not_found_exception");
    assert_eq!(responses[2]["status"], 400);
    assert!(
        responses[2]["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("fuzzy"),
        "{}",
        responses[2]
    );

    // _mapping: dotted paths nested as properties.
    let mapping: Value = get("/metricbeat-2026.11.12/_mapping")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let properties = &mapping["metricbeat-2026.11.12"]["mappings"]["properties"];
    assert_eq!(properties["@timestamp"]["type"], "date");
    assert_eq!(properties["host"]["properties"]["name"]["type"], "keyword");
    assert_eq!(
        properties["system"]["properties"]["memory"]["properties"]["actual"]["properties"]["free"]
            ["type"],
        "double"
    );

    // _field_caps: types per field, and which index has which when they disagree.
    let caps: Value = get("/metricbeat-*,other/_field_caps?fields=host.name,@timestamp")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(caps["fields"]["@timestamp"]["date"]["aggregatable"], true);
    assert_eq!(
        caps["fields"]["host.name"]["long"]["indices"],
        json!(["other"])
    );
    assert_eq!(
        caps["fields"]["host.name"]["keyword"]["indices"],
        json!(["metricbeat-2026.11.12", "metricbeat-2026.11.13"])
    );

    // Errors, in Elasticsearch's shapes and statuses.
    let unsupported = client
        .post(format!("{base}/metricbeat-*/_search"))
        .json(&json!({ "size": 0, "query": { "geo_distance": { "distance": "1km" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 400);
    let unsupported: Value = unsupported.json().await.unwrap();
    assert_eq!(unsupported["status"], 400);
    assert!(
        unsupported["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("geo_distance")
    );

    let malformed = client
        .post(format!("{base}/metricbeat-*/_search"))
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let malformed: Value = malformed.json().await.unwrap();
    assert_eq!(malformed["error"]["type"], "parsing_exception");

    let unknown_parameter = get("/metricbeat-*/_search?typed_keys=true").await.unwrap();
    assert_eq!(unknown_parameter.status(), 400);
    let unknown_parameter: Value = unknown_parameter.json().await.unwrap();
    assert_eq!(
        unknown_parameter["error"]["reason"],
        "request [/metricbeat-*/_search] contains unrecognized parameter: [typed_keys]"
    );

    let no_route = get("/metricbeat-*/_doc/1").await.unwrap();
    assert_eq!(no_route.status(), 400);
    let no_route: Value = no_route.json().await.unwrap();
    assert_eq!(
        no_route["error"],
        "no handler found for uri [/metricbeat-*/_doc/1] and method [GET]"
    );

    let missing = get("/nope/_mapping").await.unwrap();
    assert_eq!(missing.status(), 404);
}
