//! The audit's judgement of the bucket's own guards (pure): a bucket policy with no statement that denies
//! requests without TLS (`bucket-allows-http`, Security Hub S3.5), Block Public Access off
//! (`bucket-public-access-open`, S3.1/S3.8) and versioning off (`bucket-versioning-off`, S3.14). A guard
//! whose answer could not be read is not reported: unknown is not off.

use super::judge::Judge;
use super::report::{Code, Problem};
use crate::aws::Guard;
use crate::plan::layout::bucket_arn;
use crate::plan::policy::denies_insecure_transport;

/// The bucket's guard problems: the policy as the judge read it, and each guard's state as read (None:
/// unreadable).
pub(super) fn guard_problems(j: &Judge, guards: &[(Guard, Option<bool>)]) -> Vec<Problem> {
    let c = &j.cfg.central;
    let arn = bucket_arn(c.region.partition(), c.bucket.as_str());
    let mut out = Vec::new();
    if !denies_insecure_transport(j.policy, &arn) {
        out.push(Problem::gap(
            Code::BucketAllowsHttp,
            format!(
                "bucket {}: no statement of its policy denies requests without TLS (aws:SecureTransport false) (runbooks/kms.md#bucket-allows-http)",
                c.bucket
            ),
        ));
    }
    for (guard, on) in guards {
        let code = match guard {
            Guard::BlockPublicAccess => Code::BucketPublicAccessOpen,
            Guard::Versioning => Code::BucketVersioningOff,
            Guard::DefaultEncryption => continue,
        };
        if *on == Some(false) {
            out.push(Problem::gap(
                code,
                format!(
                    "bucket {}: {} is off (runbooks/kms.md#{})",
                    c.bucket,
                    guard.name(),
                    code.as_str()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::audit::fixtures::{cfg, judge, policy};
    use crate::plan::policy::TLS_SID;

    const ALL_ON: [(Guard, Option<bool>); 3] = [
        (Guard::BlockPublicAccess, Some(true)),
        (Guard::Versioning, Some(true)),
        (Guard::DefaultEncryption, Some(true)),
    ];

    fn codes(policy: &Value, guards: &[(Guard, Option<bool>)]) -> Vec<&'static str> {
        let cfg = cfg();
        guard_problems(&judge(&cfg, policy), guards)
            .iter()
            .map(|p| p.code.as_str())
            .collect()
    }

    fn with_tls(mut p: Value, deny: Value) -> Value {
        p["Statement"].as_array_mut().unwrap().push(deny);
        p
    }

    #[test]
    fn a_policy_without_a_tls_deny_is_a_gap() {
        let p = policy(&[]);
        assert_eq!(codes(&p, &ALL_ON), ["bucket-allows-http"]);
        assert_eq!(codes(&Value::Null, &ALL_ON), ["bucket-allows-http"]);
        let cfg = cfg();
        let problems = guard_problems(&judge(&cfg, &p), &ALL_ON);
        assert!(
            problems[0]
                .message
                .contains("runbooks/kms.md#bucket-allows-http"),
            "{problems:?}"
        );
    }

    /// trailhub's own Deny, or another writer's of the same shape, is enough; a narrower one is not.
    #[test]
    fn a_tls_deny_of_any_writer_is_enough() {
        let ours = crate::plan::policy::tls::deny_insecure_transport("arn:aws:s3:::sec-log");
        assert_eq!(ours["Sid"], TLS_SID);
        assert!(codes(&with_tls(policy(&[]), ours), &ALL_ON).is_empty());
        let theirs = json!({"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}});
        assert!(codes(&with_tls(policy(&[]), theirs.clone()), &ALL_ON).is_empty());
        let mut objects_only = theirs;
        objects_only["Resource"] = json!("arn:aws:s3:::sec-log/*");
        assert_eq!(
            codes(&with_tls(policy(&[]), objects_only), &ALL_ON),
            ["bucket-allows-http"]
        );
    }

    /// Block Public Access or versioning off is a gap; an answer that could not be read is not reported
    /// (unknown is not off); default encryption is not judged here.
    #[test]
    fn guards_off_are_gaps_and_unknown_is_not() {
        let deny = crate::plan::policy::tls::deny_insecure_transport("arn:aws:s3:::sec-log");
        let p = with_tls(policy(&[]), deny);
        let off = [
            (Guard::BlockPublicAccess, Some(false)),
            (Guard::Versioning, Some(false)),
            (Guard::DefaultEncryption, Some(false)),
        ];
        assert_eq!(
            codes(&p, &off),
            ["bucket-public-access-open", "bucket-versioning-off"]
        );
        let unknown = [
            (Guard::BlockPublicAccess, None),
            (Guard::Versioning, None),
            (Guard::DefaultEncryption, None),
        ];
        assert!(codes(&p, &unknown).is_empty());
        let cfg = cfg();
        let problems = guard_problems(&judge(&cfg, &p), &off);
        assert_eq!(
            problems[1].message,
            "bucket sec-log: versioning is off (runbooks/kms.md#bucket-versioning-off)"
        );
    }
}
