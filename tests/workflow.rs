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
