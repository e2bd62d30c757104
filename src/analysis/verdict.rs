//! The verdict on one group: whether the condition holds, and the numbers a message needs.

use serde::Serialize;

/// Whether the condition holds for a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Breached,
    Ok,
    /// Not enough data to judge (empty window, too few points, below a volume floor).
    NoData,
}

/// One group's verdict. Rates are per second in the metric's unit; times in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub status: Status,
    /// The value judged: the window's value, or the fitted line's value now for trends.
    pub value: Option<f64>,
    /// What the value was compared with (the bound, or the baseline window's value).
    pub baseline: Option<f64>,
    /// `value / baseline` for change conditions.
    pub change: Option<f64>,
    pub slope_per_second: Option<f64>,
    /// The slope's confidence interval (per second), for a significant trend.
    pub slope_interval: Option<(f64, f64)>,
    pub p_value: Option<f64>,
    /// Seconds until the fitted line reaches the forecast bound.
    pub time_to_bound: Option<f64>,
    /// The earliest and latest crossing the slope's interval allows, in seconds; the latest
    /// is `None` when the interval allows a line that never gets there.
    pub time_to_bound_range: Option<(f64, Option<f64>)>,
    /// Seconds of data the verdict judged: the window, or the lookback of a trend.
    pub span_seconds: Option<f64>,
    /// The verdict in plain words: "falling 2.1 GB/day, empty in ~31 h".
    pub explanation: String,
}

impl Verdict {
    pub fn new(status: Status, explanation: impl Into<String>) -> Self {
        Verdict {
            status,
            value: None,
            baseline: None,
            change: None,
            slope_per_second: None,
            slope_interval: None,
            p_value: None,
            time_to_bound: None,
            time_to_bound_range: None,
            span_seconds: None,
            explanation: explanation.into(),
        }
    }

    pub fn is_breached(&self) -> bool {
        self.status == Status::Breached
    }
}
