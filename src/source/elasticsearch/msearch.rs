//! `_msearch`: several searches in one round trip. The request is NDJSON, a header line
//! (`{"index": …}`) and a body line per search; the answer's `responses` holds one search
//! answer or one error per search, in order, so one failing search fails only itself.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::errors;
use crate::query::Answer;
use crate::source::SourceError;

/// The NDJSON body for `(index, body, cacheable)` searches; `cacheable` adds
/// `request_cache: true` to the header.
pub fn body<B: std::ops::Deref<Target = Value>>(requests: &[(&str, B, bool)]) -> String {
    let mut text = String::new();
    for (index, body, cacheable) in requests {
        let mut header = json!({ "index": index });
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

#[derive(Deserialize)]
struct Responses<'a> {
    #[serde(borrow)]
    responses: Vec<&'a RawValue>,
}

/// What marks an item as failed; everything else in it is skipped.
#[derive(Deserialize)]
struct ItemError {
    error: Option<Value>,
    status: Option<u16>,
}

/// Splits an `_msearch` answer into one result per search sent, each search's answer kept
/// as its own bytes for the series reader.
pub fn split(answer: &[u8], sent: usize) -> Vec<Result<Answer, SourceError>> {
    let unusable = |reason: String| vec![Err(SourceError::Unavailable { reason }); sent];
    let responses = match serde_json::from_slice::<Responses<'_>>(answer) {
        Ok(parsed) => parsed.responses,
        Err(error) => {
            return unusable(format!(
                "the `_msearch` answer is not a `responses` array ({error})"
            ));
        }
    };
    if responses.len() != sent {
        return unusable(format!(
            "`_msearch` answered {} searches out of {sent}",
            responses.len()
        ));
    }
    responses
        .into_iter()
        .map(|item| {
            let text = item.get();
            match serde_json::from_str::<ItemError>(text) {
                Ok(ItemError {
                    error: Some(error),
                    status,
                }) => Err(errors::from_error(status.unwrap_or(500), &error)),
                Ok(_) => Ok(Answer::Bytes(text.as_bytes().to_vec())),
                Err(error) => Err(SourceError::Unavailable {
                    reason: format!("an `_msearch` item is not a search answer ({error})"),
                }),
            }
        })
        .collect()
}
