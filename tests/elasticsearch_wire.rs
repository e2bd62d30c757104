//! The Elasticsearch source against wiremock, a real HTTP server whose every request is
//! recorded: authentication headers, retries and backoff (`Retry-After` honoured), failover
//! between nodes, timeouts, shard failures, product detection from the `GET /` answers the
//! products document, `_msearch` batching — and no secret in any error or log line.
//!
//! Search answers come from the embedded store evaluating the very body that was sent;
//! only the failures a store cannot be asked to produce (429, 503, a failed shard) are
//! written here.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use common::{Capture, dead_node};
use serde_json::{Value, json};
use trendwatch::cli::demo::example_rules;
use trendwatch::engine::{evaluate_rule, evaluate_rules};
use trendwatch::rules::Rule;
use trendwatch::scenario::Fleet;
use trendwatch::source::elasticsearch::{
    Credentials, ElasticsearchSource, Hidden, Pause, Settings,
};
use trendwatch::source::embedded::EmbeddedStore;
use trendwatch::source::{Source, SourceError};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fleet() -> Fleet {
    Fleet {
        days: 1,
        ..Fleet::default()
    }
}

fn now() -> DateTime<Utc> {
    fleet().end() - TimeDelta::minutes(3)
}

fn store() -> Arc<EmbeddedStore> {
    Arc::new(common::load_fleet(&fleet()))
}

fn root(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/elasticsearch/root-{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The embedded store answering `_search` and `_msearch` for wiremock.
struct StoreAnswers(Arc<EmbeddedStore>);

impl StoreAnswers {
    fn answer(&self, index: &str, body: &Value) -> (u16, Value) {
        match self.0.search(index, body) {
            Ok(response) => (200, response),
            Err(error) => (error.status(), error.to_response()),
        }
    }
}

impl Respond for StoreAnswers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<&str> = request
            .url
            .path()
            .trim_start_matches('/')
            .split('/')
            .collect();
        if segments.last() == Some(&"_msearch") {
            let text = String::from_utf8(request.body.clone()).unwrap();
            let lines: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let responses: Vec<Value> = lines
                .chunks(2)
                .map(|pair| {
                    let (status, mut answer) =
                        self.answer(pair[0]["index"].as_str().unwrap(), &pair[1]);
                    answer["status"] = json!(status);
                    answer
                })
                .collect();
            return ResponseTemplate::new(200)
                .set_body_json(json!({ "took": 1, "responses": responses }));
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let (status, answer) = self.answer(segments[0], &body);
        ResponseTemplate::new(status).set_body_json(answer)
    }
}

/// Records the waits between attempts instead of sleeping through them.
#[derive(Default)]
struct Waits(Mutex<Vec<Duration>>);

impl Pause for Waits {
    fn pause(
        &self,
        wait: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(wait);
        Box::pin(async {})
    }
}

impl Waits {
    fn taken(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// A cluster: `GET /` as Elasticsearch 8.17 documents it, searches by the store.
async fn cluster(store: Arc<EmbeddedStore>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-elastic-product", "Elasticsearch")
                .set_body_json(root("elasticsearch-8.17.0")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/[^/]+/_search$|^/_msearch$"))
        .respond_with(StoreAnswers(store))
        .mount(&server)
        .await;
    server
}

fn settings(nodes: &[&str]) -> Settings {
    let mut settings = Settings::for_url(nodes[0]).unwrap();
    for node in &nodes[1..] {
        settings.nodes.push(node.parse().unwrap());
    }
    settings
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn memory_rule() -> Rule {
    common::example_rule("api-memory-low")
}

async fn searches(server: &MockServer) -> Vec<Request> {
    let requests = server.received_requests().await.unwrap();
    requests
        .into_iter()
        .filter(|r| r.url.path() != "/")
        .collect()
}

#[tokio::test]
async fn each_auth_method_sends_its_header_and_gzip_is_accepted() {
    let cases = [
        (
            Credentials::Basic {
                username: "trendwatch".to_string(),
                password: Hidden::new("s3cret-pass"),
            },
            "Basic dHJlbmR3YXRjaDpzM2NyZXQtcGFzcw==",
        ),
        (
            Credentials::ApiKey(Hidden::new(
                "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
            )),
            "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
        ),
        (
            Credentials::Bearer(Hidden::new("eyJhbGciOi.token.sig")),
            "Bearer eyJhbGciOi.token.sig",
        ),
    ];
    for (credentials, expected) in cases {
        let server = cluster(store()).await;
        let mut settings = settings(&[&server.uri()]);
        settings.credentials = Some(credentials);
        let source = ElasticsearchSource::new(&settings).unwrap();
        evaluate_rule(&memory_rule(), &source, now()).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2, "GET / and one _msearch");
        for request in &requests {
            assert_eq!(request.headers.get("authorization").unwrap(), expected);
            assert!(
                request
                    .headers
                    .get("accept-encoding")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .contains("gzip")
            );
            assert!(
                request
                    .headers
                    .get("user-agent")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("trendwatch/")
            );
        }
        assert_eq!(requests[1].url.path(), "/_msearch");
        assert_eq!(
            requests[1].headers.get("content-type").unwrap(),
            "application/x-ndjson"
        );
        // The header line asks for the shard request cache: the range is absolute.
        let header: Value = serde_json::from_str(
            String::from_utf8_lossy(&requests[1].body)
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            header,
            json!({ "index": "metricbeat-*", "request_cache": true })
        );
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_the_cluster_asks_for() {
    let server = cluster(store()).await;
    Mock::given(method("POST"))
        .and(path("/metricbeat-*/_search"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2").set_body_json(json!({
            "error": { "type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation" }, "status": 429
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let waits = Arc::new(Waits::default());
    let source =
        ElasticsearchSource::with_pause(&settings(&[&server.uri()]), waits.clone()).unwrap();
    let body = json!({ "size": 0, "query": { "term": { "host.name": "api-1" } } });
    let answer = source
        .search("metricbeat-*", &body)
        .await
        .unwrap()
        .into_json()
        .unwrap();
    assert!(answer["hits"].is_object());
    assert_eq!(waits.taken(), [Duration::from_secs(2)]);
    let sent = searches(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].url.query(), Some("request_cache=true"));
    assert_eq!(sent[0].body, sent[1].body);
}

#[tokio::test]
async fn a_503_is_retried_with_growing_jittered_backoff_then_given_up() {
    let server = cluster(store()).await;
    Mock::given(method("POST"))
        .and(path("/metricbeat-*/_search"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "error": { "type": "cluster_block_exception", "reason": "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];" }, "status": 503
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    let waits = Arc::new(Waits::default());
    let source =
        ElasticsearchSource::with_pause(&settings(&[&server.uri()]), waits.clone()).unwrap();
    let error = source
        .search("metricbeat-*", &json!({ "size": 0 }))
        .await
        .unwrap_err();
    assert_eq!(
        searches(&server).await.len(),
        4,
        "the first attempt and three retries"
    );
    let taken = waits.taken();
    assert_eq!(taken.len(), 3);
    // Equal jitter: each wait lies in [step/2, step) of a step that doubles from 500 ms.
    for (wait, step_ms) in taken.iter().zip([500, 1_000, 2_000]) {
        let step = Duration::from_millis(step_ms);
        assert!(
            *wait >= step / 2 && *wait < step,
            "{wait:?} for a step of {step:?}"
        );
    }
    // The cluster's reason for the last refusal, then what was tried.
    let SourceError::Rejected {
        status,
        kind,
        reason,
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!((status, kind.as_str()), (503, "cluster_block_exception"));
    assert!(
        reason.starts_with("blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized]; (no node answered after 4 attempt(s): "),
        "{reason}"
    );
    assert!(reason.ends_with("answered HTTP 503 (4 times))"), "{reason}");

    // A cluster asking for more patience than trendwatch has is given up on at once.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(root("elasticsearch-8.17.0")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let error = source
        .search("metricbeat-*", &json!({ "size": 0 }))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("asked to retry after 3600 s, longer than trendwatch waits (60 s)"),
        "{error}"
    );
    assert_eq!(searches(&server).await.len(), 1);
}

#[tokio::test]
async fn an_unreachable_or_failing_node_is_failed_over() {
    let server = cluster(store()).await;
    let dead = dead_node();
    let waits = Arc::new(Waits::default());
    let source =
        ElasticsearchSource::with_pause(&settings(&[&dead, &server.uri()]), waits.clone()).unwrap();
    evaluate_rule(&memory_rule(), &source, now()).await.unwrap();
    // The live node is tried at once, and is the first one tried from then on.
    assert!(waits.taken().is_empty());
    evaluate_rule(&memory_rule(), &source, now()).await.unwrap();
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "GET /, then one _msearch per evaluation"
    );

    // A node answering 502 (a broken proxy in front of it) is left for the next one.
    let gateway = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&gateway)
        .await;
    let source =
        ElasticsearchSource::with_pause(&settings(&[&gateway.uri(), &server.uri()]), waits.clone())
            .unwrap();
    assert_eq!(
        source.product().await.unwrap().to_string(),
        "Elasticsearch 8.17.0"
    );
    assert_eq!(gateway.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_not_retried() {
    let server = cluster(store()).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .with_priority(1)
        .mount(&server)
        .await;
    let mut settings = settings(&[&server.uri()]);
    settings.request_timeout = Duration::from_millis(300);
    let source = ElasticsearchSource::new(&settings).unwrap();
    let error = evaluate_rule(&memory_rule(), &source, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("gave no answer within 0.3 s (not retried, to spare the cluster)"),
        "{error}"
    );
    assert_eq!(searches(&server).await.len(), 1);
}

#[tokio::test]
async fn an_answer_longer_than_trendwatch_reads_is_refused_and_not_retried() {
    let server = cluster(store()).await;
    let mut settings = settings(&[&server.uri()]);
    // The leak rule's answer (4 hosts, hours of 5-minute buckets) is far longer than 4 KB.
    let leak = common::example_rule("api-memory-leak");
    settings.max_answer_bytes = 4_000;
    let source = ElasticsearchSource::new(&settings).unwrap();
    let error = evaluate_rule(&leak, &source, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!(
            "{} sent an answer longer than 4 KB, the most trendwatch reads (not retried",
            server.uri()
        )),
        "{error}"
    );
    assert_eq!(searches(&server).await.len(), 1);
    // Sent in chunks without a length (and gzipped), it is cut off the same way.
    let chunked = MockServer::start().await;
    let long = "x".repeat(10_000);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(gzip(long.as_bytes())),
        )
        .mount(&chunked)
        .await;
    let chunked_settings = Settings {
        nodes: vec![chunked.uri().parse().unwrap()],
        ..settings.clone()
    };
    let source = ElasticsearchSource::new(&chunked_settings).unwrap();
    let error = source.product().await.unwrap_err().to_string();
    assert!(error.contains("sent an answer longer than 4 KB"), "{error}");
    // Within the limit, the same answers are read.
    settings.max_answer_bytes = Settings::DEFAULT_MAX_ANSWER_BYTES;
    let source = ElasticsearchSource::new(&settings).unwrap();
    assert!(evaluate_rule(&leak, &source, now()).await.is_ok());
}

#[tokio::test]
async fn shard_failures_and_refusals_are_rule_errors_in_the_clusters_words() {
    let store = store();
    let server = cluster(store.clone()).await;
    let rule = memory_rule();
    // A complete answer computed by the store, then marked as missing one shard of two.
    let plan = trendwatch::query::plan_search(&rule, now());
    let mut partial = store.search(&plan.index, &plan.body).unwrap();
    partial["_shards"] = json!({ "total": 2, "successful": 1, "skipped": 0, "failed": 1, "failures": [{
        "shard": 1, "index": "metricbeat-2026.11.12", "node": "n1",
        "reason": { "type": "node_not_connected_exception", "reason": "[es02][10.0.0.2:9300] Node not connected" }
    }] });
    Mock::given(method("POST"))
        .and(path("/_msearch"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "took": 5, "responses": [partial] })),
        )
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let source = ElasticsearchSource::new(&settings(&[&server.uri()])).unwrap();
    let error = evaluate_rule(&rule, &source, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("partial results"), "{error}");
    assert!(
        error.contains("1 shard(s) failed: [es02][10.0.0.2:9300] Node not connected"),
        "{error}"
    );

    // A refused search: Elasticsearch's answer when a text field is aggregated.
    Mock::given(method("POST"))
        .and(path("/_msearch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "took": 5, "responses": [{
            "error": {
                "root_cause": [{ "type": "illegal_argument_exception", "reason": "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead." }],
                "type": "search_phase_execution_exception", "reason": "all shards failed", "phase": "query", "grouped": true
            },
            "status": 400
        }] })))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let error = evaluate_rule(&rule, &source, now())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "rule `api-memory-low`: search rejected (400 search_phase_execution_exception): all shards failed; illegal_argument_exception: Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead."
    );
}

#[tokio::test]
async fn products_are_identified_from_their_documented_answers() {
    let cases = [
        ("elasticsearch-7.1.1", "Elasticsearch 7.1.1", 10_000),
        ("elasticsearch-7.17.18", "Elasticsearch 7.17.18", 65_535),
        ("elasticsearch-8.17.0", "Elasticsearch 8.17.0", 65_535),
        ("elasticsearch-9.1.0", "Elasticsearch 9.1.0", 65_535),
        ("opensearch-1.3.20", "OpenSearch 1.3.20", 65_535),
        ("opensearch-2.6.0", "OpenSearch 2.6.0", 65_535),
        ("opensearch-3.0.0", "OpenSearch 3.0.0", 65_535),
    ];
    for (name, shown, max_buckets) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(root(name)))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "took": 1, "responses": [] })),
            )
            .mount(&server)
            .await;
        let source = ElasticsearchSource::new(&settings(&[&server.uri()])).unwrap();
        assert_eq!(source.product().await.unwrap().to_string(), shown);
        assert_eq!(
            source.limits().await.unwrap().max_buckets,
            max_buckets,
            "{name}"
        );
        // Elasticsearch 7.0 and 7.1 are asked with `interval`, the others with `fixed_interval`.
        let _ = evaluate_rule(&memory_rule(), &source, now()).await;
        let sent = searches(&server).await;
        let text = String::from_utf8_lossy(&sent[0].body).to_string();
        let legacy = name == "elasticsearch-7.1.1";
        assert_eq!(
            text.contains("\"fixed_interval\""),
            !legacy,
            "{name}: {text}"
        );
        assert_eq!(
            text.contains("\"interval\":\"15m\"") || text.contains("\"interval\":\"1m\""),
            legacy,
            "{name}: {text}"
        );
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(root("elasticsearch-6.8.23")))
        .mount(&server)
        .await;
    let source = ElasticsearchSource::new(&settings(&[&server.uri()])).unwrap();
    assert_eq!(
        source.product().await.unwrap_err().to_string(),
        "unsupported source: Elasticsearch 6.8.23 is not supported; trendwatch speaks to Elasticsearch 7.x–9.x and OpenSearch 1.x–3.x"
    );
}

#[tokio::test]
async fn rules_due_together_share_msearch_round_trips_and_fail_alone() {
    let server = cluster(store()).await;
    let mut rules = example_rules().unwrap();
    let mut broken = rules[0].clone();
    broken.name = "no-such-index".to_string();
    broken.index = "nosuch".to_string();
    rules.push(broken);
    let refs: Vec<&Rule> = rules.iter().collect();

    let source = ElasticsearchSource::new(&settings(&[&server.uri()])).unwrap();
    let results = evaluate_rules(&refs, &source, now()).await;
    assert_eq!(searches(&server).await.len(), 1, "five rules, one _msearch");
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert_eq!(
        failed,
        [
            "rule `no-such-index`: search rejected (404 index_not_found_exception): no such index [nosuch]"
        ]
    );

    server.reset().await;
    let server = cluster(store()).await;
    let mut batched = settings(&[&server.uri()]);
    batched.msearch_batch = 2;
    let source = ElasticsearchSource::new(&batched).unwrap();
    let results = evaluate_rules(&refs, &source, now()).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    let sent = searches(&server).await;
    let lines: Vec<usize> = sent
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).lines().count())
        .collect();
    assert_eq!(
        lines,
        [4, 4, 2],
        "batches of two searches, a header and a body line each"
    );
}

/// Every way a request can fail, with every kind of credential: the secret shows in no
/// error, no `Debug` output and no log line.
#[tokio::test]
async fn secrets_never_reach_errors_or_logs() {
    const PASSWORD: &str = "pw-9f8e7d6c5b4a";
    const API_KEY: &str = "a2V5LWlkOmtleS1zZWNyZXQtMTIzNDU2";
    const TOKEN: &str = "tok-1a2b3c4d5e6f";
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let failing = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(root("elasticsearch-8.17.0")))
        .mount(&failing)
        .await;
    Mock::given(method("POST")).and(path("/a/_search")).respond_with(ResponseTemplate::new(401).set_body_json(json!({
        "error": { "type": "security_exception", "reason": "unable to authenticate user [trendwatch] for REST request [/a/_search]" }, "status": 401
    }))).mount(&failing).await;
    Mock::given(method("POST"))
        .and(path("/b/_search"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&failing)
        .await;
    Mock::given(method("POST"))
        .and(path("/c/_search"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&failing)
        .await;
    let dead = dead_node();

    let credentials = [
        Credentials::Basic {
            username: "trendwatch".to_string(),
            password: Hidden::new(PASSWORD),
        },
        Credentials::ApiKey(Hidden::new(API_KEY)),
        Credentials::Bearer(Hidden::new(TOKEN)),
    ];
    let mut shown = Vec::new();
    for credential in credentials {
        for nodes in [
            vec![failing.uri()],
            vec![dead.clone()],
            vec![dead.clone(), failing.uri()],
        ] {
            let mut settings = Settings::for_url(&nodes[0]).unwrap();
            settings.nodes = nodes.iter().map(|n| n.parse().unwrap()).collect();
            settings.credentials = Some(credential.clone());
            settings.request_timeout = Duration::from_millis(200);
            settings.retry.initial_backoff = Duration::from_millis(1);
            shown.push(format!("{settings:?}"));
            let source = ElasticsearchSource::new(&settings).unwrap();
            shown.push(format!("{source:?}"));
            for index in ["a", "b", "c"] {
                let error = source
                    .search(index, &json!({ "size": 0 }))
                    .await
                    .unwrap_err();
                shown.push(error.to_string());
                shown.push(format!("{error:?}"));
            }
        }
    }
    let everything = format!("{}\n{}", shown.join("\n"), logs.text());
    assert!(
        everything.contains("unable to authenticate user [trendwatch]"),
        "the errors were seen"
    );
    assert!(everything.contains("retrying"), "the retries were logged");
    // base64("trendwatch:" + PASSWORD), as the basic-auth header carries it.
    let encoded = "dHJlbmR3YXRjaDpwdy05ZjhlN2Q2YzViNGE=";
    for secret in [PASSWORD, API_KEY, TOKEN, encoded] {
        assert!(
            !everything.contains(secret),
            "`{secret}` leaked:\n{everything}"
        );
    }
}

#[test]
fn unusable_tls_files_are_named_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_url("https://es:9200").unwrap();
    settings.ca_file = Some(dir.path().join("missing.pem"));
    let error = ElasticsearchSource::new(&settings).unwrap_err().to_string();
    assert!(
        error.contains("cannot read `ca_file`") && error.contains("missing.pem"),
        "{error}"
    );

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    settings.ca_file = Some(garbage.clone());
    let error = ElasticsearchSource::new(&settings).unwrap_err().to_string();
    assert!(error.contains("holds no PEM certificate"), "{error}");

    settings.ca_file = None;
    settings.client_identity = Some((garbage.clone(), garbage));
    let error = ElasticsearchSource::new(&settings).unwrap_err().to_string();
    assert!(
        error.contains("are not a PEM certificate and its private key"),
        "{error}"
    );
}
