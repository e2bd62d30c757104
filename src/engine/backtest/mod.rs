//! Backtest: replays a rule over a past range. The series of the whole range are read once
//! (module `range`), then the rule is judged at every instant its schedule would have run, on
//! exactly the buckets a live evaluation at that instant would have seen, and each group's
//! alert is stepped through the real lifecycle (`for`, `realert`, `keep_firing_for`).
//! Nothing is sent; silences are not applied (a backtest asks what the rule does).

mod range;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::evaluate::EvaluationError;
use super::judge::{judge, judge_status};
use crate::alerts::{AlertState, Event, LifecycleSettings, step};
use crate::analysis::trend::TrendHints;
use crate::analysis::{Status, Verdict};
use crate::query::{GroupKey, Series, TimeGrid, change_windows, empty_bucket_value, time_grid};
use crate::rules::Rule;
use crate::scheduler::runs;
use crate::source::Source;

pub use range::{RangeRead, read_range};

/// Why a backtest could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacktestError {
    #[error("the range must start ({from}) before it ends ({to})")]
    EmptyRange { from: String, to: String },
    #[error(
        "rule `{rule}` would not run between {from} and {to}: its schedule has no instant in that range"
    )]
    NoRun {
        rule: String,
        from: String,
        to: String,
    },
    #[error(
        "rule `{rule}` would run more than {most} times between {from} and {to}, more than a \
         backtest replays; shorten the range"
    )]
    TooManyRuns {
        rule: String,
        from: String,
        to: String,
        most: usize,
    },
    #[error(
        "rule `{rule}` would need {buckets} buckets per group between {from} and {to} (with its \
         lookback), more than the {most} a backtest reads; shorten the range"
    )]
    TooManyBuckets {
        rule: String,
        from: String,
        to: String,
        buckets: usize,
        most: usize,
    },
    #[error(
        "rule `{rule}` has more than {groups} groups of {buckets} buckets each over the range, \
         more than the {most} buckets a backtest holds in all; shorten the range or filter \
         fewer groups"
    )]
    TooMuchData {
        rule: String,
        groups: usize,
        buckets: usize,
        most: usize,
    },
    #[error(transparent)]
    Evaluation(#[from] EvaluationError),
}

/// The most instants one backtest replays: a year of a rule run every minute is 525,600.
pub const MOST_RUNS: usize = 1_000_000;
/// The most buckets one group's series may have over a backtest's range: about two years
/// of one-minute buckets, or nine of five-minute ones (24 MB per group).
pub const MOST_BUCKETS: usize = 1_000_000;
/// The most buckets all groups hold together (about 1.2 GB).
pub const MOST_CELLS: usize = 50_000_000;

/// One alert transition during the replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayEvent {
    pub at: DateTime<Utc>,
    pub event: Event,
    pub verdict: Verdict,
}

/// One group's replay.
#[derive(Debug, Clone)]
pub struct GroupReplay {
    pub group: GroupKey,
    /// The series over the whole range read (for charts).
    pub series: Series,
    pub events: Vec<ReplayEvent>,
    /// Instants at which the group had data and was judged.
    pub judged: usize,
    /// Instants the condition held.
    pub breached: usize,
    /// Notifications the rule would have sent (fired, reminders, resolved when asked).
    pub notifications: usize,
    /// Milliseconds spent firing within the range (to its end when still firing).
    pub firing_ms: i64,
    /// Still firing at the end of the range.
    pub firing_at_end: bool,
}

/// A whole backtest.
#[derive(Debug, Clone)]
pub struct Backtest {
    pub rule: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The grid read: from the first instant's look-back to the last instant's newest bucket.
    pub grid: TimeGrid,
    /// Searches sent: one unless the range exceeded the bucket budget.
    pub searches: usize,
    /// Instants the rule was judged at.
    pub instants: usize,
    pub groups: Vec<GroupReplay>,
}

impl Backtest {
    /// Notifications over all groups.
    pub fn notifications(&self) -> usize {
        self.groups.iter().map(|g| g.notifications).sum()
    }

    /// Notifications per 7 days of range.
    pub fn notifications_per_week(&self) -> f64 {
        let weeks = (self.to - self.from).num_milliseconds() as f64 / (7.0 * 86_400_000.0);
        if weeks > 0.0 {
            self.notifications() as f64 / weeks
        } else {
            0.0
        }
    }

    /// Every event of every group in time order, with its group.
    pub fn timeline(&self) -> Vec<(&GroupKey, &ReplayEvent)> {
        let mut all: Vec<(&GroupKey, &ReplayEvent)> = self
            .groups
            .iter()
            .flat_map(|g| g.events.iter().map(move |e| (&g.group, e)))
            .collect();
        all.sort_by(|a, b| a.1.at.cmp(&b.1.at).then_with(|| a.0.cmp(b.0)));
        all
    }
}

/// The instants `rule`'s schedule runs at in `[from, to]`.
pub fn instants(rule: &Rule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    instants_from(rule, from, to).collect()
}

/// [`instants`] one at a time, so a range too long to hold can be stopped early.
fn instants_from(
    rule: &Rule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    runs(&rule.schedule, from - chrono::Duration::milliseconds(1), to)
}

/// How far a backtest has got: judgements done out of the total (instants × groups, known
/// once the range is read). Shared with a progress display while it runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
}

/// Replays `rule` over `[from, to]` on `source`.
pub async fn backtest<S: Source>(
    rule: &Rule,
    source: &S,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Backtest, BacktestError> {
    backtest_with_progress(rule, source, from, to, &Progress::default()).await
}

/// [`backtest`], counting its judgements in `progress`.
pub async fn backtest_with_progress<S: Source>(
    rule: &Rule,
    source: &S,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    progress: &Progress,
) -> Result<Backtest, BacktestError> {
    if from >= to {
        return Err(BacktestError::EmptyRange {
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
        });
    }
    // Counted before anything is held: a range of centuries would not fit in memory.
    let instants: Vec<_> = instants_from(rule, from, to).take(MOST_RUNS + 1).collect();
    if instants.len() > MOST_RUNS {
        return Err(BacktestError::TooManyRuns {
            rule: rule.name.clone(),
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
            most: MOST_RUNS,
        });
    }
    let (Some(first), Some(last)) = (instants.first(), instants.last()) else {
        return Err(BacktestError::NoRun {
            rule: rule.name.clone(),
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
        });
    };
    let grid = TimeGrid {
        end_ms: time_grid(rule, *last).end_ms,
        ..time_grid(rule, *first)
    };
    if grid.len() > MOST_BUCKETS {
        return Err(BacktestError::TooManyBuckets {
            rule: rule.name.clone(),
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
            buckets: grid.len(),
            most: MOST_BUCKETS,
        });
    }
    let read = read_range(rule, source, grid).await?;
    progress
        .total
        .store(instants.len() * read.series.len(), Ordering::Relaxed);
    Ok(replay(rule, read, grid, &instants, from, to, progress))
}

/// Judges every instant on the series read and steps the alerts; pure. Groups are
/// independent (each has its own alert), so they are replayed on all cores.
pub fn replay(
    rule: &Rule,
    read: RangeRead,
    grid: TimeGrid,
    instants: &[DateTime<Utc>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    progress: &Progress,
) -> Backtest {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = read.series.len().div_ceil(threads).max(1);
    let mut series = read.series;
    let mut groups = Vec::with_capacity(series.len());
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        while !series.is_empty() {
            let rest = series.split_off(per_thread.min(series.len()));
            let chunk = std::mem::replace(&mut series, rest);
            workers.push(scope.spawn(move || {
                chunk
                    .into_iter()
                    .map(|series| replay_group(rule, series, instants, progress))
                    .collect::<Vec<_>>()
            }));
        }
        for worker in workers {
            match worker.join() {
                Ok(done) => groups.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    Backtest {
        rule: rule.name.clone(),
        from,
        to,
        grid,
        searches: read.searches,
        instants: instants.len(),
        groups,
    }
}

/// One group's alert through every instant.
fn replay_group(
    rule: &Rule,
    series: Series,
    instants: &[DateTime<Utc>],
    progress: &Progress,
) -> GroupReplay {
    let settings = LifecycleSettings::of(rule);
    let mut group = GroupReplay {
        group: series.group.clone(),
        series,
        events: Vec::new(),
        judged: 0,
        breached: 0,
        notifications: 0,
        firing_ms: 0,
        firing_at_end: false,
    };
    let mut state = AlertState::default();
    let mut hints = TrendHints::default();
    for at in instants {
        progress.done.fetch_add(1, Ordering::Relaxed);
        let now = at.timestamp_millis();
        let Some(view) = live_view(rule, &group.series, time_grid(rule, *at)) else {
            continue;
        };
        // Most instants change nothing: their status is all the lifecycle needs, and the
        // full verdict (the numbers its message shows) is worked out for events alone.
        let status = judge_status(rule, &view, &mut hints);
        group.judged += 1;
        group.breached += usize::from(status == Status::Breached);
        let (next, event) = step(state, status, now, settings);
        state = next;
        if let Some(event) = event {
            let verdict = judge(rule, &view);
            debug_assert_eq!(verdict.status, status, "rule `{}`", rule.name);
            group.notifications += usize::from(event.notifies());
            if let Event::Resolved { firing_since, .. } = event {
                group.firing_ms += now - firing_since;
            }
            group.events.push(ReplayEvent {
                at: *at,
                event,
                verdict,
            });
        }
    }
    if let (AlertState::Firing { since, .. }, Some(last)) = (state, instants.last()) {
        group.firing_ms += last.timestamp_millis() - since;
        group.firing_at_end = true;
    }
    group
}

/// What a live evaluation at an instant whose grid is `seen` would have read for this group:
/// the buckets of `seen` (for a change rule only those in its windows, the rest as a search
/// for the windows alone returns them), or `None` when the group had no documents there and
/// would not have appeared in the answer at all.
fn live_view(rule: &Rule, whole: &Series, seen: TimeGrid) -> Option<Series> {
    let offset = whole.grid.index_of(seen.start_ms)?;
    let end = offset.checked_add(seen.len())?;
    if end > whole.values.len() {
        return None;
    }
    let mut values = whole.values[offset..end].to_vec();
    let mut counts = whole.counts[offset..end].to_vec();
    let windows = change_windows(rule, seen.end_ms);
    if !windows.is_empty() {
        let empty = empty_bucket_value(&rule.metric);
        for (slot, (value, count)) in values.iter_mut().zip(counts.iter_mut()).enumerate() {
            let start = seen.start_ms + slot as i64 * seen.bucket_ms;
            let inside = windows
                .iter()
                .any(|(from, to)| start >= *from && start + seen.bucket_ms <= *to);
            if !inside {
                *value = empty;
                *count = 0;
            }
        }
    }
    let has_data = counts.iter().any(|c| *c > 0)
        || (!rule.metric.is_count() && values.iter().any(Option::is_some));
    has_data.then(|| Series {
        group: whole.group.clone(),
        grid: seen,
        values: values.into(),
        counts: counts.into(),
    })
}
