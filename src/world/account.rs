//! An account in scope (pure): its ID and name, how trailhub reaches it, and what applies to it. Built by
//! `config` (a static list) or from Organizations' listing, and taken by the AWS edge to reach the account.

use crate::model::{AccountId, RoleArn, TrailName};

/// How trailhub reaches an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The central account: the caller's own credentials.
    Own,
    AssumeRole {
        role_arn: RoleArn,
        external_id: Option<String>,
    },
}

/// One account in scope, with everything needed to reach it and name its trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedAccount {
    pub id: AccountId,
    pub name: String,
    pub trail_name: TrailName,
    pub access: Access,
    pub is_central: bool,
    /// Whether `[cloudwatch]` applies to this account (an `[[account]]` may say `cloudwatch = false`).
    pub cloudwatch: bool,
    /// Whether `[flow_logs]` applies to this account.
    pub flow_logs: bool,
    /// Its OU path (`Root/Workloads/Prod`), when the organization was walked by OU.
    pub ou: Option<String>,
}

impl ScopedAccount {
    /// The order of every report: the central account first, then the members by ID.
    pub fn report_order(&self) -> (bool, &AccountId) {
        (!self.is_central, &self.id)
    }
}
