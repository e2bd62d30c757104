//! The engine: runs a rule at an instant, steps each group's alert through its lifecycle,
//! renders and delivers the notifications that asks for, and reports everything that
//! happened — including every failed delivery, so nothing is lost silently.

use chrono::{DateTime, SecondsFormat, Utc};

use super::evaluate::{EvaluationError, RuleEvaluation, evaluate_rules_cached};
use super::series_cache::SeriesCache;
use crate::alerts::{AlertBook, AlertKey, Event, LifecycleSettings, step};
use crate::analysis::Verdict;
use crate::notify::template::{TemplateContext, render_annotations};
use crate::notify::{DeliveryError, Notification, NotificationStatus, NotifierRegistry};
use crate::rules::Rule;
use crate::source::Source;

/// What one notifier did with one notification.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub notifier: String,
    pub result: Result<(), DeliveryError>,
}

/// One alert's transition during a run.
#[derive(Debug, Clone)]
pub struct AlertActivity {
    pub key: AlertKey,
    pub event: Event,
    pub verdict: Verdict,
    pub notification: Option<Notification>,
    pub deliveries: Vec<DeliveryOutcome>,
}

/// Everything one run of one rule did.
#[derive(Debug)]
pub struct RuleRun {
    pub rule: String,
    pub at: DateTime<Utc>,
    pub evaluation: Result<RuleEvaluation, EvaluationError>,
    pub activity: Vec<AlertActivity>,
}

/// Holds the source, the notifiers, the state of every alert and the series already read
/// (so each run asks only for the newest buckets).
pub struct Engine<S> {
    source: S,
    notifiers: NotifierRegistry,
    alerts: AlertBook,
    series: SeriesCache,
}

impl<S: Source> Engine<S> {
    pub fn new(source: S, notifiers: NotifierRegistry) -> Self {
        Engine {
            source,
            notifiers,
            alerts: AlertBook::default(),
            series: SeriesCache::default(),
        }
    }

    pub fn alerts(&self) -> &AlertBook {
        &self.alerts
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// Evaluates `rule` at `now` and acts on the result. A failed evaluation changes no
    /// alert: it is reported, and the next run tries again.
    pub async fn run_rule(&mut self, rule: &Rule, now: DateTime<Utc>) -> RuleRun {
        let mut runs = self.run_rules(&[rule], now).await;
        match runs.pop() {
            Some(run) => run,
            None => RuleRun {
                rule: rule.name.clone(),
                at: now,
                evaluation: Err(EvaluationError::Source {
                    rule: rule.name.clone(),
                    source: crate::source::SourceError::Unavailable {
                        reason: "no answer for the rule's search".to_string(),
                    },
                }),
                activity: Vec::new(),
            },
        }
    }

    /// Evaluates rules due at the same instant together — their searches share round trips
    /// (`_msearch` on Elasticsearch) — then acts on each result in turn. One rule's failed
    /// search fails only that rule.
    pub async fn run_rules(&mut self, rules: &[&Rule], now: DateTime<Utc>) -> Vec<RuleRun> {
        let evaluations = evaluate_rules_cached(rules, &self.source, now, &mut self.series).await;
        let mut runs = Vec::with_capacity(rules.len());
        for (rule, evaluation) in rules.iter().zip(evaluations) {
            let activity = match &evaluation {
                Ok(evaluation) => self.step_alerts(rule, evaluation, now).await,
                Err(_) => Vec::new(),
            };
            runs.push(RuleRun {
                rule: rule.name.clone(),
                at: now,
                evaluation,
                activity,
            });
        }
        runs
    }

    /// Steps every group's alert through its lifecycle and acts on what that asks for.
    async fn step_alerts(
        &mut self,
        rule: &Rule,
        evaluation: &RuleEvaluation,
        now: DateTime<Utc>,
    ) -> Vec<AlertActivity> {
        let settings = LifecycleSettings::of(rule);
        let mut activity = Vec::new();
        for group in &evaluation.groups {
            let key = AlertKey {
                rule: rule.name.clone(),
                group: group.series.group.0.clone(),
            };
            let (state, event) = step(
                self.alerts.state(&key),
                group.verdict.status,
                now.timestamp_millis(),
                settings,
            );
            self.alerts.set(key.clone(), state);
            if let Some(event) = event {
                activity.push(self.act(rule, key, event, &group.verdict, now).await);
            }
        }
        activity
    }

    async fn act(
        &self,
        rule: &Rule,
        key: AlertKey,
        event: Event,
        verdict: &Verdict,
        now: DateTime<Utc>,
    ) -> AlertActivity {
        let mut notification = None;
        let mut deliveries = Vec::new();
        if event.notifies() {
            let status = if matches!(event, Event::Resolved { .. }) {
                NotificationStatus::Resolved
            } else {
                NotificationStatus::Firing
            };
            let message = notification_for(rule, &key, verdict, status, now);
            for name in &rule.notify {
                let result = match self.notifiers.get(name) {
                    Some(notifier) => notifier.deliver(&message).await,
                    None => Err(DeliveryError {
                        transient: false,
                        reason: format!("notifier `{name}` is not defined in the config"),
                    }),
                };
                deliveries.push(DeliveryOutcome {
                    notifier: name.clone(),
                    result,
                });
            }
            notification = Some(message);
        }
        AlertActivity {
            key,
            event,
            verdict: verdict.clone(),
            notification,
            deliveries,
        }
    }
}

/// Renders the notification for an alert. A template that fails to render does not lose
/// the notification: the verdict's own words are sent, with the template error.
pub fn notification_for(
    rule: &Rule,
    key: &AlertKey,
    verdict: &Verdict,
    status: NotificationStatus,
    now: DateTime<Utc>,
) -> Notification {
    let mut labels = rule.labels.clone();
    labels.extend(key.group.iter().cloned());
    let status_word = match status {
        NotificationStatus::Firing => "firing",
        NotificationStatus::Resolved => "resolved",
    };
    let context = TemplateContext {
        rule: rule.name.clone(),
        severity: rule.severity.to_string(),
        status: status_word.to_string(),
        labels: labels.clone(),
        value: verdict.value,
        baseline: verdict.baseline,
        change: verdict.change,
        slope_per_second: verdict.slope_per_second,
        slope_per_hour: verdict.slope_per_second.map(|s| s * 3_600.0),
        slope_per_day: verdict.slope_per_second.map(|s| s * 86_400.0),
        p_value: verdict.p_value,
        forecast: verdict.time_to_bound,
        forecast_earliest: verdict.time_to_bound_range.map(|(earliest, _)| earliest),
        forecast_latest: verdict.time_to_bound_range.and_then(|(_, latest)| latest),
        explanation: verdict.explanation.clone(),
    };
    let annotations = render_annotations(&rule.annotations, &context).unwrap_or_else(|error| {
        [(
            "summary".to_string(),
            format!("{}: {} ({error})", rule.name, verdict.explanation),
        )]
        .into_iter()
        .collect()
    });
    Notification {
        rule: rule.name.clone(),
        status,
        severity: rule.severity.to_string(),
        labels,
        annotations,
        at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}
