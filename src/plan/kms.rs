//! `kms_key` in the plan (pure): the key to make or use, its merged policy, and for each trail the key it
//! is to take once the policy in force is proved to let CloudTrail encrypt for it (KMS-2, KMS-4).

use serde::Serialize;
use serde_json::Value;

use super::key_policy::{KeyInput, KeyMerged, cloudtrail_denial, merge_key_policy};
use crate::config::{Config, KEY_ALIAS, KmsKey};
use crate::model::{AccountId, TrailArn};
use crate::world::KeyInfo;

/// What was read of the configured key: None when the alias (or the key ARN given) names no key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyState {
    pub info: Option<KeyInfo>,
    /// Its key policy (None: not read, as for a key that is not the central account's).
    pub policy: Option<String>,
}

/// The key's part of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum KeyPlan {
    /// CreateKey born with `policy`, yearly rotation on, then CreateAlias.
    Create {
        alias: String,
        alias_arn: String,
        policy: KeyMerged,
    },
    /// The key exists; `policy.changed` says whether its policy is to be written.
    Use { key: KeyInfo, policy: KeyMerged },
    /// The key cannot be used or its policy not merged: nothing is written to it. `in_force` is its live
    /// policy when it was read (trails the live policy already allows still take the key).
    Blocked {
        key: String,
        reason: String,
        #[serde(skip)]
        in_force: Option<(String, Value)>,
    },
}

impl KeyPlan {
    /// The key's ARN to name in the trails (the alias ARN before the key exists) and the policy that will be
    /// in force when the trails are changed; None when no trail can take the key.
    pub fn proof(&self) -> Option<(&str, &Value)> {
        match self {
            KeyPlan::Create {
                alias_arn, policy, ..
            } => Some((alias_arn, &policy.policy)),
            KeyPlan::Use { key, policy } => Some((&key.arn, &policy.policy)),
            KeyPlan::Blocked { in_force, .. } => in_force.as_ref().map(|(a, p)| (a.as_str(), p)),
        }
    }

    pub fn has_changes(&self) -> bool {
        match self {
            KeyPlan::Create { .. } => true,
            KeyPlan::Use { policy, .. } => policy.changed,
            KeyPlan::Blocked { .. } => false,
        }
    }

    /// Why nothing can be written to the key, if so.
    pub fn blocked(&self) -> Option<&str> {
        match self {
            KeyPlan::Blocked { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// The names of the configured key a trail's `KmsKeyId` may carry and still be right: its ARN, its ID, the
/// configured ARN (an alias ARN, say) and the alias trailhub makes. CloudTrail reports the key's ARN; an
/// emulator may echo what it was given.
pub fn key_names(cfg: &Config, plan: &KeyPlan) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(k) = &cfg.central.kms_key {
        names.push(k.lookup().to_owned());
    }
    match plan {
        KeyPlan::Use { key, .. } => names.extend([key.arn.clone(), key.id.clone()]),
        KeyPlan::Create { alias_arn, .. } => names.push(alias_arn.clone()),
        KeyPlan::Blocked { .. } => {}
    }
    names.dedup();
    names
}

/// Plans the key for these trails and flow-log accounts; None without `kms_key`. `prune`: with `--prune` or
/// `offboard`, the accounts whose entries go.
pub fn key_plan(
    cfg: &Config,
    state: Option<&KeyState>,
    trails: &[(AccountId, TrailArn)],
    flow_log_accounts: &[AccountId],
    org_id: Option<&str>,
    prune: Option<super::prune::Gone<'_>>,
) -> Option<KeyPlan> {
    let configured = cfg.central.kms_key.as_ref()?;
    let input = KeyInput {
        partition: cfg.central.region.partition(),
        central: &cfg.central.account_id,
        bucket: &cfg.central.bucket,
        trails,
        flow_log_accounts,
        org_id,
        prune,
    };
    let blocked = |reason: String, in_force: Option<(String, Value)>| KeyPlan::Blocked {
        key: configured.lookup().to_owned(),
        reason,
        in_force,
    };
    let info = state.and_then(|s| s.info.as_ref());
    let Some(info) = info else {
        return Some(match configured {
            KmsKey::Create { alias_arn } => match merge_key_policy(None, &input) {
                Ok(policy) => KeyPlan::Create {
                    alias: KEY_ALIAS.to_owned(),
                    alias_arn: alias_arn.clone(),
                    policy,
                },
                Err(e) => blocked(e.to_string(), None),
            },
            KmsKey::Existing { arn, .. } => blocked(
                format!("the key {arn} does not exist (runbooks/kms.md#kms-key-not-usable)"),
                None,
            ),
        });
    };
    let live = state.and_then(|s| s.policy.as_deref());
    let in_force = live
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .map(|v| (info.arn.clone(), v));
    if let Some(why) = unusable(cfg, info) {
        // CloudTrail would refuse the key whatever its policy says: no trail is pointed at it
        return Some(blocked(why, None));
    }
    Some(match merge_key_policy(live, &input) {
        Ok(policy) => KeyPlan::Use {
            key: info.clone(),
            policy,
        },
        Err(e) => blocked(e.to_string(), in_force),
    })
}

/// Why CloudTrail cannot take this key, or trailhub may not change its policy (KMS-3).
fn unusable(cfg: &Config, k: &KeyInfo) -> Option<String> {
    let why = if k.account != cfg.central.account_id.as_str() {
        format!("belongs to account {}, not the central account", k.account)
    } else if !k.customer_managed {
        "is an AWS managed key, whose policy cannot be changed".to_owned()
    } else if !k.symmetric {
        "is not a symmetric encryption key, the only kind CloudTrail takes".to_owned()
    } else if !k.enabled {
        "is not enabled (disabled, or pending deletion)".to_owned()
    } else {
        return None;
    };
    Some(format!(
        "the key {} {why} (runbooks/kms.md#kms-key-not-usable)",
        k.arn
    ))
}

/// The key a trail is to take and whether the policy in force lets CloudTrail encrypt for it: Ok(None)
/// without `kms_key`, Ok(Some(arn)) when proved, Err(why) when not.
pub fn trail_key(
    plan: Option<&KeyPlan>,
    trail: &TrailArn,
    org_id: Option<&str>,
) -> Result<Option<String>, String> {
    let Some(plan) = plan else {
        return Ok(None);
    };
    let Some((arn, policy)) = plan.proof() else {
        return Err(plan
            .blocked()
            .unwrap_or("the key cannot be used")
            .to_owned());
    };
    // trailhub turns the bucket's S3 Bucket Key on with the key (bucket_settings): every later CreateTrail
    // and UpdateTrail meets it, so CloudTrail's kms:Decrypt is proved too (KMS-9)
    match cloudtrail_denial(policy, arn, trail, org_id, true) {
        None => Ok(Some(arn.to_owned())),
        Some(why) => Err(match plan.blocked() {
            Some(b) => format!("{why}; and {b}"),
            None => format!("{why} (runbooks/kms.md#insufficientencryptionpolicyexception)"),
        }),
    }
}

/// Whether a trail's `KmsKeyId` is a key of another account than the central one (a member's own key, which
/// the member can revoke): its owner, when so.
pub fn foreign_key_owner<'a>(kms_key_id: &'a str, central: &AccountId) -> Option<&'a str> {
    let owner = kms_key_id.split(':').nth(4).filter(|a| !a.is_empty())?;
    (owner != central.as_str()).then_some(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20, point 6 (KMS-9): a statement of others that denies CloudTrail's Decrypt blocks the trail in
    /// the plan, named, with the runbook's section; the same policy without it lets the trail take the key.
    #[test]
    fn a_live_deny_of_cloudtrails_decrypt_blocks_the_trail() {
        use crate::model::BucketName;
        use crate::plan::key_policy::KeyInput;
        let central: AccountId = "111111111111".parse().unwrap();
        let bucket: BucketName = "sec-log".parse().unwrap();
        let member: AccountId = "222222222222".parse().unwrap();
        let arn = TrailArn::parse("arn:aws:cloudtrail:eu-west-1:222222222222:trail/T").unwrap();
        let trails = [(member, arn.clone())];
        let input = KeyInput {
            partition: "aws",
            central: &central,
            bucket: &bucket,
            trails: &trails,
            flow_log_accounts: &[],
            org_id: None,
            prune: None,
        };
        let key = KeyInfo {
            arn: "arn:aws:kms:eu-west-1:111111111111:key/k".into(),
            id: "k".into(),
            account: central.to_string(),
            enabled: true,
            symmetric: true,
            customer_managed: true,
        };
        let root = r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}"#;
        let deny = r#"{"Sid":"NoServiceDecrypt","Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}"#;
        let plan = |live: String| KeyPlan::Use {
            key: key.clone(),
            policy: merge_key_policy(Some(&live), &input).unwrap(),
        };
        let denied = plan(format!(r#"{{"Statement":[{root},{deny}]}}"#));
        let why = trail_key(Some(&denied), &arn, None).unwrap_err();
        assert!(
            why.contains("kms:Decrypt (needed with the bucket's S3 Bucket Key) is denied by statement NoServiceDecrypt"),
            "{why}"
        );
        assert!(
            why.ends_with("(runbooks/kms.md#insufficientencryptionpolicyexception)"),
            "{why}"
        );
        let allowed = plan(format!(r#"{{"Statement":[{root}]}}"#));
        assert_eq!(
            trail_key(Some(&allowed), &arn, None),
            Ok(Some(key.arn.clone()))
        );
    }

    #[test]
    fn a_members_own_key_is_foreign() {
        let central: AccountId = "111111111111".parse().unwrap();
        let member_key =
            "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            foreign_key_owner(member_key, &central),
            Some("222222222222")
        );
        let own = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(foreign_key_owner(own, &central), None);
        assert_eq!(foreign_key_owner("1234abcd-12ab", &central), None);
    }
}
