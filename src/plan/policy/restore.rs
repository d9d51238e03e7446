//! Putting back what another writer's replacement of the bucket policy lost (pure): the policy trailhub
//! wrote, followed by every statement of the policy in force that it does not have.

use std::collections::BTreeSet;

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub policy: Value,
    /// The statements of the policy trailhub wrote that were gone: their Sids, or `statement N (no Sid)`.
    pub lost: Vec<String>,
    /// The statements of the policy in force that trailhub had not written (AWS's own `AWSLogDelivery*`,
    /// say): kept beside them, by Sid or `statement N (no Sid)`.
    pub kept: Vec<String>,
    /// Kept statements whose Sid the restored policy already had, renamed `(from, to)`: Sids must be unique
    /// in a policy, and mean nothing to S3.
    pub renamed: Vec<(String, String)>,
}

/// When `current` (the policy in force, None: no policy) lost any statement of `wrote` (the policy trailhub
/// wrote): `wrote` again, followed by every statement of `current` that `wrote` does not have, so that
/// nothing is lost either way. None when every statement of `wrote` is still there. Pure.
pub fn restore_lost(wrote: &Value, current: Option<&Value>) -> Option<Restored> {
    let listed = |p: Option<&Value>| -> Vec<Value> {
        match p.and_then(|p| p.get("Statement")) {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => vec![],
        }
    };
    let ours = listed(Some(wrote));
    let theirs = listed(current);
    let name = |s: &Value, i: usize| match s.get("Sid").and_then(Value::as_str) {
        Some(sid) => sid.to_owned(),
        None => format!("statement {} (no Sid)", i + 1),
    };
    let lost: Vec<String> = ours
        .iter()
        .enumerate()
        .filter(|(_, s)| !theirs.contains(s))
        .map(|(i, s)| name(s, i))
        .collect();
    if lost.is_empty() {
        return None;
    }
    let mut sids: BTreeSet<String> = ours
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let (mut kept, mut renamed) = (Vec::new(), Vec::new());
    let mut statements = ours.clone();
    for (i, s) in theirs.iter().enumerate() {
        if ours.contains(s) {
            continue;
        }
        let mut s = s.clone();
        if let Some(sid) = s.get("Sid").and_then(Value::as_str).map(str::to_owned) {
            if sids.contains(&sid) {
                let free = (2..)
                    .map(|n| format!("{sid}{n}"))
                    .find(|c| !sids.contains(c))
                    .expect("a free Sid");
                s["Sid"] = json!(free);
                renamed.push((sid, free.clone()));
                sids.insert(free);
            } else {
                sids.insert(sid);
            }
        }
        kept.push(name(&s, i));
        statements.push(s);
    }
    let mut policy = wrote.clone();
    policy["Statement"] = Value::Array(statements);
    Some(Restored {
        policy,
        lost,
        kept,
        renamed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_another_writer_lost_is_put_back_with_what_it_added() {
        let wrote = json!({"Version": "2012-10-17", "Id": "x", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "old"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}]});
        assert_eq!(restore_lost(&wrote, Some(&wrote)), None);
        // a statement added beside them loses nothing
        let mut more = wrote.clone();
        more["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Sid": "B"}));
        assert_eq!(restore_lost(&wrote, Some(&more)), None);
        let aws = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "new"},
            {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": "*", "Action": "s3:GetBucketAcl", "Resource": "b"}]});
        let r = restore_lost(&wrote, Some(&aws)).unwrap();
        assert_eq!(r.lost, ["A", "AWSLogDeliveryWrite", "statement 3 (no Sid)"]);
        assert_eq!(r.kept, ["AWSLogDeliveryWrite2", "AWSLogDeliveryAclCheck"]);
        assert_eq!(
            r.renamed,
            [(
                "AWSLogDeliveryWrite".to_owned(),
                "AWSLogDeliveryWrite2".to_owned()
            )]
        );
        let st = r.policy["Statement"].as_array().unwrap();
        assert_eq!(st[..3], wrote["Statement"].as_array().unwrap()[..]);
        assert_eq!(st[3]["Resource"], "new");
        assert_eq!(st[3]["Sid"], "AWSLogDeliveryWrite2");
        assert_eq!(r.policy["Id"], "x");
        // the restored policy loses nothing of either
        assert_eq!(restore_lost(&wrote, Some(&r.policy)), None);
        // no policy at all: everything was lost
        assert_eq!(restore_lost(&wrote, None).unwrap().policy, wrote);
    }
}
