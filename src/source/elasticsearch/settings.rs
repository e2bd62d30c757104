//! The connection settings of a cluster, resolved from the config: node URLs (or a Cloud
//! ID), credentials read from the environment, TLS material, timeouts and the retry
//! policy. Credentials are wrapped so no `Debug` or error can print them.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Url;

use super::retry::RetryPolicy;
use crate::config::{AuthConfig, ElasticsearchConfig, MissingSecret};

/// A credential: shown as `***` by `Debug`, readable only by the transport.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(String);

impl Hidden {
    pub fn new(value: impl Into<String>) -> Self {
        Hidden(value.into())
    }

    pub(super) fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Basic {
        username: String,
        password: Hidden,
    },
    /// The encoded API key (`base64(id:api_key)`), as Kibana shows it.
    ApiKey(Hidden),
    Bearer(Hidden),
}

/// Everything needed to talk to one cluster.
#[derive(Debug, Clone)]
pub struct Settings {
    pub nodes: Vec<Url>,
    pub credentials: Option<Credentials>,
    pub ca_file: Option<PathBuf>,
    /// `(certificate, key)` PEM files for mutual TLS.
    pub client_identity: Option<(PathBuf, PathBuf)>,
    pub insecure_skip_verify: bool,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    pub msearch_batch: usize,
    /// Overrides the version's default `search.max_buckets`.
    pub max_buckets: Option<usize>,
    /// The largest answer read; a larger one is refused rather than held in memory.
    pub max_answer_bytes: usize,
}

/// Why settings could not be resolved; never contains a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    MissingSecret(#[from] MissingSecret),
}

impl Settings {
    /// The node URLs as people read them, for output: `https://es-1:9200, https://es-2:9200`.
    pub fn node_list(&self) -> String {
        self.nodes
            .iter()
            .map(|node| node.as_str().trim_end_matches('/').to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_MSEARCH_BATCH: usize = 50;
    /// 1 GiB: more than twice the largest `_msearch` answer of a default batch (50 searches
    /// of 65,535 buckets of about 100 bytes each).
    pub const DEFAULT_MAX_ANSWER_BYTES: usize = 1 << 30;

    /// Settings for one node URL and nothing else (`--es URL`).
    pub fn for_url(url: &str) -> Result<Settings, SettingsError> {
        Ok(Settings {
            nodes: vec![parse_node_url(url).map_err(SettingsError::Invalid)?],
            credentials: None,
            ca_file: None,
            client_identity: None,
            insecure_skip_verify: false,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            msearch_batch: Self::DEFAULT_MSEARCH_BATCH,
            max_buckets: None,
            max_answer_bytes: Self::DEFAULT_MAX_ANSWER_BYTES,
        })
    }

    /// Resolves a config section, reading credentials from the environment.
    pub fn from_config(config: &ElasticsearchConfig) -> Result<Settings, SettingsError> {
        let problems = crate::config::elasticsearch_problems(config);
        if let Some(first) = problems.into_iter().next() {
            return Err(SettingsError::Invalid(first));
        }
        let mut nodes = Vec::new();
        for url in &config.urls {
            nodes.push(parse_node_url(url).map_err(SettingsError::Invalid)?);
        }
        if let Some(cloud_id) = &config.cloud_id {
            nodes.push(cloud_id_url(cloud_id).map_err(SettingsError::Invalid)?);
        }
        let credentials = match &config.auth {
            None => None,
            Some(AuthConfig::Basic { username, password }) => Some(Credentials::Basic {
                username: username.clone(),
                password: Hidden(password.reveal("source.elasticsearch.auth.basic")?),
            }),
            Some(AuthConfig::ApiKey { key }) => Some(Credentials::ApiKey(Hidden(
                key.reveal("source.elasticsearch.auth.api_key")?,
            ))),
            Some(AuthConfig::Bearer { token }) => Some(Credentials::Bearer(Hidden(
                token.reveal("source.elasticsearch.auth.bearer")?,
            ))),
        };
        let std_duration = |d: Option<crate::rules::Duration>, default| {
            d.map_or(default, |d| Duration::from_millis(d.as_millis()))
        };
        let mut retry = RetryPolicy::default();
        if let Some(retries) = config.retries {
            retry.retries = retries;
        }
        Ok(Settings {
            nodes,
            credentials,
            ca_file: config.ca_file.clone(),
            client_identity: config.client_cert.clone().zip(config.client_key.clone()),
            insecure_skip_verify: config.insecure_skip_verify,
            request_timeout: std_duration(config.timeout, Self::DEFAULT_REQUEST_TIMEOUT),
            connect_timeout: std_duration(config.connect_timeout, Self::DEFAULT_CONNECT_TIMEOUT),
            retry,
            msearch_batch: config.msearch_batch.unwrap_or(Self::DEFAULT_MSEARCH_BATCH),
            max_buckets: config.max_buckets,
            max_answer_bytes: Self::DEFAULT_MAX_ANSWER_BYTES,
        })
    }
}

/// A node URL: `http` or `https`, a host, no credentials (they belong in `auth`, where
/// they are kept out of logs), no query or fragment.
pub fn parse_node_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|error| {
        format!(
            "`{}` is not a URL ({error}); write e.g. `https://localhost:9200`",
            shown(text)
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "`{}` must start with http:// or https://",
            shown(text)
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a node URL must not carry credentials; put them under `auth` with the secret in an environment variable".to_string());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{}` names no host", shown(text)));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{}` must not have a query or fragment",
            shown(text)
        ));
    }
    Ok(url)
}

/// A URL as it may be shown: without anything before an `@` (which may be a password).
fn shown(text: &str) -> String {
    match text.split_once('@') {
        Some((before, after)) => {
            let scheme = before.split_once("://").map_or("", |(scheme, _)| scheme);
            format!("{scheme}://…@{after}")
        }
        None => text.to_string(),
    }
}

/// The Elasticsearch URL of an Elastic Cloud ID: `name:base64(host[:port]$es_id$kibana_id)`
/// becomes `https://es_id.host[:port]` (port 443 unless given).
pub fn cloud_id_url(cloud_id: &str) -> Result<Url, String> {
    let expected = "a Cloud ID looks like `deployment-name:dXMtY2VudHJhbDEuZ2NwLmNsb3VkLmVzLmlvJGFiYyRkZWY=` (copy it from the deployment's page)";
    let encoded = cloud_id
        .split_once(':')
        .map_or(cloud_id, |(_, encoded)| encoded);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| format!("it is not valid base64; {expected}"))?;
    let mut parts = decoded.split('$');
    let (Some(host), Some(es_id)) = (parts.next(), parts.next()) else {
        return Err(format!("it does not name a host and a cluster; {expected}"));
    };
    if host.is_empty() || es_id.is_empty() {
        return Err(format!("it does not name a host and a cluster; {expected}"));
    }
    let (host, port) = match host.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => (host, port),
        _ => (host, "443"),
    };
    Url::parse(&format!("https://{es_id}.{host}:{port}"))
        .map_err(|error| format!("it names no valid host ({error}); {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_ids_decode_to_the_elasticsearch_endpoint() {
        // base64("us-central1.gcp.cloud.es.io$abc123$def456")
        let id = "prod:dXMtY2VudHJhbDEuZ2NwLmNsb3VkLmVzLmlvJGFiYzEyMyRkZWY0NTY=";
        assert_eq!(
            cloud_id_url(id).unwrap().as_str(),
            "https://abc123.us-central1.gcp.cloud.es.io/"
        );
        // base64("eu-west-1.aws.found.io:9243$aaa$bbb"): an explicit port is kept.
        let id = "x:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbzo5MjQzJGFhYSRiYmI=";
        assert_eq!(
            cloud_id_url(id).unwrap().as_str(),
            "https://aaa.eu-west-1.aws.found.io:9243/"
        );
        assert!(
            cloud_id_url("prod:not base64!")
                .unwrap_err()
                .contains("base64")
        );
    }

    #[test]
    fn node_urls_with_credentials_are_refused_without_showing_them() {
        let error = parse_node_url("https://elastic:hunter2@es:9200").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("auth"), "{error}");
        let error = parse_node_url("ftp://hunter2@es").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(parse_node_url("localhost:9200").is_err());
        assert_eq!(
            parse_node_url("http://127.0.0.1:9200/").unwrap().as_str(),
            "http://127.0.0.1:9200/"
        );
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let credentials = Credentials::Basic {
            username: "trendwatch".to_string(),
            password: Hidden::new("hunter2"),
        };
        assert_eq!(
            format!("{credentials:?}"),
            "Basic { username: \"trendwatch\", password: *** }"
        );
    }
}
