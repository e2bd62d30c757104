//! `trendwatch rules import-elastalert`: converts ElastAlert 2 rule files, printing the
//! trendwatch rules (or writing one file per rule) and saying for every rule what could
//! not be carried over and why. Exit 0 when every rule converted, 1 when some could not be,
//! 2 when a file could not be read as an ElastAlert rule.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::import::elastalert::{Conversion, convert};

pub fn import_elastalert(files: &[PathBuf], out_dir: Option<&Path>) -> Result<ExitCode> {
    let (mut converted, mut refused, mut unreadable) = (0, 0, 0);
    let mut documents = Vec::new();
    for file in files {
        let outcome = std::fs::read_to_string(file)
            .map_err(|error| format!("cannot read: {error}"))
            .and_then(|text| convert(&text));
        match outcome {
            Err(reason) => {
                unreadable += 1;
                eprintln!("error: {}: {reason}", file.display());
            }
            Ok(Conversion::NotConvertible { name, reason }) => {
                refused += 1;
                eprintln!("not converted: {} (`{name}`): {reason}", file.display());
            }
            Ok(Conversion::Converted(rules)) => {
                for rule in rules {
                    converted += 1;
                    let notes = if rule.notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} notes in the file)", rule.notes.len())
                    };
                    eprintln!("converted: {} → {}{notes}", file.display(), rule.name);
                    documents.push(rule);
                }
            }
        }
    }
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for rule in &documents {
                let path = dir.join(format!("{}.yaml", rule.name));
                std::fs::write(&path, &rule.yaml)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        None => {
            let joined: Vec<&str> = documents.iter().map(|rule| rule.yaml.as_str()).collect();
            print!("{}", joined.join("---\n"));
        }
    }
    eprintln!(
        "{converted} trendwatch rules from {} files; {refused} rules not convertible, {unreadable} files unreadable{}",
        files.len(),
        if converted > 0 {
            "; check them with `trendwatch validate` and try them with `trendwatch backtest`"
        } else {
            ""
        }
    );
    Ok(if unreadable > 0 {
        ExitCode::from(2)
    } else if refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
