//! Field checks against a cluster's `_field_caps` answer: every field a rule names must
//! exist in the indices its pattern matches, fields it groups or aggregates by must be
//! aggregatable, numeric metrics need numeric fields and the time field must be a date —
//! with a suggestion when a near name (or the `.keyword` sub-field) would do.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::rules::{FieldAggregation, Metric, Rule, closest};

/// What a rule does with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldUse {
    /// The rule's time field: a date.
    Time,
    /// A `group_by` field: aggregatable (keyword, numeric, boolean, ip, date).
    GroupBy,
    /// The field of `avg`, `min`, `max`, `sum` or a percentile: numeric.
    NumericMetric,
    /// The field of `distinct`: aggregatable.
    DistinctMetric,
    /// Named in a filter: it only has to exist.
    Filter,
}

/// A problem with one field of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Every field `rule` names, with what it does with it (first use wins).
pub fn fields_of(rule: &Rule) -> Vec<(String, FieldUse)> {
    let mut fields: Vec<(String, FieldUse)> = vec![(rule.timestamp_field.clone(), FieldUse::Time)];
    let mut add = |field: &str, usage: FieldUse| {
        if !fields.iter().any(|(seen, _)| seen == field) {
            fields.push((field.to_string(), usage));
        }
    };
    for field in &rule.group_by {
        add(field, FieldUse::GroupBy);
    }
    match &rule.metric {
        Metric::Count => {}
        Metric::Field {
            aggregation: FieldAggregation::Distinct,
            field,
        } => add(field, FieldUse::DistinctMetric),
        Metric::Field { field, .. } | Metric::Percentile { field, .. } => {
            add(field, FieldUse::NumericMetric)
        }
        Metric::Ratio {
            numerator,
            denominator,
        } => {
            for clause in std::iter::once(numerator).chain(denominator) {
                filter_fields(clause, &mut |field| add(field, FieldUse::Filter));
            }
        }
    }
    for clause in &rule.filter {
        filter_fields(clause, &mut |field| add(field, FieldUse::Filter));
    }
    fields
}

/// The fields a query clause names (`query_string` is not parsed here: its fields are
/// checked by the cluster when it runs).
fn filter_fields(clause: &Value, add: &mut impl FnMut(&str)) {
    let Some(object) = clause.as_object() else {
        return;
    };
    for (kind, body) in object {
        match kind.as_str() {
            "bool" => {
                for key in ["must", "filter", "should", "must_not"] {
                    match body.get(key) {
                        Some(Value::Array(items)) => {
                            items.iter().for_each(|item| filter_fields(item, add))
                        }
                        Some(item) => filter_fields(item, add),
                        None => {}
                    }
                }
            }
            "exists" => {
                if let Some(field) = body.get("field").and_then(Value::as_str) {
                    add(field);
                }
            }
            "term" | "terms" | "range" | "match" | "match_phrase" | "prefix" | "wildcard" => {
                let options = ["boost", "_name", "case_insensitive"];
                for field in body.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !options.contains(&field.as_str()) {
                        add(field);
                    }
                }
            }
            _ => {}
        }
    }
}

/// One field's capabilities: its type(s) across the indices, and whether it aggregates.
struct Capability {
    types: Vec<String>,
    aggregatable: bool,
}

fn capabilities(caps: &Value) -> BTreeMap<&str, Capability> {
    let mut out = BTreeMap::new();
    for (name, by_type) in caps
        .get("fields")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(by_type) = by_type.as_object() else {
            continue;
        };
        let types: Vec<String> = by_type
            .keys()
            .filter(|t| t.as_str() != "unmapped")
            .cloned()
            .collect();
        if types.is_empty() {
            continue;
        }
        let aggregatable = by_type
            .iter()
            .filter(|(t, _)| t.as_str() != "unmapped")
            .all(|(_, c)| c.get("aggregatable").and_then(Value::as_bool) == Some(true));
        out.insert(
            name.as_str(),
            Capability {
                types,
                aggregatable,
            },
        );
    }
    out
}

const NUMERIC: [&str; 9] = [
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
];

/// The problems of `rule`'s fields given the `_field_caps` answer for its index pattern
/// (asked with `fields=*`, so near names can be suggested).
pub fn check_fields(rule: &Rule, caps: &Value) -> Vec<FieldProblem> {
    let known = capabilities(caps);
    let mut problems = Vec::new();
    for (field, usage) in fields_of(rule) {
        let problem = |message: String, hint: Option<String>| FieldProblem {
            field: field.clone(),
            message,
            hint,
        };
        let Some(capability) = known.get(field.as_str()) else {
            let near = closest(&field, known.keys().copied())
                .map(|near| format!("did you mean `{near}`?"));
            problems.push(problem(
                format!(
                    "field `{field}` does not exist in indices matching `{}`",
                    rule.index
                ),
                near,
            ));
            continue;
        };
        let kind = capability.types.join(" / ");
        let keyword = format!("{field}.keyword");
        let keyword_hint = known
            .get(keyword.as_str())
            .filter(|c| c.aggregatable)
            .map(|_| format!("did you mean `{keyword}`?"));
        match usage {
            FieldUse::Time
                if !capability
                    .types
                    .iter()
                    .all(|t| t == "date" || t == "date_nanos") =>
            {
                problems.push(problem(
                    format!("`{field}` is a {kind} field; the rule's time field must be a date"),
                    None,
                ));
            }
            FieldUse::GroupBy | FieldUse::DistinctMetric if !capability.aggregatable => {
                let hint = keyword_hint.or_else(|| {
                    Some(
                        "aggregate a keyword field (or a keyword sub-field of this one)"
                            .to_string(),
                    )
                });
                problems.push(problem(
                    format!("`{field}` is a {kind} field and cannot be aggregated"),
                    hint,
                ));
            }
            FieldUse::NumericMetric
                if !capability
                    .types
                    .iter()
                    .all(|t| NUMERIC.contains(&t.as_str())) =>
            {
                problems.push(problem(
                    format!(
                        "`{field}` is a {kind} field; `{}` needs a numeric field",
                        rule.metric
                    ),
                    None,
                ));
            }
            _ if capability.types.len() > 1 => {
                problems.push(problem(
                    format!("`{field}` has different types in the indices matching `{}` ({kind}); results may differ between indices", rule.index),
                    None,
                ));
            }
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_one;
    use serde_json::json;

    fn rule(text: &str) -> Rule {
        parse_one(text)
    }

    /// The shape of Elasticsearch's `_field_caps` answer for a Filebeat index, as its
    /// documentation shows it (`message` text with a `keyword` sub-field).
    fn caps() -> Value {
        json!({
            "indices": ["filebeat-2026.11.20"],
            "fields": {
                "@timestamp": { "date": { "type": "date", "metadata_field": false, "searchable": true, "aggregatable": true } },
                "message": { "text": { "type": "text", "metadata_field": false, "searchable": true, "aggregatable": false } },
                "message.keyword": { "keyword": { "type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true } },
                "host.name": { "keyword": { "type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true } },
                "http.response.status_code": { "long": { "type": "long", "metadata_field": false, "searchable": true, "aggregatable": true } },
                "event.duration": {
                    "long": { "type": "long", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["filebeat-a"] },
                    "keyword": { "type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["filebeat-b"] }
                }
            }
        })
    }

    const BASE: &str = "name: r\nindex: filebeat-*\nbucket: 5m\nevery: 5m\ncondition: { threshold: { above: 1 } }\nnotify: [ops]\n";

    #[test]
    fn a_text_field_cannot_be_grouped_and_its_keyword_is_suggested() {
        let problems = check_fields(
            &rule(&format!("{BASE}group_by: message\nmetric: count\n")),
            &caps(),
        );
        assert_eq!(
            problems,
            [FieldProblem {
                field: "message".to_string(),
                message: "`message` is a text field and cannot be aggregated".to_string(),
                hint: Some("did you mean `message.keyword`?".to_string()),
            }]
        );
    }

    #[test]
    fn missing_fields_are_named_with_a_near_name() {
        let text = format!(
            "{BASE}group_by: host.nmae\nmetric: avg(http.response.status_code)\nfilter:\n  - term: {{ service.name: checkout }}\n"
        );
        let problems = check_fields(&rule(&text), &caps());
        let messages: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|p| (p.message.as_str(), p.hint.as_deref()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "field `host.nmae` does not exist in indices matching `filebeat-*`",
                    Some("did you mean `host.name`?")
                ),
                (
                    "field `service.name` does not exist in indices matching `filebeat-*`",
                    None
                ),
            ]
        );
    }

    #[test]
    fn numeric_metrics_need_numbers_and_conflicts_are_reported() {
        let problems = check_fields(&rule(&format!("{BASE}metric: avg(host.name)\n")), &caps());
        assert_eq!(
            problems[0].message,
            "`host.name` is a keyword field; `avg(host.name)` needs a numeric field"
        );
        let problems = check_fields(
            &rule(&format!("{BASE}metric: max(event.duration)\n")),
            &caps(),
        );
        assert_eq!(
            problems[0].message,
            "`event.duration` is a long / keyword field; `max(event.duration)` needs a numeric field"
        );
        let problems = check_fields(
            &rule(&format!("{BASE}metric: distinct(event.duration)\n")),
            &caps(),
        );
        assert!(
            problems[0].message.contains("has different types"),
            "{problems:?}"
        );
        assert!(
            check_fields(
                &rule(&format!(
                    "{BASE}group_by: host.name\nmetric: avg(http.response.status_code)\n"
                )),
                &caps()
            )
            .is_empty()
        );
    }
}
