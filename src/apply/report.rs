//! What an apply did (pure): the bucket, the policy write and each account's outcome, as the report that
//! `output` renders. The JSON shape is public (README documents it): field names do not change.

use std::path::PathBuf;

use serde::Serialize;

use crate::aws::Guard;
use crate::model::{AccountId, TrailArn};
use crate::plan::{AccountFailure, Plan};

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
    /// Another trail already covers the account: trailhub made no trail there.
    Covered {
        by: String,
    },
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

impl AccountResult {
    /// Failed before any change was made.
    pub(super) fn failed(failure: AccountFailure) -> Self {
        AccountResult::Failed {
            failure,
            done: vec![],
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountOutcome {
    pub id: AccountId,
    pub name: String,
    pub trail_arn: TrailArn,
    #[serde(flatten)]
    pub result: AccountResult,
    /// Set when trailhub's trail is a second copy of the management events another trail already logs
    /// elsewhere: that trail's ARN and where it delivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_copy_of: Option<(String, String)>,
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
    /// A run interrupted before anything was written: nothing done, every account skipped.
    pub(super) fn interrupted_before_start(bucket: String, plan: &Plan) -> Self {
        let accounts = plan
            .accounts
            .iter()
            .map(|p| AccountOutcome {
                id: p.id.clone(),
                name: p.name.clone(),
                trail_arn: p.trail_arn.clone(),
                second_copy_of: None,
                result: AccountResult::Skipped,
            })
            .collect();
        ApplyReport {
            bucket,
            bucket_created: false,
            guards_turned_on: vec![],
            policy: PolicyOutcome::default(),
            accounts,
            interrupted: true,
        }
    }

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
