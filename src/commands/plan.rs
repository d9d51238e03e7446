//! `trailhub plan` (async, over the `aws` traits, read-only): every account observed and the bucket read,
//! then what `apply` would change. Writes no result.

use anyhow::Result;

use super::observe_and_plan;
use crate::aws::Central;
use crate::cli::PlanArgs;
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::plan::prune::Prune;
use crate::progress::Progress;
use crate::report::PlanReport;

/// Observes every account and the bucket, then plans; with `--prune`, taking out of the policies the
/// entries of accounts no longer in scope.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    args: &PlanArgs,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<PlanReport> {
    let prune = &Prune::from_flag(args.prune);
    let (scope, plan, _) =
        observe_and_plan(central, cfg, prune, concurrency, interrupt, progress).await?;
    Ok(PlanReport {
        plan,
        rejected: scope.rejected,
    })
}
