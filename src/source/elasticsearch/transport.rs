//! One HTTP exchange with a cluster, made reliable: the client (rustls, gzip, timeouts,
//! CA file, client certificate), authentication, failover across nodes, and retries with
//! backoff on connection errors, 429 and 502/503/504, honouring `Retry-After`.
//!
//! Request timeouts are not retried: a search that took too long would only load the
//! cluster again. Nothing here logs or returns a credential: errors name the node and
//! what happened, never the request's headers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::{Client, Method, StatusCode, Url, header};

use super::retry::{RetryPolicy, jitter, node_trouble_status, parse_retry_after, retryable_status};
use super::settings::{Credentials, Settings};
use crate::source::SourceError;

/// Waits between attempts; tests substitute one that records instead of sleeping.
pub trait Pause: Send + Sync {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real wait.
pub struct Sleep;

impl Pause for Sleep {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// What to send.
pub enum Payload<'a> {
    None,
    Json(&'a serde_json::Value),
    NdJson(&'a str),
}

/// A cluster's answer (any status that is not retried).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// The `X-Elastic-Product` header, which Elasticsearch sends from 7.14 on.
    pub elastic_product: Option<String>,
    /// The node that answered, for messages.
    pub node: String,
}

pub struct Transport {
    client: Client,
    nodes: Vec<Url>,
    /// The node tried first: the last one that answered.
    preferred: AtomicUsize,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    request_timeout: Duration,
    max_answer_bytes: usize,
    pause: Arc<dyn Pause>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<&str> = self.nodes.iter().map(Url::as_str).collect();
        f.debug_struct("Transport")
            .field("nodes", &nodes)
            .finish_non_exhaustive()
    }
}

/// Installs rustls' `ring` provider as the process default (once); reqwest needs one.
pub fn install_crypto_provider() {
    // An error means a provider is already installed, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Transport {
    pub fn new(settings: &Settings, pause: Arc<dyn Pause>) -> Result<Transport, SourceError> {
        install_crypto_provider();
        let unusable = |reason: String| SourceError::Unavailable { reason };
        let mut builder = Client::builder()
            .user_agent(concat!("trendwatch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true);
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| unusable(format!("cannot read `ca_file` {}: {e}", path.display())))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                unusable(format!(
                    "`ca_file` {} holds no PEM certificate: {e}",
                    path.display()
                ))
            })?;
            if certificates.is_empty() {
                return Err(unusable(format!(
                    "`ca_file` {} holds no PEM certificate",
                    path.display()
                )));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some((certificate, key)) = &settings.client_identity {
            let mut pem = std::fs::read(certificate).map_err(|e| {
                unusable(format!(
                    "cannot read `client_cert` {}: {e}",
                    certificate.display()
                ))
            })?;
            pem.push(b'\n');
            pem.extend(std::fs::read(key).map_err(|e| {
                unusable(format!("cannot read `client_key` {}: {e}", key.display()))
            })?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                unusable(format!(
                    "`client_cert` {} and `client_key` {} are not a PEM certificate and its private key",
                    certificate.display(),
                    key.display()
                ))
            })?;
            builder = builder.identity(identity);
        }
        if settings.insecure_skip_verify {
            tracing::warn!(
                nodes = ?settings.nodes.iter().map(Url::as_str).collect::<Vec<_>>(),
                "TLS certificate verification is OFF (`insecure_skip_verify: true`): anyone between trendwatch and the cluster can read and change what it sees"
            );
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| unusable(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Transport {
            client,
            nodes: settings.nodes.clone(),
            preferred: AtomicUsize::new(0),
            credentials: settings.credentials.clone(),
            retry: settings.retry,
            request_timeout: settings.request_timeout,
            max_answer_bytes: settings.max_answer_bytes,
            pause,
        })
    }

    /// Sends `method path` (path segments already percent-encoded, with any query) and
    /// returns the first answer that is not retried, or why there was none.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        payload: Payload<'_>,
    ) -> Result<Answer, SourceError> {
        let mut failures: Vec<String> = Vec::new();
        let mut node_index = self.preferred.load(Ordering::Relaxed) % self.nodes.len().max(1);
        // Nodes that failed to connect since the last wait: failing over to one not yet
        // tried needs no wait.
        let mut unreachable_since_wait = 0;
        // The last refusal (429, 502–504), whose reason is reported if no attempt succeeds.
        let mut last_refusal: Option<Answer> = None;
        for attempt in 0..=self.retry.retries {
            let Some(node) = self.nodes.get(node_index) else {
                return Err(SourceError::Unavailable {
                    reason: "no node configured".to_string(),
                });
            };
            let shown_node = node.as_str().trim_end_matches('/').to_string();
            let wait = match self.attempt(node, method.clone(), path, &payload).await {
                Ok(answer) if retryable_status(answer.answer.status) => {
                    let retry_after = answer
                        .retry_after
                        .and_then(|value| parse_retry_after(&value, SystemTime::now()));
                    failures.push(format!(
                        "{shown_node} answered HTTP {}",
                        answer.answer.status
                    ));
                    if let Some(asked) = retry_after
                        && asked > self.retry.max_retry_after
                    {
                        return Err(SourceError::Unavailable {
                            reason: format!(
                                "{shown_node} answered HTTP {} and asked to retry after {} s, longer than trendwatch waits ({} s)",
                                answer.answer.status,
                                asked.as_secs(),
                                self.retry.max_retry_after.as_secs()
                            ),
                        });
                    }
                    if node_trouble_status(answer.answer.status) {
                        node_index = (node_index + 1) % self.nodes.len();
                    }
                    unreachable_since_wait = 0;
                    last_refusal = Some(answer.answer);
                    retry_after.unwrap_or_else(|| self.retry.backoff(attempt + 1, jitter()))
                }
                Ok(answer) => {
                    self.preferred.store(node_index, Ordering::Relaxed);
                    return Ok(answer.answer);
                }
                Err(Failure::Timeout) => {
                    return Err(SourceError::Unavailable {
                        reason: format!(
                            "{shown_node} gave no answer within {} s (not retried, to spare the cluster)",
                            self.request_timeout.as_secs_f64()
                        ),
                    });
                }
                Err(Failure::TooLarge) => {
                    return Err(SourceError::Unavailable {
                        reason: format!(
                            "{shown_node} sent an answer longer than {}, the most trendwatch \
                             reads (not retried: it would be as long again); lower \
                             `msearch_batch` so fewer searches share an answer",
                            crate::humanize::bytes(self.max_answer_bytes as f64)
                        ),
                    });
                }
                Err(Failure::Connection(reason)) => {
                    failures.push(format!("{shown_node}: {reason}"));
                    last_refusal = None;
                    node_index = (node_index + 1) % self.nodes.len();
                    unreachable_since_wait += 1;
                    if unreachable_since_wait < self.nodes.len() {
                        Duration::ZERO
                    } else {
                        unreachable_since_wait = 0;
                        self.retry.backoff(attempt + 1, jitter())
                    }
                }
            };
            if attempt == self.retry.retries {
                break;
            }
            tracing::warn!(
                node = %shown_node,
                attempt = attempt + 1,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                problem = failures.last().map_or("", String::as_str),
                "request to the cluster failed; retrying"
            );
            if !wait.is_zero() {
                self.pause.pause(wait).await;
            }
        }
        let gave_up = format!(
            "no node answered after {} attempt(s): {}",
            failures.len(),
            summarize(&failures)
        );
        Err(match last_refusal {
            // The cluster's own words for the last refusal, then the attempts.
            Some(answer) => {
                match super::errors::rejection(answer.status, &answer.body, &answer.node) {
                    SourceError::Rejected {
                        status,
                        kind,
                        reason,
                    } => SourceError::Rejected {
                        status,
                        kind,
                        reason: format!("{reason} ({gave_up})"),
                    },
                    other => other,
                }
            }
            None => SourceError::Unavailable { reason: gave_up },
        })
    }

    async fn attempt(
        &self,
        node: &Url,
        method: Method,
        path: &str,
        payload: &Payload<'_>,
    ) -> Result<Attempted, Failure> {
        let url = join(node, path);
        let mut request = self
            .client
            .request(method, url)
            .timeout(self.request_timeout);
        request = match payload {
            Payload::None => request,
            Payload::Json(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default()),
            Payload::NdJson(body) => request
                .header(header::CONTENT_TYPE, "application/x-ndjson")
                .body(body.to_string()),
        };
        request = match &self.credentials {
            None => request,
            Some(Credentials::Basic { username, password }) => {
                request.basic_auth(username, Some(password.reveal()))
            }
            Some(Credentials::ApiKey(key)) => request.header(
                header::AUTHORIZATION,
                sensitive(&format!("ApiKey {}", key.reveal()))?,
            ),
            Some(Credentials::Bearer(token)) => request.header(
                header::AUTHORIZATION,
                sensitive(&format!("Bearer {}", token.reveal()))?,
            ),
        };
        let response = request.send().await.map_err(|error| classify(&error))?;
        let status = response.status();
        let header_text = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header_text(header::RETRY_AFTER.as_str());
        let elastic_product = header_text("x-elastic-product");
        let body = read_at_most(response, self.max_answer_bytes).await?;
        Ok(Attempted {
            answer: Answer {
                status: status.as_u16(),
                body,
                elastic_product,
                node: node.as_str().trim_end_matches('/').to_string(),
            },
            retry_after: retry_after.filter(|_| {
                status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            }),
        })
    }
}

struct Attempted {
    answer: Answer,
    retry_after: Option<String>,
}

enum Failure {
    /// No answer in time.
    Timeout,
    /// An answer longer than trendwatch reads.
    TooLarge,
    /// Could not connect, or the connection broke: another node may do better.
    Connection(String),
}

/// The body of `response`, refused once it exceeds `limit` bytes: a node (or a proxy in
/// front of it) that sends more than any search here asks for would otherwise fill memory.
async fn read_at_most(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Failure> {
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Err(Failure::TooLarge);
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(|error| classify(&error))? {
        if body.len() + chunk.len() > limit {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The failures in order, each distinct one once, with how often it happened.
fn summarize(failures: &[String]) -> String {
    let mut distinct: Vec<(&str, usize)> = Vec::new();
    for failure in failures {
        match distinct.iter_mut().find(|(seen, _)| seen == failure) {
            Some((_, count)) => *count += 1,
            None => distinct.push((failure, 1)),
        }
    }
    distinct
        .iter()
        .map(|(failure, count)| match count {
            1 => (*failure).to_string(),
            _ => format!("{failure} ({count} times)"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A header value marked sensitive, so no debug output of the request shows it.
fn sensitive(value: &str) -> Result<header::HeaderValue, Failure> {
    let mut value = header::HeaderValue::from_str(value).map_err(|_| {
        Failure::Connection(
            "the configured credential contains characters not allowed in an HTTP header"
                .to_string(),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Words for a failed exchange, without the URL (the caller names the node).
fn classify(error: &reqwest::Error) -> Failure {
    if error.is_timeout() && !error.is_connect() {
        return Failure::Timeout;
    }
    let mut reason = if error.is_connect() {
        "cannot connect".to_string()
    } else {
        "the connection failed".to_string()
    };
    // The innermost cause says what happened (refused, DNS, certificate…).
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut deepest = None;
    while let Some(inner) = cause {
        deepest = Some(inner.to_string());
        cause = inner.source();
    }
    if let Some(deepest) = deepest {
        reason = format!("{reason} ({deepest})");
    }
    Failure::Connection(reason)
}

/// `node` + `path`, keeping any path prefix of the node URL (a proxy's `/es/`).
fn join(node: &Url, path: &str) -> String {
    format!(
        "{}/{}",
        node.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
