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
    Answer, CountPage, GroupKey, Page, PlanLimits, ResponseError, SearchPlan, Series,
    counts_from_response, page_from_response, plan_counts, plan_over, time_grid,
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
    /// Searches it took: 1, or one per page of groups, plus the series cache's count
    /// check when it was due, and a full read when the cache met a new group or a count
    /// that differed.
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
    results
        .pop()
        .unwrap_or_else(|| Err(source_error(rule, no_answer())))
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
    // Count checks that are due ride in the same batch, after every rule's search.
    let checks: Vec<Option<SearchPlan>> = rules
        .iter()
        .zip(&fetches)
        .map(|(rule, fetch)| match fetch {
            Fetch::Since {
                check: Some(check), ..
            } => Some(plan_counts(rule, *check, limits, None)),
            _ => None,
        })
        .collect();
    let requests: Vec<SearchRequest> = plans
        .iter()
        .chain(checks.iter().flatten())
        .map(|plan| SearchRequest {
            index: &plan.index,
            body: &plan.body,
        })
        .collect();
    let mut answers = source.search_batch(&requests).await.into_iter();
    // The rules' own answers, then the checks' (a short batch answers the rest with an
    // error, never with another search's answer).
    let mut firsts: Vec<_> = answers.by_ref().take(rules.len()).collect();
    firsts.resize_with(rules.len(), || Err(no_answer()));
    let mut results = Vec::with_capacity(rules.len());
    let each_rule = rules.iter().zip(fetches).zip(plans).zip(checks);
    for ((((rule, fetch), plan), check), answer) in each_rule.zip(firsts) {
        let reading = Reading {
            rule,
            source,
            limits,
        };
        let check = check.map(|plan| (plan, answers.next().unwrap_or_else(|| Err(no_answer()))));
        let result = match answer {
            Ok(first) => {
                reading
                    .finish(fetch, plan, &first, check, cache, now_ms)
                    .await
            }
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
    /// Reads the first page, fetches the rest, checks the cached counts when `check`
    /// (its plan and first answer) is given, merges with the cache, judges every group.
    async fn finish(
        &self,
        fetch: Fetch,
        plan: SearchPlan,
        first: &Answer,
        check: Option<(SearchPlan, Result<Answer, SourceError>)>,
        cache: &mut SeriesCache,
        now_ms: i64,
    ) -> Result<RuleEvaluation, EvaluationError> {
        let rule = self.rule;
        let (series, mut searches) = self.all_pages(&plan, first).await?;
        let series = match fetch {
            Fetch::Full(full) => cache.store_full(rule, full, series, now_ms),
            Fetch::Since { fetch, full, .. } => {
                let mut agreed = true;
                if let Some((check_plan, answer)) = check {
                    // A check that cannot be made confirms nothing: read in full, which
                    // reports any problem the cluster really has.
                    let counted = match answer {
                        Ok(answer) => self.all_counts(&check_plan, &answer).await.ok(),
                        Err(_) => None,
                    };
                    searches += counted.as_ref().map_or(1, |(_, taken)| *taken);
                    agreed = counted.is_some_and(|(counts, _)| {
                        cache.counts_agree(rule, check_plan.grid, &counts)
                    });
                    if agreed {
                        cache.checked(rule, now_ms);
                    }
                }
                // A group the cache has not seen, or documents that arrived late in
                // older buckets: the older buckets are not known, read them all.
                let merged = if agreed {
                    cache.merge(rule, fetch, full, series)
                } else {
                    None
                };
                match merged {
                    Some(merged) => merged,
                    None => {
                        let full_plan = plan_over(rule, full, self.limits, None);
                        let answer = search(rule, self.source, &full_plan).await?;
                        let (all, more) = self.all_pages(&full_plan, &answer).await?;
                        searches += more;
                        cache.store_full(rule, full, all, now_ms)
                    }
                }
            }
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

    /// The documents per group of every page of the count check `first_plan`, and how
    /// many searches that took.
    async fn all_counts(
        &self,
        first_plan: &SearchPlan,
        first: &Answer,
    ) -> Result<(Vec<(GroupKey, u64)>, usize), EvaluationError> {
        let rule = self.rule;
        let next_page = |after: &serde_json::Value| {
            plan_counts(rule, first_plan.grid, self.limits, Some(after))
        };
        let read = |answer: &Answer, plan: &SearchPlan| {
            counts_from_response(answer, &rule.group_by, plan)
                .map(|CountPage { counts, next }| (counts, next))
        };
        read_all(rule, self.source, first_plan, first, next_page, read).await
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
    let read = |answer: &Answer, plan: &SearchPlan| {
        page_from_response(answer, &rule.metric, &rule.group_by, plan)
            .map(|Page { series, next }| (series, next))
    };
    read_all(rule, source, first_plan, first, next_page, read).await
}

/// [`read_pages`] for pages that `read` reads into items of any kind.
async fn read_all<S: Source, T>(
    rule: &Rule,
    source: &S,
    first_plan: &SearchPlan,
    first: &Answer,
    next_page: impl Fn(&serde_json::Value) -> SearchPlan,
    read: impl Fn(&Answer, &SearchPlan) -> Result<(Vec<T>, Option<serde_json::Value>), ResponseError>,
) -> Result<(Vec<T>, usize), EvaluationError> {
    let response_error = |source| EvaluationError::Response {
        rule: rule.name.clone(),
        source,
    };
    let (mut items, mut next) = read(first, first_plan).map_err(response_error)?;
    let mut searches = 1;
    while let Some(after) = next.take() {
        let page_plan = next_page(&after);
        let response = search(rule, source, &page_plan).await?;
        searches += 1;
        let (page, page_next) = read(&response, &page_plan).map_err(response_error)?;
        items.extend(page);
        next = page_next;
    }
    Ok((items, searches))
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

/// A batch that answered fewer searches than it was asked.
fn no_answer() -> SourceError {
    SourceError::Unavailable {
        reason: "no answer for the rule's search".to_string(),
    }
}

pub(super) fn source_error(rule: &Rule, source: SourceError) -> EvaluationError {
    EvaluationError::Source {
        rule: rule.name.clone(),
        source,
    }
}
