//! The cluster half of `validate`: asks `_field_caps` once per index pattern and turns
//! each field problem into a diagnostic on the rule that names the field.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::config::{Config, SourceConfig};
use crate::query::check_fields;
use crate::rules::{Diagnostic, Rule};
use crate::source::elasticsearch::{ElasticsearchSource, Settings};

/// The cluster fields are checked against: `--es URL`, else the config's Elasticsearch
/// source; `None` when there is none (the embedded store's fields are its files').
pub fn cluster_settings(es: Option<&str>, config: Option<&Config>) -> Result<Option<Settings>> {
    if let Some(url) = es {
        return Ok(Some(
            Settings::for_url(url).with_context(|| format!("--es {url}"))?,
        ));
    }
    match config.map(|c| &c.source) {
        Some(SourceConfig::Elasticsearch(es)) => Ok(Some(
            Settings::from_config(es).context("the config's `source.elasticsearch`")?,
        )),
        _ => Ok(None),
    }
}

/// Checks every rule's fields on the cluster. An `Err` means the cluster could not be
/// asked (the rules' fields are then unchecked, which is not the same as wrong).
pub fn check(rules: &[Rule], settings: &Settings) -> Result<Vec<Diagnostic>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let source = ElasticsearchSource::new(settings)?;
        let mut caps_by_index: BTreeMap<&str, Value> = BTreeMap::new();
        let mut problems = Vec::new();
        for rule in rules {
            if !caps_by_index.contains_key(rule.index.as_str()) {
                let caps = source
                    .field_caps(&rule.index, &["*".to_string()])
                    .await
                    .with_context(|| {
                        format!("asking the cluster for the fields of `{}`", rule.index)
                    })?;
                caps_by_index.insert(&rule.index, caps);
            }
            let caps = &caps_by_index[rule.index.as_str()];
            problems.extend(
                check_fields(rule, caps)
                    .into_iter()
                    .map(|problem| Diagnostic {
                        file: rule.origin.file.clone(),
                        line: rule.origin.line,
                        column: 1,
                        rule: Some(rule.name.clone()),
                        message: problem.message,
                        hint: problem.hint,
                        source_line: None,
                    }),
            );
        }
        Ok(problems)
    })
}
