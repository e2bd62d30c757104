//! No config text makes the config loader panic, and no secret reaches a diagnostic: the
//! example `trendwatch.yaml` is mutated anywhere, and each of its secret references is
//! replaced by a value in every shape a person might paste (a literal, a broken reference,
//! a list, a map, a block scalar, an unterminated quote…) that carries a marker the
//! diagnostics must never show.

mod common;

use std::path::Path;

use common::damage::text_edit;
use common::secrets::{MARKER, pasted_secret};
use proptest::prelude::*;
use trendwatch::config::Config;

const EXAMPLE: &str = include_str!("../trendwatch.yaml");

/// Parses `text`; every diagnostic points into the file and says something. Returns the
/// rendered diagnostics.
fn diagnostics(text: &str) -> Vec<String> {
    match Config::parse(Path::new("trendwatch.yaml"), text) {
        Ok(_) => Vec::new(),
        Err(problems) => {
            assert!(!problems.is_empty(), "an error without a diagnostic");
            problems
                .iter()
                .map(|problem| {
                    assert_eq!(problem.file, Path::new("trendwatch.yaml"));
                    let rendered = problem.render();
                    assert!(!rendered.trim().is_empty());
                    rendered
                })
                .collect()
        }
    }
}

/// Where the example's secret references are, as byte ranges of the text.
fn secret_references() -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = EXAMPLE[from..].find("\"${").map(|at| from + at) {
        let end = start + EXAMPLE[start..].find("}\"").unwrap() + 2;
        found.push(start..end);
        from = end;
    }
    found
}

#[test]
fn the_example_config_is_valid_and_holds_secret_references() {
    assert_eq!(diagnostics(EXAMPLE), Vec::<String>::new());
    assert!(secret_references().len() >= 4);
}

proptest! {
    #![proptest_config(common::property_cases(1_000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        diagnostics(&text);
    }

    #[test]
    fn mutating_the_example_never_panics(edit in text_edit()) {
        diagnostics(&edit.apply(EXAMPLE));
    }

    #[test]
    fn a_pasted_secret_never_reaches_a_diagnostic(
        which in any::<prop::sample::Index>(),
        pasted in pasted_secret(),
    ) {
        let references = secret_references();
        let mut text = EXAMPLE.to_string();
        text.replace_range(which.get(&references).clone(), &pasted);
        for said in diagnostics(&text) {
            prop_assert!(!said.contains(MARKER), "{said}\nfrom:\n{pasted}");
        }
    }
}
