//! Query: plans a rule's one search request and reads every group's series out of the
//! response. Knows the Elasticsearch request/response formats; does no I/O.

mod plan;
mod series;

pub use plan::{MAX_GROUPS_PER_LEVEL, SearchPlan, TimeGrid, plan_search, time_grid};
pub use series::{GroupKey, ResponseError, Series, series_from_response};
