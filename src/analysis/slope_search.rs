//! A slope selection that remembers what it learned about one series, so that a later
//! order statistic of the same pairwise slopes (Sen's interval, asked for after the median
//! and the autocorrelation check) costs a fraction of the first.
//!
//! What it keeps is a chain of *anchors*: slope thresholds `s` at which the exact number of
//! slopes `≤ s` is known, with the points in the order of `z = y − s·x` at the lowest and the
//! highest of them. Between neighbouring anchors it keeps the slopes themselves (divided),
//! because they were enumerated on the way from one anchor to the next.
//!
//! - The first anchor sits at the random sample's estimate of the first wanted rank; one
//!   counting sort gives its exact count ([`super::slopes`], step 1). A caller that
//!   passes a guessed bracket (where the same series' median was a step earlier) gets its
//!   first anchors at the bracket's ends instead, and no sample is drawn when it holds.
//! - A rank outside the chain is reached by *walking* from the nearest end: the sample says
//!   how far to step so the rank is covered with a margin of [`MARGIN_DEVIATIONS`]
//!   standard deviations, and one insertion sort from that end's order into the new
//!   threshold's order enumerates exactly the slopes crossed. The gap between sample order
//!   statistics `k` apart holds about `k·N/m` slopes give or take `√k·N/m`, so a step from
//!   an exact count needs a margin of only `√k` sample gaps, where a bracket drawn from
//!   the sample alone needs `√m/2` on each side.
//! - A rank inside the chain is selected among the slopes already enumerated.
//!
//! For the median of 288 points a search enumerates about 1,300 slopes, where a bracket
//! drawn from a sample of 6n held about 3,000; Sen's interval afterwards costs two walks
//! outward (about 2,900 slopes in all) instead of a second search whose bracket held
//! about 6,000.
//!
//! Exactness is as in [`super::slopes`]: a pair is classified by the order of `z`, which
//! can disagree with its divided slope only within the rounding band `δ` of a threshold,
//! so the ranks a stretch of the chain answers exclude the slopes within `δ` of its ends,
//! and an answer is always the order statistic of the divided slopes. When a walk fails
//! (a step crossing far more slopes than planned, or rounding contradicting itself) the
//! search gives up and the caller computes every slope.

use super::key_order::Keyed;
use super::slopes::{self, Bracket, Magnitudes, Ordered, Selected};

/// Slopes a next bracket holds on each side of the ranks found. Consecutive windows of a
/// series share all but a few points, so their ranks move little: in the backtest bench
/// (288 points, 3 new each step) the wanted ranks stay inside at about 98 % of the steps
/// with 1,000 (64 % with 400), and the bracket still holds far fewer slopes than a
/// sampled one.
const NEXT_BRACKET_SLOPES: f64 = 1000.0;

/// How many standard deviations of the sample's spacing a walk adds as margin. One misses
/// about one walk in twelve at 288 points, and a miss costs one more short walk; two
/// never missed but crossed half as many slopes again, which cost more (measured).
const MARGIN_DEVIATIONS: f64 = 1.0;

/// Walks one query may take before the search gives up on the series.
const MOST_WALKS: usize = 8;

/// Ranks closer than this are looked for together.
const GROUPED_WITHIN: usize = 64;

/// The search state for one series of points with strictly increasing `x`.
pub(super) struct SlopeSearch {
    magnitudes: Magnitudes,
    pairs: usize,
    sample: Option<Sample>,
    chain: Option<Chain>,
    /// A walk failed: the chain can no longer be trusted.
    broken: bool,
}

impl SlopeSearch {
    /// `None` when the points cannot be searched this way (`x` not strictly increasing,
    /// magnitudes not finite): the caller computes every slope.
    pub(super) fn new(x: &[f64], y: &[f64]) -> Option<Self> {
        let n = x.len();
        Some(SlopeSearch {
            magnitudes: Magnitudes::of(x, y)?,
            pairs: n * n.saturating_sub(1) / 2,
            sample: None,
            chain: None,
            broken: false,
        })
    }

    /// The slope order statistics at `ranks` (0-based, each below `n(n−1)/2`); `x` and `y`
    /// must be the points the search was made for. Looks in `guess` first when the chain
    /// is still empty. `None` when the search gave up (then compute every slope).
    pub(super) fn select(
        &mut self,
        x: &[f64],
        y: &[f64],
        ranks: &[usize],
        guess: Option<Bracket>,
    ) -> Option<Selected> {
        if self.broken || ranks.iter().any(|&rank| rank >= self.pairs) {
            return None;
        }
        let found = self.select_groups(x, y, ranks, guess);
        self.broken |= found.is_none();
        found
    }

    fn select_groups(
        &mut self,
        x: &[f64],
        y: &[f64],
        ranks: &[usize],
        guess: Option<Bracket>,
    ) -> Option<Selected> {
        let groups = groups_outward(ranks, self.pairs);
        let mut values = vec![0.0; ranks.len()];
        for (at, group) in groups.iter().enumerate() {
            let (lowest, highest) = (ranks[group[0]], ranks[group[group.len() - 1]]);
            let run = self.cover(x, y, lowest, highest, guess.filter(|_| at == 0))?;
            let wanted: Vec<usize> = group.iter().map(|&i| ranks[i]).collect();
            let found = self.chain.as_mut()?.select_in(run, &wanted);
            for (&i, value) in group.iter().zip(found) {
                values[i] = value;
            }
        }
        let next = self
            .chain
            .as_ref()
            .and_then(Chain::density)
            .and_then(|density| next_bracket(&values, density));
        Some(Selected { values, next })
    }

    /// The stretch of the chain (a run of its segments) that answers every rank in
    /// `lowest..=highest`, walking until there is one.
    fn cover(
        &mut self,
        x: &[f64],
        y: &[f64],
        lowest: usize,
        highest: usize,
        guess: Option<Bracket>,
    ) -> Option<(usize, usize)> {
        if self.chain.is_none() {
            self.chain = Some(self.first_anchors(x, y, lowest, highest, guess)?);
        }
        for _ in 0..MOST_WALKS {
            let chain = self.chain.as_ref()?;
            if let Some(run) = chain.covering(lowest, highest) {
                return Some(run);
            }
            let (first, end) = chain.answers();
            if highest >= end {
                let need = highest + 1 - chain.high.inverted.min(highest);
                self.walk(x, y, need, true)?;
            } else if lowest < first {
                let need = chain.low.inverted.saturating_sub(lowest).max(1);
                self.walk(x, y, need, false)?;
            } else {
                return None;
            }
        }
        None
    }

    /// The first anchor: at the guessed bracket's lower end, walking to its upper end,
    /// when a usable guess is given; else at the sample's estimate of the wanted ranks.
    fn first_anchors(
        &mut self,
        x: &[f64],
        y: &[f64],
        lowest: usize,
        highest: usize,
        guess: Option<Bracket>,
    ) -> Option<Chain> {
        if let Some(guess) = guess.filter(|g| g.lo < g.hi) {
            let lo = self
                .magnitudes
                .band(guess.lo.abs())
                .map(|band| guess.lo - band);
            let hi = self
                .magnitudes
                .band(guess.hi.abs())
                .map(|band| guess.hi + band);
            if let (Some(lo), Some(hi)) = (lo, hi)
                && let Some(mut chain) = Chain::counted_at(x, y, lo, &self.magnitudes)
            {
                let budget =
                    16 * x.len() + 8 * NEXT_BRACKET_SLOPES as usize + 4 * (highest - lowest);
                // A wrong guess costs a little time, never a wrong answer: start afresh.
                if chain
                    .walk(x, y, Some(hi), budget, &self.magnitudes, true)
                    .is_some()
                {
                    return Some(chain);
                }
            }
        }
        let pairs = self.pairs as f64;
        let sample = self.sample(x, y);
        let middle = (lowest + highest) as f64 / 2.0;
        let position = ((middle + 0.5) / pairs * sample.len() as f64) as usize;
        let threshold = sample.at(position.min(sample.len() - 1));
        Chain::counted_at(x, y, threshold, &self.magnitudes)
    }

    /// Extends the chain upwards (`rising`) or downwards far enough that `need` more slopes
    /// are probably crossed.
    fn walk(&mut self, x: &[f64], y: &[f64], need: usize, rising: bool) -> Option<()> {
        let chain = self.chain.as_ref()?;
        let from = if rising { chain.high } else { chain.low }.threshold;
        let (pairs, magnitudes) = (self.pairs, self.magnitudes);
        let sample = self.sample(x, y);
        let steps = steps_for(need, pairs, sample.len());
        let threshold = if rising {
            let position = sample.count_at_most(from) + steps - 1;
            (position < sample.len()).then(|| sample.at(position))
        } else {
            let below = sample.count_below(from);
            (below >= steps).then(|| sample.at(below - steps))
        };
        let budget = budget_for(x.len(), steps, pairs, sample.len());
        self.chain
            .as_mut()?
            .walk(x, y, threshold, budget, &magnitudes, rising)
    }

    /// Whether the sample was drawn (a guess that held needs none).
    #[cfg(test)]
    pub(super) fn used_sample(&self) -> bool {
        self.sample.is_some()
    }

    fn sample(&mut self, x: &[f64], y: &[f64]) -> &mut Sample {
        self.sample.get_or_insert_with(|| {
            let n = x.len();
            Sample::new(slopes::sample_slopes(
                x,
                y,
                (SAMPLE_PER_POINT * n).min(8192),
            ))
        })
    }
}

/// Sample size per point. The sample only steers the walks, whose margins shrink with its
/// size while drawing and selecting in it grows: one per point was measured best at 288
/// points (2, 4 and 6 per point each cost more).
const SAMPLE_PER_POINT: usize = 1;

/// Sample steps to take so that `need` slopes are crossed with [`MARGIN_DEVIATIONS`] to
/// spare: the least `k` with `k·g − c·√k·g ≥ need`, `g = N/m` slopes per sample gap.
fn steps_for(need: usize, pairs: usize, sample: usize) -> usize {
    let gap = pairs as f64 / sample as f64;
    let c = MARGIN_DEVIATIONS;
    let root = c / 2.0 + (c * c / 4.0 + need as f64 / gap).sqrt();
    ((root * root).ceil() as usize).max(1)
}

/// How many slopes a walk of `steps` sample gaps may cross before it is given up: far
/// more than it should, so only pathological ties (many equal slopes) reach it.
fn budget_for(n: usize, steps: usize, pairs: usize, sample: usize) -> usize {
    16 * n + 8 * steps * pairs.div_ceil(sample.max(1))
}

/// Where to look next time: [`NEXT_BRACKET_SLOPES`] slopes beyond the values found on each
/// side, at the density (slopes per unit of slope) seen where they were found.
fn next_bracket(values: &[f64], density: f64) -> Option<Bracket> {
    let least = values.iter().copied().fold(f64::INFINITY, f64::min);
    let most = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let margin = NEXT_BRACKET_SLOPES / density;
    let bracket = Bracket {
        lo: least - margin,
        hi: most + margin,
    };
    (margin > 0.0 && bracket.lo.is_finite() && bracket.hi.is_finite() && bracket.lo < least)
        .then_some(bracket)
}

/// Indices into `ranks` grouped by nearness (each group in increasing rank order), the
/// group nearest the middle of all `pairs` first and the others outward from it: walks
/// then start where the slopes are densest and only ever extend the chain.
fn groups_outward(ranks: &[usize], pairs: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_unstable_by_key(|&i| ranks[i]);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some(group) if ranks[i] - ranks[group[group.len() - 1]] <= GROUPED_WITHIN => {
                group.push(i)
            }
            _ => groups.push(vec![i]),
        }
    }
    let middle = pairs / 2;
    let distance = |group: &Vec<usize>| {
        let (lo, hi) = (ranks[group[0]], ranks[group[group.len() - 1]]);
        if middle < lo {
            lo - middle
        } else {
            middle.saturating_sub(hi)
        }
    };
    groups.sort_by_key(distance);
    groups
}

/// A threshold whose count of slopes is known exactly.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    /// The slope `s` under which the points were ordered by `y − s·x` (±∞: index order
    /// and its reverse).
    threshold: f64,
    /// Within this of `threshold`, that order and the divided slopes may disagree.
    band: f64,
    /// Pairs out of index order under `threshold`: the slopes `≤ threshold`, but for
    /// those within `band` of it.
    inverted: usize,
}

impl Anchor {
    /// Every slope counted in `inverted` is at most this.
    fn floor(&self) -> Ordered {
        Ordered::of(self.threshold + self.band)
    }

    /// Every slope not counted in `inverted` is above this.
    fn ceiling(&self) -> Ordered {
        Ordered::of(self.threshold - self.band)
    }

    fn at(threshold: f64, inverted: usize, magnitudes: &Magnitudes) -> Option<Anchor> {
        let band = if threshold.is_finite() {
            magnitudes.band(threshold.abs())?
        } else {
            0.0
        };
        Some(Anchor {
            threshold,
            band,
            inverted,
        })
    }
}

/// The slopes enumerated between two neighbouring anchors.
#[derive(Debug)]
struct Segment {
    lower: Anchor,
    upper: Anchor,
    /// Their divided values, in no particular order.
    slopes: Vec<Ordered>,
    least: Ordered,
    most: Ordered,
    /// How many are at most the lower anchor's threshold plus its band, and at most the
    /// upper anchor's threshold less its band: the ranks this segment answers on its own
    /// are `lower.inverted + at_floor .. lower.inverted + at_ceiling`.
    at_floor: usize,
    at_ceiling: usize,
}

impl Segment {
    fn new(lower: Anchor, upper: Anchor, slopes: Vec<Ordered>) -> Segment {
        let (floor, ceiling) = (lower.floor(), upper.ceiling());
        let mut segment = Segment {
            lower,
            upper,
            slopes: Vec::new(),
            least: Ordered::of(f64::INFINITY),
            most: Ordered::of(f64::NEG_INFINITY),
            at_floor: 0,
            at_ceiling: 0,
        };
        // One scalar pass for all four: 64-bit minima and comparisons have no vector
        // instructions in baseline x86-64, so four emulated passes cost more.
        for &slope in &slopes {
            segment.least = segment.least.min(slope);
            segment.most = segment.most.max(slope);
            segment.at_floor += usize::from(slope <= floor);
            segment.at_ceiling += usize::from(slope <= ceiling);
        }
        segment.slopes = slopes;
        segment
    }

    fn count_at_most(&self, bound: Ordered) -> usize {
        if self.least > bound {
            0
        } else if self.most <= bound {
            self.slopes.len()
        } else {
            self.slopes.iter().filter(|&&s| s <= bound).count()
        }
    }
}

/// Anchors from lowest to highest with the slopes between each neighbouring pair, and the
/// point order at the two ends (where walks start).
struct Chain {
    low: Anchor,
    high: Anchor,
    low_order: Vec<Keyed>,
    high_order: Vec<Keyed>,
    /// In increasing order of threshold; empty while the chain is a single anchor.
    segments: Vec<Segment>,
}

impl Chain {
    /// A chain of one anchor, counted by sorting the points by `y − threshold·x`.
    fn counted_at(x: &[f64], y: &[f64], threshold: f64, magnitudes: &Magnitudes) -> Option<Chain> {
        let (order, inverted) = slopes::counted_order(x, y, threshold)?;
        let anchor = Anchor::at(threshold, inverted, magnitudes)?;
        Some(Chain {
            low: anchor,
            high: anchor,
            low_order: order.clone(),
            high_order: order,
            segments: Vec::new(),
        })
    }

    /// The ranks the whole chain answers: `first..end`.
    fn answers(&self) -> (usize, usize) {
        if self.segments.is_empty() {
            return (self.low.inverted, self.low.inverted);
        }
        self.answers_of(0, self.segments.len() - 1)
    }

    /// The ranks the segments `from..=to` answer together: above the lower anchor's band
    /// and at most the upper anchor's (every slope outside is known to lie beyond them).
    fn answers_of(&self, from: usize, to: usize) -> (usize, usize) {
        let (lower, upper) = (self.segments[from].lower, self.segments[to].upper);
        let (floor, ceiling) = (lower.floor(), upper.ceiling());
        let run = &self.segments[from..=to];
        let first = run[0].at_floor
            + run[1..]
                .iter()
                .map(|segment| segment.count_at_most(floor))
                .sum::<usize>();
        let end = run[run.len() - 1].at_ceiling
            + run[..run.len() - 1]
                .iter()
                .map(|segment| segment.count_at_most(ceiling))
                .sum::<usize>();
        (lower.inverted + first, lower.inverted + end)
    }

    /// The shortest run of segments that answers every rank in `lowest..=highest`.
    fn covering(&self, lowest: usize, highest: usize) -> Option<(usize, usize)> {
        let count = self.segments.len();
        (1..=count).find_map(|length| {
            (0..=count - length)
                .map(|from| (from, from + length - 1))
                .find(|&(from, to)| {
                    let (first, end) = self.answers_of(from, to);
                    first <= lowest && highest < end
                })
        })
    }

    /// The order statistics at `ranks` among the run `from..=to` that answers them.
    fn select_in(&mut self, (from, to): (usize, usize), ranks: &[usize]) -> Vec<f64> {
        let below = self.segments[from].lower.inverted;
        let shifted: Vec<usize> = ranks.iter().map(|rank| rank - below).collect();
        if from == to {
            return slopes::select_among(&mut self.segments[from].slopes, &shifted);
        }
        let mut joined: Vec<Ordered> = self.segments[from..=to]
            .iter()
            .flat_map(|segment| segment.slopes.iter().copied())
            .collect();
        slopes::select_among(&mut joined, &shifted)
    }

    /// Slopes per unit of slope between the chain's ends, when they are finite and apart.
    fn density(&self) -> Option<f64> {
        let width = self.high.threshold - self.low.threshold;
        let crossed = (self.high.inverted - self.low.inverted) as f64;
        (width.is_finite() && width > 0.0).then(|| crossed / width)
    }

    /// Extends the chain from its highest anchor to `threshold` when `rising` (`None`:
    /// +∞), else from its lowest (`None`: −∞), enumerating the slopes crossed; `None` when
    /// more than `budget` are or rounding contradicts itself.
    fn walk(
        &mut self,
        x: &[f64],
        y: &[f64],
        threshold: Option<f64>,
        budget: usize,
        magnitudes: &Magnitudes,
        rising: bool,
    ) -> Option<()> {
        let (end, end_order, beyond) = if rising {
            (self.high, &mut self.high_order, f64::INFINITY)
        } else {
            (self.low, &mut self.low_order, f64::NEG_INFINITY)
        };
        let threshold = apart(end.threshold, threshold.unwrap_or(beyond), magnitudes)?;
        let mut order = std::mem::take(end_order);
        let slopes = slopes::reorder(x, y, &mut order, threshold, budget, rising)?;
        if rising {
            let upper = Anchor::at(threshold, end.inverted + slopes.len(), magnitudes)?;
            self.segments.push(Segment::new(end, upper, slopes));
            (self.high, self.high_order) = (upper, order);
        } else {
            let inverted = end.inverted.checked_sub(slopes.len())?;
            let lower = Anchor::at(threshold, inverted, magnitudes)?;
            self.segments.insert(0, Segment::new(lower, end, slopes));
            (self.low, self.low_order) = (lower, order);
        }
        Some(())
    }
}

/// `to`, moved away from `from` if need be so the two are at least both their rounding
/// bands apart. A pair out of index order under `from` and back in order under `to` (or
/// the reverse) would need its slope within the band of each, so between such thresholds
/// rounding cannot contradict itself; without this, a step between two sampled slopes that
/// are equal but for rounding could.
fn apart(from: f64, to: f64, magnitudes: &Magnitudes) -> Option<f64> {
    if !(from.is_finite() && to.is_finite()) {
        return Some(to);
    }
    let gap = 2.0 * magnitudes.band(from.abs().max(to.abs()))?;
    Some(if to > from {
        to.max(from + gap)
    } else {
        to.min(from - gap)
    })
}

/// A random sample of the slopes, selected from lazily: each order statistic asked for
/// pins its position, and later ones are selected between the nearest pins.
struct Sample {
    values: Vec<Ordered>,
    /// Positions whose value is final, in increasing order.
    pinned: Vec<usize>,
}

impl Sample {
    fn new(values: Vec<Ordered>) -> Self {
        Sample {
            values,
            pinned: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    /// The order statistic at `position` (below [`Self::len`]).
    fn at(&mut self, position: usize) -> f64 {
        let after = self.pinned.partition_point(|&p| p < position);
        if self.pinned.get(after) == Some(&position) {
            return self.values[position].value();
        }
        let start = after.checked_sub(1).map_or(0, |i| self.pinned[i] + 1);
        let end = self.pinned.get(after).copied().unwrap_or(self.values.len());
        let value = *self.values[start..end]
            .select_nth_unstable(position - start)
            .1;
        self.pinned.insert(after, position);
        value.value()
    }

    fn count_at_most(&self, threshold: f64) -> usize {
        let bound = Ordered::of(threshold);
        self.values.iter().filter(|&&v| v <= bound).count()
    }

    fn count_below(&self, threshold: f64) -> usize {
        let bound = Ordered::of(threshold);
        self.values.iter().filter(|&&v| v < bound).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_start_in_the_middle_and_go_outward() {
        let ranks = [100, 4990, 2400, 2401, 4000];
        let groups = groups_outward(&ranks, 5000);
        assert_eq!(groups, vec![vec![2, 3], vec![4], vec![0], vec![1]]);
    }

    #[test]
    fn steps_are_the_fewest_that_cover_the_need_with_the_margin() {
        // 41,328 slopes, 288 sampled: about 143.5 slopes per gap.
        let gap = 41_328.0 / 288.0;
        let spare = |k: usize| k as f64 * gap - MARGIN_DEVIATIONS * (k as f64).sqrt() * gap;
        for need in [1, 100, 500, 1600, 5000] {
            let steps = steps_for(need, 41_328, 288);
            assert!(spare(steps) >= need as f64, "need {need}: {steps} steps");
            assert!(
                steps == 1 || spare(steps - 1) < need as f64,
                "need {need}: {steps} steps"
            );
        }
    }

    #[test]
    fn sample_positions_are_order_statistics_in_any_order_asked() {
        let values: Vec<Ordered> = (0..200)
            .map(|i| Ordered::of(((i * 7919) % 200) as f64))
            .collect();
        let mut sample = Sample::new(values);
        for position in [100, 3, 150, 101, 99, 0, 199, 150] {
            assert_eq!(sample.at(position), position as f64);
        }
        assert_eq!(sample.count_at_most(49.5), 50);
        assert_eq!(sample.count_below(50.0), 50);
    }
}
