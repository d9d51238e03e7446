//! The pure planner: desired bucket policy, desired trails and the diff against what was observed.
//! No I/O, no AWS SDK types: config and observed state in, a [`Plan`] out.
//!
//! [`build`] (`build.rs`) makes the plan (`planned.rs`) from what was seen (`observed.rs`): the policy
//! inputs and the merge (`inputs.rs`), whether a policy lets a delivery through and why not (`verdict.rs`),
//! then each account's plan (`account.rs`). Its scenario tests are in `tests.rs`.

pub mod alarm_queues;
pub mod alarms;
pub mod bucket_settings;
pub mod cloudwatch;
pub mod coverage;
pub mod document;
pub mod evaluate;
pub mod failure;
pub mod flow_logs;
pub mod guardrails;
pub mod key_policy;
pub mod kms;
pub mod layout;
pub mod membership;
pub mod offboard;
pub mod policy;
pub mod prune;
pub mod queue_policy;
pub mod rcp;
pub mod retention;
pub mod selectors;
pub mod subscriptions;
pub mod trails;

mod account;
mod build;
mod inputs;
mod observed;
mod planned;
mod verdict;

pub use build::build;
pub use failure::AccountFailure;
pub use inputs::{
    desired_policy, desired_trail, entries, flow_log_accounts, hive_flow_logs, in_scope,
    merge_entries,
};
pub use observed::{AccountState, BucketState, DeliveryState};
pub use planned::{
    AccountPlan, AccountPlanStatus, BucketAction, FlowLogsPlan, Plan, RegionFailure, RegionVpcs,
};
pub use verdict::{
    DELIVERY_LOGS, DeliveryRequest, Denial, DenialReason, delivery_denial, delivery_verdict,
    denial, denial_for, flow_log_delivery, flow_logs_verdict, trail_delivery,
};

#[cfg(test)]
mod tests;
