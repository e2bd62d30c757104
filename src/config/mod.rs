//! Engine config (`trendwatch.yaml`): where the data is (Elasticsearch or the embedded
//! store), the named notifiers rules refer to, the rules directory and the state path.
//! Secrets are only `${ENV_VAR}` references and never appear in an error.

mod notifiers;
mod secret;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::{Diagnostic, Duration};

pub use notifiers::*;
pub use secret::{MissingSecret, Secret};

/// The validated engine config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from; relative paths inside are relative to its directory.
    pub path: Option<PathBuf>,
    pub source: SourceConfig,
    pub rules: Vec<PathBuf>,
    pub state: PathBuf,
    pub notifiers: BTreeMap<String, NotifierConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SourceConfig {
    Elasticsearch(Box<ElasticsearchConfig>),
    /// The in-process store, loaded from NDJSON exports.
    Embedded(EmbeddedConfig),
}

/// How to reach an Elasticsearch or OpenSearch cluster.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// One or more node URLs; a node that cannot be reached is failed over to the next.
    #[serde(default)]
    pub urls: Vec<String>,
    /// An Elastic Cloud deployment's Cloud ID, instead of `urls`.
    pub cloud_id: Option<String>,
    pub auth: Option<AuthConfig>,
    /// PEM file of the CA(s) that signed the cluster's certificate, added to the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate (chain) presented to the cluster, with `client_key`.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// Skips TLS certificate verification. Off unless asked for, and logged loudly.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// Longest wait for one answer (default 30s).
    pub timeout: Option<Duration>,
    /// Longest wait to open a connection (default 5s).
    pub connect_timeout: Option<Duration>,
    /// Retries after a failed attempt (connection error, 429, 502, 503, 504); default 3.
    pub retries: Option<u32>,
    /// Most searches in one `_msearch` round trip (default 50).
    pub msearch_batch: Option<usize>,
    /// The cluster's `search.max_buckets`, when it differs from the version's default.
    pub max_buckets: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum AuthConfig {
    Basic { username: String, password: Secret },
    ApiKey { key: Secret },
    Bearer { token: Secret },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// NDJSON files to load.
    pub data: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigDocument {
    source: Option<SourceConfig>,
    #[serde(default)]
    rules: Vec<PathBuf>,
    state: Option<PathBuf>,
    #[serde(default)]
    notifiers: BTreeMap<String, NotifierConfig>,
}

impl Config {
    /// Names of the defined notifiers, for checking rules' `notify` lists.
    pub fn notifier_names(&self) -> BTreeSet<String> {
        self.notifiers.keys().cloned().collect()
    }

    /// Reads and validates a config file. Errors carry file, line and column; no error
    /// shows a line of the file, because such a line may hold a secret.
    pub fn load(path: &Path) -> Result<Config, Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![Diagnostic::for_file(
                path,
                format!("cannot read config: {error}"),
            )]
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
        let document: ConfigDocument =
            serde_saphyr::from_str(text).map_err(|error| vec![yaml_diagnostic(path, &error)])?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        for (name, notifier) in &document.notifiers {
            problems.extend(
                notifier_problems(name, notifier)
                    .into_iter()
                    .map(|message| Diagnostic::for_file(path, message)),
            );
        }
        if let Some(SourceConfig::Elasticsearch(es)) = &document.source {
            problems.extend(
                elasticsearch_problems(es)
                    .into_iter()
                    .map(|message| Diagnostic::for_file(path, message)),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let rules = if document.rules.is_empty() {
            vec![PathBuf::from("rules")]
        } else {
            document.rules
        };
        Ok(Config {
            path: Some(path.to_path_buf()),
            source: document
                .source
                .unwrap_or(SourceConfig::Embedded(EmbeddedConfig { data: Vec::new() })),
            rules: rules.into_iter().map(|rules| base.join(rules)).collect(),
            state: base.join(
                document
                    .state
                    .unwrap_or_else(|| PathBuf::from("trendwatch-state.json")),
            ),
            notifiers: document.notifiers,
        })
    }
}

/// A YAML error in the config as a diagnostic. Unlike a rule file's, it does not repeat an
/// unknown key or variant: in a config that text may be a pasted secret (in a flow map, a
/// value whose `:` went missing becomes a key). The line, the column, the names expected
/// and the nearest of them still say what to fix.
fn yaml_diagnostic(path: &Path, error: &serde_saphyr::Error) -> Diagnostic {
    let mut diagnostic = Diagnostic::from_yaml(path, error);
    let (what, expected) = match error.without_snippet() {
        serde_saphyr::Error::SerdeUnknownField { expected, .. } => ("key", expected),
        serde_saphyr::Error::SerdeUnknownVariant { expected, .. } => ("variant", expected),
        _ => return diagnostic,
    };
    diagnostic.message = format!(
        "unknown {what} (not repeated here, in case it is a secret), expected one of {}",
        expected.join(", ")
    );
    diagnostic
}

/// What is wrong with a cluster connection, before anything is sent.
pub fn elasticsearch_problems(es: &ElasticsearchConfig) -> Vec<String> {
    let mut problems = Vec::new();
    match (es.urls.is_empty(), &es.cloud_id) {
        (true, None) => problems.push("`source.elasticsearch` names no node: set `urls` (e.g. `[https://localhost:9200]`) or `cloud_id`".to_string()),
        (false, Some(_)) => problems.push("`source.elasticsearch` sets both `urls` and `cloud_id`; keep one".to_string()),
        _ => {}
    }
    for url in &es.urls {
        if let Err(problem) = crate::source::elasticsearch::parse_node_url(url) {
            problems.push(format!("`source.elasticsearch.urls`: {problem}"));
        }
    }
    if let Some(cloud_id) = &es.cloud_id
        && let Err(problem) = crate::source::elasticsearch::cloud_id_url(cloud_id)
    {
        problems.push(format!("`source.elasticsearch.cloud_id`: {problem}"));
    }
    if es.client_cert.is_some() != es.client_key.is_some() {
        problems.push(
            "`source.elasticsearch`: `client_cert` and `client_key` go together; set both"
                .to_string(),
        );
    }
    if es.msearch_batch == Some(0) || es.max_buckets == Some(0) {
        problems.push(
            "`source.elasticsearch`: `msearch_batch` and `max_buckets` must be at least 1"
                .to_string(),
        );
    }
    problems
}

fn notifier_problems(name: &str, notifier: &NotifierConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let mut require = |ok: bool, message: String| {
        if !ok {
            problems.push(format!("notifier `{name}`: {message}"));
        }
    };
    match notifier {
        NotifierConfig::Email(email) => {
            require(
                email.from.contains('@'),
                format!("`from: {}` is not an email address", email.from),
            );
            require(
                !email.to.is_empty(),
                "`to` is empty; name at least one recipient".to_string(),
            );
            for to in &email.to {
                require(
                    to.contains('@'),
                    format!("`to: {to}` is not an email address"),
                );
            }
            require(
                email.smtp.password.is_none() || email.smtp.username.is_some(),
                "`smtp.password` is set without `smtp.username`".to_string(),
            );
        }
        NotifierConfig::Sms(SmsConfig::Twilio(twilio)) => {
            require(
                !twilio.to.is_empty(),
                "`to` is empty; name at least one phone number".to_string(),
            );
            for number in std::iter::once(&twilio.from).chain(&twilio.to) {
                require(
                    is_e164(number),
                    format!(
                        "`{number}` is not a phone number in E.164 form such as `+15551234567`"
                    ),
                );
            }
        }
        NotifierConfig::Sms(SmsConfig::Sns(sns)) => {
            require(
                !sns.to.is_empty(),
                "`to` is empty; name at least one phone number".to_string(),
            );
            for number in &sns.to {
                require(
                    is_e164(number),
                    format!(
                        "`{number}` is not a phone number in E.164 form such as `+15551234567`"
                    ),
                );
            }
        }
        NotifierConfig::Webhook(webhook) => {
            require(
                webhook.url.starts_with("http://") || webhook.url.starts_with("https://"),
                "`url` must start with http:// or https://".to_string(),
            );
        }
        NotifierConfig::Stdout {} | NotifierConfig::Slack(_) => {}
    }
    problems
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
        Config::parse(Path::new("conf/trendwatch.yaml"), text)
    }

    #[test]
    fn a_full_config_parses_with_paths_relative_to_the_file() {
        let config = parse(
            "source:\n  elasticsearch:\n    urls: [https://es:9200]\n    auth: { basic: { username: tw, password: '${ES_PASSWORD}' } }\n\
             notifiers:\n  mail:\n    email:\n      smtp: { host: smtp.example.com, username: tw, password: '${SMTP_PASSWORD}' }\n      from: tw@example.com\n      to: [ops@example.com]\n  console:\n    stdout: {}\n",
        )
        .unwrap();
        assert_eq!(config.rules, vec![PathBuf::from("conf/rules")]);
        assert_eq!(config.state, PathBuf::from("conf/trendwatch-state.json"));
        assert_eq!(
            config.notifier_names().into_iter().collect::<Vec<_>>(),
            ["console", "mail"]
        );
    }

    #[test]
    fn a_literal_secret_is_an_error_that_does_not_show_it() {
        let errors = parse("notifiers:\n  chat:\n    slack: { webhook_url: 'https://hooks.example/T000/SECRETPART' }\n").unwrap_err();
        let shown = format!("{errors:?}");
        assert!(!shown.contains("SECRETPART"), "{shown}");
        assert_eq!(errors[0].line, 3);
        assert!(
            errors[0]
                .message
                .contains("secrets are read from the environment"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn misspelt_keys_get_a_hint() {
        let errors = parse("notifiers:\n  mail:\n    emial: {}\n").unwrap_err();
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `email`?"));
    }

    #[test]
    fn a_secret_that_became_a_key_or_a_variant_is_not_repeated() {
        // The `:` after `password` went missing, so `password hunter2` is a key.
        let key = "notifiers:\n  mail:\n    email:\n      smtp: { host: h, password hunter2 }\n      from: a@example.com\n      to: [b@example.com]\n";
        let errors = parse(key).unwrap_err();
        assert_eq!(
            errors[0].message,
            "unknown key (not repeated here, in case it is a secret), expected one of \
             host, port, tls, username, password"
        );
        assert_eq!((errors[0].line, errors[0].column), (4, 24));
        assert!(!format!("{errors:?}").contains("hunter2"));
        let variant =
            "source:\n  elasticsearch:\n    urls: [https://es:9200]\n    auth: { hunter2: x }\n";
        let errors = parse(variant).unwrap_err();
        assert!(
            errors[0]
                .message
                .starts_with("unknown variant (not repeated"),
            "{}",
            errors[0].message
        );
        assert!(!format!("{errors:?}").contains("hunter2"));
    }

    #[test]
    fn bad_phone_numbers_and_addresses_are_named() {
        let errors = parse(
            "notifiers:\n  sms:\n    sms:\n      twilio: { account_sid: AC1, auth_token: '${TWILIO_TOKEN}', from: '+15550100000', to: ['555-0101'] }\n",
        )
        .unwrap_err();
        assert_eq!(
            errors[0].message,
            "notifier `sms`: `555-0101` is not a phone number in E.164 form such as `+15551234567`"
        );
    }

    #[test]
    fn cluster_connections_are_checked_before_use() {
        let problems = |source: &str| -> Vec<String> {
            match parse(&format!("source:\n  elasticsearch:\n{source}")) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.into_iter().map(|e| e.message).collect(),
            }
        };
        assert_eq!(
            problems("    auth: { bearer: { token: '${T}' } }\n"),
            [
                "`source.elasticsearch` names no node: set `urls` (e.g. `[https://localhost:9200]`) or `cloud_id`"
            ]
        );
        assert_eq!(
            problems("    urls: [https://a:9200]\n    cloud_id: 'x:eHl6JGFiYyRkZWY='\n"),
            ["`source.elasticsearch` sets both `urls` and `cloud_id`; keep one"]
        );
        assert_eq!(
            problems("    urls: [https://a:9200]\n    client_cert: c.pem\n"),
            ["`source.elasticsearch`: `client_cert` and `client_key` go together; set both"]
        );
        let shown = problems("    urls: ['https://elastic:hunter2@a:9200']\n");
        assert!(
            shown[0].contains("must not carry credentials") && !shown[0].contains("hunter2"),
            "{shown:?}"
        );
        assert!(problems("    cloud_id: 'x:eHl6JGFiYyRkZWY='\n    retries: 5\n").is_empty());
    }
}
