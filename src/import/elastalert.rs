//! ElastAlert 2 rules → trendwatch rules, for the types that map onto an aggregated series:
//!
//! | ElastAlert 2          | trendwatch                                                     |
//! |-----------------------|----------------------------------------------------------------|
//! | `frequency`           | `count`, threshold `above: num_events − 1` (`of: sum` over `timeframe`) |
//! | `flatline`            | `count`, threshold `below: threshold` (`of: sum` over `timeframe`) |
//! | `spike`               | `count` (or `avg(field_value)`), change against the `previous` window |
//! | `metric_aggregation`  | the metric, threshold `above: max_threshold` / `below: min_threshold` |
//! | `percentage_match`    | `ratio: { of: match_bucket_filter }`, threshold in percent     |
//! | `cardinality`         | `distinct(cardinality_field)`, threshold                       |
//!
//! `query_key` becomes `group_by`, `timeframe`/`buffer_time` the window, `run_every`
//! `every`, `realert` `realert`, `alert` the notifier names. A rule with two bounds (a
//! metric with both thresholds, a spike in both directions) becomes two rules, since a
//! trendwatch condition has one side. Everything that cannot be carried over is said, per
//! rule, with the reason; `change` (a field's value differing from the previous document's)
//! and the per-document types (`any`, `blacklist`, `whitelist`, `new_term`) do not map.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::rules::{Duration, FILTER_CLAUSES};

/// One trendwatch rule made from an ElastAlert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub name: String,
    /// The rule as YAML, with the notes as comments at the top.
    pub yaml: String,
    /// What was approximated or left out, and why.
    pub notes: Vec<String>,
}

/// The outcome of converting one ElastAlert rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum Conversion {
    Converted(Vec<Converted>),
    /// The rule's type or options have no trendwatch equivalent.
    NotConvertible {
        name: String,
        reason: String,
    },
}

/// ElastAlert's default `buffer_time` (its global config's default).
const DEFAULT_BUFFER_TIME_SECS: u64 = 45 * 60;

/// Why the text is not YAML, without the lines around the error that the YAML error would
/// show: ElastAlert rules keep webhook URLs, tokens and keys inline.
fn not_yaml(error: serde_saphyr::Error) -> String {
    format!("not valid YAML: {}", error.without_snippet())
}

/// Converts one ElastAlert rule (the YAML text of one rule file). `Err` when the text is
/// not an ElastAlert rule at all (not YAML, no `type`, no `name`).
pub fn convert(text: &str) -> Result<Conversion, String> {
    let rule: Value = serde_saphyr::from_str(text).map_err(not_yaml)?;
    let Some(rule) = rule.as_object() else {
        return Err("expected a mapping of rule options".to_string());
    };
    let name = text_of(rule, "name").ok_or("the rule has no `name`")?;
    let kind = text_of(rule, "type").ok_or("the rule has no `type`")?;
    let not = |reason: String| {
        Ok(Conversion::NotConvertible {
            name: name.clone(),
            reason,
        })
    };
    let mut base = match Base::read(rule, &name) {
        Ok(base) => base,
        Err(reason) => return not(reason),
    };
    let result = match kind.as_str() {
        "frequency" => frequency(rule, &mut base),
        "flatline" => flatline(rule, &mut base),
        "spike" => spike(rule, &mut base),
        "metric_aggregation" => metric_aggregation(rule, &mut base),
        "percentage_match" => percentage_match(rule, &mut base),
        "cardinality" => cardinality(rule, &mut base),
        "change" => Err(
            "`change` matches when a field's value differs from the previous \
             document's; trendwatch judges numbers aggregated over time windows and does not \
             follow individual documents' values"
                .to_string(),
        ),
        "any" | "blacklist" | "whitelist" | "new_term" => Err(format!(
            "`{kind}` alerts on individual documents; trendwatch judges aggregated series \
             (a count of such documents can be watched with a `frequency`-style rule)"
        )),
        other => Err(format!(
            "type `{other}` is not one trendwatch can convert (frequency, flatline, spike, \
             metric_aggregation, percentage_match, cardinality)"
        )),
    };
    match result {
        Ok(rules) => Ok(Conversion::Converted(
            rules.into_iter().map(|rule| rule.render()).collect(),
        )),
        Err(reason) => not(reason),
    }
}

/// What every type shares: the search, the grouping, the schedule, the notifiers.
struct Base {
    name: String,
    description: Option<String>,
    index: String,
    timestamp_field: Option<String>,
    filter: Vec<Value>,
    group_by: Vec<String>,
    every: Option<Duration>,
    realert: Option<Duration>,
    notify: Vec<String>,
    notes: Vec<String>,
}

impl Base {
    fn read(rule: &Map<String, Value>, name: &str) -> Result<Base, String> {
        let index = text_of(rule, "index").ok_or("the rule has no `index`")?;
        let mut notes = Vec::new();
        let mut filter = Vec::new();
        match rule.get("filter") {
            None | Some(Value::Null) => {}
            Some(Value::Array(clauses)) => {
                for clause in clauses {
                    // Mapping types are gone since Elasticsearch 7: `type` matches nothing.
                    if clause.get("type").is_some() {
                        notes.push(format!(
                            "filter clause {} is left out: mapping types no longer exist in \
                             Elasticsearch 7 and later",
                            json_text(clause)
                        ));
                        continue;
                    }
                    filter.push(filter_clause(clause)?);
                }
            }
            Some(_) => return Err("`filter` must be a list of query clauses".to_string()),
        }
        let slug = slug(name);
        if slug != name {
            notes.push(format!(
                "named `{slug}` (ElastAlert's name was \"{name}\"): trendwatch names are used in file names and alert keys"
            ));
        }
        let group_by = match rule.get("query_key") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(key)) => vec![key.clone()],
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| {
                    k.as_str()
                        .map(str::to_string)
                        .ok_or("`query_key` must name fields")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("`query_key` must be a field or a list of fields".to_string()),
        };
        let notify = alerters(rule.get("alert"));
        if !notify.is_empty() {
            notes.push(format!(
                "notify: define notifiers named {} in trendwatch.yaml; ElastAlert's alerter \
                 settings are not converted",
                notify
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for key in ["alert_text", "alert_subject"] {
            if rule.contains_key(key) {
                notes.push(format!(
                    "`{key}` is not converted (Python formatting); write an `annotations.summary` template"
                ));
            }
        }
        for key in [
            "aggregation",
            "include",
            "top_count_keys",
            "silence",
            "exponential_realert",
            "doc_type",
        ] {
            if rule.contains_key(key) {
                notes.push(format!(
                    "`{key}` has no trendwatch equivalent and is left out"
                ));
            }
        }
        Ok(Base {
            name: slug,
            description: text_of(rule, "description").or_else(|| Some(name.to_string())),
            index,
            timestamp_field: text_of(rule, "timestamp_field").filter(|f| f != "@timestamp"),
            filter,
            group_by,
            every: duration_of(rule, "run_every")?,
            realert: duration_of(rule, "realert")?,
            notify,
            notes,
        })
    }
}

/// A trendwatch rule being built.
struct Draft {
    name: String,
    base_description: Option<String>,
    index: String,
    timestamp_field: Option<String>,
    filter: Vec<Value>,
    group_by: Vec<String>,
    metric: Value,
    bucket: Duration,
    window: Duration,
    lookback: Option<Duration>,
    every: Option<Duration>,
    condition: Value,
    realert: Option<Duration>,
    notify: Vec<String>,
    notes: Vec<String>,
}

impl Draft {
    fn new(base: &Base, metric: Value, window: Duration, condition: Value) -> Draft {
        Draft {
            name: base.name.clone(),
            base_description: base.description.clone(),
            index: base.index.clone(),
            timestamp_field: base.timestamp_field.clone(),
            filter: base.filter.clone(),
            group_by: base.group_by.clone(),
            metric,
            bucket: bucket_for(window),
            window,
            lookback: None,
            every: base.every,
            condition,
            realert: base.realert,
            notify: base.notify.clone(),
            notes: base.notes.clone(),
        }
    }

    /// The YAML: JSON values are written in flow style (JSON is YAML), so filters keep
    /// their exact structure.
    fn render(self) -> Converted {
        let mut out = String::new();
        out.push_str("# Converted from ElastAlert 2 by `trendwatch rules import-elastalert`.\n");
        for note in &self.notes {
            out.push_str(&format!("# NOTE: {note}\n"));
        }
        let line = |out: &mut String, key: &str, value: String| {
            out.push_str(&format!("{key}: {value}\n"));
        };
        line(&mut out, "name", json_text(&Value::from(self.name.clone())));
        if let Some(description) = &self.base_description {
            line(
                &mut out,
                "description",
                json_text(&Value::from(description.clone())),
            );
        }
        line(
            &mut out,
            "index",
            json_text(&Value::from(self.index.clone())),
        );
        if let Some(field) = &self.timestamp_field {
            line(
                &mut out,
                "timestamp_field",
                json_text(&Value::from(field.clone())),
            );
        }
        if !self.filter.is_empty() {
            out.push_str("filter:\n");
            for clause in &self.filter {
                out.push_str(&format!("  - {}\n", json_text(clause)));
            }
        }
        if !self.group_by.is_empty() {
            line(&mut out, "group_by", json_text(&json!(self.group_by)));
        }
        line(&mut out, "metric", json_text(&self.metric));
        line(&mut out, "bucket", self.bucket.to_string());
        line(&mut out, "window", self.window.to_string());
        if let Some(lookback) = self.lookback {
            line(&mut out, "lookback", lookback.to_string());
        }
        if let Some(every) = self.every {
            line(&mut out, "every", every.to_string());
        }
        line(&mut out, "condition", json_text(&self.condition));
        if let Some(realert) = self.realert {
            line(&mut out, "realert", realert.to_string());
        }
        if !self.notify.is_empty() {
            line(&mut out, "notify", json_text(&json!(self.notify)));
        }
        Converted {
            name: self.name,
            yaml: out,
            notes: self.notes,
        }
    }
}

fn frequency(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    let events = count_of(rule, "num_events")?.ok_or("`frequency` needs `num_events`")?;
    let window = duration_of(rule, "timeframe")?.ok_or("`frequency` needs `timeframe`")?;
    if events == 0 {
        return Err("`num_events: 0` would always match".to_string());
    }
    let mut draft = Draft::new(
        base,
        json!("count"),
        window,
        // num_events is inclusive: at least N documents is more than N − 1.
        json!({ "threshold": { "above": events - 1, "of": "sum" } }),
    );
    for key in [
        "use_count_query",
        "use_terms_query",
        "terms_size",
        "attach_related",
    ] {
        if rule.contains_key(key) {
            draft.notes.push(format!(
                "`{key}` is not needed: trendwatch always aggregates"
            ));
        }
    }
    Ok(vec![draft])
}

fn flatline(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    let threshold = count_of(rule, "threshold")?.ok_or("`flatline` needs `threshold`")?;
    let window = duration_of(rule, "timeframe")?.ok_or("`flatline` needs `timeframe`")?;
    let mut draft = Draft::new(
        base,
        json!("count"),
        window,
        json!({ "threshold": { "below": threshold, "of": "sum" } }),
    );
    if !draft.group_by.is_empty() {
        // A group silent for the whole window is still in the answer when the search
        // reaches further back, as ElastAlert remembers keys it has seen.
        draft.lookback = Some(Duration::from_millis(2 * window.as_millis()));
        draft.notes.push(
            "groups are remembered for twice the timeframe (`lookback`); a group silent longer \
             than that is no longer judged (an `absent` rule watches for that)"
                .to_string(),
        );
    }
    if rule.get("forget_keys").and_then(Value::as_bool) == Some(true) {
        draft
            .notes
            .push("`forget_keys` is left out: trendwatch alerts resolve by themselves".to_string());
    }
    Ok(vec![draft])
}

fn spike(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    let height = number_of(rule, "spike_height")?.ok_or("`spike` needs `spike_height`")?;
    let window = duration_of(rule, "timeframe")?.ok_or("`spike` needs `timeframe`")?;
    if height <= 1.0 {
        return Err(format!(
            "`spike_height: {height}` must be above 1 for a factor to be a change"
        ));
    }
    let directions: &[&str] = match text_of(rule, "spike_type").as_deref() {
        Some("up") => &["increase"],
        Some("down") => &["decrease"],
        Some("both") | None => &["increase", "decrease"],
        Some(other) => return Err(format!("`spike_type: {other}`: expected up, down or both")),
    };
    let metric = match text_of(rule, "field_value") {
        Some(field) => json!(format!("avg({field})")),
        None => json!("count"),
    };
    let floor = count_of(rule, "threshold_ref")?.unwrap_or(0);
    let mut drafts = Vec::new();
    for direction in directions {
        let condition = json!({ "change": {
            "compare_to": "previous",
            *direction: format!("{height}x"),
            "min_count": floor,
        } });
        let mut draft = Draft::new(base, metric.clone(), window, condition);
        if directions.len() > 1 {
            draft.name = format!(
                "{}-{}",
                base.name,
                if *direction == "increase" {
                    "up"
                } else {
                    "down"
                }
            );
            draft.notes.push(format!(
                "`spike_type: both` becomes two rules ({}-up, {}-down): a trendwatch change has one direction",
                base.name, base.name
            ));
        }
        if let Some(current) = count_of(rule, "threshold_cur")? {
            draft.notes.push(format!(
                "`threshold_cur: {current}` is not converted: trendwatch's `min_count` applies \
                 to both windows and is set from `threshold_ref` ({floor})"
            ));
        }
        if rule.contains_key("alert_on_new_data") {
            draft.notes.push(
                "`alert_on_new_data` is left out: a new group needs a previous window".to_string(),
            );
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

fn metric_aggregation(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    if rule.contains_key("metric_agg_script") {
        return Err("`metric_agg_script` (a Painless script) cannot be converted".to_string());
    }
    let field =
        text_of(rule, "metric_agg_key").ok_or("`metric_aggregation` needs `metric_agg_key`")?;
    let kind =
        text_of(rule, "metric_agg_type").ok_or("`metric_aggregation` needs `metric_agg_type`")?;
    let mut extra_filter = None;
    let metric = match kind.as_str() {
        "min" | "max" | "avg" | "sum" => format!("{kind}({field})"),
        "cardinality" => format!("distinct({field})"),
        // Documents that have the field: a count under an `exists` filter.
        "value_count" => {
            extra_filter = Some(json!({ "exists": { "field": field } }));
            "count".to_string()
        }
        "percentiles" => {
            let percent = number_of(rule, "percentile_range")?
                .ok_or("`metric_agg_type: percentiles` needs `percentile_range`")?;
            format!("p{percent}({field})")
        }
        other => {
            return Err(format!(
                "`metric_agg_type: {other}` is not one ElastAlert documents"
            ));
        }
    };
    let window = match duration_of(rule, "bucket_interval")? {
        Some(interval) => interval,
        None => duration_of(rule, "buffer_time")?
            .unwrap_or(Duration::from_secs(DEFAULT_BUFFER_TIME_SECS)),
    };
    let bounds = bounds(rule, "max_threshold", "min_threshold", None)?;
    let mut drafts = Vec::new();
    for (side, bound, suffix) in &bounds {
        let mut draft = Draft::new(
            base,
            json!(metric),
            window,
            json!({ "threshold": { *side: bound } }),
        );
        // ElastAlert judges the metric over the whole window: one bucket of that size.
        draft.bucket = window;
        draft.filter.extend(extra_filter.clone());
        rename_for_bounds(&mut draft, base, suffix, bounds.len());
        if !rule.contains_key("buffer_time") && !rule.contains_key("bucket_interval") {
            draft.notes.push(
                "window: ElastAlert's default `buffer_time` (45 minutes) is assumed".to_string(),
            );
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

fn percentage_match(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    let bucket_filter = match rule.get("match_bucket_filter") {
        Some(Value::Array(clauses)) if clauses.len() == 1 => filter_clause(&clauses[0])?,
        Some(Value::Array(clauses)) if !clauses.is_empty() => {
            let clauses = clauses
                .iter()
                .map(filter_clause)
                .collect::<Result<Vec<_>, _>>()?;
            json!({ "bool": { "filter": clauses } })
        }
        Some(Value::Object(_)) => filter_clause(&rule["match_bucket_filter"])?,
        _ => return Err("`percentage_match` needs `match_bucket_filter`".to_string()),
    };
    let window = match duration_of(rule, "bucket_interval")? {
        Some(interval) => interval,
        None => duration_of(rule, "buffer_time")?
            .unwrap_or(Duration::from_secs(DEFAULT_BUFFER_TIME_SECS)),
    };
    let bounds = bounds(rule, "max_percentage", "min_percentage", Some("%"))?;
    let mut drafts = Vec::new();
    for (side, bound, suffix) in &bounds {
        let mut draft = Draft::new(
            base,
            json!({ "ratio": { "of": bucket_filter } }),
            window,
            json!({ "threshold": { *side: bound } }),
        );
        draft.bucket = window;
        rename_for_bounds(&mut draft, base, suffix, bounds.len());
        if let Some(floor) = count_of(rule, "min_denominator")?.filter(|f| *f > 0) {
            draft.notes.push(format!(
                "`min_denominator: {floor}` is not converted: a threshold has no volume floor"
            ));
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

fn cardinality(rule: &Map<String, Value>, base: &mut Base) -> Result<Vec<Draft>, String> {
    let field =
        text_of(rule, "cardinality_field").ok_or("`cardinality` needs `cardinality_field`")?;
    let window = duration_of(rule, "timeframe")?.ok_or("`cardinality` needs `timeframe`")?;
    let bounds = bounds(rule, "max_cardinality", "min_cardinality", None)?;
    let mut drafts = Vec::new();
    for (side, bound, suffix) in &bounds {
        let mut draft = Draft::new(
            base,
            json!(format!("distinct({field})")),
            window,
            json!({ "threshold": { *side: bound } }),
        );
        draft.bucket = window;
        rename_for_bounds(&mut draft, base, suffix, bounds.len());
        drafts.push(draft);
    }
    Ok(drafts)
}

/// `(above|below, bound, name suffix)` for each threshold the rule sets.
fn bounds(
    rule: &Map<String, Value>,
    max_key: &str,
    min_key: &str,
    unit: Option<&str>,
) -> Result<Vec<(&'static str, Value, &'static str)>, String> {
    let written = |value: f64| match unit {
        Some(unit) => json!(format!("{value}{unit}")),
        None => json!(value),
    };
    let mut found = Vec::new();
    if let Some(max) = number_of(rule, max_key)? {
        found.push(("above", written(max), "high"));
    }
    if let Some(min) = number_of(rule, min_key)? {
        found.push(("below", written(min), "low"));
    }
    if found.is_empty() {
        return Err(format!("the rule needs `{max_key}` or `{min_key}`"));
    }
    Ok(found)
}

fn rename_for_bounds(draft: &mut Draft, base: &Base, suffix: &str, count: usize) {
    if count > 1 {
        draft.name = format!("{}-{suffix}", base.name);
        draft.notes.push(format!(
            "both thresholds become two rules ({0}-high, {0}-low): a trendwatch threshold has one side",
            base.name
        ));
    }
}

/// A bucket that divides `window` into a handful of points: the largest of a few usual
/// sizes that is at most a sixth of it and divides it, else the window itself.
fn bucket_for(window: Duration) -> Duration {
    const SIZES_SECS: [u64; 7] = [3_600, 1_800, 900, 600, 300, 120, 60];
    let window_ms = window.as_millis();
    SIZES_SECS
        .iter()
        .map(|secs| secs * 1_000)
        .find(|size| *size * 6 <= window_ms && window_ms.is_multiple_of(*size))
        .map_or(window, Duration::from_millis)
}

/// ElastAlert's filter clauses are Elasticsearch query clauses; an old-style
/// `query: { query_string: … }` wrapper is unwrapped. Clauses trendwatch does not evaluate
/// make the rule not convertible.
fn filter_clause(clause: &Value) -> Result<Value, String> {
    let Some(object) = clause.as_object().filter(|o| o.len() == 1) else {
        return Err(format!(
            "filter clause {} is not a single query clause",
            json_text(clause)
        ));
    };
    let (kind, body) = object.iter().next().ok_or("empty filter clause")?;
    if kind == "query" {
        return filter_clause(body);
    }
    if !FILTER_CLAUSES.contains(&kind.as_str()) {
        return Err(format!(
            "filter clause `{kind}` is not one trendwatch supports ({})",
            FILTER_CLAUSES.join(", ")
        ));
    }
    Ok(clause.clone())
}

/// The alerter names of `alert:` (a name, a list of names, or a list of `{name: {…}}`).
fn alerters(alert: Option<&Value>) -> Vec<String> {
    let named = |value: &Value| match value {
        Value::String(name) => Some(name.clone()),
        Value::Object(map) => map.keys().next().cloned(),
        _ => None,
    };
    let mut names: Vec<String> = match alert {
        Some(Value::Array(items)) => items.iter().filter_map(named).collect(),
        Some(other) => named(other).into_iter().collect(),
        None => Vec::new(),
    };
    // Class paths (`elastalert.alerts.EmailAlerter`) keep their last part.
    for name in &mut names {
        if let Some(last) = name.rsplit('.').next() {
            *name = last.to_lowercase();
        }
    }
    names.dedup();
    names
}

fn text_of(rule: &Map<String, Value>, key: &str) -> Option<String> {
    match rule.get(key)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn number_of(rule: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match rule.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be a number")),
    }
}

fn count_of(rule: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match rule.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be a whole number")),
    }
}

/// ElastAlert durations: `{minutes: 5}`, `{hours: 1, minutes: 30}`, weeks to seconds.
fn duration_of(rule: &Map<String, Value>, key: &str) -> Result<Option<Duration>, String> {
    let Some(value) = rule.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let units: BTreeMap<&str, f64> = [
        ("weeks", 604_800.0),
        ("days", 86_400.0),
        ("hours", 3_600.0),
        ("minutes", 60.0),
        ("seconds", 1.0),
        ("milliseconds", 0.001),
    ]
    .into_iter()
    .collect();
    let Some(parts) = value.as_object() else {
        return Err(format!("`{key}` must be a mapping like `{{minutes: 5}}`"));
    };
    let mut seconds = 0.0;
    for (unit, amount) in parts {
        let size = units
            .get(unit.as_str())
            .ok_or_else(|| format!("`{key}`: unknown unit `{unit}`"))?;
        let amount = amount
            .as_f64()
            .ok_or_else(|| format!("`{key}.{unit}` must be a number"))?;
        seconds += amount * size;
    }
    if seconds <= 0.0 {
        return Err(format!("`{key}` must be positive"));
    }
    Ok(Some(Duration::from_millis(
        (seconds * 1000.0).round() as u64
    )))
}

/// `Metricbeat CPU Spike Rule` → `metricbeat-cpu-spike-rule`.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
