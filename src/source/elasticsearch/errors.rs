//! A cluster's error answer → a `SourceError` that carries the cluster's own words: the
//! error type, its reason, the root cause and the first shard failure when they add
//! something (a `search_phase_execution_exception` says little until its shard's reason).

use serde_json::Value;

use crate::source::SourceError;

/// The error for an answer with status `status` and body `body` (JSON when the cluster
/// sent JSON; a proxy may send anything).
pub fn rejection(status: u16, body: &[u8], node: &str) -> SourceError {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return SourceError::Rejected {
            status,
            kind: "http_error".to_string(),
            reason: format!("{node} answered HTTP {status}: {}", excerpt(body)),
        };
    };
    match json.get("error") {
        Some(error @ (Value::Object(_) | Value::String(_))) => from_error(status, error),
        _ => SourceError::Rejected {
            status,
            kind: "http_error".to_string(),
            reason: format!("{node} answered HTTP {status} without an error description"),
        },
    }
}

/// The error an `error` member describes: an object with `type` and `reason` (and its
/// causes), or, in very old or proxy-made answers, just a message.
pub fn from_error(status: u16, error: &Value) -> SourceError {
    let (kind, reason) = match error {
        Value::String(message) => ("error", message.clone()),
        other => (text(other, "type").unwrap_or("error"), reason_of(other)),
    };
    SourceError::Rejected {
        status,
        kind: kind.to_string(),
        reason,
    }
}

/// `reason`, then what the root cause, the first failed shard and the cause add (each
/// only when its reason was not already said).
fn reason_of(error: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    let causes = [
        error.pointer("/root_cause/0"),
        error.pointer("/failed_shards/0/reason"),
        error.get("caused_by"),
    ];
    if let Some(reason) = text(error, "reason").filter(|r| !r.is_empty()) {
        parts.push(reason.to_string());
    }
    for cause in causes.into_iter().flatten() {
        let reason = text(cause, "reason").unwrap_or_default();
        let said = parts.iter().any(|part| part.contains(reason));
        if !said || reason.is_empty() && parts.is_empty() {
            parts.push(described(cause));
        }
    }
    parts.retain(|part| !part.is_empty());
    if parts.is_empty() {
        return "no reason given".to_string();
    }
    parts.join("; ")
}

/// `type: reason` of a nested cause, e.g. `illegal_argument_exception: Text fields are not
/// optimised for operations that require per-document field data …`.
fn described(cause: &Value) -> String {
    match (text(cause, "type"), text(cause, "reason")) {
        (Some(kind), Some(reason)) => format!("{kind}: {reason}"),
        (None, Some(reason)) => reason.to_string(),
        (Some(kind), None) => kind.to_string(),
        (None, None) => String::new(),
    }
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "an empty body".to_string();
    }
    let mut shown: String = text.chars().take(200).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_search_phase_failure_reports_the_shards_reason() {
        let body = json!({
            "error": {
                "root_cause": [{ "type": "illegal_argument_exception", "reason": "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead." }],
                "type": "search_phase_execution_exception",
                "reason": "all shards failed",
                "phase": "query",
                "failed_shards": [{ "shard": 0, "index": "filebeat-2026.11.20", "reason": { "type": "illegal_argument_exception", "reason": "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead." } }]
            },
            "status": 400
        });
        let error = rejection(400, body.to_string().as_bytes(), "http://es:9200");
        let SourceError::Rejected {
            status,
            kind,
            reason,
        } = error
        else {
            panic!()
        };
        assert_eq!(
            (status, kind.as_str()),
            (400, "search_phase_execution_exception")
        );
        assert!(
            reason.starts_with("all shards failed; illegal_argument_exception: Text fields"),
            "{reason}"
        );
        // The shard's reason repeats the root cause; it is said once.
        assert_eq!(reason.matches("Text fields").count(), 1, "{reason}");
    }

    #[test]
    fn a_proxy_page_is_quoted_briefly() {
        let error = rejection(
            502,
            b"<html><body>Bad Gateway</body></html>",
            "http://es:9200",
        );
        assert_eq!(
            error.to_string(),
            "search rejected (502 http_error): http://es:9200 answered HTTP 502: <html><body>Bad Gateway</body></html>"
        );
    }
}
