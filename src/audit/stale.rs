//! The stale-entry scan (pure): the values in trailhub's statements of the bucket policy (CloudTrail's and
//! delivery.logs', the ones `--prune` takes entries out of) that still name an account no longer in scope.

use std::collections::BTreeSet;

use serde_json::Value;

use super::StaleEntry;
use crate::model::is_account_id;
use crate::plan::document::{statements, strings};
use crate::plan::policy::{LOG_WRITE_SID, OWN_WRITE_SID, SOURCE_ACCOUNT, SOURCE_ARN, WRITE_SID};
use crate::plan::prune::MANAGED;

/// The account a policy value belongs to: the account of a trail ARN, or the first 12-digit segment
/// after `AWSLogs/` of a Resource (so `AWSLogs/<org-id>/<account>/*` names the account too).
fn account_of(field: &str, value: &str) -> Option<String> {
    let is_id = is_account_id;
    if field == SOURCE_ARN {
        return value
            .split(':')
            .nth(4)
            .filter(|a| is_id(a))
            .map(str::to_owned);
    }
    if field == SOURCE_ACCOUNT {
        return Some(value.to_owned()).filter(|a| is_id(a));
    }
    let (_, rest) = value.split_once("AWSLogs/")?;
    rest.split('/')
        .take(2)
        .find(|s| is_id(s))
        .map(str::to_owned)
}

/// Source ARNs and accounts (`aws:SourceArn`, `aws:SourceAccount`, keys matched case-insensitively, under
/// any condition operator) of trailhub's statements, and prefixes in the write statements' Resource, that
/// belong to an account not in `in_scope`, sorted.
pub(super) fn stale_entries(policy: &Value, in_scope: &BTreeSet<String>) -> Vec<StaleEntry> {
    let mut out = BTreeSet::new();
    for s in statements(policy) {
        let Some(sid) = s.get("Sid").and_then(Value::as_str) else {
            continue;
        };
        if !MANAGED.contains(&sid) {
            continue;
        }
        let is_write = [WRITE_SID, OWN_WRITE_SID, LOG_WRITE_SID].contains(&sid);
        let mut values: Vec<(&str, String)> = Vec::new();
        if let Some(Value::Object(ops)) = s.get("Condition") {
            for keys in ops.values().filter_map(Value::as_object) {
                for (k, v) in keys {
                    // every form trailhub writes: trail ARNs, account patterns (ArnLike) and account IDs
                    for key in [SOURCE_ARN, SOURCE_ACCOUNT] {
                        if k.eq_ignore_ascii_case(key) {
                            values.extend(strings(Some(v)).into_iter().map(|x| (key, x)));
                        }
                    }
                }
            }
        }
        if values.is_empty() {
            // the console's old default (no source condition) is not trailhub's statement
            continue;
        }
        if is_write {
            values.extend(
                strings(s.get("Resource"))
                    .into_iter()
                    .map(|x| ("Resource", x)),
            );
        }
        for (field, value) in values {
            if let Some(account) = account_of(field, &value)
                && !in_scope.contains(&account)
            {
                out.insert(StaleEntry {
                    account,
                    statement: sid.to_owned(),
                    field: field.to_owned(),
                    value,
                });
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::*;
    use crate::plan::policy::{ACL_SID, LOG_ACL_SID};
    use serde_json::json;

    #[test]
    fn stale_entries_from_both_statements() {
        let p = policy(&[
            (DEV, DEV_ARN),
            (
                "999999999999",
                "arn:aws:cloudtrail:ap-northeast-2:999999999999:trail/OLD",
            ),
        ]);
        let in_scope = BTreeSet::from(["111111111111".to_owned(), DEV.to_owned()]);
        let stale = stale_entries(&p, &in_scope);
        let got: Vec<(&str, &str, &str)> = stale
            .iter()
            .map(|e| (e.account.as_str(), e.statement.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("999999999999", ACL_SID, SOURCE_ARN),
                ("999999999999", WRITE_SID, "Resource"),
                ("999999999999", WRITE_SID, SOURCE_ARN),
            ]
        );
        // other statements, org-form prefixes of in-scope accounts and non-account values are ignored
        let other = json!({"Statement": [
            {"Sid": "Mine", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::sec-log/AWSLogs/999999999999/*"},
            {"Sid": WRITE_SID, "Resource": ["arn:aws:s3:::sec-log/AWSLogs/o-abc/222222222222/*",
                "arn:aws:s3:::sec-log/AWSLogs/o-abc/*"]}]});
        assert!(stale_entries(&other, &in_scope).is_empty());
    }

    #[test]
    fn stale_entries_in_the_account_forms() {
        let p = json!({"Statement": [
            {"Sid": ACL_SID, "Condition": {"StringEquals": {"aws:SourceAccount": ["111111111111", "999999999999"]}}},
            {"Sid": WRITE_SID, "Resource": "arn:aws:s3:::b/AWSLogs/*",
             "Condition": {"ArnLike": {"aws:SourceArn": ["arn:aws:cloudtrail:*:888888888888:trail/*"]}}}
        ]});
        let in_scope: BTreeSet<String> = ["111111111111".to_owned()].into();
        let got: Vec<String> = stale_entries(&p, &in_scope)
            .into_iter()
            .map(|e| e.account)
            .collect();
        assert_eq!(got, ["888888888888", "999999999999"]);
    }

    /// delivery.logs' statements are trailhub's too: an account whose flow logs left still has entries.
    #[test]
    fn stale_entries_in_the_flow_log_statements() {
        let p = json!({"Statement": [
            {"Sid": LOG_ACL_SID, "Condition": {"StringEquals": {"aws:SourceAccount": ["111111111111", "777777777777"]}}},
            {"Sid": LOG_WRITE_SID, "Resource": ["arn:aws:s3:::b/AWSLogs/777777777777/*"],
             "Condition": {"ArnLike": {"aws:SourceArn": ["arn:aws:logs:ap-northeast-2:777777777777:*"]}}}
        ]});
        let in_scope: BTreeSet<String> = ["111111111111".to_owned()].into();
        let got: Vec<(String, String)> = stale_entries(&p, &in_scope)
            .into_iter()
            .map(|e| (e.statement, e.field))
            .collect();
        assert_eq!(
            got,
            [
                (LOG_ACL_SID.to_owned(), SOURCE_ACCOUNT.to_owned()),
                (LOG_WRITE_SID.to_owned(), "Resource".to_owned()),
                (LOG_WRITE_SID.to_owned(), SOURCE_ARN.to_owned()),
            ]
        );
    }
}
