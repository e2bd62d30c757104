//! The Mann–Kendall trend test: the score `S` by counting inversions while sorting
//! ([`key_order`]: expected O(n) plus n²/64 word operations up to 2,048 points, a merge sort
//! in O(n log n) beyond), the variance with the correction for ties, the Hamed–Rao
//! correction for autocorrelation, and the seasonal variant.
//!
//! # Why Hamed–Rao and not pre-whitening
//! Monitoring series are strongly autocorrelated: a five-minute average of free memory is
//! close to the previous one, and a daily cycle keeps residuals on one side of a line for
//! hours. Ignoring that makes `Var(S)` far too small and every wobble "significant".
//! Pre-whitening (Kulkarni & von Storch 1995; trend-free pre-whitening, Yue et al. 2002)
//! assumes the residuals are AR(1) and removes only the lag-1 part; with a daily cycle the
//! estimated lag-1 coefficient is close to 1, whitening then leaves little but the trend
//! itself and a half-cycle passes for a trend. Hamed & Rao (1998) instead inflate `Var(S)`
//! by every significant lag of the residuals' rank autocorrelation, which is exactly the
//! persistence a cycle or a slow wander has. It is the conservative choice, which is what
//! an alerting tool that must not page for nothing wants. Their factor is never allowed
//! below 1 here: autocorrelation may make us less sure of a trend, never more.

use super::AnalysisError;
use super::key_order;
use super::normal;

/// The Mann–Kendall test of a series against "no monotonic trend".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// `S = Σ_{i<j} sign(y_j − y_i)`: positive for a rising series.
    pub s: i64,
    /// `Var(S)` under independence, corrected for ties (Kendall 1975):
    /// `[n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18`, `t_g` the size of each tie group.
    pub variance: f64,
    /// The factor `Var(S)` is multiplied by for autocorrelation (1 when not corrected).
    pub variance_inflation: f64,
    /// `z = (S − sign(S)) / √(Var(S)·inflation)` (continuity-corrected); 0 when the
    /// variance is 0.
    pub z: f64,
    /// Two-sided p-value `2·(1 − Φ(|z|))`.
    pub p_value: f64,
}

impl MannKendall {
    fn new(s: i64, variance: f64, variance_inflation: f64) -> Self {
        let corrected = variance * variance_inflation;
        let z = if corrected > 0.0 {
            (s - s.signum()) as f64 / corrected.sqrt()
        } else {
            0.0
        };
        MannKendall {
            s,
            variance,
            variance_inflation,
            z,
            p_value: normal::two_sided_p(z),
        }
    }

    /// The same test with `Var(S)` multiplied by `inflation` (floored at 1).
    pub fn inflated(self, inflation: f64) -> Self {
        MannKendall::new(self.s, self.variance, inflation.max(1.0))
    }

    /// The test of `count` values whose pairs `score` counts, assuming independence.
    pub(super) fn of_score(count: usize, score: Score) -> Self {
        MannKendall::new(score.s, variance(count, score.tie_term), 1.0)
    }
}

/// Runs the Mann–Kendall test on values in time order, assuming independent values.
/// O(n log n).
pub fn mann_kendall(values: &[f64]) -> Result<MannKendall, AnalysisError> {
    super::check_finite(values)?;
    super::check_enough(values.len())?;
    Ok(MannKendall::of_score(values.len(), score(values)))
}

/// What the test counts of a series' pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// `S = Σ_{i<j} sign(y_j − y_i)`.
    pub s: i64,
    /// Pairs of equal values.
    pub tied_pairs: u64,
    /// `Σ_g t_g(t_g−1)(2t_g+5)` over groups of equal values (an integer).
    pub tie_term: f64,
}

/// The [`Score`] of finite values in time order.
///
/// `S = C − D` where `D` counts pairs `i < j` with `y_i > y_j` (strict inversions, found
/// while sorting, [`key_order`]) and `C = n(n−1)/2 − D − T`, `T` the tied pairs.
pub(crate) fn score(values: &[f64]) -> Score {
    // Put in order with ties counted as out of order too, which the groups then subtract.
    let (sorted, out_of_order) = key_order::sorted_counting_inversions(values);
    let ties = ties_among(&sorted);
    let inversions = out_of_order - ties.pairs;
    let n = values.len() as u64;
    let pairs = n * n.saturating_sub(1) / 2;
    let concordant = pairs - inversions - ties.pairs;
    Score {
        s: concordant as i64 - inversions as i64,
        tied_pairs: ties.pairs,
        tie_term: ties.term,
    }
}

/// What the groups of equal values among a series come to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ties {
    /// Pairs of equal values: `Σ_g t_g(t_g−1)/2`.
    pub(super) pairs: u64,
    /// `Σ_g t_g(t_g−1)(2t_g+5)`, the correction of `Var(S)` (an integer).
    pub(super) term: f64,
}

/// The [`Ties`] of `values`, in any order.
pub(super) fn ties(values: &[f64]) -> Ties {
    ties_among(&key_order::sorted(values))
}

/// The [`Ties`] of points sorted by value.
fn ties_among(sorted: &[key_order::Keyed]) -> Ties {
    let mut ties = Ties {
        pairs: 0,
        term: 0.0,
    };
    for group in sorted.chunk_by(|a, b| a.key == b.key) {
        let t = group.len() as u64;
        if t > 1 {
            ties.pairs += t * (t - 1) / 2;
            ties.term += variance_term(t as f64);
        }
    }
    ties
}

pub(crate) fn variance_term(count: f64) -> f64 {
    count * (count - 1.0) * (2.0 * count + 5.0)
}

pub(crate) fn variance(n: usize, tie_term: f64) -> f64 {
    ((variance_term(n as f64) - tie_term) / 18.0).max(0.0)
}

/// The Hamed & Rao (1998) variance inflation for autocorrelated data:
///
/// `n/n* = 1 + 2/(n(n−1)(n−2)) · Σ_{k=1}^{n−1} (n−k)(n−k−1)(n−k−2)·ρ_k`
///
/// where `ρ_k` is the lag-`k` autocorrelation of the ranks of the detrended series
/// (`residuals`, in time order), and only lags with `|ρ_k| > z_{1−α/2}/√n` count. This is
/// `hamed_rao_modification_test` of pymannkendall (Hussain & Mahmud 2019), except that the
/// factor is floored at 1.
///
/// The autocorrelations take O(n²), computed exactly in integers: a rank less the mean
/// rank `(n+1)/2` is a multiple of ½, so twice it is an integer below `n` in magnitude, and
/// every lag's sum of products is an integer too (small enough for 16-bit factors and
/// 32-bit sums up to 1,024 points, which vectorises well).
pub fn hamed_rao_inflation(residuals: &[f64], alpha: f64) -> f64 {
    let n = residuals.len();
    if n < 3 {
        return 1.0;
    }
    let centred = doubled_centred_ranks(residuals);
    let bound = normal::quantile(1.0 - alpha / 2.0) / (n as f64).sqrt();
    let autocovariance = autocovariances(&centred);
    let lag0 = autocovariance[0];
    if lag0 <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let mut sum = 0.0;
    for (lag, covariance) in autocovariance.iter().enumerate().skip(1) {
        let rho = covariance / lag0;
        if rho.abs() > bound {
            let m = (n - lag) as f64;
            sum += m * (m - 1.0) * (m - 2.0) * rho;
        }
    }
    (1.0 + 2.0 / (nf * (nf - 1.0) * (nf - 2.0)) * sum).max(1.0)
}

/// `Σ_i c_i·c_{i+k}` for every lag `k` in `0..n−1`, exactly.
fn autocovariances(centred: &[i32]) -> Vec<f64> {
    let n = centred.len();
    if n <= SMALL_INTEGER_RANKS {
        // Zeros after the last value let every lag run whole chunks: a product reaching
        // past the end has a zero factor.
        let chunks_at_most = n.div_ceil(LANES);
        let mut small = vec![0i16; n + chunks_at_most * LANES];
        for (slot, &c) in small.iter_mut().zip(centred) {
            *slot = c as i16;
        }
        (0..n - 1)
            .map(|lag| {
                let len = (n - lag).div_ceil(LANES) * LANES;
                f64::from(dot_small(&small[..len], &small[lag..lag + len]))
            })
            .collect()
    } else {
        (0..n - 1)
            .map(|lag| dot_wide(&centred[..n - lag], &centred[lag..]) as f64)
            .collect()
    }
}

/// Up to this many points, doubled centred ranks (`|c| < n`) fit in `i16` and a lag's sum
/// of products (`< n·n²`) fits in `i32`.
const SMALL_INTEGER_RANKS: usize = 1024;

/// `2·rank − (n+1)` for every value, ties sharing their average rank (as
/// `scipy.stats.rankdata` does): an exact integer. Sorted by [`key_order::sorted`].
fn doubled_centred_ranks(values: &[f64]) -> Vec<i32> {
    let n = values.len();
    let mut centred = vec![0; n];
    let mut start = 0;
    for group in key_order::sorted(values).chunk_by(|a, b| a.key == b.key) {
        // Positions start..end hold ranks start+1..=end, whose average doubled is
        // start + end + 1; less n + 1:
        let doubled = (2 * start + group.len()) as i64 - n as i64;
        for item in group {
            centred[item.index as usize] = doubled as i32;
        }
        start += group.len();
    }
    centred
}

/// Lanes of [`dot_small`]'s partial sums: 16-bit products in one 256-bit register, or
/// two 128-bit ones.
const LANES: usize = 16;

/// Σ a·b over 16-bit factors into a 32-bit sum, a shape compilers turn into
/// multiply-add vector instructions. Both lengths are a multiple of [`LANES`].
fn dot_small(a: &[i16], b: &[i16]) -> i32 {
    let mut lanes = [0i32; LANES];
    for (a, b) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for ((lane, &x), &y) in lanes.iter_mut().zip(a).zip(b) {
            *lane += i32::from(x) * i32::from(y);
        }
    }
    lanes.iter().sum()
}

fn dot_wide(a: &[i32], b: &[i32]) -> i64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i64::from(x) * i64::from(y))
        .sum()
}

/// Ranks 1..=n with ties given their average rank (`scipy.stats.rankdata`'s default).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    doubled_centred_ranks(values)
        .into_iter()
        .map(|c| (f64::from(c) + n + 1.0) / 2.0)
        .collect()
}

/// The seasonal Kendall test (Hirsch, Slack & Smith 1982): `S = Σ_g S_g` and
/// `Var(S) = Σ_g Var(S_g)` over seasons `g` (e.g. the 48 half-hours of a day), each season's
/// values compared only with each other. A daily cycle, or a sawtooth reset at the same
/// hour every day, then adds nothing to `S`. Seasons are assumed independent of each other
/// (the covariance correction of Hirsch & Slack 1984 is not applied).
///
/// `seasons` holds each season's values in time order; seasons with fewer than two values
/// add nothing.
pub fn seasonal_mann_kendall(seasons: &[Vec<f64>]) -> Result<MannKendall, AnalysisError> {
    let mut s = 0;
    let mut total_variance = 0.0;
    let mut compared = 0;
    for season in seasons {
        super::check_finite(season)?;
        if season.len() < 2 {
            continue;
        }
        let Score {
            s: season_s,
            tie_term: ties,
            ..
        } = score(season);
        s += season_s;
        total_variance += variance(season.len(), ties);
        compared += season.len();
    }
    super::check_enough(compared)?;
    Ok(MannKendall::new(s, total_variance, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        // Ranks 1, 2.5, 2.5, 4 (−0 ties +0); doubled and less n + 1 = 5.
        assert_eq!(
            doubled_centred_ranks(&[-3.0, 0.0, -0.0, 7.0]),
            [-3, 0, 0, 3]
        );
        assert_eq!(doubled_centred_ranks(&[2.0, 2.0, 2.0]), [0, 0, 0]);
    }

    /// The definition, pair by pair, to check the O(n log n) count against.
    fn brute_force_s(values: &[f64]) -> i64 {
        let mut s = 0;
        for i in 0..values.len() {
            for j in i + 1..values.len() {
                s += (values[j] > values[i]) as i64 - (values[j] < values[i]) as i64;
            }
        }
        s
    }

    /// S, Var(S), z and p computed by hand for a short series with a tie.
    #[test]
    fn mann_kendall_with_a_tie_matches_hand_computation() {
        // y = [1, 3, 2, 3, 5]: from 1: +4; from 3: −1, 0, +1; from 2: +2; from 3: +1 → S = 7.
        let result = mann_kendall(&[1.0, 3.0, 2.0, 3.0, 5.0]).unwrap();
        assert_eq!(result.s, 7);
        // n=5: 5·4·15 = 300; one tie group of 2: 2·1·9 = 18 → (300 − 18)/18 = 15.666…
        assert!((result.variance - 282.0 / 18.0).abs() < 1e-12);
        let z = 6.0 / (282.0_f64 / 18.0).sqrt();
        assert!((result.z - z).abs() < 1e-12);
        assert!((result.p_value - normal::two_sided_p(z)).abs() < 1e-15);
    }

    #[test]
    fn sorted_count_matches_the_definition() {
        let mut state = 7u64;
        for n in [4, 5, 16, 17, 33, 100, 257] {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((state >> 33) % 20) as f64 // many ties
                })
                .collect();
            let score = score(&values);
            assert_eq!(score.s, brute_force_s(&values), "n = {n}");
            let tied = (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .filter(|&(i, j)| values[i] == values[j])
                .count();
            assert_eq!(score.tied_pairs, tied as u64, "n = {n}");
        }
    }

    #[test]
    fn all_equal_values_have_no_trend() {
        let result = mann_kendall(&[4.0; 10]).unwrap();
        assert_eq!(
            (result.s, result.variance, result.z, result.p_value),
            (0, 0.0, 0.0, 1.0)
        );
    }

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 30.0]),
            vec![1.5, 3.0, 1.5, 4.0]
        );
    }

    #[test]
    fn white_noise_is_not_inflated_but_a_slow_wave_is() {
        // A slow cycle: residual ranks stay high for a long stretch, then low.
        let wave: Vec<f64> = (0..96)
            .map(|i| (i as f64 * std::f64::consts::TAU / 96.0).sin())
            .collect();
        // n/n* = 19.86 by the formula in numpy/scipy (the fixtures check more cases).
        assert!((hamed_rao_inflation(&wave, 0.05) - 19.861_951_403_455_336).abs() < 1e-9);
        // Alternating values: the formula gives 0.045 (negative lag-1 correlation makes S
        // less variable); it is never allowed to make a trend look more certain.
        let alternating: Vec<f64> = (0..50).map(|i| (i % 2) as f64).collect();
        assert_eq!(hamed_rao_inflation(&alternating, 0.05), 1.0);
    }

    /// The formula in floating point, straight from the definition.
    fn hamed_rao_by_definition(residuals: &[f64], alpha: f64) -> f64 {
        let n = residuals.len();
        let ranks = average_ranks(residuals);
        let mean = ranks.iter().sum::<f64>() / n as f64;
        let c: Vec<f64> = ranks.iter().map(|r| r - mean).collect();
        let lag0: f64 = c.iter().map(|v| v * v).sum();
        let bound = normal::quantile(1.0 - alpha / 2.0) / (n as f64).sqrt();
        let nf = n as f64;
        let mut sum = 0.0;
        for lag in 1..n - 1 {
            let rho = (0..n - lag).map(|i| c[i] * c[i + lag]).sum::<f64>() / lag0;
            if rho.abs() > bound {
                let m = (n - lag) as f64;
                sum += m * (m - 1.0) * (m - 2.0) * rho;
            }
        }
        (1.0 + 2.0 / (nf * (nf - 1.0) * (nf - 2.0)) * sum).max(1.0)
    }

    /// The exact integer autocorrelations agree with floating point, for series short
    /// enough for 16-bit ranks (around whole chunks of lanes) and longer ones, with ties.
    #[test]
    fn integer_autocorrelations_match_the_definition() {
        for n in [3, 10, 16, 17, 31, 288, 1024, 1025, 1500] {
            let values: Vec<f64> = (0..n)
                .map(|i| {
                    ((i as f64) * std::f64::consts::TAU / 200.0).sin().round() + (i % 7) as f64
                })
                .collect();
            let (fast, slow) = (
                hamed_rao_inflation(&values, 0.05),
                hamed_rao_by_definition(&values, 0.05),
            );
            assert!(
                (fast - slow).abs() <= 1e-9 * slow,
                "n = {n}: {fast} vs {slow}"
            );
        }
    }

    /// Two seasons, each rising by one per cycle, the cycle itself a big swing:
    /// S counts only within-season pairs.
    #[test]
    fn seasonal_test_compares_like_with_like() {
        let night = vec![1.0, 2.0, 3.0, 4.0];
        let day = vec![101.0, 102.0, 103.0, 104.0];
        let result = seasonal_mann_kendall(&[night, day]).unwrap();
        assert_eq!(result.s, 12);
        // Each season: 4·3·13/18 = 8.666…, no ties.
        assert!((result.variance - 2.0 * 156.0 / 18.0).abs() < 1e-12);
    }
}
