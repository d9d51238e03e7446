//! The central bucket's default encryption with the key, its retention rules and its access logging, in the
//! plan (pure): what is seen against what `[central]` asks, as changes, and as notes where trailhub leaves a
//! setting alone (S3-7, S3-8, S3-9; the retention rules themselves are `retention`'s).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::document::{statements, strings};
use super::evaluate::{Decision, Request, evaluate};
use super::key_policy::OURS;
use super::retention;
use crate::config::Config;
use crate::world::{AccessLogging, BucketEncryption, LifecycleRule, RetentionRule};

/// The service that writes server access logs.
pub const LOGGING_SERVICE: &str = "logging.s3.amazonaws.com";

/// What was read of the bucket's settings (each None: not configured, or not read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettingsState {
    pub encryption: Option<BucketEncryption>,
    pub lifecycle: Option<Vec<LifecycleRule>>,
    pub logging: Option<Option<AccessLogging>>,
    /// The access log bucket: whether it exists, and its policy.
    pub log_target: Option<LogTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogTarget {
    pub exists: bool,
    pub policy: Option<String>,
    /// The access log bucket's Region (HeadBucket), when it exists.
    pub region: Option<String>,
    /// The central bucket's Region: where it is, or where this run will make it; None when unknown.
    pub bucket_region: Option<String>,
}

/// One setting to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "setting", rename_all = "kebab-case")]
pub enum BucketChange {
    /// PutBucketEncryption: SSE-KMS with the key and the S3 Bucket Key; made after the trails, and only when
    /// every trail in scope took the key.
    Encryption { now: String, key: String },
    /// PutBucketLifecycleConfiguration with trailhub's two rules, every other rule and the configuration's
    /// `TransitionDefaultMinimumObjectSize` kept as they are (S3-11).
    Retention { now: String, rule: RetentionRule },
    /// PutBucketLogging.
    AccessLogging { now: String, to: AccessLogging },
}

impl BucketChange {
    pub fn describe(&self) -> String {
        match self {
            BucketChange::Encryption { now, key } => {
                format!("default encryption: {now} -> SSE-KMS with {key}, S3 Bucket Key on")
            }
            BucketChange::Retention { now, rule } => format!(
                "retention: {now} -> objects under {} expire after {} days, their noncurrent copies {} day{} later, then the delete markers (rules {} and {})",
                rule.prefix,
                rule.days,
                rule.noncurrent_days,
                if rule.noncurrent_days == 1 { "" } else { "s" },
                rule.id,
                rule.markers_id
            ),
            BucketChange::AccessLogging { now, to } => format!(
                "access logging: {now} -> s3://{}/{}",
                to.target_bucket, to.target_prefix
            ),
        }
    }
}

/// A setting trailhub leaves alone, and why. `blocking`: what was asked cannot be done (exit 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketNote {
    pub setting: &'static str,
    pub message: String,
    pub blocking: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SettingsPlan {
    pub changes: Vec<BucketChange>,
    pub notes: Vec<BucketNote>,
}

impl SettingsPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.notes.is_empty()
    }

    pub fn is_blocked(&self) -> bool {
        self.notes.iter().any(|n| n.blocking)
    }
}

/// The bucket's key: its ARN and every name a configuration may carry for it.
pub struct BucketKey<'a> {
    pub arn: &'a str,
    pub names: &'a [String],
}

/// Plans the settings. `key`: the key, when `kms_key` is set and the key can be used; `uncovered`: the trails
/// in scope that deliver to the bucket and will not use the key (trails trailhub does not manage).
pub fn settings_plan(
    cfg: &Config,
    s: &SettingsState,
    key: Option<BucketKey>,
    uncovered: &[String],
    bucket_policy: &Value,
) -> SettingsPlan {
    let mut p = SettingsPlan::default();
    if let Some(k) = key {
        encryption(&mut p, s.encryption.as_ref(), &k, uncovered, bucket_policy);
    }
    if let Some(days) = cfg.central.retention_days {
        retention(&mut p, cfg, s.lifecycle.as_deref(), days);
    }
    if let Some(target) = &cfg.central.access_log_bucket {
        let want = AccessLogging {
            target_bucket: target.to_string(),
            target_prefix: format!("{}/", cfg.central.bucket),
        };
        logging(&mut p, cfg, s, want);
    }
    p
}

fn encryption(
    p: &mut SettingsPlan,
    have: Option<&BucketEncryption>,
    k: &BucketKey,
    uncovered: &[String],
    bucket_policy: &Value,
) {
    let note = |message: String| BucketNote {
        setting: "encryption",
        message,
        blocking: false,
    };
    let now = match have {
        None => {
            p.notes.push(note(
                "default encryption could not be read: left as it is".into(),
            ));
            return;
        }
        Some(BucketEncryption::Kms {
            key: Some(key),
            bucket_key,
        }) if k.names.contains(key) => {
            if !bucket_key {
                p.changes.push(BucketChange::Encryption {
                    now: "SSE-KMS with the key, S3 Bucket Key off".into(),
                    key: k.arn.to_owned(),
                });
            }
            return;
        }
        Some(BucketEncryption::Kms { key, .. }) => {
            let key = key.as_deref().unwrap_or("the AWS managed key aws/s3");
            p.notes.push(note(format!(
                "the bucket encrypts with another KMS key ({key}): left as it is, never switched by trailhub (runbooks/kms.md#bucket-with-another-kms-key)"
            )));
            return;
        }
        Some(BucketEncryption::S3) => "SSE-S3",
        Some(BucketEncryption::None) => "none",
    };
    let writers = other_writers(bucket_policy);
    if !uncovered.is_empty() || !writers.is_empty() {
        let who: Vec<String> = uncovered
            .iter()
            .map(|t| format!("trail {t}"))
            .chain(
                writers
                    .iter()
                    .map(|w| format!("bucket policy statement {w}")),
            )
            .collect();
        p.notes.push(note(format!(
            "default encryption left {now}: others write to the bucket without the key ({}), and with SSE-KMS by default each would need the key (runbooks/kms.md#default-encryption-left-as-it-is)",
            who.join(", ")
        )));
        return;
    }
    p.changes.push(BucketChange::Encryption {
        now: now.to_owned(),
        key: k.arn.to_owned(),
    });
}

/// The statements of the bucket policy trailhub did not write that let some other writer put objects: a
/// service other than CloudTrail and delivery.logs, or any AWS principal (the Sids, or positions).
fn other_writers(policy: &Value) -> Vec<String> {
    statements(policy)
        .into_iter()
        .enumerate()
        .filter(|(_, s)| {
            let sid = s.get("Sid").and_then(Value::as_str).unwrap_or_default();
            let writes = strings(s.get("Action"))
                .iter()
                .any(|a| matches!(a.as_str(), "*" | "s3:*" | "s3:Put*" | "s3:PutObject"));
            let principal = s.get("Principal");
            let services = strings(principal.and_then(|p| p.get("Service")));
            let other_service = services
                .iter()
                .any(|x| x != super::policy::CLOUDTRAIL && x != super::policy::LOG_DELIVERY);
            let any_aws = principal.is_some_and(|p| p.is_string() || p.get("AWS").is_some());
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && !sid.starts_with("Trailhub")
                && !OURS.contains(&sid)
                && writes
                && (other_service || any_aws)
        })
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned)
        })
        .collect()
}

fn retention(p: &mut SettingsPlan, cfg: &Config, rules: Option<&[LifecycleRule]>, days: u32) {
    let Some(rules) = rules else {
        p.notes.push(BucketNote {
            setting: "retention",
            message: "the lifecycle configuration could not be read: left as it is".into(),
            blocking: true,
        });
        return;
    };
    let rule = retention::desired(cfg, days);
    if retention::in_force(rules, &rule) {
        return;
    }
    let now = retention::describe_now(rules, &rule);
    p.changes.push(BucketChange::Retention { now, rule });
}

fn logging(p: &mut SettingsPlan, cfg: &Config, s: &SettingsState, want: AccessLogging) {
    let blocked = |message: String| BucketNote {
        setting: "access-logging",
        message,
        blocking: true,
    };
    let now = match &s.logging {
        None => {
            p.notes
                .push(blocked("access logging could not be read".into()));
            return;
        }
        Some(Some(l)) if l.target_bucket == want.target_bucket => return,
        Some(Some(l)) => format!("s3://{}/{}", l.target_bucket, l.target_prefix),
        Some(None) => "off".to_owned(),
    };
    let target = s.log_target.clone().unwrap_or_default();
    if !target.exists {
        p.notes.push(blocked(format!(
            "the access log bucket {} does not exist (or is not the central account's): create it in the bucket's region first (runbooks/kms.md#access-log-bucket-not-usable)",
            want.target_bucket
        )));
        return;
    }
    // S3-9, S3-10: S3 refuses a target in another Region (CrossLocationLoggingProhibited)
    if let (Some(there), Some(here)) = (&target.region, &target.bucket_region)
        && there != here
    {
        p.notes.push(blocked(format!(
            "the access log bucket {} is in {there}, but the bucket is in {here}: S3 delivers access logs only to a bucket in the same region; name a bucket in {here} (runbooks/kms.md#access-log-bucket-in-another-region)",
            want.target_bucket
        )));
        return;
    }
    let policy = target
        .policy
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    if let Some(why) = logging_denial(cfg, &policy, &want) {
        p.notes.push(blocked(why));
        return;
    }
    p.changes
        .push(BucketChange::AccessLogging { now, to: want });
}

/// Whether the access log bucket's policy lets the S3 logging service write the central bucket's access
/// logs (S3-9); None when it does.
pub fn logging_denial(cfg: &Config, policy: &Value, want: &AccessLogging) -> Option<String> {
    let p = cfg.central.region.partition();
    let req = Request {
        principal_service: LOGGING_SERVICE.to_owned(),
        action: "s3:PutObject".to_owned(),
        resource: format!(
            "arn:{p}:s3:::{}/{}2026-01-01-00-00-00-0123456789ABCDEF",
            want.target_bucket, want.target_prefix
        ),
        context: BTreeMap::from([
            (
                "aws:SourceArn".to_owned(),
                format!("arn:{p}:s3:::{}", cfg.central.bucket),
            ),
            (
                "aws:SourceAccount".to_owned(),
                cfg.central.account_id.to_string(),
            ),
        ]),
    };
    match evaluate(policy, &req) {
        Decision::Allow { .. } => None,
        d => Some(format!(
            "the policy of the access log bucket {} does not let {LOGGING_SERVICE} write s3://{}/{}* for this bucket ({}): add the statement in runbooks/kms.md#access-log-bucket-not-usable",
            want.target_bucket,
            want.target_bucket,
            want.target_prefix,
            match d {
                Decision::ExplicitDeny { sid } => format!(
                    "denied by statement {}",
                    sid.as_deref().unwrap_or("(no Sid)")
                ),
                _ => "no statement allows s3:PutObject".to_owned(),
            }
        )),
    }
}
