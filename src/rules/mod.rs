//! Rules: the rule model, YAML loading and validation with file:line:col diagnostics,
//! and the units rules are written in. Depends on nothing else in the crate.

mod diagnostic;
mod document;
mod load;
mod model;
mod suggest;
pub mod units;
mod validate;

pub use diagnostic::Diagnostic;
pub use load::{LoadReport, load_paths, parse_rules};
pub use model::*;
pub use suggest::closest;
pub use units::{Duration, Quantity, Rate, Unit};
pub use validate::{FILTER_CLAUSES, MIN_TREND_POINTS, ValidationContext};

/// The one rule `text` defines, which must be valid (for unit tests elsewhere in the crate).
#[cfg(test)]
pub(crate) fn parse_one(text: &str) -> Rule {
    let (mut rules, problems) = parse_rules(
        std::path::Path::new("test.yaml"),
        text,
        &ValidationContext::default(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rules.len(), 1, "{text}");
    rules.remove(0)
}
