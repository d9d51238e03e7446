//! Writes docs/bad-inputs.md: runs every bad-input case of tests/bad_input.rs against moto through the
//! recording proxy and records what trailhub printed, its exit code and the writes that reached AWS.
//!
//! `cargo bench --bench bad_inputs_catalogue` (a program, not a benchmark: it runs the release binary).

// tests/bad_input.rs is a module of the integration tests' crate and uses its `crate::support`
#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../tests/bad_input.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
mod bad_input;

fn main() {
    bad_input::write_catalogue();
}
