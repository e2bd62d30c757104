//! The `date_histogram` aggregation: buckets of a fixed or calendar interval in a time
//! zone, empty buckets filled between the first and last (and out to `extended_bounds`)
//! when `min_doc_count` is 0, as Elasticsearch does.

use std::ops::Range;

use serde_json::{Map, Value};
use tantivy::DocId;

use super::super::date_math::{self, RoundTo, Zone};
use super::super::dsl::storable_millis;
use super::super::error::StoreError;
use super::super::interval::{Interval, Rounding};
use super::super::reply::Reply;
use super::{Plan, Run, body_object, bool_option, require_field, string_option};

/// How `key_as_string` is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `strict_date_optional_time`, the default: `2026-11-26T00:00:00.000Z`.
    IsoDate,
    EpochMillis,
    EpochSecond,
}

impl KeyFormat {
    pub fn parse(value: &Value, path: &str) -> Result<KeyFormat, StoreError> {
        match value.as_str() {
            Some(
                "strict_date_optional_time"
                | "date_optional_time"
                | "strict_date_time"
                | "date_time",
            ) => Ok(KeyFormat::IsoDate),
            Some("epoch_millis") => Ok(KeyFormat::EpochMillis),
            Some("epoch_second") => Ok(KeyFormat::EpochSecond),
            Some(other) => Err(StoreError::unsupported(
                path,
                format!(
                    "date format [{other}] (supported: strict_date_optional_time, epoch_millis, epoch_second)"
                ),
            )),
            None => Err(StoreError::parsing(path, "[format] must be a string")),
        }
    }

    pub fn print(self, ms: i64, zone: &Zone) -> String {
        match self {
            KeyFormat::IsoDate => zone.format_ms(ms),
            KeyFormat::EpochMillis => ms.to_string(),
            KeyFormat::EpochSecond => ms.div_euclid(1_000).to_string(),
        }
    }
}

/// The interval, zone and offset shared by `date_histogram` and composite date sources.
pub fn parse_rounding(object: &Map<String, Value>, path: &str) -> Result<Rounding, StoreError> {
    let text = |key: &str| -> Result<Option<&str>, StoreError> {
        object
            .get(key)
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| StoreError::parsing(path, format!("[{key}] must be a string")))
            })
            .transpose()
    };
    if object.contains_key("interval") {
        return Err(StoreError::parsing(
            path,
            "[interval] was removed in Elasticsearch 8; use [fixed_interval] or [calendar_interval]",
        ));
    }
    let interval = match (text("fixed_interval")?, text("calendar_interval")?) {
        (Some(fixed), None) => Interval::fixed(fixed),
        (None, Some(calendar)) => Interval::calendar(calendar),
        (Some(_), Some(_)) => {
            return Err(StoreError::parsing(
                path,
                "cannot use [fixed_interval] with [calendar_interval] in the same aggregation",
            ));
        }
        (None, None) => {
            return Err(StoreError::parsing(
                path,
                "required one of [fixed_interval, calendar_interval]",
            ));
        }
    }
    .map_err(|reason| StoreError::parsing(path, reason))?;
    let zone = match text("time_zone")? {
        Some(zone) => Zone::parse(zone).map_err(|reason| StoreError::parsing(path, reason))?,
        None => Zone::UTC,
    };
    let offset_ms = match text("offset")? {
        Some(offset) => parse_offset(offset).map_err(|reason| StoreError::parsing(path, reason))?,
        None => 0,
    };
    Ok(Rounding {
        interval,
        zone,
        offset_ms,
    })
}

/// `+6h`, `-30m`, `1d`: a signed fixed duration.
fn parse_offset(text: &str) -> Result<i64, String> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    match Interval::fixed(rest) {
        Ok(Interval::Fixed(ms)) => Ok(sign * ms),
        _ => Err(format!(
            "[offset] [{text}] must be a duration such as +6h or -30m"
        )),
    }
}

/// A non-empty bucket: its start and where its documents are in the grouped list.
struct Part {
    start: i64,
    docs: Range<usize>,
}

pub struct DateHistogram {
    pub field: String,
    rounding: Rounding,
    min_doc_count: u64,
    extended_bounds: Option<(i64, i64)>,
    hard_bounds: Option<(i64, i64)>,
    keyed: bool,
    format: KeyFormat,
}

impl DateHistogram {
    pub fn parse(body: &Value, now_ms: i64, path: &str) -> Result<DateHistogram, StoreError> {
        let object = body_object(body, path)?;
        let rounding = parse_rounding(object, path)?;
        let mut histogram = DateHistogram {
            field: String::new(),
            rounding,
            min_doc_count: 0,
            extended_bounds: None,
            hard_bounds: None,
            keyed: false,
            format: KeyFormat::IsoDate,
        };
        if let Some(format) = object.get("format") {
            histogram.format = KeyFormat::parse(format, path)?;
        }
        for (key, value) in object {
            match key.as_str() {
                "field" => {
                    histogram.field = string_option(value, "field", path)?;
                }
                "min_doc_count" => {
                    histogram.min_doc_count = value.as_u64().ok_or_else(|| {
                        StoreError::parsing(path, "[min_doc_count] must be a whole number")
                    })?;
                }
                "extended_bounds" => {
                    histogram.extended_bounds = Some(bounds(
                        value,
                        now_ms,
                        rounding.zone,
                        &format!("{path}.extended_bounds"),
                    )?);
                }
                "hard_bounds" => {
                    histogram.hard_bounds = Some(bounds(
                        value,
                        now_ms,
                        rounding.zone,
                        &format!("{path}.hard_bounds"),
                    )?);
                }
                "keyed" => {
                    histogram.keyed = bool_option(value, "keyed", path)?;
                }
                "fixed_interval" | "calendar_interval" | "time_zone" | "offset" | "format" => {}
                other => {
                    return Err(StoreError::unsupported(
                        path,
                        format!("date_histogram option [{other}]"),
                    ));
                }
            }
        }
        require_field(&histogram.field, path)?;
        if histogram.extended_bounds.is_some() && histogram.min_doc_count > 0 {
            return Err(StoreError::parsing(
                path,
                "[extended_bounds] only adds empty buckets, which needs [min_doc_count] 0",
            ));
        }
        Ok(histogram)
    }

    pub fn evaluate(&self, sub: &Plan, docs: &[DocId], run: &Run<'_>) -> Result<Reply, StoreError> {
        let (ordered, parts) = self.partition(docs, run);
        let keys = self.bucket_keys(&parts, run)?;
        let zone = self.rounding.zone;
        let mut buckets = Vec::with_capacity(keys.len());
        let mut next_part = parts.iter().peekable();
        for start in keys {
            // Keys and parts are both ascending: walk them together.
            while next_part.next_if(|part| part.start < start).is_some() {}
            let docs = match next_part.next_if(|part| part.start == start) {
                Some(part) => &ordered[part.docs.clone()],
                None => &[],
            };
            let key_as_string = self.format.print(start, &zone);
            let name = self.keyed.then(|| key_as_string.clone());
            let bucket = run.bucket(
                sub,
                docs,
                // In Elasticsearch's order: the key as a string first.
                [
                    ("key_as_string", Reply::String(key_as_string)),
                    ("key", Reply::I64(start)),
                ],
            )?;
            buckets.push((name, Reply::Object(bucket)));
        }
        Ok(if self.keyed {
            let keyed = buckets
                .into_iter()
                .map(|(name, bucket)| (name.unwrap_or_default().into(), bucket))
                .collect();
            Reply::object([("buckets", Reply::Object(keyed))])
        } else {
            Reply::object([(
                "buckets",
                Reply::Array(buckets.into_iter().map(|(_, b)| b).collect()),
            )])
        })
    }

    /// Places every document in its bucket: the documents grouped by bucket (ascending
    /// within each), and each non-empty bucket's start and range in that list.
    fn partition(&self, docs: &[DocId], run: &Run<'_>) -> (Vec<DocId>, Vec<Part>) {
        let columns = run.columns.get(&self.field);
        let mut placed: Vec<(i64, DocId)> = Vec::with_capacity(docs.len());
        // Documents usually arrive in time order: remember the last bucket's span.
        let mut current: Option<(i64, i64)> = None;
        for &doc in docs {
            columns.dates(doc, |t| {
                if let Some((low, high)) = self.hard_bounds
                    && (t < low || t > high)
                {
                    return;
                }
                let start = match current {
                    Some((start, end)) if t >= start && t < end => start,
                    _ => {
                        let start = self.rounding.floor(t);
                        current = Some((start, self.rounding.next(start)));
                        start
                    }
                };
                if placed.last() != Some(&(start, doc)) {
                    placed.push((start, doc));
                }
            });
        }
        if !placed.is_sorted_by_key(|(start, _)| *start) {
            // Stable, so each bucket's documents stay ascending.
            placed.sort_by_key(|(start, _)| *start);
            placed.dedup();
        }
        let mut parts: Vec<Part> = Vec::new();
        for (at, (start, _)) in placed.iter().enumerate() {
            match parts.last_mut() {
                Some(part) if part.start == *start => part.docs.end = at + 1,
                _ => parts.push(Part {
                    start: *start,
                    docs: at..at + 1,
                }),
            }
        }
        (placed.into_iter().map(|(_, doc)| doc).collect(), parts)
    }

    /// The bucket starts to return: the non-empty ones meeting `min_doc_count`, or with
    /// `min_doc_count` 0 every start from the first to the last, bounds included.
    fn bucket_keys(&self, parts: &[Part], run: &Run<'_>) -> Result<Vec<i64>, StoreError> {
        if self.min_doc_count > 0 {
            let keys: Vec<i64> = parts
                .iter()
                .filter(|part| part.docs.len() as u64 >= self.min_doc_count)
                .map(|part| part.start)
                .collect();
            run.spend_buckets(keys.len())?;
            return Ok(keys);
        }
        let mut first = parts.first().map(|part| part.start);
        let mut last = parts.last().map(|part| part.start);
        if let Some((low, high)) = self.extended_bounds {
            let (low, high) = (self.rounding.floor(low), self.rounding.floor(high));
            first = Some(first.map_or(low, |f| f.min(low)));
            last = Some(last.map_or(high, |l| l.max(high)));
        }
        if let Some((low, high)) = self.hard_bounds {
            let (low, high) = (self.rounding.floor(low), self.rounding.floor(high));
            first = first.map(|f| f.max(low));
            last = last.map(|l| l.min(high));
        }
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        let mut start = first;
        while start <= last {
            run.spend_buckets(1)?;
            keys.push(start);
            start = self.rounding.next(start);
        }
        Ok(keys)
    }
}

/// `{"min": …, "max": …}`: epoch milliseconds or dates (date math allowed) in `zone`.
fn bounds(value: &Value, now_ms: i64, zone: Zone, path: &str) -> Result<(i64, i64), StoreError> {
    let object = value.as_object().ok_or_else(|| {
        StoreError::parsing(path, "bounds must be an object with [min] and [max]")
    })?;
    let read = |key: &str| -> Result<i64, StoreError> {
        match object.get(key) {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                StoreError::parsing(
                    path,
                    format!("[{key}] must be epoch milliseconds, found [{n}]"),
                )
            }),
            Some(Value::String(text)) => date_math::resolve(text, now_ms, zone, RoundTo::Start)
                .map_err(|reason| StoreError::parsing(path, reason)),
            _ => Err(StoreError::parsing(
                path,
                format!("bounds need [{key}]: a date or epoch milliseconds"),
            )),
        }
    };
    let storable = |ms| storable_millis(ms).map_err(|reason| StoreError::parsing(path, reason));
    let (min, max) = (storable(read("min")?)?, storable(read("max")?)?);
    if min > max {
        return Err(StoreError::parsing(
            path,
            format!("[min] ({min}) must not be after [max] ({max})"),
        ));
    }
    Ok((min, max))
}
