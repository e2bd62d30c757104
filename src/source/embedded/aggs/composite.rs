//! The `composite` aggregation: buckets keyed by a tuple of `terms` and `date_histogram`
//! sources, sorted by that tuple, returned `size` at a time; `after` resumes after the
//! last key of the previous page, so every group can be read however many there are.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use serde_json::Value;
use tantivy::DocId;

use super::super::error::StoreError;
use super::super::interval::Rounding;
use super::super::reply::{self, Reply};
use super::columns::{Key, KeyValue};
use super::histogram::{KeyFormat, parse_rounding};
use super::terms::{directed, parse_direction, positive};
use super::{Plan, Run, body_object, bool_option, string_option};

enum SourceKind {
    Terms,
    DateHistogram {
        rounding: Rounding,
        format: Option<KeyFormat>,
    },
}

struct Source {
    name: String,
    field: String,
    kind: SourceKind,
    ascending: bool,
    missing_bucket: bool,
}

pub struct Composite {
    sources: Vec<Source>,
    size: usize,
    after: Option<Vec<Option<KeyValue>>>,
}

impl Composite {
    pub fn parse(body: &Value, path: &str) -> Result<Composite, StoreError> {
        let object = body_object(body, path)?;
        let mut sources = Vec::new();
        let mut size = 10;
        let mut after = None;
        for (key, value) in object {
            match key.as_str() {
                "sources" => {
                    let list = value.as_array().ok_or_else(|| {
                        StoreError::parsing(
                            path,
                            "[sources] must be an array of {name: {terms|date_histogram: …}}",
                        )
                    })?;
                    for (at, source) in list.iter().enumerate() {
                        sources.push(Source::parse(source, &format!("{path}.sources[{at}]"))?);
                    }
                }
                "size" => size = positive(value, "size", path)?,
                "after" => after = Some(value),
                other => {
                    return Err(StoreError::unsupported(
                        path,
                        format!("composite option [{other}]"),
                    ));
                }
            }
        }
        if sources.is_empty() {
            return Err(StoreError::parsing(
                path,
                "Composite [sources] cannot be null or empty",
            ));
        }
        let after = after
            .map(|after| parse_after(after, &sources, &format!("{path}.after")))
            .transpose()?;
        Ok(Composite {
            sources,
            size,
            after,
        })
    }

    pub fn fields(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.field.clone()).collect()
    }

    pub fn evaluate(&self, sub: &Plan, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let columns: Vec<_> = self
            .sources
            .iter()
            .map(|s| run.columns.get(&s.field))
            .collect();
        let mut parts: FxHashMap<Vec<Option<Key>>, Vec<DocId>> = FxHashMap::default();
        let mut per_source: Vec<Vec<Option<Key>>> = vec![Vec::new(); self.sources.len()];
        for &doc in docs {
            for ((source, columns), keys) in self.sources.iter().zip(&columns).zip(&mut per_source)
            {
                keys.clear();
                match &source.kind {
                    SourceKind::Terms => columns.keys(doc, |k| keys.push(Some(k))),
                    SourceKind::DateHistogram { rounding, .. } => {
                        columns.dates(doc, |t| keys.push(Some(Key::Date(rounding.floor(t)))))
                    }
                }
                keys.sort_unstable();
                keys.dedup();
                if keys.is_empty() && source.missing_bucket {
                    keys.push(None);
                }
            }
            for combination in combinations(&per_source) {
                let part = parts.entry(combination).or_default();
                if part.last() != Some(&doc) {
                    part.push(doc);
                }
            }
        }
        let mut groups: Vec<(Vec<Option<KeyValue>>, Vec<DocId>)> = parts
            .into_iter()
            .map(|(key, docs)| {
                let values = key
                    .iter()
                    .zip(&columns)
                    .map(|(part, columns)| part.map(|k| columns.resolve(k)).transpose())
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok((values, docs))
            })
            .collect::<Result<_, StoreError>>()?;
        if let Some(after) = &self.after {
            groups.retain(|(key, _)| self.compare(key, after) == Ordering::Greater);
        }
        groups.sort_by(|a, b| self.compare(&a.0, &b.0));
        groups.truncate(self.size);
        run.spend_buckets(groups.len())?;
        let mut buckets = Vec::with_capacity(groups.len());
        for (key, docs) in &groups {
            buckets.push(Reply::Object(run.bucket(
                sub,
                docs,
                [("key", self.key_json(key))],
            )?));
        }
        let mut result = vec![("buckets".into(), Reply::Array(buckets))];
        if let Some((last, _)) = groups.last() {
            result.push(("after_key".into(), self.key_json(last)));
        }
        Ok(Reply::Object(result))
    }

    /// Orders two composite keys source by source; a missing value comes first when
    /// ascending and last when descending, as in Elasticsearch.
    fn compare(&self, a: &[Option<KeyValue>], b: &[Option<KeyValue>]) -> Ordering {
        for ((source, x), y) in self.sources.iter().zip(a).zip(b) {
            let ordering = match (x, y) {
                (Some(x), Some(y)) => x.compare(y),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let ordering = directed(ordering, source.ascending);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    fn key_json(&self, key: &[Option<KeyValue>]) -> Reply {
        let mut object = reply::Fields::with_capacity(self.sources.len());
        for (source, value) in self.sources.iter().zip(key) {
            let json = match (value, &source.kind) {
                (None, _) => Reply::Null,
                (
                    Some(KeyValue::Date(ms)),
                    SourceKind::DateHistogram {
                        rounding,
                        format: Some(format),
                    },
                ) => Reply::String(format.print(*ms, &rounding.zone)),
                (Some(KeyValue::Date(ms)), _) => Reply::I64(*ms),
                (Some(KeyValue::Bool(b)), _) => Reply::Bool(*b),
                (Some(other), _) => other.to_reply(&super::super::date_math::Zone::UTC).0,
            };
            reply::set_field(&mut object, source.name.clone().into(), json);
        }
        Reply::Object(object)
    }
}

impl Source {
    fn parse(value: &Value, path: &str) -> Result<Source, StoreError> {
        let (name, definition) = single_entry(
            value,
            path,
            "a source is {name: {terms|date_histogram: {…}}}",
        )?;
        let (kind_name, body) = single_entry(
            definition,
            path,
            "a source holds one type: terms or date_histogram",
        )?;
        let path = format!("{path}.{name}.{kind_name}");
        let object = body
            .as_object()
            .ok_or_else(|| StoreError::parsing(&path, "the source body must be an object"))?;
        let kind = match kind_name {
            "terms" => SourceKind::Terms,
            "date_histogram" => SourceKind::DateHistogram {
                rounding: parse_rounding(object, &path)?,
                format: object
                    .get("format")
                    .map(|f| KeyFormat::parse(f, &path))
                    .transpose()?,
            },
            other => {
                return Err(StoreError::unsupported(
                    &path,
                    format!("composite source type [{other}]"),
                ));
            }
        };
        let mut source = Source {
            name: name.to_string(),
            field: String::new(),
            kind,
            ascending: true,
            missing_bucket: false,
        };
        for (key, value) in object {
            match key.as_str() {
                "field" => {
                    source.field = string_option(value, "field", &path)?;
                }
                "order" => source.ascending = parse_direction(value, &path)?,
                "missing_bucket" => {
                    source.missing_bucket = bool_option(value, "missing_bucket", &path)?;
                }
                "fixed_interval" | "calendar_interval" | "time_zone" | "offset" | "format"
                    if matches!(source.kind, SourceKind::DateHistogram { .. }) => {}
                other => {
                    return Err(StoreError::unsupported(
                        &path,
                        format!("composite source option [{other}]"),
                    ));
                }
            }
        }
        if source.field.is_empty() {
            return Err(StoreError::parsing(&path, "a source needs a [field]"));
        }
        Ok(source)
    }
}

fn single_entry<'v>(
    value: &'v Value,
    path: &str,
    expected: &str,
) -> Result<(&'v str, &'v Value), StoreError> {
    match value.as_object() {
        Some(object) if object.len() == 1 => object
            .iter()
            .next()
            .map(|(k, v)| (k.as_str(), v))
            .ok_or_else(|| StoreError::parsing(path, expected)),
        _ => Err(StoreError::parsing(path, expected)),
    }
}

/// `after` as one value (or null) per source, in source order.
fn parse_after(
    after: &Value,
    sources: &[Source],
    path: &str,
) -> Result<Vec<Option<KeyValue>>, StoreError> {
    let object = after.as_object().ok_or_else(|| {
        StoreError::parsing(path, "[after] must be an object keyed by source name")
    })?;
    sources
        .iter()
        .map(|source| {
            let value = object.get(&source.name).ok_or_else(|| {
                StoreError::parsing(
                    path,
                    format!("[after] has no value for source [{}]", source.name),
                )
            })?;
            if value.is_null() {
                return Ok(None);
            }
            let parsed = match (&source.kind, value) {
                (SourceKind::DateHistogram { .. }, Value::Number(n)) => {
                    n.as_i64().map(KeyValue::Date)
                }
                (SourceKind::DateHistogram { rounding, .. }, Value::String(text)) => {
                    super::super::date_math::resolve(
                        text,
                        0,
                        rounding.zone,
                        super::super::date_math::RoundTo::Start,
                    )
                    .ok()
                    .map(KeyValue::Date)
                }
                (_, value) => KeyValue::from_json(value),
            };
            parsed.map(Some).ok_or_else(|| {
                StoreError::parsing(
                    path,
                    format!(
                        "[after] value [{value}] does not fit source [{}]",
                        source.name
                    ),
                )
            })
        })
        .collect()
}

/// Every tuple taking one key from each source's list (a document with arrays belongs to
/// several composite buckets).
fn combinations(per_source: &[Vec<Option<Key>>]) -> Vec<Vec<Option<Key>>> {
    let mut tuples: Vec<Vec<Option<Key>>> = vec![Vec::with_capacity(per_source.len())];
    for keys in per_source {
        if keys.is_empty() {
            return Vec::new();
        }
        tuples = tuples
            .into_iter()
            .flat_map(|prefix| {
                keys.iter().map(move |key| {
                    let mut tuple = prefix.clone();
                    tuple.push(*key);
                    tuple
                })
            })
            .collect();
    }
    tuples
}
