//! `--prune` (pure): the entries of trailhub's own statements that name an account no longer in scope (it
//! left the organization, was closed or suspended, was excluded, or left accounts.toml), taken out of the live
//! bucket policy before the merge, so that the merge no longer keeps them. Only the Allow statements trailhub
//! manages (the CloudTrail and delivery.logs ACL and write statements, with a source condition) are touched;
//! every other statement, and any value trailhub cannot tie to one account (a wildcard, an organization), is
//! left as it is.

use std::collections::BTreeSet;

use serde_json::Value;

use super::policy::{ACL_SID, OWN_ACL_SID, OWN_WRITE_SID, WRITE_SID};
use super::policy::{LOG_ACL_SID, LOG_WRITE_SID};
use crate::model::AccountId;

/// trailhub's statements of the bucket policy: CloudTrail's and delivery.logs'.
pub(crate) const MANAGED: [&str; 6] = [
    ACL_SID,
    WRITE_SID,
    OWN_ACL_SID,
    OWN_WRITE_SID,
    LOG_ACL_SID,
    LOG_WRITE_SID,
];
const SOURCE_KEYS: [&str; 2] = ["aws:SourceArn", "aws:SourceAccount"];

/// Whose entries are taken out of trailhub's statements (not from the file: `--prune` or `offboard`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Prune {
    /// Every entry is kept: a merge only adds.
    #[default]
    Off,
    /// `--prune`: the entries of every account out of scope. The set: accounts kept although they are not
    /// targets (in scope, but left out for a name that makes no trail name: their trail, if one was made
    /// before, still writes).
    OutOfScope(BTreeSet<String>),
    /// `offboard ACCOUNT_ID`: this account's entries, and no other's.
    Account(AccountId),
}

impl Prune {
    /// `--prune` given or not.
    pub fn from_flag(prune: bool) -> Prune {
        if prune {
            Prune::OutOfScope(BTreeSet::new())
        } else {
            Prune::Off
        }
    }

    /// The accounts whose entries go, given the accounts in scope; None with `Off`.
    pub fn resolve<'a>(&'a self, in_scope: &'a BTreeSet<String>) -> Option<Gone<'a>> {
        match self {
            Prune::Off => None,
            Prune::OutOfScope(kept) => Some(Gone::NotIn { in_scope, kept }),
            Prune::Account(a) => Some(Gone::Only(a.as_str())),
        }
    }

    /// `--prune` keeping, besides the accounts in scope, these (in scope but unworkable).
    pub fn keeping(&self, unworkable: impl IntoIterator<Item = String>) -> Prune {
        match self {
            Prune::OutOfScope(kept) => {
                Prune::OutOfScope(kept.iter().cloned().chain(unworkable).collect())
            }
            other => other.clone(),
        }
    }
}

/// The accounts whose entries go.
#[derive(Debug, Clone, Copy)]
pub enum Gone<'a> {
    /// Every account but those in scope and those kept.
    NotIn {
        in_scope: &'a BTreeSet<String>,
        kept: &'a BTreeSet<String>,
    },
    /// This one account.
    Only(&'a str),
}

impl Gone<'_> {
    pub fn contains(&self, account: &str) -> bool {
        match self {
            Gone::NotIn { in_scope, kept } => {
                !in_scope.contains(account) && !kept.contains(account)
            }
            Gone::Only(a) => *a == account,
        }
    }
}

/// The live policy without the entries naming the accounts that are `gone`, and those entries. A statement
/// left with no source or no resource is taken out whole (the merge writes it again for the accounts in
/// scope).
pub fn prune(live: &Value, gone: Gone) -> (Value, Vec<String>) {
    let mut out = live.clone();
    let mut removed = Vec::new();
    let Some(stmts) = out.get_mut("Statement").and_then(Value::as_array_mut) else {
        return (out, removed);
    };
    let gone = |v: &str| account_named(v).is_some_and(|a| gone.contains(a));
    stmts.retain_mut(|s| {
        if !is_managed(s) {
            return true;
        }
        let mut empty = false;
        if let Some(ops) = s.get_mut("Condition").and_then(Value::as_object_mut) {
            for block in ops.values_mut().filter_map(Value::as_object_mut) {
                for key in SOURCE_KEYS {
                    if let Some(v) = block.get_mut(key) {
                        empty |= filter(v, &gone, &mut removed);
                    }
                }
            }
        }
        if let Some(r) = s.get_mut("Resource") {
            empty |= filter(r, &gone, &mut removed);
        }
        !empty
    });
    // the ACL and write statements name the same trails: each entry once
    let mut seen = BTreeSet::new();
    removed.retain(|r| seen.insert(r.clone()));
    (out, removed)
}

/// One of trailhub's Allow statements with a source condition (the console's old default without one is
/// not trailhub's to change).
fn is_managed(s: &Value) -> bool {
    let sid = s.get("Sid").and_then(Value::as_str).unwrap_or_default();
    let has_source = s
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|ops| {
            ops.values()
                .filter_map(Value::as_object)
                .any(|b| SOURCE_KEYS.iter().any(|k| b.contains_key(*k)))
        });
    MANAGED.contains(&sid) && s.get("Effect").and_then(Value::as_str) == Some("Allow") && has_source
}

/// Drops the values `gone` says, from a string or a list; true when nothing is left.
fn filter(v: &mut Value, gone: &impl Fn(&str) -> bool, removed: &mut Vec<String>) -> bool {
    match v {
        Value::String(s) if gone(s) => {
            removed.push(s.clone());
            true
        }
        Value::Array(items) => {
            items.retain(|i| match i.as_str() {
                Some(s) if gone(s) => {
                    removed.push(s.to_owned());
                    false
                }
                _ => true,
            });
            items.is_empty()
        }
        _ => false,
    }
}

/// The one account a value names: an account ID, the account of an ARN (`arn:p:service:region:ACCOUNT:...`),
/// or the account folder of a log prefix (`.../AWSLogs/[o-org/]ACCOUNT/...`); None for anything else.
fn account_named(v: &str) -> Option<&str> {
    let is_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_id(v) {
        return Some(v);
    }
    if let Some((_, rest)) = v.split_once("/AWSLogs/") {
        let mut parts = rest.split('/');
        let first = parts.next()?;
        // a Hive-compatible flow-log folder: `AWSLogs/aws-account-id=<id>/` (DL-6)
        let first = first.strip_prefix("aws-account-id=").unwrap_or(first);
        let account = if first.starts_with("o-") {
            parts.next()?
        } else {
            first
        };
        return is_id(account).then_some(account);
    }
    let account = v.strip_prefix("arn:")?.split(':').nth(3)?;
    is_id(account).then_some(account)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_trailhubs_entries_of_accounts_out_of_scope_go() {
        let live = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": OWN_WRITE_SID, "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject",
             "Resource": ["arn:aws:s3:::b/AWSLogs/222222222222/*", "arn:aws:s3:::b/AWSLogs/999999999999/*"],
             "Condition": {"StringEquals": {"aws:SourceArn": [
                 "arn:aws:cloudtrail:eu-west-1:222222222222:trail/t", "arn:aws:cloudtrail:eu-west-1:999999999999:trail/t"]}}},
            {"Sid": LOG_ACL_SID, "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::b",
             "Condition": {"StringEquals": {"aws:SourceAccount": ["999999999999"]}}},
            {"Sid": "Team", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/AWSLogs/999999999999/*"},
            {"Sid": ACL_SID, "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::b"}
        ]});
        let in_scope = BTreeSet::from(["222222222222".to_owned()]);
        let (pruned, removed) = prune(
            &live,
            Gone::NotIn {
                in_scope: &in_scope,
                kept: &BTreeSet::new(),
            },
        );
        assert_eq!(
            removed,
            [
                "arn:aws:cloudtrail:eu-west-1:999999999999:trail/t",
                "arn:aws:s3:::b/AWSLogs/999999999999/*",
                "999999999999"
            ]
        );
        let stmts = pruned["Statement"].as_array().unwrap();
        // the delivery.logs statement had no account left: out whole; the team's and the legacy one stay
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[1], live["Statement"][2]);
        assert_eq!(stmts[2], live["Statement"][3]);
        assert_eq!(
            stmts[0]["Resource"],
            json!(["arn:aws:s3:::b/AWSLogs/222222222222/*"])
        );
        // nothing out of scope: nothing changes
        let all = BTreeSet::from(["222222222222".to_owned(), "999999999999".to_owned()]);
        assert_eq!(
            prune(
                &live,
                Gone::NotIn {
                    in_scope: &all,
                    kept: &BTreeSet::new()
                }
            ),
            (live.clone(), vec![])
        );
        // offboard: one account's entries, whatever the scope
        let (_, removed) = prune(&live, Gone::Only("222222222222"));
        assert_eq!(
            removed,
            [
                "arn:aws:cloudtrail:eu-west-1:222222222222:trail/t",
                "arn:aws:s3:::b/AWSLogs/222222222222/*"
            ]
        );
    }

    #[test]
    fn what_a_value_names() {
        assert_eq!(account_named("123456789012"), Some("123456789012"));
        assert_eq!(
            account_named("arn:aws:cloudtrail:*:123456789012:trail/*"),
            Some("123456789012")
        );
        assert_eq!(
            account_named("arn:aws:s3:::b/p/AWSLogs/o-abc1234567/123456789012/*"),
            Some("123456789012")
        );
        assert_eq!(account_named("arn:aws:s3:::b/AWSLogs/*"), None);
        assert_eq!(
            account_named("arn:aws:s3:::b/AWSLogs/aws-account-id=222222222222/*"),
            Some("222222222222")
        );
        assert_eq!(account_named("arn:aws:cloudtrail:*:*:trail/*"), None);
        assert_eq!(account_named("o-abc1234567"), None);
    }
}
