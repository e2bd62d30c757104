//! `validate` on 1,000 rule files (the four example rules, renamed, 250 times each),
//! against a baseline of only reading the same files, in the same process.
//! Target (issue "Foundation"): under 200 ms on one core.

use std::path::PathBuf;

use trendwatch::cli::demo::EXAMPLE_RULES;
use trendwatch::rules::{ValidationContext, load_paths};

fn main() {
    divan::main();
}

struct RuleTree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    files: Vec<PathBuf>,
}

fn rule_tree() -> RuleTree {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().to_path_buf();
    let mut files = Vec::new();
    for copy in 0..250 {
        for (path, text) in EXAMPLE_RULES {
            let stem = path.trim_start_matches("rules/").trim_end_matches(".yaml");
            let file = root.join(format!("{stem}-{copy:03}.yaml"));
            let renamed = text.replacen(
                &format!("name: {stem}"),
                &format!("name: {stem}-{copy:03}"),
                1,
            );
            std::fs::write(&file, renamed).expect("write rule file");
            files.push(file);
        }
    }
    RuleTree {
        _dir: dir,
        root,
        files,
    }
}

/// Baseline: reading the 1,000 files, nothing else.
#[divan::bench(sample_count = 20)]
fn read_1000_files(bencher: divan::Bencher) {
    let tree = rule_tree();
    bencher.bench(|| {
        tree.files
            .iter()
            .map(|file| std::fs::read_to_string(file).map(|t| t.len()).unwrap_or(0))
            .sum::<usize>()
    });
}

/// `trendwatch validate DIR`: find, read, parse, validate and cross-check every rule.
#[divan::bench(sample_count = 20)]
fn validate_1000_files(bencher: divan::Bencher) {
    let tree = rule_tree();
    let context = ValidationContext {
        notifiers: Some(
            ["oncall-email", "oncall-sms", "ops-email", "ops-slack"]
                .map(String::from)
                .into_iter()
                .collect(),
        ),
    };
    bencher.bench(|| {
        let report = load_paths(std::slice::from_ref(&tree.root), &context);
        assert_eq!((report.rules.len(), report.diagnostics.len()), (1_000, 0));
        report.rules.len()
    });
}
