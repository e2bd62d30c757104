//! The field catalog: which fields each index holds and of what type, as Elasticsearch's
//! dynamic mapping would have named them (`date` for the time field, `keyword` for strings,
//! `long`, `double`, `boolean`). Dotted keys and nested objects are the same field. It
//! answers `_mapping` and `_field_caps`; the search path does not need it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// A field's type in Elasticsearch's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldType {
    Date,
    Keyword,
    Long,
    Double,
    Boolean,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Date => "date",
            FieldType::Keyword => "keyword",
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Boolean => "boolean",
        }
    }

    fn of(value: &Value) -> Option<FieldType> {
        match value {
            Value::String(_) => Some(FieldType::Keyword),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(FieldType::Long),
            Value::Number(_) => Some(FieldType::Double),
            Value::Bool(_) => Some(FieldType::Boolean),
            Value::Array(items) => items.iter().find_map(FieldType::of),
            Value::Null | Value::Object(_) => None,
        }
    }

    /// A field first seen as `long` that later holds a fraction is `double`, as
    /// Elasticsearch's dynamic mapping would not do but any user expects; other clashes
    /// keep the first type (Elasticsearch would have refused the later document).
    fn widen(self, other: FieldType) -> FieldType {
        match (self, other) {
            (FieldType::Long, FieldType::Double) => FieldType::Double,
            _ => self,
        }
    }
}

/// Fields per index.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    indices: BTreeMap<String, BTreeMap<String, FieldType>>,
}

impl Catalog {
    /// Records the fields of one document of `index` (`time_field` is a date).
    pub fn record(&mut self, index: &str, time_field: &str, document: &Map<String, Value>) {
        let fields = match self.indices.get_mut(index) {
            Some(fields) => fields,
            None => {
                let mut fields = BTreeMap::new();
                fields.insert(time_field.to_string(), FieldType::Date);
                self.indices.entry(index.to_string()).or_insert(fields)
            }
        };
        let mut path = String::new();
        for (key, value) in document.iter().filter(|(key, _)| *key != time_field) {
            path.clear();
            path.push_str(key);
            record_value(fields, &mut path, value);
        }
    }

    /// The fields of one index.
    pub fn fields(&self, index: &str) -> Option<&BTreeMap<String, FieldType>> {
        self.indices.get(index)
    }

    /// `GET /{index}/_mapping` for one index: dotted paths nested as `properties`.
    pub fn mapping(&self, index: &str) -> Value {
        let mut properties = Map::new();
        for (path, kind) in self.fields(index).into_iter().flatten() {
            let mut level = &mut properties;
            let mut parts = path.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    level.insert(part.to_string(), json!({ "type": kind.name() }));
                    break;
                }
                let entry = level
                    .entry(part.to_string())
                    .or_insert_with(|| json!({ "properties": {} }));
                // A name that is both a leaf and an object (`a` and `a.b`): the leaf wins
                // in the nested view; `_field_caps` still lists both.
                match entry.get_mut("properties").and_then(Value::as_object_mut) {
                    Some(next) => level = next,
                    None => break,
                }
            }
        }
        json!({ "mappings": { "properties": properties } })
    }
}

/// Records `value` at `path` (objects recurse with `path.key`); allocates only for a path
/// seen for the first time.
fn record_value(fields: &mut BTreeMap<String, FieldType>, path: &mut String, value: &Value) {
    if let Value::Object(object) = value {
        let length = path.len();
        for (key, inner) in object {
            path.truncate(length);
            path.push('.');
            path.push_str(key);
            record_value(fields, path, inner);
        }
        path.truncate(length);
    } else if let Some(kind) = FieldType::of(value) {
        match fields.get_mut(path.as_str()) {
            Some(known) => *known = known.widen(kind),
            None => {
                fields.insert(path.clone(), kind);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_dotted_keys_are_one_field_and_types_widen() {
        let mut catalog = Catalog::default();
        let first = json!({ "@timestamp": 1, "host": { "name": "a" }, "free": 10, "up": true });
        let second = json!({ "@timestamp": 2, "host.name": "b", "free": 2.5, "tags": ["x"] });
        catalog.record("m", "@timestamp", first.as_object().unwrap());
        catalog.record("m", "@timestamp", second.as_object().unwrap());
        let fields = catalog.fields("m").unwrap();
        let names: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.name())).collect();
        assert_eq!(
            names,
            [
                ("@timestamp", "date"),
                ("free", "double"),
                ("host.name", "keyword"),
                ("tags", "keyword"),
                ("up", "boolean")
            ]
        );
        assert_eq!(
            catalog.mapping("m")["mappings"]["properties"]["host"],
            json!({ "properties": { "name": { "type": "keyword" } } })
        );
    }
}
