//! What `trailhub restore-policy` hands to `output` (plain values, no I/O): the changes, the restore done,
//! the trails the restored policy does not let write, and the exit code.

use std::path::PathBuf;

use serde::Serialize;

/// What a restore changes: the statements of the policy in force that go, and those of the backup that
/// come back (a statement in both, unchanged, is neither).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreChanges {
    pub bucket: String,
    /// The backup file restored.
    pub backup: PathBuf,
    /// Its size in bytes.
    pub size: usize,
    /// The Sid of each statement that goes (None: a statement without a Sid).
    pub statements_going: Vec<Option<String>>,
    pub statements_coming_back: Vec<Option<String>>,
}

/// A trail in scope that the restored policy does not let write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeniedTrail {
    pub id: String,
    pub name: String,
    pub trail_arn: String,
}

/// A restore done: written and read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreRun {
    #[serde(flatten)]
    pub changes: RestoreChanges,
    /// Where the policy that was replaced was saved (None: the bucket had no policy).
    pub current_backed_up_to: Option<PathBuf>,
    /// `trailhub apply` adds these back.
    pub trails_not_allowed: Vec<DeniedTrail>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum RestoreReport {
    /// The bucket already has the backup's policy: nothing was written.
    NothingToDo {
        bucket: String,
        backup: PathBuf,
    },
    /// The changes were shown and the answer was not yes: nothing was written.
    NotApplied(RestoreChanges),
    Restored(RestoreRun),
}

impl RestoreReport {
    /// 0 restored or nothing to do; 4 not applied (the answer was not yes).
    pub fn exit_code(&self) -> i32 {
        match self {
            RestoreReport::NotApplied(_) => super::exit::DECLINED,
            _ => 0,
        }
    }
}
