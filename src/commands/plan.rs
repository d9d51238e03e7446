//! `trailhub plan` (async, over the `aws` traits, read-only): every account observed and the bucket read,
//! then what `apply` would change; with `--out`, the plan saved with the fingerprint of what it was made
//! from (the one file this command writes). Writes no result.

use std::path::Path;

use anyhow::{Context, Result};
use time::OffsetDateTime;

use super::{Session, observe_and_fingerprint};
use crate::aws::Central;
use crate::cli::PlanArgs;
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::output::{self, PolicyDiff, Render};
use crate::plan::prune::Prune;
use crate::progress::Progress;
use crate::report::PlanReport;
use crate::report::saved_plan::{
    Fingerprint, SavedCentral, SavedOptions, SavedPlan, VERSION, plan_sha256,
};

/// `trailhub plan`: the plan printed, and saved with `--out`. Ok(exit code).
pub(super) async fn command<C: Central>(
    central: &C,
    cfg: &Config,
    args: &PlanArgs,
    s: Session<'_>,
) -> Result<i32> {
    let progress = s.console.progress();
    let (report, fingerprint) =
        run(central, cfg, args, s.concurrency, &s.interrupt, &*progress).await?;
    if let Some(path) = &args.out {
        write(path, &saved(cfg, args, &report, fingerprint, (s.now)())?)?;
    }
    match args.diff {
        true => output::print(s.out, s.console, s.format, &PolicyDiff(&report))?,
        false => output::print(s.out, s.console, s.format, &report)?,
    }
    if let Some(path) = &args.out {
        s.out.flush()?;
        s.console.note(&format!(
            "plan saved to {0}: `trailhub apply {0}` applies exactly this plan",
            path.display()
        ));
    }
    Ok(match args.detailed_exitcode {
        true => report.detailed_exit_code(),
        false => report.exit_code(),
    })
}

/// Observes every account and the bucket, then plans; with `--prune`, taking out of the policies the
/// entries of accounts no longer in scope. The fingerprint of what was observed comes with it.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    args: &PlanArgs,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<(PlanReport, Fingerprint)> {
    let prune = &Prune::from_flag(args.prune);
    let p = observe_and_fingerprint(central, cfg, prune, concurrency, interrupt, progress).await?;
    let report = PlanReport {
        plan: p.plan,
        rejected: p.scope.rejected,
        live_policy: p.live,
    };
    Ok((report, p.fingerprint))
}

/// The plan as `plan --out` saves it, made at `now` with `args` (and `cfg`'s `--account`s).
pub fn saved(
    cfg: &Config,
    args: &PlanArgs,
    report: &PlanReport,
    fingerprint: Fingerprint,
    now: OffsetDateTime,
) -> Result<SavedPlan> {
    let created = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)?;
    let accounts = cfg.members.only.iter().flatten();
    Ok(SavedPlan {
        version: VERSION,
        trailhub: env!("CARGO_PKG_VERSION").to_owned(),
        created,
        central: SavedCentral {
            account_id: cfg.central.account_id.to_string(),
            bucket: cfg.central.bucket.to_string(),
            region: cfg.central.region.to_string(),
        },
        options: SavedOptions {
            prune: args.prune,
            accounts: accounts.map(ToString::to_string).collect(),
        },
        fingerprint,
        plan_sha256: plan_sha256(&report.plan)?,
        plan: report.json()?,
    })
}

/// Writes `saved` to `path` (pretty JSON).
pub fn write(path: &Path, saved: &SavedPlan) -> Result<()> {
    let mut text = serde_json::to_string_pretty(saved)?;
    text.push('\n');
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the plan to {}", path.display()))
}

/// Reads a plan saved by `plan --out`: refused when it is not one, or of another version.
pub fn read(path: &Path) -> Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan file {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan file (JSON written by `trailhub plan --out`)",
            path.display()
        )
    })?;
    let version = v.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(VERSION)) {
        anyhow::bail!(super::Usage(format!(
            "{} is a plan file of version {}, and this trailhub reads version {VERSION}: make the plan again with this trailhub",
            path.display(),
            version.map_or("(none)".to_owned(), |v| v.to_string())
        )));
    }
    serde_json::from_value(v)
        .with_context(|| format!("{} is not a complete plan file", path.display()))
}
