//! Engine: one evaluation end to end (plan → source → series → verdicts) and the cycle
//! around it (alert lifecycle → notifications), and the backtest that replays a rule over
//! history.

pub mod backtest;
mod cycle;
mod evaluate;
mod judge;
mod series_cache;

pub use cycle::{AlertActivity, DeliveryOutcome, Engine, RuleRun, notification_for};
pub use evaluate::{
    EvaluationError, GroupVerdict, RuleEvaluation, evaluate_rule, evaluate_rules,
    evaluate_rules_cached,
};
pub use judge::{format_value, judge, value_unit};
pub use series_cache::{
    COUNT_CHECK_MS, FULL_REFRESH_MS, Fetch, REFETCH_BUCKETS, SeriesCache, count_check_due,
    next_count_check_ms,
};
