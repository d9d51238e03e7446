//! Issue 22, point 5: the first apply and the audit with `[flow_logs]` in every enabled Region, over the
//! in-process fake AWS at L = 50 ms per call, in real time: 1,000 member accounts from AWS Organizations
//! (and the central account), each with the 17 Regions enabled by default (and 4 opt-in Regions it has not
//! opted into, which are not read), a default VPC in each, the `s3` destination, C = 64 (the default).
//!
//! Each wall time is set against its round-trip bound, the least time any schedule could take given the
//! calls the fake saw (printed per kind):
//!
//! - T = N + 1 targets, R = ceil(T / C) rounds of observation; P = ceil(T / 20) pages of ListAccounts one
//!   after the other, each page's accounts observed while the next pages are listed;
//! - an account's observation is 3 round trips: AssumeRole; DescribeTrails with DescribeRegions; then
//!   DescribeVpcs and DescribeFlowLogs in the 17 Regions at once (the run's one limit on Region reads in
//!   flight, C·17, `observe::regions::region_limit`, adds no round at 17 Regions an account).
//!   observe = max(R·3L, P·L + 3L);
//! - the first apply then makes S = 9 serial central calls (the bucket and its policy), and every account's
//!   writes under the run's C call permits (an account waiting out CloudTrail's 1 s between CreateTrail and
//!   StartLogging holds none): W = 20 calls an account (CreateTrail, GetEventSelectors, StartLogging, one
//!   CreateFlowLogs per Region, the Regions at once), ceil(T·W / C)·L, and no less than one account's
//!   chain, L + 1 s + L + L. first apply bound = observe + S·L + max(ceil(T·W / C)·L, chain);
//! - the audit's observation is 4 round trips (GetTrailStatus and GetEventSelectors after the wave of
//!   DescribeTrails and the Regions), then ListObjectsV2 a round: max(R·4L, P·L + 4L) + R·L.
//!
//! `cargo bench --bench regions` (about 1 minute).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{CENTRAL, ORG_ID, REGION, member_id, member_name};
use trailhub::apply::{ApplyOptions, apply};
use trailhub::audit::{AuditOptions, audit};
use trailhub::aws::OrgAccount;
use trailhub::commands::observe_and_plan;
use trailhub::config::{Config, Source};
use trailhub::fake::FakeAws;
use trailhub::interrupt::Interrupt;
use trailhub::progress::Silent;

const L: Duration = Duration::from_millis(50);
const MEMBERS: usize = 1_000;
const C: usize = 64;
const REGIONS: u32 = 17;
const PAGE: usize = 20;
const SERIAL_FIRST: u32 = 9;
/// CreateTrail, GetEventSelectors, StartLogging, and one CreateFlowLogs per Region.
const WRITES: u32 = 3 + REGIONS;
const FLOW_LOGS: &str = "[flow_logs]\ndestinations = [\"s3\"]\n";

/// The world: the organization of central and the members, every Region of the fake.
fn world() -> FakeAws {
    let fake = FakeAws::new(CENTRAL, REGION, L);
    let mut w = fake.world();
    w.use_every_region();
    w.org_id = Some(ORG_ID.to_owned());
    w.org_accounts = std::iter::once((CENTRAL.to_owned(), "central".to_owned()))
        .chain((0..MEMBERS).map(|i| (member_id(i), member_name(i))))
        .map(|(id, name)| OrgAccount {
            id,
            name,
            active: true,
        })
        .collect();
    drop(w);
    fake
}

fn targets() -> u32 {
    (MEMBERS + 1) as u32
}

fn observe_bound(k: u32) -> Duration {
    let rounds = targets().div_ceil(C as u32);
    let pages = targets().div_ceil(PAGE as u32);
    (L * rounds * k).max(L * pages + L * k)
}

fn first_apply_bound() -> Duration {
    let writes = L * (targets() * WRITES).div_ceil(C as u32);
    let chain = L + Duration::from_secs(1) + L + L;
    observe_bound(3) + L * SERIAL_FIRST + writes.max(chain)
}

fn audit_bound() -> Duration {
    observe_bound(4) + L * targets().div_ceil(C as u32)
}

type Calls = BTreeMap<&'static str, usize>;

fn calls_since(fake: &FakeAws, before: &Calls) -> Calls {
    let mut d = fake.world().calls.clone();
    for (op, n) in d.iter_mut() {
        *n -= before.get(op).copied().unwrap_or(0);
    }
    d.retain(|_, n| *n > 0);
    d
}

fn report(what: &str, walls: &[Duration], bound: Duration, calls: &Calls, in_flight: usize) {
    let wall = common::median(walls.to_vec());
    let each: Vec<String> = calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    println!(
        "  {what:<12} wall {:>6.2} s (runs: {})  bound {:>6.2} s  ratio {:.2}  most calls at once {in_flight}\n  {:<12} {} calls: {}",
        wall.as_secs_f64(),
        walls
            .iter()
            .map(|w| format!("{:.2}", w.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64(),
        "",
        calls.values().sum::<usize>(),
        each.join(", ")
    );
}

async fn first_apply(fake: &FakeAws, cfg: &Config, opts: &ApplyOptions) -> Duration {
    let start = Instant::now();
    let prune = trailhub::plan::prune::Prune::Off;
    let (scope, plan, observations) =
        observe_and_plan(fake, cfg, &prune, C, &opts.interrupt, &Silent)
            .await
            .expect("plans");
    let report = apply(fake, cfg, &scope, &plan, observations, opts)
        .await
        .expect("applies");
    let wall = start.elapsed();
    let bad: Vec<_> = report.accounts.iter().filter(|a| a.is_bad()).collect();
    assert!(bad.is_empty(), "not converged: {bad:?}");
    let made: usize = (report.accounts.iter())
        .filter_map(|a| a.flow_logs.as_ref())
        .map(|f| f.created.len())
        .sum();
    assert_eq!(made, (MEMBERS + 1) * REGIONS as usize, "a flow log a VPC");
    wall
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("{}", common::machine());
    println!(
        "org-{MEMBERS} C={C}, {REGIONS} enabled Regions a account, [flow_logs] destinations = [\"s3\"], L = {} ms",
        L.as_millis()
    );
    let cfg = common::config_with(Source::Organizations, MEMBERS, FLOW_LOGS);
    let backups = tempfile::tempdir().expect("a temporary directory");
    let opts = ApplyOptions::new(backups.path().to_owned(), C, Interrupt::default());
    let audit_opts = AuditOptions {
        concurrency: C,
        max_age: Duration::from_secs(24 * 3600),
        progress: Default::default(),
    };
    let (mut applies, mut audits) = (Vec::new(), Vec::new());
    let (mut apply_calls, mut audit_calls) = (Calls::new(), Calls::new());
    let (mut apply_flight, mut audit_flight) = (0, 0);
    for _ in 0..3 {
        let fake = world();
        applies.push(first_apply(&fake, &cfg, &opts).await);
        apply_calls = calls_since(&fake, &Calls::new());
        apply_flight = apply_flight.max(fake.max_in_flight());
        let before = fake.world().calls.clone();
        let start = Instant::now();
        let audited = audit(&fake, &cfg, &audit_opts, time::OffsetDateTime::now_utc())
            .await
            .expect("audits");
        audits.push(start.elapsed());
        assert_eq!(audited.summary.accounts, MEMBERS + 1);
        audit_calls = calls_since(&fake, &before);
        audit_flight = audit_flight.max(fake.max_in_flight());
    }
    report(
        "first apply",
        &applies,
        first_apply_bound(),
        &apply_calls,
        apply_flight,
    );
    report("audit", &audits, audit_bound(), &audit_calls, audit_flight);
}
