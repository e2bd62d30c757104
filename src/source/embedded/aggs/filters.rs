//! `filter` (one bucket of the documents matching a query) and `filters` (one bucket per
//! named or listed query, plus an optional `other` bucket).

use std::cell::OnceCell;

use serde_json::Value;
use tantivy::DocId;
use tantivy::query::Query;

use super::super::dsl;
use super::super::error::StoreError;
use super::super::reply::{self, Reply};
use super::{Plan, Run, body_object, bool_option, intersect, string_option};

/// A query whose matches in the segment are found once per search.
struct Matcher {
    query: Box<dyn Query>,
    matches: OnceCell<Vec<DocId>>,
}

impl Matcher {
    fn parse(body: &Value, cx: &dsl::Context<'_>, path: &str) -> Result<Matcher, StoreError> {
        Ok(Matcher {
            query: dsl::translate(body, cx, path)?,
            matches: OnceCell::new(),
        })
    }

    fn within(&self, docs: &[DocId], run: &Run<'_>) -> Result<Vec<DocId>, StoreError> {
        let matches = match self.matches.get() {
            Some(matches) => matches,
            None => {
                let found = run.matching(self.query.as_ref())?;
                self.matches.get_or_init(|| found)
            }
        };
        Ok(intersect(docs, matches))
    }
}

pub struct Filter {
    matcher: Matcher,
}

impl Filter {
    pub fn parse(body: &Value, cx: &dsl::Context<'_>, path: &str) -> Result<Filter, StoreError> {
        Ok(Filter {
            matcher: Matcher::parse(body, cx, path)?,
        })
    }

    pub fn evaluate(&self, sub: &Plan, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let matching = self.matcher.within(docs, run)?;
        run.spend_buckets(1)?;
        Ok(Reply::Object(run.bucket(sub, &matching, [])?))
    }
}

pub struct Filters {
    /// Named filters (sorted by name, as Elasticsearch returns them), or anonymous ones.
    named: Option<Vec<String>>,
    matchers: Vec<Matcher>,
    keyed: bool,
    other_bucket_key: Option<String>,
}

impl Filters {
    pub fn parse(body: &Value, cx: &dsl::Context<'_>, path: &str) -> Result<Filters, StoreError> {
        let object = body_object(body, path)?;
        let mut other_bucket = false;
        let mut other_bucket_key = None;
        let mut keyed = true;
        let mut named = None;
        let mut matchers = Vec::new();
        for (key, value) in object {
            match key.as_str() {
                "filters" => match value {
                    Value::Object(filters) => {
                        let mut names = Vec::new();
                        for (name, clause) in filters {
                            names.push(name.clone());
                            matchers.push(Matcher::parse(
                                clause,
                                cx,
                                &format!("{path}.filters.{name}"),
                            )?);
                        }
                        named = Some(names);
                    }
                    Value::Array(filters) => {
                        for (at, clause) in filters.iter().enumerate() {
                            matchers.push(Matcher::parse(
                                clause,
                                cx,
                                &format!("{path}.filters[{at}]"),
                            )?);
                        }
                    }
                    _ => {
                        return Err(StoreError::parsing(
                            path,
                            "[filters] must be an object of named queries or an array of queries",
                        ));
                    }
                },
                "other_bucket" => {
                    other_bucket = bool_option(value, "other_bucket", path)?;
                }
                "other_bucket_key" => {
                    other_bucket_key = Some(string_option(value, "other_bucket_key", path)?);
                }
                "keyed" => {
                    keyed = bool_option(value, "keyed", path)?;
                }
                other => {
                    return Err(StoreError::unsupported(
                        path,
                        format!("filters option [{other}]"),
                    ));
                }
            }
        }
        if matchers.is_empty() {
            return Err(StoreError::parsing(path, "[filters] cannot be empty"));
        }
        if other_bucket && other_bucket_key.is_none() {
            other_bucket_key = Some("_other_".to_string());
        }
        let keyed = keyed && named.is_some();
        Ok(Filters {
            named,
            matchers,
            keyed,
            other_bucket_key,
        })
    }

    pub fn evaluate(&self, sub: &Plan, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let mut buckets: Vec<(Option<String>, reply::Fields)> = Vec::new();
        let mut matched_any: Vec<DocId> = Vec::new();
        for (at, matcher) in self.matchers.iter().enumerate() {
            let matching = matcher.within(docs, run)?;
            if self.other_bucket_key.is_some() {
                matched_any.extend_from_slice(&matching);
            }
            let name = self.named.as_ref().map(|names| names[at].clone());
            buckets.push((name, run.bucket(sub, &matching, [])?));
        }
        if let Some(other_key) = &self.other_bucket_key {
            matched_any.sort_unstable();
            matched_any.dedup();
            let others: Vec<DocId> = docs
                .iter()
                .copied()
                .filter(|doc| matched_any.binary_search(doc).is_err())
                .collect();
            buckets.push((Some(other_key.clone()), run.bucket(sub, &others, [])?));
        }
        run.spend_buckets(buckets.len())?;
        if self.keyed {
            let mut map = reply::Fields::with_capacity(buckets.len());
            for (name, bucket) in buckets {
                reply::set_field(
                    &mut map,
                    name.unwrap_or_default().into(),
                    Reply::Object(bucket),
                );
            }
            return Ok(Reply::object([("buckets", Reply::Object(map))]));
        }
        let list: Vec<Reply> = buckets
            .into_iter()
            .map(|(name, mut bucket)| {
                if let (Some(name), true) = (name, self.named.is_some()) {
                    reply::set_field(&mut bucket, "key".into(), Reply::String(name));
                }
                Reply::Object(bucket)
            })
            .collect();
        Ok(Reply::object([("buckets", Reply::Array(list))]))
    }
}
