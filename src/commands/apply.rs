//! `trailhub apply` (async, over the `aws` traits): the plan, the question, then the bucket, the policy and
//! every account's trail; or a plan saved by `plan --out`, applied only when what it was made from has
//! not changed. Ends in an [`ApplyReport`]; writes no result.

use std::path::Path;

use anyhow::Result;

use super::{Planned, Session, Usage, ask, observe_and_fingerprint, with_accounts};
use crate::apply::{ApplyOptions, apply};
use crate::aws::Central;
use crate::cli::ApplyArgs;
use crate::config::Config;
use crate::output;
use crate::plan::prune::Prune;
use crate::plan::{AccountPlan, FlowLogsPlan};
use crate::progress::Phase;
use crate::report::saved_plan::{SavedPlan, plan_sha256};
use crate::report::{ApplyReport, PlanReport};

/// `trailhub apply`, or `trailhub apply PLAN_FILE`: the question (unless `--yes` or a saved plan), then
/// what was done. Ok(exit code).
pub(super) async fn command<C: Central>(
    central: &C,
    cfg: &Config,
    args: &ApplyArgs,
    s: Session<'_>,
) -> Result<i32> {
    let Session {
        format,
        concurrency,
        interrupt,
        console,
        out,
        ..
    } = s;
    let mut opts = ApplyOptions::new(args.backup_dir.clone(), concurrency, interrupt);
    opts.progress = console.progress();
    let outcome = if let Some(path) = &args.plan {
        let saved = super::plan::read(path)?;
        opts.prune = Prune::from_flag(saved.options.prune);
        let cfg = &with_accounts(cfg, &saved.options.accounts)?;
        run_saved(central, cfg, &saved, path, &opts).await?
    } else {
        opts.prune = Prune::from_flag(args.prune);
        run(central, cfg, args.yes, &opts, &mut |planned| {
            match args.diff {
                true => output::print(out, console, format, &output::PolicyDiff(planned))?,
                false => output::print(out, console, format, planned)?,
            }
            ask(out, console, "Apply these changes?")
        })
        .await?
    };
    output::print(out, console, format, &outcome)?;
    Ok(outcome.exit_code())
}

/// Plans, then applies. Unless `yes`, `review` is shown the plan first and the apply goes ahead only when
/// it answers true.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    yes: bool,
    opts: &ApplyOptions,
    review: &mut dyn FnMut(&PlanReport) -> Result<bool>,
) -> Result<ApplyReport> {
    let (concurrency, interrupt) = (opts.concurrency, &opts.interrupt);
    let progress = &*opts.progress;
    let planned =
        observe_and_fingerprint(central, cfg, &opts.prune, concurrency, interrupt, progress)
            .await?;
    go(central, cfg, planned, yes, opts, review).await
}

/// Applies the plan `saved` (read from `path`): plans again, with its options (`cfg` limited to its
/// accounts and `opts` pruning as it did, set by the caller), and goes ahead without asking only when what
/// the plan is made from is as it was, and so the plan is the same; else refuses, naming what changed.
pub async fn run_saved<C: Central>(
    central: &C,
    cfg: &Config,
    saved: &SavedPlan,
    path: &Path,
    opts: &ApplyOptions,
) -> Result<ApplyReport> {
    let c = &saved.central;
    if c.account_id != cfg.central.account_id.as_str() || c.bucket != cfg.central.bucket.as_str() {
        anyhow::bail!(Usage(format!(
            "{} is a plan for account {} and bucket {}, but {} names account {} and bucket {}: use the accounts file the plan was made with",
            path.display(),
            c.account_id,
            c.bucket,
            cfg.path.display(),
            cfg.central.account_id,
            cfg.central.bucket
        )));
    }
    let (concurrency, interrupt) = (opts.concurrency, &opts.interrupt);
    let progress = &*opts.progress;
    let planned =
        observe_and_fingerprint(central, cfg, &opts.prune, concurrency, interrupt, progress)
            .await?;
    let mut changes = saved.fingerprint.changes_since(&planned.fingerprint);
    if changes.is_empty() && plan_sha256(&planned.plan)? != saved.plan_sha256 {
        changes.push(format!(
            "the plan made now differs from the saved one (saved by trailhub {}, this is {})",
            saved.trailhub,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if !changes.is_empty() {
        return Ok(ApplyReport::StalePlan {
            plan_file: path.display().to_string(),
            changes,
        });
    }
    go(central, cfg, planned, true, opts, &mut |_| Ok(true)).await
}

/// The apply of a plan made: nothing to do, the question, then the writes.
async fn go<C: Central>(
    central: &C,
    cfg: &Config,
    planned: Planned<C::Member>,
    yes: bool,
    opts: &ApplyOptions,
    review: &mut dyn FnMut(&PlanReport) -> Result<bool>,
) -> Result<ApplyReport> {
    let progress = &*opts.progress;
    let Planned {
        scope,
        plan,
        observations,
        live,
        ..
    } = planned;
    let all_planned = !plan.accounts.iter().any(AccountPlan::is_blocked)
        && !plan.bucket_blocked()
        && !plan.guardrails_blocked();
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
        live_policy: live,
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
