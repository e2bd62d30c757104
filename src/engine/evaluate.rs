//! One evaluation of rules at one instant: plan each rule's search, run the first pages of
//! all of them in one batch (one `_msearch` round trip on Elasticsearch), follow any further
//! composite pages rule by rule, read the series, judge every group. Pure apart from the
//! searches.

use chrono::{DateTime, Utc};

use super::judge::judge;
use crate::analysis::Verdict;
use crate::query::{
    Answer, Page, PlanLimits, ResponseError, SearchPlan, Series, page_from_response, plan_page,
};
use crate::rules::Rule;
use crate::source::{SearchRequest, Source, SourceError};

/// One group's series and what the condition says about it.
#[derive(Debug, Clone)]
pub struct GroupVerdict {
    pub series: Series,
    pub verdict: Verdict,
}

/// The result of evaluating a rule at one instant.
#[derive(Debug, Clone)]
pub struct RuleEvaluation {
    /// The first page's search (the only one unless the groups overflow a page).
    pub plan: SearchPlan,
    /// Searches it took: 1, or one per page of groups.
    pub searches: usize,
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

/// Evaluates `rule` as of `now` on `source`: one search, more only for pages of groups.
pub async fn evaluate_rule<S: Source>(
    rule: &Rule,
    source: &S,
    now: DateTime<Utc>,
) -> Result<RuleEvaluation, EvaluationError> {
    let mut results = evaluate_rules(&[rule], source, now).await;
    results.pop().unwrap_or_else(|| {
        Err(EvaluationError::Source {
            rule: rule.name.clone(),
            source: SourceError::Unavailable {
                reason: "no answer for the rule's search".to_string(),
            },
        })
    })
}

/// Evaluates rules due at the same instant, answering each on its own: one rule's failed
/// search fails only that rule.
pub async fn evaluate_rules<S: Source>(
    rules: &[&Rule],
    source: &S,
    now: DateTime<Utc>,
) -> Vec<Result<RuleEvaluation, EvaluationError>> {
    let limits = match source.limits().await {
        Ok(limits) => limits,
        Err(error) => {
            return rules
                .iter()
                .map(|rule| Err(source_error(rule, error.clone())))
                .collect();
        }
    };
    let plans: Vec<SearchPlan> = rules
        .iter()
        .map(|rule| plan_page(rule, now, limits, None))
        .collect();
    let requests: Vec<SearchRequest> = plans
        .iter()
        .map(|plan| SearchRequest {
            index: plan.index.clone(),
            body: plan.body.clone(),
        })
        .collect();
    let answers = source.search_batch(&requests).await;
    let mut results = Vec::with_capacity(rules.len());
    for ((rule, plan), answer) in rules.iter().zip(plans).zip(answers) {
        let result = match answer {
            Ok(response) => finish(rule, source, now, limits, plan, &response).await,
            Err(error) => Err(source_error(rule, error)),
        };
        results.push(result);
    }
    results
}

/// Reads the first page, fetches the rest, judges every group.
async fn finish<S: Source>(
    rule: &Rule,
    source: &S,
    now: DateTime<Utc>,
    limits: PlanLimits,
    plan: SearchPlan,
    first: &Answer,
) -> Result<RuleEvaluation, EvaluationError> {
    let response_error = |source| EvaluationError::Response {
        rule: rule.name.clone(),
        source,
    };
    let Page {
        mut series,
        mut next,
    } = page_from_response(first, &rule.metric, &rule.group_by, &plan).map_err(response_error)?;
    let mut searches = 1;
    while let Some(after) = next.take() {
        let page_plan = plan_page(rule, now, limits, Some(&after));
        let response = source
            .search(&page_plan.index, &page_plan.body)
            .await
            .map_err(|error| source_error(rule, error))?;
        searches += 1;
        let page = page_from_response(&response, &rule.metric, &rule.group_by, &page_plan)
            .map_err(response_error)?;
        series.extend(page.series);
        next = page.next;
    }
    let groups = series
        .into_iter()
        .map(|series| {
            let verdict = judge(rule, &series);
            GroupVerdict { series, verdict }
        })
        .collect();
    Ok(RuleEvaluation {
        plan,
        searches,
        groups,
    })
}

fn source_error(rule: &Rule, source: SourceError) -> EvaluationError {
    EvaluationError::Source {
        rule: rule.name.clone(),
        source,
    }
}
