//! Issue 12 over the in-memory fake: the key made or merged, every trail encrypting with it, the bucket's
//! encryption, retention and access logging, and a second run that changes nothing.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::apply::*;
use crate::aws::{AccessLogging, BucketEncryption, Keys, LifecycleRule};
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::plan::AccountPlanStatus;
use crate::plan::kms::KeyPlan;

const CENTRAL: &str = "111111111111";

fn config(members: usize, kms_key: &str) -> Config {
    let central = format!(
        "kms_key = \"{kms_key}\"\nretention_days = 400\naccess_log_bucket = \"sec-access-logs\"\n"
    );
    fixtures::parse(&fixtures::config_text(&central, "", members))
}

/// The access log bucket, with the statement AWS documents for the S3 logging service (S3-9).
fn log_bucket_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::sec-access-logs/*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::sec-log"},
                      "StringEquals": {"aws:SourceAccount": CENTRAL}}}]})
}

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    let mut w = aws.world();
    w.buckets.insert(
        "sec-access-logs".into(),
        Some(log_bucket_policy().to_string()),
    );
    // a team's own rule, which must be kept
    w.lifecycle.insert(
        "sec-log".into(),
        vec![LifecycleRule {
            id: "team-glacier".into(),
            enabled: true,
            prefix: Some("exports/".into()),
            narrowed: false,
            expiration_days: Some(30),
            noncurrent_days: None,
            expired_object_delete_marker: false,
        }],
    );
    drop(w);
    aws
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> (crate::plan::Plan, ApplyRun) {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    crate::fixtures::plan_and_apply(aws, cfg, &opts).await
}

#[tokio::test(start_paused = true)]
async fn a_new_key_encrypts_every_trail_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config(3, "create");
    let (p, r) = run(&aws, &cfg, dir.path()).await;
    assert!(matches!(p.key, Some(KeyPlan::Create { .. })), "{:?}", p.key);
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    let key = r.key.clone().expect("a key");
    assert!(key.created);
    assert_eq!(aws.calls("CreateKey"), 1);
    assert_eq!(aws.calls("EnableKeyRotation"), 1);
    let alias = aws.world().aliases["alias/trailhub-cloudtrail"].clone();
    assert_eq!(alias, key.arn);
    for trails in aws.world().trails.values() {
        for (t, _) in trails {
            assert_eq!(t.kms_key_id.as_deref(), Some(key.arn.as_str()), "{}", t.arn);
        }
    }
    {
        let w = aws.world();
        assert_eq!(
            w.encryption["sec-log"],
            BucketEncryption::Kms {
                key: Some(key.arn.clone()),
                bucket_key: true
            }
        );
        let ids: Vec<&str> = w.lifecycle["sec-log"]
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "team-glacier",
                "trailhub-retention",
                "trailhub-retention-markers"
            ]
        );
        assert_eq!(
            w.logging["sec-log"],
            AccessLogging {
                target_bucket: "sec-access-logs".into(),
                target_prefix: "sec-log/".into()
            }
        );
    }

    let before = aws.world().calls.clone();
    let (p2, r2) = run(&aws, &cfg, dir.path()).await;
    assert!(!p2.has_changes(), "{:#?}", p2);
    assert_eq!(r2.exit_code(), 0);
    let after = aws.world().calls.clone();
    for op in [
        "CreateKey",
        "PutKeyPolicy",
        "UpdateTrail",
        "PutBucketEncryption",
        "PutBucketLifecycleConfiguration",
        "PutBucketLogging",
    ] {
        assert_eq!(after.get(op), before.get(op), "{op}");
    }
}

/// An existing key with a team's statements: they are kept, the old policy is backed up, and a key policy
/// that does not keep the root's statement is never written.
#[tokio::test(start_paused = true)]
async fn an_existing_key_policy_is_merged_backed_up_and_never_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let team = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "SiemDecrypt", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/siem"},
         "Action": "kms:Decrypt", "Resource": "*"}]});
    let key = aws.create_key(&team.to_string(), "team key").await.unwrap();
    let cfg = config(2, &key.arn);
    let (_, r) = run(&aws, &cfg, dir.path()).await;
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    let k = r.key.clone().unwrap();
    assert!(k.written && !k.created);
    assert_eq!(
        std::fs::read_to_string(k.backup.unwrap()).unwrap(),
        team.to_string()
    );
    let now: Value = serde_json::from_str(&aws.key_policy(&key.arn).await.unwrap()).unwrap();
    assert_eq!(now["Statement"][1], team["Statement"][1]);

    // a key administered by a role only: trailhub writes nothing, and the trails are blocked with why
    let admin = json!({"Statement": [{"Sid": "Admins", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:role/KeyAdmin"}, "Action": "kms:*", "Resource": "*"}]});
    let locked = crate::fake::FakeKey {
        info: crate::aws::KeyInfo {
            arn: "arn:aws:kms:ap-northeast-2:111111111111:key/00000000-0000-4000-8000-0000000000ff"
                .into(),
            id: "00000000-0000-4000-8000-0000000000ff".into(),
            account: CENTRAL.into(),
            enabled: true,
            symmetric: true,
            customer_managed: true,
        },
        policy: admin.to_string(),
    };
    let arn = locked.info.arn.clone();
    aws.world().keys.insert(arn.clone(), locked);
    let cfg = config(2, &arn);
    let puts = aws.calls("PutKeyPolicy");
    let (p, r) = run(&aws, &cfg, dir.path()).await;
    assert_eq!(
        aws.calls("PutKeyPolicy"),
        puts,
        "nothing written to a key it could lock"
    );
    assert!(matches!(&p.key, Some(KeyPlan::Blocked { reason, .. }) if reason.contains("lock")));
    assert!(
        p.accounts
            .iter()
            .all(|a| matches!(&a.status, AccountPlanStatus::KeyDenies { .. }))
    );
    assert_eq!(r.exit_code(), 1);
    assert_eq!(aws.world().keys[&arn].policy, admin.to_string());
}

/// A missing access log bucket and a bucket encrypted with another key are said, and nothing is switched.
#[tokio::test(start_paused = true)]
async fn settings_trailhub_cannot_make_are_said_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().buckets.remove("sec-access-logs");
    aws.world().buckets.insert("sec-log".into(), None);
    let other = BucketEncryption::Kms {
        key: Some("arn:aws:kms:ap-northeast-2:111111111111:key/other".into()),
        bucket_key: true,
    };
    aws.world()
        .encryption
        .insert("sec-log".into(), other.clone());
    let (p, r) = run(&aws, &config(1, "create"), dir.path()).await;
    let notes: Vec<&str> = p
        .settings
        .notes
        .iter()
        .map(|n| n.message.as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("another KMS key")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("does not exist")),
        "{notes:?}"
    );
    assert!(p.bucket_blocked());
    // the access log bucket exists but its policy does not let the S3 logging service write
    aws.world().buckets.insert("sec-access-logs".into(), None);
    let (p2, _) = run(&aws, &config(1, "create"), dir.path()).await;
    let refused = p2
        .settings
        .notes
        .iter()
        .find(|n| n.setting == "access-logging")
        .unwrap();
    assert!(refused.blocking);
    assert!(
        refused
            .message
            .contains("does not let logging.s3.amazonaws.com write"),
        "{}",
        refused.message
    );
    assert_eq!(aws.world().encryption["sec-log"], other);
    assert!(!aws.world().logging.contains_key("sec-log"));
    // the trails still take the key; retention is still made
    assert!(r.accounts.iter().all(|a| !a.result.is_bad()), "{r:#?}");
    assert!(
        aws.world().lifecycle["sec-log"]
            .iter()
            .any(|r| r.id == "trailhub-retention")
    );
}

async fn audit(aws: &FakeAws, cfg: &Config) -> crate::audit::AuditReport {
    let opts = crate::audit::AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(86_400 * 365 * 100),
        progress: Default::default(),
    };
    crate::audit::audit(aws, cfg, &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap()
}

fn codes(r: &crate::audit::AuditReport, id: &str) -> Vec<&'static str> {
    let a = r.accounts.iter().find(|a| a.id == id).unwrap();
    a.problems.iter().map(|p| p.code.as_str()).collect()
}

/// The audit finds each kind of drift, read-only: a trail off the key, a key policy that no longer lets
/// CloudTrail encrypt, the retention rule and the access logging gone; and a member's own key without
/// `kms_key`.
#[tokio::test(start_paused = true)]
async fn the_audit_finds_each_drift_of_the_key_and_the_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config(2, "create");
    run(&aws, &cfg, dir.path()).await;
    let clean = audit(&aws, &cfg).await;
    for a in &clean.accounts {
        let kms: Vec<_> = codes(&clean, &a.id)
            .into_iter()
            .filter(|c| c.contains("kms"))
            .collect();
        assert!(kms.is_empty(), "{} {kms:?}", a.id);
    }
    assert!(
        clean.bucket_problems.is_empty(),
        "{:?}",
        clean.bucket_problems
    );

    {
        let mut w = aws.world();
        w.trails.get_mut("200000000000").unwrap()[0].0.kms_key_id = None;
        w.lifecycle
            .get_mut("sec-log")
            .unwrap()
            .retain(|r| r.id != "trailhub-retention");
        w.logging.remove("sec-log");
        let arn = w.aliases["alias/trailhub-cloudtrail"].clone();
        let deny = json!({"Sid": "NoMore", "Effect": "Deny",
            "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:*", "Resource": "*"});
        let k = w.keys.get_mut(&arn).unwrap();
        let mut p: Value = serde_json::from_str(&k.policy).unwrap();
        p["Statement"].as_array_mut().unwrap().push(deny);
        k.policy = p.to_string();
    }
    let writes = |aws: &FakeAws| {
        [
            "PutKeyPolicy",
            "UpdateTrail",
            "PutBucketLifecycleConfiguration",
            "PutBucketLogging",
        ]
        .map(|op| aws.calls(op))
    };
    let before = writes(&aws);
    let r = audit(&aws, &cfg).await;
    assert_eq!(writes(&aws), before, "the audit writes nothing");
    assert!(codes(&r, "200000000000").contains(&"no-kms"));
    assert!(codes(&r, "200000000001").contains(&"kms-denied"));
    let bucket: Vec<_> = r.bucket_problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(bucket, ["bucket-no-access-logging", "bucket-no-retention"]);
    assert_eq!(r.exit_code(), 1);

    // without kms_key: a trail with a key of its own account is a warning
    let plain = Config::parse(
        Path::new("t.toml"),
        "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\ntrail_name = \"{name}-CT\"\n[[account]]\nid = \"200000000000\"\nname = \"M0\"\n",
    )
    .unwrap();
    aws.world().trails.get_mut("200000000000").unwrap()[0]
        .0
        .kms_key_id = Some(
        "arn:aws:kms:ap-northeast-2:200000000000:key/00000000-0000-4000-8000-000000000001".into(),
    );
    let (_, p, _) = crate::fixtures::observe_and_plan(&aws, &plain, 2, &Interrupt::default())
        .await
        .unwrap();
    let m0 = p
        .accounts
        .iter()
        .find(|a| a.id.as_str() == "200000000000")
        .unwrap();
    assert_eq!(
        m0.foreign_kms_key.as_ref().map(|(_, o)| o.as_str()),
        Some("200000000000")
    );
    let r = audit(&aws, &plain).await;
    let a = r.accounts.iter().find(|a| a.id == "200000000000").unwrap();
    let p = a
        .problems
        .iter()
        .find(|p| p.code.as_str() == "foreign-kms-key")
        .unwrap();
    assert_eq!(p.severity, crate::audit::Severity::Warning);
    assert!(p.message.contains("account 200000000000"), "{}", p.message);
}

/// Another writer adds a Deny of CloudTrail to the key policy between the plan and the apply: the merge
/// keeps it, and each trail is proved again against the policy in force, so none is pointed at a key
/// CloudTrail may not use.
#[tokio::test(start_paused = true)]
async fn a_deny_written_after_the_plan_blocks_the_trails_at_apply() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let root = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}]});
    let key = aws.create_key(&root.to_string(), "team key").await.unwrap();
    let cfg = config(2, &key.arn);
    let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
    let (scope, p, obs) = crate::fixtures::observe_and_plan(&aws, &cfg, 4, &opts.interrupt)
        .await
        .unwrap();
    let mut denied = root.clone();
    denied["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Sid": "NoCloudTrail", "Effect": "Deny",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}));
    aws.put_key_policy(&key.arn, &denied.to_string())
        .await
        .unwrap();
    let r = apply(&aws, &cfg, &scope, &p, obs, &opts).await.unwrap();
    assert_eq!(r.exit_code(), 1);
    for a in &r.accounts {
        assert!(
            matches!(&a.result, PartStatus::Failed { failure, .. } if failure.code() == "KmsKeyDenies" && failure.message().contains("NoCloudTrail")),
            "{a:?}"
        );
    }
    assert_eq!(aws.calls("CreateTrail"), 0);
    let now = aws.key_policy(&key.arn).await.unwrap();
    assert!(
        now.contains("NoCloudTrail"),
        "the other writer's statement is kept"
    );
}

/// `--prune` (issue 13, part 2): an account taken out of accounts.toml keeps its entries without it (the
/// audit's stale-policy-entry); with it, plan shows each with `-`, apply removes them from the bucket policy
/// and the key policy (backed up first), the others' statements stay, and a second run changes nothing.
#[tokio::test(start_paused = true)]
async fn prune_removes_the_entries_of_accounts_no_longer_in_scope() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let team = json!({"Sid": "TeamReads", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:role/siem"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::sec-log/AWSLogs/200000000002/*"});
    aws.world().buckets.insert(
        "sec-log".into(),
        Some(json!({"Version": "2012-10-17", "Statement": [team.clone()]}).to_string()),
    );
    run(&aws, &config(3, "create"), dir.path()).await;
    let gone = "200000000002";
    let fewer = config(2, "create");
    let (p, _) = run(&aws, &fewer, dir.path()).await;
    assert!(p.policy.pruned.is_empty());
    let kept = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(
        kept.contains("trail/M2-CT"),
        "without --prune the entries are kept"
    );

    let opts = ApplyOptions::new(dir.path().to_owned(), 4, Interrupt::default());
    let (scope, p, obs) = crate::commands::observe_and_plan(
        &aws,
        &fewer,
        &crate::plan::prune::Prune::from_flag(true),
        4,
        &opts.interrupt,
        &crate::progress::Silent,
    )
    .await
    .unwrap();
    assert!(p.policy.changed);
    assert!(
        p.policy.pruned.iter().all(|e| e.contains(gone)),
        "{:?}",
        p.policy.pruned
    );
    assert_eq!(p.policy.pruned.len(), 2, "{:?}", p.policy.pruned);
    let Some(KeyPlan::Use { policy: key, .. }) = &p.key else {
        panic!("{:?}", p.key)
    };
    assert_eq!(
        key.pruned,
        [format!(
            "arn:aws:cloudtrail:ap-northeast-2:{gone}:trail/M2-CT"
        )]
    );
    let r = apply(&aws, &fewer, &scope, &p, obs, &opts).await.unwrap();
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    assert!(r.policy.backup.is_some() && r.key.as_ref().unwrap().backup.is_some());
    let bucket: Value =
        serde_json::from_str(aws.world().buckets["sec-log"].as_deref().unwrap()).unwrap();
    let stmts = bucket["Statement"].as_array().unwrap();
    assert!(
        stmts.contains(&team),
        "the team's statement naming that account is not trailhub's: kept"
    );
    let ours: Vec<&Value> = stmts.iter().filter(|s| s != &&team).collect();
    assert!(
        !serde_json::to_string(&ours).unwrap().contains(gone),
        "{ours:?}"
    );
    let arn = aws.world().aliases["alias/trailhub-cloudtrail"].clone();
    assert!(!aws.world().keys[&arn].policy.contains(gone));
    let (again, _) = run(&aws, &fewer, dir.path()).await;
    assert!(!again.has_changes(), "{again:#?}");
}

/// Issue 20, point 6 (KMS-9): the key policy of an older trailhub has no `TrailhubCloudTrailDecrypt`. With the
/// bucket's S3 Bucket Key on, CloudTrail then refuses UpdateTrail with the key
/// (`InsufficientEncryptionPolicyException`, in the fake as on AWS); the next run adds the statement, the
/// trails take the key again, and a run after it changes nothing.
#[tokio::test(start_paused = true)]
async fn an_older_key_policy_without_cloudtrails_decrypt_is_upgraded() {
    use crate::aws::{Central, Member};
    use crate::plan::key_policy::CLOUDTRAIL_DECRYPT;
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config(2, "create");
    let (p, r) = run(&aws, &cfg, dir.path()).await;
    assert_eq!(r.exit_code(), 0, "{r:#?}");
    let key = r.key.clone().unwrap().arn;
    let with_decrypt = aws.world().keys[&key].policy.clone();
    let mut older: Value = serde_json::from_str(&with_decrypt).unwrap();
    older["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != CLOUDTRAIL_DECRYPT);
    aws.world().keys.get_mut(&key).unwrap().policy = older.to_string();

    // the fake answers as CloudTrail does: the bucket has a Bucket Key, the policy no Decrypt
    let target = &cfg.static_targets()[1];
    let planned = p.accounts.iter().find(|a| a.id == target.id).unwrap();
    let member = aws.member(target).await.unwrap();
    let e = member.update_trail(&planned.trail).await.unwrap_err();
    assert_eq!(e.code, "InsufficientEncryptionPolicyException", "{e}");
    // without the Bucket Key the same policy is enough
    aws.world()
        .encryption
        .insert("sec-log".into(), BucketEncryption::S3);
    member.update_trail(&planned.trail).await.unwrap();
    aws.world().encryption.insert(
        "sec-log".into(),
        BucketEncryption::Kms {
            key: Some(key.clone()),
            bucket_key: true,
        },
    );

    let (p2, r2) = run(&aws, &cfg, dir.path()).await;
    assert!(
        matches!(&p2.key, Some(KeyPlan::Use { policy, .. }) if policy.changed),
        "{:?}",
        p2.key
    );
    assert_eq!(r2.exit_code(), 0, "{r2:#?}");
    let now: Value = serde_json::from_str(&aws.world().keys[&key].policy).unwrap();
    assert!(
        now["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Sid"] == CLOUDTRAIL_DECRYPT),
        "{now}"
    );
    member.update_trail(&planned.trail).await.unwrap();
    let (p3, _) = run(&aws, &cfg, dir.path()).await;
    assert!(!p3.has_changes(), "{p3:#?}");
}
