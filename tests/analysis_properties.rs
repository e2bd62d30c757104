//! Properties of the trend analysis that must hold for any series: the fast methods agree
//! with the definitions, negating a series negates its trend, shifting it changes nothing,
//! and Theil–Sen shrugs off a fifth of the points turned into arbitrary outliers.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use trendwatch::analysis::kendall::mann_kendall;
use trendwatch::analysis::normal;
use trendwatch::analysis::trend::{sen_interval, theil_sen};

/// Integer-valued series (exact in f64, so shifts and negations are exact too), with ties.
fn series() -> impl Strategy<Value = Vec<f64>> {
    series_of_at_least(4)
}

fn series_of_at_least(shortest: usize) -> impl Strategy<Value = Vec<f64>> {
    (shortest..300, -1_000i64..1_000, 1i64..1_000_000).prop_flat_map(|(n, slope, spread)| {
        prop::collection::vec(-spread..=spread, n).prop_map(move |noise| {
            noise
                .iter()
                .enumerate()
                .map(|(i, e)| (slope * i as i64 + e) as f64)
                .collect()
        })
    })
}

fn times(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64 * 300.0).collect()
}

/// Every pairwise slope, sorted: the definition Theil–Sen is checked against.
fn all_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut slopes = Vec::new();
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            slopes.push((y[j] - y[i]) / (x[j] - x[i]));
        }
    }
    slopes.sort_by(f64::total_cmp);
    slopes
}

fn definition_s(y: &[f64]) -> i64 {
    let mut s = 0;
    for i in 0..y.len() {
        for j in i + 1..y.len() {
            s += (y[j] > y[i]) as i64 - (y[j] < y[i]) as i64;
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/analysis_properties.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn fast_methods_agree_with_the_definitions(y in series()) {
        let x = times(y.len());
        prop_assert_eq!(mann_kendall(&y).unwrap().s, definition_s(&y));
        let slopes = all_slopes(&x, &y);
        let count = slopes.len();
        let median = (slopes[(count - 1) / 2] + slopes[count / 2]) / 2.0;
        let fit = theil_sen(&x, &y, 0.95).unwrap();
        prop_assert_eq!(fit.slope, median);
        // Sen (1968) eq. 2.6 with ties in y (x has none), ranks as scipy computes them.
        let n = y.len() as f64;
        let mut sorted = y.clone();
        sorted.sort_by(f64::total_cmp);
        let ties: f64 = sorted.chunk_by(|a, b| a == b)
            .map(|g| g.len() as f64)
            .map(|t| t * (t - 1.0) * (2.0 * t + 5.0))
            .sum();
        let sigma = ((n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0).sqrt();
        let z = -normal::quantile(0.025);
        let upper = (((count as f64 + z * sigma) / 2.0).round() as usize).min(count - 1);
        let lower = ((((count as f64 - z * sigma) / 2.0).round() as i64) - 1).max(0) as usize;
        prop_assert_eq!(fit.slope_low, slopes[lower]);
        prop_assert_eq!(fit.slope_high, slopes[upper]);
        prop_assert_eq!(sen_interval(&x, &y, 0.95).unwrap(), (slopes[lower], slopes[upper]));
    }

    #[test]
    fn negating_a_series_negates_its_trend(y in series()) {
        let x = times(y.len());
        let negated: Vec<f64> = y.iter().map(|v| -v).collect();
        let (fit, flipped) = (theil_sen(&x, &y, 0.95).unwrap(), theil_sen(&x, &negated, 0.95).unwrap());
        prop_assert_eq!(flipped.slope, -fit.slope);
        prop_assert_eq!((flipped.slope_low, flipped.slope_high), (-fit.slope_high, -fit.slope_low));
        let (test, flipped_test) = (mann_kendall(&y).unwrap(), mann_kendall(&negated).unwrap());
        prop_assert_eq!(flipped_test.s, -test.s);
        prop_assert_eq!(flipped_test.p_value, test.p_value);
    }

    #[test]
    fn adding_a_constant_changes_nothing(y in series(), shift in -1_000_000_000i64..1_000_000_000) {
        let x = times(y.len());
        let shifted: Vec<f64> = y.iter().map(|v| v + shift as f64).collect();
        let (fit, moved) = (theil_sen(&x, &y, 0.95).unwrap(), theil_sen(&x, &shifted, 0.95).unwrap());
        prop_assert_eq!((moved.slope, moved.slope_low, moved.slope_high), (fit.slope, fit.slope_low, fit.slope_high));
        prop_assert_eq!(mann_kendall(&shifted).unwrap(), mann_kendall(&y).unwrap());
    }

    /// A fifth of the points replaced by anything at all: the slope stays within the
    /// 10th–90th percentiles of the clean series' pairwise slopes. (All pairs touching an
    /// outlier, 36 % of them, could at worst push the median to the clean slopes' 78th
    /// percentile.) From 20 points on: with five, one outlier is already 40 % of the pairs.
    #[test]
    fn theil_sen_shrugs_off_a_fifth_of_outliers(
        y in series_of_at_least(20),
        seed in any::<u64>(),
        outliers in prop::collection::vec(-1e12f64..1e12, 60),
    ) {
        let x = times(y.len());
        let clean = all_slopes(&x, &y);
        let mut dirty = y.clone();
        let replace = y.len() / 5;
        let mut state = seed;
        for k in 0..replace {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let at = (state >> 33) as usize % y.len();
            dirty[at] = outliers[k % outliers.len()];
        }
        let slope = theil_sen(&x, &dirty, 0.95).unwrap().slope;
        let (p10, p90) = (clean[clean.len() / 10], clean[clean.len() * 9 / 10]);
        prop_assert!(slope >= p10 && slope <= p90, "slope {slope} outside [{p10}, {p90}]");
    }
}
