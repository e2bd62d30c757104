//! Change: the current window against earlier ones, as a factor, a relative change or a
//! difference, with a volume floor so tiny counts never page anyone.

/// One window's value and the documents behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowValue {
    pub value: f64,
    pub count: u64,
}

/// How big a change must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// `current ≥ factor·baseline` (increase) or `current ≤ baseline/factor` (decrease).
    Factor(f64),
    /// `current ≥ (1+r)·baseline` (increase) or `current ≤ (1−r)·baseline` (decrease).
    Relative(f64),
    /// `current − baseline ≥ d` (increase) or `baseline − current ≥ d` (decrease).
    Absolute(f64),
}

/// The outcome of comparing the current window with one baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Too few documents in the current window or the baseline to judge.
    BelowFloor,
    /// `factor` is `current / baseline` (infinite for a zero baseline with a non-zero current).
    Judged { holds: bool, factor: f64 },
}

/// Compares `current` with `baseline`; `increase` chooses the bad direction.
pub fn compare(
    current: WindowValue,
    baseline: WindowValue,
    increase: bool,
    amount: Amount,
    min_count: u64,
) -> Comparison {
    if current.count < min_count || baseline.count < min_count {
        return Comparison::BelowFloor;
    }
    let (now, before) = (current.value, baseline.value);
    let holds = match (amount, increase) {
        (Amount::Factor(f), true) => now > before && now >= f * before,
        (Amount::Factor(f), false) => now < before && now * f <= before,
        (Amount::Relative(r), true) => now > before && now >= (1.0 + r) * before,
        (Amount::Relative(r), false) => now < before && now <= (1.0 - r) * before,
        (Amount::Absolute(d), true) => now - before >= d,
        (Amount::Absolute(d), false) => before - now >= d,
    };
    let factor = if before != 0.0 {
        now / before
    } else if now == 0.0 {
        1.0
    } else {
        f64::INFINITY
    };
    Comparison::Judged { holds, factor }
}

/// The Wilson score interval of a binomial share `successes / trials` (Wilson 1927):
/// with `p = s/n`, centre `(p + z²/2n) / (1 + z²/n)` and half-width
/// `z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)`. Unlike `p ± z·√(p(1−p)/n)` it stays inside
/// [0, 1] and is honest for small counts, so 3 errors in 240 requests cannot look like a
/// tripled error rate. `None` for zero trials.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = (successes.min(trials)) as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// A share estimated with the Jeffreys prior, `(successes + ½) / (trials + 1)`: the
/// posterior mean for a binomial rate. A baseline of 0 errors in 240 requests is then about
/// 0.2 %, not 0 — against 0, any single error would be an infinite rise.
pub fn jeffreys_share(successes: u64, trials: u64) -> f64 {
    (successes.min(trials) as f64 + 0.5) / (trials as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(value: f64, count: u64) -> WindowValue {
        WindowValue { value, count }
    }

    #[test]
    fn a_tripled_error_share_holds_for_3x() {
        let outcome = compare(
            window(0.03, 600),
            window(0.01, 600),
            true,
            Amount::Factor(3.0),
            200,
        );
        assert_eq!(
            outcome,
            Comparison::Judged {
                holds: true,
                factor: 3.0
            }
        );
    }

    #[test]
    fn tiny_volumes_are_not_judged() {
        assert_eq!(
            compare(
                window(0.5, 4),
                window(0.01, 600),
                true,
                Amount::Factor(3.0),
                200
            ),
            Comparison::BelowFloor
        );
        assert_eq!(
            compare(
                window(0.5, 600),
                window(0.0, 10),
                true,
                Amount::Factor(3.0),
                200
            ),
            Comparison::BelowFloor
        );
    }

    #[test]
    fn decreases_and_differences_use_the_bad_direction() {
        assert!(matches!(
            compare(
                window(40.0, 1),
                window(100.0, 1),
                false,
                Amount::Relative(0.5),
                0
            ),
            Comparison::Judged { holds: true, .. }
        ));
        assert!(matches!(
            compare(
                window(60.0, 1),
                window(100.0, 1),
                false,
                Amount::Relative(0.5),
                0
            ),
            Comparison::Judged { holds: false, .. }
        ));
        assert!(matches!(
            compare(
                window(350.0, 1),
                window(100.0, 1),
                true,
                Amount::Absolute(200.0),
                0
            ),
            Comparison::Judged { holds: true, .. }
        ));
        assert!(matches!(
            compare(
                window(250.0, 1),
                window(100.0, 1),
                true,
                Amount::Absolute(200.0),
                0
            ),
            Comparison::Judged { holds: false, .. }
        ));
    }

    /// Hand computation for 24 of 600 at z = 1.96: p = 0.04, 1 + z²/n = 1.006403,
    /// centre = 0.042927, half-width = 0.015902 → (0.027025, 0.058829); statsmodels'
    /// `proportion_confint(24, 600, method="wilson")` gives the same to 5 decimals.
    #[test]
    fn wilson_interval_matches_hand_computation() {
        let (low, high) = wilson_interval(24, 600, 1.96).unwrap();
        assert!((low - 0.027_025).abs() < 5e-6, "{low}");
        assert!((high - 0.058_829).abs() < 5e-6, "{high}");
        assert_eq!(wilson_interval(0, 0, 1.96), None);
        let (low, _) = wilson_interval(0, 50, 1.96).unwrap();
        assert_eq!(low, 0.0);
    }

    #[test]
    fn jeffreys_shares_never_reach_zero() {
        assert_eq!(jeffreys_share(0, 240), 0.5 / 241.0);
        assert_eq!(jeffreys_share(6, 1_199), 6.5 / 1_200.0);
    }

    #[test]
    fn a_zero_baseline_makes_any_rise_infinite() {
        assert_eq!(
            compare(
                window(0.02, 300),
                window(0.0, 300),
                true,
                Amount::Factor(3.0),
                200
            ),
            Comparison::Judged {
                holds: true,
                factor: f64::INFINITY
            }
        );
    }
}
