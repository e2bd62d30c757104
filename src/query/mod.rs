//! Query: plans a rule's one search request and reads every group's series out of the
//! response. Knows the Elasticsearch request/response formats; does no I/O.

mod answer;
mod buckets;
mod counts;
mod fields;
mod plan;
mod scan;
mod scan_page;
mod series;

pub use answer::Answer;
pub use buckets::Buckets;
pub use counts::{CountPage, counts_from_response, plan_counts};
pub use fields::{FieldProblem, FieldUse, check_fields, fields_of};
pub use plan::{
    MAX_GROUPS_PER_PAGE, PlanLimits, SearchPlan, TimeGrid, change_windows, plan_over, plan_page,
    plan_range, plan_search, time_grid,
};
pub use series::{
    GroupKey, Page, ResponseError, Series, empty_bucket_value, group_name, page_from_response,
};
