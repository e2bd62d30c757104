//! How the store hands a loaded JSON document to tantivy: as it is, read in place by the
//! indexer (no copy into tantivy's own document type), through two views of the same
//! value. Every value goes into the fast-field columns, which answer aggregations,
//! `exists` and numeric ranges; only strings, booleans and dates go into the term index,
//! which answers `term`, `prefix`, `wildcard` and friends. Numbers in the term index would
//! never be read (numeric queries run on the columns) and, nearly all distinct, cost the
//! most to index.

use std::sync::Arc;

use serde_json::{Map, Value};
use tantivy::DateTime;
use tantivy::schema::Field;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};

use super::fields::Fields;

/// A document's JSON value as one of the two parts of the index sees it.
#[derive(Debug, Clone, Copy)]
pub enum JsonView<'a> {
    /// As the columns see it: every leaf.
    Columns(&'a Value),
    /// As the term index sees it: numbers are left out.
    Terms(&'a Value),
}

impl<'a> JsonView<'a> {
    /// The same view of a nested value, or `None` when this view leaves it out.
    fn inner(self, value: &'a Value) -> Option<JsonView<'a>> {
        match self {
            JsonView::Terms(_) if value.is_number() => None,
            JsonView::Terms(_) => Some(JsonView::Terms(value)),
            JsonView::Columns(_) => Some(JsonView::Columns(value)),
        }
    }
}

/// The elements of an array, in the view of the array.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    view: JsonView<'a>,
    items: std::slice::Iter<'a, Value>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = JsonView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let view = self.view;
        self.items.find_map(|item| view.inner(item))
    }
}

/// The members of an object, in the view of the object.
#[derive(Debug, Clone)]
pub struct Members<'a> {
    view: JsonView<'a>,
    members: serde_json::map::Iter<'a>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, JsonView<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let view = self.view;
        self.members
            .find_map(|(key, value)| Some((key.as_str(), view.inner(value)?)))
    }
}

impl<'a> tantivy::schema::Value<'a> for JsonView<'a> {
    type ArrayIter = Elements<'a>;
    type ObjectIter = Members<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        let (JsonView::Columns(json) | JsonView::Terms(json)) = *self;
        match json {
            Value::Array(items) => ReferenceValue::Array(Elements {
                view: *self,
                items: items.iter(),
            }),
            Value::Object(members) => ReferenceValue::Object(Members {
                view: *self,
                members: members.iter(),
            }),
            Value::Number(_) if matches!(self, JsonView::Terms(_)) => {
                ReferenceValueLeaf::Null.into()
            }
            // Leaves read as tantivy reads a serde_json value (RFC 3339 strings are dates).
            leaf => match tantivy::schema::Value::as_leaf(&leaf) {
                Some(leaf) => leaf.into(),
                None => ReferenceValueLeaf::Null.into(),
            },
        }
    }
}

/// One document ready for the index writer, which reads it in place.
#[derive(Debug)]
pub struct StoreDocument {
    fields: DocumentFields,
    id: Option<String>,
    time: DateTime,
    index: Arc<str>,
    /// The document's own fields (an object), without the time field.
    body: Value,
}

/// The schema fields a document fills.
#[derive(Debug, Clone, Copy)]
pub struct DocumentFields {
    id: Field,
    time: Field,
    index: Field,
    columns: Field,
    terms: Field,
}

impl From<&Fields> for DocumentFields {
    fn from(fields: &Fields) -> Self {
        DocumentFields {
            id: fields.id,
            time: fields.time,
            index: fields.index,
            columns: fields.document,
            terms: fields.terms,
        }
    }
}

impl StoreDocument {
    /// `body` holds the document's fields other than the time field.
    pub fn new(
        fields: DocumentFields,
        id: Option<String>,
        time: DateTime,
        index: Arc<str>,
        body: Map<String, Value>,
    ) -> Self {
        StoreDocument {
            fields,
            id,
            time,
            index,
            body: Value::Object(body),
        }
    }
}

/// A value of one schema field of a [`StoreDocument`].
#[derive(Debug, Clone, Copy)]
pub enum FieldValue<'a> {
    Text(&'a str),
    Date(DateTime),
    Json(JsonView<'a>),
}

impl<'a> tantivy::schema::Value<'a> for FieldValue<'a> {
    type ArrayIter = std::iter::Map<Elements<'a>, fn(JsonView<'a>) -> FieldValue<'a>>;
    type ObjectIter =
        std::iter::Map<Members<'a>, fn((&'a str, JsonView<'a>)) -> (&'a str, FieldValue<'a>)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match *self {
            FieldValue::Text(text) => ReferenceValueLeaf::Str(text).into(),
            FieldValue::Date(date) => ReferenceValueLeaf::Date(date).into(),
            FieldValue::Json(view) => match view.as_value() {
                ReferenceValue::Leaf(leaf) => leaf.into(),
                ReferenceValue::Array(elements) => {
                    ReferenceValue::Array(elements.map(FieldValue::Json as fn(_) -> _))
                }
                ReferenceValue::Object(members) => ReferenceValue::Object(
                    members.map((|(key, value)| (key, FieldValue::Json(value))) as fn(_) -> _),
                ),
            },
        }
    }
}

/// The document's fields and their values, as the indexer asks for them.
pub type FieldValues<'a> =
    std::iter::Flatten<std::array::IntoIter<Option<(Field, FieldValue<'a>)>, 5>>;

impl tantivy::Document for StoreDocument {
    type Value<'a> = FieldValue<'a>;
    type FieldsValuesIter<'a> = FieldValues<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        let fields = self.fields;
        [
            self.id
                .as_deref()
                .map(|id| (fields.id, FieldValue::Text(id))),
            Some((fields.time, FieldValue::Date(self.time))),
            Some((fields.index, FieldValue::Text(&self.index))),
            Some((
                fields.columns,
                FieldValue::Json(JsonView::Columns(&self.body)),
            )),
            Some((fields.terms, FieldValue::Json(JsonView::Terms(&self.body)))),
        ]
        .into_iter()
        .flatten()
    }
}
