//! The store's answers while they are built: a JSON tree shaped for making hundreds of
//! thousands of small bucket objects fast. An object is a short list of fields whose names
//! are mostly static strings — no hash map and no allocated key per field, as
//! `serde_json::Value` objects need — and the tree serializes straight to the bytes an
//! HTTP client receives, or converts to a `Value` for callers that want one.

use std::collections::{HashMap, HashSet};
use std::ops::Deref;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

/// A field name: static for the names of Elasticsearch's response, shared for the names a
/// request chose (an aggregation's name is written once per bucket without copying it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Name::Static(name) => name,
            Name::Shared(name) => name,
        }
    }
}

impl From<&'static str> for Name {
    fn from(name: &'static str) -> Name {
        Name::Static(name)
    }
}

impl From<String> for Name {
    fn from(name: String) -> Name {
        Name::Shared(name.into())
    }
}

impl From<&Arc<str>> for Name {
    fn from(name: &Arc<str>) -> Name {
        Name::Shared(name.clone())
    }
}

/// An object's fields in order. A name given twice counts once, with its last value, as
/// in a `serde_json::Map`.
pub type Fields = Vec<(Name, Reply)>;

/// A JSON value of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    /// A non-finite number is written as `null`, as `serde_json` writes it.
    F64(f64),
    String(String),
    Array(Vec<Reply>),
    Object(Fields),
}

impl Reply {
    /// The answer as JSON bytes, written into a buffer sized for it up front: growing one
    /// from empty copies tens of megabytes, page by fresh page, for a long histogram.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.json_len_bound());
        serde_json::to_writer(&mut bytes, self)?;
        Ok(bytes)
    }

    /// About how long the JSON is, erring long: numbers at their longest, strings as if
    /// nothing needed escaping (the only way it can come out short).
    fn json_len_bound(&self) -> usize {
        match self {
            Reply::Null | Reply::Bool(_) => 5,
            Reply::I64(_) | Reply::U64(_) => 20,
            // "-2.2250738585072014e-308"
            Reply::F64(_) => 24,
            Reply::String(text) => text.len() + 2,
            Reply::Array(items) => {
                2 + items
                    .iter()
                    .map(|item| item.json_len_bound() + 1)
                    .sum::<usize>()
            }
            Reply::Object(fields) => {
                2 + fields
                    .iter()
                    .map(|(name, value)| name.len() + 4 + value.json_len_bound())
                    .sum::<usize>()
            }
        }
    }

    /// An object of static field names.
    pub fn object<const N: usize>(fields: [(&'static str, Reply); N]) -> Reply {
        Reply::Object(
            fields
                .into_iter()
                .map(|(name, value)| (Name::Static(name), value))
                .collect(),
        )
    }

    /// A number, or `null` for none.
    pub fn number(value: Option<f64>) -> Reply {
        value.map_or(Reply::Null, Reply::F64)
    }

    pub fn as_fields(&self) -> Option<&Fields> {
        match self {
            Reply::Object(fields) => Some(fields),
            _ => None,
        }
    }

    /// The number as `serde_json::Value::as_f64` reads it (a non-finite one is `null`).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Reply::I64(v) => Some(v as f64),
            Reply::U64(v) => Some(v as f64),
            Reply::F64(v) if v.is_finite() => Some(v),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Reply::I64(v) => u64::try_from(v).ok(),
            Reply::U64(v) => Some(v),
            _ => None,
        }
    }

    /// The tree as a `serde_json::Value`, equal to the one the same JSON text parses to.
    pub fn into_value(self) -> Value {
        match self {
            Reply::Null => Value::Null,
            Reply::Bool(b) => Value::Bool(b),
            Reply::I64(v) => Value::from(v),
            Reply::U64(v) => Value::from(v),
            Reply::F64(v) => Value::from(v),
            Reply::String(text) => Value::String(text),
            Reply::Array(items) => Value::Array(items.into_iter().map(Reply::into_value).collect()),
            Reply::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (name, value) in fields {
                    map.insert(name.to_string(), value.into_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// The value of field `name` (the last one, when it was given twice).
pub fn field<'f>(fields: &'f Fields, name: &str) -> Option<&'f Reply> {
    fields
        .iter()
        .rev()
        .find(|(field, _)| **field == *name)
        .map(|(_, value)| value)
}

/// Sets field `name`: replaces its value where it is, or adds it at the end.
pub fn set_field(fields: &mut Fields, name: Name, value: Reply) {
    match fields.iter_mut().find(|(field, _)| *field == name) {
        Some((_, old)) => *old = value,
        None => fields.push((name, value)),
    }
}

impl From<&Value> for Reply {
    fn from(value: &Value) -> Reply {
        match value {
            Value::Null => Reply::Null,
            Value::Bool(b) => Reply::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(v), _) => Reply::U64(v),
                (None, Some(v)) => Reply::I64(v),
                _ => Reply::number(n.as_f64()),
            },
            Value::String(text) => Reply::String(text.clone()),
            Value::Array(items) => Reply::Array(items.iter().map(Reply::from).collect()),
            Value::Object(map) => Reply::Object(
                map.iter()
                    .map(|(name, value)| (Name::from(name.clone()), Reply::from(value)))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Null => serializer.serialize_unit(),
            Reply::Bool(b) => serializer.serialize_bool(*b),
            Reply::I64(v) => serializer.serialize_i64(*v),
            Reply::U64(v) => serializer.serialize_u64(*v),
            Reply::F64(v) if v.is_finite() => serializer.serialize_f64(*v),
            Reply::F64(_) => serializer.serialize_unit(),
            Reply::String(text) => serializer.serialize_str(text),
            Reply::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Reply::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                match last_values(fields) {
                    None => {
                        for (name, value) in fields {
                            map.serialize_entry(&**name, value)?;
                        }
                    }
                    // A name given again later is written once, with its last value, where
                    // it first appeared — as `serde_json::Map` would have it.
                    Some(mut last) => {
                        for (name, _) in fields {
                            if let Some(value) = last.remove(&**name) {
                                map.serialize_entry(&**name, value)?;
                            }
                        }
                    }
                }
                map.end()
            }
        }
    }
}

/// Each name's last value when some name is given twice; `None` when every name is
/// given once (the usual case, checked without hashing for the short objects of buckets).
fn last_values(fields: &Fields) -> Option<HashMap<&str, &Reply>> {
    let repeated = if fields.len() <= 8 {
        fields
            .iter()
            .enumerate()
            .any(|(at, (name, _))| fields[..at].iter().any(|(earlier, _)| earlier == name))
    } else {
        let mut seen = HashSet::with_capacity(fields.len());
        !fields.iter().all(|(name, _)| seen.insert(&**name))
    };
    repeated.then(|| {
        fields
            .iter()
            .map(|(name, value)| (&**name, value))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Reply {
        Reply::object([
            (
                "key_as_string",
                Reply::String("2026-11-01T00:00:00.000Z".into()),
            ),
            ("key", Reply::I64(1_793_491_200_000)),
            ("negative", Reply::I64(-3)),
            ("doc_count", Reply::U64(4)),
            ("value", Reply::object([("value", Reply::F64(2.0))])),
            ("empty", Reply::object([("value", Reply::number(None))])),
            ("nan", Reply::F64(f64::NAN)),
            (
                "list",
                Reply::Array(vec![Reply::Bool(true), Reply::F64(0.1), Reply::Null]),
            ),
        ])
    }

    #[test]
    fn writes_the_text_serde_json_writes_for_the_same_value() {
        let reply = sample();
        let text = serde_json::to_string(&reply).unwrap();
        let bytes = reply.to_json().unwrap();
        assert_eq!(bytes, text.as_bytes());
        assert!(bytes.capacity() >= bytes.len() && bytes.capacity() < 2 * bytes.len());
        let value = reply.into_value();
        assert_eq!(text, serde_json::to_string(&value).unwrap());
        assert_eq!(value, serde_json::from_str::<Value>(&text).unwrap());
    }

    #[test]
    fn converts_to_the_value_json_macros_make() {
        let expected = json!({
            "key_as_string": "2026-11-01T00:00:00.000Z",
            "key": 1_793_491_200_000_i64,
            "negative": -3,
            "doc_count": 4,
            "value": { "value": 2.0 },
            "empty": { "value": null },
            "nan": null,
            "list": [true, 0.1, null]
        });
        assert_eq!(sample().into_value(), expected);
        assert_eq!(Reply::from(&expected).into_value(), expected);
    }

    #[test]
    fn a_name_given_twice_counts_once_with_its_last_value() {
        let mut fields: Fields = vec![("a".into(), Reply::U64(1)), ("b".into(), Reply::U64(2))];
        fields.push(("a".into(), Reply::U64(3)));
        assert_eq!(field(&fields, "a"), Some(&Reply::U64(3)));
        let reply = Reply::Object(fields);
        assert_eq!(serde_json::to_string(&reply).unwrap(), r#"{"a":3,"b":2}"#);
        assert_eq!(reply.into_value(), json!({ "a": 3, "b": 2 }));

        let mut fields: Fields = vec![("a".into(), Reply::U64(1))];
        set_field(&mut fields, "a".into(), Reply::U64(5));
        set_field(&mut fields, "c".into(), Reply::Null);
        assert_eq!(
            Reply::Object(fields).into_value(),
            json!({ "a": 5, "c": null })
        );
    }

    #[test]
    fn long_objects_such_as_keyed_histograms_write_each_name_once() {
        let mut fields: Fields = (0..20_000)
            .map(|i| (Name::from(format!("k{i}")), Reply::U64(i)))
            .collect();
        let text = serde_json::to_string(&Reply::Object(fields.clone())).unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.as_object().unwrap().len(), 20_000);
        assert_eq!(parsed["k19999"], json!(19_999));

        fields.push(("k7".into(), Reply::Null));
        let text = serde_json::to_string(&Reply::Object(fields)).unwrap();
        assert!(
            text.starts_with(
                r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":null,"k8":8"#
            )
        );
        assert_eq!(text.matches("\"k7\"").count(), 1);
    }

    #[test]
    fn numbers_read_like_value_reads_them() {
        assert_eq!(Reply::F64(f64::INFINITY).as_f64(), None);
        assert_eq!(Reply::U64(7).as_f64(), Some(7.0));
        assert_eq!(Reply::I64(-1).as_u64(), None);
        assert_eq!(Reply::I64(5).as_u64(), Some(5));
        assert_eq!(Reply::Null.as_f64(), None);
    }
}
