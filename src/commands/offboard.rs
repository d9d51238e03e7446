//! `trailhub offboard ACCOUNT_ID` (async, over the `aws` traits): refuses an account trailhub must not or
//! cannot offboard (exit 2), reads what of trailhub's the account and the policies hold, shows it, asks,
//! and takes it out: the trail, its flow logs to the bucket, its policy entries. Ends in an
//! [`OffboardReport`]; writes no result.

use std::io::Write;

use anyhow::{Context, Result, bail};

use super::Usage;
use crate::apply::{OffboardTargets, offboard};
use crate::aws::{AwsError, Central, KeyInfo, Member, ObservedFlowLog, ObservedTrail};
use crate::cli::{Format, OffboardArgs};
use crate::config::{Access, Config, ScopedAccount, Source};
use crate::model::{AccountId, RoleArn, TrailName, fill_trail_template};
use crate::observe::scope;
use crate::output::{self, Console};
use crate::plan::offboard::{OffboardPlan, OffboardState, offboard_plan};
use crate::plan::trails::delivers_to;
use crate::report::OffboardReport;

/// `offboard` as the command line runs it: the plan shown (not with `--format json --yes`), the question
/// asked (not with `--yes`), then what was done, rendered in `format`. Ok(exit code).
pub async fn show<C: Central>(
    central: &C,
    cfg: &Config,
    args: &OffboardArgs,
    (format, console, out): (Format, &mut dyn Console, &mut dyn Write),
) -> Result<i32> {
    let outcome = run(central, cfg, args, &mut |plan| {
        if format == Format::Json && args.yes {
            return Ok(true);
        }
        output::print(out, console, format, plan)?;
        if args.yes {
            return Ok(true);
        }
        confirm(plan, console, out)
    })
    .await?;
    output::print(out, console, format, &outcome)?;
    Ok(outcome.exit_code())
}

/// The question, once the plan is shown and every refusal of the account itself has been given: refused
/// without a terminal to ask on; deleting a trail is confirmed by typing the account's ID, the rest by y.
fn confirm(plan: &OffboardPlan, console: &mut dyn Console, out: &mut dyn Write) -> Result<bool> {
    let account = plan.account.as_str();
    if !console.can_ask() {
        bail!(Usage(format!(
            "refusing to offboard account {account} without --yes: stdin is not a terminal to ask on (the plan above is what `trailhub offboard {account} --yes` will do)"
        )));
    }
    out.flush()?;
    match &plan.trail {
        Some(trail) => Ok(console.confirm_typed(
            &format!(
                "Trail {trail} will be deleted. Type the account ID ({account}) to offboard it:"
            ),
            account,
        )?),
        None => super::ask(out, console, "Offboard this account?"),
    }
}

/// Offboards `args.account`. `review` is shown the plan and says whether to go ahead (it answers yes by
/// itself with `--yes`).
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    args: &OffboardArgs,
    review: &mut dyn FnMut(&OffboardPlan) -> Result<bool>,
) -> Result<OffboardReport> {
    let account = args.account.clone();
    let (target, org) = out_of_scope_target(central, cfg, &account, args.trail.as_ref()).await?;
    let member = central
        .member(&target)
        .await
        .map_err(hinted)
        .with_context(|| format!("cannot reach account {account}: nothing was done"))?;
    let trails = member.describe_trails().await.map_err(hinted)?;
    let mut target = target;
    if target.trail_name.as_str() == UNKNOWN {
        target.trail_name = find_trail(cfg, &account, &trails)?;
    }
    let flow_logs = read_flow_logs(cfg, &member).await.map_err(hinted)?;
    let bucket_policy = match central.get_bucket_policy(&cfg.central.bucket).await {
        // no bucket, no policy: nothing in it names the account
        Err(e) if e.code == "NoSuchBucket" => None,
        other => other.map_err(hinted)?,
    };
    let key = read_key(central, cfg).await.map_err(hinted)?;
    let state = OffboardState {
        trails: &trails,
        flow_logs: &flow_logs,
        bucket_policy: bucket_policy.as_deref(),
        key_policy: key.as_ref().map(|(_, p)| p.as_str()),
        org: org.as_ref(),
    };
    let plan = offboard_plan(cfg, &account, &target.trail_name, &state)?;
    if plan.is_empty() {
        bail!(Usage(nothing_of_trailhubs(cfg, &target, &plan)));
    }
    if !review(&plan)? {
        return Ok(OffboardReport::NotApplied(plan));
    }
    let to = OffboardTargets {
        member: &member,
        org: org.as_ref(),
        key: key.as_ref().map(|(k, _)| k),
        backup_dir: &args.backup_dir,
    };
    let done = offboard(central, cfg, &plan, &to).await;
    Ok(OffboardReport::Offboarded { plan, done })
}

/// The trail name of an account whose trail's name the accounts file cannot say (it left the file, and
/// the template needs `{name}`): found among the account's trails by [`find_trail`].
const UNKNOWN: &str = "trailhub-offboard-unknown-trail";

/// trailhub's trail in an account whose trail name the file cannot say: the one trail of the account
/// (its own, not an organization trail) whose name fits `members.trail_name` (`{name}` standing for any
/// text) and that delivers to the central bucket. None or several: refused, naming them, for `--trail`.
fn find_trail(cfg: &Config, account: &AccountId, trails: &[ObservedTrail]) -> Result<TrailName> {
    let template = &cfg.members.trail_template;
    let prefix = cfg.central.key_prefix.as_ref().map(|p| p.as_str());
    let fits: Vec<&ObservedTrail> = (trails.iter())
        .filter(|t| t.owned_by(account.as_str()) && !t.organization_trail)
        .filter(|t| fits_template(template, account.as_str(), &t.name))
        .filter(|t| delivers_to(t, cfg.central.bucket.as_str(), prefix))
        .collect();
    if let [one] = fits.as_slice()
        && let Ok(name) = TrailName::try_from(one.name.clone())
    {
        return Ok(name);
    }
    let names: Vec<&str> = fits.iter().map(|t| t.name.as_str()).collect();
    let found = match names.as_slice() {
        [] => format!(
            "none of its trails is named as {template:?} makes names and delivers to {}",
            cfg.central.bucket
        ),
        _ => format!(
            "its trails {} all fit {template:?} and deliver to {}",
            names.join(", "),
            cfg.central.bucket
        ),
    };
    bail!(Usage(format!(
        "offboard: account {account} is not in {}, so the name of trailhub's trail there is not known, and {found}: give it with --trail NAME (runbooks/offboard.md#the-trail-name-is-not-known)",
        cfg.path.display()
    )))
}

/// Whether `name` is one `template` makes for account `id`, whatever `{name}` stands for.
fn fits_template(template: &str, id: &str, name: &str) -> bool {
    let filled = template.replace("{id}", id);
    let parts: Vec<&str> = filled.split("{name}").collect();
    let (first, last) = match parts.as_slice() {
        [only] => return *only == name,
        [first, .., last] => (*first, *last),
        [] => return false,
    };
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// How to reach the account and what trailhub names its trail, once it is known to be out of scope (and,
/// with `source = "organizations"`, in the organization); with the organization, for the policy's forms.
async fn out_of_scope_target<C: Central>(
    central: &C,
    cfg: &Config,
    account: &AccountId,
    trail: Option<&TrailName>,
) -> Result<(ScopedAccount, Option<crate::plan::policy::Org>)> {
    if account == &cfg.central.account_id {
        bail!(Usage(format!(
            "offboard: {account} is the central account (central.account_id): it holds the bucket and is never offboarded"
        )));
    }
    let scope = scope(central, cfg).await.context(
        "cannot list the organization's accounts (runbooks/troubleshooting.md#organizations)",
    )?;
    let in_scope = scope.targets.iter().any(|t| &t.id == account)
        || scope.rejected.iter().any(|r| r.id == account.as_str());
    if in_scope {
        bail!(Usage(format!(
            "offboard: account {account} is still in scope, so the next apply would onboard it again. Take it out of scope first ({}), then run offboard again (runbooks/offboard.md#still-in-scope)",
            how_to_leave_scope(cfg)
        )));
    }
    let target = match cfg.members.source {
        Source::Organizations => org_member(central, cfg, account, trail).await?,
        Source::Static => static_member(cfg, account, trail)?,
    };
    Ok((target, scope.org))
}

fn how_to_leave_scope(cfg: &Config) -> &'static str {
    match cfg.members.source {
        Source::Static => {
            "remove its [[account]] entry from the accounts file, or list it in members.exclude"
        }
        Source::Organizations => {
            "list it in members.exclude, or move it to an OU in exclude_organizational_units or out of organizational_units"
        }
    }
}

/// An account of the organization, reached with `members.role_name`; refused when the organization does not
/// have it.
async fn org_member<C: Central>(
    central: &C,
    cfg: &Config,
    account: &AccountId,
    trail: Option<&TrailName>,
) -> Result<ScopedAccount> {
    let found = central
        .describe_account(account.as_str())
        .await
        .map_err(hinted)?;
    let Some(a) = found else {
        bail!(Usage(format!(
            "offboard: account {account} is not in the organization, so trailhub has no role to reach it. Its entries in the bucket and key policies go with `trailhub apply --prune`; its trail, if it still exists, is the account owner's to delete (runbooks/offboard.md#not-in-the-organization)"
        )));
    };
    let role_arn = RoleArn::new(
        cfg.central.region.partition(),
        account,
        &cfg.members.role_name,
    )
    .map_err(Usage)?;
    let mut target = match cfg.org_target(account.clone(), a.name.clone()) {
        Ok(t) => t,
        // a name that makes no trail name: the trail is looked for among the account's (find_trail)
        Err(_) => ScopedAccount {
            id: account.clone(),
            name: a.name,
            trail_name: UNKNOWN.parse().expect("a valid trail name"),
            access: Access::AssumeRole {
                role_arn,
                external_id: cfg.members.external_id.clone(),
            },
            is_central: false,
            cloudwatch: false,
            flow_logs: false,
            ou: None,
        },
    };
    if let Some(t) = trail {
        target.trail_name = t.clone();
    }
    Ok(target)
}

/// An account of the file (excluded) or, with `--trail`, one that left it; reached with its own role or
/// `members.role_name`.
fn static_member(
    cfg: &Config,
    account: &AccountId,
    trail: Option<&TrailName>,
) -> Result<ScopedAccount> {
    let entry = cfg.accounts.iter().find(|a| &a.id == account);
    let trail_name = match (trail, entry) {
        (Some(t), _) => t.clone(),
        (None, Some(a)) => a.trail_name.clone(),
        // a template with {name}: the trail is looked for among the account's (find_trail)
        (None, None) => fill_trail_template(&cfg.members.trail_template, account, "")
            .ok()
            .filter(|_| !cfg.members.trail_template.contains("{name}"))
            .unwrap_or_else(|| UNKNOWN.parse().expect("a valid trail name")),
    };
    let access = match entry {
        Some(a) => Access::AssumeRole {
            role_arn: a.role_arn.clone(),
            external_id: a.external_id.clone(),
        },
        None => Access::AssumeRole {
            role_arn: RoleArn::new(
                cfg.central.region.partition(),
                account,
                &cfg.members.role_name,
            )
            .map_err(Usage)?,
            external_id: cfg.members.external_id.clone(),
        },
    };
    Ok(ScopedAccount {
        id: account.clone(),
        name: entry.map(|a| a.name.clone()).unwrap_or_default(),
        trail_name,
        access,
        is_central: false,
        cloudwatch: false,
        flow_logs: false,
        ou: None,
    })
}

/// An AWS error, with what to do about it.
fn hinted(e: AwsError) -> anyhow::Error {
    anyhow::anyhow!("{e}; {}", e.hint())
}

/// The account's flow logs in every Region it has enabled, when `[flow_logs]` is configured (without it
/// the member role may not read them). A Region that cannot be read is an error: offboard would leave
/// flow logs writing to the bucket there.
async fn read_flow_logs<M: Member>(
    cfg: &Config,
    member: &M,
) -> Result<Vec<ObservedFlowLog>, AwsError> {
    if cfg.flow_logs.is_none() {
        return Ok(vec![]);
    }
    let limit = crate::observe::regions::region_limit(1);
    let read = crate::observe::regions::read_regions(member, None, &limit).await?;
    match read.seen.failed.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(read.flow_logs),
    }
}

/// The configured key and its policy, when the key exists.
async fn read_key<C: Central>(
    central: &C,
    cfg: &Config,
) -> Result<Option<(KeyInfo, String)>, AwsError> {
    let Some(configured) = &cfg.central.kms_key else {
        return Ok(None);
    };
    let Some(key) = central.describe_key(configured.lookup()).await? else {
        return Ok(None);
    };
    let policy = central.key_policy(&key.arn).await?;
    Ok(Some((key, policy)))
}

/// Exit 2's words when the account holds nothing of trailhub's.
fn nothing_of_trailhubs(cfg: &Config, target: &ScopedAccount, plan: &OffboardPlan) -> String {
    let mut msg = format!(
        "offboard: account {} has nothing of trailhub's: no trail named {} delivering to {} in {}, no flow log to the bucket, and no entry of it in trailhub's statements of the bucket{} policy",
        target.id,
        target.trail_name,
        cfg.central.bucket,
        cfg.central.region,
        if cfg.central.kms_key.is_some() {
            " and key"
        } else {
            ""
        }
    );
    for t in &plan.trails_left {
        msg.push_str(&format!("; its trail {} is {}", t.name, t.reason));
    }
    if !plan.flow_logs_untagged.is_empty() {
        let logs = &plan.flow_logs_untagged;
        let ids: Vec<String> = logs.iter().map(ToString::to_string).collect();
        msg.push_str(&format!(
            "; its flow logs {} to the bucket have no trailhub tag, so trailhub may not delete them: delete them yourself, or tag them once ({}) and offboard again",
            ids.join(", "),
            crate::plan::offboard::RegionalFlowLog::tag_command(logs)
        ));
    }
    msg.push_str(" (runbooks/offboard.md#nothing-of-trailhubs)");
    msg
}

#[cfg(test)]
mod tests;
