//! Making it so (async, over the `aws` traits): the bucket, the one write of the bucket policy (backed up,
//! read back, re-merged if another writer got in between), then every account, concurrently within a
//! bound: its trail (with the trail's CloudWatch Logs delivery) and its VPCs' flow logs. Each account's
//! outcome is reported, part by part; one failure never stops the others.

mod account;
mod alarm_queues;
mod alarms;
mod backup;
mod bucket_settings;
mod flow_logs;
mod guardrails;
mod key_write;
mod offboard;
mod pacer;
mod policy_write;
pub mod queue_policy;
mod report;
mod setup;
pub mod subscriptions;
mod trail;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use tokio::sync::Semaphore;

pub use self::alarm_queues::{AlarmQueueOutcome, SubscriptionCounts};
pub use self::alarms::AlarmsOutcome;
pub use self::backup::backup_policy;
pub use self::bucket_settings::SettingOutcome;
pub use self::guardrails::{GuardrailsOutcome, apply_guardrails};
pub use self::key_write::KeyOutcome;
pub use self::offboard::{OffboardDone, OffboardTargets, offboard};
pub use self::pacer::Intervals;
pub(crate) use self::policy_write::write_policy;
pub use self::report::{
    AccountOutcome, ApplyRun, CloudWatchOutcome, FlowLogsOutcome, MadeFlowLog, PartStatus,
    PolicyOutcome,
};
use crate::aws::{AwsError, Central};
use crate::config::Config;
use crate::interrupt::Interrupt;
use crate::observe::{Observation, Scope};
use crate::plan::policy::PolicyError;
use crate::plan::prune::Prune;
use crate::plan::{BucketAction, Plan};
use crate::progress::SharedProgress;
use account::{Shared, run_account};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub backup_dir: PathBuf,
    pub concurrency: usize,
    pub interrupt: Interrupt,
    /// How long to wait before retrying CreateTrail refused for the bucket policy (AWS propagates a new
    /// policy within seconds), or a flow log to the bucket that delivery.logs may not write to yet;
    /// doubled each time, three retries.
    pub policy_propagation_delay: Duration,
    /// How long to wait before retrying CreateTrail or UpdateTrail refused because CloudTrail cannot use a
    /// new CloudWatch Logs role yet (IAM propagates within seconds, at times a minute); doubled each time,
    /// five retries.
    pub role_propagation_delay: Duration,
    /// The least time between two mutating CloudTrail calls in one account: CloudTrail allows 1 TPS per
    /// account and region for everything but Get/Describe/List.
    pub mutation_interval: Duration,
    /// The same for CloudWatch Logs, IAM and EC2 (see `pacer` for each quota).
    pub intervals: Intervals,
    /// Told of each account as its outcome is known; silent unless the command gives one that shows.
    pub progress: SharedProgress,
    /// `--prune`: the plan takes the entries of accounts out of scope out of the policies (the writers then
    /// merge as planned, with [`Plan::prune`]).
    pub prune: Prune,
}

impl ApplyOptions {
    pub fn new(backup_dir: PathBuf, concurrency: usize, interrupt: Interrupt) -> Self {
        ApplyOptions {
            backup_dir,
            concurrency,
            interrupt,
            policy_propagation_delay: Duration::from_secs(2),
            role_propagation_delay: Duration::from_secs(2),
            mutation_interval: Duration::from_secs(1),
            intervals: Intervals::default(),
            progress: SharedProgress::default(),
            prune: Prune::Off,
        }
    }
}

/// The run could not start, or the shared policy could not be made right: nothing was done to any trail.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The AWS error's words and its hint, in one line; not a `#[source]`, which would print them twice.
    #[error("{0}; {hint}", hint = .0.hint())]
    Aws(AwsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Key(#[from] crate::plan::key_policy::KeyPolicyError),
    #[error(
        "the KMS key policy kept changing under trailhub ({attempts} writes, each followed by another writer's change); nothing was done to any trail. Run again when the other writer is done (runbooks/kms.md#key-policy-changed-during-apply)"
    )]
    KeyPolicyRace { attempts: usize },
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

impl From<AwsError> for ApplyError {
    fn from(e: AwsError) -> Self {
        ApplyError::Aws(e)
    }
}

/// Applies a plan: bucket, policy, then every account.
pub async fn apply<C: Central>(
    central: &C,
    cfg: &Config,
    scope: &Scope,
    plan: &Plan,
    observations: Vec<Observation<C::Member>>,
    opts: &ApplyOptions,
) -> Result<ApplyRun, ApplyError> {
    if opts.interrupt.is_set() {
        // interrupted before anything was written: write nothing, report every account as skipped
        let bucket = cfg.central.bucket.to_string();
        return Ok(ApplyRun::interrupted_before_start(bucket, plan));
    }
    let bucket_created = make_bucket(central, cfg, plan).await?;
    let org = scope.org.as_ref();
    let (policy, in_force) = write_policy(
        central,
        cfg,
        &plan.prune,
        &plan.entries,
        &plan.flow_log_accounts,
        org,
        &opts.backup_dir,
    )
    .await?;
    let key = key_write::write_key(central, cfg, plan, &opts.backup_dir).await?;
    let shared = Shared {
        central,
        cfg,
        opts,
        in_force: &in_force,
        sources: &plan.sources,
        permits: &Semaphore::new(opts.concurrency.max(1)),
        key_in_force: key.as_ref().map(|k| (k.arn.as_str(), &k.in_force)),
    };
    let accounts = apply_accounts(&shared, scope, plan, observations).await;
    // the members' topics exist now: each queue's policy, then the subscriptions
    let alarm_queues = if opts.interrupt.is_set() {
        vec![]
    } else {
        let org_id = org.map(|o| o.id.as_str());
        alarm_queues::apply_alarm_queues(central, cfg, plan, org_id, &opts.backup_dir).await
    };
    let policy = recheck_policy(central, cfg, scope, plan, opts, policy).await?;
    let settings = if opts.interrupt.is_set() {
        vec![]
    } else {
        let key_arn = key.as_ref().map(|k| k.arn.as_str());
        bucket_settings::apply_settings(central, cfg, plan, key_arn, &accounts).await
    };
    let guardrails = match (&plan.guardrails, opts.interrupt.is_set()) {
        (Some(g), false) => Some(apply_guardrails(central, g, &opts.backup_dir).await),
        _ => None,
    };
    Ok(ApplyRun {
        bucket: cfg.central.bucket.to_string(),
        bucket_created,
        guards_turned_on: plan.bucket_guards.clone(),
        policy,
        key,
        settings,
        key_blocked: plan
            .key
            .as_ref()
            .and_then(|k| k.blocked())
            .map(str::to_owned),
        bucket_notes: plan.settings.notes.clone(),
        accounts,
        alarm_queues,
        interrupted: opts.interrupt.is_set(),
        guardrails,
    })
}

/// Creates the bucket when the plan says so and it is still missing, and turns on the planned guards.
/// Returns whether this run created it.
async fn make_bucket<C: Central>(central: &C, cfg: &Config, plan: &Plan) -> Result<bool, AwsError> {
    let bucket_created = plan.bucket_action == BucketAction::Create
        && !central.bucket_exists(&cfg.central.bucket).await?;
    if bucket_created {
        central
            .create_bucket(
                &cfg.central.bucket,
                cfg.central
                    .bucket_region
                    .as_ref()
                    .unwrap_or(&cfg.central.region),
            )
            .await?;
        tracing::info!(bucket = %cfg.central.bucket, "created the bucket");
    }
    // a new bucket gets every guard; an existing one those found off (a run that died after CreateBucket)
    central
        .turn_on(&cfg.central.bucket, &plan.bucket_guards)
        .await?;
    Ok(bucket_created)
}

/// Every account in scope, each with its plan and the client its observation kept, within the bound;
/// outcomes in the plan's order.
async fn apply_accounts<C: Central>(
    shared: &Shared<'_, C>,
    scope: &Scope,
    plan: &Plan,
    observations: Vec<Observation<C::Member>>,
) -> Vec<AccountOutcome> {
    let mut members: HashMap<_, C::Member> = observations
        .into_iter()
        .filter_map(|o| o.member.map(|m| (o.target.id, m)))
        .collect();
    let work: Vec<_> = scope
        .targets
        .iter()
        .zip(&plan.accounts)
        .map(|(t, p)| (t.clone(), p.clone(), members.remove(&t.id)))
        .collect();
    // `concurrency` bounds the calls under way; more accounts than that are in flight so that those
    // waiting out CloudTrail's 1 TPS interval between CreateTrail and StartLogging leave the permits to others.
    let accounts_in_flight = shared.opts.concurrency.max(1) * 16;
    let mut accounts: Vec<(usize, AccountOutcome)> = stream::iter(work.into_iter().enumerate())
        .map(|(i, (target, planned, member))| async move {
            let outcome = run_account(shared, target, planned, member).await;
            shared.opts.progress.account_done(outcome.has_failed());
            (i, outcome)
        })
        .buffer_unordered(accounts_in_flight)
        .collect()
        .await;
    accounts.sort_by_key(|(i, _)| *i);
    accounts.into_iter().map(|(_, a)| a).collect()
}

/// Another apply that read the policy before our write and wrote after our read-back replaced it
/// without our entries: check once more now that the trails are made, and merge again if so.
async fn recheck_policy<C: Central>(
    central: &C,
    cfg: &Config,
    scope: &Scope,
    plan: &Plan,
    opts: &ApplyOptions,
    mut policy: PolicyOutcome,
) -> Result<PolicyOutcome, ApplyError> {
    let org = scope.org.as_ref();
    let (again, _) = write_policy(
        central,
        cfg,
        &plan.prune,
        &plan.entries,
        &plan.flow_log_accounts,
        org,
        &opts.backup_dir,
    )
    .await?;
    if again.written {
        tracing::warn!(
            "another writer had replaced the bucket policy without this run's entries: merged and wrote it again"
        );
        policy.rewrites_after_trails = again.writes;
        policy.backup = policy.backup.or(again.backup);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    // scenario tests of the KMS key, of the CloudWatch Logs and flow logs delivery, and of an
    // organization trail seen from the members, of the retention rules, of the flow logs' options, and of
    // the data-perimeter statements kept
    mod alarm_queue;
    mod alarms;
    mod boundary;
    mod data_perimeter;
    mod flow_options;
    mod guardrails;
    mod kms;
    mod logs;
    mod org_trail;
    mod organizations;
    mod regions;
    mod retention;
    mod untagged;

    use std::path::Path;

    use tokio::time::Instant;

    use super::*;
    use crate::aws::Guard;
    use crate::fake::FakeAws;
    use crate::fixtures::config;
    use crate::interrupt::Interrupt;

    async fn run(aws: &FakeAws, cfg: &Config, opts: &ApplyOptions) -> ApplyRun {
        crate::fixtures::plan_and_apply(aws, cfg, opts).await.1
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
        // a new member: AssumeRole, DescribeTrails, CreateTrail, GetEventSelectors, StartLogging (k = 5);
        // central: no AssumeRole. Issue 20, point 12: AWS's new trail logs every management event
        // already (CT-6), so no PutEventSelectors
        assert_eq!(aws.calls("AssumeRole"), 10);
        assert_eq!(aws.calls("DescribeTrails"), 11);
        assert_eq!(aws.calls("CreateTrail"), 11);
        assert_eq!(aws.calls("GetEventSelectors"), 11);
        assert_eq!(aws.calls("PutEventSelectors"), 0);
        assert_eq!(aws.calls("StartLogging"), 11);
        assert_eq!(aws.calls("GetTrailStatus"), 0);
        assert_eq!(aws.calls("PutBucketPolicy"), 1);

        let before = aws.world().calls.clone();
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert!(
            again
                .accounts
                .iter()
                .all(|a| a.result == PartStatus::Unchanged)
        );
        assert!(!again.policy.written);
        let after = aws.world().calls.clone();
        let delta =
            |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
        // an account already right: AssumeRole, DescribeTrails, then GetTrailStatus and GetEventSelectors
        // at once (k = 4 in 3 round trips), and no write at all
        assert_eq!(
            (
                delta("AssumeRole"),
                delta("DescribeTrails"),
                delta("GetTrailStatus"),
                delta("GetEventSelectors")
            ),
            (10, 11, 11, 11)
        );
        for op in [
            "CreateTrail",
            "UpdateTrail",
            "PutEventSelectors",
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
            .filter(|a| matches!(a.result, PartStatus::Failed { .. }))
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id.as_str(), "200000000001");
        assert!(
            matches!(&failed[0].result, PartStatus::Failed { failure, .. } if failure.code() == "AccessDenied")
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
                .all(|a| a.result == PartStatus::Skipped)
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

    /// Issue 10, point 2: a member admin switched the management events of trailhub's trail off; plan says
    /// so, apply puts them back keeping the data events, and a second run changes nothing.
    #[tokio::test(start_paused = true)]
    async fn management_events_switched_off_are_restored() {
        use crate::aws::{BasicSelector, EventSelectors, ReadWrite};
        use crate::plan::trails::TrailChange;
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let cfg = config(1);
        run(&aws, &cfg, &opts(dir.path())).await;
        let arn = "arn:aws:cloudtrail:ap-northeast-2:200000000000:trail/M0-CT";
        let data = BasicSelector {
            read_write: ReadWrite::All,
            management: false,
            excluded_sources: vec![],
            data_resources: vec![("AWS::S3::Object".into(), vec!["arn:aws:s3:::b/".into()])],
        };
        let off = EventSelectors {
            basic: vec![data.clone()],
            advanced: vec![],
        };
        aws.world().selectors.insert(arn.into(), off);
        let (_, p, _) = crate::fixtures::observe_and_plan(&aws, &cfg, 2, &Interrupt::default())
            .await
            .unwrap();
        let member = p
            .accounts
            .iter()
            .find(|a| a.trail_arn.to_string() == arn)
            .unwrap();
        assert!(
            matches!(member.changes(), [TrailChange::EventSelectors { now, .. }] if now == "no management events"),
            "{member:?}"
        );
        assert_eq!(
            member.changes()[0].describe(),
            "event selectors: no management events -> all management events"
        );
        let report = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 0, "{report:#?}");
        let now = aws.world().selectors[arn].clone();
        assert!(crate::plan::selectors::management(&now).all(), "{now:?}");
        assert_eq!(now.basic.len(), 1);
        assert_eq!(
            now.basic[0].data_resources, data.data_resources,
            "data events kept"
        );
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert!(
            again
                .accounts
                .iter()
                .all(|a| a.result == PartStatus::Unchanged)
        );
    }

    /// Issue 10, point 1: a trail made by hand years ago already covers the account; trailhub creates no
    /// second one, keeps that trail in the policy, and a second run changes nothing.
    #[tokio::test(start_paused = true)]
    async fn an_existing_trail_that_covers_the_account_is_kept_and_no_second_one_is_made() {
        use crate::plan::AccountPlanStatus;
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let region = "ap-northeast-2".parse().unwrap();
        let legacy = crate::fake::fake_trail(&region, "200000000000", "Legacy", "sec-log");
        let status = crate::aws::TrailStatus {
            is_logging: true,
            ..Default::default()
        };
        aws.world()
            .trails
            .insert("200000000000".into(), vec![(legacy.clone(), status)]);
        let cfg = config(1);
        let (_, p, _) = crate::fixtures::observe_and_plan(&aws, &cfg, 2, &Interrupt::default())
            .await
            .unwrap();
        let member = &p.accounts[1];
        assert_eq!(
            member.status,
            AccountPlanStatus::Covered {
                by: legacy.arn.clone()
            }
        );
        assert!(
            p.entries
                .iter()
                .any(|e| e.trail_arn.to_string() == legacy.arn)
        );
        let report = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 0, "{report:#?}");
        assert_eq!(
            report.accounts[1].result,
            PartStatus::Covered {
                by: legacy.arn.clone()
            }
        );
        // only the central account's trail was made; the policy lets the legacy trail write
        assert_eq!(aws.calls("CreateTrail"), 1);
        assert_eq!(aws.world().trails["200000000000"].len(), 1);
        let text = aws.world().buckets["sec-log"].clone().unwrap();
        assert!(text.contains(&legacy.arn), "{text}");
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert!(!again.policy.written);
        assert_eq!(aws.calls("CreateTrail"), 1);
        // the audit judges the legacy trail with what discovery read: one status read per trail, not two
        let before = (aws.calls("GetTrailStatus"), aws.calls("GetEventSelectors"));
        let audit_opts = crate::audit::AuditOptions {
            concurrency: 2,
            max_age: Duration::from_secs(86_400),
            progress: Default::default(),
        };
        let now = time::OffsetDateTime::now_utc();
        let r = crate::audit::audit(&aws, &cfg, &audit_opts, now)
            .await
            .unwrap();
        assert_eq!(
            r.accounts[1].trail_arn.as_deref(),
            Some(legacy.arn.as_str())
        );
        let after = (aws.calls("GetTrailStatus"), aws.calls("GetEventSelectors"));
        assert_eq!((after.0 - before.0, after.1 - before.1), (2, 2));
    }

    /// Issue 10, point 1: another trail logs the account's management events elsewhere (Control Tower's
    /// organization trail to its Log Archive bucket): trailhub's trail would be a billed second copy. The
    /// default says so and makes it; `second_copy = "refuse"` leaves the account out (exit 1).
    #[tokio::test(start_paused = true)]
    async fn a_second_copy_of_management_events_is_said_and_can_be_refused() {
        use crate::plan::AccountPlanStatus;
        let dir = tempfile::tempdir().unwrap();
        let region = "ap-northeast-2".parse().unwrap();
        let mut ct = crate::fake::fake_trail(
            &region,
            "999999999999",
            "aws-controltower-BaselineCloudTrail",
            "aws-controltower-logs-999999999999-ap-northeast-2",
        );
        ct.organization_trail = true;
        let seeded = || {
            let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
            let status = crate::aws::TrailStatus {
                is_logging: true,
                ..Default::default()
            };
            aws.world()
                .trails
                .insert("200000000000".into(), vec![(ct.clone(), status)]);
            aws
        };
        let aws = seeded();
        let report = run(&aws, &config(1), &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 0, "{report:#?}");
        assert_eq!(
            report.accounts[1]
                .second_copy_of
                .as_ref()
                .map(|(a, _)| a.as_str()),
            Some(ct.arn.as_str())
        );
        assert!(matches!(
            report.accounts[1].result,
            PartStatus::Changed { .. }
        ));

        let aws = seeded();
        let mut cfg = config(1);
        cfg.members.second_copy = crate::config::SecondCopy::Refuse;
        let (_, p, _) = crate::fixtures::observe_and_plan(&aws, &cfg, 2, &Interrupt::default())
            .await
            .unwrap();
        assert!(
            matches!(&p.accounts[1].status, AccountPlanStatus::SecondCopy { of, .. } if *of == ct.arn),
            "{:?}",
            p.accounts[1]
        );
        let report = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 1);
        assert!(
            matches!(&report.accounts[1].result, PartStatus::Failed { failure, .. } if failure.code() == "SecondCopy"),
            "{:?}",
            report.accounts[1]
        );
        assert_eq!(
            aws.calls("CreateTrail"),
            1,
            "only the central account's trail"
        );
    }

    /// Issue 10, point 3: trailhub's trail exists but is homed in another region (made with another
    /// --region, or by hand): a clear failure for that account, never a CreateTrail that fails every run.
    #[tokio::test(start_paused = true)]
    async fn a_trail_of_trailhubs_name_homed_elsewhere_is_reported_not_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let elsewhere = crate::fake::fake_trail(
            &"us-east-1".parse().unwrap(),
            "200000000000",
            "M0-CT",
            "sec-log",
        );
        aws.world().trails.insert(
            "200000000000".into(),
            vec![(elsewhere.clone(), Default::default())],
        );
        let report = run(&aws, &config(1), &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 1);
        match &report.accounts[1].result {
            PartStatus::Failed { failure, .. } => {
                assert_eq!(failure.code(), "TrailHomedElsewhere");
                assert!(
                    failure.message().contains("homed in us-east-1"),
                    "{}",
                    failure.message()
                );
            }
            r => panic!("{r:?}"),
        }
        assert_eq!(
            aws.calls("CreateTrail"),
            1,
            "only the central account's trail"
        );
    }

    /// Issue 10, point 1: an organization trail (its ARN names the management account) that delivers to the
    /// bucket under the organization's ID covers the members: no trailhub trail there, its ARN and its
    /// `AWSLogs/<org-id>/<id>/` place are entries of the policy, and the audit judges it.
    #[tokio::test(start_paused = true)]
    async fn an_organization_trail_delivering_to_the_bucket_covers_the_members() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let region = "ap-northeast-2".parse().unwrap();
        let mut org_trail = crate::fake::fake_trail(&region, "999999999999", "OrgTrail", "sec-log");
        org_trail.organization_trail = true;
        {
            aws.set_organization("o-abc123", &["999999999999", "200000000000"]);
            let mut w = aws.world();
            let logging = crate::aws::TrailStatus {
                is_logging: true,
                ..Default::default()
            };
            for id in ["999999999999", "200000000000"] {
                w.trails
                    .insert(id.into(), vec![(org_trail.clone(), logging.clone())]);
            }
        }
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
        let report = run(&aws, &cfg, &opts(dir.path())).await;
        assert_eq!(report.exit_code(), 0, "{report:#?}");
        assert!(
            report.accounts.iter().all(|a| a.result
                == PartStatus::Covered {
                    by: org_trail.arn.clone()
                }),
            "{report:#?}"
        );
        assert_eq!(aws.calls("CreateTrail"), 0);
        let policy = aws.world().buckets["sec-log"].clone().unwrap();
        assert!(policy.contains(&org_trail.arn), "{policy}");
        assert!(
            policy.contains("AWSLogs/o-abc123/200000000000/*") || policy.contains("AWSLogs/*"),
            "{policy}"
        );
        let again = run(&aws, &cfg, &opts(dir.path())).await;
        assert!(!again.policy.written);
    }

    /// `--prune` keeps the entries of an account in scope that cannot be worked on (its name makes no
    /// trail name now, say after a rename): the trail made for it before still writes. Only the account
    /// that left the organization goes.
    #[tokio::test(start_paused = true)]
    async fn prune_keeps_an_account_in_scope_that_cannot_be_worked_on() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let names = [("200000000000", "Fine"), ("200000000001", "Two")];
        {
            let mut w = aws.world();
            w.org_id = Some("o-abc123".into());
            w.org_accounts = names
                .iter()
                .map(|(id, name)| crate::aws::OrgAccount {
                    id: (*id).into(),
                    name: (*name).into(),
                    active: true,
                })
                .collect();
        }
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
        assert_eq!(run(&aws, &cfg, &opts(dir.path())).await.exit_code(), 0);
        // one account is renamed to a name that makes no trail name; the other leaves the organization
        {
            let mut w = aws.world();
            w.org_accounts[0].name = "日本".into();
            w.org_accounts.pop();
        }
        let (scope, plan, _) = crate::commands::observe_and_plan(
            &aws,
            &cfg,
            &Prune::from_flag(true),
            2,
            &Interrupt::default(),
            &crate::progress::Silent,
        )
        .await
        .unwrap();
        assert_eq!(scope.rejected.len(), 1, "{:?}", scope.rejected);
        assert!(!plan.policy.pruned.is_empty(), "{:?}", plan.policy.pruned);
        assert!(
            plan.policy
                .pruned
                .iter()
                .all(|e| e.contains("200000000001")),
            "only the account that left: {:?}",
            plan.policy.pruned
        );
        assert!(plan.policy.text.contains("200000000000"));
    }
}
