//! `_msearch`: several searches in one round trip. The request is NDJSON, a header line
//! (`{"index": …}`) and a body line per search; the answer's `responses` holds one search
//! answer or one error per search, in order, so one failing search fails only itself.

use serde_json::{Value, json};

use super::errors;
use crate::source::{SearchRequest, SourceError};

/// The NDJSON body for `requests`; `cacheable[i]` adds `request_cache: true` to a header.
pub fn body(requests: &[(&SearchRequest, Value, bool)]) -> String {
    let mut text = String::new();
    for (request, body, cacheable) in requests {
        let mut header = json!({ "index": request.index });
        if *cacheable {
            header["request_cache"] = json!(true);
        }
        text.push_str(&header.to_string());
        text.push('\n');
        text.push_str(&body.to_string());
        text.push('\n');
    }
    text
}

/// Splits an `_msearch` answer into one result per search sent.
pub fn split(answer: &Value, sent: usize) -> Vec<Result<Value, SourceError>> {
    let Some(responses) = answer.get("responses").and_then(Value::as_array) else {
        let error = SourceError::Unavailable {
            reason: "the `_msearch` answer has no `responses` array".to_string(),
        };
        return vec![Err(error); sent];
    };
    if responses.len() != sent {
        let error = SourceError::Unavailable {
            reason: format!(
                "`_msearch` answered {} searches out of {sent}",
                responses.len()
            ),
        };
        return vec![Err(error); sent];
    }
    responses
        .iter()
        .map(|item| match item.get("error") {
            Some(error) => {
                let status = item
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(500);
                Err(SourceError::Rejected {
                    status,
                    kind: error
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("error")
                        .to_string(),
                    reason: match error {
                        Value::String(message) => message.clone(),
                        other => errors::reason_of(other),
                    },
                })
            }
            None => Ok(item.clone()),
        })
        .collect()
}
