//! Engine: one evaluation end to end (plan → source → series → verdicts) and the cycle
//! around it (alert lifecycle → notifications). Backtesting arrives with its issue.

mod cycle;
mod evaluate;
mod judge;

pub use cycle::{AlertActivity, DeliveryOutcome, Engine, RuleRun, notification_for};
pub use evaluate::{EvaluationError, GroupVerdict, RuleEvaluation, evaluate_rule, evaluate_rules};
pub use judge::{format_value, judge, value_unit};
