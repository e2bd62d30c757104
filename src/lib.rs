//! trendwatch: watches data in Elasticsearch and alerts when something drifts the wrong way.
//!
//! The flow of one evaluation is `rules` → `query` (plan) → `source` → `query` (parse) →
//! `analysis` → `alerts` → `notify`, driven by `engine`; see DESIGN.md.

pub mod alerts;
pub mod analysis;
pub mod cli;
pub mod config;
pub mod engine;
pub mod humanize;
pub mod import;
pub mod json;
pub mod notify;
pub mod query;
pub mod rules;
pub mod ruletest;
pub mod scenario;
pub mod scheduler;
pub mod source;
