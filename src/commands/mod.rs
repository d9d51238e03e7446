//! Each command, start to end: read the config, reach AWS, check the caller, then plan / apply. Returns
//! the exit code; results go to the writer it is given, logs to stderr.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result, bail};

use crate::apply::{ApplyOptions, Interrupt, apply};
use crate::aws::Central;
use crate::aws::sdk::{ClientOptions, SdkCentral, load_config};
use crate::cli::{ApplyArgs, AuditArgs, Command, Global, RestoreArgs};
use crate::config::Config;
use crate::discover::{Observation, Scope, scope, scope_and_observe};
use crate::model::Region;
use crate::output;
use crate::plan::policy::{SIZE_LIMIT, parse_live};
use crate::plan::{AccountPlanStatus, BucketState, Plan, plan};

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
    if let Command::Apply(args) = command {
        refuse_unattended(args.yes, "apply")?;
    }
    if let Command::RestorePolicy(args) = command {
        refuse_unattended(args.yes, "restore the bucket policy")?;
    }
    let central = connect(global, &cfg).await?;
    match command {
        Command::Policy => {
            let scope = discover(&central, &cfg).await?;
            let (bucket, live) = read_bucket(&central, &cfg).await?;
            let plan = plan(
                &cfg,
                &scope.targets,
                scope.org.as_ref(),
                &bucket,
                live.as_deref(),
                &Default::default(),
            )?;
            output::policy(out, global.format, &plan)?;
            Ok(0)
        }
        Command::Plan => {
            let (scope, plan, _) = full_plan(&central, &cfg, concurrency, &interrupt).await?;
            output::plan(out, global.format, &plan, &scope.rejected)?;
            let blocked = plan
                .accounts
                .iter()
                .any(|a| !matches!(a.status, AccountPlanStatus::Changes { .. }));
            Ok(i32::from(blocked || !scope.rejected.is_empty()))
        }
        Command::Apply(args) => {
            run_apply(&central, &cfg, global, args, concurrency, out, interrupt).await
        }
        Command::RestorePolicy(args) => run_restore(&central, &cfg, args, out).await,
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
    let caller = central
        .caller_account()
        .await
        .map_err(|e| anyhow::anyhow!("cannot identify the caller: {e}; {}", e.hint()))?;
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

async fn discover<C: Central>(central: &C, cfg: &Config) -> Result<Scope> {
    let scope = scope(central, cfg).await.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    check_scope(&scope)?;
    Ok(scope)
}

/// Warns of the accounts left out and refuses an empty scope.
fn check_scope(scope: &Scope) -> Result<()> {
    for r in &scope.rejected {
        tracing::warn!(account = %r.id, "left out: {}", r.reason);
    }
    if scope.targets.is_empty() {
        bail!(Usage(
            "no account is in scope: add [[account]] entries, or a central trail_name".into()
        ));
    }
    Ok(())
}

/// The central bucket: whether it exists, its guards and its policy (GetBucketPolicy and the guards read
/// at once).
async fn read_bucket<C: Central>(
    central: &C,
    cfg: &Config,
) -> Result<(BucketState, Option<String>)> {
    let bucket = &cfg.central.bucket;
    let exists = central
        .bucket_exists(bucket)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read bucket {bucket}: {e}; {}", e.hint()))?;
    if !exists {
        return Ok((BucketState::default(), None));
    }
    let (guards, live) = tokio::join!(
        central.bucket_guards(bucket),
        central.get_bucket_policy(bucket)
    );
    let guards =
        guards.map_err(|e| anyhow::anyhow!("cannot read bucket {bucket}: {e}; {}", e.hint()))?;
    let live = live.map_err(|e| {
        anyhow::anyhow!(
            "cannot read the policy of bucket {bucket}: {e}; {}",
            e.hint()
        )
    })?;
    Ok((BucketState { exists, guards }, live))
}

/// The scope, every account observed (overlapping the listing of the organization), the bucket read
/// alongside, and the plan.
pub async fn full_plan<C: Central>(
    central: &C,
    cfg: &Config,
    concurrency: usize,
    interrupt: &Interrupt,
) -> Result<(Scope, Plan, Vec<Observation<C::Member>>)> {
    let (scoped, bucket) = tokio::join!(
        scope_and_observe(central, cfg, concurrency, interrupt),
        read_bucket(central, cfg)
    );
    let (scope, observations) = scoped.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    check_scope(&scope)?;
    let (bucket, live) = bucket?;
    let states = observations
        .iter()
        .map(|o| (o.target.id.clone(), o.state.clone()))
        .collect();
    let plan = plan(
        cfg,
        &scope.targets,
        scope.org.as_ref(),
        &bucket,
        live.as_deref(),
        &states,
    )?;
    Ok((scope, plan, observations))
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
    let (scope, plan, observations) = full_plan(central, cfg, concurrency, &interrupt).await?;
    let all_planned = plan
        .accounts
        .iter()
        .all(|a| matches!(a.status, AccountPlanStatus::Changes { .. }));
    if !plan.has_changes() && all_planned && scope.rejected.is_empty() {
        writeln!(
            out,
            "nothing to do: the bucket, its policy and {} trails are as they should be",
            plan.accounts.len()
        )?;
        return Ok(0);
    }
    if !args.yes {
        output::plan(out, global.format, &plan, &scope.rejected)?;
        if !confirm(out, "Apply these changes?")? {
            return Ok(2);
        }
    }
    let opts = ApplyOptions::new(args.backup_dir.clone(), concurrency, interrupt);
    let report = apply(central, cfg, &scope, &plan, observations, &opts).await?;
    output::apply(out, global.format, &report, &scope.rejected)?;
    Ok(output::exit_code(&report, &scope.rejected))
}

/// Without a terminal to ask on, a command that writes needs --yes.
fn refuse_unattended(yes: bool, what: &str) -> Result<()> {
    if !yes && !std::io::stdin().is_terminal() {
        bail!(Usage(format!(
            "refusing to {what} without --yes: stdin is not a terminal to ask on"
        )));
    }
    Ok(())
}

/// Asks on the terminal; false (and "not applied" on stdout) unless the answer is yes.
fn confirm(out: &mut dyn Write, question: &str) -> Result<bool> {
    out.flush()?;
    eprint!("\n{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    let yes = matches!(answer.trim(), "y" | "Y" | "yes");
    if !yes {
        writeln!(out, "not applied")?;
    }
    Ok(yes)
}

/// `trailhub restore-policy BACKUP.json`: shows what changes, asks, backs up the current policy, puts the
/// backup's text back byte for byte and reads it back; then names the trails the restored policy does not allow.
async fn run_restore<C: Central>(
    central: &C,
    cfg: &Config,
    args: &RestoreArgs,
    out: &mut dyn Write,
) -> Result<i32> {
    let text = std::fs::read_to_string(&args.backup)
        .with_context(|| format!("cannot read {}", args.backup.display()))?;
    let restored = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.is_object() => v,
        Ok(_) => bail!(Usage(format!(
            "{} is not a bucket policy: not a JSON object",
            args.backup.display()
        ))),
        Err(e) => bail!(Usage(format!(
            "{} is not a bucket policy: not JSON ({e})",
            args.backup.display()
        ))),
    };
    if text.len() > SIZE_LIMIT {
        bail!(Usage(format!(
            "{} is {} bytes, over S3's limit of {SIZE_LIMIT}",
            args.backup.display(),
            text.len()
        )));
    }
    let bucket = &cfg.central.bucket;
    let live = central
        .get_bucket_policy(bucket)
        .await
        .with_context(|| format!("cannot read the policy of bucket {bucket}"))?;
    let live_value = live.as_deref().map(parse_live).transpose().ok().flatten();
    if live_value.as_ref() == Some(&restored) {
        writeln!(
            out,
            "nothing to do: bucket {bucket} already has the policy of {}",
            args.backup.display()
        )?;
        return Ok(0);
    }
    let statements = |v: Option<&serde_json::Value>| -> Vec<serde_json::Value> {
        v.map(crate::plan::document::statements)
            .unwrap_or_default()
            .into_iter()
            .map(|s| serde_json::Value::Object(s.clone()))
            .collect()
    };
    let (now, then) = (statements(live_value.as_ref()), statements(Some(&restored)));
    let sid = |s: &serde_json::Value| {
        s.get("Sid")
            .and_then(|v| v.as_str())
            .unwrap_or("(no Sid)")
            .to_owned()
    };
    writeln!(
        out,
        "restore bucket {bucket}'s policy from {} ({} bytes)",
        args.backup.display(),
        text.len()
    )?;
    for s in now.iter().filter(|s| !then.contains(s)) {
        writeln!(out, "  - statement {} (as it is now) goes", sid(s))?;
    }
    for s in then.iter().filter(|s| !now.contains(s)) {
        writeln!(out, "  + statement {} (as it was) comes back", sid(s))?;
    }
    if !args.yes && !confirm(out, "Restore this policy?")? {
        return Ok(2);
    }
    if let Some(current) = &live {
        let path = crate::apply::backup_policy(&args.backup_dir, bucket.as_str(), current)?;
        writeln!(
            out,
            "policy: the current one backed up to {}",
            path.display()
        )?;
    }
    central.put_bucket_policy(bucket, &text).await?;
    let back = central.get_bucket_policy(bucket).await?;
    if back
        .as_deref()
        .map(parse_live)
        .transpose()
        .ok()
        .flatten()
        .as_ref()
        != Some(&restored)
    {
        bail!(
            "the policy read back is not the one written: another writer changed it; run restore-policy again (runbooks/troubleshooting.md#policy-changed-during-apply)"
        );
    }
    writeln!(out, "policy: restored and read back")?;
    let scope = discover(central, cfg).await?;
    let denied: Vec<String> = scope
        .targets
        .iter()
        .filter(|t| {
            let arn = crate::model::TrailArn::new(&cfg.central.region, &t.id, &t.trail_name);
            !crate::plan::delivery_verdict(cfg, &restored, scope.org.as_ref(), &t.id, &arn)
                .allowed()
        })
        .map(|t| format!("{} ({})", t.id, t.name))
        .collect();
    if !denied.is_empty() {
        writeln!(
            out,
            "warning: the restored policy does not let these trails write: {}; `trailhub apply` adds them back",
            denied.join(", ")
        )?;
    }
    Ok(0)
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
