//! What `trailhub apply` hands to `output` (plain values, no I/O): nothing to do, not applied, or what
//! was done, and the exit code each makes.

use crate::apply::ApplyRun;
use crate::observe::Rejected;

// one value a run (or an account): boxing the large variant would buy nothing
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ApplyReport {
    /// The bucket, its policy, every trail (with its CloudWatch Logs delivery) and the flow logs are as
    /// they should be: nothing was written. `vpcs`: the VPCs whose flow logs were checked (None without
    /// `[flow_logs]`).
    NothingToDo {
        bucket: String,
        trails: usize,
        vpcs: Option<usize>,
        /// Flow logs with other settings kept for want of trailhub's tag (VPC-9): said, not changes.
        untagged: Vec<crate::plan::flow_logs::UntaggedFlowLog>,
    },
    /// The plan was shown and the answer was not yes: nothing was written.
    NotApplied,
    /// `apply PLAN_FILE` refused: what the saved plan was made from changed since (`changes`, in words);
    /// nothing was written.
    StalePlan {
        plan_file: String,
        changes: Vec<String>,
    },
    /// What was done, and the Organizations accounts in scope that could not be worked on.
    Applied {
        report: ApplyRun,
        rejected: Vec<Rejected>,
    },
}

impl ApplyReport {
    /// 0 all converged (or nothing to do), 1 some did not, 4 not applied (the answer was not yes), 5 a
    /// saved plan refused.
    pub fn exit_code(&self) -> i32 {
        match self {
            ApplyReport::NothingToDo { .. } => 0,
            ApplyReport::NotApplied => super::exit::DECLINED,
            ApplyReport::StalePlan { .. } => super::exit::STALE_PLAN,
            ApplyReport::Applied { report, rejected } if rejected.is_empty() => report.exit_code(),
            ApplyReport::Applied { .. } => 1,
        }
    }
}
