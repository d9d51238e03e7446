//! Shared test support for trailhub's integration tests and benchmarks.
//!
//! - [`moto`]: start and reset a private `moto_server` (the fake AWS every test runs against), and the
//!   environment / SDK configuration that points a trailhub child process or an in-process SDK client at it.
//! - [`proxy`]: a recording, fault-injecting HTTP/1.1 reverse proxy to put in front of moto, because
//!   moto itself never throttles, denies or fails (see `/work/shared/MOTO.md`).
//!
//! Everything here is usable from synchronous `#[test]` functions: moto is a child process and the proxy
//! runs on its own thread with its own tokio runtime.
//!
//! Included as `mod support;` by test files and as
//! `#[path = "../tests/support/mod.rs"] mod support;` by the benchmark, so not every item is used everywhere.
#![allow(dead_code, unused_imports)]

pub mod faults;
pub mod in_process;
pub mod moto;
pub mod proxy;
pub mod trailhub;

pub use moto::{
    Moto, TEST_ACCOUNT_ID, TEST_REGION, apply_test_env, create_bucket, put_objects_past_policy,
    s3_client, sdk_config, test_env,
};
pub use proxy::{Fault, Logged, Protocol, Proxy, Rule};

/// Whether `text` says `needle`, however either was wrapped to 100 columns: their lines joined and their
/// spaces collapsed before they are compared.
pub fn says(text: &str, needle: &str) -> bool {
    unwrapped(text).contains(&unwrapped(needle))
}

/// `text` with its lines joined and its spaces collapsed.
pub fn unwrapped(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The row of the account table of `text` that starts with `id`, with the lines that continue it (they
/// start with a space), unwrapped; None when there is none.
pub fn row(text: &str, id: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(id));
    let first = lines.next()?;
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with(' ')).collect();
    Some(unwrapped(&format!("{first} {}", rest.join(" "))))
}
