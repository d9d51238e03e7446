//! Each command, start to end: read the config, reach AWS, check the caller, then plan / apply. Returns
//! the exit code; results go to the writer it is given, logs to stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::apply::{ApplyOptions, Interrupt, apply};
use crate::aws::Central;
use crate::aws::sdk::{ClientOptions, SdkCentral, load_config};
use crate::cli::{ApplyArgs, AuditArgs, Command, Global};
use crate::config::{Config, Target};
use crate::discover::{Rejected, observe, targets};
use crate::model::Region;
use crate::output;
use crate::plan::{Plan, plan};

/// An error that stops the whole command before anything is done (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// Runs a command. Ok(exit code) for a run that went through (0 or 1); Err for one that could not (2).
pub async fn execute(
    global: &Global,
    command: &Command,
    out: &mut dyn Write,
    interrupt: Interrupt,
) -> Result<i32> {
    let mut cfg = Config::load(&global.config)?;
    if let Some(r) = &global.region {
        cfg.central.region = r
            .parse::<Region>()
            .map_err(|e| Usage(format!("--region: {e}")))?;
    }
    let concurrency = global
        .concurrency
        .map_or(cfg.members.concurrency, usize::from);
    let central = connect(global, &cfg).await?;
    match command {
        Command::Policy => {
            let (targets, _) = discover(&central, &cfg).await?;
            let plan = plan_without_accounts(&central, &cfg, &targets).await?;
            output::policy(out, &plan)?;
            Ok(0)
        }
        Command::Plan => {
            let (targets, rejected) = discover(&central, &cfg).await?;
            let (plan, _) = full_plan(&central, &cfg, &targets, concurrency).await?;
            output::plan(out, global.format, &plan, &rejected)?;
            Ok(i32::from(
                !rejected.is_empty()
                    || plan.accounts.iter().any(|a| {
                        !matches!(a.status, crate::plan::AccountPlanStatus::Changes { .. })
                    }),
            ))
        }
        Command::Apply(args) => {
            run_apply(&central, &cfg, global, args, concurrency, out, interrupt).await
        }
        Command::Audit(args) => run_audit(&central, &cfg, global, args, concurrency, out).await,
    }
}

/// The central account's clients, after checking that the credentials are the central account's: running
/// with the wrong profile must not touch the wrong account.
async fn connect(global: &Global, cfg: &Config) -> Result<SdkCentral> {
    let opts = ClientOptions {
        profile: global.profile.clone(),
        region: Some(cfg.central.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        max_attempts: global.max_attempts,
    };
    let mut central = SdkCentral::new(load_config(&opts).await);
    central.set_page_size(global.org_page_size);
    let caller = central.caller_account().await.context("cannot identify the caller (GetCallerIdentity); check the credentials (runbooks/troubleshooting.md#credentials)")?;
    if caller != cfg.central.account_id.as_str() {
        return Err(Usage(format!(
            "the credentials are for account {caller}, but central.account_id in {} is {}: refusing to touch the wrong account. Use the central account's profile (--profile) or fix the file (runbooks/troubleshooting.md#wrong-account)",
            cfg.path.display(),
            cfg.central.account_id
        ))
        .into());
    }
    central.expect_bucket_owner(&caller);
    Ok(central)
}

async fn discover<C: Central>(central: &C, cfg: &Config) -> Result<(Vec<Target>, Vec<Rejected>)> {
    let (targets, rejected) = targets(central, cfg).await.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    for r in &rejected {
        tracing::warn!(account = %r.id, "left out: {}", r.reason);
    }
    if targets.is_empty() {
        bail!(Usage(
            "no account is in scope: add [[account]] entries, or a central trail_name".into()
        ));
    }
    Ok((targets, rejected))
}

async fn plan_without_accounts<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[Target],
) -> Result<Plan> {
    let (exists, live) = read_bucket(central, cfg).await?;
    Ok(plan(
        cfg,
        targets,
        exists,
        live.as_deref(),
        &Default::default(),
    )?)
}

async fn read_bucket<C: Central>(central: &C, cfg: &Config) -> Result<(bool, Option<String>)> {
    let bucket = &cfg.central.bucket;
    let exists = central
        .bucket_exists(bucket)
        .await
        .with_context(|| format!("cannot read bucket {bucket}"))?;
    let live = if exists {
        central
            .get_bucket_policy(bucket)
            .await
            .with_context(|| format!("cannot read the policy of bucket {bucket}"))?
    } else {
        None
    };
    Ok((exists, live))
}

async fn full_plan<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[Target],
    concurrency: usize,
) -> Result<(Plan, Vec<crate::discover::Observation<C::Member>>)> {
    let (exists, live) = read_bucket(central, cfg).await?;
    let observations = observe(central, cfg, targets, concurrency).await;
    let states = observations
        .iter()
        .map(|o| (o.target.id.clone(), o.state.clone()))
        .collect();
    let plan = plan(cfg, targets, exists, live.as_deref(), &states)?;
    Ok((plan, observations))
}

async fn run_apply<C: Central>(
    central: &C,
    cfg: &Config,
    global: &Global,
    args: &ApplyArgs,
    concurrency: usize,
    out: &mut dyn Write,
    interrupt: Interrupt,
) -> Result<i32> {
    let interactive = std::io::stdin().is_terminal();
    if !args.yes && !interactive {
        bail!(Usage(
            "refusing to apply without --yes: stdin is not a terminal to ask on".into()
        ));
    }
    let (targets, rejected) = discover(central, cfg).await?;
    let (plan, observations) = full_plan(central, cfg, &targets, concurrency).await?;
    let unreachable = plan
        .accounts
        .iter()
        .filter(|a| matches!(a.status, crate::plan::AccountPlanStatus::Unreachable { .. }))
        .count();
    if !plan.has_changes() && unreachable == 0 && rejected.is_empty() {
        writeln!(
            out,
            "nothing to do: the bucket, its policy and {} trails are as they should be",
            plan.accounts.len()
        )?;
        return Ok(0);
    }
    if !args.yes {
        output::plan(out, global.format, &plan, &rejected)?;
        out.flush()?;
        eprint!("\nApply these changes? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            writeln!(out, "not applied")?;
            return Ok(2);
        }
    }
    let opts = ApplyOptions {
        backup_dir: args.backup_dir.clone(),
        concurrency,
        interrupt,
        policy_propagation_delay: Duration::from_secs(2),
    };
    let report = apply(central, cfg, &targets, &plan, observations, &opts).await?;
    output::apply(out, global.format, &report, &rejected)?;
    Ok(output::exit_code(&report, &rejected))
}

/// `trailhub audit`: read-only; 0 every account covered, 1 a gap (errors that stop it are exit 2).
async fn run_audit<C: Central>(
    central: &C,
    cfg: &Config,
    global: &Global,
    args: &AuditArgs,
    concurrency: usize,
    out: &mut dyn Write,
) -> Result<i32> {
    let opts = crate::audit::AuditOptions {
        concurrency,
        max_age: args.max_age,
    };
    let report = crate::audit::audit(central, cfg, &opts, time::OffsetDateTime::now_utc()).await?;
    let mut rendered = Vec::new();
    output::audit(&mut rendered, global.format, &report)?;
    out.write_all(&rendered)?;
    if let Some(path) = &args.output {
        std::fs::write(path, &rendered)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    Ok(report.exit_code())
}
