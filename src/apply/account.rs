//! One account's part of an apply (async, over the `aws` traits): whether it starts, then its trail part
//! (the trail's CloudWatch Logs setup and the trail changes, see `trail`) and its flow logs part (see
//! `flow_logs`), one after the other within the run's bound, each call paced by its service's quota. Each
//! part ends in its own result: one part's failure never hides the other's.

use serde_json::Value;
use tokio::sync::Semaphore;

use super::flow_logs::flow_logs_part;
use super::pacer::Pacer;
use super::report::CloudWatchOutcome;
use super::trail::{Retry, apply_trail};
use super::{AccountOutcome, ApplyOptions, PartStatus};
use crate::aws::Central;
use crate::config::{Config, ScopedAccount};
use crate::plan::evaluate::DeliveryVerdict;
use crate::plan::evaluate::check_delivery;
use crate::plan::membership::SourceOrg;
use crate::plan::trails::TrailChange;
use crate::plan::{AccountFailure, AccountPlan, AccountPlanStatus, denial, trail_delivery};

/// What every account's work shares: the central client, the run's config and options, the policy in force
/// after the write, and the permits that bound the calls under way.
pub(super) struct Shared<'a, C: Central> {
    pub central: &'a C,
    pub cfg: &'a Config,
    pub opts: &'a ApplyOptions,
    pub in_force: &'a Value,
    /// Each account's organization keys, as the plan judged its deliveries.
    pub sources: &'a std::collections::BTreeMap<crate::model::AccountId, SourceOrg>,
    pub permits: &'a Semaphore,
    /// The key policy in force after its write (`kms_key`), and the key's ARN: each trail is proved against
    /// it again before it is pointed at the key.
    pub key_in_force: Option<(&'a str, &'a Value)>,
}

impl<C: Central> Shared<'_, C> {
    /// An account's organization keys as the plan judged them (none for an account it did not plan).
    pub fn source(&self, account: &crate::model::AccountId) -> SourceOrg {
        self.sources.get(account).cloned().unwrap_or_default()
    }
}

/// One account, start to end: skipped after a Ctrl-C, else its trail part and its flow logs part carried
/// out (or their failures reported), and its outcome logged.
pub(super) async fn run_account<C: Central>(
    shared: &Shared<'_, C>,
    target: ScopedAccount,
    planned: AccountPlan,
    member: Option<C::Member>,
) -> AccountOutcome {
    // an account starts when it gets its first call permit: a Ctrl-C before that skips it
    let started =
        shared.permits.acquire().await.map(drop).is_ok() && !shared.opts.interrupt.is_set();
    if !started {
        let outcome = AccountOutcome::skipped(&planned);
        log_outcome(&outcome);
        return outcome;
    }
    let opts = shared.opts;
    let mut pacer = Pacer::new(shared.permits, opts.mutation_interval, opts.intervals);
    let (result, cloudwatch) =
        trail_part(shared, &target, &planned, member.as_ref(), &mut pacer).await;
    let flow_logs = flow_logs_part(
        shared,
        &target,
        planned.flow_logs.as_ref(),
        member.as_ref(),
        &mut pacer,
    )
    .await;
    let alarms =
        super::alarms::alarms_part(planned.alarms.as_ref(), member.as_ref(), &mut pacer).await;
    let outcome = AccountOutcome {
        alarms,
        id: target.id,
        name: target.name,
        trail_arn: planned.trail_arn,
        result,
        second_copy_of: planned.second_copy_of,
        cloudwatch,
        flow_logs,
    };
    log_outcome(&outcome);
    outcome
}

/// The trail's part: decided from the plan and the policy in force, then made.
async fn trail_part<M: crate::aws::Member, C: Central>(
    shared: &Shared<'_, C>,
    target: &ScopedAccount,
    planned: &AccountPlan,
    member: Option<&M>,
    pacer: &mut Pacer<'_>,
) -> (PartStatus, Option<CloudWatchOutcome>) {
    let source = shared.source(&target.id);
    let delivery = trail_delivery(shared.cfg, &target.id, &planned.trail_arn, None, None);
    let verdict = check_delivery(shared.in_force, &source.on(delivery));
    let key_denied = planned.trail.kms_key_id.as_ref().and_then(|_| {
        let (arn, policy) = shared.key_in_force?;
        let org_id = source.id.as_deref();
        // the Bucket Key that trailhub turns on with the key needs CloudTrail's Decrypt too (KMS-9)
        crate::plan::key_policy::cloudtrail_denial(policy, arn, &planned.trail_arn, org_id, true)
    });
    if let Some(message) = key_denied {
        return (
            PartStatus::failed(AccountFailure::KeyDenies { message }),
            None,
        );
    }
    match decide(planned, &verdict, shared.in_force, member) {
        Work::Settled(result) => {
            // nothing to make: the CloudWatch Logs part is right where it applies and the trail is right
            let cloudwatch =
                (result == PartStatus::Unchanged && cloudwatch_planned(planned)).then(|| {
                    CloudWatchOutcome {
                        result: PartStatus::Unchanged,
                        setup: vec![],
                    }
                });
            (result, cloudwatch)
        }
        Work::Changes { changes, member } => {
            let opts = shared.opts;
            let retry = Retry {
                policy: opts.policy_propagation_delay,
                role: opts.role_propagation_delay,
            };
            apply_trail(member, planned, changes, retry, pacer).await
        }
    }
}

/// Whether the trail's CloudWatch Logs delivery is this run's to make: `[cloudwatch]` applies and the
/// trail is trailhub's (not covered by another, not blocked).
pub(super) fn cloudwatch_planned(p: &AccountPlan) -> bool {
    matches!(p.status, AccountPlanStatus::Changes { .. }) && p.trail.cloudwatch.is_some()
}

/// What an account's trail part needs, decided before any call: its changes (the CloudWatch Logs setup,
/// then the trail's), made with its client; or nothing more (already right, or a failure known from its
/// plan or from the policy in force).
enum Work<'p, 'm, M> {
    Changes {
        changes: &'p [TrailChange],
        member: &'m M,
    },
    Settled(PartStatus),
}

/// The planned status, the verdict of the policy in force on the account's delivery, and the account's
/// client (None when it was not observed) decide the work.
fn decide<'p, 'm, M>(
    planned: &'p AccountPlan,
    verdict: &DeliveryVerdict,
    in_force: &Value,
    member: Option<&'m M>,
) -> Work<'p, 'm, M> {
    let failed = |failure| Work::Settled(PartStatus::failed(failure));
    match (&planned.status, member) {
        (AccountPlanStatus::Covered { by }, _) => {
            Work::Settled(PartStatus::Covered { by: by.clone() })
        }
        (AccountPlanStatus::SecondCopy { of, to }, _) => failed(AccountFailure::SecondCopy {
            of: of.clone(),
            to: to.clone(),
        }),
        (AccountPlanStatus::Unreachable(f), _) => failed(f.clone()),
        (AccountPlanStatus::PolicyDenies { denial }, _) => failed(AccountFailure::PolicyDenies {
            denial: denial.clone(),
        }),
        (AccountPlanStatus::KeyDenies { message }, _) => failed(AccountFailure::KeyDenies {
            message: message.clone(),
        }),
        _ if !verdict.allowed() => failed(AccountFailure::PolicyDenies {
            denial: denial(in_force, verdict),
        }),
        (AccountPlanStatus::Changes { changes }, _)
            if changes.is_empty() && planned.cloudwatch.is_empty() =>
        {
            Work::Settled(PartStatus::Unchanged)
        }
        (AccountPlanStatus::Changes { changes }, Some(member)) => Work::Changes { changes, member },
        (AccountPlanStatus::Changes { .. }, None) => failed(AccountFailure::NotObserved),
    }
}

fn log_outcome(o: &AccountOutcome) {
    let parts = [
        ("trail", Some(&o.result)),
        ("cloudwatch", o.cloudwatch.as_ref().map(|c| &c.result)),
        ("flow logs", o.flow_logs.as_ref().map(|f| &f.result)),
        ("alarms", o.alarms.as_ref().map(|a| &a.result)),
    ];
    for (part, result) in parts {
        match result {
            Some(PartStatus::Failed { failure, .. }) => {
                tracing::warn!(account = %o.id, part, code = failure.code(), "failed: {}", failure.message())
            }
            Some(r) => tracing::info!(account = %o.id, part, result = ?r, "done"),
            None => {}
        }
    }
}
