//! Shared by the benchmarks: generated configurations of N member accounts, the machine header every run
//! prints, medians, the arguments and the versions of the tools a run used. Included as `mod common;` (not a benchmark itself: Cargo
//! only takes `benches/*.rs` and `benches/*/main.rs` as benchmark targets).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use trailhub::config::{Config, ScopedAccount, Source};

pub const CENTRAL: &str = "111111111111";
pub const REGION: &str = "ap-northeast-2";
pub const BUCKET: &str = "sec-log";
pub const ORG_ID: &str = "o-abcdef1234";

/// The ID of member `i`: 200000000000, 200000000001, ...
pub fn member_id(i: usize) -> String {
    format!("{:012}", 200_000_000_000u64 + i as u64)
}

pub fn member_name(i: usize) -> String {
    format!("M{i}")
}

/// accounts.toml for `n` members, listed one by one (`Source::Static`) or left to AWS Organizations, as a
/// user would write it, parsed by trailhub's own parser. The central account has a trail of its own.
pub fn config(source: Source, n: usize) -> Config {
    config_with(source, n, "")
}

/// [`config`] with `extra` (whole sections, such as `[cloudwatch]`) appended.
pub fn config_with(source: Source, n: usize, extra: &str) -> Config {
    let mut text = format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"{BUCKET}\"\nregion = \"{REGION}\"\n\
         trail_name = \"SEC-CLOUDTRAIL\"\n[members]\ntrail_name = \"{{name}}-CLOUDTRAIL\"\n"
    );
    match source {
        Source::Static => {
            for i in 0..n {
                text += &format!(
                    "[[account]]\nid = \"{}\"\nname = \"{}\"\n",
                    member_id(i),
                    member_name(i)
                );
            }
        }
        Source::Organizations => text += "source = \"organizations\"\n",
    }
    text += extra;
    Config::parse(Path::new("accounts.toml"), &text).expect("a valid generated config")
}

/// The targets discovery would find for `cfg` with `n` members: central first, then members by ID.
pub fn targets(cfg: &Config, n: usize) -> Vec<ScopedAccount> {
    let mut t: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    match cfg.members.source {
        Source::Static => t.extend(cfg.static_targets()),
        Source::Organizations => t.extend((0..n).map(|i| {
            cfg.org_target(member_id(i).parse().expect("an account ID"), member_name(i))
                .expect("a valid trail name")
        })),
    }
    t
}

/// The middle value (the upper one of an even count).
pub fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// What the figures were measured on, printed first by every benchmark.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!(
        "trailhub {}, {cpus} CPUs ({model})",
        env!("CARGO_PKG_VERSION")
    )
}

/// moto's version, "?" when it is not installed.
pub fn moto_version() -> String {
    first_line_of("python3", &["-c", "import moto; print(moto.__version__)"])
}

/// The first line `program args` printed (on stdout or stderr), "?" when it did not run.
pub fn first_line_of(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = [o.stdout, o.stderr].concat();
            let text = String::from_utf8_lossy(&text);
            text.lines().next().map(|l| l.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "?".into())
}

/// The benchmark's own arguments (cargo adds `--bench`): case names to run, none meaning all.
pub fn wanted() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect()
}
