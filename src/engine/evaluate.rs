//! One evaluation of one rule: plan the search, run it on the source, read the series,
//! judge every group. Pure apart from the one search.

use chrono::{DateTime, Utc};

use super::judge::judge;
use crate::analysis::Verdict;
use crate::query::{ResponseError, SearchPlan, Series, plan_search, series_from_response};
use crate::rules::Rule;
use crate::source::{Source, SourceError};

/// One group's series and what the condition says about it.
#[derive(Debug, Clone)]
pub struct GroupVerdict {
    pub series: Series,
    pub verdict: Verdict,
}

/// The result of evaluating a rule at one instant.
#[derive(Debug, Clone)]
pub struct RuleEvaluation {
    pub plan: SearchPlan,
    pub groups: Vec<GroupVerdict>,
}

/// Why a rule could not be evaluated; always names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("rule `{rule}`: {source}")]
    Source { rule: String, source: SourceError },
    #[error("rule `{rule}`: {source}")]
    Response { rule: String, source: ResponseError },
}

/// Evaluates `rule` as of `now` with one search on `source`.
pub async fn evaluate_rule<S: Source>(
    rule: &Rule,
    source: &S,
    now: DateTime<Utc>,
) -> Result<RuleEvaluation, EvaluationError> {
    let plan = plan_search(rule, now);
    let response = source
        .search(&plan.index, &plan.body)
        .await
        .map_err(|source| EvaluationError::Source {
            rule: rule.name.clone(),
            source,
        })?;
    let series = series_from_response(&response, &rule.metric, &rule.group_by, plan.grid).map_err(
        |source| EvaluationError::Response {
            rule: rule.name.clone(),
            source,
        },
    )?;
    let groups = series
        .into_iter()
        .map(|series| {
            let verdict = judge(rule, &series);
            GroupVerdict { series, verdict }
        })
        .collect();
    Ok(RuleEvaluation { plan, groups })
}
