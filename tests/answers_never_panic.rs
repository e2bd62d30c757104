//! No answer makes the series reader panic. Real answers (the embedded store's, to the
//! planner's own searches) are cut short, have bytes replaced, dropped or repeated, and
//! every result is either a page or an error that names what was wrong. Where the damaged
//! bytes are still JSON, reading them as bytes (the fast scanner, then the typed reader)
//! and as a JSON tree (the typed reader alone) must agree.

mod common;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use common::damage::{TreeDamage, damage_tree, tree_damage};
use proptest::prelude::*;
use serde_json::{Value, json};
use trendwatch::query::{
    Answer, PlanLimits, SearchPlan, counts_from_response, page_from_response, plan_counts,
    plan_page,
};
use trendwatch::rules::Rule;
use trendwatch::source::embedded::StoreBuilder;

const MEMORY: &str = "name: memory\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: memory }\ngroup_by: host.name\nmetric: avg(system.memory.actual.free)\nbucket: 5m\nevery: 5m\nlookback: 1h\ncondition: { trend: { direction: down } }\nnotify: [ops]\n";
const DISK: &str = "name: disk\nindex: metricbeat-*\nfilter:\n  - term: { metricset.name: filesystem }\ngroup_by: [host.name, system.filesystem.mount_point]\nmetric: min(system.filesystem.available)\nbucket: 5m\nevery: 5m\nlookback: 1h\ncondition: { threshold: { below: 1GB } }\nnotify: [ops]\n";

fn now() -> DateTime<Utc> {
    "2026-11-19T12:00:10Z".parse().unwrap()
}

/// A rule, the plan of its search (series, or the count check), and the store's answer
/// to it as bytes.
struct Case {
    rule: Rule,
    plan: SearchPlan,
    counts: bool,
    answer: Vec<u8>,
}

/// The page of series, the count page, for both rules; hosts miss some buckets, so the
/// answers carry empty buckets and `null` values as well as numbers.
static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| {
    let (memory, disk) = (common::rule_from(MEMORY), common::rule_from(DISK));
    let mut builder = StoreBuilder::new("@timestamp").unwrap();
    let start = plan_page(&memory, now(), PlanLimits::default(), None)
        .grid
        .start_ms;
    for host in 0..3_i64 {
        for bucket in 0..12_i64 {
            if (host + bucket) % 5 == 0 {
                continue;
            }
            let at = start + bucket * 300_000 + 1_000 * (host + 1);
            let free = 1.6e9 - bucket as f64 * 1.3e6 + host as f64 * 0.25;
            let host_name = format!("api-{host}");
            let memory_document = json!({
                "@timestamp": at,
                "host": { "name": host_name },
                "metricset": { "name": "memory" },
                "system": { "memory": { "actual": { "free": free } } }
            });
            builder
                .add("metricbeat-2026.11.19", &memory_document)
                .unwrap();
            for mount in ["/", "/var"] {
                let disk_document = json!({
                    "@timestamp": at,
                    "host": { "name": host_name },
                    "metricset": { "name": "filesystem" },
                    "system": { "filesystem": { "mount_point": mount, "available": free * 3.0 } }
                });
                builder
                    .add("metricbeat-2026.11.19", &disk_document)
                    .unwrap();
            }
        }
    }
    let store = builder.finish().unwrap();
    let mut cases = Vec::new();
    for rule in [memory, disk] {
        let page = plan_page(&rule, now(), PlanLimits::default(), None);
        let counts = plan_counts(&rule, page.grid, PlanLimits::default(), None);
        for (plan, counts) in [(page, false), (counts, true)] {
            let answer =
                serde_json::to_vec(&store.search(&plan.index, &plan.body).unwrap()).unwrap();
            cases.push(Case {
                rule: rule.clone(),
                plan,
                counts,
                answer,
            });
        }
    }
    cases
});

/// What reading an answer gave, comparable across the two ways in.
#[derive(Debug, PartialEq)]
enum Read {
    Page(String),
    Failed,
}

fn read(case_index: usize, answer: &Answer) -> Read {
    let case = &CASES[case_index];
    let result = if case.counts {
        counts_from_response(answer, &case.rule.group_by, &case.plan)
            .map(|page| format!("{page:?}"))
    } else {
        page_from_response(answer, &case.rule.metric, &case.rule.group_by, &case.plan)
            .map(|page| format!("{page:?}"))
    };
    match result {
        Ok(page) => Read::Page(page),
        Err(error) => {
            let said = error.to_string();
            assert!(!said.trim().is_empty(), "an error that says nothing");
            Read::Failed
        }
    }
}

/// One way to damage an answer: in its bytes, or in its JSON tree (so it stays JSON).
#[derive(Debug, Clone)]
enum Damage {
    CutAt(usize),
    Replace(usize, u8),
    Drop(usize, usize),
    Repeat(usize, usize),
    Tree(TreeDamage),
}

/// Bytes that change what JSON means: structure, numbers, literals, escapes.
const SIGNIFICANT: &[u8] = b"{}[],:\"\\0123456789.eE+-ntfalsu x";

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        1 => any::<usize>().prop_map(Damage::CutAt),
        1 => (any::<usize>(), prop::sample::select(SIGNIFICANT))
            .prop_map(|(at, b)| Damage::Replace(at, b)),
        1 => (any::<usize>(), 1..40_usize).prop_map(|(at, n)| Damage::Drop(at, n)),
        1 => (any::<usize>(), 1..40_usize).prop_map(|(at, n)| Damage::Repeat(at, n)),
        3 => tree_damage().prop_map(Damage::Tree),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let len = bytes.len();
    match damage {
        Damage::CutAt(at) => bytes.truncate(at % (len + 1)),
        Damage::Replace(at, byte) => bytes[at % len] = *byte,
        Damage::Drop(at, n) => {
            let from = at % len;
            bytes.drain(from..(from + n).min(len));
        }
        Damage::Repeat(at, n) => {
            let from = at % len;
            let copy = bytes[from..(from + n).min(len)].to_vec();
            bytes.splice(from..from, copy);
        }
        Damage::Tree(damage) => {
            // Bytes that an earlier damage left unreadable stay as they are.
            if let Ok(mut tree) = serde_json::from_slice::<Value>(bytes) {
                damage_tree(&mut tree, damage);
                *bytes = serde_json::to_vec(&tree).unwrap();
            }
        }
    }
}

/// Duplicate keys make the typed reader refuse an object the JSON tree quietly collapses
/// (the last value wins), so answers with them are compared only for not panicking.
fn has_duplicate_keys(value: &Value, bytes: &[u8]) -> bool {
    fn keys(value: &Value) -> usize {
        match value {
            Value::Object(map) => map.len() + map.values().map(keys).sum::<usize>(),
            Value::Array(items) => items.iter().map(keys).sum(),
            _ => 0,
        }
    }
    // Every key is a string followed by a colon outside strings; count those in the bytes.
    let mut in_string = false;
    let mut escaped = false;
    let mut colons = 0;
    for &byte in bytes {
        match (in_string, escaped, byte) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b':') => colons += 1,
            _ => {}
        }
    }
    colons != keys(value)
}

proptest! {
    #![proptest_config(common::property_cases(4_000))]

    #[test]
    fn damaged_answers_are_read_or_refused_never_panicked_on(
        case_index in 0..4_usize,
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut bytes = CASES[case_index].answer.clone();
        for damage in &damages {
            if bytes.is_empty() {
                break;
            }
            apply(&mut bytes, damage);
        }
        let from_bytes = read(case_index, &Answer::Bytes(bytes.clone()));
        // A page only from bytes that are JSON. (To JSON's grammar: a number too large for
        // an f64 is JSON, which a tree refuses but a reader that skips it need not.)
        if matches!(from_bytes, Read::Page(_)) {
            let grammar = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes);
            prop_assert!(grammar.is_ok(), "a page from bytes that are not JSON: {:?}", grammar);
        }
        if let Ok(tree) = serde_json::from_slice::<Value>(&bytes)
            && !has_duplicate_keys(&tree, &bytes)
        {
            let from_tree = read(case_index, &Answer::Json(tree));
            prop_assert_eq!(from_bytes, from_tree);
        }
    }
}

#[test]
fn the_undamaged_answers_read_as_pages() {
    for (case_index, case) in CASES.iter().enumerate() {
        let from_bytes = read(case_index, &Answer::Bytes(case.answer.clone()));
        assert!(matches!(from_bytes, Read::Page(_)), "case {case_index}");
        let tree: Value = serde_json::from_slice(&case.answer).unwrap();
        assert_eq!(from_bytes, read(case_index, &Answer::Json(tree)));
    }
}
