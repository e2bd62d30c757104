//! Slope selection: the `k`-th smallest of the `n(n−1)/2` pairwise slopes
//! `(y_j − y_i)/(x_j − x_i)` without computing them all — the heart of Theil–Sen.
//!
//! The method is randomized slope selection in the manner of Matoušek (1991) and
//! Dillencourt, Mount & Netanyahu (1992), specialised for a few hundred points:
//!
//! 1. sample `m = 8n` random pairs (at most 8192); their slopes' quantiles bracket
//!    the wanted ranks in an interval `(lo, hi]` that holds about `N/√m` slopes;
//! 2. a slope is `≤ t` exactly when the pair's order flips under the key `z = y − t·x`,
//!    so sorting the points by `z_lo` with a merge sort counts the slopes `≤ lo` (its
//!    inversions) in O(n log n);
//! 3. merge-sorting that order by `z_hi` flips exactly the pairs whose slope lies in
//!    `(lo, hi]`, so they are enumerated in O(n log n + their number);
//! 4. the wanted ranks are selected among those few candidates.
//!
//! Expected O(n log n) overall. When a bracket misses (rare, by chance) or rounding in `z`
//! disagrees with the division (near-equal slopes), it falls back to computing every slope,
//! so the answer is always the exact order statistic of the divided slopes, up to the
//! rounding of slopes that differ in the last bits.

use super::merge;
use super::window::order_statistic;

/// Below this many points computing every slope is as fast.
const BRUTE_FORCE_BELOW: usize = 48;

/// The slope order statistics at `ranks` (0-based among the pairs with `x_i < x_j`), for
/// points with strictly increasing `x`. Every rank must be below `n(n−1)/2`.
pub fn select(x: &[f64], y: &[f64], ranks: &[usize]) -> Vec<f64> {
    debug_assert!(x.windows(2).all(|w| w[0] < w[1]));
    if x.len() >= BRUTE_FORCE_BELOW
        && let Some(found) = select_by_sampling(x, y, ranks)
    {
        return found;
    }
    select_brute_force(x, y, ranks)
}

/// Every slope, then selection: O(n²).
pub fn select_brute_force(x: &[f64], y: &[f64], ranks: &[usize]) -> Vec<f64> {
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            slopes.push((y[j] - y[i]) / (x[j] - x[i]));
        }
    }
    select_among(&mut slopes, ranks)
}

/// The order statistics at `ranks`, each selection confined to the part of `values` the
/// previous ones left between them (so several nearby ranks cost little more than one).
fn select_among(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
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
                let value = order_statistic(&mut values[start..], rank - start);
                start = rank + 1;
                value
            }
        };
        previous = Some((rank, found[i]));
    }
    found
}

fn select_by_sampling(x: &[f64], y: &[f64], ranks: &[usize]) -> Option<Vec<f64>> {
    let n = x.len();
    let pairs = n * (n - 1) / 2;
    let lowest = *ranks.iter().min()?;
    let highest = *ranks.iter().max()?;
    if highest >= pairs {
        return None;
    }
    let mut sample = sample_slopes(x, y, (8 * n).min(8192));
    let m = sample.len() as f64;
    // Sample positions three standard deviations beyond the wanted ranks' expected spots.
    let spot = |rank: usize, side: f64| {
        let share = rank as f64 / pairs as f64;
        (share * m + side * (3.0 * (m * share * (1.0 - share)).sqrt() + 1.0)).floor()
    };
    let lo_at = spot(lowest, -1.0);
    let hi_at = spot(highest, 1.0);
    let lo = (lo_at >= 0.0).then(|| order_statistic(&mut sample, lo_at as usize));
    let hi = (hi_at < m).then(|| order_statistic(&mut sample, hi_at as usize));

    // Order by z_lo (index order when lo is −∞), counting the slopes ≤ lo.
    let mut order: Vec<usize> = (0..n).collect();
    let below = match lo {
        Some(lo) => {
            let keys = keys_at(x, y, lo)?;
            sort_counting_flips(&mut order, &keys)
        }
        None => 0,
    };
    // Sort into z_hi order; every pair that flips is one slope in (lo, hi].
    let hi_keys = match hi {
        Some(hi) => keys_at(x, y, hi)?,
        // Every slope is ≤ +∞: the final order is reversed index order.
        None => (0..n).map(|i| -(i as f64)).collect(),
    };
    let budget = 16 * n + 8 * (pairs as f64 / m.sqrt()) as usize;
    let candidates = flips_between(&mut order, &hi_keys, x, y, budget)?;
    let ceiling = below + candidates.len();
    if lowest < below || highest >= ceiling {
        return None;
    }
    let mut candidates = candidates;
    let shifted: Vec<usize> = ranks.iter().map(|rank| rank - below).collect();
    Some(select_among(&mut candidates, &shifted))
}

/// `count` slopes of pseudo-random pairs. Seeded from the data size, so the
/// result of a selection never depends on chance (only how fast it is found).
fn sample_slopes(x: &[f64], y: &[f64], count: usize) -> Vec<f64> {
    let n = x.len() as u64;
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ n;
    let mut next = move || {
        // SplitMix64.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // A uniform index in 0..n by multiply-shift (Lemire), not by a slow modulo.
    let mut index = move || ((u128::from(next()) * u128::from(n)) >> 64) as usize;
    let mut slopes = Vec::with_capacity(count);
    while slopes.len() < count {
        let (a, b) = (index(), index());
        if a != b {
            let (i, j) = (a.min(b), a.max(b));
            slopes.push((y[j] - y[i]) / (x[j] - x[i]));
        }
    }
    slopes
}

/// `z = y − t·x`, the key under which pairs with slope `≤ t` are out of index order.
/// `None` if any key is not finite (then the caller falls back to the exact method).
fn keys_at(x: &[f64], y: &[f64], t: f64) -> Option<Vec<f64>> {
    let keys: Vec<f64> = x.iter().zip(y).map(|(x, y)| y - t * x).collect();
    keys.iter().all(|k| k.is_finite()).then_some(keys)
}

/// `a` goes before `b` under key `z_t` when `z_a < z_b`, or on a tie when `a > b`: then a
/// pair `i < j` is out of index order exactly when `z_j ≤ z_i`, i.e. its slope is `≤ t`.
fn goes_before(keys: &[f64], a: usize, b: usize) -> bool {
    keys[a] < keys[b] || (keys[a] == keys[b] && a > b)
}

/// Merge-sorts `order` by `keys` and returns how many pairs changed their relative order.
fn sort_counting_flips(order: &mut [usize], keys: &[f64]) -> usize {
    let mut flips = 0;
    merge::sort_reporting_flips(
        order,
        &|a, b| goes_before(keys, *a, *b),
        &mut |passed, _| {
            flips += passed.len();
            true
        },
    );
    flips
}

/// Merge-sorts `order` (sorted by the lower key) by `keys` (the upper key), returning the
/// slope of every pair whose order flips on the way — exactly the pairs with a slope in
/// `(lo, hi]`. Each merge step hands over a whole run of flipped pairs, so the pairs are
/// collected in a tight loop and divided afterwards. `None` when more than `budget` pairs
/// flip or a pair flips back into index order (rounding disagreeing with the division), so
/// the caller can fall back.
fn flips_between(
    order: &mut [usize],
    keys: &[f64],
    x: &[f64],
    y: &[f64],
    budget: usize,
) -> Option<Vec<f64>> {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let completed = merge::sort_reporting_flips(
        order,
        &|a, b| goes_before(keys, *a, *b),
        &mut |passed, item| {
            if pairs.len() + passed.len() > budget {
                return false;
            }
            pairs.extend(passed.iter().map(|&other| (other as u32, item as u32)));
            true
        },
    );
    if !completed {
        return None;
    }
    // A pair that was out of index order under the lower key and is back in order under
    // the upper one cannot exist in exact arithmetic.
    if pairs.iter().any(|&(before, after)| before > after) {
        return None;
    }
    Some(
        pairs
            .iter()
            .map(|&(a, b)| {
                let (a, b) = (a as usize, b as usize);
                (y[b] - y[a]) / (x[b] - x[a])
            })
            .collect(),
    )
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
            // Sampling may decline (then `select` falls back); when it answers, it is exact.
            if let Some(found) = found {
                assert_eq!(found, expected, "n = {n}, levels = {levels}");
            }
            assert_eq!(
                select(&x, &y, &ranks),
                select_brute_force(&x, &y, &ranks),
                "n = {n}, levels = {levels}"
            );
        }
    }

    #[test]
    fn sampling_answers_for_a_typical_series() {
        let (x, y) = series(288, 42, 1_000_000);
        let pairs = 288 * 287 / 2;
        assert!(select_by_sampling(&x, &y, &[pairs / 2]).is_some());
    }

    #[test]
    fn all_equal_slopes() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|x| 5.0 - 0.5 * x).collect();
        assert_eq!(select(&x, &y, &[0, 2000, 4949]), vec![-0.5; 3]);
    }
}
