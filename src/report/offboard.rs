//! What `trailhub offboard` hands to `output` (plain values, no I/O): the plan shown, and what was done
//! when the answer was yes, with the exit code each makes.

use serde::Serialize;

use crate::apply::OffboardDone;
use crate::plan::offboard::OffboardPlan;

// one value a run (or an account): boxing the large variant would buy nothing
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum OffboardReport {
    /// The plan was shown and the answer was not yes: nothing was done.
    NotApplied(OffboardPlan),
    Offboarded {
        plan: OffboardPlan,
        done: OffboardDone,
    },
}

impl OffboardReport {
    /// 0 offboarded; 1 a step failed; 4 not applied (the answer was not yes).
    pub fn exit_code(&self) -> i32 {
        match self {
            OffboardReport::NotApplied(_) => super::exit::DECLINED,
            OffboardReport::Offboarded { done, .. } if done.failed.is_some() => 1,
            OffboardReport::Offboarded { .. } => 0,
        }
    }
}
