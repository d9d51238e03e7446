//! The audit's judgement of encryption, retention and access logging (pure): whether each trail encrypts
//! with the configured key and the key policy lets CloudTrail do so (`no-kms`, `kms-denied`), a trail that
//! encrypts with a key of another account (`foreign-kms-key`, without `kms_key`), and the bucket's own
//! findings (`bucket-no-access-logging`, `bucket-no-retention`).

use serde_json::Value;

use super::judge::Judge;
use super::report::{Code, Problem};
use crate::aws::ObservedTrail;
use crate::model::{AccountId, TrailArn};
use crate::plan::bucket_settings::SettingsState;
use crate::plan::key_policy::cloudtrail_denial;
use crate::plan::kms::foreign_key_owner;
use crate::plan::membership::SourceOrg;
use crate::plan::rcp::key_denial;
use crate::plan::retention;

/// The configured key as read: its ARN, every name a trail may carry for it, its policy (Null when it
/// could not be read, or there is no such key).
#[derive(Debug, Clone)]
pub(super) struct KeyFacts {
    pub(super) arn: String,
    pub(super) names: Vec<String>,
    pub(super) policy: Value,
}

/// The key problems of one trail.
pub(super) fn trail_problems(j: &Judge, t: &ObservedTrail) -> Vec<Problem> {
    let have = t.kms_key_id.as_deref().filter(|k| !k.is_empty());
    let Some(key) = j.key else {
        return have
            .and_then(|k| foreign_key_owner(k, &j.cfg.central.account_id).map(|o| (k, o)))
            .map(|(k, owner)| {
                Problem::warning(
                    Code::ForeignKmsKey,
                    format!(
                        "trail {} encrypts with key {k} of account {owner}: that account can revoke it, and the security team could no longer read the logs (runbooks/kms.md#foreign-kms-key)",
                        t.name
                    ),
                )
            })
            .into_iter()
            .collect();
    };
    if !have.is_some_and(|h| key.names.iter().any(|n| n == h)) {
        return vec![Problem::gap(
            Code::NoKms,
            format!(
                "trail {} encrypts with {}, not the configured key {} (runbooks/kms.md#no-kms)",
                t.name,
                have.unwrap_or("no KMS key (SSE-S3)"),
                key.arn
            ),
        )];
    }
    let Some(arn) = TrailArn::parse(&t.arn) else {
        return vec![];
    };
    // the trail's account's own organization (aws:SourceOrgID), as the plan proves the key
    let source = match arn.account.parse::<AccountId>() {
        Ok(account) => j.orgs.source(&account),
        Err(_) => SourceOrg::default(),
    };
    // with `kms_key` trailhub turns the bucket's S3 Bucket Key on, which needs CloudTrail's Decrypt (KMS-9)
    cloudtrail_denial(&key.policy, &key.arn, &arn, source.id.as_deref(), true)
        .or_else(|| key_denial(&j.orgs.facts.rcps, &key.arn, &arn, &source))
        .map(|why| {
            Problem::gap(
                Code::KmsDenied,
                format!("{why} (runbooks/kms.md#kms-denied)"),
            )
        })
        .into_iter()
        .collect()
}

/// The bucket's findings, where `[central]` asks for retention and access logging.
pub(super) fn bucket_problems(j: &Judge, s: &SettingsState) -> Vec<Problem> {
    let c = &j.cfg.central;
    let mut out = Vec::new();
    if let (Some(target), Some(logging)) = (&c.access_log_bucket, &s.logging) {
        let problem = match logging {
            None => Some("server access logging is off".to_owned()),
            Some(l) if l.target_bucket != target.as_str() => Some(format!(
                "server access logs go to {}, not to {target}",
                l.target_bucket
            )),
            Some(_) => None,
        };
        out.extend(problem.map(|p| {
            Problem::gap(
                Code::BucketNoAccessLogging,
                format!(
                    "bucket {}: {p} (runbooks/kms.md#bucket-no-access-logging)",
                    c.bucket
                ),
            )
        }));
    }
    if let (Some(days), Some(rules)) = (c.retention_days, &s.lifecycle) {
        let want = retention::desired(j.cfg, days);
        if !retention::in_force(rules, &want) {
            let now = match retention::describe_now(rules, &want) {
                n if n == "none" => format!("no rules {} and {}", want.id, want.markers_id),
                n => n,
            };
            out.push(Problem::gap(
                Code::BucketNoRetention,
                format!(
                    "bucket {}: log files under {} are not set to be gone {} days after delivery ({now}) (runbooks/kms.md#bucket-no-retention)",
                    c.bucket, want.prefix, want.gone_after_days
                ),
            ));
        }
    }
    out
}
