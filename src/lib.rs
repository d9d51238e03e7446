//! trailhub: centralize CloudTrail logging of many AWS accounts into one security account's bucket,
//! and prove that coverage stays complete.
//!
//! - The pure core knows no SDK type and makes no call: `config` (accounts.toml), `model` (validated
//!   names and IDs), `world` (the plain values of the AWS world, shared by the planner and the edge),
//!   `plan` (the bucket policy, its evaluator, trails, event selectors, the log layout).
//! - ARCHITECTURE.md at the repository's root is the maintainers' map: the layers, every module, the
//!   rules, the names and recipes for the common changes.
//! - The I/O edge: `aws` puts each AWS service behind a small trait (the SDK in `aws::sdk`, moto's
//!   differences in `aws::emulator`); `fake` is the in-memory AWS of the tests and benchmarks.
//! - Observation, async over the traits and never a write: `observe` (the scope, each account, the
//!   central bucket's settings and KMS key, the audit's facts).
//! - Orchestration over the traits: `apply` (the one policy writer, then every account within a bound),
//!   `audit` (facts gathered by `observe`, then judged).
//! - `commands` runs each command from config to a report value, one of `report` (plain values that
//!   both `commands` and `output` import); `output` is the only code that writes results (and draws the
//!   progress bar, `output::progress_bar`); `cli`, `interrupt` and `progress` hold the command line, Ctrl-C
//!   and what a run tells of its progress.

pub mod apply;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
#[cfg(test)]
mod fixtures;
// the unit tests, and the integration tests and benchmarks through the `fake` feature: not in the binary
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod interrupt;
pub mod model;
pub mod observe;
pub mod output;
pub mod permissions;
pub mod plan;
pub mod progress;
pub mod report;
pub mod world;
