//! The count check: how many documents each group has over buckets already read, asked
//! without histogram or metric. A series cache compares the answer with the counts it
//! holds to tell whether documents arrived late in buckets it will not ask for again,
//! at a small fraction of the cost of reading those buckets in full.

use serde_json::Value;

use super::answer::{Answer, CountAggregations};
use super::plan::{
    GROUP_AGG, MAX_GROUPS_PER_PAGE, PlanLimits, SearchPlan, TimeGrid, composite, search_body,
    time_range,
};
use super::scan_page;
use super::series::{
    GroupKey, ResponseError, complete_aggregations, group_key, missing, next_page,
};
use crate::json::object;
use crate::rules::Rule;

/// The aggregation that counts an ungrouped rule's documents.
const TOTAL_AGG: &str = "total";

/// Documents per group over a check's grid, one page of groups.
#[derive(Debug, Clone, PartialEq)]
pub struct CountPage {
    pub counts: Vec<(GroupKey, u64)>,
    /// The composite key to ask for the next page after, when this page came back full.
    pub next: Option<Value>,
}

/// Plans one page of the count check of `rule` over `grid`: its filters and time range,
/// then a `composite` over its group-by fields with nothing under it (a `filter` on
/// everything for an ungrouped rule). A page is as large as the bucket budget allows.
pub fn plan_counts(
    rule: &Rule,
    grid: TimeGrid,
    limits: PlanLimits,
    after: Option<&Value>,
) -> SearchPlan {
    let mut filters = rule.filter.clone();
    filters.push(time_range(rule, grid.start_ms, grid.end_ms));
    let (aggs, page_size) = if rule.group_by.is_empty() {
        let everything = object([("match_all", object([]))]);
        (
            object([(TOTAL_AGG, object([("filter", everything)]))]),
            None,
        )
    } else {
        let size = limits.max_buckets.clamp(1, MAX_GROUPS_PER_PAGE);
        let composite = object([("composite", composite(rule, size, after))]);
        (object([(GROUP_AGG, composite)]), Some(size))
    };
    SearchPlan {
        index: rule.index.clone(),
        body: search_body(filters, aggs),
        grid,
        page_size,
    }
}

/// Reads one page of a count check planned by [`plan_counts`]. An ungrouped rule's one
/// count is keyed by the empty group.
pub fn counts_from_response(
    answer: &Answer,
    group_by: &[String],
    plan: &SearchPlan,
) -> Result<CountPage, ResponseError> {
    // Bytes of the expected shape are scanned straight into counts; anything else is read
    // again by the typed reader below, which says exactly what was wrong where.
    if let Answer::Bytes(bytes) = answer
        && !group_by.is_empty()
        && let Some(page) = scan_page::read_count_page(bytes, group_by, plan)
    {
        return Ok(page);
    }
    let aggregations: CountAggregations = complete_aggregations(answer)?;
    if group_by.is_empty() {
        let total = aggregations
            .total
            .ok_or_else(|| missing(&format!("aggregations.{TOTAL_AGG}")))?;
        return Ok(CountPage {
            counts: vec![(GroupKey::default(), total.doc_count)],
            next: None,
        });
    }
    let group_path = format!("aggregations.{GROUP_AGG}");
    let composite = aggregations.group.ok_or_else(|| missing(&group_path))?;
    let counts = composite
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let path = || format!("{group_path}.buckets[{index}]");
            Ok((group_key(&bucket.key, group_by, &path)?, bucket.doc_count))
        })
        .collect::<Result<Vec<_>, ResponseError>>()?;
    let next = next_page(plan, counts.len(), composite.after_key)?;
    Ok(CountPage { counts, next })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::query::time_grid;
    use crate::rules::parse_one;

    fn rule(group_by: &str) -> Rule {
        parse_one(&format!(
            "name: r\nindex: m\n{group_by}metric: avg(free)\nbucket: 1m\nevery: 1m\nlookback: 10m\ncondition: {{ threshold: {{ below: 1 }} }}\nnotify: [ops]\n"
        ))
    }

    fn plan(rule: &Rule) -> SearchPlan {
        let now: DateTime<Utc> = "2026-11-20T10:03:30Z".parse().unwrap();
        plan_counts(
            rule,
            time_grid(rule, now),
            PlanLimits { max_buckets: 2 },
            None,
        )
    }

    /// The answer read from its tree; its bytes, compact and pretty (the scanner's fast
    /// path when they are simply the expected shape), must read the same, or fail at the
    /// same place.
    fn read(rule: &Rule, answer: serde_json::Value) -> Result<CountPage, ResponseError> {
        let from_tree =
            counts_from_response(&Answer::Json(answer.clone()), &rule.group_by, &plan(rule));
        for bytes in [
            serde_json::to_vec(&answer).unwrap(),
            serde_json::to_vec_pretty(&answer).unwrap(),
        ] {
            let from_bytes =
                counts_from_response(&Answer::Bytes(bytes), &rule.group_by, &plan(rule));
            match (&from_tree, &from_bytes) {
                (Ok(tree), Ok(bytes)) => assert_eq!(tree, bytes, "{answer}"),
                (Err(tree), Err(bytes)) => assert_eq!(place(tree), place(bytes), "{answer}"),
                _ => panic!("{answer}: {from_tree:?} from the tree, {from_bytes:?} from bytes"),
            }
        }
        from_tree
    }

    /// Where an error says the answer went wrong (the parsers' own wording may differ).
    fn place(error: &ResponseError) -> String {
        match error {
            ResponseError::Malformed { path, .. } | ResponseError::Shape { path, .. } => {
                path.clone()
            }
            ResponseError::Partial { reason } => reason.clone(),
        }
    }

    fn key(labels: &[(&str, &str)]) -> GroupKey {
        GroupKey(
            labels
                .iter()
                .map(|(field, value)| (field.to_string(), value.to_string()))
                .collect(),
        )
    }

    #[test]
    fn groups_are_counted_and_a_full_page_says_where_the_next_starts() {
        let rule = rule("group_by: [host, disk]\n");
        assert_eq!(
            plan(&rule).page_size,
            Some(2),
            "pages fit the bucket budget"
        );
        let answer = json!({
            "timed_out": false,
            "_shards": { "total": 1, "successful": 1, "failed": 0 },
            "aggregations": { "group": {
                "after_key": { "host": "b", "disk": 7 },
                "buckets": [
                    { "key": { "host": "a", "disk": "/" }, "doc_count": 12 },
                    { "key": { "host": "b", "disk": 7 }, "doc_count": 3 }
                ]
            } }
        });
        let bytes = serde_json::to_vec(&answer).unwrap();
        assert!(
            scan_page::read_count_page(&bytes, &rule.group_by, &plan(&rule)).is_some(),
            "an answer of the expected shape takes the fast path"
        );
        let page = read(&rule, answer).unwrap();
        assert_eq!(
            page.counts,
            [
                (key(&[("host", "a"), ("disk", "/")]), 12),
                (key(&[("host", "b"), ("disk", "7")]), 3)
            ]
        );
        assert_eq!(page.next, Some(json!({ "host": "b", "disk": 7 })));
    }

    #[test]
    fn an_ungrouped_rule_counts_everything_as_one_group() {
        let rule = rule("");
        let body = plan(&rule).body;
        assert_eq!(
            body["aggs"],
            json!({ "total": { "filter": { "match_all": {} } } })
        );
        let answer = json!({ "aggregations": { "total": { "doc_count": 41 } } });
        let page = read(&rule, answer).unwrap();
        assert_eq!(page.counts, [(GroupKey::default(), 41)]);
        assert_eq!(page.next, None);
    }

    #[test]
    fn partial_or_misshapen_answers_are_errors_that_say_where() {
        let rule = rule("group_by: host\n");
        let partial = json!({ "timed_out": true, "aggregations": { "group": { "buckets": [] } } });
        assert!(matches!(
            read(&rule, partial),
            Err(ResponseError::Partial { .. })
        ));
        let cases = [
            (json!({}), "aggregations"),
            (json!({ "aggregations": {} }), "aggregations.group"),
            (
                json!({ "aggregations": { "group": { "buckets": [ { "key": {}, "doc_count": 1 } ] } } }),
                "aggregations.group.buckets[0].key.host",
            ),
            (
                json!({ "aggregations": { "group": { "buckets": [
                    { "key": { "host": "a" }, "doc_count": 1 },
                    { "key": { "host": "b" }, "doc_count": 1 }
                ] } } }),
                "aggregations.group.after_key",
            ),
        ];
        for (answer, path) in cases {
            let error = read(&rule, answer.clone()).unwrap_err().to_string();
            assert!(error.contains(&format!("`{path}`")), "{answer}: {error}");
        }
        let error = read(&rule, json!({ "aggregations": { "group": { "buckets": [ { "key": { "host": "a" }, "doc_count": "x" } ] } } }))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("aggregations.group.buckets[0].doc_count"),
            "{error}"
        );
    }
}
