//! Trend: the rule's series through the trend analysis (Mann–Kendall with the Hamed–Rao
//! correction and Theil–Sen, or their seasonal variants), gated by direction,
//! significance, `min_rate` and the forecast horizon, and explained in the rule's units.

use crate::analysis::persistence;
use crate::analysis::trend::{self, FittedLine, TrendAnalysis, TrendHints, TrendQuestion};
use crate::analysis::{MIN_POINTS, Status, Verdict};
use crate::humanize;
use crate::query::Series;
use crate::rules::{self, MIN_TREND_POINTS, Rule, Trend, TrendDirection, Unit};

use super::format_value;

/// Confidence of the slope interval a forecast's range is drawn from.
const SLOPE_CONFIDENCE: f64 = 0.95;

/// A series' present buckets: time in seconds relative to the end of the grid (bucket
/// midpoints, so "now" is x = 0), value, the bucket's start (which names it from one
/// instant to the next) and its phase within the season.
struct Points {
    times: Vec<f64>,
    starts: Vec<i64>,
    values: Vec<f64>,
    phases: Vec<usize>,
}

fn points(series: &Series, season_ms: Option<u64>) -> Points {
    let grid = series.grid;
    let half_bucket = grid.bucket_ms as f64 / 2.0;
    let bucket_ms = grid.bucket_ms.max(1);
    let mut points = Points {
        times: Vec::with_capacity(series.values.len()),
        starts: Vec::with_capacity(series.values.len()),
        values: Vec::with_capacity(series.values.len()),
        phases: Vec::new(),
    };
    for (i, value) in series.values.iter().enumerate() {
        let Some(value) = value else { continue };
        let start = grid.timestamp_of(i);
        points
            .times
            .push((start as f64 + half_bucket - grid.end_ms as f64) / 1_000.0);
        points.starts.push(start);
        points.values.push(*value);
        if let Some(season_ms) = season_ms {
            let season_ms = i64::try_from(season_ms).unwrap_or(i64::MAX).max(1);
            let phase = start.rem_euclid(season_ms) / bucket_ms;
            points.phases.push(usize::try_from(phase).unwrap_or(0));
        }
    }
    points
}

pub(super) fn judge_trend(spec: &Trend, rule: &Rule, series: &Series, unit: Unit) -> Verdict {
    let points = points(series, spec.season.map(|s| s.as_millis()));
    if let Some(too_few) = too_few(&points) {
        return too_few;
    }
    let question = question(spec, true);
    let analysis = match spec.season {
        None => trend::analyze(&points.times, &points.values, &question),
        Some(_) => {
            trend::analyze_seasonal(&points.times, &points.values, &points.phases, &question)
        }
    };
    let analysis = match analysis {
        Ok(analysis) => analysis,
        Err(error) => {
            return Verdict::new(Status::NoData, format!("cannot fit a trend: {error}"));
        }
    };
    let mut verdict = Verdict::new(Status::Ok, "");
    verdict.value = points.values.last().copied();
    verdict.p_value = Some(analysis.test.p_value);
    verdict.slope_per_second = analysis.line.map(|line| line.slope);
    let words = Words::new(spec, rule, &analysis, verdict.value, unit);
    let line = match analysis.line {
        Some(line) if analysis.is_bad(&question) => line,
        _ => {
            verdict.explanation = words.not_bad(spec, &analysis);
            return verdict;
        }
    };
    verdict.slope_interval = line.interval;
    let fast_enough = fast_enough(spec, &line);
    let ahead = ahead(spec, &line, &points, fast_enough);
    let forecast_within = within(ahead);
    // A seasonal fit compares days with each other already; otherwise the fall must hold
    // in both halves of the lookback, so one step is not taken for a trend.
    let persists = fast_enough
        && (spec.season.is_some()
            || persistence::halves(&points.times, &points.values)
                .is_ok_and(|h| h.persist(line.slope)));
    if persists && forecast_within {
        verdict.status = Status::Breached;
    }
    if let Some((_, Some(forecast))) = ahead.filter(|_| persists) {
        verdict.time_to_bound = Some(forecast.at.max(0.0));
        verdict.time_to_bound_range = Some((
            forecast.earliest.max(0.0),
            forecast.latest.map(|l| l.max(0.0)),
        ));
    }
    verdict.explanation = if !fast_enough {
        words.too_slow(spec, unit)
    } else if !persists {
        format!(
            "{} overall but not in both halves of the {}: a level shift, not a trend; {}",
            words.head, rule.lookback, words.now
        )
    } else if let Some((target, ahead)) = ahead {
        let bound = format_value(target.reaches.value, unit);
        match ahead {
            Some(forecast) => {
                let seconds = forecast.at.max(0.0);
                let range = range_text(forecast.earliest.max(0.0), forecast.latest);
                let eta = humanize::duration_secs(seconds);
                if verdict.status == Status::Breached {
                    format!(
                        "{}; {}, reaches {bound} in ~{eta}{range}",
                        words.head, words.now
                    )
                } else {
                    format!(
                        "{}; reaches {bound} in ~{eta}{range}, beyond {}",
                        words.head, target.within
                    )
                }
            }
            None => format!("{}; never reaches {bound}", words.head),
        }
    } else {
        format!("{}; {}", words.head, words.now)
    };
    verdict
}

/// The status [`judge_trend`] gives, without the numbers that only explain it, its checks
/// ordered cheapest first and each made only when those before pass: the test before the
/// correction for autocorrelation (which can only make a trend less significant), whether
/// both halves head the bad way at all, the slope's direction, `min_rate`, the forecast,
/// persistence (both decided by counting slopes, not by fitting the halves), and last the
/// correction, whose ranks of residuals cost most. A backtest asks this at every instant;
/// `hints` carry where the slope was found at the previous one.
pub(super) fn trend_status(
    spec: &Trend,
    rule: &Rule,
    series: &Series,
    unit: Unit,
    hints: &mut TrendHints,
) -> Status {
    if spec.season.is_some() {
        return judge_trend(spec, rule, series, unit).status;
    }
    let points = points(series, None);
    if too_few(&points).is_some() {
        return Status::NoData;
    }
    let question = question(spec, false);
    let (x, y) = (&points.times, &points.values);
    let Ok(tested) = TrendAnalysis::tested_near(y, &points.starts, hints) else {
        return Status::NoData;
    };
    // Persisting the bad way needs both halves to head that way at all: their scores
    // rule out most series (a daily cycle's halves head opposite ways) before any fit.
    let falling = spec.direction == TrendDirection::Down;
    if !tested.worth_a_line(&question)
        || !persistence::halves_head(x, y, &points.starts, falling, &mut hints.halves)
    {
        return Status::Ok;
    }
    let Ok(fitted) = tested.fitted_near(x, y, hints) else {
        return Status::NoData;
    };
    let Some(line) = fitted.line.filter(|_| fitted.is_bad(&question)) else {
        return Status::Ok;
    };
    let fast_enough = fast_enough(spec, &line);
    let breached = fast_enough
        && within(ahead(spec, &line, &points, fast_enough))
        && persistence::halves_persist(x, y, line.slope)
        && fitted
            .corrected(x, y, question.significance)
            .is_bad(&question);
    if breached {
        Status::Breached
    } else {
        Status::Ok
    }
}

fn too_few(points: &Points) -> Option<Verdict> {
    let found = points.values.len();
    (found < MIN_POINTS.max(MIN_TREND_POINTS as usize)).then(|| {
        Verdict::new(
            Status::NoData,
            format!("{found} buckets with data; too few for a trend"),
        )
    })
}

fn question(spec: &Trend, interval: bool) -> TrendQuestion {
    TrendQuestion {
        rising_is_bad: Some(spec.direction == TrendDirection::Up),
        significance: spec.significance,
        confidence: SLOPE_CONFIDENCE,
        interval,
    }
}

fn fast_enough(spec: &Trend, line: &FittedLine) -> bool {
    spec.min_rate
        .is_none_or(|rate| line.slope.abs() >= rate.per_second())
}

/// The rule's forecast target with when the line reaches it, when the rule has one and
/// the slope is fast enough to matter.
fn ahead(
    spec: &Trend,
    line: &FittedLine,
    points: &Points,
    fast_enough: bool,
) -> Option<(rules::Forecast, Option<trend::Forecast>)> {
    spec.forecast
        .filter(|_| fast_enough)
        .map(|target| (target, forecast(spec, line, points, target.reaches.value)))
}

/// Whether the forecast (if the rule has one) is reached within its horizon.
fn within(ahead: Option<(rules::Forecast, Option<trend::Forecast>)>) -> bool {
    ahead.is_none_or(|(target, forecast)| {
        forecast.is_some_and(|f| f.at.max(0.0) <= target.within.as_secs_f64())
    })
}

/// When the fitted line (or, for a seasonal rule, the worst season) reaches `level`.
fn forecast(
    spec: &Trend,
    line: &FittedLine,
    points: &Points,
    level: f64,
) -> Option<trend::Forecast> {
    match spec.season {
        None => line_forecast(spec, line, points, level),
        Some(season) => {
            let downward = spec.direction == TrendDirection::Down;
            seasonal_forecast(line, points, season.as_secs_f64(), level, downward)
        }
    }
}

/// When the fitted line reaches `level`: `at` may be 0 when it is already there.
fn line_forecast(
    spec: &Trend,
    line: &FittedLine,
    points: &Points,
    level: f64,
) -> Option<trend::Forecast> {
    let already_there = match spec.direction {
        TrendDirection::Down => line.intercept <= level,
        TrendDirection::Up => line.intercept >= level,
    };
    let interval = line.interval.unwrap_or((line.slope, line.slope));
    let pivot = median_time(&points.times);
    trend::forecast(line.intercept, line.slope, interval, pivot, level)
        .filter(|f| f.at >= 0.0 || already_there)
}

/// The first time any season reaches `level`, for the slope and for each end of its interval.
fn seasonal_forecast(
    line: &FittedLine,
    points: &Points,
    period: f64,
    level: f64,
    downward: bool,
) -> Option<trend::Forecast> {
    let series = trend::SeasonalSeries {
        x: &points.times,
        y: &points.values,
        season_of: &points.phases,
        period,
    };
    let crossing = |slope| series.crossing(slope, level, downward, 0.0);
    let at = crossing(line.slope)?;
    let (low, high) = line.interval.unwrap_or((line.slope, line.slope));
    let ends = [crossing(low), crossing(high)];
    let earliest = ends.iter().flatten().fold(at, |a, b| a.min(*b));
    let latest = match ends {
        [Some(a), Some(b)] => Some(a.max(b).max(at)),
        _ => None,
    };
    Some(trend::Forecast {
        at,
        earliest,
        latest,
    })
}

/// " (18–31 h)", " (at least 18 h)" when the interval allows never, nothing when the
/// interval is too narrow to show.
fn range_text(earliest: f64, latest: Option<f64>) -> String {
    let earliest = humanize::duration_secs(earliest);
    match latest.map(humanize::duration_secs) {
        Some(latest) if latest == earliest => String::new(),
        Some(latest) => format!(" ({earliest}–{latest})"),
        None => format!(" (at least {earliest})"),
    }
}

fn median_time(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    crate::analysis::window::median_in_place(&mut sorted).unwrap_or(0.0)
}

/// The pieces of a trend's explanation.
struct Words {
    /// "falling 3.2 GB/day (p < 0.001)".
    head: String,
    /// "5.9 GB now".
    now: String,
    word: &'static str,
    rate: String,
    p: String,
}

impl Words {
    fn new(
        spec: &Trend,
        rule: &Rule,
        analysis: &TrendAnalysis,
        latest: Option<f64>,
        unit: Unit,
    ) -> Self {
        let slope = analysis.line.map(|line| line.slope);
        // Without a fitted line (not worth fitting) the direction is the test's.
        let direction = slope.unwrap_or(analysis.test.s as f64);
        let word = if direction < 0.0 {
            "falling"
        } else if direction > 0.0 {
            "rising"
        } else {
            "flat"
        };
        let rate = match slope {
            Some(slope) if rule.lookback.as_millis() >= 86_400_000 || spec.season.is_some() => {
                format!(" {}/day", format_value((slope * 86_400.0).abs(), unit))
            }
            Some(slope) => format!(" {}/h", format_value((slope * 3_600.0).abs(), unit)),
            None => String::new(),
        };
        let p_value = analysis.test.p_value;
        let p = if p_value < 0.001 {
            "p < 0.001".to_string()
        } else {
            format!("p = {p_value:.3}")
        };
        Words {
            head: format!("{word}{rate} ({p})"),
            now: latest
                .map(|v| format!("{} now", format_value(v, unit)))
                .unwrap_or_default(),
            word,
            rate,
            p,
        }
    }

    fn not_bad(&self, spec: &Trend, analysis: &TrendAnalysis) -> String {
        let direction = analysis.line.map_or(analysis.test.s as f64, |l| l.slope);
        let bad_direction = match spec.direction {
            TrendDirection::Down => direction < 0.0 && analysis.test.s < 0,
            TrendDirection::Up => direction > 0.0 && analysis.test.s > 0,
        };
        let (word, rate, p, now) = (self.word, &self.rate, &self.p, &self.now);
        if bad_direction {
            format!(
                "{word}{rate} but not significant ({p} ≥ {}); {now}",
                spec.significance
            )
        } else {
            format!("{word}{rate}, not the bad direction ({p}); {now}")
        }
    }

    fn too_slow(&self, spec: &Trend, unit: Unit) -> String {
        let min_rate = spec
            .min_rate
            .map(|r| format!("{}/day", format_value(r.per_second() * 86_400.0, unit)))
            .unwrap_or_default();
        format!(
            "{}, slower than min_rate {min_rate}; {}",
            self.head, self.now
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{HOUR, rule, series};
    use super::super::judge;
    use crate::analysis::Status;

    /// Hourly buckets falling 10 per hour from 1000: at the end of the grid (half a bucket
    /// after the last midpoint, value 530) the line is at 525, so it reaches 0 in 52.5 h.
    #[test]
    fn a_falling_line_forecasts_its_crossing_exactly() {
        let values: Vec<Option<f64>> = (0..48)
            .map(|i| Some(1_000.0 - 10.0 * f64::from(i)))
            .collect();
        let within = |horizon: &str| {
            rule(&format!(
                "metric: min(x)\nbucket: 1h\nlookback: 2d\ncondition: {{ trend: {{ direction: down, forecast: {{ reaches: 0, within: {horizon} }} }} }}\n"
            ))
        };
        let late = judge(&within("48h"), &series(HOUR, values.clone(), vec![1; 48]));
        assert_eq!(late.status, Status::Ok);
        assert!((late.time_to_bound.unwrap() - 52.5 * 3_600.0).abs() < 1e-6);
        assert!((late.slope_per_second.unwrap() * 3_600.0 + 10.0).abs() < 1e-12);
        let soon = judge(&within("60h"), &series(HOUR, values, vec![1; 48]));
        assert_eq!(soon.status, Status::Breached);
        assert_eq!(
            soon.explanation,
            "falling 240/day (p < 0.001); 530 now, reaches 0 in ~53 h"
        );
    }

    /// Free memory drops once by 500 MB (a deploy) and stays there: significant and steep
    /// overall, but a level shift; the same drop spread over the day is a leak.
    #[test]
    fn a_level_shift_is_not_a_leak() {
        let rule = rule(
            "metric: avg(x)\nbucket: 15m\nlookback: 1d\ncondition: { trend: { direction: down, min_rate: 100MB/day } }\n",
        );
        let noise = |i: usize| ((i * 7919) % 13) as f64 * 2e6;
        let step: Vec<Option<f64>> = (0..96)
            .map(|i| Some(if i < 40 { 2.0e9 } else { 1.5e9 } + noise(i)))
            .collect();
        let verdict = judge(&rule, &series(15 * 60_000, step, vec![1; 96]));
        assert_eq!(verdict.status, Status::Ok, "{}", verdict.explanation);
        assert!(
            verdict.explanation.contains("a level shift, not a trend"),
            "{}",
            verdict.explanation
        );
        let leak: Vec<Option<f64>> = (0..96)
            .map(|i| Some(2.0e9 - 5e8 * i as f64 / 96.0 + noise(i)))
            .collect();
        let verdict = judge(&rule, &series(15 * 60_000, leak, vec![1; 96]));
        assert_eq!(verdict.status, Status::Breached, "{}", verdict.explanation);
    }

    #[test]
    fn a_rising_series_never_fires_a_falling_rule() {
        let rule = rule(
            "metric: min(x)\nbucket: 1h\nlookback: 1d\ncondition: { trend: { direction: down } }\n",
        );
        let values: Vec<Option<f64>> = (0..24).map(|i| Some(f64::from(i))).collect();
        assert_eq!(
            judge(&rule, &series(HOUR, values, vec![1; 24])).status,
            Status::Ok
        );
    }
}
