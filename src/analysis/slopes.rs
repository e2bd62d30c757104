//! Slope selection: the `k`-th smallest of the `n(n−1)/2` pairwise slopes
//! `(y_j − y_i)/(x_j − x_i)` without computing them all — the heart of Theil–Sen.
//!
//! The method is randomized slope selection in the manner of Matoušek (1991) and
//! Dillencourt, Mount & Netanyahu (1992), specialised for a few hundred points:
//!
//! 1. sample `m = 6n` random pairs (at most 8192); their slopes' quantiles bracket
//!    the wanted ranks in an interval `(lo, hi]` that holds about `N/√m` slopes;
//! 2. a slope is `≤ t` exactly when the pair's order flips under the key `z = y − t·x`,
//!    so sorting the points by `z_lo` with a merge sort counts the slopes `≤ lo` (its
//!    inversions) in O(n log n);
//! 3. merge-sorting that order by `z_hi` flips exactly the pairs whose slope lies in
//!    `(lo, hi]`, so they are enumerated in O(n log n + their number); their slopes are
//!    divided afterwards, as they are classified, in a pass that does not wait on the sort;
//! 4. the wanted ranks are selected among those few candidates.
//!
//! A caller that judges the same series again a few points later (a backtest) may pass
//! the bracket the previous selection returns: step 1 is then skipped, and the bracket
//! (about 2,000 slopes of 41,000 for 288 points, where a sampled one holds about 3,000)
//! makes steps 3 and 4 cheaper too.
//!
//! Rounding: in floating point, the order of `z` can disagree with the divided slope for
//! slopes within rounding of `t`. So steps 2 and 3 run at `lo − δ` and `hi + δ`, `δ` a
//! bound several times that disagreement ([`rounding_band`]), and the slopes enumerated
//! within `δ` of either end are placed by their divided values. The order statistics are
//! therefore exactly those of the divided slopes, as computing them all would give.
//!
//! Expected O(n log n) overall. When a bracket misses (rare, by chance) or the order of `z`
//! contradicts itself, it falls back to computing every slope.

use super::merge;

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

/// Slopes a next bracket holds on each side of the ranks found. Consecutive windows of a
/// series share all but a few points, so their ranks move little: in the backtest bench
/// (288 points, 3 new each step) the wanted ranks stay inside at about 98 % of the steps
/// with 1,000 (64 % with 400), and the bracket still holds far fewer slopes than a
/// sampled one.
const NEXT_BRACKET_SLOPES: f64 = 1000.0;

/// The slope order statistics at `ranks` (0-based among the pairs with `x_i < x_j`), for
/// points with strictly increasing `x`; every rank must be below `n(n−1)/2`. Looks in
/// `guess` first; when the wanted ranks are not all inside it, in a sampled bracket.
pub fn select_near(x: &[f64], y: &[f64], ranks: &[usize], guess: Option<Bracket>) -> Selected {
    debug_assert!(x.windows(2).all(|w| w[0] < w[1]));
    if x.len() >= BRUTE_FORCE_BELOW {
        let budget = 16 * x.len() + 8 * NEXT_BRACKET_SLOPES as usize + 4 * rank_span(ranks);
        let guessed = guess.and_then(|g| select_in(x, y, ranks, Some(g.lo), Some(g.hi), budget));
        if let Some(found) = guessed.or_else(|| select_by_sampling(x, y, ranks)) {
            return found;
        }
    }
    Selected {
        values: select_brute_force(x, y, ranks),
        next: None,
    }
}

fn rank_span(ranks: &[usize]) -> usize {
    let lowest = ranks.iter().min().copied().unwrap_or(0);
    ranks.iter().max().copied().unwrap_or(0) - lowest
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
struct Ordered(i64);

impl Ordered {
    fn of(value: f64) -> Self {
        let bits = value.to_bits() as i64;
        // Negative floats order backwards by their bits: flip all but the sign bit.
        Ordered(bits ^ (((bits >> 63) as u64) >> 1) as i64)
    }

    fn value(self) -> f64 {
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
fn select_among(values: &mut [Ordered], ranks: &[usize]) -> Vec<f64> {
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

fn select_by_sampling(x: &[f64], y: &[f64], ranks: &[usize]) -> Option<Selected> {
    let n = x.len();
    let pairs = n * (n - 1) / 2;
    let lowest = *ranks.iter().min()?;
    let highest = *ranks.iter().max()?;
    if highest >= pairs {
        return None;
    }
    let mut sample = sample_slopes(x, y, (6 * n).min(8192));
    let m = sample.len() as f64;
    // Sample positions three standard deviations beyond the wanted ranks' expected spots.
    let spot = |rank: usize, side: f64| {
        let share = rank as f64 / pairs as f64;
        (share * m + side * (3.0 * (m * share * (1.0 - share)).sqrt() + 1.0)).floor()
    };
    let lo_at = spot(lowest, -1.0);
    let hi_at = spot(highest, 1.0);
    let lo = (lo_at >= 0.0).then(|| order_statistic(&mut sample, lo_at as usize).value());
    // After the first selection everything above `lo_at` lies beyond it: search only there.
    let above = if lo_at >= 0.0 { lo_at as usize + 1 } else { 0 };
    let hi = (hi_at < m && hi_at as usize >= above)
        .then(|| order_statistic(&mut sample[above..], hi_at as usize - above).value());
    let budget = 16 * n + 8 * (pairs as f64 / m.sqrt()) as usize;
    select_in(x, y, ranks, lo, hi, budget)
}

/// The order statistics at `ranks` when they all lie among the slopes in `(lo, hi]`
/// (`None` for an unbounded end); `None` when they do not, or when more than `budget`
/// slopes lie there. Also the bracket to try next time.
fn select_in(
    x: &[f64],
    y: &[f64],
    ranks: &[usize],
    lo: Option<f64>,
    hi: Option<f64>,
    budget: usize,
) -> Option<Selected> {
    let lowest = *ranks.iter().min()?;
    let highest = *ranks.iter().max()?;
    // Classified by their divided values (what is reported), so the order statistics are
    // exact: counted below `lo − δ`, and the slopes within `δ` of either end enumerated.
    let largest_t = lo.unwrap_or(0.0).abs().max(hi.unwrap_or(0.0).abs());
    let band = rounding_band(x, y, largest_t)?;
    let (counted, enumerated) =
        pairs_between(x, y, lo.map(|lo| lo - band), hi.map(|hi| hi + band), budget)?;
    let mut near_lo = 0;
    let mut candidates = Vec::with_capacity(enumerated.len());
    for pair in enumerated {
        let value = slope_of(x, y, pair.0 as usize, pair.1 as usize);
        if lo.is_some_and(|lo| value <= lo) {
            near_lo += 1;
        } else if hi.is_none_or(|hi| value <= hi) {
            candidates.push(Ordered::of(value));
        }
    }
    let below = counted + near_lo;
    let ceiling = below + candidates.len();
    if lowest < below || highest >= ceiling {
        return None;
    }
    let shifted: Vec<usize> = ranks.iter().map(|rank| rank - below).collect();
    let count = candidates.len();
    let values = select_among(&mut candidates, &shifted);
    let next = lo
        .zip(hi)
        .and_then(|(lo, hi)| next_bracket(&values, count, hi - lo));
    Some(Selected { values, next })
}

/// How many slopes are `≤ lo` (none when `lo` is `None`: −∞), and the pairs `(i, j)` whose
/// slopes lie in `(lo, hi]` (`None`: +∞), in O(n log n + their number). `None` when more
/// than `budget` lie in the bracket, a key is not finite, or the order contradicts itself.
/// A pair is classified by the order of `y − t·x`, not by its divided slope: the two can
/// disagree for a slope within rounding of `lo` or `hi`.
fn pairs_between(
    x: &[f64],
    y: &[f64],
    lo: Option<f64>,
    hi: Option<f64>,
    budget: usize,
) -> Option<(usize, Vec<(u32, u32)>)> {
    let n = x.len();
    // Order by z_lo (index order when lo is −∞), counting the slopes ≤ lo.
    let (mut order, below) = match lo {
        Some(lo) => {
            let mut order = keyed_at(x, y, lo)?;
            let below = merge::sort_counting_flips(&mut order, &goes_before);
            (order, usize::try_from(below).ok()?)
        }
        None => ((0..n).map(|i| Keyed::new(0.0, i)).collect(), 0),
    };
    // Sort into z_hi order; every pair that flips is one slope in (lo, hi].
    for item in &mut order {
        let i = item.index as usize;
        item.key = match hi {
            Some(hi) => y[i] - hi * x[i],
            // Every slope is ≤ +∞: the final order is reversed index order.
            None => -(i as f64),
        };
        if !item.key.is_finite() {
            return None;
        }
    }
    let pairs = flips_between(&mut order, budget)?;
    Some((below, pairs))
}

/// The slope of the pair `(i, j)`: every slope the selection compares or reports is
/// divided here, so all of them round alike.
fn slope_of(x: &[f64], y: &[f64], i: usize, j: usize) -> f64 {
    (y[j] - y[i]) / (x[j] - x[i])
}

/// How many slopes are `≤ t`, each slope taken as its division `(y_j − y_i)/(x_j − x_i)`
/// (what the selection reports), in O(n log n + the slopes within rounding of `t`); `None`
/// when `t` or a key is not finite or rounding disagrees with the order (then count by
/// selecting instead).
///
/// The count by the order of `y − t·x` can disagree with the divisions for slopes within
/// rounding of `t`, so the slopes are counted at `t − δ` and those in `(t − δ, t + δ]`
/// enumerated and compared by their divided values; `δ` is [`rounding_band`].
pub(super) fn count_at_most(x: &[f64], y: &[f64], t: f64) -> Option<usize> {
    let band = rounding_band(x, y, t.abs())?;
    let (below, near) = pairs_between(x, y, Some(t - band), Some(t + band), usize::MAX)?;
    Some(
        below
            + near
                .into_iter()
                .filter(|&(i, j)| slope_of(x, y, i as usize, j as usize) <= t)
                .count(),
    )
}

/// A slope distance beyond which classifying a pair by the order of `y − t·x` (for `|t|`
/// up to `largest_t`) and by its divided slope cannot disagree; `None` when `x` does not
/// strictly increase or the bound is not finite.
///
/// With `u = 2⁻⁵³` (each operation off by at most half an ulp; Higham 2002, §2.2),
/// `z = y − t·x` is off by at most `u(|y| + 2|t·x|)(1 + u)`, so two keys compare as their
/// exact values do unless the slope is within `2u(Y + 2TX)(1 + u)/Δx` of `t` (`Y`, `X`
/// the largest magnitudes, `T = largest_t`, `Δx` the least spacing); a divided slope is off
/// by at most `3u|s|` to first order (the differences and the division each rounded once).
/// The band is four times their sum.
fn rounding_band(x: &[f64], y: &[f64], largest_t: f64) -> Option<f64> {
    let u = f64::EPSILON / 2.0;
    let spacing = x
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    if !(spacing > 0.0 && spacing.is_finite()) {
        return None;
    }
    let largest = |values: &[f64]| values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let keys = 2.0 * u * (largest(y) + 2.0 * largest_t * largest(x)) * (1.0 + u) / spacing;
    let band = 4.0 * (keys + 3.0 * u * largest_t);
    band.is_finite().then_some(band)
}

/// Around the values found, `NEXT_BRACKET_SLOPES` slopes wider on each side at the density
/// just seen (`count` slopes over `width`); `None` when that density is not usable.
fn next_bracket(values: &[f64], count: usize, width: f64) -> Option<Bracket> {
    let least = values.iter().copied().fold(f64::INFINITY, f64::min);
    let most = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let margin = NEXT_BRACKET_SLOPES * width / count as f64;
    let bracket = Bracket {
        lo: least - margin,
        hi: most + margin,
    };
    (margin > 0.0 && bracket.lo.is_finite() && bracket.hi.is_finite() && bracket.lo < least)
        .then_some(bracket)
}

/// `count` slopes of pseudo-random pairs. Seeded from the data size, so the result of a
/// selection never depends on chance (only how fast it is found). One 64-bit LCG step
/// gives both indices (its high and low halves, each scaled to `0..n` by a multiply), so
/// consecutive pairs do not wait on a long chain of generator arithmetic.
fn sample_slopes(x: &[f64], y: &[f64], count: usize) -> Vec<Ordered> {
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

/// A point's key `z = y − t·x` under some slope `t`, and the point.
#[derive(Debug, Clone, Copy)]
struct Keyed {
    key: f64,
    index: u32,
}

impl Keyed {
    fn new(key: f64, index: usize) -> Self {
        Keyed {
            key,
            index: index as u32,
        }
    }
}

/// The points keyed by `z = y − t·x`, under which pairs with slope `≤ t` are out of index
/// order. `None` if any key is not finite (then the caller falls back to the exact method).
fn keyed_at(x: &[f64], y: &[f64], t: f64) -> Option<Vec<Keyed>> {
    let keyed: Vec<Keyed> = x
        .iter()
        .zip(y)
        .enumerate()
        .map(|(i, (x, y))| Keyed::new(y - t * x, i))
        .collect();
    keyed.iter().all(|k| k.key.is_finite()).then_some(keyed)
}

/// `a` goes before `b` when `z_a < z_b`, or on a tie when `a` is the later point: then a
/// pair `i < j` is out of index order exactly when `z_j ≤ z_i`, i.e. its slope is `≤ t`.
fn goes_before(a: &Keyed, b: &Keyed) -> bool {
    a.key < b.key || (a.key == b.key && a.index > b.index)
}

/// Sorts `order` (sorted by the lower key, keyed by the upper one) by its keys, returning
/// every pair whose order flips on the way (exactly the pairs with a slope in `(lo, hi]`)
/// as `(earlier, later)` point indices. `None` when more than `budget` pairs flip or a
/// pair flips back into index order (rounding disagreeing with the division), so the
/// caller can fall back.
fn flips_between(order: &mut [Keyed], budget: usize) -> Option<Vec<(u32, u32)>> {
    let mut pairs = Vec::new();
    let completed = merge::sort_reporting_flips(order, &goes_before, &mut |passed, item| {
        if pairs.len() + passed.len() > budget {
            return false;
        }
        let after = item.index;
        // Out of index order under the lower key and back in order under the upper one:
        // impossible in exact arithmetic.
        if passed.iter().any(|other| other.index > after) {
            return false;
        }
        pairs.extend(passed.iter().map(|other| (other.index, after)));
        true
    });
    completed.then_some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize, seed: u64, levels: u64) -> (Vec<f64>, Vec<f64>) {
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
    fn sampling_finds_the_same_order_statistics_as_brute_force() {
        for (n, levels) in [(48, 1000), (96, 7), (288, 1_000_000), (500, 3), (1000, 50)] {
            let (x, y) = series(n, n as u64, levels);
            let pairs = n * (n - 1) / 2;
            let ranks = [0, pairs / 3, pairs / 2, pairs / 2 + 1, pairs - 1];
            let found = select_by_sampling(&x, &y, &ranks[1..4]);
            let expected = select_brute_force(&x, &y, &ranks[1..4]);
            // Sampling may decline (then `select_near` falls back); when it answers, it is exact.
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
                carried += usize::from(
                    select_in(x, y, &ranks, Some(bracket.lo), Some(bracket.hi), usize::MAX)
                        .is_some(),
                );
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
                assert_eq!(select_near(x, y, &ranks, Some(wrong)).values, expected);
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
    fn sampling_answers_for_a_typical_series() {
        let (x, y) = series(288, 42, 1_000_000);
        let pairs = 288 * 287 / 2;
        assert!(select_by_sampling(&x, &y, &[pairs / 2]).is_some());
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
