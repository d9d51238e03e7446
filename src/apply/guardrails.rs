//! Making trailhub's SCP so (async, over the `aws` traits): CreatePolicy, or UpdatePolicy after a backup of
//! the content it replaces, then AttachPolicy where the plan says. Only trailhub's own policy (found by its
//! name) is ever written; other SCPs are only read. Runs after the accounts, so that what the SCP protects
//! exists first.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::backup::backup_policy;
use crate::aws::{AwsError, Central};
use crate::observe::guardrails::GuardrailsError;
use crate::plan::guardrails::{Blocked, GuardrailsPlan, PolicyWrite};

/// The SCP's description in AWS.
const DESCRIPTION: &str = "Managed by trailhub: keeps trailhub's trails, flow logs, log groups and delivery roles from being undone";

/// What apply did to trailhub's SCP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GuardrailsOutcome {
    pub policy_name: String,
    pub policy_id: Option<String>,
    pub created: bool,
    pub updated: bool,
    /// Where the content it replaced was saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// The targets it was attached to in this run.
    pub attached: Vec<String>,
    /// `--prune`: the targets out of scope it was detached from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detached: Vec<String>,
    pub blocked: Vec<Blocked>,
    pub warnings: Vec<String>,
    /// Why the write failed (the rest of the run went on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl GuardrailsOutcome {
    /// Whether the SCP is not where and what it should be after the run.
    pub fn is_bad(&self) -> bool {
        self.error.is_some() || !self.blocked.is_empty()
    }

    pub fn changed(&self) -> bool {
        self.created || self.updated || !self.attached.is_empty() || !self.detached.is_empty()
    }
}

/// Applies the guardrails' plan: the outcome, with the error in it when a write failed.
pub async fn apply_guardrails<C: Central>(
    central: &C,
    plan: &GuardrailsPlan,
    backup_dir: &Path,
) -> GuardrailsOutcome {
    let mut outcome = GuardrailsOutcome {
        policy_name: plan.policy_name.clone(),
        blocked: plan.blocked.clone(),
        warnings: plan.warnings.clone(),
        ..GuardrailsOutcome::default()
    };
    if let Err(e) = write(central, plan, backup_dir, &mut outcome).await {
        outcome.error = Some(e.to_string());
    }
    outcome
}

async fn write<C: Central>(
    central: &C,
    plan: &GuardrailsPlan,
    backup_dir: &Path,
    outcome: &mut GuardrailsOutcome,
) -> Result<(), GuardrailsError> {
    if let Some(Blocked::NotAuthorized { reason }) = plan
        .blocked
        .iter()
        .find(|b| matches!(b, Blocked::NotAuthorized { .. }))
    {
        return Err(GuardrailsError::NotAuthorized {
            reason: reason.clone(),
        });
    }
    if plan.stopped() {
        return Ok(());
    }
    let failed = |error: AwsError| GuardrailsError::Write {
        policy: plan.policy_name.clone(),
        error,
    };
    let id = match &plan.write {
        PolicyWrite::Create => {
            let id = central
                .create_scp(&plan.policy_name, DESCRIPTION, &plan.document)
                .await
                .map_err(failed)?;
            outcome.created = true;
            tracing::info!(policy = %plan.policy_name, %id, "created the SCP");
            id
        }
        PolicyWrite::Update { id } => {
            let live = plan.live.as_ref().map_or("", |p| p.content.as_str());
            let name = format!("scp-{}", plan.policy_name);
            let path =
                backup_policy(backup_dir, &name, live).map_err(|_| GuardrailsError::Backup {
                    policy: plan.policy_name.clone(),
                    path: backup_dir.to_owned(),
                })?;
            outcome.backup = Some(path);
            central
                .update_scp(id, &plan.document)
                .await
                .map_err(failed)?;
            outcome.updated = true;
            tracing::info!(policy = %plan.policy_name, %id, "updated the SCP");
            id.clone()
        }
        PolicyWrite::Keep { id } => id.clone(),
    };
    outcome.policy_id = Some(id.clone());
    for target in &plan.attach {
        central.attach_scp(&id, target).await.map_err(failed)?;
        outcome.attached.push(target.clone());
    }
    for target in &plan.detach {
        central.detach_scp(&id, target).await.map_err(failed)?;
        outcome.detached.push(target.clone());
    }
    Ok(())
}
