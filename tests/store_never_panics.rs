//! No search body makes the embedded store panic. The planner's own searches for the
//! example rules (series pages and count checks) have nodes swapped for odd values,
//! removed or misspelled, and every search either answers or says what it refused. The
//! store's `_field_caps` answers, damaged the same way, never make the field check panic.

mod common;

use std::path::Path;
use std::sync::LazyLock;

use common::damage::{damaged, tree_damage};
use proptest::prelude::*;
use serde_json::Value;
use trendwatch::cli::demo::EXAMPLE_RULES;
use trendwatch::query::{PlanLimits, check_fields, fields_of, plan_counts, plan_page};
use trendwatch::rules::{Rule, ValidationContext, parse_rules};

use common::{SMALL_STORE as STORE, small_fleet_now as now};

/// Every example rule's series search and count check, as (index pattern, body).
static SEARCHES: LazyLock<Vec<(String, Value)>> = LazyLock::new(|| {
    let mut searches = Vec::new();
    for (path, text) in EXAMPLE_RULES {
        let (rules, problems) = parse_rules(Path::new(path), text, &ValidationContext::default());
        assert!(problems.is_empty(), "{path}: {problems:?}");
        for rule in rules {
            let page = plan_page(&rule, now(), PlanLimits::default(), None);
            let counts = plan_counts(&rule, page.grid, PlanLimits::default(), None);
            searches.push((page.index, page.body));
            searches.push((counts.index, counts.body));
        }
    }
    searches
});

/// Every example rule with the store's `_field_caps` answer for its fields.
static FIELD_CAPS: LazyLock<Vec<(Rule, Value)>> = LazyLock::new(|| {
    let mut answers = Vec::new();
    for (path, text) in EXAMPLE_RULES {
        let (rules, _) = parse_rules(Path::new(path), text, &ValidationContext::default());
        for rule in rules {
            let fields: Vec<String> = fields_of(&rule).into_iter().map(|(name, _)| name).collect();
            let caps = STORE.field_caps(&rule.index, &fields.join(",")).unwrap();
            answers.push((rule, caps));
        }
    }
    answers
});

proptest! {
    #![proptest_config(common::property_cases(600))]

    #[test]
    fn damaged_searches_are_answered_or_refused_never_panicked_on(
        search in 0..8_usize,
        damages in prop::collection::vec(tree_damage(), 1..4),
    ) {
        let (index, body) = &SEARCHES[search];
        match STORE.search(index, &damaged(body, &damages)) {
            Ok(answer) => prop_assert!(answer.get("took").is_some(), "{answer}"),
            Err(error) => prop_assert!(!error.to_string().trim().is_empty()),
        }
    }

    /// `validate --es` reads the cluster's `_field_caps` answer: a damaged one yields
    /// problems that say something, never a panic.
    #[test]
    fn damaged_field_caps_are_checked_never_panicked_on(
        rule in 0..4_usize,
        damages in prop::collection::vec(tree_damage(), 1..4),
    ) {
        let (rule, caps) = &FIELD_CAPS[rule];
        for problem in check_fields(rule, &damaged(caps, &damages)) {
            prop_assert!(!problem.message.trim().is_empty());
        }
    }
}

#[test]
fn the_undamaged_field_caps_have_no_problem() {
    assert_eq!(FIELD_CAPS.len(), 4);
    for (rule, caps) in FIELD_CAPS.iter() {
        let problems = check_fields(rule, caps);
        assert!(problems.is_empty(), "{}: {problems:?}", rule.name);
    }
}

#[test]
fn the_undamaged_searches_are_answered() {
    assert_eq!(SEARCHES.len(), 8);
    for (index, body) in SEARCHES.iter() {
        let answer = STORE.search(index, body).unwrap();
        let groups = answer["aggregations"]["group"]["buckets"].as_array();
        assert!(groups.is_some_and(|groups| !groups.is_empty()), "{answer}");
    }
}
