//! trendwatch's Elasticsearch source against the embedded store served on loopback: the
//! real HTTP client path (product detection, `_msearch`, composite paging, errors) gets the
//! very series the in-process path gets, for every example rule.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use trendwatch::cli::demo::example_rules;
use trendwatch::engine::{RuleEvaluation, evaluate_rule, evaluate_rules};
use trendwatch::query::Series;
use trendwatch::rules::Rule;
use trendwatch::scenario::{Fleet, Scenario};
use trendwatch::source::elasticsearch::{Distribution, ElasticsearchSource, Settings};
use trendwatch::source::embedded::{EmbeddedStore, http};
use trendwatch::source::{Source, SourceError};

fn fleet() -> Fleet {
    Fleet {
        days: 3,
        ..Fleet::with_hosts(12, Scenario::All)
    }
}

fn store() -> EmbeddedStore {
    common::load_fleet(&fleet())
}

/// Serves `store` on an ephemeral loopback port; returns an Elasticsearch source for it.
async fn serve(store: Arc<EmbeddedStore>) -> ElasticsearchSource {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(http::serve(store, listener, std::future::pending()));
    ElasticsearchSource::new(&Settings::for_url(&format!("http://{address}")).unwrap()).unwrap()
}

fn now() -> DateTime<Utc> {
    fleet().end() - TimeDelta::minutes(7)
}

fn series(evaluation: &RuleEvaluation) -> Vec<&Series> {
    evaluation
        .groups
        .iter()
        .map(|group| group.series.as_ref())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_rule_gets_the_same_series_over_http_as_in_process() {
    let store = Arc::new(store());
    let source = serve(store.clone()).await;
    let product = source.product().await.unwrap();
    assert_eq!(product.distribution, Distribution::Elasticsearch);
    assert_eq!(product.major, 8);

    let rules = example_rules().unwrap();
    let refs: Vec<&Rule> = rules.iter().collect();
    // All four rules in one `_msearch` round trip, and each alone with `_search`.
    let batched = evaluate_rules(&refs, &source, now()).await;
    for (rule, over_http) in rules.iter().zip(batched) {
        let over_http = over_http.unwrap();
        let alone = evaluate_rule(rule, &source, now()).await.unwrap();
        let in_process = evaluate_rule(rule, store.as_ref(), now()).await.unwrap();
        assert!(!in_process.groups.is_empty(), "{}", rule.name);
        assert_eq!(series(&over_http), series(&in_process), "{}", rule.name);
        assert_eq!(series(&alone), series(&in_process), "{}", rule.name);
        assert_eq!(over_http.searches, 1, "{}", rule.name);
        let verdicts = |e: &RuleEvaluation| -> Vec<String> {
            e.groups
                .iter()
                .map(|g| g.verdict.explanation.clone())
                .collect()
        };
        assert_eq!(verdicts(&over_http), verdicts(&in_process), "{}", rule.name);
    }
}

/// A store that allows few buckets: the groups arrive over several composite pages, each
/// group exactly once, the same as one page in process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_beyond_the_bucket_budget_are_paged() {
    let generous = Arc::new(store());
    let rules = example_rules().unwrap();
    let rule = rules.iter().find(|r| r.name == "api-memory-leak").unwrap();
    let whole = evaluate_rule(rule, generous.as_ref(), now()).await.unwrap();
    assert_eq!(whole.searches, 1);
    let grid = whole.plan.grid.len();

    // Room for three groups' histograms (and their composite buckets) per search.
    let budget = 3 * (grid + 1);
    let tight = Arc::new(store().with_max_buckets(budget));
    let source = serve(tight).await;
    // The source reports the version's default budget; the cluster's setting is lower.
    let mut settings = Settings::for_url(&source_url(&source)).unwrap();
    settings.max_buckets = Some(budget);
    let source = ElasticsearchSource::new(&settings).unwrap();
    assert_eq!(source.limits().await.unwrap().max_buckets, budget);
    let paged = evaluate_rule(rule, &source, now()).await.unwrap();
    let groups = whole.groups.len();
    assert_eq!(groups, fleet().api_hosts);
    // Three groups a page; a last page that comes back full needs one more (empty) look.
    assert_eq!(
        paged.searches,
        groups.div_ceil(3) + usize::from(groups % 3 == 0)
    );
    assert_eq!(series(&paged), series(&whole));

    // Without the setting, the first page overflows and the cluster's refusal is the
    // rule's error, in the cluster's words.
    let strict =
        ElasticsearchSource::new(&Settings::for_url(&source_url(&source)).unwrap()).unwrap();
    let error = evaluate_rule(rule, &strict, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("too_many_buckets_exception"), "{error}");
}

fn source_url(source: &ElasticsearchSource) -> String {
    // The node URL as the source shows it (Debug lists nodes, never credentials).
    let shown = format!("{source:?}");
    let start = shown.find("http://").unwrap();
    let end = shown[start..].find('"').unwrap();
    shown[start..start + end].to_string()
}

/// One rule's search failing in a batch fails only that rule, with the cluster's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_search_in_a_batch_fails_only_its_rule() {
    let source = serve(Arc::new(store())).await;
    let mut rules = example_rules().unwrap();
    let mut broken = rules[0].clone();
    broken.name = "no-such-index".to_string();
    broken.index = "nosuch".to_string();
    rules.insert(1, broken);
    let refs: Vec<&Rule> = rules.iter().collect();
    let results = evaluate_rules(&refs, &source, now()).await;
    assert_eq!(results.len(), 5);
    for (rule, result) in rules.iter().zip(&results) {
        if rule.name == "no-such-index" {
            let error = result.as_ref().unwrap_err().to_string();
            assert_eq!(
                error,
                "rule `no-such-index`: search rejected (404 index_not_found_exception): no such index [nosuch]"
            );
        } else {
            assert!(result.is_ok(), "{}: {:?}", rule.name, result.as_ref().err());
        }
    }
}

#[tokio::test]
async fn an_unreachable_cluster_is_an_error_for_every_rule() {
    let mut settings = Settings::for_url(&common::dead_node()).unwrap();
    settings.retry.retries = 1;
    settings.retry.initial_backoff = std::time::Duration::from_millis(1);
    let source = ElasticsearchSource::new(&settings).unwrap();
    let rules = example_rules().unwrap();
    let refs: Vec<&Rule> = rules.iter().collect();
    for result in evaluate_rules(&refs, &source, now()).await {
        let error = result.unwrap_err().to_string();
        assert!(
            error.contains("no node answered after 2 attempt(s)"),
            "{error}"
        );
        assert!(error.contains("cannot connect"), "{error}");
    }
    assert!(matches!(
        source.product().await,
        Err(SourceError::Unavailable { .. })
    ));
}
