//! Message templates (minijinja, Jinja syntax). Templates see the alert's labels and the
//! verdict's numbers; filters format them: `bytes`, `percent`, `duration`, `number`.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::humanize;

/// What a template can refer to. Rates are per second/hour/day in the metric's unit;
/// `forecast` is seconds until the bound, `forecast_earliest`/`forecast_latest` the range
/// the slope's confidence interval allows (`forecast_latest` is absent when it allows never).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateContext {
    pub rule: String,
    pub severity: String,
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub value: Option<f64>,
    pub baseline: Option<f64>,
    pub change: Option<f64>,
    pub slope_per_second: Option<f64>,
    pub slope_per_hour: Option<f64>,
    pub slope_per_day: Option<f64>,
    pub p_value: Option<f64>,
    pub forecast: Option<f64>,
    pub forecast_earliest: Option<f64>,
    pub forecast_latest: Option<f64>,
    /// The verdict in plain words.
    pub explanation: String,
}

/// A template that failed to render; names the annotation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("annotation `{annotation}` of rule `{rule}` could not be rendered: {reason}")]
pub struct RenderError {
    pub rule: String,
    pub annotation: String,
    pub reason: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("bytes", |v: Option<f64>| {
        v.map_or_else(|| "n/a".to_string(), humanize::bytes)
    });
    env.add_filter("percent", |v: Option<f64>| {
        v.map_or_else(|| "n/a".to_string(), humanize::percent)
    });
    env.add_filter("duration", |v: Option<f64>| {
        v.map_or_else(|| "n/a".to_string(), humanize::duration_secs)
    });
    env.add_filter("number", |v: Option<f64>| {
        v.map_or_else(|| "n/a".to_string(), humanize::number)
    });
    env
}

/// Renders every annotation; a rule without `summary` gets the verdict's explanation.
pub fn render_annotations(
    annotations: &BTreeMap<String, String>,
    context: &TemplateContext,
) -> Result<BTreeMap<String, String>, RenderError> {
    let env = environment();
    let values = Value::from(minijinja::value::Serde(context));
    let mut rendered = BTreeMap::new();
    for (name, text) in annotations {
        let fail = |reason: String| RenderError {
            rule: context.rule.clone(),
            annotation: name.clone(),
            reason,
        };
        let template = env
            .template_from_str(text)
            .map_err(|error| fail(error.to_string()))?;
        let output = template
            .render(&values)
            .map_err(|error| fail(error.to_string()))?;
        rendered.insert(
            name.clone(),
            output.split_whitespace().collect::<Vec<_>>().join(" "),
        );
    }
    // A page must say something: a summary that is missing, or rendered to nothing (an
    // empty template, a label the group lacks), is the verdict's own words.
    let summary = rendered.entry("summary".to_string()).or_default();
    if summary.is_empty() {
        *summary = format!("{}: {}", context.rule, context.explanation);
    }
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> TemplateContext {
        TemplateContext {
            rule: "api-memory-low".to_string(),
            labels: BTreeMap::from([("host.name".to_string(), "api-3".to_string())]),
            value: Some(87_500_000.0),
            forecast: Some(31.0 * 3_600.0),
            explanation: "87.5 MB is below 100 MB".to_string(),
            ..TemplateContext::default()
        }
    }

    #[test]
    fn filters_format_the_verdicts_numbers() {
        let annotations = BTreeMap::from([(
            "summary".to_string(),
            "{{ labels['host.name'] }} has {{ value | bytes }}, full in ~{{ forecast | duration }}"
                .to_string(),
        )]);
        let rendered = render_annotations(&annotations, &context()).unwrap();
        assert_eq!(rendered["summary"], "api-3 has 87.5 MB, full in ~31 h");
    }

    #[test]
    fn a_missing_or_blank_summary_falls_back_to_the_explanation() {
        let fallback = "api-memory-low: 87.5 MB is below 100 MB";
        let rendered = render_annotations(&BTreeMap::new(), &context()).unwrap();
        assert_eq!(rendered["summary"], fallback);
        for blank in ["", "  \n ", "{% if value > 1e9 %}low{% endif %}"] {
            let annotations = BTreeMap::from([("summary".to_string(), blank.to_string())]);
            let rendered = render_annotations(&annotations, &context()).unwrap();
            assert_eq!(rendered["summary"], fallback, "{blank:?}");
        }
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_the_annotation() {
        let annotations = BTreeMap::from([("summary".to_string(), "{{ vlaue }}".to_string())]);
        let error = render_annotations(&annotations, &context()).unwrap_err();
        assert_eq!(
            (error.rule.as_str(), error.annotation.as_str()),
            ("api-memory-low", "summary")
        );
    }
}
