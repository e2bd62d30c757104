//! Points put in the order of a key, counting the pairs that order inverts: Mann–Kendall's
//! discordant pairs (key: the value) and slope selection's slopes `≤ t` (key: `y − t·x`).
//!
//! A few hundred keys are sorted in expected O(n) by distributing them into `4n` buckets
//! by value (`⌊(k − min)·4n/(max − min)⌋`, monotone in `k` under rounding) and
//! insertion-sorting what shares a bucket; the inverted pairs are then counted from the
//! sorted order with a bit set of the positions seen, O(n²/64) word operations with no
//! data-dependent branch. A comparison sort mispredicts about half its branches on
//! unpredictable data, which is most of its cost at this size. Keys crowded into few
//! buckets (one huge outlier, say) make the insertion slow: past a budget of moves, or
//! for long or short series, the merge sort of [`super::merge`] counts instead. Both give
//! the same order and the same count.

use super::merge;

/// A point's key and its position in the series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Keyed {
    pub(super) key: f64,
    pub(super) index: u32,
}

impl Keyed {
    pub(super) fn new(key: f64, index: usize) -> Self {
        Keyed {
            key,
            index: index as u32,
        }
    }
}

/// `a` goes before `b` when its key is smaller, or on a tie when `a` is the later point:
/// then a pair `i < j` is out of index order exactly when `key_j ≤ key_i`.
pub(super) fn goes_before(a: &Keyed, b: &Keyed) -> bool {
    a.key < b.key || (a.key == b.key && a.index > b.index)
}

/// Fewer points than this are merge-sorted: the buckets would cost more than they save.
const BUCKETS_FROM: usize = 32;
/// More points than this are merge-sorted: counting with the bit set grows as n².
const BUCKETS_UP_TO: usize = 2048;
/// Insertion moves allowed per point before the buckets are judged too crowded.
const MOVES_PER_POINT: usize = 4;

/// The points `0..keys.len()` in the order of [`goes_before`], and how many pairs `i < j`
/// that order puts `j` first: those with `key_j ≤ key_i`. The keys must be finite.
pub(super) fn sorted_counting_inversions(keys: &[f64]) -> (Vec<Keyed>, u64) {
    let n = keys.len();
    if (BUCKETS_FROM..=BUCKETS_UP_TO).contains(&n)
        && let Some(order) = bucket_sorted(keys)
    {
        let inversions = inversions_of(&order);
        return (order, inversions);
    }
    merge_sorted(keys)
}

/// [`sorted_counting_inversions`]' order without the count, so for any number of points.
pub(super) fn sorted(keys: &[f64]) -> Vec<Keyed> {
    if keys.len() >= BUCKETS_FROM
        && let Some(order) = bucket_sorted(keys)
    {
        return order;
    }
    merge_sorted(keys).0
}

/// The same order and count by merge sort, in O(n log n) whatever the keys.
fn merge_sorted(keys: &[f64]) -> (Vec<Keyed>, u64) {
    let mut order: Vec<Keyed> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| Keyed::new(k, i))
        .collect();
    let inversions = merge::sort_counting_flips(&mut order, &goes_before);
    (order, inversions)
}

/// The points sorted by distributing them into buckets, then by insertion; `None` when
/// the keys' range is not finite or the insertion needs too many moves.
fn bucket_sorted(keys: &[f64]) -> Option<Vec<Keyed>> {
    let n = keys.len();
    let (lowest, highest) = extremes(keys);
    let buckets = 4 * n;
    let range = highest - lowest;
    // All keys equal: one bucket. A range too wide or too narrow to scale: give up.
    let scale = if range == 0.0 {
        0.0
    } else {
        let scale = buckets as f64 / range;
        if !(range.is_finite() && scale.is_finite()) {
            return None;
        }
        scale
    };
    // Through i32, a single conversion instruction: the product lies in 0..=buckets.
    let last = buckets as u32 - 1;
    let bucket_of: Vec<u32> = keys
        .iter()
        .map(|&key| (((key - lowest) * scale) as i32 as u32).min(last))
        .collect();
    let mut starts = vec![0u32; buckets + 1];
    for &b in &bucket_of {
        starts[b as usize + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
    }
    // Latest point first within a bucket, the order ties keep.
    let mut order = vec![Keyed::new(0.0, 0); n];
    for (i, (&key, &b)) in keys.iter().zip(&bucket_of).enumerate().rev() {
        let slot = &mut starts[b as usize];
        order[*slot as usize] = Keyed::new(key, i);
        *slot += 1;
    }
    let mut moves = 0;
    let sorted = merge::insert_reporting_flips(&mut order, &goes_before, &mut |passed, _| {
        moves += passed.len();
        moves <= MOVES_PER_POINT * n
    });
    sorted.then_some(order)
}

/// The least and the greatest of finite `keys`, in four independent lanes so that each
/// comparison need not wait for the one before.
fn extremes(keys: &[f64]) -> (f64, f64) {
    let mut lows = [f64::INFINITY; 4];
    let mut highs = [f64::NEG_INFINITY; 4];
    let chunks = keys.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..4 {
            lows[lane] = if chunk[lane] < lows[lane] {
                chunk[lane]
            } else {
                lows[lane]
            };
            highs[lane] = if chunk[lane] > highs[lane] {
                chunk[lane]
            } else {
                highs[lane]
            };
        }
    }
    for &key in rest {
        lows[0] = lows[0].min(key);
        highs[0] = highs[0].max(key);
    }
    let low = lows.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    let high = highs.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    (low, high)
}

/// How many pairs of `order` are out of index order: for each point, the points before it
/// with a higher index, read from a bit set of the indices seen and a count of those seen
/// in each later word.
fn inversions_of(order: &[Keyed]) -> u64 {
    let words = order.len().div_ceil(64);
    let mut seen = vec![0u64; words];
    // seen_from[w]: how many indices seen lie in words w and above.
    let mut seen_from = vec![0u32; words + 1];
    let mut inversions = 0u64;
    for item in order {
        let (word, bit) = (item.index as usize / 64, item.index % 64);
        let higher_in_word = (seen[word] >> bit >> 1).count_ones();
        inversions += u64::from(higher_in_word + seen_from[word + 1]);
        seen[word] |= 1 << bit;
        for (w, count) in seen_from[..words].iter_mut().enumerate() {
            *count += u32::from(w <= word);
        }
    }
    inversions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_definition(keys: &[f64]) -> u64 {
        let mut count = 0;
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                count += u64::from(keys[j] <= keys[i]);
            }
        }
        count
    }

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    /// Each lane and the remainder: the least and greatest wherever they stand.
    #[test]
    fn extremes_are_found_in_every_position() {
        assert_eq!(extremes(&[2.5]), (2.5, 2.5));
        for n in 2..=9 {
            for at in 0..n {
                let mut keys: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1.0).collect();
                keys[at] = -7.0;
                keys[(at + 1) % n] = 9.0;
                assert_eq!(extremes(&keys), (-7.0, 9.0), "{n} keys, least at {at}");
            }
        }
    }

    fn check(keys: &[f64]) {
        let (order, inversions) = sorted_counting_inversions(keys);
        let (expected_order, expected_inversions) = merge_sorted(keys);
        assert_eq!(inversions, expected_inversions, "{} keys", keys.len());
        assert_eq!(inversions, by_definition(keys), "{} keys", keys.len());
        let indices: Vec<u32> = order.iter().map(|k| k.index).collect();
        let expected: Vec<u32> = expected_order.iter().map(|k| k.index).collect();
        assert_eq!(indices, expected, "{} keys", keys.len());
        let uncounted: Vec<u32> = sorted(keys).iter().map(|k| k.index).collect();
        assert_eq!(uncounted, expected, "{} keys, uncounted", keys.len());
    }

    #[test]
    fn the_buckets_give_the_merge_sorts_order_and_count() {
        for n in [0, 1, 2, 31, 32, 33, 64, 65, 200, 288, 1000, 2048, 2049] {
            let keys = noise(n, n as u64 + 1);
            check(&keys);
            // A trend with noise: nearly sorted, and nearly reversed.
            let rising: Vec<f64> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| i as f64 + 20.0 * k)
                .collect();
            check(&rising);
            let falling: Vec<f64> = rising.iter().map(|k| -k).collect();
            check(&falling);
        }
    }

    #[test]
    fn ties_put_the_later_point_first_and_count_as_inverted() {
        // Few levels: long runs of ties, both zeros among them.
        let keys: Vec<f64> = noise(300, 7)
            .iter()
            .map(|k| {
                let level = (k * 5.0).floor() - 2.0;
                if level == 0.0 && k * 10.0 < 5.0 {
                    -0.0
                } else {
                    level
                }
            })
            .collect();
        check(&keys);
        let equal = vec![3.5; 100];
        let (order, inversions) = sorted_counting_inversions(&equal);
        assert_eq!(inversions, 100 * 99 / 2);
        assert_eq!(order[0].index, 99);
    }

    #[test]
    fn crowded_or_extreme_keys_fall_back_and_agree() {
        // One outlier squeezes everything else into the first bucket.
        let mut outlier = noise(300, 3);
        outlier[150] = 1e12;
        check(&outlier);
        // A range that overflows: max − min is infinite.
        let mut huge = noise(100, 5);
        huge[0] = -1.5e308;
        huge[1] = 1.5e308;
        check(&huge);
        // A range too narrow to scale: subnormal differences.
        let tiny: Vec<f64> = (0..100).map(|i| f64::from_bits(i % 7)).collect();
        check(&tiny);
    }

    #[test]
    fn bucket_path_is_taken_for_spread_keys() {
        assert!(bucket_sorted(&noise(288, 11)).is_some());
        let mut outlier = noise(288, 11);
        outlier[0] = 1e15;
        assert!(bucket_sorted(&outlier).is_none());
    }
}
