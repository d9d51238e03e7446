//! The reliability figures of docs/reliability.md (issue 4), measured with the real trailhub binary against
//! a private moto behind the fault-injecting proxy, everything on 127.0.0.1:
//!
//! - `chaos`: 200 member accounts with every operation faulted (20% throttling, 5% HTTP 500, 2% connection
//!   resets): converged? foreign statements intact? requests, faults injected, wall time (and a clean run
//!   of the same apply for comparison);
//! - `kill`: kill -9 at 20 seeded random moments of an apply of 20 members, each followed by a re-run:
//!   what the policy was after the kill, converged N/20, foreign statements intact N/20;
//! - `hang`: one CreateTrail that hangs past the 30 s per-attempt timeout: retried, converged, wall time.
//!
//! `cargo bench --bench reliability` runs all three; `cargo bench --bench reliability -- kill` one of them.
//! Not part of CI (about 5 minutes on 2 cores).

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::moto_version;

use support::faults::{
    Running, Seeded, borrowed, chaos_rules, foreign_policy, foreign_problem, managed, members,
    not_onboarded, seeded_world, undeliverable,
};
use support::trailhub::{BUCKET, World, files_in, static_config};
use support::{Fault, Rule};

/// Every scenario stops here, whatever happens.
const DEADLINE: Duration = Duration::from_secs(15 * 60);

fn main() {
    let wanted = common::wanted();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    println!(
        "trailhub reliability figures ({} CPUs, moto {}), {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        moto_version(),
        env!("CARGO_PKG_VERSION")
    );
    let start = Instant::now();
    if run("chaos") {
        chaos();
    }
    if run("kill") {
        kill(start);
    }
    if run("hang") {
        hang();
    }
}

fn timed_apply(w: &World) -> (support::trailhub::Out, Duration) {
    Running::apply(w, &w.config_path(), &w.backup_dir()).wait(Duration::from_secs(600))
}

/// 200 accounts, every operation faulted.
fn chaos() {
    const N: usize = 200;
    println!(
        "\n## chaos: {N} members + central, every operation: 20% throttling, 5% HTTP 500, 2% connection resets"
    );
    println!("command: cargo bench --bench reliability -- chaos");
    let ms = members(400_000_000_000, N, "M");

    let clean = seeded_world(&ms);
    let (out, took) = timed_apply(&clean);
    println!(
        "clean run (no faults): exit {}, {} requests, {:.1} s",
        out.code,
        clean.proxy.log().len(),
        took.as_secs_f64()
    );
    drop(clean);

    let w = seeded_world(&ms);
    w.proxy.set_seed(2024);
    w.proxy.set_rules(chaos_rules(0.20, 0.05, 0.02));
    let (out, took) = timed_apply(&w);
    let log = w.proxy.log();
    w.proxy.clear_rules();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for l in log.iter().filter_map(|l| l.fault.clone()) {
        *kinds.entry(l).or_default() += 1;
    }
    let faults: usize = kinds.values().sum();
    let all = managed(&ms);
    let text = w.policy_text(BUCKET).unwrap_or_default();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let denied = undeliverable(&policy, &all);
    let missing = not_onboarded(&w, &all);
    let foreign_ok = foreign_problem(&text).is_none();
    println!(
        "faulted run: exit {}, wall time {:.1} s",
        out.code,
        took.as_secs_f64()
    );
    println!(
        "  converged: {}/{} trails made and logging, {}/{} allowed by the policy",
        all.len() - missing.len(),
        all.len(),
        all.len() - denied.len(),
        all.len()
    );
    println!(
        "  foreign statements intact: {}",
        if foreign_ok { "yes" } else { "NO" }
    );
    println!(
        "  requests sent: {}, faults injected (each one retried): {faults} {kinds:?}",
        log.len()
    );
    if out.code != 0 {
        println!("{out}");
    }
}

/// kill -9 at 20 random moments, each followed by a re-run.
fn kill(start: Instant) {
    const CASES: usize = 20;
    const N: usize = 20;
    const SEED: u64 = 20;
    println!(
        "\n## kill -9: {CASES} seeded random moments (seed {SEED}) in an apply of {N} members + central, 50 ms latency a call, into a bucket holding foreign statements; a re-run after each"
    );
    println!("command: cargo bench --bench reliability -- kill");
    let ms = members(500_000_000_000, N, "M");
    let all = managed(&ms);
    let w = World::start();
    w.write_config(&static_config(&borrowed(&ms)));
    let seeded = foreign_policy();
    let mut rng = Seeded(SEED);

    // how long an undisturbed run takes, to spread the moments over it
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &seeded);
    w.proxy.set_latency(Duration::from_millis(50));
    let (_, full) = timed_apply(&w);
    println!(
        "an undisturbed run takes {:.2} s: kills drawn uniformly in [0, that)",
        full.as_secs_f64()
    );

    let (mut converged, mut intact, mut backed_up, mut replaced) = (0, 0, 0, 0);
    let mut after: BTreeMap<&str, usize> = BTreeMap::new();
    let mut done = 0;
    for case in 0..CASES {
        if start.elapsed() > DEADLINE {
            println!("deadline reached after {case} cases");
            break;
        }
        w.proxy.set_latency(Duration::ZERO);
        w.moto.reset();
        w.create_bucket(BUCKET);
        w.put_policy(BUCKET, &seeded);
        w.proxy.set_latency(Duration::from_millis(50));
        let backups = w.dir.path().join(format!("kill-{case}"));
        let moment = rng.between(Duration::ZERO, full);
        let mut run = Running::apply(&w, &w.config_path(), &backups);
        std::thread::sleep(moment);
        let finished_first = run.finished();
        run.kill9();
        let _ = run.wait(Duration::from_secs(10));
        let text = w.policy_text(BUCKET);
        let state = match &text {
            None => "absent",
            Some(t) if *t == seeded => "old",
            Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
                Ok(v) if undeliverable(&v, &all).is_empty() && foreign_problem(t).is_none() => {
                    "new"
                }
                _ => "BROKEN",
            },
        };
        *after.entry(state).or_default() += 1;
        if state == "new" {
            replaced += 1;
            let saved = files_in(&backups)
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .any(|s| s == seeded);
            backed_up += usize::from(saved);
        }
        w.proxy.set_latency(Duration::ZERO);
        let (again, _) =
            Running::apply(&w, &w.config_path(), &backups).wait(Duration::from_secs(120));
        let text = w.policy_text(BUCKET).unwrap_or_default();
        let policy: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let ok = again.code == 0
            && undeliverable(&policy, &all).is_empty()
            && not_onboarded(&w, &all).is_empty();
        converged += usize::from(ok);
        intact += usize::from(foreign_problem(&text).is_none());
        println!(
            "  case {case:2}: killed at {:5.2} s{}: policy {state}; re-run exit {}, {}",
            moment.as_secs_f64(),
            if finished_first {
                " (it had already finished)"
            } else {
                ""
            },
            again.code,
            if ok { "converged" } else { "NOT converged" }
        );
        done += 1;
    }
    println!("policy right after the kill: {after:?}");
    println!("replaced and backed up: {backed_up}/{replaced}");
    println!("converged after the re-run: {converged}/{done}");
    println!("foreign statements intact: {intact}/{done}");
}

/// One CreateTrail hangs past the SDK's 30 s per-attempt timeout.
fn hang() {
    println!(
        "\n## hang: the first CreateTrail never answers (proxy holds it 40 s), 3 members + central"
    );
    println!("command: cargo bench --bench reliability -- hang");
    let ms = members(600_000_000_000, 3, "M");
    let w = seeded_world(&ms);
    w.proxy.add_rule(
        Rule::on("cloudtrail", "CreateTrail")
            .once()
            .fault(Fault::Hang(Duration::from_secs(40))),
    );
    let (out, took) = timed_apply(&w);
    let all = managed(&ms);
    let missing = not_onboarded(&w, &all);
    let text = w.policy_text(BUCKET).unwrap_or_default();
    println!(
        "exit {}, wall time {:.1} s, CreateTrail calls {}, converged {}/{}, foreign statements intact: {}",
        out.code,
        took.as_secs_f64(),
        w.proxy.count("CreateTrail"),
        all.len() - missing.len(),
        all.len(),
        if foreign_problem(&text).is_none() {
            "yes"
        } else {
            "NO"
        }
    );
    if out.code != 0 {
        println!("{out}");
    }
}
