//! Reading a field's values for one document out of the segment's fast-field columns.
//! A document field may hold several types (tantivy keeps one column per type), and
//! several values (arrays); both are read as Elasticsearch reads them.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use serde_json::Value;
use tantivy::columnar::{Column, ColumnIndex, DynamicColumn, StrColumn};
use tantivy::{DocId, SegmentReader};

use super::super::error::StoreError;
use super::super::fields::Fields;
use super::super::reply::Reply;

/// One typed column of a field.
enum TypedColumn {
    I64(Column<i64>),
    U64(Column<u64>),
    F64(Column<f64>),
    Bool(Column<bool>),
    Date(Column<tantivy::DateTime>),
    Str(StrColumn),
}

/// The columns of one field in one segment.
pub struct FieldColumns {
    columns: Vec<TypedColumn>,
}

/// A field value as a bucket key. Strings are dictionary ordinals until rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// Ordinal in the field's string column.
    Ord(u64),
    Long(i64),
    /// An f64's bits (never NaN).
    Double(u64),
    Bool(bool),
    Date(i64),
}

/// A bucket key ready to show: strings resolved, comparable across types.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    Long(i64),
    Double(f64),
    Bool(bool),
    Date(i64),
    Text(String),
}

impl KeyValue {
    /// Elasticsearch's `key` and, for dates and booleans, `key_as_string`.
    pub fn to_reply(&self, zone: &super::super::date_math::Zone) -> (Reply, Option<Reply>) {
        match self {
            KeyValue::Long(v) => (Reply::I64(*v), None),
            KeyValue::Double(v) => (Reply::F64(*v), None),
            KeyValue::Bool(v) => (
                Reply::U64(u64::from(*v)),
                Some(Reply::String(v.to_string())),
            ),
            KeyValue::Date(ms) => (Reply::I64(*ms), Some(Reply::String(zone.format_ms(*ms)))),
            KeyValue::Text(text) => (Reply::String(text.clone()), None),
        }
    }

    /// Numbers before strings; numbers by value, strings by bytes (Elasticsearch's `_key`).
    pub fn compare(&self, other: &KeyValue) -> Ordering {
        match (self.as_number(), other.as_number()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => match (self, other) {
                (KeyValue::Text(a), KeyValue::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
                _ => Ordering::Equal,
            },
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            KeyValue::Long(v) | KeyValue::Date(v) => Some(*v as f64),
            KeyValue::Double(v) => Some(*v),
            KeyValue::Bool(v) => Some(f64::from(u8::from(*v))),
            KeyValue::Text(_) => None,
        }
    }

    /// The key a request's JSON value (`missing`, `after`) stands for.
    pub fn from_json(value: &Value) -> Option<KeyValue> {
        match value {
            Value::String(text) => Some(KeyValue::Text(text.clone())),
            Value::Bool(b) => Some(KeyValue::Bool(*b)),
            Value::Number(n) => n
                .as_i64()
                .map(KeyValue::Long)
                .or_else(|| n.as_f64().map(KeyValue::Double)),
            _ => None,
        }
    }
}

impl FieldColumns {
    /// Opens every column of `field` in `segment`; a field no document has yields none.
    pub fn open(segment: &SegmentReader, fields: &Fields, field: &str) -> Result<Self, StoreError> {
        let handles = segment
            .fast_fields()
            .dynamic_column_handles(&fields.column(field))?;
        let mut columns = Vec::with_capacity(handles.len());
        for handle in handles {
            let column = match handle
                .open()
                .map_err(|e| StoreError::Engine(e.to_string()))?
            {
                DynamicColumn::I64(c) => TypedColumn::I64(c),
                DynamicColumn::U64(c) => TypedColumn::U64(c),
                DynamicColumn::F64(c) => TypedColumn::F64(c),
                DynamicColumn::Bool(c) => TypedColumn::Bool(c),
                DynamicColumn::DateTime(c) => TypedColumn::Date(c),
                DynamicColumn::Str(c) => TypedColumn::Str(c),
                DynamicColumn::Bytes(_) | DynamicColumn::IpAddr(_) => continue,
            };
            columns.push(column);
        }
        Ok(FieldColumns { columns })
    }

    /// Calls `each` with every numeric value of `doc` (dates as epoch ms, booleans as 0/1);
    /// strings are not numbers.
    pub fn numbers(&self, doc: DocId, mut each: impl FnMut(f64)) {
        for column in &self.columns {
            match column {
                TypedColumn::I64(c) => values_of(c, doc, |v| each(v as f64)),
                TypedColumn::U64(c) => values_of(c, doc, |v| each(v as f64)),
                TypedColumn::F64(c) => values_of(c, doc, &mut each),
                TypedColumn::Bool(c) => values_of(c, doc, |v| each(f64::from(u8::from(v)))),
                TypedColumn::Date(c) => {
                    values_of(c, doc, |v| each(v.into_timestamp_millis() as f64))
                }
                TypedColumn::Str(_) => {}
            }
        }
    }

    /// Calls `each` with every date value of `doc` in epoch ms (long values count as epoch
    /// ms, as Elasticsearch reads them on a date field).
    pub fn dates(&self, doc: DocId, mut each: impl FnMut(i64)) {
        for column in &self.columns {
            match column {
                TypedColumn::Date(c) => values_of(c, doc, |v| each(v.into_timestamp_millis())),
                TypedColumn::I64(c) => values_of(c, doc, &mut each),
                _ => {}
            }
        }
    }

    /// Whether the field holds dates (for `value_as_string`).
    pub fn is_date(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c, TypedColumn::Date(_)))
    }

    /// Calls `each` with every value of `doc` as a bucket key.
    pub fn keys(&self, doc: DocId, mut each: impl FnMut(Key)) {
        for column in &self.columns {
            match column {
                TypedColumn::I64(c) => c.values_for_doc(doc).for_each(|v| each(Key::Long(v))),
                TypedColumn::U64(c) => c.values_for_doc(doc).for_each(|v| {
                    each(i64::try_from(v).map_or(Key::Double((v as f64).to_bits()), Key::Long))
                }),
                TypedColumn::F64(c) => c
                    .values_for_doc(doc)
                    .filter(|v| !v.is_nan())
                    .for_each(|v| each(Key::Double((v + 0.0).to_bits()))),
                TypedColumn::Bool(c) => c.values_for_doc(doc).for_each(|v| each(Key::Bool(v))),
                TypedColumn::Date(c) => c
                    .values_for_doc(doc)
                    .for_each(|v| each(Key::Date(v.into_timestamp_millis()))),
                TypedColumn::Str(c) => c.term_ords(doc).for_each(|ord| each(Key::Ord(ord))),
            }
        }
    }

    /// Resolves a key read from these columns into a showable value.
    pub fn resolve(&self, key: Key) -> Result<KeyValue, StoreError> {
        Ok(match key {
            Key::Long(v) => KeyValue::Long(v),
            Key::Double(bits) => KeyValue::Double(f64::from_bits(bits)),
            Key::Bool(v) => KeyValue::Bool(v),
            Key::Date(v) => KeyValue::Date(v),
            Key::Ord(ord) => {
                let column = self.columns.iter().find_map(|c| match c {
                    TypedColumn::Str(s) => Some(s),
                    _ => None,
                });
                let mut text = String::new();
                let found = match column {
                    Some(column) => column
                        .ord_to_str(ord, &mut text)
                        .map_err(|e| StoreError::Engine(e.to_string()))?,
                    None => false,
                };
                if !found {
                    return Err(StoreError::Engine(format!(
                        "term ordinal {ord} is not in the column's dictionary"
                    )));
                }
                KeyValue::Text(text)
            }
        })
    }
}

/// Calls `each` with every value of `doc` in `column`. When every document has exactly
/// one value (the usual case: `@timestamp`, a metric every document reports) the value is
/// read straight at the document's row, without walking the column's index.
#[inline]
fn values_of<T>(column: &Column<T>, doc: DocId, mut each: impl FnMut(T))
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    match column.index {
        ColumnIndex::Full => each(column.values.get_val(doc)),
        _ => column.values_for_doc(doc).for_each(each),
    }
}

/// Columns of every field a plan reads, opened once per search. (Looked up once per
/// bucket: hashed with FxHash, not SipHash.)
#[derive(Default)]
pub struct ColumnCache {
    by_field: FxHashMap<String, FieldColumns>,
}

impl ColumnCache {
    pub fn load(
        segment: &SegmentReader,
        fields: &Fields,
        names: impl IntoIterator<Item = String>,
    ) -> Result<Self, StoreError> {
        let mut by_field = FxHashMap::default();
        for name in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = by_field.entry(name) {
                let columns = FieldColumns::open(segment, fields, slot.key())?;
                slot.insert(columns);
            }
        }
        Ok(ColumnCache { by_field })
    }

    /// The columns of `field`; none when no document has it (or the store is empty).
    pub fn get(&self, field: &str) -> &FieldColumns {
        static NONE: FieldColumns = FieldColumns {
            columns: Vec::new(),
        };
        self.by_field.get(field).unwrap_or(&NONE)
    }
}
