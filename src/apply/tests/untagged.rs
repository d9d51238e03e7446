//! Issue 21 over the in-memory fake: flow logs at trailhub's place without trailhub's tag (made by an older
//! trailhub, or by hand), which the printed policies do not let trailhub delete (VPC-9). They are kept: a
//! replacement or `offboard` leaves them with one note and the command that tags them, and nothing fails
//! with AccessDenied.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::apply::*;
use crate::aws::{FlowLogDestination, ObservedFlowLog};
use crate::fake::FakeAws;
use crate::fixtures::{self, CENTRAL};
use crate::output::{Render, Scripted};
use crate::plan::FlowLogsPlan;
use crate::world::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

const M0: &str = "200000000000";
const M1: &str = "200000000001";
const TAG_COMMAND: &str = "aws ec2 create-tags --region ap-northeast-2 --resources fl-old --tags Key=trailhub:managed,Value=true";
/// The same command as the plan and apply show it: on lines of its own, continued with ` \`.
const TAG_COMMAND_SHOWN: &str = "aws ec2 create-tags --region ap-northeast-2 \\ --resources fl-old \\ --tags Key=trailhub:managed,Value=true";

/// `members` with flow logs to the bucket, all traffic.
fn config(members: usize) -> Config {
    let mut text = fixtures::config_text("", "", members);
    text += "[flow_logs]\ndestinations = [\"s3\"]\ntraffic_type = \"ALL\"\n";
    fixtures::parse(&text)
}

/// The members hold the printed policy: DeleteFlowLogs of a flow log without the tag is refused.
fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    let mut w = aws.world();
    w.buckets.insert("sec-log".into(), None);
    w.flow_log_deletes_need_tag = true;
    drop(w);
    aws
}

fn s3() -> FlowLogDestination {
    FlowLogDestination::S3 {
        arn: "arn:aws:s3:::sec-log".into(),
        options: Default::default(),
    }
}

/// A flow log to the bucket on `vpc`, without tags.
fn untagged(id: &str, vpc: &str, traffic: &str, cfg: &Config) -> ObservedFlowLog {
    ObservedFlowLog {
        id: id.into(),
        region: "ap-northeast-2".into(),
        resource_id: vpc.into(),
        target: s3(),
        traffic_type: traffic.into(),
        max_aggregation_interval: Some(600),
        log_format: Some(cfg.flow_logs.as_ref().unwrap().log_format.clone()),
        deliver_logs_status: Some("SUCCESS".into()),
        deliver_logs_error: None,
        tags: Default::default(),
    }
}

fn opts(dir: &Path) -> ApplyOptions {
    ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
}

/// A flow log of other settings without the tag is not replaced (its delete would be refused): it keeps
/// delivering, the plan says so once with the command, apply changes nothing and fails nothing. Tagged
/// once, the next apply replaces it.
#[tokio::test(start_paused = true)]
async fn an_untagged_flow_log_with_other_settings_is_kept_with_the_command_that_tags_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(1);
    let aws = world();
    let vpc = format!("vpc-{M0}");
    let old = untagged("fl-old", &vpc, "REJECT", &cfg);
    aws.world().flow_logs.insert(M0.into(), vec![old]);

    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let m0 = plan.accounts.iter().find(|a| a.id.as_str() == M0).unwrap();
    let Some(FlowLogsPlan::Changes {
        changes, untagged, ..
    }) = &m0.flow_logs
    else {
        panic!("{:?}", m0.flow_logs);
    };
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(untagged.len(), 1);
    assert_eq!(
        (untagged[0].id.as_str(), untagged[0].why.as_str()),
        ("fl-old", "traffic type REJECT -> ALL")
    );
    let shown = fixtures::unwrapped(&fixtures::plan_text(&plan));
    assert_eq!(shown.matches("fl-old on").count(), 1, "{shown}");
    assert_eq!(shown.matches(TAG_COMMAND_SHOWN).count(), 1, "{shown}");
    assert!(shown.contains("keep delivering"), "a calm note: {shown}");
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    let held = aws.world().flow_logs[M0].clone();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, "fl-old");
    assert_eq!(aws.world().calls.get("DeleteFlowLogs"), None);
    // `apply --yes` says it in its outcome too, once
    let report =
        crate::commands::apply::run(&aws, &cfg, true, &opts(dir.path()), &mut |_| Ok(true))
            .await
            .unwrap();
    let mut shown = Vec::new();
    report
        .text(&mut shown, &mut Scripted::answering(&[]))
        .unwrap();
    let shown = fixtures::unwrapped(&String::from_utf8(shown).unwrap());
    assert_eq!(shown.matches(TAG_COMMAND_SHOWN).count(), 1, "{shown}");

    // tagged by hand, as the note says: the next apply replaces it, the new one first
    aws.world().flow_logs.get_mut(M0).unwrap()[0].tags =
        [(MANAGED_TAG_KEY.to_owned(), MANAGED_TAG_VALUE.to_owned())].into();
    let (_, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    let now = aws.world().flow_logs[M0].clone();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].traffic_type, "ALL");
    assert!(now[0].managed());
}

/// An untagged flow log that is right is simply kept: no change, no note.
#[tokio::test(start_paused = true)]
async fn an_untagged_flow_log_that_is_right_is_kept_without_a_note() {
    let cfg = config(1);
    let aws = world();
    let old = untagged("fl-old", &format!("vpc-{M0}"), "ALL", &cfg);
    aws.world().flow_logs.insert(M0.into(), vec![old]);
    let (_, plan, _) = fixtures::observe_and_plan(&aws, &cfg, 2, &Interrupt::default())
        .await
        .unwrap();
    let m0 = plan.accounts.iter().find(|a| a.id.as_str() == M0).unwrap();
    assert!(
        matches!(&m0.flow_logs, Some(FlowLogsPlan::Changes { changes, untagged, .. }) if changes.is_empty() && untagged.is_empty()),
        "{:?}",
        m0.flow_logs
    );
    assert!(!fixtures::plan_text(&plan).contains("fl-old"));
}

/// `offboard` deletes the account's tagged flow logs to the bucket and leaves an untagged one, with the
/// note and the command, instead of failing at DeleteFlowLogs.
#[tokio::test(start_paused = true)]
async fn offboard_leaves_an_untagged_flow_log_with_the_command_that_tags_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(2);
    let aws = world();
    aws.world()
        .vpcs
        .insert(M1.into(), vec![format!("vpc-{M1}"), "vpc-hand".into()]);
    let (_, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    let made: Vec<String> = aws.world().flow_logs[M1]
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(made.len(), 2);
    // one made by hand beside them, to the bucket, on another VPC
    let by_hand = untagged("fl-old", "vpc-other", "ALL", &cfg);
    aws.world().flow_logs.get_mut(M1).unwrap().push(by_hand);

    let out = fixtures::config_text("", &format!("exclude = [\"{M1}\"]\n"), 2)
        + "[flow_logs]\ndestinations = [\"s3\"]\ntraffic_type = \"ALL\"\n";
    let out = fixtures::parse(&out);
    let args = crate::cli::OffboardArgs {
        account: M1.parse().unwrap(),
        trail: None,
        yes: true,
        backup_dir: dir.path().to_owned(),
        format: None,
    };
    let report = crate::commands::offboard::run(&aws, &out, &args, &mut |_| Ok(true))
        .await
        .unwrap();
    assert_eq!(report.exit_code(), 0, "{report:?}");
    let left: Vec<String> = aws.world().flow_logs[M1]
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(left, ["fl-old"]);
    let crate::report::OffboardReport::Offboarded { plan, done } = &report else {
        panic!("{report:?}");
    };
    let planned: Vec<String> = plan.flow_logs.iter().map(|f| f.id.clone()).collect();
    assert_eq!(planned, made);
    let left: Vec<String> = plan
        .flow_logs_untagged
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(left, ["fl-old in ap-northeast-2"]);
    let deleted: Vec<String> = made
        .iter()
        .map(|id| format!("{id} in ap-northeast-2"))
        .collect();
    assert_eq!(done.flow_logs_deleted, deleted);
    let mut shown = Vec::new();
    plan.text(&mut shown, &mut Scripted::answering(&[]))
        .unwrap();
    let shown = String::from_utf8(shown).unwrap();
    let notes: Vec<&str> = shown.lines().filter(|l| l.contains("fl-old")).collect();
    assert_eq!(notes.len(), 1, "{shown}");
    assert!(notes[0].contains(TAG_COMMAND), "{shown}");
    assert_eq!(
        serde_json::to_value(plan).unwrap()["flow_logs_untagged"],
        json!([{"region": "ap-northeast-2", "id": "fl-old"}])
    );
}
