//! The commands, start to end (async, I/O). [`execute`] reads the config, refuses to write without someone
//! to ask, reaches AWS and checks the caller, then [`run`]s the command over any [`Central`]: each
//! command's flow (one file each) ends in a report value, which `output` renders. The steps the commands
//! share (the scope, the bucket, the full plan) are here.

pub mod apply;
pub mod audit;
pub mod docs;
pub mod inventory;
pub mod offboard;
pub mod plan;
pub mod policy;
pub mod restore;

use std::io::{self, Write};

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;

use crate::aws::Central;
use crate::aws::sdk::{ClientOptions, SdkCentral, load_config};
use crate::cli::{Command, Format, Global, PermissionsArgs};
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::model::Region;
use crate::observe::{Observation, Scope, scope, scope_and_observe};
use crate::output::{self, Console, Previewed};
use crate::permissions::Permissions;
use crate::plan::prune::Prune;
use crate::plan::{BucketState, Plan};
use crate::progress::{Phase, Progress};
use crate::report::saved_plan::Fingerprint;

/// An error that stops the whole command before anything is done (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// What a command runs with besides AWS and the accounts file: how to print, how many accounts at once,
/// Ctrl-C, the clock, the person at the terminal and where the results go.
pub struct Session<'a> {
    pub format: Format,
    pub concurrency: usize,
    pub interrupt: Interrupt,
    /// The time an audit judges freshness against.
    pub now: fn() -> OffsetDateTime,
    pub console: &'a mut dyn Console,
    pub out: &'a mut dyn Write,
}

/// Runs a command. Ok(exit code) for a run that went through (0, 1, or 2 when the answer was not yes); Err
/// for one that could not (2).
pub async fn execute(
    global: &Global,
    command: &Command,
    console: &mut dyn Console,
    out: &mut dyn Write,
    interrupt: Interrupt,
) -> Result<i32> {
    if let Some(written) = generated(command, out) {
        written?;
        return Ok(0);
    }
    let format = command.format().or(global.format).unwrap_or(Format::Text);
    output::check_format(command, format).map_err(Usage)?;
    let mut cfg = Config::load(&global.config)?;
    if let Some(r) = &global.region {
        cfg.central.region = r
            .parse::<Region>()
            .map_err(|e| Usage(format!("--region: {e}")))?;
    }
    if let Command::Permissions(args) = command {
        // from the accounts file alone, like `completions` and `man` from the command line: no AWS call
        return permissions(&cfg, args, format, console, out);
    }
    let concurrency = global
        .concurrency
        .map_or(cfg.members.concurrency, usize::from);
    refuse_unattended(command, console)?;
    let central = connect(global, &cfg).await?;
    let session = Session {
        format,
        concurrency,
        interrupt,
        now: OffsetDateTime::now_utc,
        console,
        out,
    };
    run(&central, &cfg, command, session).await
}

/// Runs `command` over `central`: the command's flow, then its report rendered. Ok(exit code).
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    command: &Command,
    s: Session<'_>,
) -> Result<i32> {
    let cfg = &with_accounts(cfg, command.accounts())?;
    match command {
        Command::Plan(args) => return plan::command(central, cfg, args, s).await,
        Command::Apply(args) => return apply::command(central, cfg, args, s).await,
        _ => {}
    }
    let Session {
        format,
        concurrency,
        now,
        console,
        out,
        ..
    } = s;
    let progress = console.progress();
    match command {
        Command::Policy(_) => {
            let merged = policy::run(central, cfg).await?;
            output::print(out, console, format, &merged)?;
            Ok(0)
        }
        Command::Plan(_) | Command::Apply(_) => unreachable!("run above"),
        Command::RestorePolicy(args) => {
            let outcome = restore::run(central, cfg, args, &mut |changes| {
                output::print(out, console, format, changes)?;
                ask(out, console, "Restore this policy?")
            })
            .await?;
            if args.yes {
                output::print(out, console, format, &outcome)?;
            } else {
                output::print(out, console, format, &Previewed(&outcome))?;
            }
            Ok(outcome.exit_code())
        }
        Command::Audit(args) => {
            // to the second: a report's time is read by people
            let now = now();
            let now = now.replace_nanosecond(0).unwrap_or(now);
            let report = audit::run(central, cfg, args, concurrency, progress, now).await?;
            let runbooks = audit::runbooks_url(args.runbooks_url.as_deref());
            let linked = output::Linked {
                report: &report,
                runbooks: &runbooks,
            };
            output::print_to(out, console, format, &linked, args.output.as_deref())?;
            Ok(report.exit_code())
        }
        Command::Inventory(_) => {
            let report = inventory::run(central, cfg, concurrency, &*progress).await?;
            output::print(out, console, format, &report)?;
            Ok(report.exit_code())
        }
        Command::Offboard(args) => offboard::show(central, cfg, args, (format, console, out)).await,
        Command::Permissions(args) => permissions(cfg, args, format, console, out),
        Command::Completions(_) | Command::Man => {
            generated(command, out).transpose()?;
            Ok(0)
        }
    }
}

/// `permissions`: the IAM policies for `cfg`, printed (with a note on stderr when the template would name the
/// role Organizations already made).
fn permissions(
    cfg: &Config,
    args: &PermissionsArgs,
    format: Format,
    console: &mut dyn Console,
    out: &mut dyn Write,
) -> Result<i32> {
    output::print(out, console, format, &Permissions::new(cfg, args.read_only))?;
    Ok(0)
}

/// `completions` and `man`: text generated from the command line's definitions, which needs neither the
/// accounts file nor AWS. None for the other commands.
fn generated(command: &Command, out: &mut dyn Write) -> Option<io::Result<()>> {
    match command {
        Command::Completions(args) => Some(docs::completions(args.shell, out)),
        Command::Man => Some(docs::man(out)),
        _ => None,
    }
}

/// `cfg` limited to `accounts` (`--account`, or a saved plan's): None of them, every account in scope.
pub(crate) fn with_accounts<A: AsRef<str>>(cfg: &Config, accounts: &[A]) -> Result<Config> {
    let mut cfg = cfg.clone();
    if !accounts.is_empty() {
        let ids = accounts
            .iter()
            .map(|a| a.as_ref().parse::<crate::model::AccountId>())
            .collect::<Result<_, _>>()
            .map_err(|e| Usage(format!("--account: {e}")))?;
        cfg.members.only = Some(ids);
    }
    Ok(cfg)
}

/// `--account`: each account named must be in scope (a target, or an Organizations account that cannot
/// be worked on), or the run stops before any write.
fn check_accounts(cfg: &Config, scope: &Scope) -> Result<()> {
    let Some(only) = &cfg.members.only else {
        return Ok(());
    };
    let found = |id: &str| {
        scope.targets.iter().any(|t| t.id.as_str() == id)
            || scope.rejected.iter().any(|r| r.id == id)
    };
    if let Some(id) = only.iter().find(|id| !found(id.as_str())) {
        bail!(Usage(format!(
            "--account {id} is not in scope: {} (run `trailhub plan` to see the accounts in scope)",
            scope_rule(cfg)
        )));
    }
    Ok(())
}

/// Which accounts are in scope, in words, for [`check_accounts`].
fn scope_rule(cfg: &Config) -> String {
    let central = match cfg.central.trail_name {
        Some(_) => "the central account, ",
        None => "",
    };
    match cfg.members.source {
        crate::config::Source::Static => format!(
            "{central}the [[account]] entries of {} not excluded",
            cfg.path.display()
        ),
        crate::config::Source::Organizations => format!(
            "{central}the active accounts of the organization not excluded (members.exclude, OUs)"
        ),
    }
}

/// Without a terminal to ask on, a command that writes needs --yes.
fn refuse_unattended(command: &Command, console: &dyn Console) -> Result<()> {
    let what = match command {
        // a saved plan was reviewed when it was made: applying it asks nothing
        Command::Apply(args) if !args.yes && args.plan.is_none() => "apply",
        Command::RestorePolicy(args) if !args.yes => "restore the bucket policy",
        // offboard asks once its own refusals are given (commands::offboard::confirm)
        _ => return Ok(()),
    };
    if !console.can_ask() {
        bail!(Usage(format!(
            "refusing to {what} without --yes: stdin is not a terminal to ask on"
        )));
    }
    Ok(())
}

/// Asks the person at the terminal, once what was printed to `out` is out.
pub(crate) fn ask(out: &mut dyn Write, console: &mut dyn Console, question: &str) -> Result<bool> {
    out.flush()?;
    Ok(console.confirm(question)?)
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
    if let Some(r) = &cfg.central.bucket_region {
        central.set_bucket_region(&cfg.central.bucket, r);
    }
    central.set_key_region(cfg.central.bucket_home());
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
    let (settings, key) = tokio::join!(
        crate::observe::central::read_settings(central, cfg, exists),
        crate::observe::central::read_key(central, cfg)
    );
    let settings = settings.map_err(|e| {
        anyhow::anyhow!(
            "cannot read the settings of bucket {bucket}: {e}; {}",
            e.hint()
        )
    })?;
    let key = key.map_err(|e| {
        anyhow::anyhow!(
            "cannot read the KMS key (kms_key): {e}; {} (runbooks/kms.md#kms-key-not-usable)",
            e.hint()
        )
    })?;
    if !exists {
        let state = BucketState {
            settings,
            key,
            ..BucketState::default()
        };
        return Ok((state, None));
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
    let state = BucketState {
        exists,
        guards,
        settings,
        key,
        organizations: Default::default(),
    };
    Ok((state, live))
}

/// The scope, every account observed (overlapping the listing of the organization), the bucket read
/// alongside, and the plan, telling `progress` of each account found and observed (the observing phase;
/// [`crate::progress::Silent`] for tests and benchmarks), with `prune`'s entries taken out of the policies
/// ([`Prune::Off`]: none). `--prune` keeps the entries of the accounts in scope that cannot be worked on
/// (a name that makes no trail name), whose trail, made before, may still write.
pub async fn observe_and_plan<C: Central>(
    central: &C,
    cfg: &Config,
    prune: &Prune,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<(Scope, Plan, Vec<Observation<C::Member>>)> {
    let p = observe_and_fingerprint(central, cfg, prune, concurrency, interrupt, progress).await?;
    Ok((p.scope, p.plan, p.observations))
}

/// What [`observe_and_fingerprint`] returns: the scope, the plan, each account's observation, and the
/// fingerprint of what the plan was made from (for a saved plan).
pub struct Planned<M> {
    pub scope: Scope,
    pub plan: Plan,
    pub observations: Vec<Observation<M>>,
    pub fingerprint: Fingerprint,
    /// The bucket policy as read (None: none).
    pub live: Option<String>,
}

/// [`observe_and_plan`], with the fingerprint of what was observed.
pub async fn observe_and_fingerprint<C: Central>(
    central: &C,
    cfg: &Config,
    prune: &Prune,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<Planned<C::Member>> {
    progress.start(Phase::Observing, 0);
    let (scoped, bucket, rcps) = tokio::join!(
        scope_and_observe(central, cfg, concurrency, interrupt, progress),
        read_bucket(central, cfg),
        crate::observe::organizations::read_rcps(central, cfg)
    );
    progress.finish();
    let (scope, mut observations) = scoped.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    check_accounts(cfg, &scope)?;
    check_scope(&scope)?;
    let (mut bucket, live) = bucket?;
    let key_policy = bucket.key.as_ref().and_then(|k| k.policy.as_deref());
    let in_force = crate::plan::membership::org_keys_in_force(live.as_deref(), key_policy, &rcps);
    let accounts = crate::observe::organizations::memberships(
        (scope.org.as_ref(), &scope.placed),
        &mut observations,
        in_force,
        concurrency,
    )
    .await;
    bucket.organizations = crate::plan::membership::OrgFacts { rcps, accounts };
    let prune = prune.keeping(scope.rejected.iter().map(|r| r.id.clone()));
    let states = observations
        .iter()
        .map(|o| (o.target.id.clone(), o.state.clone()))
        .collect();
    let mut plan = crate::plan::build(
        cfg,
        &prune,
        &scope.targets,
        scope.org.as_ref(),
        &bucket,
        live.as_deref(),
        &states,
    )?;
    if let Some(g) = &cfg.guardrails {
        let seen = crate::observe::guardrails::read_guardrails(central, cfg, g).await?;
        plan.guardrails = Some(crate::plan::guardrails::plan(
            cfg,
            &g.policy_name,
            &seen,
            !matches!(prune, Prune::Off),
        ));
    }
    plan.alarm_queues = crate::observe::queue::plan_queues(central, cfg, &plan).await;
    let fingerprint = Fingerprint::of(
        cfg,
        &bucket,
        live.as_deref(),
        observations
            .iter()
            .map(|o| (o.target.id.as_str(), &o.state)),
    );
    Ok(Planned {
        scope,
        plan,
        observations,
        fingerprint,
        live,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::AuditArgs;
    use crate::output::Scripted;

    /// `--format html` and `--format junit` belong to the audit: any other command refuses them before
    /// it reads the accounts file or calls AWS (exit 2).
    #[tokio::test]
    async fn html_and_junit_are_for_the_audit_only() {
        let global = |format| Global {
            config: "/nonexistent/accounts.toml".into(),
            endpoint_url: None,
            profile: None,
            region: None,
            format: Some(format),
            max_attempts: 1,
            concurrency: None,
            org_page_size: None,
            verbose: 0,
            no_progress: false,
        };
        let mut console = Scripted::answering(&[]);
        let mut out = Vec::new();
        for format in [Format::Html, Format::Junit] {
            let e = execute(
                &global(format),
                &Command::Plan(Default::default()),
                &mut console,
                &mut out,
                Interrupt::default(),
            )
            .await
            .unwrap_err();
            assert!(e.is::<Usage>(), "{e:#}");
            assert!(
                e.to_string().ends_with(
                    "is for `trailhub audit` only: use text, json or markdown for this command"
                ),
                "{e}"
            );
        }
        // the audit takes them and goes on to the accounts file
        let audit = Command::Audit(AuditArgs {
            max_age: std::time::Duration::from_secs(3600),
            output: None,
            ..Default::default()
        });
        let e = execute(
            &global(Format::Junit),
            &audit,
            &mut console,
            &mut out,
            Interrupt::default(),
        )
        .await
        .unwrap_err();
        assert!(!e.is::<Usage>(), "{e:#}");
        assert!(out.is_empty());
    }
}
