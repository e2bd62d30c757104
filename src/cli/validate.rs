//! `trendwatch validate`: checks rule files and the engine config and lists every problem,
//! as text for people or JSON for tools; with a cluster (`--es` or the config's source),
//! also every field the rules name. Exit 0 when all is valid, 1 when something is invalid,
//! 3 when the cluster could not be asked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::config::Config;
use crate::rules::{Diagnostic, ValidationContext, load_paths};

/// The config used when none is named, if it exists.
const DEFAULT_CONFIG: &str = "trendwatch.yaml";

pub fn run(
    paths: &[PathBuf],
    config: Option<&Path>,
    es: Option<&str>,
    offline: bool,
    as_json: bool,
) -> Result<ExitCode> {
    let config_path = config.map(Path::to_path_buf).or_else(|| {
        Path::new(DEFAULT_CONFIG)
            .exists()
            .then(|| PathBuf::from(DEFAULT_CONFIG))
    });
    let mut problems: Vec<Diagnostic> = Vec::new();
    let config = match &config_path {
        Some(path) => match Config::load(path) {
            Ok(config) => Some(config),
            Err(config_problems) => {
                problems.extend(config_problems);
                None
            }
        },
        None => None,
    };
    let context = ValidationContext {
        notifiers: config.as_ref().map(Config::notifier_names),
    };
    let paths = if !paths.is_empty() {
        paths.to_vec()
    } else if let Some(config) = &config {
        config.rules.clone()
    } else {
        vec![PathBuf::from("rules")]
    };
    let report = load_paths(&paths, &context);
    problems.extend(report.diagnostics);
    // `--es` asks for the field check: failing to reach the cluster is then an error (3).
    // A cluster that only comes from the config is checked when it can be reached, and
    // otherwise said to be unchecked, so `validate` keeps working in CI without access.
    let explicit = es.is_some();
    let mut fields_note = "fields not checked (no cluster: pass --es URL)".to_string();
    let mut fields_checked_on = None;
    let cluster = if offline {
        fields_note = "fields not checked (--offline)".to_string();
        None
    } else {
        match super::field_check::cluster_settings(es, config.as_ref()) {
            Ok(cluster) => cluster,
            Err(error) if !explicit => {
                fields_note = format!("fields not checked ({error:#})");
                None
            }
            Err(error) => return Err(error),
        }
    };
    if let Some(settings) = &cluster {
        let shown = settings.node_list();
        match super::field_check::check(&report.rules, settings) {
            Ok(field_problems) => {
                problems.extend(field_problems);
                fields_note = format!("fields checked on {shown}");
                fields_checked_on = Some(shown);
            }
            Err(error) if explicit => {
                eprintln!("error: {error:#}");
                return Ok(ExitCode::from(3));
            }
            Err(error) => fields_note = format!("fields not checked ({error:#})"),
        }
    }
    let valid = problems.is_empty();
    if as_json {
        let output = json!({
            "valid": valid,
            "files": report.files,
            "rules": report.rules.iter().map(|rule| json!({ "name": rule.name, "file": rule.origin.file, "line": rule.origin.line })).collect::<Vec<_>>(),
            "config": config_path,
            "notifiers_checked": context.notifiers.is_some(),
            "fields_checked_on": fields_checked_on,
            "problems": problems,
        });
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        for problem in &problems {
            println!("{}\n", problem.render());
        }
        let notifier_note = match (&config_path, &context.notifiers) {
            (Some(path), Some(_)) => format!("notifier names checked against {}", path.display()),
            (Some(path), None) => {
                format!("notifier names not checked: {} is invalid", path.display())
            }
            (None, _) => format!(
                "notifier names not checked: no config (pass --config or add ./{DEFAULT_CONFIG})"
            ),
        };
        let notifier_note = format!("{notifier_note}; {fields_note}");
        if valid {
            println!(
                "ok: {} rules in {} files are valid; {notifier_note}",
                report.rules.len(),
                report.files
            );
        } else {
            let files_with_problems = problems
                .iter()
                .map(|p| &p.file)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            println!(
                "invalid: {} problems in {files_with_problems} files; {} rules in {} files are valid; {notifier_note}",
                problems.len(),
                report.rules.len(),
                report.files
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
