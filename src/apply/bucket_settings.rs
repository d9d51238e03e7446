//! The bucket's settings, made as planned after the trails (async, over the `aws` traits): retention and
//! access logging, and the switch of the default encryption to the key, which waits until every trail in
//! scope took the key (a trail writing without it would then need the key for each log file, S3-7).

use serde::Serialize;

use super::AccountOutcome;
use crate::aws::{AwsError, Central};
use crate::config::Config;
use crate::plan::Plan;
use crate::plan::bucket_settings::BucketChange;

/// One planned setting, as made (or not).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingOutcome {
    pub change: BucketChange,
    /// `default encryption: SSE-S3 -> ...`, in words.
    pub done: String,
    /// Why it was not made this run (the next run makes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The AWS error that refused it, with what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Makes each planned setting; the key's ARN is the one made this run, when it was.
pub(super) async fn apply_settings<C: Central>(
    central: &C,
    cfg: &Config,
    plan: &Plan,
    key_arn: Option<&str>,
    accounts: &[AccountOutcome],
) -> Vec<SettingOutcome> {
    let mut out = Vec::new();
    for change in &plan.settings.changes {
        let mut o = SettingOutcome {
            change: change.clone(),
            done: change.describe(),
            skipped: None,
            error: None,
        };
        let result = match change {
            BucketChange::Encryption { key, .. } => {
                let missing = accounts.iter().filter(|a| a.result.is_bad()).count();
                if cfg.members.only.is_some() {
                    // the accounts out of this run may still write without the key
                    o.skipped = Some(
                        "this run works on some accounts only (--account), so not every trail is known to be on the key: the bucket's default encryption stays as it is until a run over every account (runbooks/kms.md#default-encryption-left-as-it-is)".to_owned(),
                    );
                    Ok(())
                } else if missing > 0 {
                    o.skipped = Some(format!(
                        "{missing} accounts did not converge, so not every trail took the key: the bucket's default encryption stays as it is until they do (runbooks/kms.md#default-encryption-left-as-it-is)"
                    ));
                    Ok(())
                } else {
                    // the key made this run: its ARN, not the alias the plan named it by
                    let arn = key_arn.unwrap_or(key);
                    if let BucketChange::Encryption { now, .. } = change {
                        let made = BucketChange::Encryption {
                            now: now.clone(),
                            key: arn.to_owned(),
                        };
                        o.done = made.describe();
                        o.change = made;
                    }
                    central.put_bucket_kms(&cfg.central.bucket, arn).await
                }
            }
            BucketChange::Retention { rule, .. } => {
                central.put_retention_rule(&cfg.central.bucket, rule).await
            }
            BucketChange::AccessLogging { to, .. } => {
                central.put_bucket_logging(&cfg.central.bucket, to).await
            }
        };
        if let Err(e) = result {
            o.error = Some(describe(&e));
        }
        out.push(o);
    }
    out
}

fn describe(e: &AwsError) -> String {
    format!("{e}; {}", e.hint())
}
