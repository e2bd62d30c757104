//! The fast path of reading an answer's bytes: the scanner walks the shape the planner
//! asked for (`aggregations.group.buckets[].series.buckets[]`, or the ungrouped
//! `aggregations.series`) straight into series, allocating per group rather than per
//! bucket or per field; likewise a count check's `aggregations.group.buckets[]` into
//! counts. A steady evaluation cycle reads a few buckets for every host of
//! every rule, and building typed buckets cost more than everything else in it.
//!
//! The usual histogram bucket and composite bucket — compact, keys in the order
//! Elasticsearch and the embedded store write them — are compared whole against the
//! keys expected next rather than read key by key; that takes about a quarter less time.
//! Anything else is read key by key, and both readings agree (tested).
//!
//! It answers `None` on anything it does not expect — partial results, a missing
//! aggregation, an escaped key, malformed JSON — and the typed reader then reads the
//! answer again and reports exactly what was wrong where. Both must agree on every
//! answer they both accept; the tests hold them to it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::answer::{Count, MetricValue, TimeBucket, Timestamp};
use super::counts::CountPage;
use super::plan::{DENOMINATOR_AGG, GROUP_AGG, NUMERATOR_AGG, SERIES_AGG, SearchPlan, VALUE_AGG};
use super::scan::{Kind, Scanner};
use super::series::{GroupKey, Page, Reader, Series, next_page};

/// The page in `bytes`, or `None` when they are not simply the expected shape.
pub(super) fn read_page(
    bytes: &[u8],
    reader: &Reader<'_>,
    group_by: &[String],
    plan: &SearchPlan,
) -> Option<Page> {
    let mut page = None;
    read_complete(bytes, |scanner, key| {
        if group_by.is_empty() && key == SERIES_AGG.as_bytes() {
            let series = histogram(scanner, reader)?;
            page = Some(Page {
                series: vec![series],
                next: None,
            });
            Some(())
        } else if !group_by.is_empty() && key == GROUP_AGG.as_bytes() {
            page = Some(composite(scanner, reader, group_by, plan)?);
            Some(())
        } else {
            scanner.skip()
        }
    })?;
    page
}

/// A grouped count check's page in `bytes` (see [`super::counts`]), or `None` when they
/// are not simply the expected shape.
pub(super) fn read_count_page(
    bytes: &[u8],
    group_by: &[String],
    plan: &SearchPlan,
) -> Option<CountPage> {
    let mut page = None;
    read_complete(bytes, |scanner, key| {
        if key != GROUP_AGG.as_bytes() {
            return scanner.skip();
        }
        let (counts, next) =
            composite_page(scanner, plan, |scanner| counted_group(scanner, group_by))?;
        page = Some(CountPage { counts, next });
        Some(())
    })?;
    page
}

/// Walks a complete answer (not timed out, no failed shard, nothing after it), handing
/// each key of its `aggregations` to `aggregation`, which must consume the value.
fn read_complete(
    bytes: &[u8],
    mut aggregation: impl FnMut(&mut Scanner<'_>, &[u8]) -> Option<()>,
) -> Option<()> {
    let mut scanner = Scanner::new(bytes);
    scanner.object(|scanner, key| match key {
        b"timed_out" => (!scanner.boolean()?).then_some(()),
        b"_shards" => scanner.object(|scanner, key| match key {
            b"failed" => (scanner.integer::<u64>()? == 0).then_some(()),
            _ => scanner.skip(),
        }),
        b"aggregations" => scanner.object(&mut aggregation),
        _ => scanner.skip(),
    })?;
    scanner.at_end().then_some(())
}

/// One composite bucket of a count check: its key and `doc_count`.
fn counted_group(scanner: &mut Scanner<'_>, group_by: &[String]) -> Option<(GroupKey, u64)> {
    let mut key = None;
    let mut doc_count = None;
    scanner.object(|scanner, name| {
        match name {
            b"key" => key = Some(group_key(scanner, group_by)?),
            b"doc_count" => doc_count = Some(scanner.integer()?),
            _ => scanner.skip()?,
        }
        Some(())
    })?;
    Some((key?, doc_count?))
}

fn composite(
    scanner: &mut Scanner<'_>,
    reader: &Reader<'_>,
    group_by: &[String],
    plan: &SearchPlan,
) -> Option<Page> {
    let (series, next) = composite_page(scanner, plan, |scanner| group(scanner, reader, group_by))?;
    Some(Page { series, next })
}

/// A `composite` aggregation's buckets, each read by `bucket`, and where the next page
/// starts (`None` when this one was the last).
fn composite_page<T>(
    scanner: &mut Scanner<'_>,
    plan: &SearchPlan,
    mut bucket: impl FnMut(&mut Scanner<'_>) -> Option<T>,
) -> Option<(Vec<T>, Option<Value>)> {
    let mut buckets = None;
    let mut after_key = None;
    scanner.object(|scanner, key| match key {
        b"buckets" => {
            let mut read = Vec::new();
            scanner.array(|scanner, _| {
                read.push(bucket(scanner)?);
                Some(())
            })?;
            buckets = Some(read);
            Some(())
        }
        b"after_key" => {
            let after: Value = serde_json::from_slice(scanner.raw_value()?).ok()?;
            after_key = Some(after).filter(|after| !after.is_null());
            Some(())
        }
        _ => scanner.skip(),
    })?;
    let buckets = buckets?;
    let next = next_page(plan, buckets.len(), after_key).ok()?;
    Some((buckets, next))
}

fn group(scanner: &mut Scanner<'_>, reader: &Reader<'_>, group_by: &[String]) -> Option<Series> {
    let mut ahead = scanner.clone();
    if let Some(series) = compact_group(&mut ahead, reader, group_by) {
        *scanner = ahead;
        return Some(series);
    }
    any_group(scanner, reader, group_by)
}

/// The usual composite bucket, compared whole as [`compact_time_bucket`] does: compact,
/// `key`, an integer `doc_count`, then the series (as Elasticsearch and the embedded
/// store write it). Anything else is `None`, and the caller reads it key by key.
fn compact_group(
    scanner: &mut Scanner<'_>,
    reader: &Reader<'_>,
    group_by: &[String],
) -> Option<Series> {
    scanner.eat_literal(br#"{"key":"#).then_some(())?;
    let key = group_key(scanner, group_by)?;
    scanner.eat_literal(br#","doc_count":"#).then_some(())?;
    scanner.integer::<u64>()?;
    let series_key = scanner.eat_literal(br#",""#)
        && scanner.eat_literal(SERIES_AGG.as_bytes())
        && scanner.eat_literal(br#"":"#);
    series_key.then_some(())?;
    let mut series = histogram(scanner, reader)?;
    scanner.eat_literal(b"}").then_some(())?;
    series.group = key;
    Some(series)
}

fn any_group(
    scanner: &mut Scanner<'_>,
    reader: &Reader<'_>,
    group_by: &[String],
) -> Option<Series> {
    let mut key = None;
    let mut series = None;
    scanner.object(|scanner, name| {
        if name == b"key" {
            key = Some(group_key(scanner, group_by)?);
            Some(())
        } else if name == SERIES_AGG.as_bytes() {
            series = Some(histogram(scanner, reader)?);
            Some(())
        } else {
            scanner.skip()
        }
    })?;
    let mut series = series?;
    series.group = key?;
    Some(series)
}

/// A composite key `{field: value, …}` as the group's key, labelled as the typed reader
/// labels it (the last of a repeated field wins there too). More than 64 group-by fields
/// are left to the typed reader.
fn group_key(scanner: &mut Scanner<'_>, group_by: &[String]) -> Option<GroupKey> {
    if group_by.len() > 64 {
        return None;
    }
    // Labels in `group_by` order, filled in place as the key's fields come; `filled` has
    // a bit per field found.
    let mut labels: Vec<(String, String)> = group_by
        .iter()
        .map(|field| (field.clone(), String::new()))
        .collect();
    let mut filled = 0_u64;
    scanner.object(|scanner, field| {
        let slot = group_by.iter().position(|name| name.as_bytes() == field);
        let label = match scanner.peek_kind()? {
            Kind::String => scanner.string()?.to_string(),
            Kind::Number => scanner
                .number_text()?
                .parse::<serde_json::Number>()
                .ok()?
                .to_string(),
            Kind::Boolean => scanner.boolean()?.to_string(),
            // Not a label; if it is a grouped field the typed reader says so.
            Kind::Other => {
                scanner.skip()?;
                return slot.map_or(Some(()), |_| None);
            }
        };
        if let Some(slot) = slot {
            labels[slot].1 = label;
            filled |= 1 << slot;
        }
        Some(())
    })?;
    (filled.count_ones() as usize == group_by.len()).then_some(GroupKey(labels))
}

fn histogram(scanner: &mut Scanner<'_>, reader: &Reader<'_>) -> Option<Series> {
    let mut series = Series::empty(GroupKey::default(), reader.grid, reader.metric);
    let mut read = false;
    scanner.object(|scanner, key| {
        if key != b"buckets" {
            return scanner.skip();
        }
        read = true;
        scanner.array(|scanner, index| {
            let bucket = time_bucket(scanner)?;
            reader.place(&mut series, &bucket, &String::new, index).ok()
        })
    })?;
    read.then_some(series)
}

fn time_bucket(scanner: &mut Scanner<'_>) -> Option<TimeBucket> {
    let mut ahead = scanner.clone();
    if let Some(bucket) = compact_time_bucket(&mut ahead) {
        *scanner = ahead;
        return Some(bucket);
    }
    any_time_bucket(scanner)
}

/// The usual time bucket, read by comparing its bytes with what is expected next: no
/// whitespace, `key_as_string` first (as Elasticsearch and the embedded store write it)
/// or second, `doc_count`, then a one-value metric, a ratio's counts, or nothing (a
/// count). Key by key this is most of the work of reading an answer; compared
/// whole it takes about a quarter less. Anything else (other keys or orders, whitespace,
/// percentiles, escapes) is `None`, and the caller reads the bucket key by key.
fn compact_time_bucket(scanner: &mut Scanner<'_>) -> Option<TimeBucket> {
    let key = if scanner.eat_literal(br#"{"key_as_string":"#) {
        scanner.skip_plain_string()?;
        scanner.eat_literal(br#","key":"#).then_some(())?;
        scanner.integer()?
    } else {
        scanner.eat_literal(br#"{"key":"#).then_some(())?;
        let key = scanner.integer()?;
        scanner.eat_literal(br#","key_as_string":"#).then_some(())?;
        scanner.skip_plain_string()?;
        key
    };
    scanner.eat_literal(br#","doc_count":"#).then_some(())?;
    let mut bucket = TimeBucket {
        key: Timestamp(key),
        doc_count: scanner.integer()?,
        value: None,
        numerator: None,
        denominator: None,
    };
    if scanner.eat_literal(b",") {
        if compact_key(scanner, VALUE_AGG, "value") {
            let value = scanner.nullable_f64()?;
            bucket.value = Some(MetricValue {
                value,
                values: None,
            });
        } else {
            compact_key(scanner, NUMERATOR_AGG, "doc_count").then_some(())?;
            bucket.numerator = Some(Count {
                doc_count: scanner.integer()?,
            });
            if scanner.eat_literal(b"},") {
                compact_key(scanner, DENOMINATOR_AGG, "doc_count").then_some(())?;
                bucket.denominator = Some(Count {
                    doc_count: scanner.integer()?,
                });
            }
        }
        scanner.eat_literal(b"}").then_some(())?;
    }
    scanner.eat_literal(b"}").then_some(bucket)
}

/// Consumes `"aggregation":{"field":` when that is what comes, else nothing.
fn compact_key(scanner: &mut Scanner<'_>, aggregation: &str, field: &str) -> bool {
    let mut ahead = scanner.clone();
    let matches = ahead.eat_literal(b"\"")
        && ahead.eat_literal(aggregation.as_bytes())
        && ahead.eat_literal(br#"":{""#)
        && ahead.eat_literal(field.as_bytes())
        && ahead.eat_literal(br#"":"#);
    if matches {
        *scanner = ahead;
    }
    matches
}

fn any_time_bucket(scanner: &mut Scanner<'_>) -> Option<TimeBucket> {
    let mut key = None;
    let mut doc_count = None;
    let mut value = None;
    let mut numerator = None;
    let mut denominator = None;
    scanner.object(|scanner, name| {
        match name {
            b"key" => key = Some(Timestamp(scanner.integer()?)),
            b"doc_count" => doc_count = Some(scanner.integer()?),
            _ if name == VALUE_AGG.as_bytes() => value = Some(metric_value(scanner)?),
            _ if name == NUMERATOR_AGG.as_bytes() => numerator = Some(count(scanner)?),
            _ if name == DENOMINATOR_AGG.as_bytes() => denominator = Some(count(scanner)?),
            _ => scanner.skip()?,
        }
        Some(())
    })?;
    Some(TimeBucket {
        key: key?,
        doc_count: doc_count?,
        value,
        numerator,
        denominator,
    })
}

fn metric_value(scanner: &mut Scanner<'_>) -> Option<MetricValue> {
    let mut metric = MetricValue {
        value: None,
        values: None,
    };
    scanner.object(|scanner, key| {
        match key {
            b"value" => metric.value = scanner.nullable_f64()?,
            b"values" => {
                let mut values = BTreeMap::new();
                scanner.object(|scanner, percent| {
                    let percent = std::str::from_utf8(percent).ok()?;
                    values.insert(percent.to_string(), scanner.nullable_f64()?);
                    Some(())
                })?;
                metric.values = Some(values);
            }
            _ => scanner.skip()?,
        }
        Some(())
    })?;
    Some(metric)
}

fn count(scanner: &mut Scanner<'_>) -> Option<Count> {
    let mut doc_count = None;
    scanner.object(|scanner, key| match key {
        b"doc_count" => {
            doc_count = Some(scanner.integer()?);
            Some(())
        }
        _ => scanner.skip(),
    })?;
    Some(Count {
        doc_count: doc_count?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::{Map, Value, json};

    use super::super::Answer;
    use super::super::plan::plan_search;
    use super::super::series::page_from_response;
    use super::*;
    use crate::rules::{Rule, parse_one};

    const NOW: &str = "2026-11-20T10:03:30Z";

    fn rule(group_by: &str, metric: &str) -> Rule {
        parse_one(&format!(
            "name: r\nindex: m\n{group_by}metric: {metric}\nbucket: 1m\nevery: 1m\nlookback: 3m\ncondition: {{ threshold: {{ below: 1 }} }}\nnotify: [ops]\n"
        ))
    }

    fn plan(rule: &Rule) -> SearchPlan {
        let now: DateTime<Utc> = NOW.parse().unwrap();
        plan_search(rule, now)
    }

    /// What the fast path reads from `bytes`, or `None` when it steps aside.
    fn fast(rule: &Rule, bytes: &[u8]) -> Option<Page> {
        let plan = plan(rule);
        let reader = Reader {
            metric: &rule.metric,
            grid: plan.grid,
        };
        read_page(bytes, &reader, &rule.group_by, &plan)
    }

    /// What the typed reader makes of the same answer.
    fn typed(rule: &Rule, answer: &Value) -> Result<Page, super::super::ResponseError> {
        page_from_response(
            &Answer::Json(answer.clone()),
            &rule.metric,
            &rule.group_by,
            &plan(rule),
        )
    }

    /// `value` with every object's keys in reverse order, all the way down.
    fn reversed(value: &Value) -> Value {
        match value {
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), reversed(v)))
                    .collect::<Map<_, _>>(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
            other => other.clone(),
        }
    }

    /// `value` with `key_as_string` first in every object that has one, all the way
    /// down: the order Elasticsearch writes a histogram bucket in.
    fn key_as_string_first(value: &Value) -> Value {
        match value {
            Value::Object(object) => {
                let first = object.get_key_value("key_as_string");
                let rest = object.iter().filter(|(k, _)| *k != "key_as_string");
                Value::Object(
                    first
                        .into_iter()
                        .chain(rest)
                        .map(|(k, v)| (k.clone(), key_as_string_first(v)))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(key_as_string_first).collect()),
            other => other.clone(),
        }
    }

    /// The usual buckets are compared whole, in either key order; anything unusual is
    /// left to the key-by-key reading.
    #[test]
    fn usual_buckets_are_read_whole() {
        let whole = |text: &str| {
            let mut scanner = Scanner::new(text.as_bytes());
            let bucket = compact_time_bucket(&mut scanner);
            let all_read = scanner.at_end();
            if let Some(bucket) = &bucket {
                let by_key = any_time_bucket(&mut Scanner::new(text.as_bytes()));
                assert_eq!(
                    format!("{:?}", Some(bucket)),
                    format!("{:?}", by_key.as_ref()),
                    "{text}: read whole, it must read as key by key"
                );
            }
            bucket.map(|bucket| (bucket, all_read))
        };
        for text in [
            r#"{"key":1,"key_as_string":"1","doc_count":3,"value":{"value":2.5}}"#,
            r#"{"key_as_string":"1970-01-01T00:00:00.001Z","key":1,"doc_count":3,"value":{"value":null}}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"numerator":{"doc_count":1}}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"numerator":{"doc_count":1},"denominator":{"doc_count":2}}"#,
        ] {
            let (bucket, all_read) = whole(text).unwrap_or_else(|| panic!("{text}"));
            assert!(all_read, "{text}");
            assert_eq!((bucket.key.0, bucket.doc_count), (1, 3), "{text}");
        }
        for text in [
            r#"{ "key":1,"key_as_string":"1","doc_count":3}"#,
            r#"{"doc_count":3,"key":1,"key_as_string":"1"}"#,
            r#"{"key":1,"key_as_string":"a\"b","doc_count":3}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"value":{"values":{"95.0":1}}}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"value":{"value":1,"value_as_string":"1"}}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"meta":{}}"#,
            r#"{"key":1,"key_as_string":"1","doc_count":3,"numerator":{"doc_count":1},"other":{}}"#,
            r#"{"key":1.5,"key_as_string":"1","doc_count":3}"#,
        ] {
            assert!(whole(text).is_none(), "{text}");
        }
    }

    #[test]
    fn usual_groups_are_read_whole() {
        let avg = rule("group_by: host.name\n", "avg(free)");
        let plan = plan(&avg);
        let reader = Reader {
            metric: &avg.metric,
            grid: plan.grid,
        };
        let buckets = time_buckets(&avg, &[json!({ "value": { "value": 1.5 } })]);
        let usual = json!({ "key": { "host.name": "api-1" }, "doc_count": 3, "series": buckets });
        let read = |group: &Value| {
            let text = serde_json::to_vec(group).unwrap();
            compact_group(&mut Scanner::new(&text), &reader, &avg.group_by)
        };
        let series = read(&usual).unwrap();
        assert_eq!(series.group.to_string(), "host.name=api-1");
        assert_eq!(series.values.iter().flatten().count(), 1);
        for unusual in [
            json!({ "doc_count": 3, "key": { "host.name": "api-1" }, "series": buckets }),
            json!({ "key": { "host.name": "api-1" }, "doc_count": 3, "series": buckets, "x": 1 }),
        ] {
            assert!(read(&unusual).is_none(), "{unusual}");
        }
    }

    fn time_buckets(rule: &Rule, values: &[Value]) -> Value {
        let start = plan(rule).grid.start_ms;
        let buckets: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(i, extra)| {
                let mut bucket = json!({
                    "key": start + i as i64 * 60_000,
                    "key_as_string": "2026-11-20T10:00:00.000Z",
                    "doc_count": i as u64 * 3,
                });
                for (k, v) in extra.as_object().unwrap() {
                    bucket[k] = v.clone();
                }
                bucket
            })
            .collect();
        json!({ "buckets": buckets })
    }

    fn grouped(groups: Vec<(Value, Value)>, after_key: Option<Value>) -> Value {
        let buckets: Vec<Value> = groups
            .into_iter()
            .map(|(key, series)| json!({ "key": key, "doc_count": 9, "series": series }))
            .collect();
        let mut group = json!({ "buckets": buckets });
        if let Some(after) = after_key {
            group["after_key"] = after;
        }
        json!({
            "took": 3, "timed_out": false,
            "_shards": { "total": 2, "successful": 2, "skipped": 0, "failed": 0 },
            "hits": { "total": { "value": 10000, "relation": "gte" }, "max_score": null, "hits": [] },
            "aggregations": { "group": group }
        })
    }

    /// Every answer both readers accept reads the same, compact, pretty or with its keys
    /// in any order.
    #[test]
    fn the_fast_path_reads_exactly_what_the_typed_reader_reads() {
        let avg = rule("group_by: host.name\n", "avg(free)");
        let values = [
            json!({ "value": { "value": 5.25 } }),
            json!({ "value": { "value": null } }),
            json!({ "value": { "value": -1.5e-7, "value_as_string": "x" } }),
            json!({ "value": { "value": 12 } }),
        ];
        let two_fields = rule("group_by: [host.name, disk]\n", "max(used)");
        let percentile = rule("group_by: host.name\n", "p95(latency)");
        let ratio = rule(
            "group_by: service.name\n",
            "{ ratio: { of: { term: { status: 500 } }, over: { exists: { field: status } } } }",
        );
        let count = rule("", "count");
        let cases: Vec<(&Rule, Value)> = vec![
            (
                &avg,
                grouped(
                    vec![
                        (json!({ "host.name": "api-1" }), time_buckets(&avg, &values)),
                        (
                            json!({ "host.name": "api-2 ünï" }),
                            time_buckets(&avg, &values[1..]),
                        ),
                        (json!({ "host.name": 17 }), time_buckets(&avg, &values[..1])),
                        (json!({ "host.name": 2.5 }), time_buckets(&avg, &[])),
                        (
                            json!({ "host.name": true }),
                            time_buckets(&avg, &values[..2]),
                        ),
                    ],
                    Some(json!({ "host.name": true })),
                ),
            ),
            (
                &two_fields,
                grouped(
                    vec![(
                        json!({ "disk": "/var", "host.name": "db-1", "extra": [1, {"a": null}] }),
                        time_buckets(&two_fields, &values),
                    )],
                    None,
                ),
            ),
            (
                &percentile,
                grouped(
                    vec![(
                        json!({ "host.name": "api-1" }),
                        time_buckets(
                            &percentile,
                            &[
                                json!({ "value": { "values": { "95.0": 310.5 } } }),
                                json!({ "value": { "values": { "95.0": null } } }),
                            ],
                        ),
                    )],
                    None,
                ),
            ),
            (
                &ratio,
                grouped(
                    vec![(
                        json!({ "service.name": "checkout" }),
                        time_buckets(
                            &ratio,
                            &[
                                json!({ "numerator": { "doc_count": 0 }, "denominator": { "doc_count": 0 } }),
                                json!({ "numerator": { "doc_count": 2 }, "denominator": { "doc_count": 40, "meta": {} } }),
                            ],
                        ),
                    )],
                    None,
                ),
            ),
            (
                &count,
                json!({ "timed_out": false, "aggregations": { "series": time_buckets(&count, &[json!({}), json!({}), json!({})]) } }),
            ),
        ];
        for (rule, answer) in cases {
            let expected = typed(rule, &answer).unwrap();
            assert!(!expected.series.is_empty());
            for variant in [
                answer.clone(),
                reversed(&answer),
                key_as_string_first(&answer),
            ] {
                for bytes in [
                    serde_json::to_vec(&variant).unwrap(),
                    serde_json::to_vec_pretty(&variant).unwrap(),
                ] {
                    let text = String::from_utf8_lossy(&bytes).to_string();
                    assert_eq!(fast(rule, &bytes).as_ref(), Some(&expected), "{text}");
                }
            }
        }
    }

    /// Where an error says the answer went wrong (the parser's own wording may differ
    /// between bytes and trees).
    fn where_(error: &super::super::ResponseError) -> String {
        use super::super::ResponseError::*;
        match error {
            Malformed { path, .. } | Shape { path, .. } => path.clone(),
            Partial { reason } => reason.clone(),
        }
    }

    /// A full page's `after_key` is where the next page starts, as the typed reader says.
    #[test]
    fn a_full_page_carries_its_after_key() {
        let avg = rule("group_by: host.name\n", "avg(free)");
        let size = plan(&avg).page_size.unwrap();
        let groups = (0..size)
            .map(|i| {
                (
                    json!({ "host.name": format!("h{i}") }),
                    time_buckets(&avg, &[]),
                )
            })
            .collect();
        let answer = grouped(groups, Some(json!({ "host.name": "last" })));
        let read = fast(&avg, &serde_json::to_vec(&answer).unwrap()).unwrap();
        assert_eq!(read.next, Some(json!({ "host.name": "last" })));
        assert_eq!(read, typed(&avg, &answer).unwrap());
    }

    /// Whatever the fast path does not expect it leaves to the typed reader, which either
    /// reads it too (an escaped key, a float timestamp) or says what is wrong.
    #[test]
    fn the_fast_path_steps_aside_for_anything_unexpected() {
        let avg = rule("group_by: host.name\n", "avg(free)");
        let good = grouped(
            vec![(
                json!({ "host.name": "api-1" }),
                time_buckets(&avg, &[json!({ "value": { "value": 1.0 } })]),
            )],
            None,
        );
        let good_text = serde_json::to_string(&good).unwrap();
        assert!(fast(&avg, good_text.as_bytes()).is_some());
        let start = plan(&avg).grid.start_ms;
        let texts = [
            good_text.replace("\"timed_out\":false", "\"timed_out\":true"),
            good_text.replace("\"failed\":0", "\"failed\":1"),
            good_text.replace("api-1", "api-\\\"1"),
            good_text.replace(&format!("\"key\":{start}"), &format!("\"key\":{start}.0")),
            good_text.replace("\"value\":1.0", "\"value\":1e400"),
            good_text.replace("\"aggregations\"", "\"aggs\""),
            good_text.replace("\"series\"", "\"histogram\""),
            good_text.replace("\"doc_count\":0", "\"doc_count\":\"0\""),
            format!("{good_text} trailing"),
            good_text[..good_text.len() - 1].to_string(),
        ];
        for text in &texts {
            assert_eq!(fast(&avg, text.as_bytes()), None, "{text}");
            let answer = Answer::Bytes(text.clone().into_bytes());
            let through = page_from_response(&answer, &avg.metric, &avg.group_by, &plan(&avg));
            let Ok(tree) = serde_json::from_str::<Value>(text) else {
                assert!(through.is_err(), "{text}");
                continue;
            };
            match (through, typed(&avg, &tree)) {
                (Ok(read), Ok(expected)) => assert_eq!(read, expected, "{text}"),
                (Err(error), Err(expected)) => {
                    assert_eq!(where_(&error), where_(&expected), "{text}")
                }
                (read, expected) => panic!("{text}: {read:?} but {expected:?}"),
            }
        }
    }
}
