//! trailhub: centralize CloudTrail logging of many AWS accounts into one security account's bucket,
//! and prove that coverage stays complete.
//!
//! The pure core (`config`, `model`, `plan`) knows no SDK type and makes no call; the I/O edge (`aws`)
//! puts each AWS service behind a small trait; `apply`, `audit` and `discover` orchestrate over those traits.

pub mod apply;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod fake;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod plan;
