//! Reading the organization's service control policies for `[guardrails]` (async I/O over the `aws`
//! traits, never a write): the central account's standing (DescribeOrganization, then the delegation
//! policy), trailhub's SCP found by its name, and the SCPs attached at each target (the OUs of
//! `organizational_units`, or the root).

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::{AwsError, Central};
use crate::config::{Config, Guardrails};
use crate::plan::guardrails::{Authority, GuardrailsObserved, authority};
use crate::world::{PolicyAuthority, TargetPolicies};

/// The guardrails could not be read or may not be written; each names what to do.
#[derive(Debug, thiserror::Error)]
pub enum GuardrailsError {
    #[error(
        "[guardrails]: the central account {account} is in no organization; an SCP needs one (runbooks/guardrails.md#not-authorized)"
    )]
    NoOrganization { account: String },
    #[error(
        "[guardrails]: cannot read the organization's service control policies: {error}; {hint} (runbooks/guardrails.md#not-authorized)",
        hint = error.hint()
    )]
    Read { error: AwsError },
    #[error(
        "[guardrails]: {reason}. Run trailhub from the management account, or delegate SCP management to this account (runbooks/guardrails.md#not-authorized)"
    )]
    NotAuthorized { reason: String },
    #[error(
        "[guardrails]: cannot write the service control policy {policy}: {error}; {hint} (runbooks/guardrails.md#scp-write-failed)",
        hint = error.hint()
    )]
    Write { policy: String, error: AwsError },
    #[error(
        "[guardrails]: cannot back up the service control policy {policy} to {path}; nothing was written (runbooks/guardrails.md#scp-write-failed)"
    )]
    Backup {
        policy: String,
        path: std::path::PathBuf,
    },
}

impl From<AwsError> for GuardrailsError {
    fn from(error: AwsError) -> Self {
        GuardrailsError::Read { error }
    }
}

/// Everything the guardrails' plan and audit need. The SCPs are read only when the central account may
/// manage them (else `policy` is None and `targets` empty, and the plan says why).
pub async fn read_guardrails<C: Central>(
    central: &C,
    cfg: &Config,
    g: &Guardrails,
) -> Result<GuardrailsObserved, GuardrailsError> {
    let caller = central.caller_account().await?;
    let Some(org) = central.organization().await? else {
        return Err(GuardrailsError::NoOrganization { account: caller });
    };
    let delegation = match caller == org.management_account {
        true => None,
        false => central.delegation_policy().await?,
    };
    let standing = PolicyAuthority {
        caller,
        management_account: org.management_account,
        org_id: org.id,
        delegation,
    };
    let partition = cfg.central.region.partition();
    if let Authority::Neither { .. } = authority(&standing, partition) {
        return Ok(GuardrailsObserved {
            authority: standing,
            policy: None,
            targets: Vec::new(),
            attached_to: Vec::new(),
        });
    }
    let listed = central.list_scps().await?;
    let policy = match listed
        .iter()
        .find(|p| !p.aws_managed && p.name == g.policy_name)
    {
        Some(p) => Some(central.describe_policy(&p.id).await?),
        None => None,
    };
    let ids = match cfg.members.ous.is_empty() {
        true => central
            .list_roots()
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
        false => cfg.members.ous.clone(),
    };
    let attached_to = match &policy {
        Some(p) => central.scp_targets(&p.id).await?,
        None => Vec::new(),
    };
    let concurrency = cfg.members.concurrency.max(1);
    let targets = stream::iter(ids)
        .map(|target| async move {
            let attached = central.scps_for_target(&target).await?;
            Ok::<_, AwsError>(TargetPolicies { target, attached })
        })
        .buffered(concurrency)
        .try_collect()
        .await?;
    Ok(GuardrailsObserved {
        authority: standing,
        policy,
        targets,
        attached_to,
    })
}
