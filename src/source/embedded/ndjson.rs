//! Loading newline-delimited JSON documents into a store; every bad line is reported with
//! its file and line number, and loading goes on.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::store::StoreBuilder;

/// A line that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct LineError {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// Adds every document of an NDJSON reader to `builder`. A document's `_index` key (kept
/// out of the document) names its index; otherwise `default_index` is used.
pub fn load_ndjson(
    builder: &mut StoreBuilder,
    reader: impl BufRead,
    file: &Path,
    default_index: &str,
) -> std::io::Result<Vec<LineError>> {
    let mut errors = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let fail = |reason: String| LineError {
            file: file.display().to_string(),
            line: number as u64 + 1,
            reason,
        };
        let mut document: Value = match serde_json::from_str(&line) {
            Ok(document) => document,
            Err(error) => {
                errors.push(fail(format!("not valid JSON: {error}")));
                continue;
            }
        };
        let index = match document.as_object_mut().and_then(|o| o.remove("_index")) {
            Some(Value::String(index)) => index,
            _ => default_index.to_string(),
        };
        if let Err(error) = builder.add(&index, &document) {
            errors.push(fail(error.to_string()));
        }
    }
    Ok(errors)
}
