//! Reading rule files: directories, multi-document files, and turning YAML errors into
//! diagnostics with file, line, column and a hint. One bad document never hides the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Error as YamlError;

use super::diagnostic::Diagnostic;
use super::document::{RuleDocument, purpose_of_required};
use super::model::Rule;
use super::suggest;
use super::validate::{Checker, ValidationContext, rule_from_document};

/// Everything `load_paths` found: the valid rules and every problem, in file order.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub rules: Vec<Rule>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many rule files were read.
    pub files: usize,
}

impl LoadReport {
    pub fn is_valid(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Loads every rule under `paths`: files as given, directories searched recursively for
/// `*.yaml` and `*.yml` (in name order). Rule names must be unique across all files.
pub fn load_paths(paths: &[PathBuf], context: &ValidationContext) -> LoadReport {
    let mut report = LoadReport::default();
    for file in rule_files(paths, &mut report.diagnostics) {
        report.files += 1;
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let (rules, diagnostics) = parse_rules(&file, &text, context);
                report.rules.extend(rules);
                report.diagnostics.extend(diagnostics);
            }
            Err(error) => report.diagnostics.push(Diagnostic::for_file(
                &file,
                format!("cannot read rule file: {error}"),
            )),
        }
    }
    reject_duplicate_names(&mut report);
    report
}

fn rule_files(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_yaml_files(path, &mut files, diagnostics);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            diagnostics.push(Diagnostic::for_file(path, "no such file or directory"));
        }
    }
    files
}

fn collect_yaml_files(dir: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(Diagnostic::for_file(
                dir,
                format!("cannot read directory: {error}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_yaml_files(&path, files, diagnostics);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
}

fn reject_duplicate_names(report: &mut LoadReport) {
    let mut first_seen: BTreeMap<&str, &Rule> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for rule in &report.rules {
        if let Some(first) = first_seen.get(rule.name.as_str()) {
            duplicates.push(Diagnostic {
                file: rule.origin.file.clone(),
                line: rule.origin.line,
                column: 1,
                rule: Some(rule.name.clone()),
                message: format!(
                    "duplicate rule name `{}`; first defined at {}",
                    rule.name, first.origin
                ),
                hint: Some("rule names identify alerts and must be unique".to_string()),
                source_line: None,
            });
        } else {
            first_seen.insert(&rule.name, rule);
        }
    }
    if !duplicates.is_empty() {
        let duplicate_origins: Vec<_> = duplicates
            .iter()
            .map(|d| (d.file.clone(), d.line))
            .collect();
        report.rules.retain(|rule| {
            !duplicate_origins.contains(&(rule.origin.file.clone(), rule.origin.line))
        });
        report.diagnostics.extend(duplicates);
    }
}

/// Parses every rule document in `text` (documents separated by `---`).
pub fn parse_rules(
    file: &Path,
    text: &str,
    context: &ValidationContext,
) -> (Vec<Rule>, Vec<Diagnostic>) {
    let mut rules = Vec::new();
    let mut diagnostics = Vec::new();
    for document in split_documents(text) {
        let Some(start_line) = first_content_line(&document.text) else {
            continue;
        };
        let mut check = Checker {
            file,
            source: text,
            line_offset: document.line_offset,
            start_line,
            rule: None,
            diagnostics: Vec::new(),
        };
        match serde_saphyr::from_str::<Option<RuleDocument>>(&document.text) {
            Ok(Some(parsed)) => {
                if let Some(rule) = rule_from_document(parsed, &mut check, context) {
                    rules.push(rule);
                }
            }
            Ok(None) => {}
            Err(error) => report_yaml_error(&error, &mut check),
        }
        diagnostics.extend(check.diagnostics);
    }
    (rules, diagnostics)
}

/// One YAML document of a file and the number of lines before it.
struct DocumentText {
    line_offset: u64,
    text: String,
}

/// Splits on `---` document markers. The marker line stays in its document with the dashes
/// blanked, so line and column numbers inside each document match the file.
fn split_documents(text: &str) -> Vec<DocumentText> {
    let mut documents = Vec::new();
    let mut current = DocumentText {
        line_offset: 0,
        text: String::new(),
    };
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let is_marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if is_marker {
            documents.push(std::mem::replace(
                &mut current,
                DocumentText {
                    line_offset: index as u64,
                    text: String::new(),
                },
            ));
            current.text.push_str("   ");
            current.text.push_str(&line[3..]);
        } else {
            current.text.push_str(line);
        }
    }
    documents.push(current);
    documents
}

/// The first line (1-based) holding something other than blanks and comments.
fn first_content_line(text: &str) -> Option<u64> {
    text.lines()
        .position(|line| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
        .map(|index| index as u64 + 1)
}

fn report_yaml_error(error: &YamlError, check: &mut Checker<'_>) {
    let location = error.location().map(|l| (l.line(), l.column()));
    let (line, column) = location
        .filter(|(line, _)| *line > 0)
        .unwrap_or((check.start_line, 1));
    match error.without_snippet() {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let hint = suggest::hint_for_unknown(field, expected)
                .unwrap_or_else(|| format!("expected one of: {}", expected.join(", ")));
            check.report(line, column, format!("unknown field `{field}`"), Some(hint));
        }
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let hint = suggest::hint_for_unknown(variant, expected)
                .unwrap_or_else(|| format!("expected one of: {}", expected.join(", ")));
            check.report(
                line,
                column,
                format!("unknown value `{variant}`"),
                Some(hint),
            );
        }
        YamlError::SerdeMissingField { field, .. } => {
            let hint = purpose_of_required(field).map(str::to_string);
            // serde reports a missing key where the mapping ended; the mapping's start is clearer.
            let (line, column) =
                if matches!(*field, "name" | "index" | "metric" | "bucket" | "condition") {
                    (check.start_line, 1)
                } else {
                    (line, column)
                };
            check.report(
                line,
                column,
                format!("missing required field `{field}`"),
                hint,
            );
        }
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().unwrap_or("?");
            check.report(
                line,
                column,
                format!("duplicate key `{key}`"),
                Some("each key may appear once per mapping".to_string()),
            );
        }
        other => {
            let message = other.to_string();
            let suffix = format!(" at line {line}, column {column}");
            let message = message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string();
            check.report(line, column, friendlier(&message), None);
        }
    }
}

/// Rewords serde's internal type names into what a rule author wrote.
fn friendlier(message: &str) -> String {
    message
        .replace(
            "struct RuleDocument",
            "a rule (a mapping of `name`, `index`, `metric`, ...)",
        )
        .replace(
            "enum ConditionSpec",
            "a condition (`threshold`, `change`, `trend` or `absent`)",
        )
        .replace(
            "struct ThresholdSpec",
            "threshold settings such as `{ below: 100MB }`",
        )
        .replace(
            "struct TrendSpec",
            "trend settings such as `{ direction: down }`",
        )
        .replace(
            "struct ChangeSpec",
            "change settings such as `{ increase: 3x }`",
        )
        .replace(
            "struct ForecastSpec",
            "forecast settings such as `{ reaches: 0B, within: 48h }`",
        )
        .replace(
            "struct RatioSpec",
            "ratio settings such as `{ of: <filter> }`",
        )
        .replace(
            "expected sequence start",
            "expected a list such as `[a, b]`",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_file_line_numbers() {
        let documents = split_documents("a: 1\n---\nb: 2\n--- # third\nc: 3\n");
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[1].line_offset, 1);
        assert_eq!(documents[1].text, "   \nb: 2\n");
        assert_eq!(documents[2].line_offset, 3);
        assert_eq!(first_content_line(&documents[2].text), Some(2));
    }

    #[test]
    fn dashes_inside_values_are_not_markers() {
        assert_eq!(split_documents("a: ---\nb: '---'\n----\n").len(), 1);
    }
}
