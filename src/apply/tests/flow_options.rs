//! Issue 20, point 9 over the in-memory fake: a flow log's `DestinationOptions` (Parquet, Hive-compatible
//! partitions, per hour) compared, replaced and granted in the bucket policy (VPC-7, DL-6).

use std::time::Duration;

use crate::apply::*;
use crate::aws::{
    Central, DesiredFlowLog, FlowLogDestination, Network, ObservedFlowLog, S3Options,
};
use crate::config::{Access, FileFormat, ScopedAccount};
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;

const CENTRAL: &str = fixtures::CENTRAL;
const M0: &str = "200000000000";

const WANTED: S3Options = S3Options {
    file_format: FileFormat::Parquet,
    hive_compatible_partitions: true,
    per_hour_partition: true,
};

/// One member, flow logs to the bucket as Parquet with Hive-compatible partitions per hour.
fn config() -> Config {
    let text = fixtures::config_text("", "", 1)
        + "[flow_logs]\nfile_format = \"parquet\"\nhive_compatible_partitions = true\nper_hour_partition = true\n";
    fixtures::parse(&text)
}

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    aws.world().buckets.insert("sec-log".into(), None);
    aws
}

fn to_bucket(aws: &FakeAws, id: &str) -> Vec<ObservedFlowLog> {
    let logs = aws.world().flow_logs.get(id).cloned().unwrap_or_default();
    logs.into_iter()
        .filter(|f| matches!(&f.target, FlowLogDestination::S3 { arn, .. } if arn == "arn:aws:s3:::sec-log"))
        .collect()
}

fn options(f: &ObservedFlowLog) -> S3Options {
    match &f.target {
        FlowLogDestination::S3 { options, .. } => *options,
        other => panic!("{other:?}"),
    }
}

/// A plain-text flow log at trailhub's place, otherwise as the config wants it.
fn plain_text_flow_log(cfg: &Config) -> ObservedFlowLog {
    let fl = cfg.flow_logs.as_ref().unwrap();
    ObservedFlowLog {
        region: "ap-northeast-2".into(),
        id: "fl-plain".into(),
        resource_id: format!("vpc-{M0}"),
        target: FlowLogDestination::S3 {
            arn: "arn:aws:s3:::sec-log".into(),
            options: S3Options::default(),
        },
        traffic_type: fl.traffic_type.as_str().into(),
        max_aggregation_interval: Some(fl.max_aggregation_interval),
        log_format: Some(fl.log_format.clone()),
        deliver_logs_status: Some("SUCCESS".into()),
        deliver_logs_error: None,
        tags: [(
            crate::world::MANAGED_TAG_KEY.to_owned(),
            crate::world::MANAGED_TAG_VALUE.to_owned(),
        )]
        .into(),
    }
}

/// A plain-text flow log where Parquet with Hive partitions is wanted is "wrong": the plan replaces it,
/// apply makes the new one with the options (which the fake stores and DescribeFlowLogs returns), grants
/// the Hive layout in the bucket policy, and a second run changes nothing.
#[tokio::test(start_paused = true)]
async fn a_plain_text_flow_log_is_replaced_by_the_parquet_hive_one_and_apply_converges() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    aws.world()
        .flow_logs
        .insert(M0.into(), vec![plain_text_flow_log(&cfg)]);
    let (_, p, _) = fixtures::observe_and_plan(&aws, &cfg, 2, &Interrupt::default())
        .await
        .unwrap();
    let planned: Vec<String> = match &p.accounts[1].flow_logs {
        Some(crate::plan::FlowLogsPlan::Changes { changes, .. }) => {
            changes.iter().map(|c| c.describe()).collect()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        planned,
        [format!(
            "flow log vpc-{M0} (ap-northeast-2): replace fl-plain (s3: options plain-text -> parquet, hive, per-hour)"
        )]
    );

    let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
    let (_, run) = fixtures::plan_and_apply(&aws, &cfg, &opts).await;
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    for id in [CENTRAL, M0] {
        let made = to_bucket(&aws, id);
        assert_eq!(made.len(), 1, "{id}: {made:#?}");
        assert_eq!(options(&made[0]), WANTED, "{id}");
    }
    let policy = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(
        policy.contains(&format!(
            "arn:aws:s3:::sec-log/AWSLogs/aws-account-id={M0}/*"
        )),
        "{policy}"
    );
    let (_, again) = fixtures::plan_and_apply(&aws, &cfg, &opts).await;
    assert!(
        !again.accounts.iter().any(AccountOutcome::changed),
        "{again:#?}"
    );
}

/// The fake judges a Hive flow log on the Hive key (DL-6): a policy that grants only the plain layout
/// `AWSLogs/<id>/*` refuses it, and lets the plain-text one through.
#[tokio::test]
async fn the_fake_refuses_a_hive_flow_log_the_policy_grants_only_the_plain_layout() {
    let aws = world();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::sec-log"},
        {"Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::sec-log/AWSLogs/{M0}/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]});
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(policy.to_string()));
    let scoped = ScopedAccount {
        id: M0.parse().unwrap(),
        name: "M0".into(),
        trail_name: "M0-CT".parse().unwrap(),
        access: Access::Own,
        is_central: false,
        cloudwatch: false,
        flow_logs: true,
        ou: None,
    };
    let member = aws.member(&scoped).await.unwrap();
    let want = |options| DesiredFlowLog {
        region: "ap-northeast-2".into(),
        vpc_id: format!("vpc-{M0}"),
        target: FlowLogDestination::S3 {
            arn: "arn:aws:s3:::sec-log".into(),
            options,
        },
        traffic_type: "ALL".into(),
        max_aggregation_interval: 600,
        log_format: "${version} ${account-id}".into(),
    };
    let e = member.create_flow_log(&want(WANTED)).await.unwrap_err();
    assert!(
        e.message.contains("Access Denied for LogDestination"),
        "{e}"
    );
    member
        .create_flow_log(&want(S3Options::default()))
        .await
        .unwrap();
    let made = to_bucket(&aws, M0);
    assert_eq!(made.len(), 1);
    assert_eq!(options(&made[0]), S3Options::default());
}
