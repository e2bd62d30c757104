//! Elasticsearch query DSL → tantivy queries, for the clauses trendwatch and its users'
//! filters need: `bool`, `term`, `terms`, `range`, `exists`, `prefix`, `match_all`,
//! `match_none`. Anything else is an `Unsupported` error naming the clause — never a
//! silently different query. Every clause runs in filter context (no scoring).

use std::ops::{Bound, RangeInclusive};

use serde_json::{Map, Value};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, ExistsQuery, InvertedIndexRangeQuery, Occur, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{DateTime, Searcher};

use super::date_math::{self, RoundTo};
use super::error::StoreError;
use super::fields::Fields;
use super::pattern;
use super::query_string;
use super::timeline::TimeRangeQuery;

/// What a translation may consult: the schema's fields, the time `now` means in date math,
/// and, when translating for one search, its searcher (to look terms up instead of
/// scanning for them).
pub struct Context<'a> {
    pub fields: &'a Fields,
    pub searcher: Option<&'a Searcher>,
    /// Epoch milliseconds of `now` in date math: when the search arrived.
    pub now_ms: i64,
}

/// More matching terms than this and a prefix is scanned rather than expanded.
const MAX_PREFIX_TERMS: usize = 1_024;

/// Translates one query clause found at `path` (for error messages).
pub fn translate(
    clause: &Value,
    cx: &Context<'_>,
    path: &str,
) -> Result<Box<dyn Query>, StoreError> {
    let object = clause
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "a query clause must be an object"))?;
    let mut entries = object.iter();
    let (Some((kind, body)), None) = (entries.next(), entries.next()) else {
        return Err(StoreError::parsing(
            path,
            format!(
                "a query clause holds exactly one query type, found {}",
                object.len()
            ),
        ));
    };
    let path = format!("{path}.{kind}");
    match kind.as_str() {
        "bool" => boolean(body, cx, &path),
        "term" => {
            let (field, value) = single_field(body, &path)?;
            let value = value
                .as_object()
                .and_then(|o| o.get("value"))
                .unwrap_or(value);
            term(field, value, cx, &path)
        }
        "terms" => terms(body, cx, &path),
        "range" => range(body, cx, &path),
        "exists" => exists(body, cx, &path),
        "prefix" => prefix(body, cx, &path),
        "wildcard" => wildcard(body, cx, &path),
        "match" | "match_phrase" => exact_match(kind, body, cx, &path),
        "query_string" => translate(&query_string::to_dsl(body, &path)?, cx, &path),
        "ids" => ids(body, cx, &path),
        "match_all" => Ok(Box::new(AllQuery)),
        "match_none" => Ok(Box::new(EmptyQuery)),
        other => Err(StoreError::unsupported(
            &path,
            format!("query type [{other}]"),
        )),
    }
}

fn boolean(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let object = body
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "[bool] must be an object"))?;
    let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut optional: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut minimum_should_match = None;
    for (key, value) in object {
        let clause_path = format!("{path}.{key}");
        match key.as_str() {
            "must" | "filter" => required.extend(
                clause_list(value, cx, &clause_path)?
                    .into_iter()
                    .map(|q| (Occur::Must, q)),
            ),
            "must_not" => required.extend(
                clause_list(value, cx, &clause_path)?
                    .into_iter()
                    .map(|q| (Occur::MustNot, q)),
            ),
            "should" => optional.extend(
                clause_list(value, cx, &clause_path)?
                    .into_iter()
                    .map(|q| (Occur::Should, q)),
            ),
            "minimum_should_match" => {
                minimum_should_match = Some(parse_minimum_should_match(value, &clause_path)?)
            }
            "boost" | "_name" => {}
            other => {
                return Err(StoreError::parsing(
                    path,
                    format!("[bool] query does not support [{other}]"),
                ));
            }
        }
    }
    let has_positive = required.iter().any(|(occur, _)| *occur == Occur::Must);
    // Elasticsearch: without `minimum_should_match`, `should` is optional when a must/filter
    // clause is present and at least one must match otherwise.
    let minimum = minimum_should_match
        .unwrap_or(if has_positive { 0 } else { 1 })
        .min(optional.len());
    if minimum > 0 {
        let should: Box<dyn Query> = Box::new(BooleanQuery::with_minimum_required_clauses(
            optional, minimum,
        ));
        required.push((Occur::Must, should));
    }
    if !required.iter().any(|(occur, _)| *occur == Occur::Must) {
        required.push((Occur::Must, Box::new(AllQuery)));
    }
    Ok(Box::new(BooleanQuery::new(required)))
}

fn parse_minimum_should_match(value: &Value, path: &str) -> Result<usize, StoreError> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| StoreError::unsupported(path, "a negative [minimum_should_match]")),
        Value::String(text) => text.parse().map_err(|_| {
            StoreError::unsupported(
                path,
                format!("[minimum_should_match] \"{text}\" (only whole numbers)"),
            )
        }),
        _ => Err(StoreError::parsing(
            path,
            "[minimum_should_match] must be a number",
        )),
    }
}

fn clause_list(
    value: &Value,
    cx: &Context<'_>,
    path: &str,
) -> Result<Vec<Box<dyn Query>>, StoreError> {
    match value {
        Value::Array(clauses) => clauses
            .iter()
            .enumerate()
            .map(|(i, c)| translate(c, cx, &format!("{path}[{i}]")))
            .collect(),
        Value::Object(_) => Ok(vec![translate(value, cx, path)?]),
        _ => Err(StoreError::parsing(
            path,
            "expected a query clause or a list of them",
        )),
    }
}

/// `{ "field": value }` with exactly one field.
fn single_field<'v>(body: &'v Value, path: &str) -> Result<(&'v str, &'v Value), StoreError> {
    let object = body
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "expected an object naming one field"))?;
    let mut entries = object
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "boost" | "_name"));
    match (entries.next(), entries.next()) {
        (Some((field, value)), None) => Ok((field.as_str(), value)),
        _ => Err(StoreError::parsing(path, "expected exactly one field")),
    }
}

fn term(
    field: &str,
    value: &Value,
    cx: &Context<'_>,
    path: &str,
) -> Result<Box<dyn Query>, StoreError> {
    if cx.fields.is_time(field) {
        let millis = timestamp_millis(value, path)?;
        if !STORED_MILLIS.contains(&millis) {
            return Ok(Box::new(EmptyQuery));
        }
        let term = Term::from_field_date(cx.fields.time, DateTime::from_timestamp_millis(millis));
        return Ok(Box::new(RangeQuery::new(
            Bound::Included(term.clone()),
            Bound::Included(term),
        )));
    }
    match value {
        Value::String(text) => {
            let mut term = Term::from_field_json_path(cx.fields.terms, field, true);
            term.append_type_and_str(text);
            Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
        }
        Value::Number(number) => {
            let number = number
                .as_f64()
                .ok_or_else(|| StoreError::parsing(path, "number out of range"))?;
            let bound = json_number_term(cx, field, number);
            Ok(Box::new(RangeQuery::new(
                Bound::Included(bound.clone()),
                Bound::Included(bound),
            )))
        }
        Value::Bool(flag) => {
            let mut term = Term::from_field_json_path(cx.fields.terms, field, true);
            term.append_type_and_fast_value(*flag);
            Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
        }
        _ => Err(StoreError::parsing(
            path,
            format!("[term] value for [{field}] must be a string, number or boolean"),
        )),
    }
}

/// `{"ids": {"values": ["a", "b"]}}`: documents by `_id`.
fn ids(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let values = body
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| StoreError::parsing(path, "[ids] needs [values]: an array of ids"))?;
    let alternatives = values
        .iter()
        .map(|value| {
            let id = value.as_str().ok_or_else(|| {
                StoreError::parsing(
                    path,
                    format!("[ids] values must be strings, found [{value}]"),
                )
            })?;
            let term = Term::from_field_text(cx.fields.id, id);
            Ok((
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Box::new(BooleanQuery::new(alternatives)))
}

fn json_number_term(cx: &Context<'_>, field: &str, number: f64) -> Term {
    let mut term = Term::from_field_json_path(cx.fields.document, field, true);
    term.append_type_and_fast_value(number);
    term
}

fn terms(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let (field, values) = single_field(body, path)?;
    let values = values.as_array().ok_or_else(|| {
        StoreError::parsing(
            path,
            format!("[terms] values for [{field}] must be an array"),
        )
    })?;
    let alternatives = values
        .iter()
        .map(|value| term(field, value, cx, path).map(|query| (Occur::Should, query)))
        .collect::<Result<Vec<_>, _>>()?;
    if alternatives.is_empty() {
        return Ok(Box::new(EmptyQuery));
    }
    Ok(Box::new(BooleanQuery::new(alternatives)))
}

fn range(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let (field, spec) = single_field(body, path)?;
    let spec = spec.as_object().ok_or_else(|| {
        StoreError::parsing(path, format!("[range] for [{field}] must be an object"))
    })?;
    check_range_keys(spec, path)?;
    if cx.fields.is_time(field) {
        let zone = match spec.get("time_zone").and_then(Value::as_str) {
            Some(name) => date_math::Zone::parse(name)
                .map_err(|reason| StoreError::parsing(&format!("{path}.time_zone"), reason))?,
            None => date_math::Zone::UTC,
        };
        let seconds = spec.get("format").and_then(Value::as_str) == Some("epoch_second");
        let millis = |key: &str, round_to| -> Result<Option<i64>, StoreError> {
            let key_path = format!("{path}.{key}");
            match spec.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) if seconds => n
                    .as_f64()
                    .map(|s| (s * 1_000.0).round() as i64)
                    .map(Some)
                    .ok_or_else(|| {
                        StoreError::parsing(&key_path, format!("[{n}] is not a number of seconds"))
                    }),
                Some(number @ Value::Number(_)) => timestamp_millis(number, &key_path).map(Some),
                Some(Value::String(text)) => date_math::resolve(text, cx.now_ms, zone, round_to)
                    .map(Some)
                    .map_err(|reason| StoreError::parsing(&key_path, reason)),
                Some(_) => Err(StoreError::parsing(
                    &key_path,
                    "a date must be a string or a number",
                )),
            }
        };
        // Elasticsearch's rounding: gte and lt take the start of a rounded unit, gt and
        // lte its last millisecond.
        return Ok(time_range(
            cx,
            millis("gte", RoundTo::Start)?,
            millis("gt", RoundTo::End)?,
            millis("lte", RoundTo::End)?,
            millis("lt", RoundTo::Start)?,
        ));
    }
    if let Some(option) = ["time_zone", "format"]
        .into_iter()
        .find(|o| spec.contains_key(*o))
    {
        return Err(StoreError::unsupported(
            path,
            format!("[range] {option} on [{field}], which is not the time field"),
        ));
    }
    let bound = |key: &str| -> Result<Option<Term>, StoreError> {
        match spec.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().map(|n| json_number_term(cx, field, n))),
            Some(_) => Err(StoreError::unsupported(
                &format!("{path}.{key}"),
                format!("a [range] on [{field}] with a non-numeric bound"),
            )),
        }
    };
    let (lower, upper) = bounds(bound("gte")?, bound("gt")?, bound("lte")?, bound("lt")?);
    Ok(range_or_all(lower, upper))
}

/// Below this share of the stored time span, a time range is looked up in the timeline
/// instead of scanning the time column.
const TIMELINE_MAX_SHARE: f64 = 0.02;

/// A range on the time field, exact to the millisecond. A narrow range is looked up in the
/// store's timeline (binary search, then only the matching documents); a wide one scans
/// the time column, which costs the same whatever the width.
fn time_range(
    cx: &Context<'_>,
    gte: Option<i64>,
    gt: Option<i64>,
    lte: Option<i64>,
    lt: Option<i64>,
) -> Box<dyn Query> {
    // As `bounds` reads them for the column: `gte` before `gt`, `lte` before `lt`.
    let from_ms = gte.or(gt.map(|ms| ms.saturating_add(1)));
    let to_ms = lte.map(|ms| ms.saturating_add(1)).or(lt);
    let narrow = cx.fields.time_span().is_some_and(|(first, last)| {
        let from = from_ms.unwrap_or(first).max(first);
        let to = to_ms.unwrap_or(last).min(last);
        (to.saturating_sub(from) as f64) < TIMELINE_MAX_SHARE * ((last - first).max(1) as f64)
    });
    if let (true, Some(timeline)) = (narrow, &cx.fields.timeline) {
        return Box::new(TimeRangeQuery::new(
            timeline.clone(),
            from_ms.unwrap_or(i64::MIN),
            to_ms.unwrap_or(i64::MAX),
        ));
    }
    // Every stored time lies in STORED_MILLIS, so a bound beyond it either keeps every
    // document or none (and tantivy's dates cannot represent it).
    let (first, last) = (*STORED_MILLIS.start(), *STORED_MILLIS.end());
    if from_ms.is_some_and(|ms| ms > last) || to_ms.is_some_and(|ms| ms <= first) {
        return Box::new(EmptyQuery);
    }
    let exact_term =
        |ms: i64| Term::from_field_date(cx.fields.time, DateTime::from_timestamp_millis(ms));
    let lower = from_ms
        .filter(|&ms| ms > first)
        .map_or(Bound::Unbounded, |ms| Bound::Included(exact_term(ms)));
    let upper = to_ms
        .filter(|&ms| ms <= last)
        .map_or(Bound::Unbounded, |ms| Bound::Excluded(exact_term(ms)));
    range_or_all(lower, upper)
}

fn check_range_keys(spec: &Map<String, Value>, path: &str) -> Result<(), StoreError> {
    for (key, value) in spec {
        match key.as_str() {
            "gte" | "gt" | "lte" | "lt" | "boost" => {}
            "format"
                if matches!(
                    value.as_str(),
                    Some(
                        "epoch_millis"
                            | "epoch_second"
                            | "strict_date_optional_time"
                            | "date_optional_time"
                            | "strict_date_optional_time||epoch_millis"
                    )
                ) => {}
            "format" => {
                return Err(StoreError::unsupported(
                    path,
                    format!(
                        "[range] format {value} (supported: epoch_millis, epoch_second, strict_date_optional_time)"
                    ),
                ));
            }
            "time_zone" if value.is_string() => {}
            "time_zone" => {
                return Err(StoreError::parsing(
                    path,
                    "[range] time_zone must be a string",
                ));
            }
            other => {
                return Err(StoreError::parsing(
                    path,
                    format!("[range] query does not support [{other}]"),
                ));
            }
        }
    }
    Ok(())
}

fn bounds(
    gte: Option<Term>,
    gt: Option<Term>,
    lte: Option<Term>,
    lt: Option<Term>,
) -> (Bound<Term>, Bound<Term>) {
    let lower = gte
        .map(Bound::Included)
        .or(gt.map(Bound::Excluded))
        .unwrap_or(Bound::Unbounded);
    let upper = lte
        .map(Bound::Included)
        .or(lt.map(Bound::Excluded))
        .unwrap_or(Bound::Unbounded);
    (lower, upper)
}

fn range_or_all(lower: Bound<Term>, upper: Bound<Term>) -> Box<dyn Query> {
    if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
        return Box::new(AllQuery);
    }
    Box::new(RangeQuery::new(lower, upper))
}

fn exists(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let field = body
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::parsing(path, "[exists] needs a [field] string"))?;
    Ok(Box::new(ExistsQuery::new(
        cx.fields.column(field),
        !cx.fields.is_time(field),
    )))
}

fn prefix(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let (field, value) = single_field(body, path)?;
    let value = value
        .as_object()
        .and_then(|o| o.get("value"))
        .unwrap_or(value);
    let prefix = value.as_str().ok_or_else(|| {
        StoreError::parsing(
            path,
            format!("[prefix] value for [{field}] must be a string"),
        )
    })?;
    if cx.fields.is_time(field) {
        return Err(StoreError::unsupported(
            path,
            "a [prefix] query on the time field",
        ));
    }
    let term_for = |text: &str| keyword_term(cx, field, text);
    // Every string starting with `prefix` sorts between `prefix` and `prefix` + the largest
    // code point. Looked up in the term dictionary, the few matching terms make a lazy union
    // the rest of the query seeks into; without a searcher (or with very many terms) the
    // range is scanned into a bitset of every matching document.
    let (lower, upper) = (
        term_for(prefix),
        term_for(&format!("{prefix}{}", char::MAX)),
    );
    if let Some(values) = cx
        .searcher
        .and_then(|searcher| values_between(searcher, &lower, &upper, prefix.len(), cx, |_| true))
    {
        return Ok(any_of(cx, field, &values));
    }
    Ok(Box::new(InvertedIndexRangeQuery::new(
        Bound::Included(lower),
        Bound::Excluded(upper),
    )))
}

/// The distinct string values of the document field's terms in `[lower, upper)` across all
/// segments that `keep` accepts, or `None` when there are too many to expand (or the
/// dictionary cannot be read). `lower` ends with the `prefix_len` bytes of the prefix, after the field's path
/// and type marker.
fn values_between(
    searcher: &Searcher,
    lower: &Term,
    upper: &Term,
    prefix_len: usize,
    cx: &Context<'_>,
    keep: impl Fn(&str) -> bool,
) -> Option<std::collections::BTreeSet<String>> {
    let mut values = std::collections::BTreeSet::new();
    // Dictionary keys are the path, a type marker, then the string value.
    let key_prefix_len = lower
        .serialized_value_bytes()
        .len()
        .checked_sub(prefix_len)?;
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(cx.fields.terms).ok()?;
        let mut stream = index
            .terms()
            .range()
            .ge(lower.serialized_value_bytes())
            .lt(upper.serialized_value_bytes())
            .into_stream()
            .ok()?;
        while stream.advance() {
            let value = std::str::from_utf8(stream.key().get(key_prefix_len..)?).ok()?;
            if !keep(value) {
                continue;
            }
            values.insert(value.to_string());
            if values.len() > MAX_PREFIX_TERMS {
                return None;
            }
        }
    }
    Some(values)
}

/// `wildcard`: `*` for any run of characters, `?` for one, over a keyword value. The terms
/// that share the pattern's literal prefix are looked up and matched against it; the
/// matches make a union of exact terms.
fn wildcard(body: &Value, cx: &Context<'_>, path: &str) -> Result<Box<dyn Query>, StoreError> {
    let (field, value) = single_field(body, path)?;
    let spec = value.as_object();
    if let Some(other) = spec.and_then(|o| {
        o.keys()
            .find(|k| !matches!(k.as_str(), "value" | "wildcard" | "boost"))
    }) {
        return Err(StoreError::unsupported(
            path,
            format!("[wildcard] option [{other}]"),
        ));
    }
    let pattern = spec
        .and_then(|o| o.get("value").or_else(|| o.get("wildcard")))
        .unwrap_or(value)
        .as_str()
        .ok_or_else(|| {
            StoreError::parsing(
                path,
                format!("[wildcard] value for [{field}] must be a string"),
            )
        })?;
    if cx.fields.is_time(field) {
        return Err(StoreError::unsupported(
            path,
            "a [wildcard] query on the time field",
        ));
    }
    let prefix = pattern::literal_prefix(pattern);
    let term_for = |text: &str| keyword_term(cx, field, text);
    let (lower, upper) = (
        term_for(prefix),
        term_for(&format!("{prefix}{}", char::MAX)),
    );
    let searcher = cx.searcher.ok_or_else(|| {
        StoreError::unsupported(
            path,
            "a [wildcard] query inside an aggregation (use it in the search's query)",
        )
    })?;
    let values = values_between(searcher, &lower, &upper, prefix.len(), cx, |value| {
        pattern::glob_match(pattern, value)
    })
    .ok_or_else(|| {
        StoreError::unsupported(
            path,
            format!(
                "a [wildcard] pattern [{pattern}] matching more than {MAX_PREFIX_TERMS} values"
            ),
        )
    })?;
    Ok(any_of(cx, field, &values))
}

/// The term of a keyword `value` of the document field `field`.
fn keyword_term(cx: &Context<'_>, field: &str, value: &str) -> Term {
    let mut term = Term::from_field_json_path(cx.fields.terms, field, true);
    term.append_type_and_str(value);
    term
}

/// Documents whose `field` holds any of `values` (none when `values` is empty).
fn any_of(
    cx: &Context<'_>,
    field: &str,
    values: &std::collections::BTreeSet<String>,
) -> Box<dyn Query> {
    let alternatives: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|value| {
            let term = TermQuery::new(keyword_term(cx, field, value), IndexRecordOption::Basic);
            (Occur::Should, Box::new(term) as Box<dyn Query>)
        })
        .collect();
    if alternatives.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(alternatives))
}

/// `match` and `match_phrase` on the store's fields, which are all keywords (as `_mapping`
/// says): a keyword is analysed as one token, so both are an exact term, as in
/// Elasticsearch on a keyword field. Options that only make sense for text are refused.
fn exact_match(
    kind: &str,
    body: &Value,
    cx: &Context<'_>,
    path: &str,
) -> Result<Box<dyn Query>, StoreError> {
    let (field, value) = single_field(body, path)?;
    let query = match value.as_object() {
        Some(options) => {
            if let Some(other) = options
                .keys()
                .find(|k| !matches!(k.as_str(), "query" | "boost"))
            {
                return Err(StoreError::unsupported(
                    path,
                    format!(
                        "[{kind}] option [{other}] (the embedded store's strings are keywords, not analysed text)"
                    ),
                ));
            }
            options.get("query").ok_or_else(|| {
                StoreError::parsing(path, format!("[{kind}] for [{field}] needs [query]"))
            })?
        }
        None => value,
    };
    term(field, query, cx, path)
}

/// The milliseconds the store's time column can hold: tantivy keeps a date as nanoseconds
/// in an `i64`, from 1677-09-21 to 2262-04-11.
pub const STORED_MILLIS: RangeInclusive<i64> = (i64::MIN / 1_000_000)..=(i64::MAX / 1_000_000);

/// `millis` when the store can hold it, else why not: for a document's time or a
/// histogram's bounds, which must be real times. (Query bounds beyond it match all or
/// nothing instead.)
pub fn storable_millis(millis: i64) -> Result<i64, String> {
    if STORED_MILLIS.contains(&millis) {
        Ok(millis)
    } else {
        Err(format!(
            "{millis} ms is outside the years 1677 to 2262, which the store can hold"
        ))
    }
}

/// A timestamp as epoch milliseconds: a number, or an RFC 3339 string.
pub fn timestamp_millis(value: &Value, path: &str) -> Result<i64, StoreError> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| {
                StoreError::parsing(path, format!("[{n}] is not an epoch-millisecond timestamp"))
            }),
        Value::String(text) => {
            if let Ok(millis) = text.parse::<i64>() {
                return Ok(millis);
            }
            chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_millis()).map_err(|_| {
                if text.starts_with("now") {
                    StoreError::unsupported(path, format!("date math [{text}]"))
                } else {
                    StoreError::parsing(path, format!("failed to parse date [{text}]: expected RFC 3339 or epoch milliseconds"))
                }
            })
        }
        _ => Err(StoreError::parsing(
            path,
            "a date must be a string or a number",
        )),
    }
}
