//! A saved plan (`plan --out FILE`, read back by `apply FILE`): the plan, the run's options and a fingerprint
//! of what it was made from, and the comparison that tells `apply` what changed since (pure; the file is
//! read and written by `commands`). Its format is documented in docs/json.md#the-plan-file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::plan::{AccountState, BucketState, Plan};

/// The version of the plan file this trailhub writes and reads.
pub const VERSION: u32 = 1;

/// What `plan --out` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`VERSION`]: a trailhub reads only its own version.
    pub version: u32,
    /// The trailhub that wrote it (`CARGO_PKG_VERSION`).
    pub trailhub: String,
    /// When it was written, RFC 3339 to the second, UTC.
    pub created: String,
    pub central: SavedCentral,
    /// The options the plan was made with; `apply FILE` runs with the same.
    pub options: SavedOptions,
    /// What the plan was made from, each part hashed.
    pub fingerprint: Fingerprint,
    /// SHA-256 of the plan's own serialization: `apply FILE` makes the plan again from what it observes
    /// and goes ahead only when it is this one.
    pub plan_sha256: String,
    /// The plan, as `plan --format json` prints it (for a reviewer, and for the record).
    pub plan: Value,
}

/// The central account, bucket and region the plan is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCentral {
    pub account_id: String,
    pub bucket: String,
    pub region: String,
}

/// The options of the run that made the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// `--prune`.
    pub prune: bool,
    /// `--account`: the accounts the run was limited to (empty: every account in scope).
    pub accounts: Vec<String>,
}

/// What a plan was made from, each part as the SHA-256 of its contents (`sha256:<hex>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The accounts file as parsed (and `--region`).
    pub config: String,
    /// Whether the bucket exists, its Block Public Access, versioning, encryption, retention and logging.
    pub bucket: String,
    /// The bucket policy as S3 returned it; None: the bucket has none.
    pub bucket_policy: Option<String>,
    /// The KMS key (`kms_key`) and its key policy; None: no key configured.
    pub key_policy: Option<String>,
    /// The resource control policies in force and each account's organization, where read.
    pub organizations: String,
    /// Each account in scope: its trails (their settings, logging and event selectors), log groups, roles,
    /// VPCs and flow logs; `unreachable` for one that could not be read.
    pub accounts: BTreeMap<String, String>,
}

/// `sha256:<hex>` of `text`.
pub fn sha256(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// The SHA-256 of the plan's serialization, for [`SavedPlan::plan_sha256`].
pub fn plan_sha256(plan: &Plan) -> serde_json::Result<String> {
    Ok(sha256(&serde_json::to_string(plan)?))
}

impl Fingerprint {
    /// The fingerprint of a plan's inputs: the config, the bucket as read (`bucket`, and `live`, its policy),
    /// and each account's state.
    pub fn of<'a>(
        cfg: &Config,
        bucket: &BucketState,
        live: Option<&str>,
        states: impl IntoIterator<Item = (&'a str, &'a AccountState)>,
    ) -> Fingerprint {
        let mut config = cfg.clone();
        config.path = Default::default();
        config.members.only = None;
        let key = bucket.key.as_ref().map(|k| sha256(&format!("{k:?}")));
        Fingerprint {
            config: sha256(&format!("{config:?}")),
            bucket: sha256(&format!(
                "{:?}|{:?}|{:?}",
                bucket.exists, bucket.guards, bucket.settings
            )),
            bucket_policy: live.map(sha256),
            key_policy: key,
            organizations: sha256(&format!("{:?}", bucket.organizations)),
            accounts: states
                .into_iter()
                .map(|(id, s)| (id.to_owned(), account_sha256(s)))
                .collect(),
        }
    }

    /// What differs between the fingerprint a plan was saved with (`self`) and the one of now, in words,
    /// one line each; empty when nothing does.
    pub fn changes_since(&self, now: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        let mut part = |then: &str, now: &str, what: &str| {
            if then != now {
                out.push(what.to_owned());
            }
        };
        part(
            &self.config,
            &now.config,
            "the accounts file (or --region) changed",
        );
        part(
            &self.bucket,
            &now.bucket,
            "the bucket's settings changed (its existence, Block Public Access, versioning, encryption, retention or access logging)",
        );
        out.extend(document(
            "the bucket policy",
            self.bucket_policy.as_deref(),
            now.bucket_policy.as_deref(),
        ));
        out.extend(document(
            "the KMS key or its key policy",
            self.key_policy.as_deref(),
            now.key_policy.as_deref(),
        ));
        if self.organizations != now.organizations {
            out.push(
                "the resource control policies in force, or an account's organization, changed"
                    .into(),
            );
        }
        for (id, then) in &self.accounts {
            match now.accounts.get(id) {
                None => out.push(format!("account {id} is no longer in scope")),
                Some(h) if h != then => out.push(format!(
                    "account {id}: its trails, event selectors, log groups, roles or flow logs changed"
                )),
                Some(_) => {}
            }
        }
        for id in now.accounts.keys() {
            if !self.accounts.contains_key(id) {
                out.push(format!("account {id} is new in scope"));
            }
        }
        out
    }
}

/// How a policy document changed: created, deleted or changed (with both hashes), or None.
fn document(what: &str, then: Option<&str>, now: Option<&str>) -> Option<String> {
    match (then, now) {
        (a, b) if a == b => None,
        (None, Some(_)) => Some(format!("{what} was created")),
        (Some(_), None) => Some(format!("{what} was deleted")),
        (Some(a), Some(b)) => Some(format!("{what} changed ({} -> {})", short(a), short(b))),
        (None, None) => None,
    }
}

/// `sha256:0123456789ab`: enough of a hash to tell two apart in a message.
fn short(hash: &str) -> &str {
    hash.get(..19).unwrap_or(hash)
}

/// An account's state, hashed: what the plan reads of it (its trails with their logging and selectors, its
/// log deliveries), not the times of the last delivery, which move on their own.
fn account_sha256(state: &AccountState) -> String {
    match state {
        AccountState::Observed {
            trail,
            is_logging,
            selectors,
            others,
            delivery,
        } => {
            let others: Vec<_> = others
                .iter()
                .map(|o| (&o.trail, o.status.is_logging, &o.selectors))
                .collect();
            sha256(&format!(
                "{trail:?}|{is_logging}|{selectors:?}|{others:?}|{delivery:?}"
            ))
        }
        AccountState::Failed(_) => "unreachable".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(accounts: &[(&str, &str)]) -> Fingerprint {
        Fingerprint {
            config: sha256("c"),
            bucket: sha256("b"),
            bucket_policy: Some(sha256("{}")),
            key_policy: None,
            organizations: sha256("o"),
            accounts: accounts
                .iter()
                .map(|(a, h)| (a.to_string(), sha256(h)))
                .collect(),
        }
    }

    #[test]
    fn the_same_fingerprint_has_no_changes() {
        let f = print(&[("222222222222", "x")]);
        assert!(f.changes_since(&f.clone()).is_empty());
    }

    #[test]
    fn each_change_is_named() {
        let then = print(&[("222222222222", "x"), ("333333333333", "y")]);
        let mut now = print(&[("222222222222", "x2"), ("444444444444", "z")]);
        now.bucket_policy = Some(sha256("{\"Statement\":[]}"));
        now.key_policy = Some(sha256("k"));
        let changes = now_changes(&then, &now);
        assert_eq!(
            changes,
            [
                format!(
                    "the bucket policy changed ({} -> {})",
                    short(&sha256("{}")),
                    short(&sha256("{\"Statement\":[]}"))
                ),
                "the KMS key or its key policy was created".to_owned(),
                "account 222222222222: its trails, event selectors, log groups, roles or flow logs changed"
                    .to_owned(),
                "account 333333333333 is no longer in scope".to_owned(),
                "account 444444444444 is new in scope".to_owned(),
            ]
        );
    }

    fn now_changes(then: &Fingerprint, now: &Fingerprint) -> Vec<String> {
        then.changes_since(now)
    }

    #[test]
    fn a_saved_plan_reads_back_as_written() {
        let saved = SavedPlan {
            version: VERSION,
            trailhub: "0.1.0".into(),
            created: "2026-12-07T22:00:00Z".into(),
            central: SavedCentral {
                account_id: "111111111111".into(),
                bucket: "sec-log".into(),
                region: "ap-northeast-2".into(),
            },
            options: SavedOptions {
                prune: false,
                accounts: vec!["222222222222".into()],
            },
            fingerprint: print(&[("222222222222", "x")]),
            plan_sha256: sha256("plan"),
            plan: serde_json::json!({"bucket": "sec-log"}),
        };
        let text = serde_json::to_string_pretty(&saved).unwrap();
        assert_eq!(serde_json::from_str::<SavedPlan>(&text).unwrap(), saved);
        assert!(text.contains("\"version\": 1"), "{text}");
    }
}
