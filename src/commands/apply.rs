//! `trailhub apply` (async, over the `aws` traits): the plan, the question, then the bucket, the policy and
//! every account's trail. Ends in an [`ApplyReport`]; writes no result.

use anyhow::Result;

use super::observe_and_plan;
use crate::apply::{ApplyOptions, apply};
use crate::aws::Central;
use crate::config::Config;
use crate::plan::{AccountPlan, FlowLogsPlan};
use crate::progress::Phase;
use crate::report::{ApplyReport, PlanReport};

/// Plans, then applies. Unless `yes`, `review` is shown the plan first and the apply goes ahead only when
/// it answers true.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    yes: bool,
    opts: &ApplyOptions,
    review: &mut dyn FnMut(&PlanReport) -> Result<bool>,
) -> Result<ApplyReport> {
    let progress = &*opts.progress;
    let (concurrency, interrupt) = (opts.concurrency, &opts.interrupt);
    let (scope, plan, observations) =
        observe_and_plan(central, cfg, &opts.prune, concurrency, interrupt, progress).await?;
    let all_planned = !plan.accounts.iter().any(AccountPlan::is_blocked) && !plan.bucket_blocked();
    if !plan.has_changes() && all_planned && scope.rejected.is_empty() {
        let vpcs = cfg.flow_logs.as_ref().map(|_| {
            let vpcs = |a: &AccountPlan| match &a.flow_logs {
                Some(FlowLogsPlan::Changes { vpcs, .. }) => *vpcs,
                _ => 0,
            };
            plan.accounts.iter().map(vpcs).sum()
        });
        let untagged = plan.accounts.iter().flat_map(|a| match &a.flow_logs {
            Some(FlowLogsPlan::Changes { untagged, .. }) => untagged.clone(),
            _ => vec![],
        });
        return Ok(ApplyReport::NothingToDo {
            untagged: untagged.collect(),
            bucket: plan.bucket,
            trails: plan.accounts.len(),
            vpcs,
        });
    }
    let planned = PlanReport {
        plan,
        rejected: scope.rejected.clone(),
    };
    if !yes && !review(&planned)? {
        return Ok(ApplyReport::NotApplied);
    }
    progress.start(Phase::Applying, planned.plan.accounts.len());
    let report = apply(central, cfg, &scope, &planned.plan, observations, opts).await;
    progress.finish();
    let report = report?;
    Ok(ApplyReport::Applied {
        report,
        rejected: planned.rejected,
    })
}
