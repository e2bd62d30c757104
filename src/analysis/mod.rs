//! Analysis: pure, deterministic functions from series to numbers and verdicts —
//! window reductions, thresholds, window comparisons, trends, forecasts. No I/O, no clock;
//! time is always passed in. Depends on nothing else in the crate.

pub mod change;
pub mod kendall;
mod key_order;
mod merge;
pub mod normal;
pub mod persistence;
mod sliding;
mod slope_search;
mod slopes;
pub mod trend;
mod verdict;
pub mod window;

pub use verdict::{Status, Verdict};

/// Input the analysis refuses rather than propagate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    #[error("value #{index} is not a finite number")]
    NonFinite { index: usize },
    #[error("{found} points are too few; at least {needed} are needed")]
    TooFewPoints { needed: usize, found: usize },
    #[error("{x} times but {y} values")]
    LengthMismatch { x: usize, y: usize },
    #[error("all points share one time, so no slope can be computed")]
    NoSlope,
}

/// Fewest points a trend is computed from.
pub const MIN_POINTS: usize = 4;

fn check_finite(values: &[f64]) -> Result<(), AnalysisError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AnalysisError::NonFinite { index }),
        None => Ok(()),
    }
}

fn check_enough(count: usize) -> Result<(), AnalysisError> {
    if count < MIN_POINTS {
        return Err(AnalysisError::TooFewPoints {
            needed: MIN_POINTS,
            found: count,
        });
    }
    Ok(())
}
