//! Trend: the Theil–Sen line with Sen's confidence interval for its slope, the trend test
//! (Mann–Kendall, corrected for autocorrelation), and the forecast of when the line
//! crosses a bound, with its uncertainty.
//!
//! - **Theil–Sen** (Theil 1950, Sen 1968): the slope is the median of the pairwise slopes
//!   `(y_j − y_i)/(x_j − x_i)`; the intercept is Conover's `median(y) − slope·median(x)`.
//!   Its breakdown point is about 29 %: that many arbitrary outliers cannot drag it far.
//!   Computed by slope selection in expected O(n log n) (modules `analysis::slopes` and
//!   `analysis::slope_search`); `analyze` keeps one search per series, so Sen's interval
//!   continues from where the median was found.
//! - **Sen's interval** (Sen 1968, eq. 2.6): with `N` slopes sorted and
//!   `σ² = Var(S)` of the Mann–Kendall test (ties in x and y removed), the bounds are the
//!   slopes of rank `round((N − z·σ)/2)` and `round((N + z·σ)/2) + 1` (1-based), as in
//!   `scipy.stats.theilslopes`.
//! - **Seasonal** variants (Hirsch, Slack & Smith 1982): only points in the same season
//!   (the same time of day, when the season is a day) are paired. A daily cycle, or a disk
//!   that log rotation frees every night at 03:00 but that still fills, then shows its
//!   day-over-day change and nothing of the cycle.

use super::kendall::{self, MannKendall};
pub use super::sliding::SlidingScore;
use super::slope_search::SlopeSearch;
use super::slopes;
pub use super::slopes::Bracket;
use super::window::median_in_place;
use super::{AnalysisError, check_enough, check_finite, normal};

/// The Theil–Sen line and Sen's confidence interval for its slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheilSen {
    /// Median of `(y_j − y_i)/(x_j − x_i)` over pairs with `x_i < x_j`.
    pub slope: f64,
    /// `median(y) − slope·median(x)` (Conover's estimator, scipy's default).
    pub intercept: f64,
    pub slope_low: f64,
    pub slope_high: f64,
}

/// Fits the Theil–Sen line through `(x, y)`, with a confidence interval at `confidence`
/// (e.g. 0.95) computed as in Sen (1968), eq. 2.6 — the method of `scipy.stats.theilslopes`.
pub fn theil_sen(x: &[f64], y: &[f64], confidence: f64) -> Result<TheilSen, AnalysisError> {
    let mut points = Points::new(x, y)?;
    let slope = points.median_slope(&mut None);
    let (slope_low, slope_high) = points.interval(x, y, confidence, None);
    Ok(TheilSen {
        slope,
        intercept: conover_intercept(x, y, slope),
        slope_low,
        slope_high,
    })
}

/// Sen's confidence interval alone, for when the slope is already known.
pub fn sen_interval(x: &[f64], y: &[f64], confidence: f64) -> Result<(f64, f64), AnalysisError> {
    sen_interval_given(x, y, confidence, None)
}

/// [`sen_interval`], given the Mann–Kendall test's `Var(S)` of `y` when it is known
/// ([`MannKendall::variance`], before any inflation): with no ties in `x` it is σ² itself.
fn sen_interval_given(
    x: &[f64],
    y: &[f64],
    confidence: f64,
    y_variance: Option<f64>,
) -> Result<(f64, f64), AnalysisError> {
    Ok(Points::new(x, y)?.interval(x, y, confidence, y_variance))
}

/// `z·σ` of Sen (1968) eq. 2.6: σ² is Var(S) with the ties in `x` and in `y` removed.
/// `y_variance`, when given, is `Var(S)` with the ties in `y` removed; strictly increasing
/// `x` (`increasing`) has no ties to remove besides, so it is σ² (the very same arithmetic).
fn sen_spread(
    x: &[f64],
    y: &[f64],
    increasing: bool,
    confidence: f64,
    y_variance: Option<f64>,
) -> f64 {
    let z = normal::quantile((1.0 - confidence) / 2.0).abs();
    let variance = match y_variance {
        Some(variance) if increasing => variance,
        _ => {
            let x_ties = if increasing {
                0.0
            } else {
                kendall::ties(x).term
            };
            let y_ties = kendall::ties(y).term;
            ((kendall::variance_term(x.len() as f64) - x_ties - y_ties) / 18.0).max(0.0)
        }
    };
    z * variance.sqrt()
}

/// The Theil–Sen slope alone (the median of the pairwise slopes), without the interval.
pub fn sen_slope(x: &[f64], y: &[f64]) -> Result<f64, AnalysisError> {
    sen_slope_near(x, y, &mut None)
}

/// [`sen_slope`], looking first in `hint` (where the same series' median slope was found a
/// step earlier) and leaving there where to look next time. Same answer, found sooner.
pub fn sen_slope_near(
    x: &[f64],
    y: &[f64],
    hint: &mut Option<Bracket>,
) -> Result<f64, AnalysisError> {
    Ok(Points::new(x, y)?.median_slope(hint))
}

/// What is carried from one call to the next for a caller that judges the same series
/// again a few buckets later (a backtest): the test's score, updated from the points that
/// changed, and where the slope was found, to search there first. Answers never depend on
/// the hints, only how fast they come.
#[derive(Debug, Clone, Default)]
pub struct TrendHints {
    /// The median slope of the whole series.
    pub slope: Option<Bracket>,
    /// The Mann–Kendall score of the whole series.
    pub score: SlidingScore,
    /// The Mann–Kendall scores of its first and second half
    /// ([`super::persistence::halves_head`]).
    pub halves: [SlidingScore; 2],
}

/// The 0-based ranks of the median: one rank twice for an odd count, the middle pair else.
pub(super) fn median_ranks(count: usize) -> (usize, usize) {
    ((count - 1) / 2, count / 2)
}

/// Sen's 0-based interval ranks among `count` sorted slopes, `spread = z·σ`.
fn interval_ranks(count: usize, spread: f64) -> (usize, usize) {
    let last = count - 1;
    let upper = (((count as f64 + spread) / 2.0).round() as usize).min(last);
    let lower = ((((count as f64 - spread) / 2.0).round() as i64) - 1).max(0) as usize;
    (lower.min(last), upper)
}

fn conover_intercept(x: &[f64], y: &[f64], slope: f64) -> f64 {
    let median_y = median_in_place(&mut y.to_vec()).unwrap_or(0.0);
    let median_x = sorted_median(x)
        .or_else(|| median_in_place(&mut x.to_vec()))
        .unwrap_or(0.0);
    median_y - slope * median_x
}

/// The median of values already in increasing order, computed as [`median_in_place`]
/// computes it; `None` when they are not in order (or there are none).
fn sorted_median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || !values.windows(2).all(|w| w[0] <= w[1]) {
        return None;
    }
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Validated points, scaled by powers of two (exactly) so no difference can overflow, and
/// the search for their slopes' order statistics, which keeps what it learns from one
/// selection to the next (the median, then Sen's interval).
struct Points {
    x: Vec<f64>,
    y: Vec<f64>,
    /// Multiplies a slope of the scaled points back to the caller's units.
    unscale: f64,
    increasing: bool,
    /// Pairs with different `x` (only those have a slope).
    slope_count: usize,
    search: Option<SlopeSearch>,
}

impl Points {
    fn new(x: &[f64], y: &[f64]) -> Result<Self, AnalysisError> {
        if x.len() != y.len() {
            return Err(AnalysisError::LengthMismatch {
                x: x.len(),
                y: y.len(),
            });
        }
        check_finite(x)?;
        check_finite(y)?;
        check_enough(x.len())?;
        let (x_scale, y_scale) = (overflow_guard(x), overflow_guard(y));
        let increasing = x.windows(2).all(|w| w[0] < w[1]);
        let slope_count = slope_count(x, increasing);
        if slope_count == 0 {
            return Err(AnalysisError::NoSlope);
        }
        let (x, y): (Vec<f64>, Vec<f64>) = (
            x.iter().map(|v| v * x_scale).collect(),
            y.iter().map(|v| v * y_scale).collect(),
        );
        let search = if increasing {
            slopes::search_for(&x, &y)
        } else {
            None
        };
        Ok(Points {
            x,
            y,
            unscale: x_scale / y_scale,
            increasing,
            slope_count,
            search,
        })
    }

    /// The median slope, looked for first in `hint` ([`sen_slope_near`]).
    fn median_slope(&mut self, hint: &mut Option<Bracket>) -> f64 {
        let middle = median_ranks(self.slope_count);
        let found = self.select_near(&[middle.0, middle.1], hint);
        (found[0] + found[1]) / 2.0
    }

    /// Sen's interval of the points `x`, `y` (in the caller's units) at `confidence`
    /// ([`sen_interval_given`]).
    fn interval(
        &mut self,
        x: &[f64],
        y: &[f64],
        confidence: f64,
        y_variance: Option<f64>,
    ) -> (f64, f64) {
        let count = self.slope_count;
        let spread = sen_spread(x, y, self.increasing, confidence, y_variance);
        let (lower, upper) = interval_ranks(count, spread);
        let found = self.select(&[lower, upper]);
        (found[0], found[1])
    }

    fn select(&mut self, ranks: &[usize]) -> Vec<f64> {
        self.select_near(ranks, &mut None)
    }

    /// [`Self::select`], trying `hint` (in the caller's units) first and replacing it with
    /// where to look next time.
    fn select_near(&mut self, ranks: &[usize], hint: &mut Option<Bracket>) -> Vec<f64> {
        if !self.increasing {
            *hint = None;
            let found = self.select_unordered(ranks);
            return found.into_iter().map(|s| s * self.unscale).collect();
        }
        let guess = hint.map(|b| Bracket {
            lo: b.lo / self.unscale,
            hi: b.hi / self.unscale,
        });
        let found = slopes::select_with(self.search.as_mut(), &self.x, &self.y, ranks, guess);
        *hint = found.next.map(|b| Bracket {
            lo: b.lo * self.unscale,
            hi: b.hi * self.unscale,
        });
        found.values.into_iter().map(|s| s * self.unscale).collect()
    }

    /// Unsorted or tied `x`: every slope of a pair with different `x`.
    fn select_unordered(&self, ranks: &[usize]) -> Vec<f64> {
        let (x, y) = (&self.x, &self.y);
        let mut all = Vec::with_capacity(self.slope_count);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                if x[i] != x[j] {
                    all.push((y[j] - y[i]) / (x[j] - x[i]));
                }
            }
        }
        ranks
            .iter()
            .map(|&rank| super::window::order_statistic(&mut all, rank))
            .collect()
    }
}

/// Pairs of points with different `x` (only those have a slope); `increasing` says `x`
/// strictly increases, so no two are equal.
fn slope_count(x: &[f64], increasing: bool) -> usize {
    let n = x.len();
    if increasing {
        return n * (n - 1) / 2;
    }
    n * (n - 1) / 2 - kendall::ties(x).pairs as usize
}

/// A power of two that brings the largest magnitude to at most 2^500 (1 when already
/// there): multiplying by it is exact, and differences of scaled values cannot overflow.
fn overflow_guard(values: &[f64]) -> f64 {
    let largest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if largest <= 2f64.powi(500) {
        return 1.0;
    }
    2f64.powi(500 - largest.log2().ceil() as i32)
}

/// The seasonal Theil–Sen line: the median of the slopes of pairs in the same season, with
/// Sen's interval from the seasonal Kendall variance. `seasons` holds each season's points
/// as `(x, y)` in time order. The intercept is Conover's over all points.
pub fn seasonal_theil_sen(
    seasons: &[(Vec<f64>, Vec<f64>)],
    confidence: f64,
) -> Result<TheilSen, AnalysisError> {
    let mut all = Vec::new();
    let mut variance = 0.0;
    let (mut all_x, mut all_y) = (Vec::new(), Vec::new());
    for (x, y) in seasons {
        check_finite(x)?;
        check_finite(y)?;
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                if x[i] != x[j] {
                    all.push((y[j] - y[i]) / (x[j] - x[i]));
                }
            }
        }
        if x.len() > 1 {
            variance += kendall::variance(x.len(), kendall::ties(y).term);
        }
        all_x.extend_from_slice(x);
        all_y.extend_from_slice(y);
    }
    check_enough(all_x.len())?;
    if all.is_empty() {
        return Err(AnalysisError::NoSlope);
    }
    if let Some(index) = all.iter().position(|s| !s.is_finite()) {
        return Err(AnalysisError::NonFinite { index });
    }
    let count = all.len();
    let z = normal::quantile((1.0 - confidence) / 2.0).abs();
    let (lower, upper) = interval_ranks(count, z * variance.sqrt());
    let middle = median_ranks(count);
    let mut pick = |rank| super::window::order_statistic(&mut all, rank);
    let slope = (pick(middle.0) + pick(middle.1)) / 2.0;
    let (slope_low, slope_high) = (pick(lower), pick(upper));
    Ok(TheilSen {
        slope,
        intercept: conover_intercept(&all_x, &all_y, slope),
        slope_low,
        slope_high,
    })
}

/// What a trend analysis is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendQuestion {
    /// `Some(true)` when a rise is the bad direction, `Some(false)` for a fall, `None` when
    /// both count.
    pub rising_is_bad: Option<bool>,
    /// The test's significance level α (e.g. 0.05).
    pub significance: f64,
    /// The confidence of the slope's interval (e.g. 0.95).
    pub confidence: f64,
    /// Whether to work out that interval for a bad trend. It changes no decision, only the
    /// forecast's range, so a caller that needs the status alone skips it.
    pub interval: bool,
}

/// The outcome of [`analyze`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendAnalysis {
    /// The test, with `Var(S)` inflated for autocorrelation when that could matter.
    pub test: MannKendall,
    /// The Theil–Sen line; `None` when the test alone already ruled out a significant trend
    /// in the bad direction, so the line was not worth computing.
    pub line: Option<FittedLine>,
}

/// A fitted trend line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FittedLine {
    pub slope: f64,
    /// The line's value at `x = 0`.
    pub intercept: f64,
    /// Sen's interval for the slope; computed only for a significant trend in the bad
    /// direction (the only case a forecast is made from), when the question asks for it.
    pub interval: Option<(f64, f64)>,
}

impl TrendAnalysis {
    /// The Mann–Kendall test of `y` (in time order), not corrected for autocorrelation,
    /// and no line yet.
    pub fn tested(y: &[f64]) -> Result<TrendAnalysis, AnalysisError> {
        Ok(TrendAnalysis {
            test: kendall::mann_kendall(y)?,
            line: None,
        })
    }

    /// [`Self::tested`] for a window sliding along a series, its score updated in `hints`
    /// from the points that changed (`labels` name the points across calls).
    pub fn tested_near(
        y: &[f64],
        labels: &[i64],
        hints: &mut TrendHints,
    ) -> Result<TrendAnalysis, AnalysisError> {
        Ok(TrendAnalysis {
            test: hints.score.test(labels, y)?,
            line: None,
        })
    }

    /// Whether the test finds a significant trend the bad way: only then can the series be
    /// bad, so only then is a line worth fitting.
    pub fn worth_a_line(&self, question: &TrendQuestion) -> bool {
        self.test.p_value < question.significance && self.heads_the_bad_way(question)
    }

    /// With the Theil–Sen line through `(x, y)` (without its interval), its slope searched
    /// for first where `hints` say.
    pub fn fitted_near(
        self,
        x: &[f64],
        y: &[f64],
        hints: &mut TrendHints,
    ) -> Result<TrendAnalysis, AnalysisError> {
        let slope = sen_slope_near(x, y, &mut hints.slope)?;
        Ok(self.with_line(x, y, slope))
    }

    /// With the line of `slope` through `(x, y)` (Conover's intercept), without interval.
    fn with_line(self, x: &[f64], y: &[f64], slope: f64) -> TrendAnalysis {
        TrendAnalysis {
            test: self.test,
            line: Some(FittedLine {
                slope,
                intercept: conover_intercept(x, y, slope),
                interval: None,
            }),
        }
    }

    /// Significant at the question's level, in the bad direction.
    pub fn is_bad(&self, question: &TrendQuestion) -> bool {
        let Some(line) = self.line else { return false };
        self.test.p_value < question.significance
            && match question.rising_is_bad {
                Some(true) => self.test.s > 0 && line.slope > 0.0,
                Some(false) => self.test.s < 0 && line.slope < 0.0,
                None => self.test.s != 0 && line.slope != 0.0,
            }
    }

    /// The test with `Var(S)` inflated by the Hamed–Rao factor of the residuals from the
    /// line at level `significance` ([`kendall::hamed_rao_inflation`]); unchanged without
    /// a line.
    pub fn corrected(self, x: &[f64], y: &[f64], significance: f64) -> TrendAnalysis {
        let Some(line) = self.line else { return self };
        let scale = overflow_guard(y) * overflow_guard(x).min(1.0);
        let residuals: Vec<f64> = x
            .iter()
            .zip(y)
            .map(|(x, y)| y * scale - line.slope * scale * x)
            .collect();
        let inflation = kendall::hamed_rao_inflation(&residuals, significance);
        TrendAnalysis {
            test: self.test.inflated(inflation),
            line: self.line,
        }
    }

    /// Whether `S` points the bad way (`None`: both ways count).
    fn heads_the_bad_way(&self, question: &TrendQuestion) -> bool {
        match question.rising_is_bad {
            Some(true) => self.test.s > 0,
            Some(false) => self.test.s < 0,
            None => self.test.s != 0,
        }
    }
}

/// The whole trend analysis of one series (`x` strictly increasing, e.g. seconds):
/// Mann–Kendall first. Only when it finds a significant trend the bad way (the correction
/// can only make it less significant) is the Theil–Sen slope computed and the Hamed–Rao
/// correction applied to the residuals from it; Sen's interval only when the corrected
/// test still finds a trend the bad way and the question wants it. On a fleet where most
/// series are healthy, most series cost one sort. The stages are public
/// ([`TrendAnalysis::tested`], [`TrendAnalysis::fitted_near`],
/// [`TrendAnalysis::corrected`]) for a caller that orders its own checks between them.
pub fn analyze(
    x: &[f64],
    y: &[f64],
    question: &TrendQuestion,
) -> Result<TrendAnalysis, AnalysisError> {
    let tested = TrendAnalysis::tested(y)?;
    if !tested.worth_a_line(question) {
        return Ok(tested);
    }
    // One search serves the slope and, later, the interval: the second selection starts
    // from what the first one learned.
    let mut points = Points::new(x, y)?;
    let slope = points.median_slope(&mut None);
    let mut analysis = tested
        .with_line(x, y, slope)
        .corrected(x, y, question.significance);
    if question.interval
        && analysis.is_bad(question)
        && let Some(line) = analysis.line.as_mut()
    {
        let y_variance = Some(analysis.test.variance);
        line.interval = Some(points.interval(x, y, question.confidence, y_variance));
    }
    Ok(analysis)
}

/// The seasonal analysis: the seasonal Kendall test and the seasonal Theil–Sen line.
/// `season_of[i]` labels point `i` (e.g. its half-hour of the day). The intercept is the
/// line of the season that is worst for the question (the lowest when a fall is bad, the
/// highest when a rise is): a disk freed at 03:00 every night runs out just before 03:00,
/// so that is the line its forecast must follow.
pub fn analyze_seasonal(
    x: &[f64],
    y: &[f64],
    season_of: &[usize],
    question: &TrendQuestion,
) -> Result<TrendAnalysis, AnalysisError> {
    if x.len() != y.len() || x.len() != season_of.len() {
        return Err(AnalysisError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    let seasons = split_seasons(x, y, season_of);
    let values: Vec<Vec<f64>> = seasons.iter().map(|(_, y)| y.clone()).collect();
    let test = kendall::seasonal_mann_kendall(&values)?;
    let fit = seasonal_theil_sen(&seasons, question.confidence)?;
    let mut intercept = fit.intercept;
    let worst_lowest = question.rising_is_bad == Some(false);
    let season_levels = seasons.iter().filter_map(|(sx, sy)| {
        let mut residuals: Vec<f64> = sx.iter().zip(sy).map(|(x, y)| y - fit.slope * x).collect();
        median_in_place(&mut residuals)
    });
    let worst = if worst_lowest {
        season_levels.reduce(f64::min)
    } else if question.rising_is_bad == Some(true) {
        season_levels.reduce(f64::max)
    } else {
        None
    };
    if let Some(level) = worst {
        intercept = level;
    }
    let mut analysis = TrendAnalysis {
        test,
        line: Some(FittedLine {
            slope: fit.slope,
            intercept,
            interval: None,
        }),
    };
    if question.interval
        && analysis.is_bad(question)
        && let Some(line) = analysis.line.as_mut()
    {
        line.interval = Some((fit.slope_low, fit.slope_high));
    }
    Ok(analysis)
}

fn split_seasons(x: &[f64], y: &[f64], season_of: &[usize]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let count = season_of.iter().max().map_or(0, |m| m + 1);
    let mut seasons = vec![(Vec::new(), Vec::new()); count];
    for ((x, y), &season) in x.iter().zip(y).zip(season_of) {
        seasons[season].0.push(*x);
        seasons[season].1.push(*y);
    }
    seasons
}

/// Whether the Theil–Sen slope (the median slope, as [`sen_slope`] finds it) is at most `t`.
/// Counting the slopes `≤ t` decides it in O(n log n) unless the middle two slopes lie on
/// either side of `t`; then the median is selected.
pub fn sen_slope_at_most(x: &[f64], y: &[f64], t: f64) -> Result<bool, AnalysisError> {
    let mut points = Points::new(x, y)?;
    let (lower, upper) = median_ranks(points.slope_count);
    let scaled = t / points.unscale;
    if points.increasing
        && scaled * points.unscale == t
        && let Some(count) = slopes::count_at_most(&points.x, &points.y, scaled)
    {
        if count > upper {
            return Ok(true);
        }
        if count <= lower {
            return Ok(false);
        }
    }
    let found = points.select(&[lower, upper]);
    Ok((found[0] + found[1]) / 2.0 <= t)
}

/// When the line `intercept + slope·x` reaches `level`, as an `x` value; `None` when it
/// runs parallel to it.
pub fn crossing(intercept: f64, slope: f64, level: f64) -> Option<f64> {
    (slope != 0.0)
        .then(|| (level - intercept) / slope)
        .filter(|x| x.is_finite())
}

/// When a falling (or rising) line reaches a bound, with the spread its slope's interval
/// gives: lines with the interval's slopes through the fitted line's point at `pivot`
/// (the median time, where the fit is best determined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// `x` where the fitted line reaches the level.
    pub at: f64,
    /// The earliest crossing the interval allows.
    pub earliest: f64,
    /// The latest; `None` when the interval allows a line that never gets there.
    pub latest: Option<f64>,
}

/// Where the line crosses `level` (which may lie behind `pivot` when the line moves away
/// from the level: the caller decides what the past means); `None` for a flat line.
pub fn forecast(
    intercept: f64,
    slope: f64,
    interval: (f64, f64),
    pivot: f64,
    level: f64,
) -> Option<Forecast> {
    let at = crossing(intercept, slope, level)?;
    let pivot_value = intercept + slope * pivot;
    let through_pivot = |s: f64| {
        let x = pivot + (level - pivot_value) / s;
        // Only a line heading towards the level (the same way as the fit) crosses ahead.
        (s != 0.0 && s.signum() == slope.signum() && x.is_finite()).then_some(x)
    };
    let (a, b) = (through_pivot(interval.0), through_pivot(interval.1));
    let earliest = [a, b, Some(at)].into_iter().flatten().fold(at, f64::min);
    let latest = match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b).max(at)),
        _ => None,
    };
    Some(Forecast {
        at,
        earliest,
        latest,
    })
}

/// A series whose points belong to seasons, for forecasting when it first reaches a level.
/// Each season `g` follows its own line `level_g + slope·x` (`level_g` the median of
/// `y − slope·x` over the season's points) and only happens once per `period`, so the
/// answer is the first future occurrence of any season at or past the level. A disk freed
/// every night at 03:00 is thus full in the afternoon its daytime logs fill it, not at the
/// average of the cycle.
pub struct SeasonalSeries<'a> {
    /// Times, in time order.
    pub x: &'a [f64],
    pub y: &'a [f64],
    /// Each point's season label (e.g. its half-hour of the day).
    pub season_of: &'a [usize],
    /// The season's length in the unit of `x`.
    pub period: f64,
}

impl SeasonalSeries<'_> {
    /// The first `x` at or after `after` where some season reaches `level` on its line with
    /// `slope`; `downward` says the level is reached from above (a falling series). `None`
    /// when the slope leads away from the level or no season has points.
    pub fn crossing(&self, slope: f64, level: f64, downward: bool, after: f64) -> Option<f64> {
        seasonal_crossing(self, slope, level, downward, after)
    }
}

fn seasonal_crossing(
    series: &SeasonalSeries<'_>,
    slope: f64,
    level: f64,
    downward: bool,
    after: f64,
) -> Option<f64> {
    let SeasonalSeries {
        x,
        y,
        season_of,
        period,
    } = *series;
    let seasons = split_seasons(x, y, season_of);
    let mut first: Option<f64> = None;
    for (sx, sy) in &seasons {
        let Some(&last_x) = sx.last() else { continue };
        let mut residuals: Vec<f64> = sx.iter().zip(sy).map(|(x, y)| y - slope * x).collect();
        let Some(season_level) = median_in_place(&mut residuals) else {
            continue;
        };
        let value_at = |x: f64| season_level + slope * x;
        let reached = |v: f64| if downward { v <= level } else { v >= level };
        let not_before = ((after - last_x) / period).ceil().max(0.0);
        let k = if reached(value_at(last_x + not_before * period)) {
            not_before
        } else if (downward && slope >= 0.0) || (!downward && slope <= 0.0) {
            continue;
        } else {
            let needed = ((level - season_level - slope * last_x) / (slope * period)).ceil();
            if !needed.is_finite() || needed < not_before {
                continue;
            }
            needed
        };
        let at = last_x + k * period;
        if at.is_finite() && first.is_none_or(|f| at < f) {
            first = Some(at);
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interval from the test's variance is the interval from counting the ties anew,
    /// to the bit, with ties in `y`; and the Conover intercept's median of ordered `x` is
    /// the one selection finds.
    #[test]
    fn what_the_analysis_reuses_gives_the_same_interval_and_intercept() {
        let question = TrendQuestion {
            rising_is_bad: Some(true),
            significance: 0.05,
            confidence: 0.9,
            interval: true,
        };
        let mut with_interval = 0;
        for (n, levels) in [(10, 3), (49, 5), (288, 40), (301, 1_000)] {
            let x: Vec<f64> = (0..n).map(|i| 60.0 * i as f64 + 7.0).collect();
            let y: Vec<f64> = (0..n).map(|i| (i + (i * 7919) % levels) as f64).collect();
            let test = kendall::mann_kendall(&y).unwrap();
            let given = sen_interval_given(&x, &y, 0.9, Some(test.variance)).unwrap();
            assert_eq!(given, sen_interval(&x, &y, 0.9).unwrap(), "n = {n}");
            let fit = theil_sen(&x, &y, 0.9).unwrap();
            assert_eq!(given, (fit.slope_low, fit.slope_high), "n = {n}");
            let line = analyze(&x, &y, &question).unwrap().line.unwrap();
            assert_eq!(line.intercept, fit.intercept, "n = {n}");
            if let Some(interval) = line.interval {
                assert_eq!(interval, given, "n = {n}");
                with_interval += 1;
            }
            let median_x = median_in_place(&mut x.clone());
            assert_eq!(sorted_median(&x), median_x, "n = {n}");
        }
        assert!(with_interval >= 3, "only {with_interval} series were bad");
        assert_eq!(sorted_median(&[2.0, 1.0]), None);
    }

    #[test]
    fn all_equal_values_have_a_flat_line() {
        let fit = theil_sen(&[0.0, 1.0, 2.0, 3.0, 4.0], &[4.0; 5], 0.95).unwrap();
        assert_eq!((fit.slope, fit.intercept), (0.0, 4.0));
    }

    #[test]
    fn theil_sen_recovers_a_line_despite_an_outlier() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let mut y: Vec<f64> = x.iter().map(|x| 3.0 - 2.0 * x).collect();
        y[4] = 1_000.0;
        let fit = theil_sen(&x, &y, 0.95).unwrap();
        assert_eq!(fit.slope, -2.0);
        // Conover: median(y) − slope·median(x). With the outlier, median(y) = (−7 − 3)/2 = −5
        // and median(x) = 4.5, so the intercept is −5 + 2·4.5 = 4 (3 without the outlier).
        assert_eq!(fit.intercept, 4.0);
        assert!(fit.slope_low <= -2.0 && fit.slope_high >= -2.0);
    }

    /// Four points, slopes by hand: pairs (0,1)=2, (0,2)=0.5, (0,3)=1, (1,2)=−1, (1,3)=0.5,
    /// (2,3)=2 → sorted −1, 0.5, 0.5, 1, 2, 2: median (0.5 + 1)/2 = 0.75.
    #[test]
    fn an_even_number_of_slopes_averages_the_middle_pair() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [0.0, 2.0, 1.0, 3.0];
        assert_eq!(sen_slope(&x, &y).unwrap(), 0.75);
        // Unsorted x with a tie: the tied pair has no slope and is left out.
        let fit = theil_sen(&[1.0, 0.0, 1.0, 3.0], &[2.0, 0.0, 5.0, 3.0], 0.95).unwrap();
        // Slopes: (1,0)→2, (1,3)→0.5, (0,1)→5, (0,3)→1, (1,3)→−1 → median 1.
        assert_eq!(fit.slope, 1.0);
    }

    #[test]
    fn bad_input_is_rejected_not_propagated() {
        assert_eq!(
            theil_sen(&[0.0, 1.0, 2.0, 3.0], &[1.0, f64::NAN, 2.0, 3.0], 0.95),
            Err(AnalysisError::NonFinite { index: 1 })
        );
        assert_eq!(
            theil_sen(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 0.95),
            Err(AnalysisError::TooFewPoints {
                needed: 4,
                found: 3
            })
        );
        assert!(matches!(
            theil_sen(&[1.0, 2.0], &[1.0, 2.0, 3.0], 0.95),
            Err(AnalysisError::LengthMismatch { .. })
        ));
        assert_eq!(
            theil_sen(&[2.0; 5], &[1.0, 2.0, 3.0, 4.0, 5.0], 0.95),
            Err(AnalysisError::NoSlope)
        );
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|x| if *x < 5.0 { 1e308 } else { -1e308 } - x * 1e300)
            .collect();
        let fit = theil_sen(&x, &y, 0.95).unwrap();
        assert!(fit.slope.is_finite() && fit.slope < 0.0);
        assert!(fit.slope_low.is_finite() && fit.slope_high.is_finite());
    }

    /// Two seasons with a period of 10, falling 1 per unit: season A (x = −15, −5) follows
    /// `25 − x`, season B (x = −10, 0) follows `20 − x`. The bound 0 is first reached by B
    /// at x = 20; A would get there at x = 25.
    #[test]
    fn seasonal_crossing_is_the_first_season_to_get_there() {
        let x = [-15.0, -10.0, -5.0, 0.0];
        let y = [40.0, 30.0, 30.0, 20.0];
        let seasons = [0, 1, 0, 1];
        let series = SeasonalSeries {
            x: &x,
            y: &y,
            season_of: &seasons,
            period: 10.0,
        };
        assert_eq!(series.crossing(-1.0, 0.0, true, 0.0), Some(20.0));
        // Already there: B is at 20 now (x = 0), below a bound of 25.
        assert_eq!(series.crossing(-1.0, 25.0, true, 0.0), Some(0.0));
        // Rising never reaches a lower bound.
        assert_eq!(series.crossing(1.0, 0.0, true, 0.0), None);
    }

    #[test]
    fn crossing_finds_where_the_line_meets_the_level() {
        assert_eq!(crossing(100.0, -10.0, 0.0), Some(10.0));
        assert_eq!(crossing(100.0, 0.0, 0.0), None);
    }

    #[test]
    fn forecast_spreads_with_the_slope_interval() {
        // 100 at x=0 falling 10 per unit, pivot at x=−5 (value 150): reaches 0 at x=10.
        let f = forecast(100.0, -10.0, (-15.0, -5.0), -5.0, 0.0).unwrap();
        assert_eq!(f.at, 10.0);
        assert_eq!(f.earliest, -5.0 + 150.0 / 15.0); // 5
        assert_eq!(f.latest, Some(-5.0 + 150.0 / 5.0)); // 25
        // An interval that reaches a flat or rising line: it may never get there.
        let f = forecast(100.0, -10.0, (-15.0, 1.0), -5.0, 0.0).unwrap();
        assert_eq!(f.latest, None);
        // A line moving away from the level has no forecast.
        let behind = forecast(100.0, -10.0, (-15.0, -5.0), -5.0, 200.0).unwrap();
        assert_eq!(behind.at, -10.0);
        assert_eq!(forecast(100.0, 0.0, (-1.0, 1.0), -5.0, 0.0), None);
    }
}
