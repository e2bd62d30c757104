//! One evaluation of rules at one instant: plan each rule's search, run the first pages of
//! all of them in one batch (one `_msearch` round trip on Elasticsearch), follow any further
//! composite pages rule by rule, read the series, judge every group. Pure apart from the
//! searches.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::judge::judge;
use super::series_cache::{Fetch, SeriesCache};
use crate::analysis::Verdict;
use crate::query::{
    Answer, Page, PlanLimits, ResponseError, SearchPlan, Series, page_from_response, plan_over,
    time_grid,
};
use crate::rules::Rule;
use crate::source::{SearchRequest, Source, SourceError};

/// One group's series and what the condition says about it.
#[derive(Debug, Clone)]
pub struct GroupVerdict {
    /// Shared with the engine's series cache, which updates it in place next cycle
    /// (after copying it if this is still held).
    pub series: Arc<Series>,
    pub verdict: Verdict,
}

/// The result of evaluating a rule at one instant.
#[derive(Debug, Clone)]
pub struct RuleEvaluation {
    /// The first page's search (the only one unless the groups overflow a page).
    pub plan: SearchPlan,
    /// Searches it took: 1, or one per page of groups (and a full read when the cache
    /// met a new group).
    pub searches: usize,
    /// Buckets per group the searches asked for: the whole grid, or only the newest ones
    /// when the older ones were known from the previous evaluation.
    pub fetched_buckets: usize,
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
/// search fails only that rule. Every search reads the rule's whole grid.
pub async fn evaluate_rules<S: Source>(
    rules: &[&Rule],
    source: &S,
    now: DateTime<Utc>,
) -> Vec<Result<RuleEvaluation, EvaluationError>> {
    evaluate_rules_cached(rules, source, now, &mut SeriesCache::default()).await
}

/// [`evaluate_rules`], asking only for the buckets `cache` does not already hold.
pub async fn evaluate_rules_cached<S: Source>(
    rules: &[&Rule],
    source: &S,
    now: DateTime<Utc>,
    cache: &mut SeriesCache,
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
    let now_ms = now.timestamp_millis();
    let fetches: Vec<Fetch> = rules
        .iter()
        .map(|rule| cache.plan(rule, time_grid(rule, now), now_ms))
        .collect();
    let plans: Vec<SearchPlan> = rules
        .iter()
        .zip(&fetches)
        .map(|(rule, fetch)| plan_over(rule, fetch.grid(), limits, None))
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
    for (((rule, fetch), plan), answer) in rules.iter().zip(fetches).zip(plans).zip(answers) {
        let reading = Reading {
            rule,
            source,
            limits,
        };
        let result = match answer {
            Ok(first) => reading.finish(fetch, plan, &first, cache, now_ms).await,
            Err(error) => Err(source_error(rule, error)),
        };
        if result.is_err() {
            cache.forget(rule);
        }
        results.push(result);
    }
    results
}

/// Reads one rule's answers into judged groups.
struct Reading<'a, S> {
    rule: &'a Rule,
    source: &'a S,
    limits: PlanLimits,
}

impl<S: Source> Reading<'_, S> {
    /// Reads the first page, fetches the rest, merges with the cache, judges every group.
    async fn finish(
        &self,
        fetch: Fetch,
        plan: SearchPlan,
        first: &Answer,
        cache: &mut SeriesCache,
        now_ms: i64,
    ) -> Result<RuleEvaluation, EvaluationError> {
        let rule = self.rule;
        let (series, mut searches) = self.all_pages(&plan, first).await?;
        let series = match fetch {
            Fetch::Full(full) => cache.store_full(rule, full, series, now_ms),
            Fetch::Since { fetch, full } => match cache.merge(rule, fetch, full, series) {
                Some(merged) => merged,
                None => {
                    // A group the cache has not seen: its older buckets are unknown.
                    let full_plan = plan_over(rule, full, self.limits, None);
                    let answer = search(rule, self.source, &full_plan).await?;
                    let (all, more) = self.all_pages(&full_plan, &answer).await?;
                    searches += more;
                    cache.store_full(rule, full, all, now_ms)
                }
            },
        };
        let groups = series
            .into_iter()
            .map(|series| {
                let verdict = judge(rule, &series);
                GroupVerdict { series, verdict }
            })
            .collect();
        Ok(RuleEvaluation {
            fetched_buckets: plan.grid.len(),
            plan,
            searches,
            groups,
        })
    }

    /// The series of every page of `first_plan`'s grid, starting from the first page's
    /// answer, and how many searches that took.
    async fn all_pages(
        &self,
        first_plan: &SearchPlan,
        first: &Answer,
    ) -> Result<(Vec<Series>, usize), EvaluationError> {
        read_pages(self.rule, self.source, first_plan, first, |after| {
            plan_over(self.rule, first_plan.grid, self.limits, Some(after))
        })
        .await
    }
}

/// Reads the first page's answer and follows the composite `after_key`s, planning each
/// further page with `next_page`. Returns every group's series and the searches it took
/// (the first page's included).
pub(super) async fn read_pages<S: Source>(
    rule: &Rule,
    source: &S,
    first_plan: &SearchPlan,
    first: &Answer,
    next_page: impl Fn(&serde_json::Value) -> SearchPlan,
) -> Result<(Vec<Series>, usize), EvaluationError> {
    let response_error = |source| EvaluationError::Response {
        rule: rule.name.clone(),
        source,
    };
    let Page {
        mut series,
        mut next,
    } = page_from_response(first, &rule.metric, &rule.group_by, first_plan)
        .map_err(response_error)?;
    let mut searches = 1;
    while let Some(after) = next.take() {
        let page_plan = next_page(&after);
        let response = search(rule, source, &page_plan).await?;
        searches += 1;
        let page = page_from_response(&response, &rule.metric, &rule.group_by, &page_plan)
            .map_err(response_error)?;
        series.extend(page.series);
        next = page.next;
    }
    Ok((series, searches))
}

pub(super) async fn search<S: Source>(
    rule: &Rule,
    source: &S,
    plan: &SearchPlan,
) -> Result<Answer, EvaluationError> {
    source
        .search(&plan.index, &plan.body)
        .await
        .map_err(|error| source_error(rule, error))
}

pub(super) fn source_error(rule: &Rule, source: SourceError) -> EvaluationError {
    EvaluationError::Source {
        rule: rule.name.clone(),
        source,
    }
}
