//! The pure planner alone (issue 5, part 1): `trailhub::plan::build` over generated configs, observed state
//! and live policies, at 1,000 and 10,000 accounts. Targets at 10,000: < 100 ms CPU, < 200 MB peak memory.
//!
//! - Time: CPU time of the planning thread (`CLOCK_THREAD_CPUTIME_ID`), median of 15 runs after one warm-up;
//!   wall time alongside. Inputs (config, targets, observed state, live policy text) are built once,
//!   outside the timing; parsing the live policy is inside (the planner does it). The policy merge alone
//!   (`desired_policy`) is timed too, to show where the time goes.
//! - Memory: each case runs once more in a child process (this binary re-executed with `--child CASE`),
//!   which reports its peak resident set (`VmHWM`) after building the inputs and after planning.
//!
//! `cargo bench --bench planner` runs every case; `cargo bench --bench planner -- org-10000` one of them.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{BUCKET, CENTRAL, ORG_ID, median, member_id, ms};
use serde_json::json;
use trailhub::aws::{Guard, KeyInfo, ObservedTrail};
use trailhub::config::{Config, KmsKey, ScopedAccount, Source};
use trailhub::model::AccountId;
use trailhub::plan::kms::{KeyPlan, KeyState};
use trailhub::plan::policy::{Org, PolicyError};
use trailhub::plan::prune::Prune;
use trailhub::plan::{AccountState, BucketState, Plan, build, desired_policy, desired_trail};

const RUNS: usize = 15;

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    source: Source,
    members: usize,
    /// The live policy already holds trailhub's statements (a second run), besides the foreign ones.
    rerun: bool,
    /// `kms_key` is set: the key policy is merged too, and each trail proved against it (issue 12).
    kms: bool,
}

const CASES: [Case; 10] = [
    case("static-600", Source::Static, 600, false),
    case("static-1000", Source::Static, 1_000, false),
    case("static-10000", Source::Static, 10_000, false),
    case("org-1000", Source::Organizations, 1_000, false),
    case("org-10000", Source::Organizations, 10_000, false),
    case("org-1000-rerun", Source::Organizations, 1_000, true),
    case("org-10000-rerun", Source::Organizations, 10_000, true),
    with_kms(case("static-600-kms", Source::Static, 600, false)),
    with_kms(case("org-10000-kms", Source::Organizations, 10_000, false)),
    with_kms(case(
        "org-10000-kms-rerun",
        Source::Organizations,
        10_000,
        true,
    )),
];

const fn case(name: &'static str, source: Source, members: usize, rerun: bool) -> Case {
    Case {
        name,
        source,
        members,
        rerun,
        kms: false,
    }
}

const fn with_kms(c: Case) -> Case {
    Case { kms: true, ..c }
}

const KEY_ARN: &str =
    "arn:aws:kms:ap-northeast-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The key as a team made it: AWS's default statement and a reader of its own.
fn key_state() -> KeyState {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": format!("arn:aws:iam::{CENTRAL}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "SiemDecrypt", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{CENTRAL}:role/siem")},
         "Action": "kms:Decrypt", "Resource": "*"}]});
    KeyState {
        info: Some(KeyInfo {
            arn: KEY_ARN.to_owned(),
            id: KEY_ARN.rsplit('/').next().unwrap_or_default().to_owned(),
            account: CENTRAL.to_owned(),
            enabled: true,
            symmetric: true,
            customer_managed: true,
        }),
        policy: Some(policy.to_string()),
    }
}

/// Everything the planner takes, built once per case.
struct Inputs {
    cfg: Config,
    targets: Vec<ScopedAccount>,
    org: Option<Org>,
    bucket: BucketState,
    live: String,
    states: BTreeMap<AccountId, AccountState>,
}

impl Inputs {
    fn new(c: Case) -> Inputs {
        let mut cfg = common::config(c.source, c.members);
        if c.kms {
            cfg.central.kms_key = Some(KmsKey::Existing {
                arn: KEY_ARN.to_owned(),
                alias: false,
            });
        }
        let targets = common::targets(&cfg, c.members);
        let org = (c.source == Source::Organizations).then(|| Org {
            id: ORG_ID.to_owned(),
            // the organization lists the central account too
            members: std::iter::once(CENTRAL.to_owned())
                .chain((0..c.members).map(member_id))
                .collect(),
        });
        // half the accounts hold a correct, logging trail; the other half none yet
        let states = targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let trail = (i % 2 == 0).then(|| {
                    let d = desired_trail(&cfg, t);
                    ObservedTrail {
                        name: d.name.to_string(),
                        arn: d.arn.to_string(),
                        home_region: Some(cfg.central.region.to_string()),
                        bucket: Some(BUCKET.to_owned()),
                        key_prefix: None,
                        multi_region: true,
                        global_events: true,
                        log_validation: true,
                        organization_trail: false,
                        cloudwatch: None,
                        kms_key_id: None,
                    }
                });
                let is_logging = trail.is_some();
                (
                    t.id.clone(),
                    AccountState::Observed {
                        trail,
                        is_logging,
                        selectors: None,
                        others: vec![],
                        delivery: Default::default(),
                    },
                )
            })
            .collect();
        let mut inputs = Inputs {
            cfg,
            targets,
            org,
            bucket: BucketState {
                exists: true,
                guards: Guard::ALL.iter().map(|g| (*g, Some(true))).collect(),
                settings: Default::default(),
                key: c.kms.then(key_state),
                organizations: Default::default(),
            },
            live: foreign_policy(),
            states,
        };
        if c.rerun {
            let first = inputs.plan().expect("the first run plans");
            inputs.live = first.policy.text;
            if let (Some(KeyPlan::Use { policy, .. }), Some(k)) =
                (&first.key, &mut inputs.bucket.key)
            {
                k.policy = Some(policy.text.clone());
            }
        }
        inputs
    }

    fn plan(&self) -> Result<Plan, PolicyError> {
        build(
            &self.cfg,
            &Prune::Off,
            &self.targets,
            self.org.as_ref(),
            &self.bucket,
            Some(&self.live),
            &self.states,
        )
    }

    fn merge_only(&self) -> usize {
        desired_policy(
            &self.cfg,
            &self.targets,
            self.org.as_ref(),
            Some(&self.live),
        )
        .map_or(0, |m| m.size)
    }
}

/// A live policy written by others: TLS only, a reader role, and a Deny on a prefix of their own. The
/// planner keeps them and evaluates every trail against them.
fn foreign_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            },
            {
                "Sid": "SecurityTeamReads",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:role/SecurityAudit"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]
            },
            {
                "Sid": "NoWritesToArchive",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": format!("arn:aws:s3:::{BUCKET}/archive/*")
            }
        ]
    })
    .to_string()
}

/// CPU time consumed so far by the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// (CPU, wall) of one call of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let out = std::hint::black_box(f());
    (thread_cpu() - cpu, wall.elapsed(), out)
}

/// What the plan came to, in a few words.
fn outcome(r: &Result<Plan, PolicyError>) -> String {
    match r {
        Ok(p) => {
            let tried: Vec<String> = p
                .policy
                .form_sizes
                .iter()
                .map(|s| match s.size {
                    Some(n) => format!("{} {n} B", s.form.name()),
                    None => format!("{} unusable", s.form.name()),
                })
                .collect();
            let key = match &p.key {
                Some(KeyPlan::Use { policy, .. }) => format!(
                    "; key policy form {} ({} B, changed: {})",
                    policy.form.name(),
                    policy.size,
                    policy.changed
                ),
                Some(k) => format!("; key: {k:?}"),
                None => String::new(),
            };
            let denied = p
                .accounts
                .iter()
                .filter(|a| {
                    matches!(
                        a.status,
                        trailhub::plan::AccountPlanStatus::KeyDenies { .. }
                    )
                })
                .count();
            format!(
                "form {} ({} B; tried: {}){key}{}",
                p.policy.form.name(),
                p.policy.size,
                tried.join(", "),
                if denied > 0 {
                    format!("; {denied} trails denied by the key policy")
                } else {
                    String::new()
                }
            )
        }
        Err(PolicyError::TooLarge { accounts, fit, .. }) => {
            format!("error: fits in no form ({fit} of {accounts} accounts would fit)")
        }
        Err(e) => format!("error: {e}"),
    }
}

fn run(c: Case) {
    let inputs = Inputs::new(c);
    let first = inputs.plan();
    let (mut cpu, mut wall, mut merge) = (vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let (c, w, _) = timed(|| inputs.plan());
        cpu.push(c);
        wall.push(w);
        merge.push(timed(|| inputs.merge_only()).0);
    }
    let (lo, hi) = (cpu.iter().min().unwrap(), cpu.iter().max().unwrap());
    let (inputs_kb, peak_kb) = child_peak_kb(c.name);
    println!(
        "{:<16} {:>6} accounts  plan CPU median {} (min {}, max {}), wall median {}; policy merge alone {}; \
         peak RSS {:.1} MB (inputs alone {:.1} MB)\n{:<16} {}",
        c.name,
        inputs.targets.len(),
        ms(median(cpu.clone())),
        ms(*lo),
        ms(*hi),
        ms(median(wall)),
        ms(median(merge)),
        peak_kb as f64 / 1024.0,
        inputs_kb as f64 / 1024.0,
        "",
        outcome(&first),
    );
}

/// The peak resident set of this process so far, in KiB.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Runs the case once in a fresh process: (peak KiB after building the inputs, peak KiB after planning).
fn child_peak_kb(name: &str) -> (u64, u64) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = std::process::Command::new(exe)
        .args(["--child", name])
        .output()
        .expect("re-run the benchmark as a child");
    assert!(out.status.success(), "child {name}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut kb = text.split_whitespace().map(|n| n.parse().expect("KiB"));
    (kb.next().expect("inputs KiB"), kb.next().expect("peak KiB"))
}

fn child(name: &str) {
    let c = *CASES.iter().find(|c| c.name == name).expect("a known case");
    let inputs = Inputs::new(c);
    let before = vm_hwm_kb();
    std::hint::black_box(inputs.plan()).ok();
    println!("{before} {}", vm_hwm_kb());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, name] = args.as_slice()
        && flag == "--child"
    {
        return child(name);
    }
    let wanted = common::wanted();
    println!("{}", common::machine());
    println!(
        "planner: median of {RUNS} runs after a warm-up; CPU = the planning thread's CPU time"
    );
    for c in CASES {
        if wanted.is_empty() || wanted.iter().any(|w| w == c.name) {
            run(c);
        }
    }
}
