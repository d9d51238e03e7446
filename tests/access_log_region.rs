//! Issue 20, point 11: S3 delivers server access logs only to a bucket in the source bucket's Region
//! (aws-rules S3-10). Over the in-memory fake, which refuses PutBucketLogging across Regions as S3 does,
//! through the same `commands::run` the binary calls: `plan` blocks the setting (exit 1) and `apply` writes
//! nothing of it. Over moto through the real binary: the Regions are read from HeadBucket, and `plan`
//! blocks before any write.

use crate::support;

use std::path::Path;
use std::time::Duration;

use trailhub::aws::{AccessLogging, BucketSettings};
use trailhub::cli::{ApplyArgs, Command};
use trailhub::fake::FakeAws;
use trailhub::model::BucketName;

const CENTRAL: &str = "111111111111";
const REGION: &str = "ap-northeast-2";
const LOG_BUCKET: &str = "sec-access-logs";

const CONFIG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC-CLOUDTRAIL"
access_log_bucket = "sec-access-logs"

[members]
trail_name = "{name}-CLOUDTRAIL"

[[account]]
id = "222222222222"
name = "DEV"
"#;

/// The access log bucket's policy AWS documents for the S3 logging service (S3-9).
fn log_policy() -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{LOG_BUCKET}/*"),
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::sec-log"},
                      "StringEquals": {"aws:SourceAccount": CENTRAL}}}]})
    .to_string()
}

/// The central bucket in the trails' Region, and the access log bucket in `log_region`.
fn world(log_region: &str) -> FakeAws {
    let aws = FakeAws::new(CENTRAL, REGION, Duration::ZERO);
    let mut w = aws.world();
    w.buckets.insert("sec-log".into(), None);
    w.buckets.insert(LOG_BUCKET.into(), Some(log_policy()));
    w.bucket_regions
        .insert(LOG_BUCKET.into(), log_region.into());
    drop(w);
    aws
}

/// Runs `command` in-process over `aws` with this file's accounts.toml: the exit code and stdout.
async fn trailhub(aws: &FakeAws, command: &Command) -> (i32, String) {
    crate::support::in_process::trailhub(aws, CONFIG, command).await
}

fn apply_command(dir: &Path) -> Command {
    Command::Apply(ApplyArgs {
        prune: false,
        yes: true,
        backup_dir: dir.to_owned(),
        ..Default::default()
    })
}

#[tokio::test]
async fn the_fake_refuses_access_logging_to_a_bucket_in_another_region() {
    let aws = world("eu-west-1");
    let to = AccessLogging {
        target_bucket: LOG_BUCKET.into(),
        target_prefix: "sec-log/".into(),
    };
    let bucket: BucketName = "sec-log".parse().unwrap();
    let e = aws.put_bucket_logging(&bucket, &to).await.unwrap_err();
    assert_eq!(e.code, "CrossLocationLoggingProhibited", "{e}");
    assert!(aws.world().logging.is_empty());
    // the same target in the bucket's Region is taken
    aws.world()
        .bucket_regions
        .insert(LOG_BUCKET.into(), REGION.into());
    aws.put_bucket_logging(&bucket, &to).await.unwrap();
    assert_eq!(aws.world().logging["sec-log"], to);
}

#[tokio::test]
async fn plan_blocks_an_access_log_bucket_in_another_region_before_any_write() {
    let aws = world("eu-west-1");
    let (code, shown) = trailhub(&aws, &Command::Plan(Default::default())).await;
    assert_eq!(code, 1, "{shown}");
    assert!(
        support::says(
            &shown,
            "the access log bucket sec-access-logs is in eu-west-1, but the bucket is in ap-northeast-2"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("runbooks/kms.md#access-log-bucket-in-another-region"),
        "{shown}"
    );
    // its policy, which would allow the writes, is not what blocks it
    assert!(
        !shown.contains("does not let logging.s3.amazonaws.com"),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, shown) = trailhub(&aws, &apply_command(dir.path())).await;
    assert_eq!(code, 1, "{shown}");
    assert_eq!(aws.calls("PutBucketLogging"), 0, "{shown}");
    assert!(aws.world().logging.is_empty());
}

#[tokio::test]
async fn an_access_log_bucket_in_the_same_region_is_planned_and_made() {
    let aws = world(REGION);
    let (code, shown) = trailhub(&aws, &Command::Plan(Default::default())).await;
    assert!(!shown.contains("is in eu-west-1"), "{shown}");
    assert!(
        shown.contains("access logging: off -> s3://sec-access-logs/sec-log/"),
        "{shown}"
    );
    assert_eq!(code, 0, "{shown}");
    let dir = tempfile::tempdir().unwrap();
    let (code, shown) = trailhub(&aws, &apply_command(dir.path())).await;
    assert_eq!(code, 0, "{shown}");
    assert_eq!(aws.world().logging["sec-log"].target_bucket, LOG_BUCKET);
}

#[test]
fn over_moto_plan_reads_the_regions_and_blocks_before_any_write() {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    use support::trailhub::{MEMBERS, World, static_config};
    let w = World::start();
    let config = static_config(&MEMBERS).replacen(
        "[members]",
        "access_log_bucket = \"sec-far-logs\"\n\n[members]",
        1,
    );
    w.write_config(&config);
    let far = w
        .sdk
        .to_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let s3 = support::s3_client(&far);
    let location = CreateBucketConfiguration::builder()
        .location_constraint(BucketLocationConstraint::EuWest1)
        .build();
    w.rt.block_on(
        s3.create_bucket()
            .bucket("sec-far-logs")
            .create_bucket_configuration(location)
            .send(),
    )
    .unwrap();
    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 1, "{plan}");
    assert!(
        support::says(
            &plan.stdout,
            &format!(
                "the access log bucket sec-far-logs is in eu-west-1, but the bucket is in {REGION}"
            )
        ),
        "{plan}"
    );
    assert!(w.proxy.writes().is_empty(), "{plan}");
}
