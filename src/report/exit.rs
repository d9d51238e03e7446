//! The exit codes every command returns (pure constants), documented in docs/commands.md#exit-codes.

/// Everything went through: every account converged, planned or covered.
pub const OK: i32 = 0;
/// Some account failed, is blocked or has a gap; the others are done.
pub const SOME_FAILED: i32 = 1;
/// Nothing could start: a bad accounts file, credentials, the wrong account, an error that stops the run.
pub const ERROR: i32 = 2;
/// `plan --detailed-exitcode`: every account could be planned and changes are pending.
pub const CHANGES_PENDING: i32 = 3;
/// The question was asked and the answer was not yes: nothing was changed.
pub const DECLINED: i32 = 4;
/// `apply PLAN_FILE` refused: what the plan was made from changed since (the world, the accounts file);
/// nothing was changed.
pub const STALE_PLAN: i32 = 5;
