//! A log group and the role that writes to it, made as planned (async, over the `aws` traits): the part of
//! the trail's CloudWatch Logs delivery and of the flow logs to CloudWatch Logs that comes before the
//! trail or the flow log names them.

use super::pacer::{Pacer, Service};
use crate::aws::{AwsError, ErrorKind, Member};
use crate::plan::cloudwatch::{SetupChange, describe_setup};

/// What a setup made so far: in words (`done`) and as data (`made`).
#[derive(Debug, Default)]
pub(super) struct Made {
    pub done: Vec<String>,
    pub made: Vec<SetupChange>,
}

/// Makes the log group and role changes in order (CreateLogGroup then PutRetentionPolicy, CreateRole then
/// PutRolePolicy...), stopping at the first failure; `made` holds what was done before it.
pub(super) async fn apply_setup<M: Member>(
    member: &M,
    changes: &[SetupChange],
    pacer: &mut Pacer<'_>,
    made: &mut Made,
) -> Result<(), AwsError> {
    let start = made.made.len();
    let mut result = Ok(());
    for change in changes {
        if let Err(e) = apply_one(member, change, pacer).await {
            result = Err(e);
            break;
        }
        made.made.push(change.clone());
    }
    made.done.extend(describe_setup(&made.made[start..]));
    result
}

async fn apply_one<M: Member>(
    member: &M,
    change: &SetupChange,
    pacer: &mut Pacer<'_>,
) -> Result<(), AwsError> {
    // a group or role made since it was observed (another run, a person) is used as it is: the calls
    // after the create put trailhub's retention and policy on it
    let made_meanwhile = |r: Result<(), AwsError>| match r {
        Err(e) if e.kind == ErrorKind::AlreadyExists => Ok(()),
        r => r,
    };
    match change {
        SetupChange::CreateLogGroup {
            name,
            retention_days,
        } => {
            made_meanwhile(
                pacer
                    .call(Service::Logs, member.create_log_group(name))
                    .await,
            )?;
            let retention = member.put_retention(name, *retention_days);
            pacer.call(Service::Logs, retention).await
        }
        SetupChange::SetRetention { name, new, .. } => {
            pacer
                .call(Service::Logs, member.put_retention(name, *new))
                .await
        }
        SetupChange::CreateBoundaryPolicy { name, document } => {
            // made meanwhile: by this run's other setup, or by someone; the next plan reads its document
            let created = member.create_policy(name, document);
            made_meanwhile(pacer.call(Service::Iam, created).await)
        }
        SetupChange::CreateRole {
            name,
            trust,
            boundary,
        } => {
            let created = pacer
                .call(Service::Iam, member.create_role(name, trust, boundary))
                .await;
            made_meanwhile(created.map(drop))
        }
        SetupChange::PutBoundary { name, boundary } => {
            let put = member.put_role_boundary(name, boundary);
            pacer.call(Service::Iam, put).await
        }
        SetupChange::UpdateTrust { name, trust } => {
            pacer
                .call(Service::Iam, member.update_trust(name, trust))
                .await
        }
        SetupChange::PutRolePolicy {
            name,
            policy_name,
            policy,
        } => {
            let put = member.put_role_policy(name, policy_name, policy);
            pacer.call(Service::Iam, put).await
        }
        SetupChange::InRegion { region, change } => {
            regional_group(&member.logs_in(region), change, pacer).await
        }
    }
}

/// A log group change in another Region (the flow logs' group there), with that Region's client.
async fn regional_group<M: Member>(
    logs: &M,
    change: &SetupChange,
    pacer: &mut Pacer<'_>,
) -> Result<(), AwsError> {
    let (name, days, create) = match change {
        SetupChange::CreateLogGroup {
            name,
            retention_days,
        } => (name, *retention_days, true),
        SetupChange::SetRetention { name, new, .. } => (name, *new, false),
        _ => return Ok(()),
    };
    if create {
        let made = pacer.call(Service::Logs, logs.create_log_group(name)).await;
        match made {
            Err(e) if e.kind != ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    pacer
        .call(Service::Logs, logs.put_retention(name, days))
        .await
}
