//! Turns a deserialized `RuleDocument` into a `Rule`, checking everything one field alone
//! cannot: defaults, window arithmetic, condition completeness, filter shapes, templates,
//! schedules and notifier names. Every problem is collected, not just the first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_saphyr::{Location, Spanned};

use super::diagnostic::Diagnostic;
use super::document::{ConditionSpec, MetricSpec, OneOrMany, RuleDocument, TrendSpec};
use super::model::*;
use super::suggest;
use super::units::{Duration, Quantity, Unit};

/// What the loader knows beyond the rule files themselves.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Notifier names defined in the engine config; `None` when no config was given,
    /// in which case `notify` names are not checked.
    pub notifiers: Option<BTreeSet<String>>,
}

/// Query DSL clauses a `filter:` entry may start with.
pub const FILTER_CLAUSES: [&str; 19] = [
    "bool",
    "term",
    "terms",
    "range",
    "exists",
    "match",
    "match_phrase",
    "match_phrase_prefix",
    "multi_match",
    "prefix",
    "wildcard",
    "regexp",
    "fuzzy",
    "ids",
    "match_all",
    "match_none",
    "query_string",
    "simple_query_string",
    "nested",
];

/// Fewest buckets a trend is fitted over; below this no test has any power.
pub const MIN_TREND_POINTS: u64 = 8;

/// Collects diagnostics for one rule document; positions are shifted by `line_offset`
/// because each document of a multi-document file is parsed on its own.
pub(super) struct Checker<'a> {
    pub file: &'a Path,
    pub source: &'a str,
    pub line_offset: u64,
    /// Where the document starts (1-based, relative to the document).
    pub start_line: u64,
    pub rule: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub fn report(&mut self, line: u64, column: u64, message: String, hint: Option<String>) {
        let absolute = line + self.line_offset;
        let source_line = self
            .source
            .lines()
            .nth(usize::try_from(absolute.saturating_sub(1)).unwrap_or(usize::MAX))
            .map(str::to_string);
        self.diagnostics.push(Diagnostic {
            file: self.file.to_path_buf(),
            line: absolute,
            column,
            rule: self.rule.clone(),
            message,
            hint,
            source_line,
        });
    }

    fn at(&mut self, location: Location, message: impl Into<String>) {
        self.report(location.line(), location.column(), message.into(), None);
    }

    fn at_with_hint(
        &mut self,
        location: Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.report(
            location.line(),
            location.column(),
            message.into(),
            Some(hint.into()),
        );
    }

    fn at_rule(&mut self, message: impl Into<String>, hint: Option<String>) {
        self.report(self.start_line, 1, message.into(), hint);
    }
}

/// Builds the rule, or returns `None` after reporting why it cannot be built.
pub(super) fn rule_from_document(
    document: RuleDocument,
    check: &mut Checker<'_>,
    context: &ValidationContext,
) -> Option<Rule> {
    check.rule = Some(document.name.value.clone());
    let errors_before = check.diagnostics.len();

    check_name(&document.name, check);
    if document.index.value.trim().is_empty() {
        check.at(
            document.index.referenced,
            "`index` is empty; expected an index pattern such as `metricbeat-*`",
        );
    }
    let filter = checked_filters(&document.filter, check);
    let group_by = document
        .group_by
        .as_ref()
        .map(|spanned| checked_group_by(spanned, check))
        .unwrap_or_default();
    let metric = checked_metric(&document.metric, check);
    let bucket = document.bucket.value;
    if bucket.as_millis() < 1_000 {
        check.at(
            document.bucket.referenced,
            format!("`bucket: {bucket}` is too small; buckets must be at least 1s"),
        );
    }
    let window = checked_span(document.window.as_ref(), "window", bucket, bucket, check);
    let condition = checked_condition(&document.condition, check);
    let lookback = checked_lookback(&document, condition.as_ref(), window, check);
    let schedule = checked_schedule(&document, bucket, check);
    let annotations = checked_annotations(&document.annotations, check);
    let notify = checked_notify(document.notify.as_ref(), context, check);

    if check.diagnostics.len() > errors_before {
        return None;
    }
    Some(Rule {
        name: document.name.value,
        description: document.description,
        origin: Origin {
            file: check.file.to_path_buf(),
            line: check.start_line + check.line_offset,
        },
        index: document.index.value,
        timestamp_field: document
            .timestamp_field
            .unwrap_or_else(|| "@timestamp".to_string()),
        filter,
        group_by,
        metric: metric?,
        bucket,
        window,
        lookback,
        schedule: schedule?,
        query_delay: document.query_delay.unwrap_or(Duration::ZERO),
        condition: condition?,
        pending_for: document.pending_for.unwrap_or(Duration::ZERO),
        realert: document.realert.unwrap_or(Duration::from_secs(4 * 3_600)),
        keep_firing_for: document.keep_firing_for.unwrap_or(Duration::ZERO),
        notify_on_resolve: document.notify_on_resolve.unwrap_or(true),
        severity: document.severity.unwrap_or_default(),
        labels: document.labels,
        annotations,
        notify,
    })
}

fn check_name(name: &Spanned<String>, check: &mut Checker<'_>) {
    let valid = !name.value.is_empty()
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        check.at_with_hint(
            name.referenced,
            format!("invalid rule name `{}`", name.value),
            "use letters, digits, `-`, `_` and `.` only, e.g. `api-memory-low`",
        );
    }
}

fn checked_filters(
    clauses: &[Spanned<serde_json::Value>],
    check: &mut Checker<'_>,
) -> Vec<serde_json::Value> {
    clauses
        .iter()
        .filter(|clause| check_filter_clause(clause, "filter entry", check))
        .map(|clause| clause.value.clone())
        .collect()
}

/// A clause must be a mapping with exactly one known query type, e.g. `term: { a: b }`.
fn check_filter_clause(
    clause: &Spanned<serde_json::Value>,
    what: &str,
    check: &mut Checker<'_>,
) -> bool {
    let Some(object) = clause.value.as_object() else {
        check.at_with_hint(
            clause.referenced,
            format!(
                "a {what} must be a query clause mapping, found `{}`",
                clause.value
            ),
            "write Elasticsearch query DSL, e.g. `term: { service.name: api }`",
        );
        return false;
    };
    if object.len() != 1 {
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        check.at_with_hint(
            clause.referenced,
            format!(
                "a {what} holds exactly one query clause, found {} (`{}`)",
                keys.len(),
                keys.join("`, `")
            ),
            "write each clause as its own list item; they are AND-ed",
        );
        return false;
    }
    let Some((kind, _)) = object.iter().next() else {
        return false;
    };
    if FILTER_CLAUSES.contains(&kind.as_str()) {
        return true;
    }
    let hint = suggest::closest(kind, FILTER_CLAUSES)
        .map(|near| format!("did you mean `{near}`?"))
        .unwrap_or_else(|| format!("supported clauses: {}", FILTER_CLAUSES.join(", ")));
    check.at_with_hint(
        clause.referenced,
        format!("unknown query clause `{kind}` in {what}"),
        hint,
    );
    false
}

fn checked_group_by(group_by: &Spanned<OneOrMany>, check: &mut Checker<'_>) -> Vec<String> {
    for field in &group_by.value.0 {
        if !is_field_name(field) {
            check.at(
                group_by.referenced,
                format!("invalid field name `{field}` in `group_by`"),
            );
        }
    }
    if group_by.value.0.is_empty() {
        check.at(
            group_by.referenced,
            "`group_by` is an empty list; remove it for a single series or name a field",
        );
    }
    group_by.value.0.clone()
}

fn is_field_name(field: &str) -> bool {
    !field.is_empty() && !field.contains(char::is_whitespace) && !field.contains(['(', ')', ','])
}

fn checked_metric(metric: &Spanned<MetricSpec>, check: &mut Checker<'_>) -> Option<Metric> {
    match &metric.value {
        MetricSpec::Ratio(ratio) => {
            let Some(numerator) = &ratio.of else {
                check.at_with_hint(
                    metric.referenced,
                    "a ratio metric needs `of:`, the filter that selects the numerator",
                    "e.g. `ratio: { of: { range: { http.response.status_code: { gte: 500 } } } }`; `over:` (the denominator) defaults to every document the rule matches",
                );
                return None;
            };
            let numerator_ok = check_filter_clause(numerator, "ratio `of` filter", check);
            let denominator_ok = ratio
                .over
                .as_ref()
                .is_none_or(|over| check_filter_clause(over, "ratio `over` filter", check));
            (numerator_ok && denominator_ok).then(|| Metric::Ratio {
                numerator: numerator.value.clone(),
                denominator: ratio.over.as_ref().map(|over| over.value.clone()),
            })
        }
        MetricSpec::Expression(text) => match parse_metric_expression(text.trim()) {
            Ok(parsed) => Some(parsed),
            Err((message, hint)) => {
                check.report(
                    metric.referenced.line(),
                    metric.referenced.column(),
                    message,
                    hint,
                );
                None
            }
        },
    }
}

/// `count`, `avg(field)`, `min/max/sum/distinct(field)`, `p95(field)`, `p99.9(field)`.
fn parse_metric_expression(text: &str) -> Result<Metric, (String, Option<String>)> {
    const FORMS: &str = "`count`, `avg(field)`, `min(field)`, `max(field)`, `sum(field)`, `distinct(field)`, `p95(field)` or `ratio: { of: <filter> }`";
    if text == "count" {
        return Ok(Metric::Count);
    }
    let invalid = |message: String| (message, Some(format!("a metric is one of {FORMS}")));
    let Some((function, rest)) = text.split_once('(') else {
        return Err(invalid(format!("invalid metric `{text}`")));
    };
    let Some(field) = rest.strip_suffix(')').map(str::trim) else {
        return Err(invalid(format!("invalid metric `{text}`: missing `)`")));
    };
    if !is_field_name(field) {
        return Err(invalid(format!(
            "invalid metric `{text}`: `{field}` is not a field name"
        )));
    }
    let field = field.to_string();
    if let Some(percent) = function
        .strip_prefix('p')
        .and_then(|p| p.parse::<f64>().ok())
    {
        if !(percent > 0.0 && percent < 100.0) {
            return Err(invalid(format!(
                "invalid percentile `{function}`: expected between p0 and p100 (exclusive), e.g. `p95`"
            )));
        }
        return Ok(Metric::Percentile { field, percent });
    }
    if let Some((_, aggregation)) = FieldAggregation::ALL
        .iter()
        .find(|(name, _)| *name == function)
    {
        return Ok(Metric::Field {
            aggregation: *aggregation,
            field,
        });
    }
    let synonyms = [
        ("mean", "avg"),
        ("average", "avg"),
        ("cardinality", "distinct"),
        ("total", "sum"),
    ];
    let near = synonyms
        .iter()
        .find(|(synonym, _)| *synonym == function)
        .map(|(_, ours)| *ours)
        .or_else(|| {
            suggest::closest(
                function,
                FieldAggregation::ALL.iter().map(|(name, _)| *name),
            )
        });
    let hint = match near {
        Some(ours) => format!("did you mean `{ours}({field})`?"),
        None => format!("a metric is one of {FORMS}"),
    };
    Err((
        format!("unknown metric function `{function}` in `{text}`"),
        Some(hint),
    ))
}

/// `window`/`lookback`: defaults, at least one bucket, a whole number of buckets.
fn checked_span(
    value: Option<&Spanned<Duration>>,
    key: &str,
    default: Duration,
    bucket: Duration,
    check: &mut Checker<'_>,
) -> Duration {
    let Some(spanned) = value else {
        return default;
    };
    let span = spanned.value;
    if span < bucket {
        check.at(spanned.referenced, format!("`{key}: {span}` is shorter than `bucket: {bucket}`; it must cover at least one bucket"));
    } else if !span.is_multiple_of(bucket) {
        check.at_with_hint(
            spanned.referenced,
            format!("`{key}: {span}` is not a whole number of `{bucket}` buckets"),
            "make it a multiple of the bucket so every bucket is complete",
        );
    }
    span
}

fn checked_lookback(
    document: &RuleDocument,
    condition: Option<&Condition>,
    window: Duration,
    check: &mut Checker<'_>,
) -> Duration {
    let bucket = document.bucket.value;
    let needs_lookback = matches!(condition, Some(Condition::Trend(_) | Condition::Absent));
    if document.lookback.is_none() && needs_lookback {
        let kind = condition.map_or("", Condition::kind);
        let purpose = if kind == "trend" {
            "the span the slope is fitted over"
        } else {
            "how far back a group must have reported to be expected now"
        };
        let article = if kind == "absent" { "an" } else { "a" };
        check.at_rule(
            format!("{article} {kind} condition needs `lookback`: {purpose}"),
            Some("e.g. `lookback: 3d`".to_string()),
        );
    }
    let lookback = checked_span(
        document.lookback.as_ref(),
        "lookback",
        window,
        bucket,
        check,
    );
    if let Some(spanned) = &document.lookback {
        if lookback < window {
            check.at(
                spanned.referenced,
                format!("`lookback: {lookback}` is shorter than `window: {window}`"),
            );
        }
        let points = lookback.as_millis() / bucket.as_millis().max(1);
        if matches!(condition, Some(Condition::Trend(_))) && points < MIN_TREND_POINTS {
            check.at_with_hint(
                spanned.referenced,
                format!("`lookback: {lookback}` holds {points} buckets of {bucket}; a trend needs at least {MIN_TREND_POINTS}"),
                "lengthen the lookback or shorten the bucket",
            );
        }
        if let Some(Condition::Trend(Trend {
            season: Some(season),
            ..
        })) = condition
        {
            checked_season(*season, lookback, bucket, spanned.referenced, check);
        }
        if matches!(condition, Some(Condition::Absent)) && lookback <= window {
            check.at(spanned.referenced, format!("`lookback: {lookback}` must be longer than `window: {window}` for an absent condition"));
        }
    }
    lookback
}

/// A seasonal trend pairs buckets a whole season apart: the season must be whole buckets,
/// and the lookback must hold at least two seasons for any pair to exist.
fn checked_season(
    season: Duration,
    lookback: Duration,
    bucket: Duration,
    location: Location,
    check: &mut Checker<'_>,
) {
    if !season.is_multiple_of(bucket) {
        check.at(
            location,
            format!("`season: {season}` is not a whole number of `bucket: {bucket}`"),
        );
    } else if lookback.as_millis() < 2 * season.as_millis() {
        check.at_with_hint(
            location,
            format!("`lookback: {lookback}` is shorter than two seasons of {season}: no bucket has a partner a season earlier"),
            format!("a seasonal trend needs `lookback` of at least {} (three seasons or more are better)", Duration::from_millis(2 * season.as_millis())),
        );
    }
}

fn checked_schedule(
    document: &RuleDocument,
    bucket: Duration,
    check: &mut Checker<'_>,
) -> Option<Schedule> {
    match (&document.every, &document.cron) {
        (Some(_), Some(cron)) => {
            check.at(
                cron.referenced,
                "`every` and `cron` are both set; a rule has one schedule",
            );
            None
        }
        (Some(every), None) => {
            if let Some(timezone) = &document.timezone {
                check.at(
                    timezone.referenced,
                    "`timezone` only applies to `cron` schedules",
                );
            }
            if every.value.as_millis() < 1_000 {
                check.at(
                    every.referenced,
                    format!(
                        "`every: {}` is too frequent; the minimum is 1s",
                        every.value
                    ),
                );
                return None;
            }
            Some(Schedule::Every(every.value))
        }
        (None, Some(cron)) => checked_cron(cron, document.timezone.as_ref(), check),
        (None, None) => Some(Schedule::Every(bucket)),
    }
}

fn checked_cron(
    cron: &Spanned<String>,
    timezone: Option<&Spanned<String>>,
    check: &mut Checker<'_>,
) -> Option<Schedule> {
    let parsed = match cron.value.parse::<croner::Cron>() {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            check.at_with_hint(
                cron.referenced,
                format!("invalid cron expression `{}`: {error}", cron.value),
                "five fields (minute hour day-of-month month day-of-week) or six with seconds first, e.g. `*/10 * * * *`",
            );
            None
        }
    };
    let timezone = match timezone {
        None => Some(chrono_tz::Tz::UTC),
        Some(spanned) => match spanned.value.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                let near = suggest::closest(
                    &spanned.value,
                    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()),
                );
                let hint = near.map_or_else(
                    || "use an IANA time zone name such as `Europe/Berlin` or `UTC`".to_string(),
                    |near| format!("did you mean `{near}`?"),
                );
                check.at_with_hint(
                    spanned.referenced,
                    format!("unknown time zone `{}`", spanned.value),
                    hint,
                );
                None
            }
        },
    };
    Some(Schedule::Cron {
        expression: cron.value.clone(),
        cron: Box::new(parsed?),
        timezone: timezone?,
    })
}

fn checked_condition(
    condition: &Spanned<ConditionSpec>,
    check: &mut Checker<'_>,
) -> Option<Condition> {
    let location = condition.referenced;
    match &condition.value {
        ConditionSpec::Absent => Some(Condition::Absent),
        ConditionSpec::Threshold(spec) => {
            let (side, bound) = match (spec.above, spec.below) {
                (Some(bound), None) => (Side::Above, bound),
                (None, Some(bound)) => (Side::Below, bound),
                (Some(_), Some(_)) => {
                    check.at_with_hint(
                        location,
                        "a threshold has one bound, found both `above` and `below`",
                        "to alert outside a band, write two rules",
                    );
                    return None;
                }
                (None, None) => {
                    check.at_with_hint(
                        location,
                        "a threshold needs `above` or `below`",
                        "e.g. `threshold: { below: 100MB }`",
                    );
                    return None;
                }
            };
            Some(Condition::Threshold(Threshold {
                side,
                bound,
                of: spec.of,
            }))
        }
        ConditionSpec::Trend(spec) => checked_trend(spec, location, check).map(Condition::Trend),
        ConditionSpec::Change(spec) => {
            let baselines = match &spec.compare_to {
                None => vec![Baseline::Previous],
                Some(compare_to) => compare_to
                    .value
                    .0
                    .iter()
                    .filter_map(|text| parse_baseline(text, compare_to.referenced, check))
                    .collect(),
            };
            let (direction, amount_text) = match (&spec.increase, &spec.decrease) {
                (Some(amount), None) => (ChangeDirection::Increase, amount),
                (None, Some(amount)) => (ChangeDirection::Decrease, amount),
                (Some(_), Some(_)) => {
                    check.at(location, "a change condition has one direction, found both `increase` and `decrease`");
                    return None;
                }
                (None, None) => {
                    check.at_with_hint(
                        location,
                        "a change condition needs `increase` or `decrease`",
                        "e.g. `increase: 3x`, `increase: 50%` or `decrease: 200`",
                    );
                    return None;
                }
            };
            let amount = parse_change_amount(&amount_text.value.0);
            let amount = match amount {
                Ok(amount) => amount,
                Err(message) => {
                    check.at_with_hint(amount_text.referenced, message, "write a factor (`3x`), a relative change (`50%`) or an absolute difference (`200`)");
                    return None;
                }
            };
            if baselines.is_empty() {
                return None;
            }
            Some(Condition::Change(Change {
                baselines,
                direction,
                amount,
                min_count: spec.min_count,
            }))
        }
    }
}

fn checked_trend(spec: &TrendSpec, location: Location, check: &mut Checker<'_>) -> Option<Trend> {
    let significance = match &spec.significance {
        None => 0.05,
        Some(level) if level.value > 0.0 && level.value < 0.5 => level.value,
        Some(level) => {
            check.at_with_hint(
                level.referenced,
                format!("`significance: {}` is out of range; expected a level between 0 and 0.5", level.value),
                "0.05 (the default) fires when a trend this strong would arise by chance less than 5 % of the time",
            );
            return None;
        }
    };
    if let Some(rate) = &spec.min_rate
        && rate.amount.value <= 0.0
    {
        check.at(
            location,
            format!("`min_rate: {rate}` must be positive; the direction is set by `direction`"),
        );
        return None;
    }
    let forecast = spec.forecast.as_ref().map(|forecast| Forecast {
        reaches: forecast.reaches,
        within: forecast.within,
    });
    if let Some(forecast) = &forecast
        && forecast.within.is_zero()
    {
        check.at(location, "`forecast.within` must be longer than 0s");
        return None;
    }
    Some(Trend {
        direction: spec.direction,
        min_rate: spec.min_rate,
        forecast,
        significance,
        season: spec.season.as_ref().map(|season| season.value),
    })
}

fn parse_baseline(text: &str, location: Location, check: &mut Checker<'_>) -> Option<Baseline> {
    const HINT: &str =
        "use `previous`, how long ago (`1d`, `7d`) or a seasonal median such as `median of 7 x 1d`";
    if text == "previous" {
        return Some(Baseline::Previous);
    }
    if let Some(spec) = text.strip_prefix("median of ") {
        let parsed = spec.split_once(" x ").and_then(|(count, every)| {
            Some((
                count.trim().parse::<u32>().ok()?,
                every.trim().parse::<Duration>().ok()?,
            ))
        });
        return match parsed {
            Some((count, every)) if count >= 2 && !every.is_zero() => {
                Some(Baseline::MedianOf { count, every })
            }
            Some(_) => {
                check.at_with_hint(
                    location,
                    format!("`{text}` needs at least 2 windows at a non-zero spacing"),
                    HINT,
                );
                None
            }
            None => {
                check.at_with_hint(location, format!("invalid `compare_to` entry `{text}`: expected `median of <count> x <duration>`"), HINT);
                None
            }
        };
    }
    match text.parse::<Duration>() {
        Ok(offset) if !offset.is_zero() => Some(Baseline::Ago(offset)),
        Ok(_) => {
            check.at(location, "`compare_to: 0s` compares the window with itself");
            None
        }
        Err(error) => {
            check.at_with_hint(
                location,
                format!("invalid `compare_to` entry: {error}"),
                HINT,
            );
            None
        }
    }
}

fn parse_change_amount(text: &str) -> Result<ChangeAmount, String> {
    let text = text.trim();
    if let Some(factor) = text.strip_suffix('x') {
        let factor: f64 = factor
            .trim()
            .parse()
            .map_err(|_| format!("invalid factor `{text}`"))?;
        if !factor.is_finite() || factor <= 1.0 {
            return Err(format!(
                "factor `{text}` must be greater than 1 (a decrease by `2x` means halving)"
            ));
        }
        return Ok(ChangeAmount::Factor(factor));
    }
    let quantity: Quantity = text
        .parse()
        .map_err(|error: super::units::QuantityError| error.to_string())?;
    if quantity.value <= 0.0 {
        return Err(format!(
            "change amount `{text}` must be positive; the direction is set by `increase`/`decrease`"
        ));
    }
    Ok(match quantity.unit {
        Unit::Ratio => ChangeAmount::Relative(quantity.value),
        Unit::Number | Unit::Bytes => ChangeAmount::Absolute(quantity.value),
    })
}

fn checked_annotations(
    annotations: &BTreeMap<String, Spanned<String>>,
    check: &mut Checker<'_>,
) -> BTreeMap<String, String> {
    let environment = minijinja::Environment::new();
    for (key, text) in annotations {
        if let Err(error) = environment.template_from_str(&text.value) {
            check.at(
                text.referenced,
                format!(
                    "annotation `{key}` is not a valid template: {}",
                    error.detail().unwrap_or("syntax error")
                ),
            );
        }
    }
    annotations
        .iter()
        .map(|(key, text)| (key.clone(), text.value.clone()))
        .collect()
}

fn checked_notify(
    notify: Option<&Spanned<Vec<Spanned<String>>>>,
    context: &ValidationContext,
    check: &mut Checker<'_>,
) -> Vec<String> {
    let Some(notify) = notify else {
        check.at_rule(
            "missing required field `notify`",
            Some(
                "name at least one notifier from the engine config, e.g. `notify: [oncall-email]`"
                    .to_string(),
            ),
        );
        return Vec::new();
    };
    if notify.value.is_empty() {
        check.at(
            notify.referenced,
            "`notify` is empty; name at least one notifier from the engine config",
        );
    }
    if let Some(known) = &context.notifiers {
        for name in &notify.value {
            if known.contains(&name.value) {
                continue;
            }
            let hint = match suggest::closest(&name.value, known.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None if known.is_empty() => "the config defines no notifiers".to_string(),
                None => format!(
                    "defined notifiers: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            check.at_with_hint(
                name.referenced,
                format!("notifier `{}` is not defined in the config", name.value),
                hint,
            );
        }
    }
    notify.value.iter().map(|name| name.value.clone()).collect()
}
