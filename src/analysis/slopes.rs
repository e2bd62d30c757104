//! Slope selection: the `k`-th smallest of the `n(n−1)/2` pairwise slopes
//! `(y_j − y_i)/(x_j − x_i)` without computing them all — the heart of Theil–Sen.
//!
//! The method is randomized slope selection in the manner of Matoušek (1991) and
//! Dillencourt, Mount & Netanyahu (1992), specialised for a few hundred points. This
//! module holds its parts; [`super::slope_search`] decides where to use them.
//!
//! 1. a slope is `≤ t` exactly when the pair's order flips under the key `z = y − t·x`,
//!    so sorting the points by `z_t` counts the slopes `≤ t` (its inversions) in
//!    O(n log n) at worst ([`counted_order`], by [`super::key_order`]);
//! 2. re-sorting that order by `z_u` flips exactly the pairs whose slope lies between
//!    `t` and `u`; it is nearly in order already, so an insertion sort enumerates them in
//!    O(n + their number) ([`reorder`]), dividing each flipped pair's slope as it goes;
//! 3. a random sample of slopes ([`sample_slopes`]) says which `t` and `u` to try, and the
//!    wanted ranks are selected among the few slopes enumerated between them.
//!
//! Rounding: in floating point, the order of `z` can disagree with the divided slope for
//! slopes within rounding of `t`: within `δ`, a bound several times that disagreement
//! ([`Magnitudes::band`]). The slopes within `δ` of a threshold are therefore placed by
//! their divided values, and the order statistics are exactly those of the divided slopes,
//! as computing them all would give.
//!
//! Expected O(n log n) overall. When the search gives up (by chance, or because the order
//! of `z` contradicts itself) every slope is computed.

use super::key_order::{self, Keyed, goes_before};
use super::merge;
use super::slope_search::SlopeSearch;

/// Below this many points computing every slope is as fast.
const BRUTE_FORCE_BELOW: usize = 48;

/// A slope interval `(lo, hi]` to look in first: where the wanted ranks were found for the
/// same series a step earlier. A wrong bracket costs a little time, never a wrong answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    pub lo: f64,
    pub hi: f64,
}

/// What a selection found, and the bracket to try first for the same series a step later.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    pub values: Vec<f64>,
    pub next: Option<Bracket>,
}

/// A search for the slope order statistics of points with strictly increasing `x`, when
/// there are enough of them to be worth one (below that, computing every slope is as fast).
pub(super) fn search_for(x: &[f64], y: &[f64]) -> Option<SlopeSearch> {
    debug_assert!(x.windows(2).all(|w| w[0] < w[1]));
    if x.len() < BRUTE_FORCE_BELOW {
        return None;
    }
    SlopeSearch::new(x, y)
}

/// The slope order statistics at `ranks` (0-based among the pairs with `x_i < x_j`, each
/// below `n(n−1)/2`) of the points `search` was made for ([`search_for`]), looking in
/// `guess` first; every slope is computed when there is no search or it gives up.
pub(super) fn select_with(
    search: Option<&mut SlopeSearch>,
    x: &[f64],
    y: &[f64],
    ranks: &[usize],
    guess: Option<Bracket>,
) -> Selected {
    if let Some(found) = search.and_then(|search| search.select(x, y, ranks, guess)) {
        return found;
    }
    Selected {
        values: select_brute_force(x, y, ranks),
        next: None,
    }
}

/// Every slope, then selection: O(n²).
pub fn select_brute_force(x: &[f64], y: &[f64], ranks: &[usize]) -> Vec<f64> {
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            slopes.push(Ordered::of(slope_of(x, y, i, j)));
        }
    }
    select_among(&mut slopes, ranks)
}

/// A slope as an integer with the order of [`f64::total_cmp`]: selection compares
/// integers, which is about half again as fast as comparing the floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Ordered(i64);

impl Ordered {
    pub(super) fn of(value: f64) -> Self {
        let bits = value.to_bits() as i64;
        // Negative floats order backwards by their bits: flip all but the sign bit.
        Ordered(bits ^ (((bits >> 63) as u64) >> 1) as i64)
    }

    pub(super) fn value(self) -> f64 {
        let bits = self.0 ^ (((self.0 >> 63) as u64) >> 1) as i64;
        f64::from_bits(bits as u64)
    }
}

/// The `k`-th smallest (0-based) of `values`, reordering them.
fn order_statistic(values: &mut [Ordered], k: usize) -> Ordered {
    *values.select_nth_unstable(k).1
}

/// The order statistics at `ranks`, each selection confined to the part of `values` the
/// previous ones left between them (so several nearby ranks cost little more than one).
pub(super) fn select_among(values: &mut [Ordered], ranks: &[usize]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_unstable_by_key(|&i| ranks[i]);
    let mut found = vec![0.0; ranks.len()];
    let mut start = 0;
    let mut previous: Option<(usize, f64)> = None;
    for i in order {
        let rank = ranks[i];
        found[i] = match previous {
            Some((done, value)) if done == rank => value,
            _ => {
                let value = order_statistic(&mut values[start..], rank - start).value();
                start = rank + 1;
                value
            }
        };
        previous = Some((rank, found[i]));
    }
    found
}

/// How many slopes are `≤ lo` (none when `lo` is `None`: −∞), in O(n log n), and the
/// slopes in `(lo, hi]` (`None`: +∞), in O(n + their number). `None` when more than
/// `budget` lie in the bracket, a key is not finite, or the order contradicts itself.
/// A pair is classified by the order of `y − t·x`, not by its divided slope: the two can
/// disagree for a slope within rounding of `lo` or `hi`.
fn slopes_between(
    x: &[f64],
    y: &[f64],
    lo: Option<f64>,
    hi: Option<f64>,
    budget: usize,
) -> Option<(usize, Vec<Ordered>)> {
    let (mut order, below) = counted_order(x, y, lo.unwrap_or(f64::NEG_INFINITY))?;
    let slopes = reorder(x, y, &mut order, hi.unwrap_or(f64::INFINITY), budget, true)?;
    Some((below, slopes))
}

/// The points sorted by `z = y − t·x` (ties: the later point first), and how many pairs
/// that order inverts: the slopes `≤ t`, but for those within rounding of `t`. `t = −∞`
/// is index order (nothing inverted), `+∞` its reverse. `None` when a key is not finite.
pub(super) fn counted_order(x: &[f64], y: &[f64], t: f64) -> Option<(Vec<Keyed>, usize)> {
    let keys: Vec<f64> = (0..x.len()).map(|i| key_at(x, y, t, i)).collect();
    if !keys.iter().all(|k| k.is_finite()) {
        return None;
    }
    let (order, inverted) = key_order::sorted_counting_inversions(&keys);
    Some((order, usize::try_from(inverted).ok()?))
}

/// Re-sorts `order` (sorted by `z` under some slope `s`) by `z` under `t` with an insertion
/// sort, which costs one step per flip, returning the divided slope of every pair whose
/// order flips on the way: the slopes in `(s, t]` when `rising` (`t > s`), in `(t, s]`
/// otherwise, but for those within rounding of `s` or `t`. `None` when more than `budget`
/// pairs flip, a key is not finite, or a pair flips the wrong way (rounding disagreeing
/// with the division), so the caller can fall back.
pub(super) fn reorder(
    x: &[f64],
    y: &[f64],
    order: &mut [Keyed],
    t: f64,
    budget: usize,
    rising: bool,
) -> Option<Vec<Ordered>> {
    for item in order.iter_mut() {
        item.key = key_at(x, y, t, item.index as usize);
        if !item.key.is_finite() {
            return None;
        }
    }
    let mut slopes = Vec::with_capacity(budget.min(8 * order.len()));
    let completed = merge::insert_reporting_flips(order, &goes_before, &mut |passed, item| {
        if slopes.len() + passed.len() > budget {
            return false;
        }
        let moving = item.index as usize;
        for other in passed {
            let other = other.index as usize;
            // Rising, a later point overtakes earlier ones (the pair becomes inverted);
            // falling, an earlier point overtakes later ones. The other way is impossible
            // in exact arithmetic.
            if (other > moving) == rising {
                return false;
            }
            slopes.push(Ordered::of(slope_of(
                x,
                y,
                other.min(moving),
                other.max(moving),
            )));
        }
        true
    });
    completed.then_some(slopes)
}

/// Point `i`'s key under slope `t`: `y − t·x`; under ±∞ its index (reversed for +∞),
/// the order every pair takes there.
fn key_at(x: &[f64], y: &[f64], t: f64, i: usize) -> f64 {
    if t == f64::NEG_INFINITY {
        i as f64
    } else if t == f64::INFINITY {
        -(i as f64)
    } else {
        y[i] - t * x[i]
    }
}

/// The slope of the pair `(i, j)`: every slope the selection compares or reports is
/// divided here, so all of them round alike.
pub(super) fn slope_of(x: &[f64], y: &[f64], i: usize, j: usize) -> f64 {
    (y[j] - y[i]) / (x[j] - x[i])
}

/// How many slopes are `≤ t`, each slope taken as its division `(y_j − y_i)/(x_j − x_i)`
/// (what the selection reports), in O(n log n + the slopes within rounding of `t`); `None`
/// when `t` or a key is not finite or rounding disagrees with the order (then count by
/// selecting instead).
///
/// The count by the order of `y − t·x` can disagree with the divisions for slopes within
/// rounding of `t`, so the slopes are counted at `t − δ` and those in `(t − δ, t + δ]`
/// enumerated and compared by their divided values; `δ` is [`Magnitudes::band`].
pub(super) fn count_at_most(x: &[f64], y: &[f64], t: f64) -> Option<usize> {
    let band = Magnitudes::of(x, y)?.band(t.abs())?;
    let (below, near) = slopes_between(x, y, Some(t - band), Some(t + band), usize::MAX)?;
    Some(below + near.into_iter().filter(|slope| slope.value() <= t).count())
}

/// The sizes of a series that bound rounding: the largest `|x|` and `|y|` and the least
/// spacing of `x`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Magnitudes {
    largest_x: f64,
    largest_y: f64,
    spacing: f64,
}

impl Magnitudes {
    /// `None` when `x` does not strictly increase or a magnitude is not finite.
    pub(super) fn of(x: &[f64], y: &[f64]) -> Option<Magnitudes> {
        let spacing = x
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let largest = |values: &[f64]| values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let magnitudes = Magnitudes {
            largest_x: largest(x),
            largest_y: largest(y),
            spacing,
        };
        (spacing > 0.0
            && spacing.is_finite()
            && magnitudes.largest_x.is_finite()
            && magnitudes.largest_y.is_finite())
        .then_some(magnitudes)
    }

    /// A slope distance beyond which classifying a pair by the order of `y − t·x` (for
    /// `|t|` up to `largest_t`) and by its divided slope cannot disagree; `None` when the
    /// bound is not finite.
    ///
    /// With `u = 2⁻⁵³` (each operation off by at most half an ulp; Higham 2002, §2.2),
    /// `z = y − t·x` is off by at most `u(|y| + 2|t·x|)(1 + u)`, so two keys compare as
    /// their exact values do unless the slope is within `2u(Y + 2TX)(1 + u)/Δx` of `t`
    /// (`Y`, `X` the largest magnitudes, `T = largest_t`, `Δx` the least spacing); a
    /// divided slope is off by at most `3u|s|` to first order (the differences and the
    /// division each rounded once). The band is four times their sum.
    pub(super) fn band(&self, largest_t: f64) -> Option<f64> {
        let u = f64::EPSILON / 2.0;
        let keys = 2.0 * u * (self.largest_y + 2.0 * largest_t * self.largest_x) * (1.0 + u)
            / self.spacing;
        let band = 4.0 * (keys + 3.0 * u * largest_t);
        band.is_finite().then_some(band)
    }
}

/// `count` slopes of pseudo-random pairs. Seeded from the data size, so the result of a
/// selection never depends on chance (only how fast it is found). One 64-bit LCG step
/// gives both indices (its high and low halves, each scaled to `0..n` by a multiply), so
/// consecutive pairs do not wait on a long chain of generator arithmetic.
pub(super) fn sample_slopes(x: &[f64], y: &[f64], count: usize) -> Vec<Ordered> {
    let n = x.len() as u64;
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ n;
    let mut slopes = Vec::with_capacity(count);
    while slopes.len() < count {
        // Knuth's MMIX LCG; the halves' high bits are the well-mixed ones.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let a = (((state >> 32) * n) >> 32) as usize;
        let b = (((state & 0xFFFF_FFFF) * n) >> 32) as usize;
        if a != b {
            let (i, j) = (a.min(b), a.max(b));
            slopes.push(Ordered::of(slope_of(x, y, i, j)));
        }
    }
    slopes
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn select_near(x: &[f64], y: &[f64], ranks: &[usize], guess: Option<Bracket>) -> Selected {
        select_with(search_for(x, y).as_mut(), x, y, ranks, guess)
    }

    /// `n` points 300 apart, falling 2.5 per point under noise of `levels` steps.
    pub(in crate::analysis) fn series(n: usize, seed: u64, levels: u64) -> (Vec<f64>, Vec<f64>) {
        let mut state = seed;
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 300.0 + 17.0).collect();
        let y = (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                -2.5 * i as f64 + ((state >> 33) % levels) as f64
            })
            .collect();
        (x, y)
    }

    #[test]
    fn the_search_finds_the_same_order_statistics_as_brute_force() {
        for (n, levels) in [(48, 1000), (96, 7), (288, 1_000_000), (500, 3), (1000, 50)] {
            let (x, y) = series(n, n as u64, levels);
            let pairs = n * (n - 1) / 2;
            let ranks = [0, pairs / 3, pairs / 2, pairs / 2 + 1, pairs - 1];
            let found =
                SlopeSearch::new(&x, &y).and_then(|mut s| s.select(&x, &y, &ranks[1..4], None));
            let expected = select_brute_force(&x, &y, &ranks[1..4]);
            // The search may give up (then every slope is computed); when it answers, it is exact.
            if let Some(found) = found {
                assert_eq!(found.values, expected, "n = {n}, levels = {levels}");
            }
            assert_eq!(
                select_near(&x, &y, &ranks, None).values,
                select_brute_force(&x, &y, &ranks),
                "n = {n}, levels = {levels}"
            );
        }
    }

    /// One search asked again and again (the median, then Sen's interval, then ranks on
    /// both sides of what it has seen, the extremes, and the middle once more) answers
    /// each time what computing every slope answers; for typical series it never gives up.
    #[test]
    fn a_search_asked_again_answers_each_query_exactly() {
        for (n, levels, typical) in [
            (48, 1000, true),
            (97, 5, false),
            (288, 1_000_000, true),
            (288, 3, false),
            (600, 40, true),
        ] {
            let (x, y) = series(n, n as u64 + 7, levels);
            let pairs = n * (n - 1) / 2;
            let middle = [(pairs - 1) / 2, pairs / 2];
            let queries: [&[usize]; 6] = [
                &middle,
                &[pairs / 2 - pairs / 12, pairs / 2 + pairs / 12],
                &[pairs / 2 + pairs / 11, pairs / 3],
                &[pairs / 2 - 7],
                &[0, pairs - 1],
                &middle,
            ];
            let mut search = SlopeSearch::new(&x, &y).unwrap();
            for ranks in queries {
                let expected = select_brute_force(&x, &y, ranks);
                match search.select(&x, &y, ranks, None) {
                    Some(found) => assert_eq!(found.values, expected, "n {n}, ranks {ranks:?}"),
                    None => assert!(!typical, "gave up: n {n}, levels {levels}, {ranks:?}"),
                }
            }
        }
    }

    /// Where many slopes are equal but for rounding, the ranks around every anchor a
    /// search sets (all within a few thousand of the median, asked one by one) are those
    /// of the divided slopes: the search places the slopes near its thresholds by their
    /// divided values.
    #[test]
    fn ranks_beside_the_search_thresholds_are_exact_when_rounding_disagrees() {
        let mut state = 5_u64;
        let n = 288;
        let x: Vec<f64> = (0..n).map(|i| 300.0 * i as f64 - 86_400.0).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 33) % 5) as f64 - 0.1 * i as f64
            })
            .collect();
        let pairs = n * (n - 1) / 2;
        let mut all: Vec<f64> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| slope_of(&x, &y, i, j))
            .collect();
        all.sort_by(f64::total_cmp);
        let mut search = SlopeSearch::new(&x, &y).unwrap();
        for rank in (pairs / 2 - 3000..pairs / 2 + 3000).step_by(7) {
            let found = search.select(&x, &y, &[rank], None).unwrap();
            assert_eq!(
                found.values[0].to_bits(),
                all[rank].to_bits(),
                "rank {rank}"
            );
        }
    }

    /// A window sliding three points at a time: each step looks first where the previous
    /// one found its ranks. Right or wrong (far off, reversed, not a number), a guess never
    /// changes the answer; the bracket passed on is used at nearly every step.
    #[test]
    fn a_guessed_bracket_changes_nothing_but_where_the_search_starts() {
        let (x, y) = series(600, 7, 1_000_000);
        let window = 288;
        let pairs = window * (window - 1) / 2;
        let ranks = [pairs / 2 - 1, pairs / 2, pairs / 3];
        let mut guess = None;
        let mut carried = 0;
        for start in (0..=x.len() - window).step_by(3) {
            let (x, y) = (&x[start..start + window], &y[start..start + window]);
            let expected = select_brute_force(x, y, &ranks);
            let found = select_near(x, y, &ranks, guess);
            assert_eq!(found.values, expected, "window at {start}");
            if let Some(bracket) = guess {
                let mut search = SlopeSearch::new(x, y).unwrap();
                assert!(search.select(x, y, &ranks, Some(bracket)).is_some());
                carried += usize::from(!search.used_sample());
            }
            guess = found.next;
            for wrong in [
                Bracket { lo: 1e6, hi: 2e6 },
                Bracket { lo: 1.0, hi: -1.0 },
                Bracket {
                    lo: f64::NAN,
                    hi: 0.0,
                },
                Bracket {
                    lo: -1e300,
                    hi: 1e300,
                },
            ] {
                // The search recovers from the guess itself rather than giving up.
                let mut search = SlopeSearch::new(x, y).unwrap();
                let found = search.select(x, y, &ranks, Some(wrong));
                assert_eq!(found.map(|f| f.values), Some(expected.clone()), "{wrong:?}");
            }
        }
        assert!(
            carried >= 95 * 104 / 100,
            "the carried bracket held {carried} of 104 steps"
        );
    }

    /// Values like `3 − 0.1·i` make many slopes equal but for rounding, which the order
    /// of `y − t·x` cannot tell apart: the selection still gives the divided slopes' own
    /// order statistics, bit for bit.
    #[test]
    fn slopes_equal_but_for_rounding_are_ordered_as_divided() {
        let mut state = 17_u64;
        let mut draw = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % 5) as f64
        };
        for _ in 0..96 {
            draw();
        }
        for n in [97, 150, 288] {
            let x: Vec<f64> = (0..n).map(|i| 300.0 * i as f64 - 86_400.0).collect();
            let y: Vec<f64> = (0..n).map(|i| draw() - 0.1 * i as f64).collect();
            let pairs = n * (n - 1) / 2;
            let median = [(pairs - 1) / 2, pairs / 2];
            let expected = select_brute_force(&x, &y, &median);
            assert_eq!(select_near(&x, &y, &median, None).values, expected, "n {n}");
            let guess = Bracket {
                lo: expected[0] * 1.5,
                hi: expected[0] * 0.5,
            };
            assert_eq!(select_near(&x, &y, &median, Some(guess)).values, expected);
            let spread = [pairs / 5, pairs - pairs / 5];
            let expected = select_brute_force(&x, &y, &spread);
            assert_eq!(select_near(&x, &y, &spread, None).values, expected, "n {n}");
        }
    }

    /// The count of slopes `≤ t` is that of the divided slopes, exactly — also at a slope
    /// many pairs share (integer values with few levels) and one ulp either side of it.
    #[test]
    fn counting_matches_the_divided_slopes() {
        for (n, levels) in [(50, 3), (144, 7), (288, 1_000_000), (97, 1)] {
            let (x, y) = series(n, n as u64 + 1, levels);
            let mut all = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    all.push((y[j] - y[i]) / (x[j] - x[i]));
                }
            }
            let pairs = all.len();
            let mut sorted = all.clone();
            sorted.sort_by(f64::total_cmp);
            for t in [
                sorted[pairs / 2],
                sorted[pairs / 2].next_up(),
                sorted[pairs / 2].next_down(),
                sorted[pairs / 7],
                0.0,
                -2.5,
                -1e9,
            ] {
                let expected = all.iter().filter(|&&s| s <= t).count();
                assert_eq!(count_at_most(&x, &y, t), Some(expected), "n {n}, t {t}");
            }
        }
    }

    #[test]
    fn the_search_answers_for_a_typical_series() {
        let (x, y) = series(288, 42, 1_000_000);
        let pairs = 288 * 287 / 2;
        let mut search = SlopeSearch::new(&x, &y).unwrap();
        assert!(search.select(&x, &y, &[pairs / 2], None).is_some());
    }

    /// The integer keys order like `total_cmp`, zeros and extremes included, and give the
    /// float back bit for bit.
    #[test]
    fn ordered_keys_keep_the_float_order() {
        let values = [
            f64::NEG_INFINITY,
            f64::MIN,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1e-300,
            3.0,
            f64::MAX,
            f64::INFINITY,
        ];
        for a in values {
            assert_eq!(Ordered::of(a).value().to_bits(), a.to_bits());
            for b in values {
                assert_eq!(
                    Ordered::of(a).cmp(&Ordered::of(b)),
                    a.total_cmp(&b),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn all_equal_slopes() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|x| 5.0 - 0.5 * x).collect();
        assert_eq!(
            select_near(&x, &y, &[0, 2000, 4949], None).values,
            vec![-0.5; 3]
        );
    }
}
