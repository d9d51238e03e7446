//! The end-to-end figure of BENCHMARKS.md §3 (issue 5, part 3): trailhub against the sequential aws CLI
//! script a team would write from AWS's docs (`benches/sequential-aws-cli.sh`), over real HTTP to a private
//! moto behind the test proxy adding 50 ms to every request, everything on 127.0.0.1.
//!
//! - `compare`: for R rounds, alternately, each on a fresh moto whose bucket holds foreign statements: the
//!   release `trailhub apply --yes` at its default concurrency, the same with `--concurrency 16`, and the
//!   script, for the central account + N members. Every run is verified afterwards (each trail exists as
//!   specified and is logging, the policy lets each trail deliver, the foreign statements are intact).
//!   Prints each run's time and requests, the medians, the ratio, and the bound on trailhub's time at that
//!   latency.
//! - `ceiling`: the requests per second moto serves for cheap calls (GetCallerIdentity, DescribeTrails),
//!   directly and through the proxy with no added latency, at a few concurrencies.
//!
//! `cargo bench --bench e2e` runs both (`-- compare` or `-- ceiling` one). `TRAILHUB_E2E_ROUNDS` (default
//! 3) and `TRAILHUB_E2E_ACCOUNTS` (default 200) change R and N. Not part of CI: each script run takes
//! minutes (every `aws` call starts a Python interpreter).

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{first_line_of, moto_version};

use support::faults::{
    Running, foreign_problem, managed, members, not_onboarded, seeded_world, undeliverable,
};
use support::proxy::Logged;
use support::trailhub::{BUCKET, CENTRAL_TRAIL, REGION, World};
use support::{Moto, Proxy, TEST_ACCOUNT_ID, apply_test_env, sdk_config};
use trailhub::apply::ApplyOptions;
use trailhub::config::DEFAULT_CONCURRENCY;
use trailhub::interrupt::Interrupt;

/// Added by the proxy to every request of the compared runs.
const LATENCY: Duration = Duration::from_millis(50);
/// Calls per new member account: AssumeRole and DescribeTrails (observe), CreateTrail and StartLogging.
const CALLS_PER_ACCOUNT: usize = 4;
/// The operations made once per account; every other request is a call on the central bucket or identity.
const PER_ACCOUNT_OPERATIONS: &[&str] = &[
    "AssumeRole",
    "DescribeTrails",
    "GetTrailStatus",
    "CreateTrail",
    "UpdateTrail",
    "StartLogging",
];
/// The concurrency of the second trailhub run: 16, the default before BENCHMARKS.md "Default concurrency"
/// chose 64, to show what the higher default buys.
const OTHER_CONCURRENCY: usize = 16;
/// How long each ceiling measurement lasts.
const CEILING_WINDOW: Duration = Duration::from_secs(4);

fn main() {
    let wanted = common::wanted();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let rounds = env_number("TRAILHUB_E2E_ROUNDS", 3);
    let accounts = env_number("TRAILHUB_E2E_ACCOUNTS", 200);
    println!(
        "trailhub end-to-end figures ({} CPUs, moto {}, {}), trailhub {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        moto_version(),
        aws_cli_version(),
        env!("CARGO_PKG_VERSION")
    );
    let ceiling = run("ceiling").then(ceiling);
    if run("compare") {
        compare(rounds, accounts, ceiling);
    }
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn aws_cli_version() -> String {
    first_line_of("aws", &["--version"])
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Contender {
    /// `trailhub apply --yes`, with `--concurrency` when given.
    Trailhub(Option<usize>),
    /// `benches/sequential-aws-cli.sh`.
    AwsCli,
}

impl Contender {
    fn label(self) -> String {
        match self {
            Contender::Trailhub(None) => {
                format!("trailhub (default concurrency {DEFAULT_CONCURRENCY})")
            }
            Contender::Trailhub(Some(c)) => format!("trailhub --concurrency {c}"),
            Contender::AwsCli => "aws CLI script".into(),
        }
    }
}

/// One timed run, verified.
struct Run {
    contender: Contender,
    took: Duration,
    log: Vec<Logged>,
    /// The size of the bucket policy it left (AWS refuses more than 20 KB; moto takes any size).
    policy_bytes: usize,
    /// What is wrong with the result (empty: every account onboarded, policy right, foreign statements kept).
    problems: Vec<String>,
}

impl Run {
    fn verified(&self) -> bool {
        self.problems.is_empty()
    }

    /// Requests per operation, e.g. `{"AssumeRole": 200, ...}`.
    fn operations(&self) -> BTreeMap<&str, usize> {
        let mut ops = BTreeMap::new();
        for l in &self.log {
            *ops.entry(l.operation.as_str()).or_default() += 1;
        }
        ops
    }

    /// The requests on the critical path outside the per-account waves: those before the first account
    /// is observed (GetCallerIdentity), and the calls on the central bucket after the last observation
    /// (guards, the policy's read, write and read-back, the final check). The bucket's reads made while
    /// the accounts are observed overlap them, so they are not counted.
    fn serial_calls(&self) -> Vec<&str> {
        const OBSERVING: &[&str] = &["AssumeRole", "DescribeTrails", "GetTrailStatus"];
        let observing = |l: &Logged| OBSERVING.contains(&l.operation.as_str());
        let first = self.log.iter().position(observing).unwrap_or(0);
        let after = self.log.iter().rposition(observing).map_or(0, |i| i + 1);
        self.log[..first]
            .iter()
            .chain(&self.log[after..])
            .map(|l| l.operation.as_str())
            .filter(|op| !PER_ACCOUNT_OPERATIONS.contains(op))
            .collect()
    }
}

fn compare(rounds: usize, n: usize, ceiling: Option<Ceiling>) {
    println!(
        "\n## compare: central + {n} members, {} ms added to every request, {rounds} rounds, contenders alternating",
        LATENCY.as_millis()
    );
    println!("command: cargo bench --bench e2e -- compare");
    let ms = members(700_000_000_000, n, "M");
    let timeout = Duration::from_secs(120 + 10 * n as u64);
    let mut runs: Vec<Run> = Vec::new();
    println!("| round | contender | wall time | requests | policy bytes | verified |");
    println!("|---|---|---|---|---|---|");
    for round in 1..=rounds {
        let mut order = [
            Contender::Trailhub(None),
            Contender::Trailhub(Some(OTHER_CONCURRENCY)),
            Contender::AwsCli,
        ];
        if round % 2 == 0 {
            order.reverse();
        }
        for contender in order {
            let run = timed_run(contender, &ms, timeout);
            println!(
                "| {round} | {} | {:.1} s | {} | {} | {} |",
                contender.label(),
                run.took.as_secs_f64(),
                run.log.len(),
                run.policy_bytes,
                if run.verified() {
                    "yes".to_owned()
                } else {
                    format!("NO: {}", run.problems.join("; "))
                }
            );
            runs.push(run);
        }
    }
    summarize(&runs, n, ceiling);
}

/// A fresh moto seeded with the bucket and its foreign statements, `contender` run through the proxy with
/// [`LATENCY`], then the result checked straight against moto.
fn timed_run(contender: Contender, ms: &[(String, String)], timeout: Duration) -> Run {
    let w = seeded_world(ms);
    w.proxy.set_latency(LATENCY);
    let running = match contender {
        Contender::Trailhub(concurrency) => {
            let config = w.config_path();
            let backups = w.backup_dir();
            let concurrency = concurrency.map(|c| c.to_string());
            let mut args = vec![
                "--config",
                config.to_str().unwrap(),
                "apply",
                "--yes",
                "--backup-dir",
                backups.to_str().unwrap(),
            ];
            if let Some(c) = &concurrency {
                args.extend(["--concurrency", c]);
            }
            Running::start(&w.proxy.url(), &args)
        }
        Contender::AwsCli => Running::spawn(aws_cli_script(&w, ms)),
    };
    let (out, took) = running.wait(timeout);
    let log = w.proxy.log();
    let mut problems = Vec::new();
    if out.code != 0 {
        problems.push(format!(
            "{} exited with {}: {out}",
            contender.label(),
            out.code
        ));
    }
    problems.extend(check(&w, ms));
    Run {
        contender,
        took,
        log,
        policy_bytes: w.policy_text(BUCKET).map_or(0, |t| t.len()),
        problems,
    }
}

/// The script, set up to onboard the central account and `ms` through `w`'s proxy.
fn aws_cli_script(w: &World, ms: &[(String, String)]) -> Command {
    let list: PathBuf = w.dir.path().join("members.txt");
    let lines: String = ms
        .iter()
        .map(|(id, name)| format!("{id} {name}-CLOUDTRAIL\n"))
        .collect();
    std::fs::write(&list, lines).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sequential-aws-cli.sh");
    let url = w.proxy.url();
    let mut cmd = Command::new("bash");
    apply_test_env(&mut cmd, &url);
    cmd.arg(script)
        .args([&url, BUCKET, REGION, TEST_ACCOUNT_ID, CENTRAL_TRAIL])
        .arg(list);
    cmd
}

/// What is wrong with what moto holds after a run: trails missing or not as specified or not logging,
/// trails the policy does not let deliver, foreign statements lost.
fn check(w: &World, ms: &[(String, String)]) -> Vec<String> {
    let all = managed(ms);
    let text = w.policy_text(BUCKET).unwrap_or_default();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut problems = Vec::new();
    let missing = not_onboarded(w, &all);
    if !missing.is_empty() {
        problems.push(format!(
            "{} trails missing or not logging, e.g. {}",
            missing.len(),
            missing[0]
        ));
    }
    let denied = undeliverable(&policy, &all);
    if !denied.is_empty() {
        problems.push(format!(
            "the policy denies {} trails, e.g. {}",
            denied.len(),
            denied[0]
        ));
    }
    problems.extend(foreign_problem(&text));
    problems
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(xs[n / 2]),
        _ => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    }
}

fn summarize(runs: &[Run], n: usize, ceiling: Option<Ceiling>) {
    let stats = |c: Contender| {
        let of: Vec<&Run> = runs
            .iter()
            .filter(|r| r.contender == c && r.verified())
            .collect();
        let secs = median(of.iter().map(|r| r.took.as_secs_f64()).collect());
        let requests = median(of.iter().map(|r| r.log.len() as f64).collect());
        (secs, requests, of)
    };
    println!("\nmedians of the verified runs:");
    let mut medians = BTreeMap::new();
    for c in [
        Contender::Trailhub(None),
        Contender::Trailhub(Some(OTHER_CONCURRENCY)),
        Contender::AwsCli,
    ] {
        let (secs, requests, of) = stats(c);
        if let (Some(secs), Some(requests)) = (secs, requests) {
            println!(
                "  {}: {secs:.2} s over {} runs, {requests:.0} requests; by operation (first run): {:?}",
                c.label(),
                of.len(),
                of[0].operations()
            );
            medians.insert(c.label(), secs);
        } else {
            println!("  {}: no verified run", c.label());
        }
    }
    let cli = medians.get(&Contender::AwsCli.label()).copied();
    for c in [
        Contender::Trailhub(None),
        Contender::Trailhub(Some(OTHER_CONCURRENCY)),
    ] {
        if let (Some(cli), Some(&t)) = (cli, medians.get(&c.label())) {
            println!("ratio aws CLI script / {}: {:.0}x", c.label(), cli / t);
        }
    }

    // The bound: what trailhub's calls cost at this latency if moto answered instantly.
    let opts = ApplyOptions::new(PathBuf::new(), DEFAULT_CONCURRENCY, Interrupt::default());
    let interval = opts.mutation_interval;
    println!(
        "\nbound on trailhub's time at {} ms a request (N = {n}, k = {CALLS_PER_ACCOUNT}, mutation interval {:?}, policy propagation delay {:?} only after an InsufficientS3BucketPolicyException, which moto never answers):",
        LATENCY.as_millis(),
        interval,
        opts.policy_propagation_delay
    );
    for contender in [
        Contender::Trailhub(None),
        Contender::Trailhub(Some(OTHER_CONCURRENCY)),
    ] {
        let Contender::Trailhub(concurrency) = contender else {
            continue;
        };
        let c = concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let (secs, requests, of) = stats(contender);
        let Some(first) = of.first() else { continue };
        let serial = first.serial_calls();
        let b = Bound::new(n, c, serial.len(), interval);
        print!(
            "  concurrency {c}: waves ceil({n}/{c}) = {}, {} serial calls {serial:?}: ceil(N/C)*k*L + serial*L = {:.2} s; with the {interval:?} pacing between CreateTrail and StartLogging {:.2} s",
            b.waves,
            serial.len(),
            b.naive().as_secs_f64(),
            b.paced().as_secs_f64()
        );
        if let Some(secs) = secs {
            print!(
                "; measured {secs:.2} s = {:.2}x the paced bound",
                secs / b.paced().as_secs_f64()
            );
        }
        if let (Some(ceiling), Some(requests)) = (&ceiling, requests) {
            print!(
                "; {requests:.0} requests at moto's ceiling through the proxy ({:.0}/s) alone take {:.2} s",
                ceiling.through_proxy,
                requests / ceiling.through_proxy
            );
        }
        println!();
    }
}

/// The least time trailhub can take at [`LATENCY`] a request if moto answered instantly.
struct Bound {
    /// ceil(N / C): the rounds of C concurrent calls each per-account step needs.
    waves: usize,
    /// Calls on the central bucket and identity, one after another.
    serial: usize,
    interval: Duration,
}

impl Bound {
    fn new(n: usize, concurrency: usize, serial: usize, interval: Duration) -> Bound {
        Bound {
            waves: n.div_ceil(concurrency),
            serial,
            interval,
        }
    }

    /// `ceil(N/C) * k * L + serial * L`: every per-account call in waves of C, nothing else.
    fn naive(&self) -> Duration {
        LATENCY * (self.waves * CALLS_PER_ACCOUNT + self.serial) as u32
    }

    /// With the pacing: observing (AssumeRole, DescribeTrails) takes 2 waves; then the CreateTrails go in
    /// waves, and each account's StartLogging waits `interval` after its CreateTrail started, so the last
    /// wave's StartLogging ends at (waves - 1) * L + interval + L, unless the permits are the limit
    /// (2 * waves * L).
    fn paced(&self) -> Duration {
        let waves = self.waves as u32;
        let observe = LATENCY * 2 * waves;
        let trails = (LATENCY * 2 * waves).max(LATENCY * waves + self.interval);
        LATENCY * self.serial as u32 + observe + trails
    }
}

/// moto's ceiling for the cheapest calls, requests per second.
struct Ceiling {
    /// The best rate through the proxy with no latency added: what trailhub's runs could get at most.
    through_proxy: f64,
}

/// How many requests per second moto serves, directly and through the proxy (0 ms added), for two cheap
/// calls at a few concurrencies, from this process (which shares the CPUs with moto).
fn ceiling() -> Ceiling {
    println!(
        "\n## ceiling: requests per second moto answers (fresh moto, {:?} per measurement after a warm-up)",
        CEILING_WINDOW
    );
    println!("command: cargo bench --bench e2e -- ceiling");
    let moto = Moto::start();
    let proxy = Proxy::start(&moto.url());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut through_proxy: f64 = 0.0;
    println!("| call | path | concurrency | requests/s | errors |");
    println!("|---|---|---|---|---|");
    for call in [Call::GetCallerIdentity, Call::DescribeTrails] {
        for (path, url) in [
            ("moto directly", moto.url()),
            ("through the proxy", proxy.url()),
        ] {
            for concurrency in [1, OTHER_CONCURRENCY, DEFAULT_CONCURRENCY] {
                let (rate, errors) = rt.block_on(rate(&url, call, concurrency));
                println!("| {call:?} | {path} | {concurrency} | {rate:.0} | {errors} |");
                if url == proxy.url() {
                    through_proxy = through_proxy.max(rate);
                }
            }
        }
    }
    println!(
        "moto's ceiling through the proxy: {through_proxy:.0} requests/s; its time per request {:.1} ms",
        1000.0 / through_proxy
    );
    Ceiling { through_proxy }
}

#[derive(Clone, Copy, Debug)]
enum Call {
    /// STS, awsQuery.
    GetCallerIdentity,
    /// CloudTrail, awsJson; the central account has no trail, so the answer is small.
    DescribeTrails,
}

/// Makes one [`Call`] after another until a deadline.
#[derive(Clone)]
struct Caller {
    call: Call,
    sts: aws_sdk_sts::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
}

impl Caller {
    /// Calls until `end`: (answered, errors).
    async fn until(self, end: Instant) -> (usize, usize) {
        let (mut answered, mut errors) = (0, 0);
        while Instant::now() < end {
            let ok = match self.call {
                Call::GetCallerIdentity => self.sts.get_caller_identity().send().await.is_ok(),
                Call::DescribeTrails => self.cloudtrail.describe_trails().send().await.is_ok(),
            };
            answered += 1;
            errors += usize::from(!ok);
        }
        (answered, errors)
    }

    /// `concurrency` tasks calling for `window`: (answered, errors).
    async fn fan_out(&self, concurrency: usize, window: Duration) -> (usize, usize) {
        let end = Instant::now() + window;
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| tokio::spawn(self.clone().until(end)))
            .collect();
        let mut total = (0, 0);
        for task in tasks {
            let (answered, errors) = task.await.unwrap();
            total = (total.0 + answered, total.1 + errors);
        }
        total
    }
}

/// Requests per second answered by `url` for `call`, `concurrency` at a time, over [`CEILING_WINDOW`]
/// (after a warm-up of a second); and the number of errors.
async fn rate(url: &str, call: Call, concurrency: usize) -> (f64, usize) {
    let config = sdk_config(url).await;
    let caller = Caller {
        call,
        sts: aws_sdk_sts::Client::new(&config),
        cloudtrail: aws_sdk_cloudtrail::Client::new(&config),
    };
    caller.fan_out(concurrency, Duration::from_secs(1)).await;
    let start = Instant::now();
    let (answered, errors) = caller.fan_out(concurrency, CEILING_WINDOW).await;
    (answered as f64 / start.elapsed().as_secs_f64(), errors)
}
