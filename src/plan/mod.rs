//! The pure planner: desired bucket policy, desired trails and the diff against what was observed.
//! No I/O, no AWS SDK types.

pub mod evaluate;
pub mod policy;
