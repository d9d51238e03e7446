//! Making it so (async, over the `aws` traits): the bucket, the one write of the bucket policy (backed up,
//! read back, re-merged if another writer got in between), then every account's trail, concurrently within
//! a bound. Each account's outcome is reported; one failure never stops the others.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::{AwsError, Central, Member};
use crate::config::{Config, Target};
use crate::discover::Observation;
use crate::model::{AccountId, TrailArn};
use crate::plan::policy::{PolicyError, parse_live};
use crate::plan::trails::TrailChange;
use crate::plan::{
    AccountPlanStatus, BucketAction, Plan, delivery_verdict, denial_message, desired_policy,
    desired_trail,
};

/// Set by Ctrl-C: no new account is started once it is.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub backup_dir: PathBuf,
    pub concurrency: usize,
    pub interrupt: Interrupt,
    /// How long to wait before retrying CreateTrail refused for the bucket policy (AWS propagates a new
    /// policy within seconds); doubled each time, three retries.
    pub policy_propagation_delay: Duration,
}

/// The run could not start, or the shared policy could not be made right: nothing was done to any trail.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("cannot back up the bucket policy to {path}: {source}; nothing was written")]
    Backup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the bucket policy kept changing under trailhub ({attempts} writes, each followed by another writer's change); nothing was done to any trail. Run again when the other writer is done (runbooks/troubleshooting.md#policy-changed-during-apply)"
    )]
    PolicyRace { attempts: usize },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyOutcome {
    /// Where the policy that was replaced was saved.
    pub backup: Option<PathBuf>,
    pub written: bool,
    /// Writes made: more than one when another writer changed the policy in between.
    pub writes: usize,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AccountResult {
    Unchanged,
    Changed {
        done: Vec<String>,
    },
    Failed {
        operation: String,
        code: String,
        message: String,
        hint: String,
        done: Vec<String>,
    },
    /// Not started: the run was interrupted.
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountOutcome {
    pub id: AccountId,
    pub name: String,
    pub trail_arn: TrailArn,
    #[serde(flatten)]
    pub result: AccountResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub bucket: String,
    pub bucket_created: bool,
    pub policy: PolicyOutcome,
    pub accounts: Vec<AccountOutcome>,
    pub interrupted: bool,
}

impl ApplyReport {
    /// 0 when every account converged, 1 when some did not.
    pub fn exit_code(&self) -> i32 {
        let bad = self.interrupted
            || self.accounts.iter().any(|a| {
                matches!(
                    a.result,
                    AccountResult::Failed { .. } | AccountResult::Skipped
                )
            });
        i32::from(bad)
    }
}

/// Saves the live policy text, as it was, to a new file in `dir` (written to a temporary name, synced,
/// then renamed, so a crash never leaves half a backup).
pub fn backup_policy(dir: &Path, bucket: &str, text: &str) -> Result<PathBuf, ApplyError> {
    let err = |path: &Path, source| ApplyError::Backup {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    let mut n = 0;
    loop {
        let name = if n == 0 {
            format!("{bucket}-{stamp}.json")
        } else {
            format!("{bucket}-{stamp}-{n}.json")
        };
        let path = dir.join(name);
        let tmp = dir.join(format!(".{bucket}-{stamp}-{n}.tmp"));
        if path.exists() {
            n += 1;
            continue;
        }
        let mut f = std::fs::File::create(&tmp).map_err(|e| err(&tmp, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| err(&path, e))?;
        return Ok(path);
    }
}

const MAX_POLICY_WRITES: usize = 5;

/// The one writer of the bucket policy. Reads the live policy fresh, merges, backs it up, writes, and reads
/// it back; when another writer changed it in between, merges on top of theirs and writes again (bounded).
/// Returns what it did and the policy in force afterwards.
pub async fn write_policy<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[Target],
    backup_dir: &Path,
) -> Result<(PolicyOutcome, serde_json::Value), ApplyError> {
    let bucket = &cfg.central.bucket;
    let mut outcome = PolicyOutcome::default();
    let mut live = central.get_bucket_policy(bucket).await?;
    for _ in 0..MAX_POLICY_WRITES {
        let merged = desired_policy(cfg, targets, live.as_deref())?;
        outcome.size = merged.size;
        if !merged.changed {
            return Ok((outcome, merged.policy));
        }
        if let Some(text) = &live {
            let path = backup_policy(backup_dir, bucket.as_str(), text)?;
            tracing::info!(path = %path.display(), "backed up the bucket policy");
            outcome.backup.get_or_insert(path);
        }
        central.put_bucket_policy(bucket, &merged.text).await?;
        outcome.written = true;
        outcome.writes += 1;
        let back = central.get_bucket_policy(bucket).await?;
        let back_value = back.as_deref().map(parse_live).transpose()?;
        if back_value.as_ref() == Some(&merged.policy) {
            return Ok((outcome, merged.policy));
        }
        tracing::warn!(
            "the bucket policy changed after trailhub wrote it: merging again with the other writer's version"
        );
        live = back;
    }
    Err(ApplyError::PolicyRace {
        attempts: outcome.writes,
    })
}

/// Applies a plan: bucket, policy, then every account.
pub async fn apply<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[Target],
    plan: &Plan,
    observations: Vec<Observation<C::Member>>,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let bucket_created = plan.bucket_action == BucketAction::Create
        && !central.bucket_exists(&cfg.central.bucket).await?;
    if bucket_created {
        central
            .create_bucket(&cfg.central.bucket, &cfg.central.region)
            .await?;
        tracing::info!(bucket = %cfg.central.bucket, "created the bucket");
    }
    let (policy, in_force) = write_policy(central, cfg, targets, &opts.backup_dir).await?;

    let mut members: HashMap<AccountId, C::Member> = observations
        .into_iter()
        .filter_map(|o| o.member.map(|m| (o.target.id, m)))
        .collect();
    let work: Vec<_> = targets
        .iter()
        .zip(&plan.accounts)
        .map(|(t, p)| (t.clone(), p.clone(), members.remove(&t.id)))
        .collect();
    let in_force = &in_force;
    let mut accounts: Vec<(usize, AccountOutcome)> = stream::iter(work.into_iter().enumerate())
        .map(|(i, (target, planned, member))| async move {
            let result = if opts.interrupt.is_set() {
                AccountResult::Skipped
            } else {
                let verdict = delivery_verdict(cfg, in_force, &target.id, &planned.trail_arn);
                match (&planned.status, member) {
                    (AccountPlanStatus::Unreachable { code, message }, _) => {
                        failed("AssumeRole", code, message)
                    }
                    (AccountPlanStatus::PolicyDenies { message }, _) => {
                        failed("PolicyCheck", "PolicyDenies", message)
                    }
                    _ if !verdict.allowed() => {
                        failed("PolicyCheck", "PolicyDenies", &denial_message(&verdict))
                    }
                    (AccountPlanStatus::Changes { changes }, _) if changes.is_empty() => {
                        AccountResult::Unchanged
                    }
                    (AccountPlanStatus::Changes { changes }, Some(m)) => {
                        apply_account(&m, cfg, &target, changes, opts.policy_propagation_delay)
                            .await
                    }
                    (AccountPlanStatus::Changes { .. }, None) => {
                        failed("AssumeRole", "NotObserved", "no client for the account")
                    }
                }
            };
            let outcome = AccountOutcome {
                id: target.id.clone(),
                name: target.name.clone(),
                trail_arn: planned.trail_arn,
                result,
            };
            log_outcome(&outcome);
            (i, outcome)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    accounts.sort_by_key(|(i, _)| *i);
    Ok(ApplyReport {
        bucket: cfg.central.bucket.to_string(),
        bucket_created,
        policy,
        accounts: accounts.into_iter().map(|(_, a)| a).collect(),
        interrupted: opts.interrupt.is_set(),
    })
}

fn log_outcome(o: &AccountOutcome) {
    match &o.result {
        AccountResult::Failed { code, message, .. } => {
            tracing::warn!(account = %o.id, %code, "failed: {message}")
        }
        r => tracing::info!(account = %o.id, result = ?r, "done"),
    }
}

fn failed(operation: &str, code: &str, message: &str) -> AccountResult {
    AccountResult::Failed {
        operation: operation.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
        hint: crate::aws::hint(operation, code).to_owned(),
        done: vec![],
    }
}

async fn apply_account<M: Member>(
    member: &M,
    cfg: &Config,
    target: &Target,
    changes: &[TrailChange],
    propagation_delay: Duration,
) -> AccountResult {
    let desired = desired_trail(cfg, target);
    let mut done = Vec::new();
    for change in changes {
        let r = match change {
            TrailChange::Create => create_with_retry(member, &desired, propagation_delay).await,
            TrailChange::Update { .. } => member.update_trail(&desired).await,
            TrailChange::StartLogging => member.start_logging(desired.name.as_str()).await,
        };
        if let Err(e) = r {
            let hint = e.hint().to_owned();
            return AccountResult::Failed {
                operation: e.operation.to_owned(),
                code: e.code,
                message: e.message,
                hint,
                done,
            };
        }
        done.push(change.describe());
    }
    AccountResult::Changed { done }
}

/// CreateTrail, retried when AWS has not yet propagated the new bucket policy, and turned into UpdateTrail
/// when the trail appeared since it was observed.
async fn create_with_retry<M: Member>(
    member: &M,
    desired: &crate::plan::trails::DesiredTrail,
    delay: Duration,
) -> Result<(), AwsError> {
    let mut wait = delay;
    let mut retries = 0;
    loop {
        match member.create_trail(desired).await {
            Err(e) if e.code == "InsufficientS3BucketPolicyException" && retries < 3 => {
                tracing::info!(trail = %desired.arn, "bucket policy not yet in force for CloudTrail; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait *= 2;
                retries += 1;
            }
            Err(e) if e.code == "TrailAlreadyExistsException" => {
                return member.update_trail(desired).await;
            }
            r => return r,
        }
    }
}
