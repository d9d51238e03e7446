//! `trailhub plan` (async, over the `aws` traits, read-only): every account observed and the bucket read,
//! then what `apply` would change. Writes no result.

use anyhow::Result;

use super::observe_and_plan;
use crate::aws::Central;
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::observe::Rejected;
use crate::plan::{AccountPlan, Plan};
use crate::progress::Progress;

/// The plan, and the Organizations accounts in scope that cannot be planned.
#[derive(Debug, Clone)]
pub struct PlanReport {
    pub plan: Plan,
    pub rejected: Vec<Rejected>,
}

impl PlanReport {
    /// 0 when every account can be planned (changes may be pending, or another trail covers it), 1 when
    /// some cannot (its trail, or its flow logs), or the key or a bucket setting cannot be made as asked.
    pub fn exit_code(&self) -> i32 {
        let blocked =
            self.plan.accounts.iter().any(AccountPlan::is_blocked) || self.plan.bucket_blocked();
        i32::from(blocked || !self.rejected.is_empty())
    }
}

pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<PlanReport> {
    let (scope, plan, _) = observe_and_plan(central, cfg, concurrency, interrupt, progress).await?;
    Ok(PlanReport {
        plan,
        rejected: scope.rejected,
    })
}
