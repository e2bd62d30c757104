//! `trendwatch backtest`: replays one rule over a past range (one search, then every
//! scheduled instant judged in memory through the alert lifecycle) and prints the timeline
//! of what would have fired and resolved, and a summary — as text or JSON.

use std::process::ExitCode;

use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::json;

use super::chart;
use super::data_source::{self, Prepared, SourceArgs};
use super::demo::group_name;
use crate::alerts::Event;
use crate::engine::backtest::{Backtest, BacktestError, Progress, backtest_with_progress};
use crate::humanize;

/// What `backtest` was asked.
pub struct BacktestOptions {
    pub rule_file: std::path::PathBuf,
    pub rule_name: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub source: SourceArgs,
    pub as_json: bool,
    /// Where to draw the chart (`.svg` or `.html`).
    pub chart: Option<std::path::PathBuf>,
}

/// Exit codes: 0 done, 2 the rule (or a time) is invalid, 3 the data could not be read.
pub fn run(options: &BacktestOptions) -> Result<ExitCode> {
    let chart = match options
        .chart
        .as_deref()
        .map(|path| ChartKind::of(path).map(|kind| (path, kind)))
    {
        Some(Err(message)) => return usage(&message),
        Some(Ok(chart)) => Some(chart),
        None => None,
    };
    let Prepared {
        config: _,
        rule,
        source,
    } = match data_source::prepare(
        &options.rule_file,
        options.rule_name.as_deref(),
        &options.source,
    )? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    // Loaded files end where their newest document is; a cluster's data runs to now.
    let end = source.data_end().unwrap_or_else(Utc::now);
    let parse = |text: &Option<String>, default: DateTime<Utc>| match text {
        Some(text) => data_source::parse_time(text, end),
        None => Ok(default),
    };
    let to = match parse(&options.to, end) {
        Ok(to) => to,
        Err(error) => return usage(&format!("--to {error}")),
    };
    let default_from = source
        .data_start()
        .map_or(to - TimeDelta::days(7), |start| {
            start.max(to - TimeDelta::days(7))
        });
    let from = match parse(&options.from, default_from) {
        Ok(from) => from,
        Err(error) => return usage(&format!("--from {error}")),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let progress = Progress::default();
    let finished = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        let shown = scope.spawn(|| show_progress(&progress, &finished, &rule.name));
        let result = runtime.block_on(backtest_with_progress(&rule, &source, from, to, &progress));
        // Whatever happened, the display stops.
        finished.store(true, Ordering::Relaxed);
        let _ = shown.join();
        result
    });
    let elapsed = started.elapsed();
    let replay = match result {
        Ok(replay) => replay,
        Err(
            error @ (BacktestError::EmptyRange { .. }
            | BacktestError::NoRun { .. }
            | BacktestError::TooManyRuns { .. }
            | BacktestError::TooManyBuckets { .. }
            | BacktestError::TooMuchData { .. }),
        ) => {
            return usage(&error.to_string());
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(3));
        }
    };
    if let Some((path, kind)) = chart {
        let drawing = match kind {
            ChartKind::Svg => chart::svg(&replay, &rule),
            ChartKind::Html => chart::html(&replay, &rule),
        };
        std::fs::write(path, drawing)
            .with_context(|| format!("writing the chart to {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    if options.as_json {
        println!("{}", serde_json::to_string_pretty(&as_json(&replay))?);
    } else {
        print!(
            "{}",
            as_text(&replay, &rule.origin.to_string(), source.describe())
        );
        println!("done in {:.2} s", elapsed.as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// The chart formats, told by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChartKind {
    Svg,
    Html,
}

impl ChartKind {
    fn of(path: &std::path::Path) -> Result<ChartKind, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("svg") => Ok(ChartKind::Svg),
            Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm") => {
                Ok(ChartKind::Html)
            }
            _ => Err(format!(
                "--chart {}: the file must end in .svg or .html",
                path.display()
            )),
        }
    }
}

/// A progress bar on stderr, drawn only on a terminal and only once a run has lasted a
/// second, until `finished` is set.
fn show_progress(progress: &Progress, finished: &AtomicBool, rule: &str) {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    let started = std::time::Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    while !finished.load(Ordering::Relaxed) {
        let total = progress.total.load(Ordering::Relaxed);
        if total > 0 && started.elapsed() >= std::time::Duration::from_secs(1) {
            let bar = bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:40}] {percent}% ({eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_message(format!("replaying {rule}"));
                bar
            });
            bar.set_position(progress.done.load(Ordering::Relaxed) as u64);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn usage(message: &str) -> Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(2))
}

/// The timeline and the summary, for people.
pub fn as_text(replay: &Backtest, origin: &str, source: &str) -> String {
    let minute = |at: DateTime<Utc>| at.format("%Y-%m-%d %H:%M").to_string();
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("backtest {} ({origin}) on {source}", replay.rule));
    line(format!(
        "{} → {} UTC: judged at {} instants from {} search{}, {} groups",
        minute(replay.from),
        minute(replay.to),
        replay.instants,
        replay.searches,
        if replay.searches == 1 { "" } else { "es" },
        replay.groups.len()
    ));
    line(String::new());
    let timeline = replay.timeline();
    let mut shown = 0;
    for (group, event) in &timeline {
        let label = match event.event {
            Event::Fired => "FIRED",
            Event::Reminded => "reminded",
            Event::Resolved { .. } => "RESOLVED",
            Event::Pending | Event::PendingCancelled => continue,
        };
        shown += 1;
        line(format!(
            "{}  {label:<9} {:<12} {}",
            minute(event.at),
            group_name(&group.0),
            event.verdict.explanation
        ));
    }
    if shown == 0 {
        line("nothing would have fired".to_string());
    }
    line(String::new());
    let range_ms = (replay.to - replay.from).num_milliseconds().max(1) as f64;
    line(format!(
        "notifications  {} ({} per week)",
        replay.notifications(),
        humanize::number(replay.notifications_per_week())
    ));
    let mut quiet = Vec::new();
    for group in &replay.groups {
        let fired = group
            .events
            .iter()
            .filter(|e| e.event == Event::Fired)
            .count();
        if fired == 0 {
            quiet.push(group_name(&group.group.0));
            continue;
        }
        let still = if group.firing_at_end {
            ", still firing at the end"
        } else {
            ""
        };
        line(format!(
            "{:<14} fired {fired}×, {} notifications, firing {} ({} of the range){still}",
            group_name(&group.group.0),
            group.notifications,
            humanize::duration_secs(group.firing_ms as f64 / 1000.0),
            humanize::percent(group.firing_ms as f64 / range_ms)
        ));
    }
    if !quiet.is_empty() {
        line(format!("{:<14} {}", "quiet", quiet.join(", ")));
    }
    let no_data: Vec<String> = replay
        .groups
        .iter()
        .filter(|g| g.judged == 0)
        .map(|g| group_name(&g.group.0))
        .collect();
    if !no_data.is_empty() {
        line(format!(
            "{:<14} {} (data in the range, but never in a window the rule judged)",
            "never judged",
            no_data.join(", ")
        ));
    }
    out
}

/// Everything, for tools.
pub fn as_json(replay: &Backtest) -> serde_json::Value {
    json!({
        "rule": replay.rule,
        "from": replay.from,
        "to": replay.to,
        "searches": replay.searches,
        "instants": replay.instants,
        "notifications": replay.notifications(),
        "notifications_per_week": replay.notifications_per_week(),
        "groups": replay.groups.iter().map(|group| json!({
            "group": group.group.labels(),
            "judged": group.judged,
            "breached": group.breached,
            "notifications": group.notifications,
            "firing_seconds": group.firing_ms as f64 / 1000.0,
            "firing_at_end": group.firing_at_end,
            "events": group.events,
        })).collect::<Vec<_>>(),
    })
}
