//! Issue 21, point 4: the bucket denies requests made without TLS (Security Hub S3.5, docs/aws-rules.md
//! S3-14). `apply` writes `TrailhubDenyInsecureTransport` into the bucket policy, over the fake and over
//! moto; a second apply changes nothing; a policy of an older trailhub (without it) gains it on the next
//! apply; and the audit reports a bucket without it (`bucket-allows-http`), and with Block Public Access or
//! versioning off.

use std::time::Duration;

use serde_json::{Value, json};
use trailhub::cli::{ApplyArgs, AuditArgs, Command};
use trailhub::fake::FakeAws;

use crate::support::trailhub::{BUCKET, MEMBERS, World, static_config};

const TLS_SID: &str = "TrailhubDenyInsecureTransport";

/// The statements of `policy` with trailhub's TLS Sid.
fn tls_statements(policy: &Value) -> Vec<Value> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Sid"] == TLS_SID)
        .cloned()
        .collect()
}

fn expected(bucket: &str) -> Value {
    json!({"Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

/// The policy without trailhub's TLS Deny: what an older trailhub wrote.
fn without_tls(policy: &Value) -> Value {
    let mut older = policy.clone();
    older["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != TLS_SID);
    older
}

mod fake {
    use super::*;
    use crate::support::in_process::CENTRAL_AND_DEV as CONFIG;

    fn policy(aws: &FakeAws) -> Value {
        serde_json::from_str(aws.world().buckets["sec-log"].as_deref().unwrap()).unwrap()
    }

    async fn apply(aws: &FakeAws, dir: &std::path::Path) {
        let apply = Command::Apply(ApplyArgs {
            prune: false,
            yes: true,
            backup_dir: dir.to_owned(),
            ..Default::default()
        });
        let (code, shown) = crate::support::in_process::trailhub(aws, CONFIG, &apply).await;
        assert_eq!(code, 0, "{shown}");
    }

    async fn bucket_codes(aws: &FakeAws) -> Vec<String> {
        let audit = Command::Audit(AuditArgs {
            max_age: Duration::from_secs(86_400),
            output: None,
            ..Default::default()
        });
        let (_, shown) = crate::support::in_process::trailhub(aws, CONFIG, &audit).await;
        shown
            .lines()
            // `[GAP] bucket CODE: ...` or `[warning] bucket CODE: ...`
            .filter_map(|l| l.split_once("] bucket ").map(|(_, rest)| rest))
            .filter_map(|l| l.split(':').next())
            .map(str::to_owned)
            .collect()
    }

    #[tokio::test]
    async fn apply_writes_the_tls_deny_once_and_an_older_policy_gains_it() {
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let dir = tempfile::tempdir().unwrap();
        apply(&aws, dir.path()).await;
        let wrote = policy(&aws);
        assert_eq!(tls_statements(&wrote), [expected("sec-log")]);
        assert!(
            !bucket_codes(&aws)
                .await
                .contains(&"bucket-allows-http".to_owned())
        );

        let puts = aws.calls("PutBucketPolicy");
        apply(&aws, dir.path()).await;
        assert_eq!(
            aws.calls("PutBucketPolicy"),
            puts,
            "a second apply writes nothing"
        );

        // an older trailhub's policy: the audit says so, and the next apply adds the Deny, and only it
        aws.world()
            .buckets
            .insert("sec-log".into(), Some(without_tls(&wrote).to_string()));
        let codes = bucket_codes(&aws).await;
        assert!(
            codes.contains(&"bucket-allows-http".to_owned()),
            "{codes:?}"
        );
        apply(&aws, dir.path()).await;
        assert_eq!(policy(&aws), wrote);
        assert_eq!(aws.calls("PutBucketPolicy"), puts + 1);
    }

    /// Another team's equivalent Deny counts: trailhub adds no second one, and the audit is content.
    #[tokio::test]
    async fn a_teams_tls_deny_is_kept_and_not_doubled() {
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::ZERO);
        let team = json!({"Sid": "AllowSSLRequestsOnly", "Action": "s3:*", "Effect": "Deny",
            "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Principal": "*"});
        let live = json!({"Version": "2012-10-17", "Statement": [team]});
        aws.world()
            .buckets
            .insert("sec-log".into(), Some(live.to_string()));
        let dir = tempfile::tempdir().unwrap();
        apply(&aws, dir.path()).await;
        let wrote = policy(&aws);
        assert!(tls_statements(&wrote).is_empty(), "{wrote}");
        assert_eq!(wrote["Statement"][0], team);
        assert!(
            !bucket_codes(&aws)
                .await
                .contains(&"bucket-allows-http".to_owned())
        );
    }
}

mod moto {
    use super::*;

    fn bucket_codes(w: &World) -> Vec<String> {
        let out = w.trailhub(&["audit", "--format", "json"]);
        let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
        v["bucket_problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn apply_over_moto_writes_the_tls_deny_and_a_second_apply_is_a_no_op() {
        let w = World::start();
        w.write_config(&static_config(&MEMBERS[..1]));
        let out = w.apply();
        assert_eq!(out.code, 0, "{out}");
        let wrote = w.policy();
        assert_eq!(tls_statements(&wrote), [expected(BUCKET)]);
        // moto's versioning answer may be unreadable: unknown is not reported as off
        let codes = bucket_codes(&w);
        assert!(codes.is_empty(), "{codes:?}");

        let again = w.apply();
        assert_eq!(again.code, 0, "{again}");
        assert!(again.stdout.starts_with("nothing to do"), "{again}");
        assert_eq!(w.policy(), wrote);

        // an older trailhub's policy: reported, then gained on the next apply
        w.put_policy(BUCKET, &without_tls(&wrote).to_string());
        assert_eq!(bucket_codes(&w), ["bucket-allows-http"]);
        let upgrade = w.apply();
        assert_eq!(upgrade.code, 0, "{upgrade}");
        assert_eq!(w.policy(), wrote);
        assert!(w.apply().stdout.starts_with("nothing to do"));
    }
}
