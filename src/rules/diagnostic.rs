//! A problem found in a rule file, pinned to its file, line and column.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// One problem in one rule file. `line` and `column` are 1-based; 0 means the whole file
/// (it could not be read, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
    /// The rule's name, when the document got far enough to have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The text of the line the problem is on, for a caret display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A YAML or shape error (serde-saphyr's), at its line and column, with a "did you
    /// mean" for a misspelt key.
    pub fn from_yaml(path: &std::path::Path, error: &serde_saphyr::Error) -> Diagnostic {
        let (line, column) = error
            .location()
            .map_or((0, 0), |location| (location.line(), location.column()));
        let message = error.without_snippet().to_string();
        let suffix = format!(" at line {line}, column {column}");
        let message = message
            .strip_suffix(&suffix)
            .unwrap_or(&message)
            .to_string();
        let hint = match error.without_snippet() {
            serde_saphyr::Error::SerdeUnknownField {
                field, expected, ..
            }
            | serde_saphyr::Error::SerdeUnknownVariant {
                variant: field,
                expected,
                ..
            } => crate::rules::closest(field, expected.iter().copied())
                .map(|near| format!("did you mean `{near}`?")),
            _ => None,
        };
        Diagnostic {
            file: path.to_path_buf(),
            line,
            column,
            rule: None,
            message,
            hint,
            source_line: None,
        }
    }

    /// A diagnostic about a whole file (unreadable, not UTF-8, ...).
    pub fn for_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: 0,
            column: 0,
            rule: None,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// `file:line:col: message`, then the source line with a caret and the hint.
    pub fn render(&self) -> String {
        let mut out = self.to_string();
        if let Some(source) = &self.source_line
            && self.column > 0
        {
            let gutter = self.line.to_string().len();
            let caret_pad: String = source
                .chars()
                .take(usize::try_from(self.column - 1).unwrap_or(0))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {caret_pad}^",
                "", self.line, source, ""
            ));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  hint: {hint}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}
