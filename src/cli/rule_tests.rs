//! `trendwatch test`: runs rule unit test files (`*.test.yaml`) and reports each test as
//! passed or failed with expected vs got. Exit 0 when all pass, 1 when a test fails, 2 when
//! a test file cannot be run (its problems are listed; the other files still run).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::ruletest::run_file;

pub fn run(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = test_files(paths);
    if files.is_empty() {
        eprintln!("error: no test files (*.test.yaml) in the paths given");
        return Ok(ExitCode::from(2));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for file in &files {
        match runtime.block_on(run_file(file)) {
            Ok(outcomes) => {
                for outcome in outcomes {
                    if outcome.failures.is_empty() {
                        passed += 1;
                        println!("ok    {}: {}", file.display(), outcome.name);
                    } else {
                        failed += 1;
                        println!("FAIL  {}: {}", file.display(), outcome.name);
                        for failure in &outcome.failures {
                            println!("      {failure}");
                        }
                    }
                }
            }
            Err(error) => {
                broken += 1;
                println!("ERROR {}:\n{error}", file.display());
            }
        }
    }
    println!(
        "\n{} tests: {passed} passed, {failed} failed{}",
        passed + failed,
        if broken > 0 {
            format!("; {broken} test files could not be run")
        } else {
            String::new()
        }
    );
    Ok(if broken > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The files given, and the `*.test.yaml` files under the directories given, sorted.
fn test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files);
        } else {
            files.push(path.clone());
        }
    }
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    found.sort();
    for path in found {
        if path.is_dir() {
            collect(&path, files);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
        {
            files.push(path);
        }
    }
}
