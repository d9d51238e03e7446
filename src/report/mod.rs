//! The report values the commands hand to `output` (plain values and their pure methods such as
//! `exit_code`, no I/O): `commands` builds them and `output` renders them, each importing them from here.
//! The audit's report is `audit::AuditReport`, built by the audit itself.

pub mod apply;
pub mod exit;
pub mod inventory;
pub mod offboard;
pub mod plan;
pub mod restore;
pub mod saved_plan;

pub use apply::ApplyReport;
pub use offboard::OffboardReport;
pub use plan::PlanReport;
pub use restore::{DeniedTrail, RestoreChanges, RestoreReport, RestoreRun};
