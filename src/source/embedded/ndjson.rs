//! Loading documents into a store from the files users have: newline-delimited JSON (one
//! document per line, an optional `_index` key naming its index), the `_bulk` format
//! (action lines `{"index": {"_index": …}}` or `{"create": …}` each followed by the
//! document), and a saved search response (`hits.hits[]._source`). `_id`s given by any
//! of them are kept for the `ids` query. Every bad line is
//! reported with its file and line number, and loading goes on.

use std::path::Path;

use serde_json::{Map, Value};

use super::store::StoreBuilder;

/// A line that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct LineError {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// What loading one file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub documents: u64,
    pub errors: Vec<LineError>,
}

/// Adds every document of `text` (the contents of `file`, in any of the three formats) to
/// `builder`. Documents that name no index go to `default_index`.
pub fn load_documents(
    builder: &mut StoreBuilder,
    text: &str,
    file: &Path,
    default_index: &str,
) -> Loaded {
    let mut loader = Loader {
        builder,
        file: file.display().to_string(),
        default_index,
        loaded: Loaded::default(),
    };
    if let Some(hits) = saved_search_hits(text) {
        loader.add_hits(&hits);
    } else {
        loader.add_lines(text);
    }
    loader.loaded
}

/// `hits.hits` when the whole text is one search response.
fn saved_search_hits(text: &str) -> Option<Vec<Value>> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let mut whole: Value = serde_json::from_str(trimmed).ok()?;
    match whole.pointer_mut("/hits/hits")?.take() {
        Value::Array(hits) => Some(hits),
        _ => None,
    }
}

struct Loader<'a> {
    builder: &'a mut StoreBuilder,
    file: String,
    default_index: &'a str,
    loaded: Loaded,
}

impl Loader<'_> {
    fn fail(&mut self, line: u64, reason: String) {
        self.loaded.errors.push(LineError {
            file: self.file.clone(),
            line,
            reason,
        });
    }

    fn add(&mut self, line: u64, index: &str, id: Option<&str>, document: Value) {
        match self.builder.add_owned(index, id, document) {
            Ok(()) => self.loaded.documents += 1,
            Err(error) => self.fail(line, error.to_string()),
        }
    }

    fn add_hits(&mut self, hits: &[Value]) {
        for (number, hit) in hits.iter().enumerate() {
            // A saved response is one JSON document: "line" is the hit's position.
            let position = number as u64 + 1;
            let index = hit
                .get("_index")
                .and_then(Value::as_str)
                .unwrap_or(self.default_index)
                .to_string();
            let id = hit.get("_id").and_then(Value::as_str);
            match hit.get("_source") {
                Some(source) => self.add(position, &index, id, source.clone()),
                None => self.fail(
                    position,
                    format!("hit #{position} has no `_source` (search with _source enabled)"),
                ),
            }
        }
    }

    fn add_lines(&mut self, text: &str) {
        // The index and id named by a `_bulk` action line, for the document on the next line.
        let mut pending_action: Option<(u64, String, Option<String>)> = None;
        for (number, line) in text.lines().enumerate() {
            let line_number = number as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let mut document: Value = match serde_json::from_str(line) {
                Ok(document) => document,
                Err(error) => {
                    self.fail(line_number, format!("not valid JSON: {error}"));
                    pending_action = None;
                    continue;
                }
            };
            if let Some((_, index, id)) = pending_action.take() {
                self.add(line_number, &index, id.as_deref(), document);
                continue;
            }
            match bulk_action(&document) {
                Some(Ok((index, id))) => {
                    let index = index.unwrap_or(self.default_index).to_string();
                    pending_action = Some((line_number, index, id.map(str::to_string)));
                    continue;
                }
                Some(Err(reason)) => {
                    self.fail(line_number, reason);
                    continue;
                }
                None => {}
            }
            let index = match document.as_object_mut().and_then(|o| o.remove("_index")) {
                Some(Value::String(index)) => index,
                _ => self.default_index.to_string(),
            };
            let id = match document.as_object_mut().and_then(|o| o.remove("_id")) {
                Some(Value::String(id)) => Some(id),
                _ => None,
            };
            self.add(line_number, &index, id.as_deref(), document);
        }
        if let Some((line, _, _)) = pending_action {
            self.fail(
                line,
                "a `_bulk` action line without the document line after it".to_string(),
            );
        }
    }
}

/// The `_index` and `_id` a `_bulk` action line names, each optional.
type ActionTarget<'a> = (Option<&'a str>, Option<&'a str>);

/// For a `_bulk` action line: `Ok((index, id))` for `index`/`create`, `Err` for actions
/// that do not add a document. `None` for an ordinary document.
fn bulk_action(line: &Value) -> Option<Result<ActionTarget<'_>, String>> {
    let object: &Map<String, Value> = line.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let (action, meta) = object.iter().next()?;
    let meta = meta.as_object()?;
    let looks_like_action = meta.is_empty() || meta.keys().any(|key| key.starts_with('_'));
    if !looks_like_action {
        return None;
    }
    match action.as_str() {
        "index" | "create" => Some(Ok((
            meta.get("_index").and_then(Value::as_str),
            meta.get("_id").and_then(Value::as_str),
        ))),
        "delete" | "update" => Some(Err(format!(
            "the `_bulk` action `{action}` changes existing documents; only `index` and `create` load data"
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn load(text: &str) -> (Loaded, crate::source::embedded::EmbeddedStore) {
        let mut builder = StoreBuilder::new("@timestamp").unwrap();
        let loaded = load_documents(&mut builder, text, Path::new("data.ndjson"), "default");
        (loaded, builder.finish().unwrap())
    }

    fn indices(store: &crate::source::embedded::EmbeddedStore) -> Vec<String> {
        store.index_names().map(str::to_string).collect()
    }

    #[test]
    fn plain_lines_bulk_pairs_and_bad_lines() {
        let text = [
            r#"{"@timestamp": 1000, "_index": "a", "x": 1}"#,
            r#"{"index": {"_index": "b"}}"#,
            r#"{"@timestamp": 2000, "x": 2}"#,
            r#"{"create": {}}"#,
            r#"{"@timestamp": 3000, "x": 3}"#,
            "not json",
            r#"{"delete": {"_index": "b", "_id": "1"}}"#,
            r#"{"x": 4}"#,
            r#"{"index": {"_index": "c"}}"#,
        ]
        .join("\n");
        let (loaded, store) = load(&text);
        assert_eq!(loaded.documents, 3);
        let reasons: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "data.ndjson:6: not valid JSON: expected ident at line 1 column 2",
                "data.ndjson:7: the `_bulk` action `delete` changes existing documents; only `index` and `create` load data",
                "data.ndjson:8: the document has no `@timestamp` timestamp",
                "data.ndjson:9: a `_bulk` action line without the document line after it",
            ]
        );
        assert_eq!(indices(&store), ["a", "b", "default"]);
    }

    #[test]
    fn a_saved_search_response_loads_its_hits() {
        let response = json!({
            "took": 3,
            "hits": { "total": { "value": 2 }, "hits": [
                { "_index": "logs-1", "_source": { "@timestamp": "2026-11-25T10:00:00Z", "m": "a" } },
                { "_index": "logs-2", "_id": "x" }
            ] }
        });
        let (loaded, store) = load(&response.to_string());
        assert_eq!(loaded.documents, 1);
        assert_eq!(
            loaded.errors[0].to_string(),
            "data.ndjson:2: hit #2 has no `_source` (search with _source enabled)"
        );
        assert_eq!(indices(&store), ["logs-1"]);
    }
}
