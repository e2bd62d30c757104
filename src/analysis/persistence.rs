//! Persistence: whether a trend holds across its window or is one step. A deploy that
//! lowers free memory once makes a strong, significant overall slope; a leak falls in
//! both halves of the window. The halves are fitted for a full verdict, and for a status
//! alone decided by counting their slopes, which is several times cheaper.

use super::AnalysisError;
use super::sliding::SlidingScore;
use super::trend::{median_ranks, sen_slope, sen_slope_at_most};

/// The share of the overall slope each half of the span must show, in the same direction,
/// for a trend to count as persistent.
pub const PERSISTENCE_SHARE: f64 = 0.25;

/// The Theil–Sen slopes of the first and the second half of the points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Halves {
    pub first: f64,
    pub second: f64,
}

impl Halves {
    /// Whether both halves move the same way as `slope` by at least
    /// [`PERSISTENCE_SHARE`] of it. A level shift — a deploy that lowers free memory once,
    /// then nothing — makes a strong, significant overall slope whose halves are both
    /// flat (or one holds the step and the other is flat); a leak falls in both.
    pub fn persist(&self, slope: f64) -> bool {
        let enough = |half: f64| half * slope.signum() >= PERSISTENCE_SHARE * slope.abs();
        slope != 0.0 && enough(self.first) && enough(self.second)
    }
}

/// Splits the points (in time order) into halves and fits each: the test that a trend
/// persists across the span rather than being one step (DESIGN: "a trend must persist
/// across the window").
pub fn halves(x: &[f64], y: &[f64]) -> Result<Halves, AnalysisError> {
    let middle = x.len() / 2;
    Ok(Halves {
        first: sen_slope(&x[..middle], &y[..middle])?,
        second: sen_slope(&x[middle..], &y[middle..])?,
    })
}

/// Whether the halves of the points persist in the way of `slope`, as
/// [`Halves::persist`] says of [`halves`] (false when a half cannot be fitted), decided by
/// counting each half's slopes against the share of `slope` it needs, which is several
/// times cheaper than fitting the halves.
pub fn halves_persist(x: &[f64], y: &[f64], slope: f64) -> bool {
    slope != 0.0 && halves_reach(x, y, PERSISTENCE_SHARE * slope, slope < 0.0)
}

/// Whether the Theil–Sen slopes of both halves of the points may head the bad way at all
/// (`≤ 0` when `falling`, `≥ 0` else): false only when a half's slope surely heads the
/// other way, or a half is too short to fit. With `x` strictly increasing a pair's slope
/// is `≤ 0` exactly when its values do not rise (rounding keeps a difference's sign), so
/// of a half's `N` pairs, `(N + T − S)/2` have a slope `≤ 0` and `(N + T + S)/2` one
/// `≥ 0` (`S` and the tied pairs `T` as the test counts them, kept up to date in `hints`
/// as the window slides). When that count does not reach the lower middle rank, the
/// median is beyond zero. `labels` name the points across calls.
pub fn halves_head(
    x: &[f64],
    y: &[f64],
    labels: &[i64],
    falling: bool,
    hints: &mut [SlidingScore; 2],
) -> bool {
    if x.len() != y.len() || labels.len() != y.len() || !x.windows(2).all(|w| w[0] < w[1]) {
        return true;
    }
    let middle = x.len() / 2;
    let [first, second] = hints;
    let heads = |state: &mut SlidingScore, range: std::ops::Range<usize>| {
        let Ok(score) = state.score(&labels[range.clone()], &y[range.clone()]) else {
            return false;
        };
        let n = range.len() as u64;
        let pairs = n * (n - 1) / 2;
        let signed = if falling { -score.s } else { score.s };
        // Twice the count of slopes heading the bad way (or flat).
        let doubled = pairs as i64 + score.tied_pairs as i64 + signed;
        let (lower, _) = median_ranks(pairs as usize);
        doubled > 2 * lower as i64
    };
    heads(first, 0..middle) && heads(second, middle..x.len())
}

/// Whether the Theil–Sen slopes of both halves of the points are at most `bound` (when
/// `falling`) or at least `bound` (else); false when a half cannot be fitted or the lengths
/// differ. Decided by counting ([`sen_slope_at_most`]); the second half is looked at only
/// when the first gets there.
fn halves_reach(x: &[f64], y: &[f64], bound: f64, falling: bool) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let reaches = |x: &[f64], y: &[f64]| {
        if falling {
            sen_slope_at_most(x, y, bound)
        } else {
            // A slope at least `bound` is its mirror image's at most `−bound`.
            let mirrored: Vec<f64> = y.iter().map(|v| -v).collect();
            sen_slope_at_most(x, &mirrored, -bound)
        }
    };
    let middle = x.len() / 2;
    reaches(&x[..middle], &y[..middle]).unwrap_or(false)
        && reaches(&x[middle..], &y[middle..]).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step down in the middle of flat data: a strong overall slope, flat halves. A
    /// steady fall: both halves fall as fast as the whole.
    #[test]
    fn a_step_does_not_persist_but_a_fall_does() {
        let x: Vec<f64> = (0..40).map(f64::from).collect();
        let wiggle = |i: f64| if (i as i64) % 2 == 0 { 0.5 } else { -0.5 };
        let step: Vec<f64> = x
            .iter()
            .map(|&i| if i < 20.0 { 100.0 } else { 60.0 } + wiggle(i))
            .collect();
        let slope = sen_slope(&x, &step).unwrap();
        assert!(slope < -0.5, "the step looks like a fall overall: {slope}");
        let split = halves(&x, &step).unwrap();
        assert_eq!((split.first, split.second), (0.0, 0.0));
        assert!(!split.persist(slope));
        let fall: Vec<f64> = x.iter().map(|&i| 100.0 - i + wiggle(i)).collect();
        let slope = sen_slope(&x, &fall).unwrap();
        assert!(halves(&x, &fall).unwrap().persist(slope));
    }

    /// Deciding by counting agrees with fitting: at the median itself and one ulp either
    /// side, for series with many equal slopes (the middle pair often straddles nothing),
    /// rising and falling, and with huge values.
    #[test]
    fn counting_decides_as_the_fitted_slope_does() {
        let mut state = 17_u64;
        let mut next = |levels: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % levels) as f64
        };
        let mut decided = 0;
        for (n, levels, fall, scale) in [
            (96, 1_000, 2.0, 1.0),
            (97, 5, 0.1, 1.0),
            (144, 3, 0.0, 1.0),
            (288, 1_000_000, -3.0, 1.0),
            (60, 50, 1.0, 1e300),
        ] {
            let x: Vec<f64> = (0..n).map(|i| 300.0 * f64::from(i) - 86_400.0).collect();
            let y: Vec<f64> = (0..n)
                .map(|i| scale * (next(levels) - fall * f64::from(i)))
                .collect();
            let slope = sen_slope(&x, &y).unwrap();
            for t in [slope, slope.next_down(), slope.next_up(), 0.0, slope * 0.5] {
                assert_eq!(
                    sen_slope_at_most(&x, &y, t).unwrap(),
                    slope <= t,
                    "n {n}, levels {levels}, t {t}, slope {slope}"
                );
                decided += 1;
            }
            for overall in [slope, -slope, 4.0 * slope, slope / 8.0] {
                let fitted = halves(&x, &y).is_ok_and(|h| h.persist(overall));
                assert_eq!(halves_persist(&x, &y, overall), fitted, "n {n}: {overall}");
            }
        }
        assert_eq!(decided, 25);
        assert!(
            !halves_persist(&[0.0, 1.0], &[1.0, 0.0], -1.0),
            "halves too short"
        );
    }

    /// The halves' scores rule a series out only when a fitted half heads the other way,
    /// as the window slides (scores updated) and for series with many ties; and they rule
    /// out a day whose halves are a cycle's fall and rise.
    #[test]
    fn halves_head_rules_out_only_what_fitting_would() {
        let mut state = 5_u64;
        let series: Vec<f64> = (0..900)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let cycle = 40.0 * (std::f64::consts::TAU * f64::from(i) / 300.0).sin();
                (cycle + ((state >> 33) % 30) as f64).round()
            })
            .collect();
        for falling in [true, false] {
            let mut hints = [SlidingScore::default(), SlidingScore::default()];
            let mut ruled_out = 0;
            for end in (96..=series.len()).step_by(3) {
                let y = &series[end - 96..end];
                let labels: Vec<i64> = (end as i64 - 96..end as i64).collect();
                let x: Vec<f64> = labels.iter().map(|&l| 300.0 * l as f64).collect();
                let split = halves(&x, y).unwrap();
                let heads = |half: f64| if falling { half <= 0.0 } else { half >= 0.0 };
                if !halves_head(&x, y, &labels, falling, &mut hints) {
                    ruled_out += 1;
                    assert!(
                        !(heads(split.first) && heads(split.second)),
                        "{end}: {split:?}"
                    );
                }
            }
            assert!(ruled_out > 50, "ruled out {ruled_out} windows");
        }
        let x: Vec<f64> = (0..96).map(f64::from).collect();
        let day: Vec<f64> = x
            .iter()
            .map(|h| (h * std::f64::consts::TAU / 96.0).cos())
            .collect();
        let mut hints = [SlidingScore::default(), SlidingScore::default()];
        let labels: Vec<i64> = (0..96).collect();
        assert!(!halves_head(&x, &day, &labels, true, &mut hints));
        assert!(!halves_head(&x, &day, &labels, false, &mut hints));
    }
}
