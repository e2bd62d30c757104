//! Reducing a window of buckets to one number. Missing buckets are skipped.

/// How the buckets of a window become one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduce {
    /// The newest bucket that has a value.
    Last,
    Mean,
    Min,
    Max,
    /// The middle value (mean of the two middle values for an even count).
    Median,
    Sum,
    /// The `p`-th percentile (0 < p < 100), interpolating linearly between the closest
    /// ranks: `v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋])` with `h = (n−1)·p/100` over the
    /// sorted values (numpy's default, Hyndman & Fan's type 7).
    Percentile(f64),
}

/// The window's value, or `None` when no bucket in it has a value.
pub fn reduce(values: &[Option<f64>], how: Reduce) -> Option<f64> {
    let mut present = values.iter().flatten().copied();
    match how {
        Reduce::Last => values.iter().rev().flatten().next().copied(),
        Reduce::Mean => {
            let (sum, n) = present.fold((0.0, 0usize), |(sum, n), v| (sum + v, n + 1));
            (n > 0).then(|| sum / n as f64)
        }
        Reduce::Min => present.reduce(f64::min),
        Reduce::Max => present.reduce(f64::max),
        Reduce::Sum => present
            .next()
            .map(|first| present.fold(first, |sum, v| sum + v)),
        Reduce::Median => {
            let mut sorted: Vec<f64> = present.collect();
            median_in_place(&mut sorted)
        }
        Reduce::Percentile(p) => {
            let mut sorted: Vec<f64> = present.collect();
            percentile(&mut sorted, p)
        }
    }
}

/// The `p`-th percentile of `values` by linear interpolation (see [`Reduce::Percentile`]),
/// reordering them; `None` when empty.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let h = (values.len() - 1) as f64 * (p / 100.0).clamp(0.0, 1.0);
    let below = h.floor() as usize;
    let low = order_statistic(values, below);
    if below + 1 >= values.len() {
        return Some(low);
    }
    // After selection everything right of `below` is ≥ it; the next rank is their minimum.
    let high = values[below + 1..]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    Some(low + (h - below as f64) * (high - low))
}

/// The median of `values` (reordering them), `None` when empty. O(n) by selection.
pub fn median_in_place(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let upper = order_statistic(values, mid);
    if values.len() % 2 == 1 {
        return Some(upper);
    }
    // After selection everything left of `mid` is ≤ it; the lower middle is their maximum.
    let lower = values[..mid]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

/// The `k`-th smallest value (0-based), reordering `values` around it. O(n) by selection.
pub fn order_statistic(values: &mut [f64], k: usize) -> f64 {
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: [Option<f64>; 5] = [Some(4.0), None, Some(1.0), Some(7.0), None];

    #[test]
    fn each_reduction_skips_missing_buckets() {
        assert_eq!(reduce(&VALUES, Reduce::Last), Some(7.0));
        assert_eq!(reduce(&VALUES, Reduce::Mean), Some(4.0));
        assert_eq!(reduce(&VALUES, Reduce::Min), Some(1.0));
        assert_eq!(reduce(&VALUES, Reduce::Max), Some(7.0));
        assert_eq!(reduce(&VALUES, Reduce::Median), Some(4.0));
        assert_eq!(reduce(&VALUES, Reduce::Sum), Some(12.0));
    }

    #[test]
    fn an_empty_window_has_no_value() {
        for how in [
            Reduce::Last,
            Reduce::Mean,
            Reduce::Min,
            Reduce::Max,
            Reduce::Median,
            Reduce::Sum,
        ] {
            assert_eq!(reduce(&[None, None], how), None);
        }
    }

    /// numpy.percentile([1, 2, 3, 4, 10], 95) = 4 + 0.8·(10 − 4) = 8.8 (h = 4·0.95 = 3.8);
    /// p50 of an even count is the median.
    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        let values = [Some(10.0), Some(2.0), None, Some(4.0), Some(1.0), Some(3.0)];
        let p95 = reduce(&values, Reduce::Percentile(95.0)).unwrap();
        assert!((p95 - 8.8).abs() < 1e-12);
        assert_eq!(reduce(&values, Reduce::Percentile(50.0)), Some(3.0));
        assert_eq!(percentile(&mut [1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
        assert_eq!(percentile(&mut [7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&mut [], 99.0), None);
    }

    #[test]
    fn even_medians_average_the_middle_pair() {
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
