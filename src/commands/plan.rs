//! `trailhub plan` (async, over the `aws` traits, read-only): every account observed and the bucket read,
//! then what `apply` would change. Writes no result.

use anyhow::Result;

use super::observe_and_plan;
use crate::aws::Central;
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::progress::Progress;
use crate::report::PlanReport;

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
