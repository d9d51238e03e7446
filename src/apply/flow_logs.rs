//! The flow logs part of an account (async, over the `aws` traits): the log group and role of the
//! `cloudwatch` destination, then each VPC's flow logs as planned. A flow log cannot be modified: one with
//! other settings is replaced, the new one made first and the old one deleted after. The central account's
//! flow logs to its own bucket are followed by the bucket owner's trap check. One flow log's failure does
//! not stop the others; the part reports the first.

use super::account::Shared;
use super::pacer::{Pacer, Service};
use super::policy_write::restore_after_owner_flow_logs;
use super::report::{FlowLogsOutcome, MadeFlowLog, PartStatus};
use super::setup::{Made, apply_setup};
use crate::aws::{AwsError, Central, DesiredFlowLog, Network, emulator};
use crate::config::{Access, FlowDestination, ScopedAccount};
use crate::plan::evaluate::check_delivery;
use crate::plan::flow_logs::{FlowLogChange, owner_refusal};
use crate::plan::{AccountFailure, DELIVERY_LOGS, FlowLogsPlan, denial_for, flow_log_delivery};

/// Retries of a flow log to the bucket that delivery.logs may not write to yet (a policy just written, or
/// one AWS replaced for a moment by the bucket owner's trap), the delay doubled each time.
const BUCKET_RETRIES: u32 = 3;

/// The flow logs part of one account; None when `[flow_logs]` does not apply to it. The flow logs held
/// for want of trailhub's tag are said in it, as planned.
pub(super) async fn flow_logs_part<C: Central>(
    shared: &Shared<'_, C>,
    target: &ScopedAccount,
    plan: Option<&FlowLogsPlan>,
    member: Option<&C::Member>,
    pacer: &mut Pacer<'_>,
) -> Option<FlowLogsOutcome> {
    let mut out = run_part(shared, target, plan, member, pacer).await?;
    if let Some(FlowLogsPlan::Changes { untagged, .. }) = plan {
        out.untagged = untagged.clone();
    }
    Some(out)
}

/// The setup and the flow logs of one account, as planned.
async fn run_part<C: Central>(
    shared: &Shared<'_, C>,
    target: &ScopedAccount,
    plan: Option<&FlowLogsPlan>,
    member: Option<&C::Member>,
    pacer: &mut Pacer<'_>,
) -> Option<FlowLogsOutcome> {
    let (vpcs, setup, changes) = match plan? {
        FlowLogsPlan::Blocked { failure } => {
            let result = PartStatus::failed(failure.clone());
            return Some(FlowLogsOutcome::settled(result, 0));
        }
        FlowLogsPlan::Changes {
            vpcs,
            setup,
            changes,
            ..
        } => (*vpcs, setup, changes),
    };
    if setup.is_empty() && changes.is_empty() {
        return Some(FlowLogsOutcome::settled(PartStatus::Unchanged, vpcs));
    }
    let Some(member) = member else {
        let result = PartStatus::failed(AccountFailure::NotObserved);
        return Some(FlowLogsOutcome::settled(result, vpcs));
    };
    let mut run = FlowRun {
        shared,
        target,
        member,
        made: Made::default(),
        out: FlowLogsOutcome::settled(PartStatus::Unchanged, vpcs),
        failure: None,
    };
    let bucket_denied = run.bucket_denied(changes);
    let setup_ok = match apply_setup(member, setup, pacer, &mut run.made).await {
        Ok(()) => true,
        Err(e) => {
            run.fail(AccountFailure::Aws(e));
            false
        }
    };
    for change in changes {
        match change.destination() {
            FlowDestination::S3 if bucket_denied.is_some() => {
                run.fail(bucket_denied.clone().unwrap_or(AccountFailure::NotObserved));
            }
            // the flow log would name a group or role that could not be made
            FlowDestination::Cloudwatch if !setup_ok => {}
            _ => run.apply(change, pacer).await,
        }
    }
    Some(run.finish())
}

/// One account's flow logs being made: what was done, and the first failure.
struct FlowRun<'s, 'a, C: Central> {
    shared: &'s Shared<'a, C>,
    target: &'s ScopedAccount,
    member: &'s C::Member,
    /// The setup, then the flow logs, in words; the setup as data.
    made: Made,
    out: FlowLogsOutcome,
    failure: Option<AccountFailure>,
}

impl<C: Central> FlowRun<'_, '_, C> {
    fn fail(&mut self, f: AccountFailure) {
        let f = match f {
            AccountFailure::Aws(e) if e.account.is_none() => {
                AccountFailure::Aws(e.in_account(&self.target.id))
            }
            f => f,
        };
        tracing::warn!(account = %self.target.id, code = f.code(), "flow logs: {}", f.message());
        self.failure.get_or_insert(f);
    }

    /// The policy in force must let delivery.logs write this account's flow logs before any is made to
    /// the bucket (the plan checked the policy it would write; another writer may have changed it since).
    fn bucket_denied(&self, changes: &[FlowLogChange]) -> Option<AccountFailure> {
        if !changes
            .iter()
            .any(|c| c.destination() == FlowDestination::S3)
        {
            return None;
        }
        let (cfg, policy) = (self.shared.cfg, self.shared.in_force);
        if let Some(statements) = owner_refusal(cfg, &self.target.id, policy, changes) {
            return Some(AccountFailure::OwnerFlowLogsRefused { statements });
        }
        // with the organization, as the plan judged it: the organization form names aws:SourceOrgID
        let source = self.shared.source(&self.target.id);
        let verdict = check_delivery(policy, &source.on(flow_log_delivery(cfg, &self.target.id)));
        (!verdict.allowed()).then(|| AccountFailure::FlowLogsDenied {
            denial: denial_for(policy, &verdict, DELIVERY_LOGS),
        })
    }

    async fn apply(&mut self, change: &FlowLogChange, pacer: &mut Pacer<'_>) {
        let want = change.want();
        let (made, replaces) = match change {
            FlowLogChange::Create { .. } => (self.create(want, pacer).await, None),
            FlowLogChange::Replace { old, .. } => (self.replace(want, old, pacer).await, Some(old)),
        };
        match made {
            Ok(id) => {
                // in the flow logs part, `create vpc-1 (s3)` says enough
                self.made.done.push(change.short());
                self.out.created.push(MadeFlowLog {
                    vpc: want.vpc_id.clone(),
                    destination: change.destination(),
                    id,
                    replaces: replaces.cloned(),
                });
                if change.destination() == FlowDestination::S3 {
                    self.owner_trap(pacer).await;
                }
            }
            Err(e) => self.fail(AccountFailure::Aws(e)),
        }
    }

    /// CreateFlowLogs, retried while delivery.logs may not write to the bucket yet.
    async fn create(
        &mut self,
        want: &DesiredFlowLog,
        pacer: &mut Pacer<'_>,
    ) -> Result<String, AwsError> {
        let mut wait = self.shared.opts.policy_propagation_delay;
        let mut left = BUCKET_RETRIES;
        loop {
            let made = pacer
                .call(Service::Ec2, self.member.create_flow_log(want))
                .await;
            match made {
                Err(e) if bucket_not_ready(&e) && left > 0 => {
                    tracing::info!(account = %self.target.id, vpc = %want.vpc_id, "delivery.logs may not write to the bucket yet; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    left -= 1;
                }
                r => return r,
            }
        }
    }

    /// The new flow log first, then DeleteFlowLogs of the old one; the other way round only where the new
    /// one cannot be made beside the old (see [`emulator::replace_deletes_first`]).
    async fn replace(
        &mut self,
        want: &DesiredFlowLog,
        old: &str,
        pacer: &mut Pacer<'_>,
    ) -> Result<String, AwsError> {
        let id = match self.create(want, pacer).await {
            Err(e) if emulator::replace_deletes_first(&e) => {
                self.delete(old, pacer).await?;
                return self.create(want, pacer).await;
            }
            r => r?,
        };
        self.delete(old, pacer).await?;
        Ok(id)
    }

    async fn delete(&mut self, old: &str, pacer: &mut Pacer<'_>) -> Result<(), AwsError> {
        let ids = [old.to_owned()];
        pacer
            .call(Service::Ec2, self.member.delete_flow_logs(&ids))
            .await?;
        self.out.deleted.push(old.to_owned());
        Ok(())
    }

    /// After a flow log to the bucket made by the bucket's own account (the central one, with the caller's
    /// own credentials): the policy read back and, when AWS replaced it, what trailhub wrote put back.
    async fn owner_trap(&mut self, pacer: &mut Pacer<'_>) {
        if !(self.target.is_central && matches!(self.target.access, Access::Own)) {
            return;
        }
        let s = self.shared;
        let restore =
            restore_after_owner_flow_logs(s.central, s.cfg, s.in_force, &s.opts.backup_dir);
        match pacer.read(restore).await {
            Ok(None) => {}
            Ok(Some(r)) => {
                self.made.done.push(format!(
                    "bucket policy restored (AWS had replaced it): {}",
                    r.lost.join(", ")
                ));
                self.out
                    .policy_restored
                    .get_or_insert_with(Vec::new)
                    .extend(r.lost);
            }
            Err(super::ApplyError::Aws(e)) => self.fail(AccountFailure::Aws(e)),
            Err(e) => self.fail(AccountFailure::Aws(AwsError::new(
                "RestoreBucketPolicy",
                "PolicyNotRestored",
                e.to_string(),
            ))),
        }
    }

    fn finish(self) -> FlowLogsOutcome {
        let Made { done, made } = self.made;
        FlowLogsOutcome {
            result: PartStatus::of(done, self.failure),
            setup: made,
            ..self.out
        }
    }
}

/// CreateFlowLogs to the bucket refused because delivery.logs may not write there (AWS answers it in
/// `Unsuccessful`: "Access Denied for LogDestination: BUCKET. Please check LogDestination permission").
fn bucket_not_ready(e: &AwsError) -> bool {
    e.operation == "CreateFlowLogs" && e.message.contains("LogDestination permission")
}
