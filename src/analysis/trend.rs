//! Trend: Theil–Sen slope with Sen's confidence interval, the Mann–Kendall test with the
//! variance correction for ties, and the forecast of when the fitted line crosses a bound.
//!
//! This first version computes all pairs (O(n²)), which is fast for the few hundred
//! buckets of a rule; the O(n log n) methods, the autocorrelation correction and the
//! seasonality/sawtooth defences come with the analysis issue.

use super::AnalysisError;
use super::normal;
use super::window::{median_in_place, order_statistic};

/// Fewest points a trend is computed from.
pub const MIN_POINTS: usize = 4;

/// The Mann–Kendall trend test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// `S = Σ_{i<j} sign(y_j − y_i)`: positive for a rising series.
    pub s: i64,
    /// `Var(S) = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18`, `t_g` the size of each
    /// group of tied values (Kendall 1975).
    pub variance: f64,
    /// `z = (S − sign(S)) / √Var(S)` (continuity-corrected), 0 when `Var(S)` is 0.
    pub z: f64,
    /// Two-sided p-value `2·(1 − Φ(|z|))`.
    pub p_value: f64,
}

/// Runs the Mann–Kendall test on values in time order.
pub fn mann_kendall(values: &[f64]) -> Result<MannKendall, AnalysisError> {
    check_input(values)?;
    let n = values.len();
    let mut s: i64 = 0;
    for i in 0..n {
        for j in (i + 1)..n {
            s += match values[j].total_cmp(&values[i]) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let variance = (variance_term(n as f64) - tie_terms(values)) / 18.0;
    let z = if variance > 0.0 {
        (s - s.signum()) as f64 / variance.sqrt()
    } else {
        0.0
    };
    Ok(MannKendall {
        s,
        variance,
        z,
        p_value: normal::two_sided_p(z),
    })
}

fn variance_term(count: f64) -> f64 {
    count * (count - 1.0) * (2.0 * count + 5.0)
}

/// `Σ_g t_g(t_g−1)(2t_g+5)` over groups of equal values.
fn tie_terms(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted
        .chunk_by(|a, b| a == b)
        .filter(|group| group.len() > 1)
        .map(|group| variance_term(group.len() as f64))
        .sum()
}

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
    check_input(x)?;
    check_input(y)?;
    if x.len() != y.len() {
        return Err(AnalysisError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in (i + 1)..n {
            let (dx, dy) = if x[j] > x[i] {
                (x[j] - x[i], y[j] - y[i])
            } else {
                (x[i] - x[j], y[i] - y[j])
            };
            if dx > 0.0 {
                slopes.push(dy / dx);
            }
        }
    }
    if slopes.is_empty() {
        return Err(AnalysisError::TooFewPoints {
            needed: 2,
            found: 1,
        });
    }
    let slope = median_in_place(&mut slopes).unwrap_or(0.0);
    let intercept = median_in_place(&mut y.to_vec()).unwrap_or(0.0)
        - slope * median_in_place(&mut x.to_vec()).unwrap_or(0.0);
    // Sen (1968) eq. 2.6: the rank bounds of the interval among the sorted slopes.
    let z = normal::quantile((1.0 - confidence) / 2.0).abs();
    let sigma = ((variance_term(n as f64) - tie_terms(x) - tie_terms(y)) / 18.0)
        .max(0.0)
        .sqrt();
    let count = slopes.len() as f64;
    let last = slopes.len() - 1;
    let upper = (((count + z * sigma) / 2.0).round_ties_even() as usize).min(last);
    let lower = ((((count - z * sigma) / 2.0).round_ties_even() as i64) - 1).max(0) as usize;
    let slope_low = order_statistic(&mut slopes, lower.min(last));
    let slope_high = order_statistic(&mut slopes, upper);
    Ok(TheilSen {
        slope,
        intercept,
        slope_low,
        slope_high,
    })
}

fn check_input(values: &[f64]) -> Result<(), AnalysisError> {
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::NonFinite { index });
    }
    if values.len() < MIN_POINTS {
        return Err(AnalysisError::TooFewPoints {
            needed: MIN_POINTS,
            found: values.len(),
        });
    }
    Ok(())
}

/// When the line `intercept + slope·x` reaches `level`, as an `x` value; `None` when it
/// runs parallel to it.
pub fn crossing(intercept: f64, slope: f64, level: f64) -> Option<f64> {
    (slope != 0.0)
        .then(|| (level - intercept) / slope)
        .filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S, Var(S), z and p computed by hand for a short series with a tie.
    #[test]
    fn mann_kendall_with_a_tie_matches_hand_computation() {
        // y = [1, 3, 2, 3, 5]: pairs give S = 4+1+2+1 → (+1+1+1+1) + (-1+0+1) + (1+1) + 1 = 7.
        let result = mann_kendall(&[1.0, 3.0, 2.0, 3.0, 5.0]).unwrap();
        assert_eq!(result.s, 7);
        // n=5: 5·4·15 = 300; one tie group of 2: 2·1·9 = 18 → (300 − 18)/18 = 15.666…
        assert!((result.variance - 282.0 / 18.0).abs() < 1e-12);
        let z = 6.0 / (282.0_f64 / 18.0).sqrt();
        assert!((result.z - z).abs() < 1e-12);
        assert!((result.p_value - normal::two_sided_p(z)).abs() < 1e-15);
    }

    #[test]
    fn all_equal_values_have_no_trend() {
        let result = mann_kendall(&[4.0; 10]).unwrap();
        assert_eq!(
            (result.s, result.variance, result.z, result.p_value),
            (0, 0.0, 0.0, 1.0)
        );
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

    #[test]
    fn bad_input_is_rejected_not_propagated() {
        assert_eq!(
            mann_kendall(&[1.0, f64::NAN, 2.0, 3.0]),
            Err(AnalysisError::NonFinite { index: 1 })
        );
        assert_eq!(
            mann_kendall(&[1.0, 2.0, f64::INFINITY, 3.0]),
            Err(AnalysisError::NonFinite { index: 2 })
        );
        assert_eq!(
            mann_kendall(&[1.0, 2.0, 3.0]),
            Err(AnalysisError::TooFewPoints {
                needed: 4,
                found: 3
            })
        );
        assert!(theil_sen(&[1.0, 2.0], &[1.0, 2.0, 3.0], 0.95).is_err());
    }

    #[test]
    fn crossing_finds_where_the_line_meets_the_level() {
        assert_eq!(crossing(100.0, -10.0, 0.0), Some(10.0));
        assert_eq!(crossing(100.0, 0.0, 0.0), None);
    }
}
