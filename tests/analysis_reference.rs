//! The trend analysis against reference values computed once with pymannkendall and
//! scipy.stats.theilslopes (tests/fixtures/analysis/generate_reference.py wrote
//! reference.json; see there for how to regenerate it).

use serde::Deserialize;
use trendwatch::analysis::kendall::{self, hamed_rao_inflation, mann_kendall};
use trendwatch::analysis::trend::{seasonal_theil_sen, sen_slope, theil_sen};

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<Option<f64>>,
    mann_kendall: MannKendallReference,
    hamed_rao: Option<HamedRaoReference>,
    theil_sen: Option<TheilSenReference>,
    seasonal: Option<SeasonalReference>,
}

#[derive(Deserialize)]
struct MannKendallReference {
    s: i64,
    var_s: f64,
    z: f64,
    p: f64,
}

#[derive(Deserialize)]
struct HamedRaoReference {
    n_ns: f64,
}

#[derive(Deserialize)]
struct TheilSenReference {
    slope: f64,
    intercept: f64,
    low: Option<f64>,
    high: Option<f64>,
}

#[derive(Deserialize)]
struct SeasonalReference {
    period: usize,
    s: i64,
    var_s: f64,
    slope_per_cycle: f64,
}

fn reference() -> Vec<Case> {
    let text = include_str!("fixtures/analysis/reference.json");
    serde_json::from_str::<Reference>(text)
        .expect("reference.json parses")
        .cases
}

/// The present points of a case (missing values skipped, as pymannkendall does).
fn present(case: &Case) -> (Vec<f64>, Vec<f64>) {
    case.x
        .iter()
        .zip(&case.y)
        .filter_map(|(x, y)| y.map(|y| (*x, y)))
        .unzip()
}

fn close(got: f64, expected: f64, relative: f64) -> bool {
    (got - expected).abs() <= relative * expected.abs().max(1e-300) || got == expected
}

#[test]
fn mann_kendall_matches_pymannkendall() {
    for case in reference() {
        let (_, y) = present(&case);
        let expected = &case.mann_kendall;
        let got = mann_kendall(&y).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(got.s, expected.s, "{}: S", case.name);
        assert!(
            close(got.variance, expected.var_s, 1e-12),
            "{}: Var(S) {} vs {}",
            case.name,
            got.variance,
            expected.var_s
        );
        assert!(
            (got.z - expected.z).abs() < 1e-9,
            "{}: z {} vs {}",
            case.name,
            got.z,
            expected.z
        );
        // Our erfc is accurate to 1.2e-7 relative; pymannkendall uses scipy's norm.cdf.
        assert!(
            (got.p_value - expected.p).abs() <= 2e-7 * expected.p.max(1e-12) + 1e-15,
            "{}: p {} vs {}",
            case.name,
            got.p_value,
            expected.p
        );
    }
}

#[test]
fn hamed_rao_factor_matches_pymannkendall_floored_at_one() {
    let mut checked = 0;
    for case in reference() {
        let Some(expected) = &case.hamed_rao else {
            continue;
        };
        let (x, y) = present(&case);
        if case.mann_kendall.var_s == 0.0 {
            continue; // all equal: no variance to inflate
        }
        // pymannkendall detrends with Sen's slope over the index.
        let index: Vec<f64> = (0..y.len()).map(|i| i as f64).collect();
        let slope = sen_slope(&index, &y).unwrap();
        let residuals: Vec<f64> = y
            .iter()
            .zip(&index)
            .map(|(y, i)| y - (i + 1.0) * slope)
            .collect();
        let got = hamed_rao_inflation(&residuals, 0.05);
        assert!(
            close(got, expected.n_ns.max(1.0), 1e-9),
            "{}: n/n* {} vs {}",
            case.name,
            got,
            expected.n_ns
        );
        assert_eq!(x.len(), y.len());
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} cases had a Hamed–Rao reference"
    );
}

#[test]
fn theil_sen_matches_scipy() {
    for case in reference() {
        let Some(expected) = &case.theil_sen else {
            continue;
        };
        let (x, y) = present(&case);
        let got = theil_sen(&x, &y, 0.95).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(
            close(got.slope, expected.slope, 1e-9),
            "{}: slope {} vs {}",
            case.name,
            got.slope,
            expected.slope
        );
        assert!(
            close(got.intercept, expected.intercept, 1e-9),
            "{}: intercept {} vs {}",
            case.name,
            got.intercept,
            expected.intercept
        );
        if let (Some(low), Some(high)) = (expected.low, expected.high) {
            assert!(
                close(got.slope_low, low, 1e-9),
                "{}: low {} vs {low}",
                case.name,
                got.slope_low
            );
            assert!(
                close(got.slope_high, high, 1e-9),
                "{}: high {} vs {high}",
                case.name,
                got.slope_high
            );
        }
    }
}

#[test]
fn seasonal_test_and_slope_match_pymannkendall() {
    let mut checked = 0;
    for case in reference() {
        let Some(expected) = &case.seasonal else {
            continue;
        };
        let mut seasons = vec![(Vec::new(), Vec::new()); expected.period];
        for (i, y) in case.y.iter().enumerate() {
            if let Some(y) = y {
                // Time in cycles, so the slope is per cycle as pymannkendall reports it.
                seasons[i % expected.period]
                    .0
                    .push((i / expected.period) as f64);
                seasons[i % expected.period].1.push(*y);
            }
        }
        let values: Vec<Vec<f64>> = seasons.iter().map(|(_, y)| y.clone()).collect();
        let test = kendall::seasonal_mann_kendall(&values).unwrap();
        assert_eq!(test.s, expected.s, "{}: S", case.name);
        assert!(
            close(test.variance, expected.var_s, 1e-12),
            "{}: Var(S)",
            case.name
        );
        let fit = seasonal_theil_sen(&seasons, 0.95).unwrap();
        assert!(
            close(fit.slope, expected.slope_per_cycle, 1e-9),
            "{}: slope {} vs {}",
            case.name,
            fit.slope,
            expected.slope_per_cycle
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}
