//! What `trailhub plan` hands to `output` (plain values, no I/O): the plan, the accounts that cannot be
//! planned, and the exit code they make.

use crate::observe::Rejected;
use crate::plan::{AccountPlan, Plan};

/// The plan, and the Organizations accounts in scope that cannot be planned.
#[derive(Debug, Clone)]
pub struct PlanReport {
    pub plan: Plan,
    pub rejected: Vec<Rejected>,
    /// The bucket policy as read, for `--diff` (None: the bucket has none).
    pub live_policy: Option<String>,
}

impl PlanReport {
    /// 0 when every account can be planned (changes may be pending, or another trail covers it), 1 when
    /// some cannot (its trail, or its flow logs), or the key or a bucket setting cannot be made as asked.
    pub fn exit_code(&self) -> i32 {
        let blocked =
            self.plan.accounts.iter().any(AccountPlan::is_blocked) || self.plan.bucket_blocked();
        let blocked = blocked || self.plan.guardrails_blocked();
        i32::from(blocked || !self.rejected.is_empty())
    }

    /// `plan --detailed-exitcode`: 0 nothing to change, 1 as [`Self::exit_code`] (some account cannot be
    /// planned, which a person must look at first), 3 changes pending.
    pub fn detailed_exit_code(&self) -> i32 {
        match self.exit_code() {
            super::exit::OK if self.plan.has_changes() => super::exit::CHANGES_PENDING,
            code => code,
        }
    }
}
