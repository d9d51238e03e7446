//! One account's part of an apply (async, over the `aws` traits): whether it starts, what its plan and
//! the policy in force call for, and its trail calls, paced by CloudTrail's 1 TPS per account and retried
//! while a new bucket policy propagates.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{AccountOutcome, AccountResult, ApplyOptions};
use crate::aws::EventSelectors;
use crate::aws::{AwsError, DesiredTrail, ErrorKind, Member};
use crate::config::{Config, Target};
use crate::plan::evaluate::DeliveryVerdict;
use crate::plan::policy::Org;
use crate::plan::selectors;
use crate::plan::trails::TrailChange;
use crate::plan::{
    AccountFailure, AccountPlan, AccountPlanStatus, delivery_verdict, denial_message, desired_trail,
};

/// What every account's work shares: the run's config and options, the policy in force after the write,
/// and the permits that bound the calls under way.
pub(super) struct Shared<'a> {
    pub cfg: &'a Config,
    pub opts: &'a ApplyOptions,
    pub in_force: &'a Value,
    pub org: Option<&'a Org>,
    pub permits: &'a Semaphore,
}

/// One account, start to end: skipped after a Ctrl-C, else its plan carried out (or its failure
/// reported), and its outcome logged.
pub(super) async fn run_account<M: Member>(
    shared: &Shared<'_>,
    target: Target,
    planned: AccountPlan,
    member: Option<M>,
) -> AccountOutcome {
    // an account starts when it gets its first call permit: a Ctrl-C before that skips it
    let started =
        shared.permits.acquire().await.map(drop).is_ok() && !shared.opts.interrupt.is_set();
    let result = if !started {
        AccountResult::Skipped
    } else {
        let verdict = delivery_verdict(
            shared.cfg,
            shared.in_force,
            shared.org,
            &target.id,
            &planned.trail_arn,
        );
        match decide(&planned.status, &verdict, shared.in_force, member) {
            Work::Settled(result) => result,
            Work::Changes { changes, member } => {
                let pacer = Pacer::new(shared.permits, shared.opts.mutation_interval);
                let delay = shared.opts.policy_propagation_delay;
                apply_account(&member, shared.cfg, &target, changes, delay, pacer).await
            }
        }
    };
    let outcome = AccountOutcome {
        id: target.id,
        name: target.name,
        trail_arn: planned.trail_arn,
        result,
        second_copy_of: planned.second_copy_of,
    };
    log_outcome(&outcome);
    outcome
}

/// What an account needs, decided before any call: its trail changes, made with its client; or nothing
/// more (already right, or a failure known from its plan or from the policy in force).
enum Work<'p, M> {
    Changes {
        changes: &'p [TrailChange],
        member: M,
    },
    Settled(AccountResult),
}

/// The planned status, the verdict of the policy in force on the account's delivery, and the account's
/// client (None when it was not observed) decide the work.
fn decide<'p, M>(
    status: &'p AccountPlanStatus,
    verdict: &DeliveryVerdict,
    in_force: &Value,
    member: Option<M>,
) -> Work<'p, M> {
    let failed = |failure| Work::Settled(AccountResult::failed(failure));
    match (status, member) {
        (AccountPlanStatus::Covered { by }, _) => {
            Work::Settled(AccountResult::Covered { by: by.clone() })
        }
        (AccountPlanStatus::SecondCopy { of, to }, _) => failed(AccountFailure::SecondCopy {
            of: of.clone(),
            to: to.clone(),
        }),
        (AccountPlanStatus::Unreachable(f), _) => failed(f.clone()),
        (AccountPlanStatus::PolicyDenies { message }, _) => failed(AccountFailure::PolicyDenies {
            message: message.clone(),
        }),
        _ if !verdict.allowed() => failed(AccountFailure::PolicyDenies {
            message: denial_message(in_force, verdict),
        }),
        (AccountPlanStatus::Changes { changes }, _) if changes.is_empty() => {
            Work::Settled(AccountResult::Unchanged)
        }
        (AccountPlanStatus::Changes { changes }, Some(member)) => Work::Changes { changes, member },
        (AccountPlanStatus::Changes { .. }, None) => failed(AccountFailure::NotObserved),
    }
}

fn log_outcome(o: &AccountOutcome) {
    match &o.result {
        AccountResult::Failed { failure, .. } => {
            tracing::warn!(account = %o.id, code = failure.code(), "failed: {}", failure.message())
        }
        r => tracing::info!(account = %o.id, result = ?r, "done"),
    }
}

/// Spaces one account's mutating calls by the CloudTrail quota, and takes one of the run's call permits
/// for each call only, so an account waiting out its interval does not hold back the others.
struct Pacer<'a> {
    permits: &'a Semaphore,
    interval: Duration,
    last: Option<Instant>,
}

impl<'a> Pacer<'a> {
    fn new(permits: &'a Semaphore, interval: Duration) -> Self {
        Pacer {
            permits,
            interval,
            last: None,
        }
    }

    async fn call<T>(&mut self, f: impl Future<Output = T>) -> T {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        let _permit = self.permits.acquire().await;
        self.last = Some(Instant::now());
        f.await
    }
}

/// Makes an account's trail changes in order, stopping at the first failure (reported with what was done).
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
                match create_with_retry(member, &desired, propagation_delay, &mut pacer).await {
                    Ok(()) => {
                        let all = selectors::restored(&EventSelectors::default());
                        let name = desired.name.as_str();
                        pacer.call(member.put_event_selectors(name, &all)).await
                    }
                    e => e,
                }
            }
            TrailChange::Update { .. } => {
                let update = || member.update_trail(&desired);
                with_policy_retry(&desired, propagation_delay, &mut pacer, update).await
            }
            TrailChange::EventSelectors { put, .. } => {
                pacer
                    .call(member.put_event_selectors(desired.name.as_str(), put))
                    .await
            }
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
    let create = || member.create_trail(desired);
    match with_policy_retry(desired, delay, pacer, create).await {
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            let update = || member.update_trail(desired);
            with_policy_retry(desired, delay, pacer, update).await
        }
        r => r,
    }
}

/// A CloudTrail call that names the bucket (CreateTrail, UpdateTrail), retried when AWS has not yet
/// propagated the new bucket policy: InsufficientS3BucketPolicyException, three retries, the delay doubled
/// each time.
async fn with_policy_retry<'m, F, Fut>(
    desired: &DesiredTrail,
    delay: Duration,
    pacer: &mut Pacer<'_>,
    call: F,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), AwsError>> + 'm,
{
    let mut wait = delay;
    for _ in 0..3 {
        match pacer.call(call()).await {
            Err(e) if e.kind == ErrorKind::InsufficientBucketPolicy => {
                tracing::info!(trail = %desired.arn, "bucket policy not yet in force for CloudTrail; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            r => return r,
        }
    }
    pacer.call(call()).await
}
