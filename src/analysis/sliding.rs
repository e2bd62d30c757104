//! Mann–Kendall's score for a window that slides along a series — a backtest testing the
//! same group at every instant — updated from the points that leave and enter instead of
//! counted afresh.
//!
//! `S = Σ_{i<j} sign(y_j − y_i)` changes only by the pairs a leaving or entering point is
//! part of, and the tie term `Σ_g t_g(t_g−1)(2t_g+5)` only by the groups of equal values
//! those points belong to. With `k` points leaving and `k` entering a window of `n`, the
//! update costs O(k·n) comparisons against a fresh sort of all n points; both are
//! exact integers (the tie term is an integer below 2⁵³ for any window that fits in
//! memory), so the test is the same, bit for bit, as [`super::kendall::mann_kendall`].

use super::kendall::{self, MannKendall, Score};
use super::{AnalysisError, check_enough, check_finite};

/// The window last scored, and its score.
#[derive(Debug, Clone, Default)]
pub struct SlidingScore {
    labels: Vec<i64>,
    values: Vec<f64>,
    score: Score,
}

impl SlidingScore {
    /// The Mann–Kendall test of `values` (in time order), as
    /// [`kendall::mann_kendall`] gives it. `labels` name the points across calls (e.g.
    /// each bucket's start): a point that stays in the window keeps its label and value.
    /// When the window is the last one slid forward, the score is updated; otherwise it is
    /// counted afresh.
    pub fn test(&mut self, labels: &[i64], values: &[f64]) -> Result<MannKendall, AnalysisError> {
        let score = self.score(labels, values)?;
        Ok(MannKendall::of_score(values.len(), score))
    }

    /// The test's counts of the pairs of `values`, as [`SlidingScore::test`] works them out.
    pub fn score(&mut self, labels: &[i64], values: &[f64]) -> Result<Score, AnalysisError> {
        check_finite(values)?;
        check_enough(values.len())?;
        if labels.len() != values.len() {
            return Err(AnalysisError::LengthMismatch {
                x: labels.len(),
                y: values.len(),
            });
        }
        let score = self
            .slide(labels, values)
            .unwrap_or_else(|| kendall::score(values));
        self.labels.clear();
        self.labels.extend_from_slice(labels);
        self.values.clear();
        self.values.extend_from_slice(values);
        self.score = score;
        Ok(score)
    }

    /// The score of the window `labels` from the last one's, when it is that window slid
    /// forward by fewer than half its points with the points it keeps unchanged.
    fn slide(&self, labels: &[i64], values: &[f64]) -> Option<Score> {
        let first = *labels.first()?;
        let gone = self.labels.partition_point(|&label| label < first);
        let kept = self.labels.len() - gone;
        if kept == 0 || kept > labels.len() || 2 * kept < labels.len() {
            return None;
        }
        let unchanged = labels[..kept] == self.labels[gone..]
            && values[..kept]
                .iter()
                .zip(&self.values[gone..])
                .all(|(new, old)| new.to_bits() == old.to_bits());
        if !unchanged {
            return None;
        }
        let mut score = self.score;
        for (r, &value) in self.values[..gone].iter().enumerate() {
            // The pairs (r, later) leave, and r's group of equal values shrinks by one.
            let against = Against::of(value, &self.values[r + 1..]);
            score.s -= against.later_sign_sum();
            score.tied_pairs = score.tied_pairs.checked_sub(against.equal)?;
            score.tie_term -= grown_tie_term(against.equal);
        }
        for (a, &value) in values.iter().enumerate().skip(kept) {
            // The pairs (earlier, a) enter, and a's group of equal values grows by one.
            let against = Against::of(value, &values[..a]);
            score.s += against.earlier_sign_sum();
            score.tied_pairs += against.equal;
            score.tie_term += grown_tie_term(against.equal);
        }
        Some(score)
    }
}

/// How many of some values are above, below and equal to one value.
struct Against {
    above: i64,
    below: i64,
    equal: u64,
}

impl Against {
    fn of(value: f64, others: &[f64]) -> Self {
        let (mut above, mut below, mut equal) = (0, 0, 0);
        for &other in others {
            above += i64::from(other > value);
            below += i64::from(other < value);
            equal += u64::from(other == value);
        }
        Against {
            above,
            below,
            equal,
        }
    }

    /// `Σ sign(other − value)`: what pairs with the value first contribute to `S`.
    fn later_sign_sum(&self) -> i64 {
        self.above - self.below
    }

    /// `Σ sign(value − other)`: what pairs with the value last contribute to `S`.
    fn earlier_sign_sum(&self) -> i64 {
        self.below - self.above
    }
}

/// How much the tie term grows when a group of `equal` equal values gains one more.
fn grown_tie_term(equal: u64) -> f64 {
    let grown = (equal + 1) as f64;
    kendall::variance_term(grown) - kendall::variance_term(equal as f64).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integer values drifting down a step every 100 points, with `levels` levels of noise
    /// (few levels: many ties), and now and then a gap.
    fn stream(len: usize, seed: u64, levels: u64) -> Vec<Option<f64>> {
        let mut state = seed;
        (0..len)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let gap = (state >> 20).is_multiple_of(17);
                (!gap).then(|| ((state >> 33) % levels) as f64 - (i / 100) as f64)
            })
            .collect()
    }

    fn window(series: &[Option<f64>], end: usize, len: usize) -> (Vec<i64>, Vec<f64>) {
        series[end - len..end]
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| ((end - len + i) as i64 * 300_000, v)))
            .unzip()
    }

    /// Sliding by a few buckets, jumping far ahead and stepping back: the same test as
    /// counting afresh, field for field, with many ties and with none.
    #[test]
    fn every_step_equals_the_test_counted_afresh() {
        for (levels, seed) in [(1_000_000, 1), (4, 2), (1, 3)] {
            let series = stream(1_500, seed, levels);
            let mut sliding = SlidingScore::default();
            let mut end = 288;
            let mut step = 0;
            while end <= series.len() {
                let (labels, values) = window(&series, end, 288);
                assert_eq!(
                    sliding.test(&labels, &values).unwrap(),
                    kendall::mann_kendall(&values).unwrap(),
                    "levels {levels}, window ending at {end}"
                );
                assert_eq!(sliding.score, kendall::score(&values), "{levels}, {end}");
                step += 1;
                end += match step % 40 {
                    0 => 200,
                    7 => 0,
                    _ => 1 + step % 4,
                };
                if step % 33 == 0 {
                    end -= 6;
                }
            }
        }
    }

    /// A value that changed inside the window is noticed: counted afresh, not slid.
    #[test]
    fn a_changed_point_is_counted_afresh() {
        let series = stream(400, 9, 50);
        let mut sliding = SlidingScore::default();
        let (labels, values) = window(&series, 300, 200);
        sliding.test(&labels, &values).unwrap();
        let (labels, mut values) = window(&series, 303, 200);
        values[100] += 1_000.0;
        assert_eq!(
            sliding.test(&labels, &values).unwrap(),
            kendall::mann_kendall(&values).unwrap()
        );
    }

    #[test]
    fn bad_input_is_refused() {
        let mut sliding = SlidingScore::default();
        assert!(
            sliding
                .test(&[1, 2, 3, 4], &[1.0, f64::NAN, 2.0, 3.0])
                .is_err()
        );
        assert!(sliding.test(&[1, 2, 3], &[1.0, 2.0, 3.0, 4.0]).is_err());
        assert!(sliding.test(&[1, 2], &[1.0, 2.0]).is_err());
    }
}
