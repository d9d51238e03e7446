//! The flow logs part of an account (async, over the `aws` traits): the log group and role of the
//! `cloudwatch` destination, then each VPC's flow logs as planned. A flow log cannot be modified: one with
//! other settings is replaced, the new one made first and the old one deleted after. An account's Regions
//! are made at once, each paced on its own. The central account's flow logs to its own bucket are followed
//! by the bucket owner's trap check. One flow log's (or Region's) failure does not stop the others; the
//! part reports the first.

use futures::future::join_all;

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
    let (settled, failed, setup, changes) = match plan? {
        FlowLogsPlan::Blocked { failure } => {
            let result = PartStatus::failed(failure.clone());
            return Some(FlowLogsOutcome::settled(result, 0));
        }
        FlowLogsPlan::Changes {
            vpcs,
            regions,
            closed,
            failed,
            setup,
            changes,
            ..
        } => {
            let mut settled = FlowLogsOutcome::settled(PartStatus::Unchanged, *vpcs);
            settled.regions = regions.clone();
            settled.closed = closed.clone();
            (settled, failed, setup, changes)
        }
    };
    // a Region that could not be read fails the part; the others are made all the same
    let first_failed = failed.first().map(|f| f.failure.clone());
    if setup.is_empty() && changes.is_empty() {
        let result = first_failed.map_or(PartStatus::Unchanged, PartStatus::failed);
        return Some(FlowLogsOutcome { result, ..settled });
    }
    let Some(member) = member else {
        let result = PartStatus::failed(AccountFailure::NotObserved);
        return Some(FlowLogsOutcome { result, ..settled });
    };
    let mut run = FlowRun {
        shared,
        target,
        member,
        made: Made::default(),
        out: settled,
        failure: None,
    };
    if let Some(f) = first_failed {
        run.fail(f);
    }
    let bucket_denied = run.bucket_denied(changes);
    let setup_ok = match apply_setup(member, setup, pacer, &mut run.made).await {
        Ok(()) => true,
        Err(e) => {
            run.fail(AccountFailure::Aws(e));
            false
        }
    };
    let mut todo = Vec::new();
    for change in changes {
        match change.destination() {
            FlowDestination::S3 if bucket_denied.is_some() => {
                run.fail(bucket_denied.clone().unwrap_or(AccountFailure::NotObserved));
            }
            // the flow log would name a group or role that could not be made
            FlowDestination::Cloudwatch if !setup_ok => {}
            _ => todo.push(change),
        }
    }
    run.apply_all(&todo, pacer).await;
    Some(run.finish())
}

/// What became of one change: the new flow log's ID, or the error, and the old flow logs deleted.
struct Done<'c> {
    change: &'c FlowLogChange,
    made: Result<String, AwsError>,
    deleted: Vec<String>,
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

    /// Every change, the Regions at once (EC2 paces each Region on its own: its request quota is per
    /// account and Region), the changes of one Region one after the other. The central account's flow
    /// logs to its own bucket go one at a time, each followed by the bucket owner's trap check.
    async fn apply_all(&mut self, todo: &[&FlowLogChange], pacer: &mut Pacer<'_>) {
        let owner = self.target.is_central && matches!(self.target.access, Access::Own);
        let mut regions: Vec<&str> = todo.iter().map(|c| c.region()).collect();
        regions.sort_unstable();
        regions.dedup();
        if owner {
            for c in todo {
                let d = self.change(c, pacer).await;
                self.record(d, pacer).await;
            }
            return;
        }
        let this = &*self;
        let waves = regions.iter().map(|r| {
            let mut pacer = pacer.for_region();
            async move {
                let mut done = Vec::new();
                for c in todo.iter().filter(|c| c.region() == *r) {
                    done.push(this.change(c, &mut pacer).await);
                }
                done
            }
        });
        let done: Vec<Done<'_>> = join_all(waves).await.into_iter().flatten().collect();
        for d in done {
            self.record(d, pacer).await;
        }
    }

    /// One change made: created, or replaced (the new one first, then the old one deleted).
    async fn change<'c>(&self, change: &'c FlowLogChange, pacer: &mut Pacer<'_>) -> Done<'c> {
        let want = change.want();
        let mut deleted = Vec::new();
        let made = match change {
            FlowLogChange::Create { .. } => self.create(want, pacer).await,
            FlowLogChange::Replace { old, .. } => {
                self.replace(want, old, pacer, &mut deleted).await
            }
        };
        Done {
            change,
            made,
            deleted,
        }
    }

    /// What a change did, in the outcome; after a flow log to the bucket by its owner, the trap check.
    async fn record(&mut self, d: Done<'_>, pacer: &mut Pacer<'_>) {
        self.out.deleted.extend(d.deleted);
        let change = d.change;
        let want = change.want();
        match d.made {
            Ok(id) => {
                // in the flow logs part, `create vpc-1 (s3)` says enough; with several Regions,
                // `eu-west-1: create vpc-1 (s3)`
                self.made.done.push(if self.out.regions.len() > 1 {
                    format!("{}: {}", want.region, change.short())
                } else {
                    change.short()
                });
                self.out.created.push(MadeFlowLog {
                    region: want.region.clone(),
                    vpc: want.vpc_id.clone(),
                    destination: change.destination(),
                    id,
                    replaces: match change {
                        FlowLogChange::Replace { old, .. } => Some(old.clone()),
                        FlowLogChange::Create { .. } => None,
                    },
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
        &self,
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
        &self,
        want: &DesiredFlowLog,
        old: &str,
        pacer: &mut Pacer<'_>,
        deleted: &mut Vec<String>,
    ) -> Result<String, AwsError> {
        let id = match self.create(want, pacer).await {
            Err(e) if emulator::replace_deletes_first(&e) => {
                self.delete(&want.region, old, pacer).await?;
                deleted.push(old.to_owned());
                return self.create(want, pacer).await;
            }
            r => r?,
        };
        self.delete(&want.region, old, pacer).await?;
        deleted.push(old.to_owned());
        Ok(id)
    }

    async fn delete(&self, region: &str, old: &str, pacer: &mut Pacer<'_>) -> Result<(), AwsError> {
        let ids = [old.to_owned()];
        pacer
            .call(Service::Ec2, self.member.delete_flow_logs(region, &ids))
            .await
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
