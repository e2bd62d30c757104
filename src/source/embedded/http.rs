//! The embedded store over HTTP, with the Elasticsearch endpoints clients use to read:
//! `GET /`, `_search`, `_msearch`, `_mapping` and `_field_caps`, index patterns with `*` and
//! comma lists. Errors have Elasticsearch's shape and status; a request the store cannot
//! answer exactly is refused, never answered approximately.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{EmbeddedStore, Reply, StoreError};

/// The version the store answers `GET /` with: the Elasticsearch API level it speaks.
pub const COMPATIBLE_VERSION: &str = "8.15.0";

/// Query parameters accepted and ignored (they change nothing in the answer).
const HARMLESS_PARAMETERS: [&str; 8] = [
    "pretty",
    "human",
    "error_trace",
    "request_cache",
    "timeout",
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
];

type Shared = Arc<EmbeddedStore>;
type Parameters = Query<Vec<(String, String)>>;

/// The routes, over `store`.
pub fn router(store: Shared) -> Router {
    Router::new()
        .route("/", get(info).head(info))
        .route("/_search", get(search_all).post(search_all))
        .route("/{index}/_search", get(search).post(search))
        .route("/_msearch", get(msearch_all).post(msearch_all))
        .route("/{index}/_msearch", get(msearch).post(msearch))
        .route("/_mapping", get(mapping_all))
        .route("/{index}/_mapping", get(mapping))
        .route("/_field_caps", get(field_caps_all).post(field_caps_all))
        .route("/{index}/_field_caps", get(field_caps).post(field_caps))
        .fallback(no_handler)
        .with_state(store)
}

/// Serves `store` on `listener` until `shutdown` completes.
pub async fn serve(
    store: Shared,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
}

fn reply(status: u16, body: impl serde::Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// A search answer, its JSON written into a buffer sized for it up front
/// ([`Reply::to_json`]): a long histogram is tens of megabytes.
fn answer(body: &Reply) -> Response {
    match body.to_json() {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(error) => error_reply(&StoreError::Engine(error.to_string())),
    }
}

fn error_reply(error: &StoreError) -> Response {
    reply(error.status(), error.to_response())
}

/// Elasticsearch's answer to a parameter it does not know; `None` when all are known.
fn unrecognized_parameters(
    uri: &Uri,
    parameters: &[(String, String)],
    allowed: &[&str],
) -> Option<Response> {
    let unknown: Vec<&str> = parameters
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !HARMLESS_PARAMETERS.contains(name) && !allowed.contains(name))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let reason = format!(
        "request [{}] contains unrecognized parameter{}: [{}]",
        uri.path(),
        if unknown.len() > 1 { "s" } else { "" },
        unknown.join(", ")
    );
    let cause = json!({ "type": "illegal_argument_exception", "reason": reason });
    Some(reply(
        400,
        json!({
            "error": { "root_cause": [cause.clone()], "type": "illegal_argument_exception", "reason": cause["reason"] },
            "status": 400
        }),
    ))
}

async fn info() -> Response {
    reply(
        200,
        json!({
            "name": "trendwatch-embedded",
            "cluster_name": "trendwatch",
            "cluster_uuid": "trendwatch-embedded-store",
            "version": {
                "number": COMPATIBLE_VERSION,
                "build_flavor": "default",
                "build_type": "trendwatch-embedded",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0"
            },
            "tagline": "You Know, for Search"
        }),
    )
}

fn parse_body(body: &Bytes) -> Result<Value, StoreError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|error| StoreError::Parsing {
        path: "body".to_string(),
        reason: format!("the request body is not valid JSON: {error}"),
    })
}

/// Runs the search off the async threads: a search is CPU work.
async fn run_search(store: Shared, index: String, body: Value) -> Result<Reply, StoreError> {
    tokio::task::spawn_blocking(move || store.search_reply(&index, &body))
        .await
        .unwrap_or_else(|error| Err(StoreError::Engine(format!("search task failed: {error}"))))
}

async fn search_all(
    state: State<Shared>,
    uri: Uri,
    parameters: Parameters,
    body: Bytes,
) -> Response {
    search(state, Path("*".to_string()), uri, parameters, body).await
}

async fn search(
    State(store): State<Shared>,
    Path(index): Path<String>,
    uri: Uri,
    Query(parameters): Parameters,
    body: Bytes,
) -> Response {
    if let Some(response) = unrecognized_parameters(&uri, &parameters, &[]) {
        return response;
    }
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(error) => return error_reply(&error),
    };
    match run_search(store, index, body).await {
        Ok(response) => answer(&response),
        Err(error) => error_reply(&error),
    }
}

async fn msearch_all(
    state: State<Shared>,
    uri: Uri,
    parameters: Parameters,
    body: Bytes,
) -> Response {
    msearch(state, Path("*".to_string()), uri, parameters, body).await
}

/// `_msearch`: header and body lines in pairs; each search answers or fails on its own.
async fn msearch(
    State(store): State<Shared>,
    Path(default_index): Path<String>,
    uri: Uri,
    Query(parameters): Parameters,
    body: Bytes,
) -> Response {
    if let Some(response) = unrecognized_parameters(&uri, &parameters, &["max_concurrent_searches"])
    {
        return response;
    }
    let started = Instant::now();
    let Ok(text) = std::str::from_utf8(&body) else {
        return error_reply(&StoreError::Parsing {
            path: "body".to_string(),
            reason: "the _msearch body is not UTF-8".to_string(),
        });
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !lines.len().is_multiple_of(2) {
        return error_reply(&StoreError::Parsing {
            path: "body".to_string(),
            reason: format!(
                "_msearch needs a header line and a body line per search; found {} lines",
                lines.len()
            ),
        });
    }
    let mut responses = Vec::with_capacity(lines.len() / 2);
    for (number, pair) in lines.chunks(2).enumerate() {
        let answer = async {
            let header: Value =
                serde_json::from_str(pair[0]).map_err(|error| StoreError::Parsing {
                    path: format!("searches[{number}].header"),
                    reason: format!("not valid JSON: {error}"),
                })?;
            let body: Value =
                serde_json::from_str(pair[1]).map_err(|error| StoreError::Parsing {
                    path: format!("searches[{number}].body"),
                    reason: format!("not valid JSON: {error}"),
                })?;
            let index = match header.get("index") {
                None => default_index.clone(),
                Some(Value::String(index)) => index.clone(),
                Some(Value::Array(names)) => names
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Some(other) => {
                    return Err(StoreError::Parsing {
                        path: format!("searches[{number}].header.index"),
                        reason: format!("expected an index name or a list of them, found {other}"),
                    });
                }
            };
            run_search(store.clone(), index, body).await
        };
        responses.push(match answer.await {
            Ok(Reply::Object(mut response)) => {
                response.push(("status".into(), Reply::U64(200)));
                Reply::Object(response)
            }
            Ok(other) => other,
            Err(error) => Reply::from(&error.to_response()),
        });
    }
    answer(&Reply::object([
        ("took", Reply::U64(started.elapsed().as_millis() as u64)),
        ("responses", Reply::Array(responses)),
    ]))
}

async fn mapping_all(state: State<Shared>, uri: Uri, parameters: Parameters) -> Response {
    mapping(state, Path("*".to_string()), uri, parameters).await
}

async fn mapping(
    State(store): State<Shared>,
    Path(index): Path<String>,
    uri: Uri,
    Query(parameters): Parameters,
) -> Response {
    if let Some(response) = unrecognized_parameters(&uri, &parameters, &[]) {
        return response;
    }
    match store.mapping(&index) {
        Ok(mapping) => reply(200, mapping),
        Err(error) => error_reply(&error),
    }
}

async fn field_caps_all(state: State<Shared>, uri: Uri, parameters: Parameters) -> Response {
    field_caps(state, Path("*".to_string()), uri, parameters).await
}

async fn field_caps(
    State(store): State<Shared>,
    Path(index): Path<String>,
    uri: Uri,
    Query(parameters): Parameters,
) -> Response {
    if let Some(response) =
        unrecognized_parameters(&uri, &parameters, &["fields", "include_unmapped"])
    {
        return response;
    }
    let fields: Vec<&str> = parameters
        .iter()
        .filter(|(name, _)| name == "fields")
        .map(|(_, value)| value.as_str())
        .collect();
    match store.field_caps(&index, &fields.join(",")) {
        Ok(caps) => reply(200, caps),
        Err(error) => error_reply(&error),
    }
}

async fn no_handler(method: Method, uri: Uri) -> Response {
    reply(
        400,
        json!({
            "error": format!("no handler found for uri [{}] and method [{method}]", uri.path()),
            "status": 400
        }),
    )
}
