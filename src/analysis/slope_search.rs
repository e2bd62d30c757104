//! A slope selection that remembers what it learned about one series, so that a later
//! order statistic of the same pairwise slopes (Sen's interval, asked for after the median
//! and the autocorrelation check) costs a fraction of the first.
//!
//! What it keeps is chains of *anchors*: slope thresholds `s` at which the exact number of
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
//! - Once a query near the middle has been answered, the slopes per unit of slope there
//!   (the *density*) are known from thousands of slopes rather than a few sample gaps. A
//!   later rank near the middle (Sen's interval) is then reached by a density step with a
//!   margin of a tenth, and a rank more than [`JUMP_OVER`] slopes away by a *jump*: a new
//!   chain (an island) counted afresh at the density's estimate of the rank, then walked
//!   the little that estimate missed by. One counting sort costs less than enumerating the
//!   slopes on the way.
//!
//! For the median of 288 points a search enumerates about 1,300 slopes, where a bracket
//! drawn from a sample of 6n held about 3,000; Sen's interval afterwards enumerates about
//! 840 more slopes with one or two jumps, where walking outward from the median crossed
//! about 3,100 (and a second search's bracket would hold about 6,000).
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

/// A density step aims this much beyond the slopes it needs, plus [`DENSITY_SPARE`]
/// slopes: the density is measured on at least [`DENSITY_FROM`] slopes near the median,
/// so it is off by several per cent, and it falls a little away from the middle; a step
/// that falls short costs one more short step. Margins of 0.05 to 0.3 (with 0 to 100
/// spare) were all within 3 % of each other at 288 points (measured).
const DENSITY_MARGIN: f64 = 1.1;
const DENSITY_SPARE: f64 = 32.0;

/// The fewest slopes a density is measured on: about `1/√128`, 9 %, of error. The
/// minimum made no measurable difference between 128 and 256 at 288 points.
const DENSITY_FROM: usize = 128;

/// A rank this many slopes beyond the nearest chain is jumped to rather than walked to,
/// when the density is known. Measured at 288 points: 400 and 800 alike, 1,500 slower.
const JUMP_OVER: usize = 800;

/// Walks and jumps one query may take before the search gives up on the series.
const MOST_WALKS: usize = 8;

/// Ranks closer than this are looked for together.
const GROUPED_WITHIN: usize = 64;

/// The search state for one series of points with strictly increasing `x`.
pub(super) struct SlopeSearch {
    magnitudes: Magnitudes,
    pairs: usize,
    sample: Option<Sample>,
    /// The first chain, then the islands jumps started, in the order they were made.
    chains: Vec<Chain>,
    /// Slopes per unit of slope near the middle, where the latest query was answered
    /// ([`Chain::local_density`]).
    density: Option<f64>,
    /// A walk failed: the chains can no longer be trusted.
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
            chains: Vec::new(),
            density: None,
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
            let (k, run) = self.cover(x, y, lowest, highest, guess.filter(|_| at == 0))?;
            let wanted: Vec<usize> = group.iter().map(|&i| ranks[i]).collect();
            let chain = &mut self.chains[k];
            self.density = chain.local_density(run, self.pairs).or(self.density);
            let found = chain.select_in(run, &wanted);
            for (&i, value) in group.iter().zip(found) {
                values[i] = value;
            }
        }
        let next = self
            .chains
            .first()
            .and_then(Chain::density)
            .and_then(|density| next_bracket(&values, density));
        Some(Selected { values, next })
    }

    /// The chain and its stretch (a run of its segments) that answer every rank in
    /// `lowest..=highest`, walking or jumping until there is one.
    fn cover(
        &mut self,
        x: &[f64],
        y: &[f64],
        lowest: usize,
        highest: usize,
        guess: Option<Bracket>,
    ) -> Option<(usize, (usize, usize))> {
        if self.chains.is_empty() {
            let chain = self.first_anchors(x, y, lowest, highest, guess)?;
            self.chains.push(chain);
        }
        // Near the middle the measured density steers; in the tails it would overshoot
        // its way to every rank, so the sample does.
        let middle = self.pairs / 2;
        let density = self
            .density
            .filter(|_| lowest + self.pairs / 6 >= middle && highest <= middle + self.pairs / 6);
        for _ in 0..MOST_WALKS {
            let covering = self
                .chains
                .iter()
                .enumerate()
                .find_map(|(k, chain)| chain.covering(lowest, highest).map(|run| (k, run)));
            if covering.is_some() {
                return covering;
            }
            let (k, need, rising) = self.nearest_end(lowest, highest)?;
            let from = self.chains[k].end(rising).threshold;
            match density.filter(|_| from.is_finite()) {
                Some(density) if need > JUMP_OVER => {
                    self.jump(x, y, (k, rising), (lowest, highest), density)?
                }
                Some(density) => self.step(x, y, k, need, rising, density)?,
                None => self.walk(x, y, k, need, rising)?,
            }
        }
        None
    }

    /// The chain end nearest the ranks `lowest..=highest`: which chain, how many slopes
    /// it must yet cross to answer them, and whether upwards. `None` when every chain
    /// holds them but for slopes within rounding of its anchors (the search gives up).
    fn nearest_end(&self, lowest: usize, highest: usize) -> Option<(usize, usize, bool)> {
        let ends = self.chains.iter().enumerate().filter_map(|(k, chain)| {
            let (first, end) = chain.answers();
            if highest >= end {
                Some((k, highest + 1 - chain.high.inverted.min(highest), true))
            } else if lowest < first {
                Some((k, chain.low.inverted.saturating_sub(lowest).max(1), false))
            } else {
                None
            }
        });
        ends.min_by_key(|&(_, need, _)| need)
    }

    /// Starts an island: a chain of one anchor, counted where `density` from chain `k`'s
    /// upper end (`rising`) or lower end puts the middle of the ranks `lowest..=highest`.
    fn jump(
        &mut self,
        x: &[f64],
        y: &[f64],
        (k, rising): (usize, bool),
        (lowest, highest): (usize, usize),
        density: f64,
    ) -> Option<()> {
        let end = self.chains[k].end(rising);
        let middle = (lowest + highest) as f64 / 2.0;
        let inverted = end.inverted as f64;
        let slopes = if rising {
            middle - inverted
        } else {
            inverted - middle
        };
        let threshold = beyond(end.threshold, slopes / density, rising);
        let island = Chain::counted_at(x, y, threshold, &self.magnitudes)?;
        self.chains.push(island);
        Some(())
    }

    /// Extends chain `k` upwards (`rising`) or downwards by `need` slopes at `density`,
    /// with [`DENSITY_MARGIN`] and [`DENSITY_SPARE`] to spare.
    fn step(
        &mut self,
        x: &[f64],
        y: &[f64],
        k: usize,
        need: usize,
        rising: bool,
        density: f64,
    ) -> Option<()> {
        let chain = &mut self.chains[k];
        let reach = (need as f64 * DENSITY_MARGIN + DENSITY_SPARE) / density;
        let threshold = beyond(chain.end(rising).threshold, reach, rising);
        let budget = budget_for(x.len(), need);
        chain.walk(x, y, Some(threshold), budget, &self.magnitudes, rising)
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
                let slopes = NEXT_BRACKET_SLOPES as usize + (highest - lowest) / 2;
                let budget = budget_for(x.len(), slopes);
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

    /// Extends chain `k` upwards (`rising`) or downwards far enough that the sample says
    /// `need` more slopes are probably crossed.
    fn walk(&mut self, x: &[f64], y: &[f64], k: usize, need: usize, rising: bool) -> Option<()> {
        let from = self.chains[k].end(rising).threshold;
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
        let budget = budget_for(x.len(), steps * pairs.div_ceil(sample.len().max(1)));
        self.chains[k].walk(x, y, threshold, budget, &magnitudes, rising)
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

/// `distance` above `from` when `rising`, else below it.
fn beyond(from: f64, distance: f64, rising: bool) -> f64 {
    if rising {
        from + distance
    } else {
        from - distance
    }
}

/// How many slopes a walk meant to cross `slopes` may cross before it is given up: far
/// more than it should, so only pathological ties (many equal slopes) reach it.
fn budget_for(n: usize, slopes: usize) -> usize {
    16 * n + 8 * slopes
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

    /// The anchor at the chain's upper end (`rising`) or its lower end.
    fn end(&self, rising: bool) -> Anchor {
        if rising { self.high } else { self.low }
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

    /// Slopes per unit of slope over the run `from..=to` of segments, when it is a
    /// steady local measure: at least [`DENSITY_FROM`] slopes, at most an eighth
    /// of all `pairs` (a guessed bracket far off the mark spans half the slopes), and
    /// finite and positive.
    fn local_density(&self, (from, to): (usize, usize), pairs: usize) -> Option<f64> {
        let run = &self.segments[from..=to];
        let count: usize = run.iter().map(|segment| segment.slopes.len()).sum();
        let width = run[run.len() - 1].upper.threshold - run[0].lower.threshold;
        let density = count as f64 / width;
        ((DENSITY_FROM..=pairs / 8).contains(&count) && density.is_finite() && density > 0.0)
            .then_some(density)
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
        let (end, end_order, outermost) = if rising {
            (self.high, &mut self.high_order, f64::INFINITY)
        } else {
            (self.low, &mut self.low_order, f64::NEG_INFINITY)
        };
        let threshold = apart(end.threshold, threshold.unwrap_or(outermost), magnitudes)?;
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

    /// After the median, ranks a few thousand away (Sen's interval) are jumped to, each
    /// from a count of its own; ranks in the tails are walked to from the sample. Every
    /// answer is the brute-force one.
    #[test]
    fn ranks_near_the_middle_are_jumped_to_once_the_density_is_known() {
        let n = 288;
        let (x, y) = slopes::tests::series(n, 11, 1_000_000);
        let pairs = n * (n - 1) / 2;
        let mut search = SlopeSearch::new(&x, &y).unwrap();
        let ask = |search: &mut SlopeSearch, ranks: &[usize]| {
            let found = search.select(&x, &y, ranks, None).unwrap();
            assert_eq!(found.values, slopes::select_brute_force(&x, &y, ranks));
        };
        ask(&mut search, &[(pairs - 1) / 2, pairs / 2]);
        assert_eq!(search.chains.len(), 1);
        assert!(
            search.density.is_some(),
            "measured where the median was found"
        );
        ask(&mut search, &[pairs / 2 - 3000, pairs / 2 + 3000]);
        assert_eq!(search.chains.len(), 3, "one island for each side");
        ask(&mut search, &[5, pairs - 6]);
        assert_eq!(search.chains.len(), 3, "no jump into the tails");
    }

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
