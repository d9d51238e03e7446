//! Issue 12 against moto, end to end through the real binary: `kms_key = "create"`, `retention_days` and
//! `access_log_bucket` for the central account and two members: plan, apply, a second apply with nothing to
//! do, and an audit; then drift (a trail taken off the key, the retention rule and the logging removed)
//! found by the audit and put back by apply. What AWS holds is read back with trailhub's own SDK layer.
//!
//! moto checks none of KMS's rules on a key policy nor CloudTrail's use of the key (tests/MOTO-KMS.md):
//! those are the fake's, in src/apply/kms_tests.rs. moto does check the access log bucket's grant, with
//! one string for the principal and one for the resource, as written below.

use crate::support;

use serde_json::{Value, json};
use support::TEST_ACCOUNT_ID;
use support::trailhub::{BUCKET, MEMBERS, World, static_config};
use trailhub::aws::sdk::SdkCentral;
use trailhub::aws::{BucketEncryption, BucketSettings, Central, Keys, Member};
use trailhub::config::{Config, ScopedAccount};

const LOG_BUCKET: &str = "sec-s3-access-logs";

fn config() -> String {
    static_config(&MEMBERS[..2]).replacen(
        "[members]",
        &format!(
            "kms_key = \"create\"\nretention_days = 400\naccess_log_bucket = \"{LOG_BUCKET}\"\n\n[members]"
        ),
        1,
    )
}

/// The statement AWS documents for the S3 logging service on the access log bucket (S3-9).
fn log_bucket_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{LOG_BUCKET}/*"),
        "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{BUCKET}")},
                      "StringEquals": {"aws:SourceAccount": TEST_ACCOUNT_ID}}}]})
    .to_string()
}

fn start() -> (World, Config) {
    let w = World::start();
    w.write_config(&config());
    w.create_bucket(LOG_BUCKET);
    w.put_policy(LOG_BUCKET, &log_bucket_policy());
    let cfg = Config::load(&w.config_path()).unwrap();
    (w, cfg)
}

fn targets(cfg: &Config) -> Vec<ScopedAccount> {
    cfg.central_target()
        .into_iter()
        .chain(cfg.static_targets())
        .collect()
}

/// The key (by its alias), its policy, and the bucket's settings, as trailhub's SDK layer reads them; and
/// every trail's KmsKeyId.
fn assert_made(w: &World, cfg: &Config) {
    let central = SdkCentral::new(w.sdk.clone());
    let bucket = &cfg.central.bucket;
    w.rt.block_on(async {
        let alias = format!(
            "arn:aws:kms:{}:{TEST_ACCOUNT_ID}:alias/trailhub-cloudtrail",
            cfg.central.region
        );
        let key = central
            .describe_key(&alias)
            .await
            .unwrap()
            .expect("the key");
        let policy: Value =
            serde_json::from_str(&central.key_policy(&key.arn).await.unwrap()).unwrap();
        let sids: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(
            sids,
            [
                "Enable IAM User Permissions",
                "TrailhubCloudTrailEncrypt",
                "TrailhubCloudTrailDecrypt",
                "TrailhubCloudTrailDescribeKey",
                "TrailhubDecryptLogs"
            ]
        );
        let arns = policy["Statement"][1]["Condition"]["StringEquals"]["aws:SourceArn"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(arns, 3, "{policy}");
        for t in targets(cfg) {
            let m = central.member(&t).await.unwrap();
            let trails = m.describe_trails().await.unwrap();
            let trail = trails
                .iter()
                .find(|x| x.name == t.trail_name.as_str())
                .unwrap();
            // moto echoes the alias ARN CloudTrail was given; AWS reports the key's ARN
            let k = trail.kms_key_id.as_deref().unwrap_or_default();
            assert!(k == alias || k == key.arn, "{}: {k}", t.id);
        }
        assert_eq!(
            central.bucket_encryption(bucket).await.unwrap(),
            BucketEncryption::Kms {
                key: Some(key.arn.clone()),
                bucket_key: true
            }
        );
        let rules = central.lifecycle_rules(bucket).await.unwrap();
        assert!(
            rules.iter().any(|r| r.id == "trailhub-retention"
                && r.prefix.as_deref() == Some("AWSLogs/")
                && r.expiration_days == Some(400)
                && r.noncurrent_days == Some(1)),
            "{rules:?}"
        );
        assert!(
            rules.iter().any(|r| r.id == "trailhub-retention-markers"
                && r.prefix.as_deref() == Some("AWSLogs/")
                && r.expired_object_delete_marker
                && r.expiration_days.is_none()),
            "{rules:?}"
        );
        let logging = central
            .bucket_logging(bucket)
            .await
            .unwrap()
            .expect("logging");
        assert_eq!(logging.target_bucket, LOG_BUCKET);
        assert_eq!(logging.target_prefix, format!("{BUCKET}/"));
    });
}

#[test]
fn plan_apply_apply_audit_encrypts_every_trail_and_keeps_the_bucket_as_configured() {
    let (w, cfg) = start();
    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    for line in [
        "kms key: create alias/trailhub-cloudtrail (symmetric, yearly rotation on;",
        &format!(
            "bucket {BUCKET}: retention: none -> objects under AWSLogs/ expire after 400 days, their noncurrent copies 1 day later, then the delete markers"
        ),
        &format!("bucket {BUCKET}: access logging: off -> s3://{LOG_BUCKET}/{BUCKET}/"),
        &format!("bucket {BUCKET}: default encryption: SSE-S3 -> SSE-KMS with arn:aws:kms:"),
    ] {
        assert!(support::says(&plan.stdout, line), "{line}\n{plan}");
    }
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("kms key: created arn:aws:kms:"),
        "{out}"
    );
    assert_made(&w, &cfg);

    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.starts_with("nothing to do"), "{again}");

    let audit = w.trailhub(&["audit", "--format", "json"]);
    let report: Value =
        serde_json::from_str(&audit.stdout).unwrap_or_else(|e| panic!("{e}: {audit}"));
    for a in report["accounts"].as_array().unwrap() {
        for p in a["problems"].as_array().unwrap() {
            let code = p["code"].as_str().unwrap();
            assert!(!code.contains("kms"), "{}: {p}", a["id"]);
        }
    }
    assert!(report.get("bucket_problems").is_none(), "{report}");
}

/// Drift: a member's trail taken off the key, the retention rule and the logging removed by hand. The
/// audit finds each (read-only), apply puts them back, and the audit is clean again.
#[test]
fn drift_is_found_by_the_audit_and_put_back_by_apply() {
    let (w, cfg) = start();
    assert_eq!(w.apply().code, 0);
    let (dev, _) = MEMBERS[0];
    let trail = format!("{}-CLOUDTRAIL", MEMBERS[0].1);
    let ct = w.cloudtrail(dev);
    w.rt.block_on(async {
        ct.update_trail()
            .name(&trail)
            .kms_key_id("")
            .send()
            .await
            .unwrap();
        let s3 = w.s3();
        s3.delete_bucket_lifecycle()
            .bucket(BUCKET)
            .send()
            .await
            .unwrap();
        let off = aws_sdk_s3::types::BucketLoggingStatus::builder().build();
        s3.put_bucket_logging()
            .bucket(BUCKET)
            .bucket_logging_status(off)
            .send()
            .await
            .unwrap();
    });
    let audit = w.trailhub(&["audit", "--format", "json"]);
    assert_eq!(audit.code, 1, "{audit}");
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    let dev_codes: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == dev)
        .unwrap()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(dev_codes.contains(&"no-kms"), "{dev_codes:?}");
    let bucket: Vec<&str> = report["bucket_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(bucket, ["bucket-no-access-logging", "bucket-no-retention"]);

    let fixed = w.apply();
    assert_eq!(fixed.code, 0, "{fixed}");
    assert_made(&w, &cfg);
    let clean = w.trailhub(&["audit"]);
    assert!(!clean.stdout.contains("no-kms"), "{clean}");
    assert!(!clean.stdout.contains("bucket-no"), "{clean}");
}
