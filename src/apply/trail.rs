//! The trail's part of an account (async, over the `aws` traits): its CloudWatch Logs setup (log group,
//! retention, role and its policy), then the trail changes as planned, CreateTrail and UpdateTrail naming
//! the group and the role. CloudTrail calls are retried while AWS propagates a new bucket policy or a new
//! role. When the CloudWatch Logs part cannot be made, the trail is still made to the bucket, and the
//! CloudWatch Logs part reports the failure: delivery to the central bucket never waits on it.

use std::time::Duration;

use super::pacer::{Pacer, Service};
use super::report::{CloudWatchOutcome, PartStatus};
use super::setup::{Made, apply_setup};
use crate::aws::{AwsError, DesiredTrail, ErrorKind, EventSelectors, Member};
use crate::plan::selectors;
use crate::plan::trails::{FieldChange, TrailChange};
use crate::plan::{AccountFailure, AccountPlan};

/// How long to wait before retrying a CloudTrail call that AWS refused only because something it needs
/// has not propagated yet; doubled after each retry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Retry {
    /// InsufficientS3BucketPolicyException after a new bucket policy: three retries.
    pub policy: Duration,
    /// InvalidCloudWatchLogsRoleArnException or InvalidCloudWatchLogsLogGroupArnException, "Access
    /// denied", after a new role: five retries (from 2 s: about a minute in all, as Terraform's provider
    /// waits, hashicorp/terraform-provider-aws PRs 1312 and 5499).
    pub role: Duration,
}

const POLICY_RETRIES: u32 = 3;
const ROLE_RETRIES: u32 = 5;

/// The FieldChange of a trail update that names the CloudWatch Logs group and role.
const CLOUDWATCH_FIELD: &str = "cloudwatch_logs";

/// Makes the account's CloudWatch Logs setup, then its trail changes in order, the trail stopping at its
/// first failure. The trail's result, and the CloudWatch Logs part's when `[cloudwatch]` applies.
pub(super) async fn apply_trail<M: Member>(
    member: &M,
    planned: &AccountPlan,
    changes: &[TrailChange],
    retry: Retry,
    pacer: &mut Pacer<'_>,
) -> (PartStatus, Option<CloudWatchOutcome>) {
    let mut run = TrailRun {
        member,
        trail: planned.trail.clone(),
        retry,
        cloudwatch_failure: None,
    };
    let mut setup = Made::default();
    if let Err(e) = apply_setup(member, &planned.cloudwatch, pacer, &mut setup).await {
        run.without_cloudwatch(e);
    }
    let mut done = Vec::new();
    let mut failure = None;
    for change in changes {
        match run.apply(change, pacer).await {
            Ok(Some(did)) => done.push(did),
            Ok(None) => {}
            Err(e) => {
                failure = Some(AccountFailure::Aws(e.in_account(&planned.id)));
                break;
            }
        }
    }
    let cloudwatch = planned.trail.cloudwatch.as_ref().map(|_| {
        let failure = run
            .cloudwatch_failure
            .map(|e| AccountFailure::Aws(e.in_account(&planned.id)));
        CloudWatchOutcome {
            result: PartStatus::of(setup.done, failure),
            setup: setup.made,
        }
    });
    (PartStatus::of(done, failure), cloudwatch)
}

/// A CloudTrail write that names the trail as trailhub wants it.
#[derive(Debug, Clone, Copy)]
enum Write {
    Create,
    Update,
}

/// The trail being made, and whether its CloudWatch Logs part was given up (then the trail is made without
/// it: `trail.cloudwatch` None leaves the trail's own setting as it is).
struct TrailRun<'m, M> {
    member: &'m M,
    trail: DesiredTrail,
    retry: Retry,
    cloudwatch_failure: Option<AwsError>,
}

impl<M: Member> TrailRun<'_, M> {
    fn without_cloudwatch(&mut self, e: AwsError) {
        tracing::warn!(
            trail = %self.trail.arn,
            "the trail's CloudWatch Logs delivery cannot be made ({e}); making the trail without it"
        );
        self.trail.cloudwatch = None;
        self.cloudwatch_failure.get_or_insert(e);
    }

    fn degraded(&self) -> bool {
        self.cloudwatch_failure.is_some()
    }

    /// One planned change; what was done in words, None when there was nothing left to do.
    async fn apply(
        &mut self,
        change: &TrailChange,
        pacer: &mut Pacer<'_>,
    ) -> Result<Option<String>, AwsError> {
        let member = self.member;
        let name = self.trail.name.as_str().to_owned();
        match change {
            TrailChange::Create => {
                self.write(Write::Create, pacer).await?;
                self.ensure_management_events(pacer).await?;
                Ok(Some(if self.degraded() {
                    "create trail (without CloudWatch Logs)".to_owned()
                } else {
                    change.describe()
                }))
            }
            TrailChange::Update { changes } => {
                let kept = self.fields_left(changes);
                if kept.is_empty() {
                    return Ok(None);
                }
                self.write(Write::Update, pacer).await?;
                let changes = self.fields_left(changes);
                Ok(Some(TrailChange::Update { changes }.describe()))
            }
            TrailChange::EventSelectors { put, .. } => {
                let put = member.put_event_selectors(&name, put);
                pacer.call(Service::CloudTrail, put).await?;
                Ok(Some(change.describe()))
            }
            TrailChange::StartLogging => {
                pacer
                    .call(Service::CloudTrail, member.start_logging(&name))
                    .await?;
                Ok(Some(change.describe()))
            }
        }
    }

    /// After CreateTrail: AWS gives a new trail every management event (aws-rules CT-6), so its selectors are
    /// read (a read, not paced as CloudTrail's writes are) and written only when they miss some, as an
    /// emulator's new trail does, or a trail that existed already. Written with its data events kept.
    async fn ensure_management_events(&self, pacer: &mut Pacer<'_>) -> Result<(), AwsError> {
        let (member, name) = (self.member, self.trail.name.as_str());
        let now = match pacer.read(member.event_selectors(name)).await {
            Ok(s) if selectors::management(&s).all() => return Ok(()),
            Ok(s) => s,
            Err(e) => {
                tracing::info!(trail = %self.trail.arn, "cannot read the new trail's event selectors ({e}); writing them");
                EventSelectors::default()
            }
        };
        let put = selectors::restored(&now);
        pacer
            .call(Service::CloudTrail, member.put_event_selectors(name, &put))
            .await
    }

    /// The fields of an update still to make: without the CloudWatch Logs one once that part was given up.
    fn fields_left(&self, changes: &[FieldChange]) -> Vec<FieldChange> {
        changes
            .iter()
            .filter(|c| !(self.degraded() && c.field == CLOUDWATCH_FIELD))
            .cloned()
            .collect()
    }

    /// CreateTrail or UpdateTrail, retried while AWS propagates; when CloudTrail still cannot use the new
    /// role or group, made once more without them.
    async fn write(&mut self, w: Write, pacer: &mut Pacer<'_>) -> Result<(), AwsError> {
        match self.write_once(w, pacer).await {
            Err(e)
                if e.kind == ErrorKind::CloudWatchRoleNotReady
                    && self.trail.cloudwatch.is_some() =>
            {
                self.without_cloudwatch(e);
                self.write_once(w, pacer).await
            }
            r => r,
        }
    }

    async fn write_once(&self, w: Write, pacer: &mut Pacer<'_>) -> Result<(), AwsError> {
        let (member, trail) = (self.member, &self.trail);
        let create = || member.create_trail(trail);
        let update = || member.update_trail(trail);
        match w {
            Write::Create => match with_retry(trail, self.retry, pacer, create).await {
                // the trail appeared since it was observed
                Err(e) if e.kind == ErrorKind::AlreadyExists => {
                    with_retry(trail, self.retry, pacer, update).await
                }
                r => r,
            },
            Write::Update => with_retry(trail, self.retry, pacer, update).await,
        }
    }
}

/// Whether CloudTrail refused a role or group it cannot use *yet*: "Access denied" (a new role not
/// propagated), not a malformed ARN.
fn role_not_ready(e: &AwsError) -> bool {
    e.kind == ErrorKind::CloudWatchRoleNotReady
        && e.message.to_ascii_lowercase().contains("access denied")
}

/// A CloudTrail call that names the bucket and the CloudWatch Logs role (CreateTrail, UpdateTrail),
/// retried while AWS propagates what this run just wrote: InsufficientS3BucketPolicyException and
/// InsufficientEncryptionPolicyException (three retries) and a role CloudTrail cannot assume yet (five), each delay doubled after each retry.
async fn with_retry<'m, F, Fut>(
    trail: &DesiredTrail,
    retry: Retry,
    pacer: &mut Pacer<'_>,
    call: F,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), AwsError>> + 'm,
{
    let (mut policy_wait, mut policy_left) = (retry.policy, POLICY_RETRIES);
    let (mut role_wait, mut role_left) = (retry.role, ROLE_RETRIES);
    loop {
        match pacer.call(Service::CloudTrail, call()).await {
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::InsufficientBucketPolicy | ErrorKind::InsufficientKeyPolicy
                ) && policy_left > 0 =>
            {
                tracing::info!(trail = %trail.arn, code = %e.code, "bucket or key policy not yet in force for CloudTrail; retrying in {policy_wait:?}");
                tokio::time::sleep(policy_wait).await;
                policy_wait *= 2;
                policy_left -= 1;
            }
            Err(e) if role_not_ready(&e) && role_left > 0 => {
                tracing::info!(trail = %trail.arn, "CloudTrail cannot use the CloudWatch Logs role yet ({}); retrying in {role_wait:?}", e.code);
                tokio::time::sleep(role_wait).await;
                role_wait *= 2;
                role_left -= 1;
            }
            r => return r,
        }
    }
}
