//! Issue 20, point 5: when the bucket's owner (the central account) creates a flow log to its bucket, AWS
//! adds its log delivery permission to the bucket policy itself, and that fails, and CreateFlowLogs with
//! it, when the policy has a NotPrincipal or NotAction element (aws-rules DL-5). moto never adds a policy
//! (MOTO.md), so this is over the in-memory fake, which refuses as AWS does, through the same
//! `commands::run` the binary calls: `plan` blocks the central account's flow logs with the reason (exit 1),
//! `apply` makes the members' and not the central account's.

use std::time::Duration;

use serde_json::json;
use trailhub::aws::{DesiredFlowLog, FlowLogDestination, Network};
use trailhub::cli::{ApplyArgs, Command};
use trailhub::config::Access;
use trailhub::fake::FakeAws;

use crate::support::in_process::CENTRAL_AND_DEV;

const CENTRAL: &str = "111111111111";
const DEV: &str = "222222222222";
const REGION: &str = "ap-northeast-2";

/// A team's statement as they are written: only the admin role may delete the bucket. NotPrincipal, and
/// nothing to do with log delivery.
fn not_principal_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyAdminDeletes", "Effect": "Deny",
        "NotPrincipal": {"AWS": format!("arn:aws:iam::{CENTRAL}:role/Admin")},
        "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::sec-log"}]})
    .to_string()
}

fn world(policy: Option<String>) -> FakeAws {
    let aws = FakeAws::new(CENTRAL, REGION, Duration::ZERO);
    aws.world().buckets.insert("sec-log".into(), policy);
    aws
}

/// Runs `command` in-process over `aws` with this file's accounts.toml: the exit code and stdout.
async fn trailhub(aws: &FakeAws, command: &Command) -> (i32, String) {
    let config = format!("{CENTRAL_AND_DEV}\n[flow_logs]\ndestinations = [\"s3\"]\n");
    crate::support::in_process::trailhub(aws, &config, command).await
}

fn flow_logs(aws: &FakeAws, id: &str) -> usize {
    aws.world().flow_logs.get(id).map_or(0, Vec::len)
}

#[tokio::test]
async fn the_fake_refuses_the_owners_flow_log_under_a_not_principal_policy() {
    let aws = world(None);
    // the policy AWS documents for delivery.logs, plus the team's NotPrincipal statement
    let allow = json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::sec-log/AWSLogs/*"});
    let mut policy: serde_json::Value = serde_json::from_str(&not_principal_policy()).unwrap();
    let acl = json!({"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:GetBucketAcl",
        "Resource": "arn:aws:s3:::sec-log"});
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .extend([allow, acl]);
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(policy.to_string()));
    let want = |account: &str| DesiredFlowLog {
        region: "ap-northeast-2".into(),
        vpc_id: format!("vpc-{account}"),
        target: FlowLogDestination::S3 {
            arn: "arn:aws:s3:::sec-log".into(),
            options: Default::default(),
        },
        traffic_type: "ALL".into(),
        max_aggregation_interval: 600,
        log_format: "${version} ${account-id}".into(),
    };
    // the fake's member client for an account (Access::Own: no AssumeRole call)
    let scoped = |id: &str| trailhub::config::ScopedAccount {
        id: id.parse().unwrap(),
        name: id.into(),
        trail_name: "SEC-CLOUDTRAIL".parse().unwrap(),
        access: Access::Own,
        is_central: id == CENTRAL,
        cloudwatch: false,
        flow_logs: true,
        ou: None,
    };
    use trailhub::aws::Central;
    let owner = aws.member(&scoped(CENTRAL)).await.unwrap();
    let e = owner.create_flow_log(&want(CENTRAL)).await.unwrap_err();
    assert!(e.message.contains("NotPrincipal or NotAction"), "{e}");
    assert_eq!(flow_logs(&aws, CENTRAL), 0);
    // a member's flow log is not the owner's: no permission is added, the policy is only judged
    let dev = aws.member(&scoped(DEV)).await.unwrap();
    dev.create_flow_log(&want(DEV)).await.unwrap();
    assert_eq!(flow_logs(&aws, DEV), 1);
}

#[tokio::test]
async fn plan_blocks_the_central_accounts_flow_logs_and_apply_makes_only_the_members() {
    let aws = world(Some(not_principal_policy()));
    let (code, shown) = trailhub(&aws, &Command::Plan(Default::default())).await;
    assert_eq!(code, 1, "{shown}");
    assert!(
        crate::support::says(
            &shown,
            "the bucket policy has NotPrincipal or NotAction (statement OnlyAdminDeletes)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("runbooks/vpc-flow-logs.md#notprincipal-or-notaction-in-the-bucket-policy"),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    let apply = Command::Apply(ApplyArgs {
        prune: false,
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    let (code, shown) = trailhub(&aws, &apply).await;
    assert_eq!(code, 1, "{shown}");
    assert_eq!(flow_logs(&aws, CENTRAL), 0, "{shown}");
    assert_eq!(flow_logs(&aws, DEV), 1, "{shown}");
    // the team's statement is kept verbatim
    let policy = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(policy.contains("OnlyAdminDeletes"), "{policy}");
}

#[tokio::test]
async fn without_not_principal_the_central_accounts_flow_logs_are_made() {
    let aws = world(None);
    let dir = tempfile::tempdir().unwrap();
    let apply = Command::Apply(ApplyArgs {
        prune: false,
        yes: true,
        backup_dir: dir.path().to_owned(),
        ..Default::default()
    });
    let (code, shown) = trailhub(&aws, &apply).await;
    assert_eq!(code, 0, "{shown}");
    assert_eq!(flow_logs(&aws, CENTRAL), 1, "{shown}");
}
