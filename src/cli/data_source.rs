//! What `test-rule` and `backtest` run on: a cluster (`--es URL`, or the config's
//! Elasticsearch source) or data files loaded into the embedded store (`--data`); the
//! config they read; the one rule they are asked about; and the times users type.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::config::{Config, SourceConfig};
use crate::query::{Answer, PlanLimits};
use crate::rules::{Diagnostic, Duration, Rule, ValidationContext, load_paths};
use crate::source::elasticsearch::{ElasticsearchSource, Settings};
use crate::source::embedded::EmbeddedStore;
use crate::source::{SearchRequest, Source, SourceError};

/// The config used when none is named, if it exists.
pub const DEFAULT_CONFIG: &str = "trendwatch.yaml";

/// Where the data comes from.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Elasticsearch or OpenSearch node URL (no credentials in the URL: a secured
    /// cluster's `auth` comes from the config). Default: the config's cluster.
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    pub es: Option<String>,
    /// Data files to run on instead of a cluster (NDJSON, `_bulk`, or a saved search
    /// response), loaded into the embedded store — e.g. from `trendwatch store generate`.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// The time field of documents loaded with --data.
    #[arg(long, default_value = "@timestamp", requires = "data")]
    pub time_field: String,
    /// Engine config: its cluster, and the notifiers rules name. Default:
    /// ./trendwatch.yaml when it exists.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

/// The source chosen from [`SourceArgs`].
pub enum DataSource {
    Cluster {
        source: ElasticsearchSource,
        shown: String,
    },
    Files {
        store: EmbeddedStore,
        shown: String,
    },
}

impl DataSource {
    /// Says what the data is, for output: the node URLs or the files.
    pub fn describe(&self) -> &str {
        match self {
            DataSource::Cluster { shown, .. } | DataSource::Files { shown, .. } => shown,
        }
    }

    /// For loaded files, the minute after the newest document: their "now" (a cluster's
    /// data runs up to the real now).
    pub fn data_end(&self) -> Option<DateTime<Utc>> {
        const MINUTE_MS: i64 = 60_000;
        match self {
            DataSource::Files { store, .. } => store.time_span().and_then(|(_, last)| {
                DateTime::from_timestamp_millis((last.div_euclid(MINUTE_MS) + 1) * MINUTE_MS)
            }),
            DataSource::Cluster { .. } => None,
        }
    }

    /// The oldest document's time, for loaded files.
    pub fn data_start(&self) -> Option<DateTime<Utc>> {
        match self {
            DataSource::Files { store, .. } => store
                .time_span()
                .and_then(|(first, _)| DateTime::from_timestamp_millis(first)),
            DataSource::Cluster { .. } => None,
        }
    }
}

impl Source for DataSource {
    async fn search(&self, index: &str, body: &Value) -> Result<Answer, SourceError> {
        match self {
            DataSource::Cluster { source, .. } => source.search(index, body).await,
            DataSource::Files { store, .. } => Source::search(store, index, body).await,
        }
    }

    async fn search_batch(
        &self,
        requests: &[SearchRequest<'_>],
    ) -> Vec<Result<Answer, SourceError>> {
        match self {
            DataSource::Cluster { source, .. } => source.search_batch(requests).await,
            DataSource::Files { store, .. } => store.search_batch(requests).await,
        }
    }

    async fn limits(&self) -> Result<PlanLimits, SourceError> {
        match self {
            DataSource::Cluster { source, .. } => source.limits().await,
            DataSource::Files { store, .. } => store.limits().await,
        }
    }
}

/// Loads the named config, or ./trendwatch.yaml when it exists; every problem is listed.
pub fn load_config(path: Option<&Path>) -> Result<Option<Config>> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok(None),
    };
    match Config::load(&path) {
        Ok(config) => Ok(Some(config)),
        Err(problems) => Err(anyhow!(
            "{}\n(the config {} is invalid)",
            render(&problems),
            path.display()
        )),
    }
}

/// Opens the data source the arguments name: `--data` files, `--es`, else the config's
/// source. An error means there is nothing to run on.
pub fn open(args: &SourceArgs, config: Option<&Config>) -> Result<DataSource> {
    if !args.data.is_empty() {
        let (store, _) = super::store::load_store(&args.data, &args.time_field, "documents", None)?;
        let shown = args
            .data
            .iter()
            .map(|file| file.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(DataSource::Files { store, shown });
    }
    let settings = match (&args.es, config.map(|c| &c.source)) {
        (Some(url), _) => Settings::for_url(url).with_context(|| format!("--es {url}"))?,
        (None, Some(SourceConfig::Elasticsearch(es))) => {
            Settings::from_config(es).context("the config's `source.elasticsearch`")?
        }
        (None, Some(SourceConfig::Embedded(embedded))) => {
            let (store, _) =
                super::store::load_store(&embedded.data, "@timestamp", "documents", None)
                    .context("loading the config's `source.embedded` data")?;
            return Ok(DataSource::Files {
                store,
                shown: "the config's embedded data".to_string(),
            });
        }
        (None, None) => bail!(
            "no data to run on: pass --es URL, --data FILE.ndjson (for example from \
             `trendwatch store generate`), or a config with a source"
        ),
    };
    let shown = settings.node_list();
    let source = ElasticsearchSource::new(&settings)?;
    Ok(DataSource::Cluster { source, shown })
}

/// What `test-rule` and `backtest` start from.
pub struct Prepared {
    pub config: Option<Config>,
    pub rule: Rule,
    pub source: DataSource,
}

/// Loads the config, picks the rule and opens the data. `Ok(Err(code))` after saying why:
/// 2 when the rule cannot be taken, 3 when there is no data to run on.
pub fn prepare(
    rule_file: &Path,
    rule_name: Option<&str>,
    args: &SourceArgs,
) -> Result<Result<Prepared, std::process::ExitCode>> {
    let config = load_config(args.config.as_deref())?;
    let rule = match pick_rule(rule_file, rule_name, config.as_ref()) {
        Ok(rule) => rule,
        Err(problem) => {
            eprintln!("{}", problem.0);
            return Ok(Err(std::process::ExitCode::from(2)));
        }
    };
    let source = match open(args, config.as_ref()) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(Err(std::process::ExitCode::from(3)));
        }
    };
    Ok(Ok(Prepared {
        config,
        rule,
        source,
    }))
}

/// Why the rule could not be taken: printed, exit code 2.
#[derive(Debug)]
pub struct RuleProblem(pub String);

/// The one rule in `path` (or the one named `name` among several).
pub fn pick_rule(
    path: &Path,
    name: Option<&str>,
    config: Option<&Config>,
) -> Result<Rule, RuleProblem> {
    let context = ValidationContext {
        notifiers: config.map(Config::notifier_names),
    };
    let report = load_paths(&[path.to_path_buf()], &context);
    if !report.diagnostics.is_empty() {
        return Err(RuleProblem(format!(
            "{}\ninvalid: {} problems (run `trendwatch validate {}`)",
            render(&report.diagnostics),
            report.diagnostics.len(),
            path.display()
        )));
    }
    let names = || {
        report
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => report
            .rules
            .iter()
            .find(|r| r.name == name)
            .cloned()
            .ok_or_else(|| {
                RuleProblem(format!(
                    "{} has no rule named `{name}` (it has: {})",
                    path.display(),
                    names()
                ))
            }),
        None if report.rules.len() == 1 => Ok(report.rules[0].clone()),
        None if report.rules.is_empty() => {
            Err(RuleProblem(format!("{} holds no rule", path.display())))
        }
        None => Err(RuleProblem(format!(
            "{} holds {} rules ({}); pick one with --rule NAME",
            path.display(),
            report.rules.len(),
            names()
        ))),
    }
}

fn render(problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(Diagnostic::render)
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A time as users write it: RFC 3339 (`2026-11-19T08:00:00Z`), a UTC date
/// (`2026-11-19`), `now`, or `now-7d` / `now-90m` (units as in rules).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now);
    }
    if let Some(ago) = text.strip_prefix("now-") {
        let span: Duration = ago.parse().map_err(|error| format!("`{text}`: {error}"))?;
        let millis = span.as_millis_i64();
        return Ok(now - chrono::Duration::milliseconds(millis));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    Err(format!(
        "`{text}` is not a time: expected RFC 3339 (2026-11-19T08:00:00Z), a date \
         (2026-11-19), `now` or `now-7d`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_users_type() {
        let now: DateTime<Utc> = "2026-11-26T10:00:00Z".parse().unwrap();
        let parse = |text| parse_time(text, now).unwrap().to_rfc3339();
        assert_eq!(parse("now"), "2026-11-26T10:00:00+00:00");
        assert_eq!(parse("now-7d"), "2026-11-19T10:00:00+00:00");
        assert_eq!(parse("now-90m"), "2026-11-26T08:30:00+00:00");
        assert_eq!(parse("2026-11-19"), "2026-11-19T00:00:00+00:00");
        assert_eq!(
            parse("2026-11-19T08:00:00+01:00"),
            "2026-11-19T07:00:00+00:00"
        );
        let error = parse_time("yesterday", now).unwrap_err();
        assert!(error.contains("expected RFC 3339"), "{error}");
        assert!(
            parse_time("now-7x", now)
                .unwrap_err()
                .starts_with("`now-7x`")
        );
    }
}
