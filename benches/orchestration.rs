//! The orchestration (issue 5, parts 2 and 4): the real `commands::observe_and_plan` + `apply::apply` path, and
//! `audit::audit`, over the in-process fake AWS (`trailhub::fake::FakeAws`) with L = 50 ms per call,
//! in real time, at N = 100, 1,000 and 10,000 member accounts and a few concurrencies C.
//!
//! Each wall time is set against its bound: the least time any schedule of C calls at once could take,
//! given the calls the fake saw (printed per kind, so the k calls per account are checked, not assumed):
//!
//! - T = N + 1 targets (the central account has a trail too, reached without AssumeRole), R = ceil(T / C)
//!   rounds of C calls;
//! - first apply (k = 5: AssumeRole, DescribeTrails | CreateTrail, GetEventSelectors, StartLogging):
//!   observe max(R·2L, listing) + S·L + trails max(R·3L, R·L + 1 s). The second is CloudTrail's one
//!   mutating call per second per account (`ApplyOptions::mutation_interval`, kept at its real value): an
//!   account's StartLogging starts no earlier than 1 s after its CreateTrail; GetEventSelectors, a read,
//!   runs in between (the fake's new trail has AWS's default selector: no PutEventSelectors, issue 20
//!   point 12). S = 9 serial central calls on a new
//!   bucket: HeadBucket, CreateBucket, 3 guards, GetBucketPolicy, PutBucketPolicy, GetBucketPolicy before
//!   the trails and GetBucketPolicy after them;
//! - second apply on the converged world (k = 4 in 3 round trips: AssumeRole, DescribeTrails, then
//!   GetTrailStatus and GetEventSelectors at once):
//!   observe max(R·3L, listing) + S·L with S = 2 (GetBucketPolicy before and after the trails);
//! - listing (source = "organizations"): P = ceil((N + 1) / 20) pages of ListAccounts one after the other,
//!   observation of each page's accounts overlapping the next pages: the last accounts are observed no
//!   earlier than P·L + k_observe·L. A static list has no listing;
//! - audit (k = 5 in 4 round trips: AssumeRole, DescribeTrails, GetTrailStatus with GetEventSelectors,
//!   then ListObjectsV2 of the region folders; `audit-history` seeds histories and lists day folders too):
//!   P·L (listing, not overlapped) + 2L (HeadBucket, GetBucketPolicy) + R·3L + R·L.
//!
//! - `logs` (issue 11): the same apply and audit with `[cloudwatch]` and `[flow_logs]` (destinations s3 and
//!   cloudwatch; the fake gives each account one VPC). Observation reads the log groups, roles, VPCs and flow
//!   logs in the wave of DescribeTrails (no round trip more). A new account's writes run one after the
//!   other, each service paced on its own interval (`ApplyOptions::intervals`, CloudTrail's 1 s): the
//!   bound's per-account chain is simulated from that sequence ([`logs_chain`]).
//!
//! Each case runs 3 times on a fresh world (once at 10,000 accounts) and the median wall time is reported.
//! `cargo bench --bench orchestration` runs everything (about 9 minutes); `-- apply`, `-- audit` or
//! `-- logs` a part.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{CENTRAL, ORG_ID, REGION, member_id, member_name};
use trailhub::apply::{ApplyOptions, PartStatus, apply};
use trailhub::audit::{AuditOptions, audit};
use trailhub::aws::OrgAccount;
use trailhub::commands::observe_and_plan;
use trailhub::config::{Config, Source};
use trailhub::fake::FakeAws;
use trailhub::interrupt::Interrupt;
use trailhub::progress::Silent;

/// The fake's latency per call.
const L: Duration = Duration::from_millis(50);
/// ListAccounts' page size (the fake's, and AWS's maximum).
const PAGE: usize = 20;
/// The number of serial central calls of a first apply on a new bucket, and of an apply that changes nothing.
const SERIAL_FIRST: u32 = 9;
const SERIAL_AGAIN: u32 = 2;

struct Case {
    source: Source,
    members: usize,
    concurrency: usize,
}

impl Case {
    fn name(&self) -> String {
        let source = match self.source {
            Source::Static => "static",
            Source::Organizations => "org",
        };
        format!("{source}-{} C={}", self.members, self.concurrency)
    }
    fn targets(&self) -> usize {
        self.members + 1
    }
    fn rounds(&self) -> u32 {
        self.targets().div_ceil(self.concurrency) as u32
    }
    /// How long listing the organization takes, one page after the other (zero for a static list).
    fn listing(&self) -> Duration {
        match self.source {
            Source::Static => Duration::ZERO,
            Source::Organizations => L * self.targets().div_ceil(PAGE) as u32,
        }
    }
    /// Observing every target with `k` calls each, overlapping the listing.
    fn observe_bound(&self, k: u32) -> Duration {
        let listed = match self.source {
            Source::Static => Duration::ZERO,
            Source::Organizations => self.listing() + L * k,
        };
        (L * self.rounds() * k).max(listed)
    }
    fn first_apply_bound(&self, interval: Duration) -> Duration {
        let r = self.rounds();
        // CreateTrail, GetEventSelectors (a read), StartLogging 1 s after CreateTrail
        self.observe_bound(2) + L * SERIAL_FIRST + (L * r * 3).max(L * r + interval)
    }
    fn second_apply_bound(&self) -> Duration {
        self.observe_bound(3) + L * SERIAL_AGAIN
    }
    /// Observation (3 calls an account, overlapping the listing; the bucket read runs alongside), then one
    /// round of ListObjectsV2 per account.
    fn audit_bound(&self) -> Duration {
        self.observe_bound(3) + L * self.rounds()
    }
}

/// A world with no bucket yet and no trail; with Organizations, an organization of central and the members.
fn world(source: Source, members: usize) -> FakeAws {
    let fake = FakeAws::new(CENTRAL, REGION, L);
    if source == Source::Organizations {
        let mut w = fake.world();
        w.org_id = Some(ORG_ID.to_owned());
        w.org_accounts = std::iter::once((CENTRAL.to_owned(), "central".to_owned()))
            .chain((0..members).map(|i| (member_id(i), member_name(i))))
            .map(|(id, name)| OrgAccount {
                id,
                name,
                active: true,
            })
            .collect();
    }
    fake
}

type Calls = BTreeMap<&'static str, usize>;

/// The calls made since `before`, by operation.
fn calls_since(fake: &FakeAws, before: &Calls) -> Calls {
    let mut d = fake.world().calls.clone();
    for (op, n) in d.iter_mut() {
        *n -= before.get(op).copied().unwrap_or(0);
    }
    d.retain(|_, n| *n > 0);
    d
}

fn show_calls(calls: &Calls) -> String {
    let total: usize = calls.values().sum();
    let each: Vec<String> = calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    format!("{total} calls: {}", each.join(", "))
}

/// Calls made in the member accounts (and AssumeRole into them), per target.
fn per_target(calls: &Calls, targets: usize) -> f64 {
    const MEMBER_OPS: [&str; 21] = [
        "AssumeRole",
        "DescribeTrails",
        "GetTrailStatus",
        "GetEventSelectors",
        "CreateTrail",
        "UpdateTrail",
        "PutEventSelectors",
        "StartLogging",
        "ListObjectsV2",
        "DescribeLogGroups",
        "CreateLogGroup",
        "PutRetentionPolicy",
        "GetRole",
        "GetRolePolicy",
        "CreateRole",
        "UpdateAssumeRolePolicy",
        "PutRolePolicy",
        "DescribeVpcs",
        "DescribeFlowLogs",
        "CreateFlowLogs",
        "DeleteFlowLogs",
    ];
    let n: usize = MEMBER_OPS.iter().filter_map(|op| calls.get(op)).sum();
    n as f64 / targets as f64
}

/// The wall times of a case's runs, each on a fresh world, and the calls they made (the same every run).
#[derive(Default)]
struct Measured {
    walls: Vec<Duration>,
    calls: Calls,
}

impl Measured {
    fn add(&mut self, wall: Duration, calls: Calls) {
        if !self.walls.is_empty() {
            assert_eq!(self.calls, calls, "every run makes the same calls");
        }
        self.walls.push(wall);
        self.calls = calls;
    }

    fn report(&self, what: &str, bound: Duration, targets: usize) {
        let wall = common::median(self.walls.clone());
        let (lo, hi) = (self.walls.iter().min(), self.walls.iter().max());
        let spread = match (lo, hi) {
            (Some(lo), Some(hi)) if self.walls.len() > 1 => {
                format!(" ({:.2}-{:.2})", lo.as_secs_f64(), hi.as_secs_f64())
            }
            _ => String::new(),
        };
        println!(
            "  {what:<13} wall {:>6.2} s{spread}, median of {}  bound {:>6.2} s  ratio {:.2}  per-account calls {:.2} (central has no AssumeRole)\n  {:<13} {}",
            wall.as_secs_f64(),
            self.walls.len(),
            bound.as_secs_f64(),
            wall.as_secs_f64() / bound.as_secs_f64(),
            per_target(&self.calls, targets),
            "",
            show_calls(&self.calls),
        );
    }
}

/// Runs per case, each on a fresh world: the median is reported. One at 10,000 accounts, to keep the whole
/// benchmark under 10 minutes.
fn runs(c: &Case) -> usize {
    if c.members >= 10_000 { 1 } else { 3 }
}

/// observe_and_plan then apply, as `trailhub apply --yes` runs them; every account must converge.
async fn converge(fake: &FakeAws, cfg: &Config, opts: &ApplyOptions) -> Duration {
    let start = Instant::now();
    let (scope, plan, observations) = observe_and_plan(
        fake,
        cfg,
        &trailhub::plan::prune::Prune::Off,
        opts.concurrency,
        &opts.interrupt,
        &Silent,
    )
    .await
    .expect("plans");
    let report = apply(fake, cfg, &scope, &plan, observations, opts)
        .await
        .expect("applies");
    let wall = start.elapsed();
    let bad: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| {
            a.is_bad() || !matches!(a.result, PartStatus::Changed { .. } | PartStatus::Unchanged)
        })
        .collect();
    assert!(bad.is_empty(), "not converged: {bad:?}");
    wall
}

async fn apply_case(c: &Case) {
    apply_case_with(c, "", None).await;
}

/// `[cloudwatch]` and `[flow_logs]` for the `logs` part: both destinations.
const LOGS: &str = "[cloudwatch]\n[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\n";

/// One new account's writes with `LOGS`, in order, each with its service's least interval since the
/// service's last write in the account (CloudWatch Logs, IAM, EC2: 200 ms; CloudTrail: 1 s): the log group
/// and the role for the trail, the trail (its GetEventSelectors read in between, unpaced), then the log group and the role for flow logs and the VPC's two
/// flow logs. Each call starts when the previous one is done and its service's interval has passed.
fn logs_chain(opts: &ApplyOptions) -> Duration {
    const ZERO: Duration = Duration::ZERO;
    let i = &opts.intervals;
    let ct = opts.mutation_interval;
    let calls: [(usize, Duration); 13] = [
        (0, i.logs), // CreateLogGroup
        (0, i.logs), // PutRetentionPolicy
        (1, i.iam),  // CreateRole
        (1, i.iam),  // PutRolePolicy
        (2, ct),     // CreateTrail
        (4, ZERO),   // GetEventSelectors: a read, not paced
        (2, ct),     // StartLogging
        (0, i.logs), // CreateLogGroup (flow logs)
        (0, i.logs), // PutRetentionPolicy
        (1, i.iam),  // CreateRole
        (1, i.iam),  // PutRolePolicy
        (3, i.ec2),  // CreateFlowLogs (s3)
        (3, i.ec2),  // CreateFlowLogs (cloudwatch)
    ];
    let mut last: [Option<Duration>; 5] = [None; 5];
    let mut now = Duration::ZERO;
    for (service, interval) in calls {
        let start = last[service].map_or(now, |l| now.max(l + interval));
        last[service] = Some(start);
        now = start + L;
    }
    now
}

async fn apply_case_with(c: &Case, extra: &str, chain: Option<fn(&ApplyOptions) -> Duration>) {
    let cfg = common::config_with(c.source, c.members, extra);
    let backups = tempfile::tempdir().expect("a temporary directory");
    let opts = ApplyOptions::new(
        backups.path().to_owned(),
        c.concurrency,
        Interrupt::default(),
    );
    let (mut first, mut second, mut in_flight) = (Measured::default(), Measured::default(), 0);
    for _ in 0..runs(c) {
        let fake = world(c.source, c.members);
        let wall = converge(&fake, &cfg, &opts).await;
        first.add(wall, calls_since(&fake, &Calls::new()));
        let before = fake.world().calls.clone();
        let wall = converge(&fake, &cfg, &opts).await;
        second.add(wall, calls_since(&fake, &before));
        in_flight = in_flight.max(fake.max_in_flight());
    }
    let bound = match chain {
        None => {
            println!("{}", c.name());
            c.first_apply_bound(opts.mutation_interval)
        }
        Some(chain) => {
            println!(
                "{} with [cloudwatch] and [flow_logs] (s3, cloudwatch)",
                c.name()
            );
            // 13 writes a new account, one after the other, each at least L; the central account's
            // extra GetBucketPolicy after its flow log to the bucket is one serial call more
            let r = c.rounds();
            c.observe_bound(2) + L * (SERIAL_FIRST + 1) + (L * r * 13).max(L * r + chain(&opts))
        }
    };
    first.report("first apply", bound, c.targets());
    second.report("second apply", c.second_apply_bound(), c.targets());
    println!("  most calls under way at once: {in_flight}");
}

async fn audit_case(c: &Case) {
    audit_case_with(c, "").await;
}

async fn audit_case_with(c: &Case, extra: &str) {
    let cfg = common::config_with(c.source, c.members, extra);
    let backups = tempfile::tempdir().expect("a temporary directory");
    let opts = ApplyOptions::new(backups.path().to_owned(), 256, Interrupt::default());
    let audit_opts = AuditOptions {
        concurrency: c.concurrency,
        max_age: Duration::from_secs(24 * 3600),
        progress: Default::default(),
    };
    let mut measured = Measured::default();
    for _ in 0..runs(c) {
        let fake = world(c.source, c.members);
        converge(&fake, &cfg, &opts).await;
        let before = fake.world().calls.clone();
        let start = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let audited = audit(&fake, &cfg, &audit_opts, now).await.expect("audits");
        let wall = start.elapsed();
        assert_eq!(audited.summary.accounts, c.targets());
        measured.add(wall, calls_since(&fake, &before));
    }
    let with = if extra.is_empty() {
        ""
    } else {
        " with [cloudwatch] and [flow_logs]"
    };
    println!("audit {}{with}", c.name());
    measured.report("audit", c.audit_bound(), c.targets());
}

/// The regions of the seeded histories, and how many log files each account has in each.
const HISTORY_REGIONS: [&str; 2] = [REGION, "us-east-1"];

/// Issue 10, point 7: the audit over accounts that each have `files` log files spread over `days` days in
/// two regions, the newest 5 minutes old. The audit lists the region folders, then each region's day
/// folders from today back within --max-age (24 h: today and yesterday), stopping at the first file; the
/// whole-history listing it replaced made ceil(files / 1,000) calls per account and region prefix.
async fn audit_history_case(c: &Case, files: usize, days: i64) {
    let cfg = common::config(c.source, c.members);
    let backups = tempfile::tempdir().expect("a temporary directory");
    let opts = ApplyOptions::new(backups.path().to_owned(), 256, Interrupt::default());
    let audit_opts = AuditOptions {
        concurrency: c.concurrency,
        max_age: Duration::from_secs(24 * 3600),
        progress: Default::default(),
    };
    let now = time::OffsetDateTime::now_utc();
    let mut measured = Measured::default();
    for _ in 0..runs(c) {
        let fake = world(c.source, c.members);
        converge(&fake, &cfg, &opts).await;
        seed_histories(&fake, c, files, days, now.unix_timestamp());
        let before = fake.world().calls.clone();
        let start = Instant::now();
        let audited = audit(&fake, &cfg, &audit_opts, now).await.expect("audits");
        let wall = start.elapsed();
        assert_eq!(audited.summary.covered, c.targets(), "every account fresh");
        measured.add(wall, calls_since(&fake, &before));
    }
    let listed = measured.calls.get("ListObjectsV2").copied().unwrap_or(0);
    let old = files.div_ceil(1000);
    println!(
        "audit {} with {files} log files over {days} days in {} regions per account",
        c.name(),
        HISTORY_REGIONS.len()
    );
    println!(
        "  ListObjectsV2 per account: {:.2} (bound 1 + regions x (days + 1) = {}; the whole-history listing: {old} or more)",
        listed as f64 / c.targets() as f64,
        1 + HISTORY_REGIONS.len() * 2
    );
    // observation (3 round trips) and the listings: 1 delimited + 1 per region (today holds a file)
    let bound = c.observe_bound(3) + L * c.rounds() * (1 + HISTORY_REGIONS.len() as u32);
    measured.report("audit", bound, c.targets());
}

/// Every account's history: `files` log files spread evenly over `days` days across the regions.
fn seed_histories(fake: &FakeAws, c: &Case, files: usize, days: i64, now: i64) {
    let ids: Vec<String> = std::iter::once(CENTRAL.to_owned())
        .chain((0..c.members).map(member_id))
        .collect();
    let step = days * 86_400 / files as i64;
    let mut w = fake.world();
    let objects = w.objects.entry(common::BUCKET.to_owned()).or_default();
    for id in &ids {
        for i in 0..files as i64 {
            let at = now - 300 - i * step;
            let region = HISTORY_REGIONS[i as usize % HISTORY_REGIONS.len()];
            let key = trailhub::fake::log_file_key(None, None, id, region, at);
            objects.insert(key, at);
        }
    }
}

fn main() {
    let wanted = common::wanted();
    let run = |part: &str| wanted.is_empty() || wanted.iter().any(|w| w == part);
    println!("{}", common::machine());
    println!(
        "orchestration over the fake AWS, L = {} ms per call, real time",
        L.as_millis()
    );
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let case = |source, members, concurrency| Case {
        source,
        members,
        concurrency,
    };
    if run("apply") {
        let mut cases = Vec::new();
        for (source, members, concurrencies) in [
            (Source::Static, 100, &[16, 64, 256][..]),
            (Source::Static, 600, &[16, 64, 256]),
            (Source::Organizations, 100, &[16, 64, 256]),
            (Source::Organizations, 1_000, &[16, 64, 256]),
            (Source::Organizations, 10_000, &[64, 256]),
        ] {
            cases.extend(concurrencies.iter().map(|&c| case(source, members, c)));
        }
        for c in &cases {
            runtime.block_on(apply_case(c));
        }
    }
    if run("audit") {
        for c in [16, 64, 256] {
            runtime.block_on(audit_case(&case(Source::Organizations, 1_000, c)));
        }
    }
    if run("logs") {
        // the same cases without the sections first, then with them: the ratio is what they cost
        for (members, concurrency) in [(100, 64), (1_000, 64), (1_000, 256)] {
            let c = case(Source::Organizations, members, concurrency);
            runtime.block_on(apply_case(&c));
            runtime.block_on(apply_case_with(&c, LOGS, Some(logs_chain)));
        }
        let c = case(Source::Organizations, 1_000, 64);
        runtime.block_on(audit_case(&c));
        runtime.block_on(audit_case_with(&c, LOGS));
    }
    if run("audit-history") {
        let c = case(Source::Organizations, 1_000, 64);
        runtime.block_on(audit_history_case(&c, 3_000, 90));
        // a year of logs at CloudTrail's pace (a file every 5 minutes in each of the two regions)
        let c = case(Source::Organizations, 10, 64);
        runtime.block_on(audit_history_case(&c, 2 * 105_120, 365));
    }
}
