//! Making it so (async, over the `aws` traits): the bucket, the one write of the bucket policy (backed up,
//! read back, re-merged if another writer got in between), then every account's trail, concurrently within
//! a bound. Each account's outcome is reported; one failure never stops the others.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::aws::{AwsError, Central, ErrorKind, Member};
use crate::aws::{DesiredTrail, Guard};
use crate::config::{Config, Target};
use crate::discover::{Observation, Scope};
pub use crate::interrupt::Interrupt;
use crate::model::{AccountId, TrailArn};
use crate::plan::policy::{Org, PolicyError, parse_live};
use crate::plan::trails::TrailChange;
use crate::plan::{
    AccountFailure, AccountPlanStatus, BucketAction, Plan, delivery_verdict, denial_message,
    desired_policy, desired_trail,
};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub backup_dir: PathBuf,
    pub concurrency: usize,
    pub interrupt: Interrupt,
    /// How long to wait before retrying CreateTrail refused for the bucket policy (AWS propagates a new
    /// policy within seconds); doubled each time, three retries.
    pub policy_propagation_delay: Duration,
    /// The least time between two mutating CloudTrail calls in one account: CloudTrail allows 1 TPS per
    /// account and region for everything but Get/Describe/List.
    pub mutation_interval: Duration,
}

impl ApplyOptions {
    pub fn new(backup_dir: PathBuf, concurrency: usize, interrupt: Interrupt) -> Self {
        ApplyOptions {
            backup_dir,
            concurrency,
            interrupt,
            policy_propagation_delay: Duration::from_secs(2),
            mutation_interval: Duration::from_secs(1),
        }
    }
}

/// Spaces one account's mutating calls by the CloudTrail quota, and takes one of the run's call permits
/// for each call only, so an account waiting out its interval does not hold back the others.
struct Pacer<'a> {
    permits: &'a Semaphore,
    interval: Duration,
    last: Option<Instant>,
}

impl Pacer<'_> {
    async fn call<T>(&mut self, f: impl Future<Output = T>) -> T {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        let _permit = self.permits.acquire().await;
        self.last = Some(Instant::now());
        f.await
    }
}

impl From<AwsError> for ApplyError {
    fn from(e: AwsError) -> Self {
        ApplyError::Aws(e)
    }
}

/// The run could not start, or the shared policy could not be made right: nothing was done to any trail.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{0}; {hint}", hint = .0.hint())]
    Aws(AwsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "cannot back up the bucket policy to {path}; nothing was written (runbooks/troubleshooting.md#cannot-back-up-the-bucket-policy)"
    )]
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
    /// Writes made after the trails, because another apply had replaced the policy without our entries
    /// meanwhile (its read came before our write).
    pub rewrites_after_trails: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AccountResult {
    Unchanged,
    Changed {
        done: Vec<String>,
    },
    Failed {
        #[serde(flatten)]
        failure: AccountFailure,
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
    /// Guards turned on: Block Public Access, versioning, default encryption.
    pub guards_turned_on: Vec<Guard>,
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
    org: Option<&Org>,
    backup_dir: &Path,
) -> Result<(PolicyOutcome, serde_json::Value), ApplyError> {
    let bucket = &cfg.central.bucket;
    let mut outcome = PolicyOutcome::default();
    let mut live = central.get_bucket_policy(bucket).await?;
    for _ in 0..MAX_POLICY_WRITES {
        let merged = desired_policy(cfg, targets, org, live.as_deref())?;
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
    scope: &Scope,
    plan: &Plan,
    observations: Vec<Observation<C::Member>>,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    if opts.interrupt.is_set() {
        // interrupted before anything was written: write nothing, report every account as skipped
        let accounts = plan
            .accounts
            .iter()
            .map(|p| AccountOutcome {
                id: p.id.clone(),
                name: p.name.clone(),
                trail_arn: p.trail_arn.clone(),
                result: AccountResult::Skipped,
            })
            .collect();
        return Ok(ApplyReport {
            bucket: cfg.central.bucket.to_string(),
            bucket_created: false,
            guards_turned_on: vec![],
            policy: PolicyOutcome::default(),
            accounts,
            interrupted: true,
        });
    }
    let bucket_created = plan.bucket_action == BucketAction::Create
        && !central.bucket_exists(&cfg.central.bucket).await?;
    if bucket_created {
        central
            .create_bucket(&cfg.central.bucket, &cfg.central.region)
            .await?;
        tracing::info!(bucket = %cfg.central.bucket, "created the bucket");
    }
    // a new bucket gets every guard; an existing one those found off (a run that died after CreateBucket)
    central
        .turn_on(&cfg.central.bucket, &plan.bucket_guards)
        .await?;
    let (policy, in_force) = write_policy(
        central,
        cfg,
        &scope.targets,
        scope.org.as_ref(),
        &opts.backup_dir,
    )
    .await?;

    let mut members: HashMap<AccountId, C::Member> = observations
        .into_iter()
        .filter_map(|o| o.member.map(|m| (o.target.id, m)))
        .collect();
    let work: Vec<_> = scope
        .targets
        .iter()
        .zip(&plan.accounts)
        .map(|(t, p)| (t.clone(), p.clone(), members.remove(&t.id)))
        .collect();
    let in_force = &in_force;
    let org = scope.org.as_ref();
    // `concurrency` bounds the calls under way; more accounts than that are in flight so that those
    // waiting out CloudTrail's 1 TPS interval between CreateTrail and StartLogging leave the permits to others.
    let permits = &Semaphore::new(opts.concurrency.max(1));
    let accounts_in_flight = opts.concurrency.max(1) * 16;
    let mut accounts: Vec<(usize, AccountOutcome)> = stream::iter(work.into_iter().enumerate())
        .map(|(i, (target, planned, member))| async move {
            // an account starts when it gets its first call permit: a Ctrl-C before that skips it
            let started = permits.acquire().await.map(drop).is_ok() && !opts.interrupt.is_set();
            let result = if !started {
                AccountResult::Skipped
            } else {
                let verdict = delivery_verdict(cfg, in_force, org, &target.id, &planned.trail_arn);
                match (&planned.status, member) {
                    (AccountPlanStatus::Unreachable(f), _) => failed(f.clone()),
                    (AccountPlanStatus::PolicyDenies { message }, _) => {
                        failed(AccountFailure::PolicyDenies {
                            message: message.clone(),
                        })
                    }
                    _ if !verdict.allowed() => failed(AccountFailure::PolicyDenies {
                        message: denial_message(in_force, &verdict),
                    }),
                    (AccountPlanStatus::Changes { changes }, _) if changes.is_empty() => {
                        AccountResult::Unchanged
                    }
                    (AccountPlanStatus::Changes { changes }, Some(m)) => {
                        let pacer = Pacer {
                            permits,
                            interval: opts.mutation_interval,
                            last: None,
                        };
                        let delay = opts.policy_propagation_delay;
                        apply_account(&m, cfg, &target, changes, delay, pacer).await
                    }
                    (AccountPlanStatus::Changes { .. }, None) => {
                        failed(AccountFailure::NotObserved)
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
        .buffer_unordered(accounts_in_flight)
        .collect()
        .await;
    accounts.sort_by_key(|(i, _)| *i);

    // Another apply that read the policy before our write and wrote after our read-back replaced it
    // without our entries: check once more now that the trails are made, and merge again if so.
    let mut policy = policy;
    let (again, _) = write_policy(central, cfg, &scope.targets, org, &opts.backup_dir).await?;
    if again.written {
        tracing::warn!(
            "another writer had replaced the bucket policy without this run's entries: merged and wrote it again"
        );
        policy.rewrites_after_trails = again.writes;
        policy.backup = policy.backup.or(again.backup);
    }
    Ok(ApplyReport {
        bucket: cfg.central.bucket.to_string(),
        bucket_created,
        guards_turned_on: plan.bucket_guards.clone(),
        policy,
        accounts: accounts.into_iter().map(|(_, a)| a).collect(),
        interrupted: opts.interrupt.is_set(),
    })
}

fn log_outcome(o: &AccountOutcome) {
    match &o.result {
        AccountResult::Failed { failure, .. } => {
            tracing::warn!(account = %o.id, code = failure.code(), "failed: {}", failure.message())
        }
        r => tracing::info!(account = %o.id, result = ?r, "done"),
    }
}

fn failed(failure: AccountFailure) -> AccountResult {
    AccountResult::Failed {
        failure,
        done: vec![],
    }
}

async fn apply_account<M: Member>(
    member: &M,
    cfg: &Config,
    target: &Target,
    changes: &[TrailChange],
    propagation_delay: Duration,
    mut pacer: Pacer<'_>,
) -> AccountResult {
    let desired = desired_trail(cfg, target);
    let mut done = Vec::new();
    for change in changes {
        let r = match change {
            TrailChange::Create => {
                create_with_retry(member, &desired, propagation_delay, &mut pacer).await
            }
            TrailChange::Update { .. } => pacer.call(member.update_trail(&desired)).await,
            TrailChange::StartLogging => {
                pacer
                    .call(member.start_logging(desired.name.as_str()))
                    .await
            }
        };
        if let Err(e) = r {
            return AccountResult::Failed {
                failure: AccountFailure::Aws(e.in_account(&target.id)),
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
    desired: &DesiredTrail,
    delay: Duration,
    pacer: &mut Pacer<'_>,
) -> Result<(), AwsError> {
    let mut wait = delay;
    let mut retries = 0;
    loop {
        match pacer.call(member.create_trail(desired)).await {
            Err(e) if e.kind == ErrorKind::InsufficientBucketPolicy && retries < 3 => {
                tracing::info!(trail = %desired.arn, "bucket policy not yet in force for CloudTrail; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait *= 2;
                retries += 1;
            }
            Err(e) if e.kind == ErrorKind::AlreadyExists => {
                return pacer.call(member.update_trail(desired)).await;
            }
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeAws;

    fn config(members: usize) -> Config {
        let mut text = String::from(
            "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n[members]\ntrail_name = \"{name}-CT\"\n",
        );
        for i in 0..members {
            text += &format!(
                "[[account]]\nid = \"{:012}\"\nname = \"M{i}\"\n",
                200000000000u64 + i as u64
            );
        }
        Config::parse(Path::new("t.toml"), &text).unwrap()
    }

    async fn run(aws: &FakeAws, cfg: &Config, opts: &ApplyOptions) -> ApplyReport {
        let (scope, p, obs) =
            crate::commands::full_plan(aws, cfg, opts.concurrency, &opts.interrupt)
                .await
                .unwrap();
        apply(aws, cfg, &scope, &p, obs, opts).await.unwrap()
    }

    fn opts(dir: &Path) -> ApplyOptions {
        ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
    }

    #[tokio::test(start_paused = true)]
    async fn converges_then_changes_nothing_with_the_fewest_calls() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        let cfg = config(10);
        let report = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 0, "{report:#?}");
        assert!(report.bucket_created);
        assert_eq!(report.guards_turned_on, Guard::ALL);
        // a new member: AssumeRole, DescribeTrails, CreateTrail, StartLogging (k = 4); central: no AssumeRole
        assert_eq!(aws.calls("AssumeRole"), 10);
        assert_eq!(aws.calls("DescribeTrails"), 11);
        assert_eq!(aws.calls("CreateTrail"), 11);
        assert_eq!(aws.calls("StartLogging"), 11);
        assert_eq!(aws.calls("GetTrailStatus"), 0);
        assert_eq!(aws.calls("PutBucketPolicy"), 1);

        let before = aws.world().calls.clone();
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert!(
            again
                .accounts
                .iter()
                .all(|a| a.result == AccountResult::Unchanged)
        );
        assert!(!again.policy.written);
        let after = aws.world().calls.clone();
        let delta =
            |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
        // an account already right: AssumeRole, DescribeTrails, GetTrailStatus (k = 3), and no write at all
        assert_eq!(
            (
                delta("AssumeRole"),
                delta("DescribeTrails"),
                delta("GetTrailStatus")
            ),
            (10, 11, 11)
        );
        for op in [
            "CreateTrail",
            "UpdateTrail",
            "StartLogging",
            "PutBucketPolicy",
            "CreateBucket",
        ] {
            assert_eq!(delta(op), 0, "{op}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_unreachable_account_does_not_stop_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(10));
        aws.world().deny_assume.insert("200000000001".into());
        let report = run(&aws, &config(3), &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 1);
        let failed: Vec<_> = report
            .accounts
            .iter()
            .filter(|a| matches!(a.result, AccountResult::Failed { .. }))
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id.as_str(), "200000000001");
        assert!(
            matches!(&failed[0].result, AccountResult::Failed { failure, .. } if failure.code() == "AccessDenied")
        );
        assert_eq!(aws.calls("CreateTrail"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn the_quota_interval_does_not_serialize_the_run() {
        // 100 new accounts, 4 calls at once, 50 ms a call, 1 s between an account's two mutating calls:
        // the pacing overlaps across accounts, so the run stays near the call bound, not 100/4 * 1 s.
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        let start = Instant::now();
        let report = run(&aws, &config(100), &opts(dir.path())).await;
        let took = start.elapsed();
        assert_eq!(report.exit_code(), 0);
        let bound = Duration::from_millis(50) * (101_u32.div_ceil(4) * 4);
        assert!(
            took < bound * 13 / 10 + Duration::from_secs(2),
            "took {took:?}, bound {bound:?}"
        );
        // the accounts' calls stay within the bound of 4; the bucket's reads (HeadBucket, then its policy and
        // guards at once) run alongside the first observations
        assert!(aws.max_in_flight() <= 4 + 3, "{}", aws.max_in_flight());
    }

    #[tokio::test(start_paused = true)]
    async fn interrupted_runs_skip_and_a_rerun_converges() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(10));
        let cfg = config(5);
        let o = opts(dir.path());
        o.interrupt.trigger();
        let report = run(&aws, &cfg, &o).await;
        assert!(report.interrupted);
        assert_eq!(report.exit_code(), 1);
        assert!(
            report
                .accounts
                .iter()
                .all(|a| a.result == AccountResult::Skipped)
        );
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(again.exit_code(), 0);
        assert_eq!(aws.calls("StartLogging"), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_foreign_policy_is_backed_up_before_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let foreign = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::sec-log"}]}"#;
        aws.world()
            .buckets
            .insert("sec-log".into(), Some(foreign.into()));
        let report = run(&aws, &config(1), &opts(dir.path())).await;
        let backup = report.policy.backup.expect("a backup");
        assert_eq!(std::fs::read_to_string(backup).unwrap(), foreign);
        let now: serde_json::Value =
            serde_json::from_str(aws.world().buckets["sec-log"].as_deref().unwrap()).unwrap();
        assert_eq!(
            now["Statement"][0],
            serde_json::from_str::<serde_json::Value>(foreign).unwrap()["Statement"][0]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn observation_overlaps_the_listing_of_the_organization() {
        // 400 accounts: 20 ListAccounts pages at 50 ms = 1 s serial; observing them 16 at a time, 2 calls
        // each, is 25 rounds * 100 ms = 2.5 s. One after the other: 3.5 s; overlapped: about 2.6 s.
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        {
            let mut w = aws.world();
            w.org_id = Some("o-abcdef1234".into());
            w.org_accounts = (0..400)
                .map(|i| crate::aws::OrgAccount {
                    id: format!("{:012}", 300000000000u64 + i),
                    name: format!("A{i}"),
                    active: true,
                })
                .collect();
        }
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
        let start = Instant::now();
        let (scope, obs) =
            crate::discover::scope_and_observe(&aws, &cfg, 16, &Interrupt::default())
                .await
                .unwrap();
        let took = start.elapsed();
        assert_eq!(scope.targets.len(), 400);
        assert_eq!(obs.len(), 400);
        assert!(
            obs.iter()
                .zip(&scope.targets)
                .all(|(o, t)| o.target.id == t.id),
            "same order"
        );
        assert_eq!(scope.org.as_ref().map(|o| o.members.len()), Some(400));
        assert!(
            took < Duration::from_millis(2900),
            "took {took:?}: listing and observing did not overlap"
        );
    }
}
