//! Building JSON trees by moving values in. `serde_json::json!` serialises every
//! interpolated expression into a deep copy; for search bodies planned every cycle and
//! answers with hundreds of thousands of buckets that copy costs more than the work.

use serde_json::Value;

/// A JSON object from its entries, in order.
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_order() {
        let built = object([("b", Value::from(1)), ("a", Value::Null)]);
        assert_eq!(built.to_string(), r#"{"b":1,"a":null}"#);
    }
}
