//! An operator's workflow (issue 23): a saved plan applied as it was reviewed, or refused when the world
//! changed since; `--detailed-exitcode`; the exit code of a "no"; runs limited to some accounts
//! (`--account`), over the in-memory fake.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use trailhub::cli::{ApplyArgs, Command, PlanArgs};
use trailhub::fake::FakeAws;
use trailhub::report::exit;

use crate::support::in_process::{CENTRAL_AND_DEV, FOUR_ACCOUNTS, trailhub};

const CENTRAL: &str = "111111111111";
const REGION: &str = "ap-northeast-2";

fn aws() -> FakeAws {
    FakeAws::new(CENTRAL, REGION, Duration::ZERO)
}

fn plan_to(file: &Path) -> Command {
    Command::Plan(PlanArgs {
        out: Some(file.to_owned()),
        ..Default::default()
    })
}

fn apply_file(file: &Path, backups: &Path) -> Command {
    Command::Apply(ApplyArgs {
        plan: Some(file.to_owned()),
        backup_dir: backups.to_owned(),
        ..Default::default()
    })
}

fn bucket_policy(aws: &FakeAws) -> Option<String> {
    aws.world().buckets.get("sec-log").cloned().flatten()
}

#[tokio::test]
async fn a_saved_plan_is_applied_without_a_question_when_nothing_changed() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let (code, _) = trailhub(&aws, CENTRAL_AND_DEV, &plan_to(&file)).await;
    assert_eq!(code, 0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["central"]["bucket"], "sec-log");
    assert_eq!(saved["plan"]["has_changes"], true);
    assert!(saved["fingerprint"]["accounts"]["222222222222"].is_string());
    assert!(!saved["created"].as_str().unwrap().contains('.'), "{saved}");
    // the plan made twice is the same plan: the file is deterministic but for its time
    let again = dir.path().join("again.json");
    trailhub(&aws, CENTRAL_AND_DEV, &plan_to(&again)).await;
    let again: Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(saved["plan_sha256"], again["plan_sha256"]);
    assert_eq!(saved["fingerprint"], again["fingerprint"]);

    // the scripted console answers no to every question: a saved plan asks none
    let (code, out) = trailhub(&aws, CENTRAL_AND_DEV, &apply_file(&file, dir.path())).await;
    assert_eq!(code, 0, "{out}");
    assert!(bucket_policy(&aws).is_some());
    assert_eq!(aws.world().trails["222222222222"].len(), 1);

    // applied: the world it was made from is gone, so it is not applied twice
    let (code, out) = trailhub(&aws, CENTRAL_AND_DEV, &apply_file(&file, dir.path())).await;
    assert_eq!(code, exit::STALE_PLAN, "{out}");
    assert!(out.contains("the bucket policy was created"), "{out}");
}

#[tokio::test]
async fn a_saved_plan_is_refused_when_the_world_changed_and_nothing_is_written() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    // made once, then a plan saved with nothing to do but DEV's trail stopped
    let apply = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, CENTRAL_AND_DEV, &apply).await.0, 0);
    aws.world().trails.get_mut("222222222222").unwrap()[0]
        .1
        .is_logging = false;
    assert_eq!(trailhub(&aws, CENTRAL_AND_DEV, &plan_to(&file)).await.0, 0);

    // meanwhile someone edits the bucket policy and deletes DEV's trail
    let edited = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sec-log/x/*"}]}"#;
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(edited.into()));
    aws.world().trails.get_mut("222222222222").unwrap().clear();
    let calls_before = aws.world().calls.clone();

    let (code, out) = trailhub(&aws, CENTRAL_AND_DEV, &apply_file(&file, dir.path())).await;
    assert_eq!(code, exit::STALE_PLAN, "{out}");
    assert!(out.starts_with("refused: "), "{out}");
    assert!(
        out.contains("  - the bucket policy changed (sha256:"),
        "{out}"
    );
    assert!(
        out.contains("  - account 222222222222: its trails, event selectors, log groups, roles or flow logs changed"),
        "{out}"
    );
    assert!(!out.contains("account 111111111111"), "{out}");
    // nothing written: the policy is the other writer's, DEV still has no trail, no write was called
    assert_eq!(bucket_policy(&aws).as_deref(), Some(edited));
    assert!(aws.world().trails["222222222222"].is_empty());
    let calls = aws.world().calls.clone();
    for write in [
        "PutBucketPolicy",
        "CreateTrail",
        "StartLogging",
        "UpdateTrail",
    ] {
        assert_eq!(calls.get(write), calls_before.get(write), "{write}");
    }
}

#[tokio::test]
async fn a_plan_of_another_version_or_account_is_refused() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    trailhub(&aws, CENTRAL_AND_DEV, &plan_to(&file)).await;
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    saved["version"] = 2.into();
    std::fs::write(&file, saved.to_string()).unwrap();
    let e = run_err(&aws, CENTRAL_AND_DEV, &apply_file(&file, dir.path())).await;
    assert!(e.contains("plan file of version 2"), "{e}");
    saved["version"] = 1.into();
    saved["central"]["account_id"] = "999999999999".into();
    std::fs::write(&file, saved.to_string()).unwrap();
    let e = run_err(&aws, CENTRAL_AND_DEV, &apply_file(&file, dir.path())).await;
    assert!(e.contains("is a plan for account 999999999999"), "{e}");
    assert!(bucket_policy(&aws).is_none());
}

/// The error of a run that could not go through.
async fn run_err(aws: &FakeAws, config: &str, command: &Command) -> String {
    let cfg = trailhub::config::Config::parse(Path::new("accounts.toml"), config).unwrap();
    let mut console = trailhub::output::Scripted::answering(&[]);
    let mut out = Vec::new();
    let session = trailhub::commands::Session {
        format: trailhub::cli::Format::Text,
        concurrency: 4,
        interrupt: Default::default(),
        now: time::OffsetDateTime::now_utc,
        console: &mut console,
        out: &mut out,
    };
    let e = trailhub::commands::run(aws, &cfg, command, session)
        .await
        .unwrap_err();
    format!("{e:#}")
}

#[tokio::test]
async fn detailed_exit_codes_and_a_no() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let detailed = Command::Plan(PlanArgs {
        detailed_exitcode: true,
        ..Default::default()
    });
    assert_eq!(
        trailhub(&aws, FOUR_ACCOUNTS, &detailed).await.0,
        exit::CHANGES_PENDING
    );
    // without the flag, pending changes are 0 as before
    let plain = Command::Plan(PlanArgs::default());
    assert_eq!(trailhub(&aws, FOUR_ACCOUNTS, &plain).await.0, 0);
    // asked, answered no (the scripted console's answer): its own code, nothing written
    let asked = Command::Apply(ApplyArgs {
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    let (code, out) = trailhub(&aws, FOUR_ACCOUNTS, &asked).await;
    assert_eq!(code, exit::DECLINED, "{out}");
    assert!(bucket_policy(&aws).is_none());
    let apply = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, FOUR_ACCOUNTS, &apply).await.0, 0);
    assert_eq!(trailhub(&aws, FOUR_ACCOUNTS, &detailed).await.0, exit::OK);
}

/// [`FOUR_ACCOUNTS`] with a KMS key, so that the key policy is shared too.
fn four_with_key() -> String {
    FOUR_ACCOUNTS.replace(
        "trail_name = \"SEC-CLOUDTRAIL\"\n",
        "trail_name = \"SEC-CLOUDTRAIL\"\nkms_key = \"create\"\n",
    )
}

fn key_policy(aws: &FakeAws) -> String {
    let w = aws.world();
    assert_eq!(w.keys.len(), 1);
    w.keys.values().next().unwrap().policy.clone()
}

fn only(ids: &[&str]) -> Vec<trailhub::model::AccountId> {
    ids.iter().map(|i| i.parse().unwrap()).collect()
}

fn apply_only(ids: &[&str], backups: &Path) -> Command {
    Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: backups.to_owned(),
        accounts: only(ids),
        ..Default::default()
    })
}

/// Each account's trail ARN, as the policies name it.
fn trail(id: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:ap-northeast-2:{id}:trail/{name}-CLOUDTRAIL")
}

/// Onboarding one account at a time: each run touches that account only, and the shared bucket and key
/// policies gain its entries and keep every other account's.
#[tokio::test]
async fn one_account_at_a_time_keeps_every_other_accounts_entries() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let cfg = four_with_key();
    let (code, out) = trailhub(&aws, &cfg, &apply_only(&["222222222222"], dir.path())).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("222222222222"), "{out}");
    assert!(!out.contains("333333333333"), "{out}");
    let policy = bucket_policy(&aws).unwrap();
    assert!(policy.contains(&trail("222222222222", "DEV")), "{policy}");
    assert!(!policy.contains("333333333333"), "{policy}");
    {
        let w = aws.world();
        assert!(w.trails.get("333333333333").is_none_or(Vec::is_empty));
        assert!(w.trails.get("111111111111").is_none_or(Vec::is_empty));
        let others: Vec<_> = w
            .made
            .iter()
            .filter(|(a, _)| a == "333333333333" || a == "444444444444")
            .collect();
        assert!(others.is_empty(), "calls in other accounts: {others:?}");
    }

    // the bucket's default encryption waits for a run over every account (the others write without the key)
    assert!(out.contains("not yet: default encryption"), "{out}");
    assert!(out.contains("(--account)"), "{out}");

    // the next account: DEV's entries stay in both policies
    let (code, out) = trailhub(&aws, &cfg, &apply_only(&["333333333333"], dir.path())).await;
    assert_eq!(code, 0, "{out}");
    let policy = bucket_policy(&aws).unwrap();
    let key = key_policy(&aws);
    for (id, name) in [("222222222222", "DEV"), ("333333333333", "STG")] {
        assert!(policy.contains(&trail(id, name)), "{id}: {policy}");
        assert!(policy.contains(&format!("AWSLogs/{id}/")), "{id}: {policy}");
        assert!(key.contains(&trail(id, name)), "{id}: {key}");
    }
    assert!(!policy.contains("444444444444"), "{policy}");

    // the whole scope at last: nothing lost, every account there
    let all = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, &cfg, &all).await.0, 0);
    let policy = bucket_policy(&aws).unwrap();
    for id in [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
    ] {
        assert!(policy.contains(&format!("AWSLogs/{id}/")), "{id}: {policy}");
    }

    // and a run for one account changes nothing of the others' entries
    let before = (bucket_policy(&aws), key_policy(&aws));
    let (code, out) = trailhub(&aws, &cfg, &apply_only(&["444444444444"], dir.path())).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("nothing to do"), "{out}");
    assert_eq!((bucket_policy(&aws), key_policy(&aws)), before);
}

#[tokio::test]
async fn an_account_out_of_scope_is_an_error_before_any_write() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let e = run_err(
        &aws,
        FOUR_ACCOUNTS,
        &apply_only(&["222222222222", "555555555555"], dir.path()),
    )
    .await;
    assert!(
        e.starts_with("--account 555555555555 is not in scope: the central account, the [[account]] entries of accounts.toml not excluded"),
        "{e}"
    );
    assert!(bucket_policy(&aws).is_none());
    assert!(aws.world().trails.values().all(Vec::is_empty));
    let plan = Command::Plan(PlanArgs {
        accounts: only(&["555555555555"]),
        ..Default::default()
    });
    assert!(
        run_err(&aws, FOUR_ACCOUNTS, &plan)
            .await
            .contains("is not in scope")
    );
}

/// The audit of one account: that account (and the bucket) only, and the others' policy entries are not
/// reported as stale.
#[tokio::test]
async fn the_audit_of_one_account() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let all = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, FOUR_ACCOUNTS, &all).await.0, 0);
    let audit = Command::Audit(trailhub::cli::AuditArgs {
        max_age: Duration::from_secs(86400),
        accounts: only(&["333333333333"]),
        ..Default::default()
    });
    let (_, out) = trailhub(&aws, FOUR_ACCOUNTS, &audit).await;
    assert!(out.contains("333333333333"), "{out}");
    for other in ["111111111111", "222222222222", "444444444444"] {
        assert!(!out.contains(other), "{other}: {out}");
    }
    assert!(!out.contains("stale"), "{out}");
}

/// A saved plan keeps its `--account`s: applying it works on those accounts only.
#[tokio::test]
async fn a_saved_plan_keeps_its_accounts() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let plan = Command::Plan(PlanArgs {
        out: Some(file.clone()),
        accounts: only(&["444444444444"]),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, FOUR_ACCOUNTS, &plan).await.0, 0);
    let (code, out) = trailhub(&aws, FOUR_ACCOUNTS, &apply_file(&file, dir.path())).await;
    assert_eq!(code, 0, "{out}");
    let w = aws.world();
    assert_eq!(w.trails["444444444444"].len(), 1);
    assert!(w.trails.get("222222222222").is_none_or(Vec::is_empty));
}

/// Over moto, through the binary: one account onboarded at a time into a bucket whose policy a team
/// wrote, the second through a saved plan; every other entry stays; a plan made stale by another writer
/// is refused with exit 5 and nothing written.
#[test]
fn one_account_at_a_time_and_a_saved_plan_over_moto() {
    use crate::support::trailhub::{
        BUCKET, CENTRAL_TRAIL, MEMBERS, OLD_TRAIL, World, static_config, team_policy,
    };
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &team_policy().to_string());
    let backups = w.backup_dir();
    let backups = backups.to_str().unwrap();

    let out = w.trailhub(&[
        "apply",
        "--yes",
        "--backup-dir",
        backups,
        "--account",
        "222222222222",
    ]);
    assert_eq!(out.code, 0, "{out}");
    w.assert_onboarded("222222222222", "DEV-CLOUDTRAIL");
    assert!(w.trail("333333333333", "STG-CLOUDTRAIL").is_none());
    assert!(
        w.trail(crate::support::TEST_ACCOUNT_ID, CENTRAL_TRAIL)
            .is_none()
    );
    let policy = w.policy_text(BUCKET).unwrap();
    assert!(policy.contains(OLD_TRAIL), "{policy}");
    assert!(policy.contains("222222222222"), "{policy}");
    assert!(!policy.contains("333333333333"), "{policy}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let file = file.to_str().unwrap();
    let plan = w.trailhub(&[
        "plan",
        "--out",
        file,
        "--account",
        "333333333333",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, exit::CHANGES_PENDING, "{plan}");
    assert!(plan.stderr.contains("plan saved to"), "{plan}");
    let out = w.trailhub(&["apply", file, "--backup-dir", backups]);
    assert_eq!(out.code, 0, "{out}");
    w.assert_onboarded("333333333333", "STG-CLOUDTRAIL");
    let policy = w.policy_text(BUCKET).unwrap();
    for kept in [OLD_TRAIL, "222222222222", "333333333333"] {
        assert!(policy.contains(kept), "{kept}: {policy}");
    }

    // another writer changes the policy after the plan: refused, nothing written
    let plan = w.trailhub(&["plan", "--out", file, "--account", "444444444444"]);
    assert_eq!(plan.code, 0, "{plan}");
    let mut edited: Value = serde_json::from_str(&policy).unwrap();
    edited["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
        "Sid": "Another", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/x/*")}));
    let edited = edited.to_string();
    w.put_policy(BUCKET, &edited);
    let out = w.trailhub(&["apply", file, "--backup-dir", backups]);
    assert_eq!(out.code, exit::STALE_PLAN, "{out}");
    assert!(out.stdout.contains("the bucket policy changed"), "{out}");
    assert!(w.trail("444444444444", "PRD-CLOUDTRAIL").is_none());
    assert_eq!(w.policy_text(BUCKET).as_deref(), Some(edited.as_str()));
}

/// A time with nanoseconds, as the clock gives it.
fn clock() -> time::OffsetDateTime {
    time::macros::datetime!(2027-01-15 08:00:00.123456789 UTC)
}

/// Issue 23, point 5: the report's time is to the second, and `--runbooks-url` makes the JUnit report's
/// runbook links absolute, each gap with its one-line remedy.
#[tokio::test]
async fn the_audit_time_has_no_nanoseconds_and_links_lead_to_the_base_url() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let apply = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, CENTRAL_AND_DEV, &apply).await.0, 0);
    aws.world().trails.get_mut("222222222222").unwrap()[0]
        .1
        .is_logging = false;
    let cfg = trailhub::config::Config::parse(Path::new("accounts.toml"), CENTRAL_AND_DEV).unwrap();
    let audit = Command::Audit(trailhub::cli::AuditArgs {
        max_age: Duration::from_secs(86400),
        runbooks_url: Some("https://git.example.com/trailhub/-/blob/main".into()),
        ..Default::default()
    });
    let render = |format| {
        let (aws, cfg, audit) = (&aws, &cfg, &audit);
        async move {
            let mut console = trailhub::output::Scripted::answering(&[]);
            let mut out = Vec::new();
            let session = trailhub::commands::Session {
                format,
                concurrency: 4,
                interrupt: Default::default(),
                now: clock,
                console: &mut console,
                out: &mut out,
            };
            trailhub::commands::run(aws, cfg, audit, session)
                .await
                .unwrap();
            String::from_utf8(out).unwrap()
        }
    };
    let json: Value = serde_json::from_str(&render(trailhub::cli::Format::Json).await).unwrap();
    assert_eq!(json["generated_at"], "2027-01-15T08:00:00Z");
    let junit = render(trailhub::cli::Format::Junit).await;
    assert!(
        junit.contains("timestamp=\"2027-01-15T08:00:00Z\""),
        "{junit}"
    );
    assert!(
        junit.contains("What to do: Run trailhub apply, then look for the StopLogging event in the account&apos;s CloudTrail to learn who stopped it. See https://git.example.com/trailhub/-/blob/main/runbooks/scheduled-audit.md#not-logging."),
        "{junit}"
    );
}

/// Issue 23, point 3: `plan --diff` shows the bucket policy's change as a unified diff of its JSON; the
/// statements kept are context, never removed lines.
#[tokio::test]
async fn plan_diff_shows_the_bucket_policys_change() {
    let aws = aws();
    let dir = tempfile::tempdir().unwrap();
    let other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sec-log/x/*"}]}"#;
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(other.into()));
    let diff = Command::Plan(PlanArgs {
        diff: true,
        ..Default::default()
    });
    let (code, out) = trailhub(&aws, CENTRAL_AND_DEV, &diff).await;
    assert_eq!(code, 0, "{out}");
    let at = out
        .find("--- bucket policy of sec-log (live)\n+++ bucket policy of sec-log (planned)\n@@ ")
        .unwrap_or_else(|| panic!("{out}"));
    let diff = &out[at..];
    // the other writer's statement is context; trailhub's are added lines
    assert!(
        diff.contains("\n       \"Resource\": \"arn:aws:s3:::sec-log/x/*\"\n"),
        "{diff}"
    );
    assert!(
        diff.lines().any(|l| l.starts_with('+')
            && l.contains("arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV-CLOUDTRAIL")),
        "{diff}"
    );
    assert!(
        !diff
            .lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---") && l.contains("Other")),
        "{diff}"
    );
    let apply = Command::Apply(ApplyArgs {
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    assert_eq!(trailhub(&aws, CENTRAL_AND_DEV, &apply).await.0, 0);
    let (_, out) = trailhub(
        &aws,
        CENTRAL_AND_DEV,
        &Command::Plan(PlanArgs {
            diff: true,
            ..Default::default()
        }),
    )
    .await;
    assert!(out.ends_with("bucket policy sec-log: no change\n"), "{out}");
}

/// A terminal that shows colour.
struct Colour;

impl trailhub::output::Console for Colour {
    fn can_ask(&self) -> bool {
        false
    }
    fn confirm(&mut self, _: &str) -> std::io::Result<bool> {
        Ok(false)
    }
    fn confirm_typed(&mut self, _: &str, _: &str) -> std::io::Result<bool> {
        Ok(false)
    }
    fn note(&mut self, _: &str) {}
    fn colour(&self) -> bool {
        true
    }
}

/// On a terminal that shows colour, the diff's added lines are green and its hunks cyan; elsewhere (the
/// other tests, NO_COLOR) it is plain.
#[tokio::test]
async fn the_diff_is_coloured_on_a_colour_terminal() {
    let aws = aws();
    let cfg = trailhub::config::Config::parse(Path::new("accounts.toml"), CENTRAL_AND_DEV).unwrap();
    let mut console = Colour;
    let mut out = Vec::new();
    let session = trailhub::commands::Session {
        format: trailhub::cli::Format::Text,
        concurrency: 4,
        interrupt: Default::default(),
        now: time::OffsetDateTime::now_utc,
        console: &mut console,
        out: &mut out,
    };
    let diff = Command::Plan(PlanArgs {
        diff: true,
        ..Default::default()
    });
    trailhub::commands::run(&aws, &cfg, &diff, session)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\x1b[36m@@ -0,0 +1,"), "{out}");
    assert!(out.contains("\x1b[32m+{\x1b[0m\n"), "{out}");
    // the plan above the diff stays plain
    assert!(out.starts_with("bucket sec-log: create"), "{out}");
}
