//! Issue 11 over the in-memory fake: the trail's CloudWatch Logs delivery and the flow logs, made by
//! apply, in what AWS holds afterwards and in what the report says.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::apply::*;
use crate::aws::{FlowLogDestination, ObservedFlowLog};
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::report::ApplyReport;

const CENTRAL: &str = "111111111111";
const M0: &str = "200000000000";
const M1: &str = "200000000001";

/// The central account and `members`, each with `[cloudwatch]` and `[flow_logs]` to both destinations.
fn config(members: usize) -> Config {
    let mut text = fixtures::config_text("", "", members);
    text += "[cloudwatch]\nlog_group = \"/trailhub/cloudtrail\"\nretention_days = 365\n";
    text += "[flow_logs]\ndestinations = [\"s3\", \"cloudwatch\"]\ntraffic_type = \"ALL\"\n";
    fixtures::parse(&text)
}

/// A team's statements that let delivery.logs write every account's flow logs, as the VPC console
/// documents them (until the policy writer adds trailhub's own).
fn team_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "TeamFlowLogsAclCheck", "Effect": "Allow",
         "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::sec-log"},
        {"Sid": "TeamFlowLogsWrite", "Effect": "Allow",
         "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::sec-log/AWSLogs/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
    ]})
}

/// The fake with the bucket and the team's policy on it.
fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(team_policy().to_string()));
    aws
}

fn opts(dir: &Path) -> ApplyOptions {
    ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyRun {
    crate::fixtures::plan_and_apply(aws, cfg, &opts(dir))
        .await
        .1
}

/// `apply --yes` as the command runs it: NothingToDo when all is right.
async fn apply_command(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyReport {
    let opts = opts(dir);
    crate::commands::apply::run(aws, cfg, true, &opts, &mut |_| Ok(true))
        .await
        .unwrap()
}

fn account<'r>(r: &'r ApplyRun, id: &str) -> &'r AccountOutcome {
    r.accounts.iter().find(|a| a.id.as_str() == id).unwrap()
}

fn flow_logs(aws: &FakeAws, id: &str) -> Vec<ObservedFlowLog> {
    aws.world().flow_logs.get(id).cloned().unwrap_or_default()
}

fn writes(aws: &FakeAws) -> usize {
    [
        "CreateTrail",
        "UpdateTrail",
        "PutEventSelectors",
        "StartLogging",
        "CreateLogGroup",
        "PutRetentionPolicy",
        "CreateRole",
        "UpdateAssumeRolePolicy",
        "PutRolePolicy",
        "CreateFlowLogs",
        "DeleteFlowLogs",
        "PutBucketPolicy",
    ]
    .iter()
    .map(|op| aws.calls(op))
    .sum()
}

/// Issue 11: a new account with both sections gets the trail's log group (with its retention) and role
/// (trust and policy), its trail delivering to them, and a flow log per VPC per destination; a second
/// apply changes nothing and says `nothing to do`.
#[tokio::test(start_paused = true)]
async fn a_new_account_gets_its_logs_and_flow_logs_then_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world()
        .vpcs
        .insert(M1.into(), vec!["vpc-a".into(), "vpc-b".into()]);
    let cfg = config(2);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");

    for id in [CENTRAL, M0, M1] {
        let w = aws.world();
        let groups = &w.log_groups[id];
        assert_eq!(groups["/trailhub/cloudtrail"], Some(365), "{id}");
        assert_eq!(groups["/trailhub/vpc-flow-logs"], Some(365), "{id}");
        let roles = &w.roles[id];
        let trail_role = &roles["TrailhubCloudTrailToLogs"];
        assert!(trail_role.trust.contains("cloudtrail.amazonaws.com"));
        let policy = &trail_role.policies["trailhub-cloudtrail-to-logs"];
        assert!(
            policy.contains(&format!(
                "log-group:/trailhub/cloudtrail:log-stream:{id}_CloudTrail_ap-northeast-2*"
            )),
            "{policy}"
        );
        let flow_role = &roles["TrailhubFlowLogsToLogs"];
        assert!(flow_role.trust.contains("vpc-flow-logs.amazonaws.com"));
        assert!(flow_role.trust.contains("vpc-flow-log/*"));
        assert!(
            flow_role
                .policies
                .contains_key("trailhub-flow-logs-to-logs")
        );
        let (trail, status) = &w.trails[id][0];
        assert!(status.is_logging);
        let cw = trail
            .cloudwatch
            .as_ref()
            .expect("the trail delivers to CloudWatch Logs");
        assert_eq!(
            cw.log_group_arn,
            format!("arn:aws:logs:ap-northeast-2:{id}:log-group:/trailhub/cloudtrail:*")
        );
        assert_eq!(
            cw.role_arn,
            format!("arn:aws:iam::{id}:role/TrailhubCloudTrailToLogs")
        );
    }
    // a flow log per VPC per destination
    let m1 = flow_logs(&aws, M1);
    assert_eq!(m1.len(), 4, "{m1:#?}");
    for vpc in ["vpc-a", "vpc-b"] {
        let to: Vec<&FlowLogDestination> = m1
            .iter()
            .filter(|f| f.resource_id == vpc)
            .map(|f| &f.target)
            .collect();
        assert!(to.contains(&&FlowLogDestination::S3 {
            arn: "arn:aws:s3:::sec-log".into(),
            options: Default::default(),
        }));
        assert!(to.contains(&&FlowLogDestination::CloudWatch {
            log_group: "/trailhub/vpc-flow-logs".into(),
            role_arn: format!("arn:aws:iam::{M1}:role/TrailhubFlowLogsToLogs"),
        }));
    }
    assert!(m1.iter().all(|f| f.traffic_type == "ALL"
        && f.max_aggregation_interval == Some(600)
        && f.log_format.as_deref() == Some(format(&cfg))));
    // the report says it, part by part
    let m = account(&report, M1);
    assert!(
        matches!(&m.result, PartStatus::Changed { done } if done == &["create trail", "start logging"]),
        "{m:#?}"
    );
    let cw = m.cloudwatch.as_ref().unwrap();
    assert_eq!(
        cw.setup.len(),
        4,
        "boundary policy, group (with its retention), role, policy: {cw:#?}"
    );
    let fl = m.flow_logs.as_ref().unwrap();
    assert_eq!(
        (fl.vpcs, fl.created.len(), fl.policy_restored.as_ref()),
        (2, 4, None)
    );
    assert!(
        matches!(&fl.result, PartStatus::Changed { done } if done.contains(&"create vpc-a (s3)".to_owned()))
    );

    // a new member: AssumeRole, then DescribeTrails with 2 DescribeLogGroups, 2 GetRole, 2 GetRolePolicy,
    // DescribeVpcs and DescribeFlowLogs in one wave (k = 10); then CreateLogGroup, PutRetentionPolicy,
    // CreateRole, PutRolePolicy for the trail, CreateTrail, GetEventSelectors, StartLogging, the same four
    // for the flow logs, and CreateFlowLogs per VPC per destination (+ 11 + 2 a VPC)
    assert_eq!(aws.calls("AssumeRole"), 2);
    assert_eq!(aws.calls("DescribeLogGroups"), 3 * 2);
    assert_eq!(aws.calls("GetRole"), 3 * 2);
    assert_eq!(aws.calls("CreateLogGroup"), 3 * 2);
    assert_eq!(aws.calls("PutRetentionPolicy"), 3 * 2);
    assert_eq!(aws.calls("CreateRole"), 3 * 2);
    assert_eq!(aws.calls("PutRolePolicy"), 3 * 2);
    assert_eq!(
        aws.calls("CreateTrail"),
        3,
        "no retry: the fake's roles propagate at once here"
    );
    // central and M0 have the one default VPC, M1 two
    assert_eq!(aws.calls("CreateFlowLogs"), (1 + 1 + 2) * 2);
    assert_eq!(aws.calls("DeleteFlowLogs"), 0);

    // a second apply: nothing to do, no write at all
    let before = aws.world().calls.clone();
    let writes_before = writes(&aws);
    match apply_command(&aws, &cfg, dir.path()).await {
        ApplyReport::NothingToDo { trails, vpcs, .. } => assert_eq!((trails, vpcs), (3, Some(4))),
        other => panic!("{other:#?}"),
    }
    assert_eq!(writes(&aws), writes_before);
    let after = aws.world().calls.clone();
    let delta =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    // an account already right: AssumeRole, the wave of 9 reads, then GetTrailStatus and
    // GetEventSelectors (k = 12 in 3 round trips), and no write
    let reads = [
        "DescribeTrails",
        "DescribeLogGroups",
        "GetRole",
        "GetRolePolicy",
        "DescribeVpcs",
        "DescribeFlowLogs",
        "GetTrailStatus",
        "GetEventSelectors",
    ];
    let per_account: Vec<usize> = reads.iter().map(|op| delta(op)).collect();
    assert_eq!(per_account, [3, 6, 6, 6, 3, 3, 3, 3]);
    assert_eq!(delta("AssumeRole"), 2);
}

/// Issue 21, point 3: a flow logs' role that holds the old policy (logs:DescribeLogGroups on the group's
/// ARN, where it never applies) gets the new one at the next apply (DescribeLogGroups on `*` in its own
/// statement, VPC-4); a second apply changes nothing.
#[tokio::test(start_paused = true)]
async fn an_old_flow_logs_role_policy_is_replaced_then_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config(1);
    assert_eq!(run(&aws, &cfg, dir.path()).await.exit_code(), 0);
    let group = format!("arn:aws:logs:ap-northeast-2:{M0}:log-group:/trailhub/vpc-flow-logs");
    let old = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "TrailhubFlowLogsToLogs", "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
            "logs:DescribeLogStreams"],
        "Resource": [group.clone(), format!("{group}:*")]}]});
    let policy = |aws: &FakeAws| -> Value {
        let w = aws.world();
        let text = &w.roles[M0]["TrailhubFlowLogsToLogs"].policies["trailhub-flow-logs-to-logs"];
        serde_json::from_str(text).unwrap()
    };
    aws.world()
        .roles
        .get_mut(M0)
        .unwrap()
        .get_mut("TrailhubFlowLogsToLogs")
        .unwrap()
        .policies
        .insert("trailhub-flow-logs-to-logs".into(), old.to_string());
    let puts = aws.calls("PutRolePolicy");
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    assert_eq!(
        aws.calls("PutRolePolicy"),
        puts + 1,
        "M0's flow logs' role only"
    );
    let now = policy(&aws);
    let list = &now["Statement"][1];
    assert_eq!(
        (&list["Action"], &list["Resource"]),
        (&json!("logs:DescribeLogGroups"), &json!("*")),
        "{now}"
    );
    assert!(
        !now["Statement"][0]
            .to_string()
            .contains("DescribeLogGroups")
    );
    let writes_before = writes(&aws);
    assert!(matches!(
        apply_command(&aws, &cfg, dir.path()).await,
        ApplyReport::NothingToDo { .. }
    ));
    assert_eq!(writes(&aws), writes_before);
}

/// Issue 11: CloudTrail cannot assume a role made seconds ago ("Access denied"): CreateTrail is retried
/// with backoff until it can, and the trail delivers to CloudWatch Logs in the end.
#[tokio::test(start_paused = true)]
async fn a_new_role_not_yet_usable_by_cloudtrail_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().role_propagation = Duration::from_secs(5);
    let cfg = config(1);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    assert!(
        aws.calls("CreateTrail") > 2,
        "retried: {}",
        aws.calls("CreateTrail")
    );
    for id in [CENTRAL, M0] {
        let w = aws.world();
        assert!(w.trails[id][0].0.cloudwatch.is_some(), "{id}");
    }
    let m = account(&report, M0);
    assert!(matches!(
        m.cloudwatch.as_ref().unwrap().result,
        PartStatus::Changed { .. }
    ));
}

/// A role CloudTrail still cannot use after the retries: the trail is made to the bucket all the same,
/// the CloudWatch Logs part fails (exit 1), and the next run points the trail at its group.
#[tokio::test(start_paused = true)]
async fn a_role_that_never_becomes_usable_fails_only_the_cloudwatch_part() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().role_propagation = Duration::from_secs(3600);
    let cfg = config(1);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 1);
    let m = account(&report, M0);
    assert!(
        matches!(&m.result, PartStatus::Changed { done } if done[0] == "create trail (without CloudWatch Logs)"),
        "{m:#?}"
    );
    assert!(
        matches!(&m.cloudwatch.as_ref().unwrap().result, PartStatus::Failed { failure, done }
            if failure.code() == "InvalidCloudWatchLogsRoleArnException" && done.len() == 3),
        "{m:#?}"
    );
    assert!(matches!(
        m.flow_logs.as_ref().unwrap().result,
        PartStatus::Changed { .. }
    ));
    {
        let w = aws.world();
        let (trail, status) = &w.trails[M0][0];
        assert!(status.is_logging && trail.cloudwatch.is_none());
    }
    tokio::time::advance(Duration::from_secs(3600)).await;
    let again = run(&aws, &cfg, dir.path()).await;
    assert_eq!(again.exit_code(), 0, "{again:#?}");
    let m = account(&again, M0);
    assert!(
        matches!(&m.result, PartStatus::Changed { done } if done[0].starts_with("update trail (cloudwatch_logs: (none) -> log group /trailhub/cloudtrail")),
        "{m:#?}"
    );
    assert!(aws.world().trails[M0][0].0.cloudwatch.is_some());
}

/// The log format the config spells out (`all-fields`, its default).
fn format(cfg: &Config) -> &str {
    &cfg.flow_logs.as_ref().unwrap().log_format
}

fn seeded_flow_log(
    id: &str,
    vpc: &str,
    target: FlowLogDestination,
    traffic: &str,
) -> ObservedFlowLog {
    ObservedFlowLog {
        region: "ap-northeast-2".into(),
        id: id.into(),
        resource_id: vpc.into(),
        target,
        traffic_type: traffic.into(),
        max_aggregation_interval: Some(600),
        log_format: Some(format(&config(1)).to_owned()),
        deliver_logs_status: Some("SUCCESS".into()),
        deliver_logs_error: None,
        tags: [(
            crate::world::MANAGED_TAG_KEY.to_owned(),
            crate::world::MANAGED_TAG_VALUE.to_owned(),
        )]
        .into(),
    }
}

/// Issue 11: a flow log to the bucket with other settings (REJECT where ALL is wanted) is replaced: the
/// new one is made first and the old one deleted after. With DeleteFlowLogs refused, the VPC keeps both:
/// it is never left without a flow log.
#[tokio::test(start_paused = true)]
async fn a_flow_log_with_other_settings_is_replaced_the_new_one_first() {
    let vpc = format!("vpc-{M0}");
    let s3 = FlowLogDestination::S3 {
        arn: "arn:aws:s3:::sec-log".into(),
        options: Default::default(),
    };
    let seeded = || {
        let aws = world();
        let old = seeded_flow_log("fl-old", &vpc, s3.clone(), "REJECT");
        aws.world().flow_logs.insert(M0.into(), vec![old]);
        aws
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(1);
    let (_, p, _) = crate::fixtures::observe_and_plan(&seeded(), &cfg, 2, &Interrupt::default())
        .await
        .unwrap();
    let planned: Vec<String> = match &p.accounts[1].flow_logs {
        Some(crate::plan::FlowLogsPlan::Changes { changes, .. }) => {
            changes.iter().map(|c| c.describe()).collect()
        }
        other => panic!("{other:?}"),
    };
    assert!(
        planned.contains(&format!(
            "flow log {vpc} (ap-northeast-2): replace fl-old (s3: traffic type REJECT -> ALL)"
        )),
        "{planned:?}"
    );

    // the delete refused: the new one is there beside the old
    let aws = seeded();
    aws.world()
        .deny_calls
        .insert((M0.into(), "DeleteFlowLogs".into()));
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 1);
    let to_s3: Vec<String> = flow_logs(&aws, M0)
        .into_iter()
        .filter(|f| f.target == s3)
        .map(|f| f.traffic_type)
        .collect();
    assert_eq!(to_s3, ["REJECT", "ALL"]);
    let fl = account(&report, M0).flow_logs.as_ref().unwrap();
    assert!(
        matches!(&fl.result, PartStatus::Failed { failure, .. } if failure.operation() == "DeleteFlowLogs"),
        "{fl:#?}"
    );

    // allowed: the old one goes, the new one stays, and the report says which replaced which
    let aws = seeded();
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    let to_s3: Vec<ObservedFlowLog> = flow_logs(&aws, M0)
        .into_iter()
        .filter(|f| f.target == s3)
        .collect();
    assert_eq!(to_s3.len(), 1);
    assert_eq!(to_s3[0].traffic_type, "ALL");
    let fl = account(&report, M0).flow_logs.as_ref().unwrap();
    assert_eq!(fl.deleted, ["fl-old"]);
    assert!(
        fl.created
            .iter()
            .any(|m| m.replaces.as_deref() == Some("fl-old") && m.id == to_s3[0].id)
    );
    assert!(
        !run(&aws, &cfg, dir.path())
            .await
            .accounts
            .iter()
            .any(AccountOutcome::changed)
    );
}

/// Issue 11: a flow log someone else made to another bucket is not trailhub's: left as it is, and
/// trailhub's own is made beside it.
#[tokio::test(start_paused = true)]
async fn a_foreign_flow_log_to_another_destination_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let vpc = format!("vpc-{M0}");
    let theirs = FlowLogDestination::S3 {
        arn: "arn:aws:s3:::their-bucket".into(),
        options: Default::default(),
    };
    let foreign = seeded_flow_log("fl-theirs", &vpc, theirs, "REJECT");
    aws.world()
        .flow_logs
        .insert(M0.into(), vec![foreign.clone()]);
    let cfg = config(1);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    let now = flow_logs(&aws, M0);
    assert!(now.contains(&foreign), "{now:#?}");
    assert_eq!(now.len(), 3, "theirs, and trailhub's two");
    assert!(
        account(&report, M0)
            .flow_logs
            .as_ref()
            .unwrap()
            .deleted
            .is_empty()
    );
}

/// Issue 11, the bucket owner's trap: when the central account makes a flow log to its own bucket, AWS
/// replaces the bucket policy with its own. trailhub reads it back, puts back what it wrote (keeping AWS's
/// statements beside), backs up what it replaced, and says so; no statement is lost, and every member's
/// trail and flow logs are made.
#[tokio::test(start_paused = true)]
async fn the_owner_trap_restores_the_policy_and_loses_no_statement() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().owner_flow_log_overwrites_policy = true;
    let cfg = config(2);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    let central = account(&report, CENTRAL).flow_logs.as_ref().unwrap();
    let restored = central.policy_restored.as_ref().expect("restored");
    assert!(
        restored.contains(&"TeamFlowLogsWrite".to_owned()),
        "{restored:?}"
    );
    assert!(
        restored.contains(&"AWSCloudTrailWrite20150319".to_owned()),
        "{restored:?}"
    );
    let text = aws.world().buckets["sec-log"].clone().unwrap();
    let now: Value = serde_json::from_str(&text).unwrap();
    let sids: Vec<&str> = now["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    for sid in [
        "TeamFlowLogsAclCheck",
        "TeamFlowLogsWrite",
        "AWSCloudTrailAclCheck20150319",
        "AWSCloudTrailWrite20150319",
        "AWSLogDeliveryWrite",
    ] {
        assert!(sids.contains(&sid), "{sid} in {sids:?}");
    }
    // what AWS wrote was backed up before it was replaced
    let backups = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(backups, 2, "the team's policy, then AWS's");
    for id in [M0, M1] {
        assert_eq!(flow_logs(&aws, id).len(), 2, "{id}");
        assert!(aws.world().trails[id][0].1.is_logging, "{id}");
    }
    match apply_command(&aws, &cfg, dir.path()).await {
        ApplyReport::NothingToDo { .. } => {}
        other => panic!("{other:#?}"),
    }
}

/// Issue 11: one account may not create IAM roles (an SCP): its trail is still made to the bucket, its
/// CloudWatch Logs part fails, its flow logs to the bucket are made and those to CloudWatch Logs fail; the
/// other accounts converge.
#[tokio::test(start_paused = true)]
async fn one_accounts_iam_access_denied_fails_only_that_accounts_parts() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world()
        .deny_calls
        .insert((M0.into(), "CreateRole".into()));
    let cfg = config(2);
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 1);
    let m0 = account(&report, M0);
    assert!(matches!(&m0.result, PartStatus::Changed { .. }), "{m0:#?}");
    assert!(
        matches!(&m0.cloudwatch.as_ref().unwrap().result, PartStatus::Failed { failure, done }
        if failure.operation() == "CreateRole" && failure.code() == "AccessDenied"
            && done == &[
                "boundary policy trailhub-delivery-boundary: create",
                "log group /trailhub/cloudtrail: create (365 days)"
            ]),
        "{m0:#?}"
    );
    let fl = m0.flow_logs.as_ref().unwrap();
    assert!(
        matches!(&fl.result, PartStatus::Failed { failure, .. } if failure.operation() == "CreateRole"),
        "{fl:#?}"
    );
    assert_eq!(fl.created.len(), 1);
    assert_eq!(
        fl.created[0].destination,
        crate::config::FlowDestination::S3
    );
    assert!(aws.world().trails[M0][0].1.is_logging);
    for id in [CENTRAL, M1] {
        let a = account(&report, id);
        assert!(!a.is_bad(), "{a:#?}");
    }
}

/// Issue 11: flow logs are made where another trail covers the account (the trail part is `covered`).
#[tokio::test(start_paused = true)]
async fn flow_logs_are_made_where_another_trail_covers_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let region = "ap-northeast-2".parse().unwrap();
    let legacy = crate::fake::fake_trail(&region, M0, "Legacy", "sec-log");
    let logging = crate::aws::TrailStatus {
        is_logging: true,
        ..Default::default()
    };
    aws.world()
        .trails
        .insert(M0.into(), vec![(legacy.clone(), logging)]);
    let report = run(&aws, &config(1), dir.path()).await;
    let m = account(&report, M0);
    assert_eq!(m.result, PartStatus::Covered { by: legacy.arn });
    assert!(
        m.cloudwatch.is_none(),
        "the trail is not trailhub's: {m:#?}"
    );
    assert!(matches!(
        m.flow_logs.as_ref().unwrap().result,
        PartStatus::Changed { .. }
    ));
    assert_eq!(flow_logs(&aws, M0).len(), 2);
}

/// Issue 11: a bucket policy that would not let delivery.logs write the account's flow logs blocks that
/// part in the plan; apply tries no flow log, says why, and still makes the trail.
#[tokio::test(start_paused = true)]
async fn flow_logs_the_policy_would_not_allow_are_blocked_not_tried() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::ZERO);
    // another team's Deny of delivery.logs for the member's folder: trailhub keeps it, and its own Allow
    // statements cannot outweigh it
    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "NoFlowLogsFromM0", "Effect": "Deny",
        "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::sec-log/AWSLogs/{M0}/*")}]});
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(deny.to_string()));
    let report = run(&aws, &config(1), dir.path()).await;
    assert_eq!(report.exit_code(), 1);
    let m = account(&report, M0);
    assert!(matches!(m.result, PartStatus::Changed { .. }), "{m:#?}");
    let fl = m.flow_logs.as_ref().unwrap();
    assert!(
        matches!(&fl.result, PartStatus::Failed { failure, .. } if failure.code() == "FlowLogsDenied"),
        "{fl:#?}"
    );
    assert!(flow_logs(&aws, M0).is_empty(), "none tried in {M0}");
    assert_eq!(
        flow_logs(&aws, CENTRAL).len(),
        2,
        "the central account's are made"
    );
}

/// Found by the orchestration benchmark at 1,000 accounts: with the organization form, whose delivery.logs
/// statements name `aws:SourceOrgID`, apply's check of the policy in force must judge with the
/// organization as the plan does, or every account's flow logs to the bucket are refused as denied.
#[tokio::test(start_paused = true)]
async fn flow_logs_are_made_under_the_organization_form() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::ZERO);
    aws.set_organization("o-abcdef1234", &[CENTRAL, M0, M1]);
    let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n\
                trail_name = \"SEC\"\npolicy_form = \"organization\"\n[members]\nsource = \"organizations\"\n\
                trail_name = \"{name}-CT\"\n[flow_logs]\ndestinations = [\"s3\"]\n";
    let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
    let report = run(&aws, &cfg, dir.path()).await;
    assert_eq!(report.exit_code(), 0, "{report:#?}");
    for id in [CENTRAL, M0, M1] {
        assert_eq!(flow_logs(&aws, id).len(), 1, "{id}");
    }
    let policy = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(policy.contains("aws:SourceOrgID"), "{policy}");
}
