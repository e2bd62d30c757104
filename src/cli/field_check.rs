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
        let mut texts: BTreeMap<&std::path::Path, String> = BTreeMap::new();
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
            let found = check_fields(rule, caps);
            if found.is_empty() {
                continue;
            }
            // Read only for a rule with problems, to point at where it writes the field.
            let text = texts
                .entry(rule.origin.file.as_path())
                .or_insert_with(|| std::fs::read_to_string(&rule.origin.file).unwrap_or_default());
            for problem in found {
                let (line, column, source_line) = locate(text, rule.origin.line, &problem.field)
                    .unwrap_or((rule.origin.line, 1, None));
                problems.push(Diagnostic {
                    file: rule.origin.file.clone(),
                    line,
                    column,
                    rule: Some(rule.name.clone()),
                    message: problem.message,
                    hint: problem.hint,
                    source_line,
                });
            }
        }
        Ok(problems)
    })
}

/// Where `field` is first written in the rule that starts at line `from` of `text`: its
/// line, column and the line itself (for the caret display). `None` when it is not written
/// out (a default time field, say).
fn locate(text: &str, from: u64, field: &str) -> Option<(u64, u64, Option<String>)> {
    let skip = usize::try_from(from.saturating_sub(1)).unwrap_or(0);
    text.lines()
        .enumerate()
        .skip(skip)
        .find_map(|(index, line)| {
            if line.trim_start().starts_with('#') {
                return None;
            }
            let code = line.split(" #").next().unwrap_or(line);
            let column = code.find(field)?;
            let at = |n: usize| u64::try_from(n + 1).unwrap_or(u64::MAX);
            Some((at(index), at(column), Some(line.to_string())))
        })
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn a_field_is_found_where_the_rule_writes_it_not_in_comments() {
        let text = "name: a\nmetric: avg(x)\n---\n# uses free memory: system.free\nname: b\nmetric: min(system.free)  # system.free\n";
        assert_eq!(
            locate(text, 4, "system.free"),
            Some((
                6,
                13,
                Some("metric: min(system.free)  # system.free".to_string())
            ))
        );
        assert_eq!(locate(text, 4, "@timestamp"), None);
    }
}
