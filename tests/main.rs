//! trailhub's integration tests: one test binary with a module per topic (issue 19, part 10). Every file
//! in `tests/` used to be its own binary, each linking the whole AWS SDK set; one crate links it once.
//! Run one topic with `cargo test --test integration <module>::`, e.g. `cargo test --test integration
//! faults::`.

mod logs_seed;
mod support;

mod access_log_region;
mod alarm_queue;
mod alarms;
mod apply;
mod audit;
mod audit_logs;
mod bad_input;
mod cli;
mod config_errors;
mod data_perimeter;
mod demo;
mod doc_links;
mod faults;
mod findings;
mod guardrails;
mod inventory;
mod key_policy_properties;
mod kms;
mod layers;
mod logs;
mod new_trail_selectors;
mod offboard;
mod organizations;
mod owner_flow_logs;
mod permissions;
mod properties;
mod regions;
mod restore;
mod retention;
mod second_opinion;
mod security;
mod snapshots;
mod support_selftest;
mod tls_only;
mod workflow;
