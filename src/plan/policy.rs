//! The shared bucket policy (pure): build trailhub's two CloudTrail statements, merge them into the live
//! policy without touching anything else, and check the size against S3's limit.
//!
//! trailhub owns exactly two statements, found by the Sids of AWS's documentation. Every other statement is
//! kept as it was, in its order. Trail ARNs and prefixes already in the two statements are kept too (removing
//! accounts is an explicit, separate act), so a merge only ever adds.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::model::{AccountId, BucketName, KeyPrefix, TrailArn};

pub const ACL_SID: &str = "AWSCloudTrailAclCheck20150319";
pub const WRITE_SID: &str = "AWSCloudTrailWrite20150319";
pub const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
pub const SOURCE_ARN: &str = "aws:SourceArn";
pub const ACL_KEY: &str = "s3:x-amz-acl";
pub const FULL_CONTROL: &str = "bucket-owner-full-control";
/// S3 refuses bucket policies larger than 20 KB.
pub const SIZE_LIMIT: usize = 20 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error(
        "the live bucket policy is not JSON ({0}); trailhub will not replace a policy it cannot read"
    )]
    NotJson(String),
    #[error("the live bucket policy is not a JSON object")]
    NotObject,
    #[error("the live bucket policy's \"Statement\" is {0}, not a list of statements")]
    BadStatements(&'static str),
    #[error("statement {index} of the live bucket policy is not a JSON object")]
    StatementNotObject { index: usize },
    #[error(
        "the live statement {sid:?} has the Sid trailhub manages but another shape ({why}); trailhub will not change it"
    )]
    SidConflict { sid: String, why: String },
    #[error(
        "the merged bucket policy would be {size} bytes, over S3's limit of {limit} bytes: {fit} of the {accounts} accounts fit in the exact form"
    )]
    TooLarge {
        size: usize,
        limit: usize,
        accounts: usize,
        fit: usize,
    },
}

/// One trail the policy must let write: the account whose prefix it writes and its exact ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub account: AccountId,
    pub trail_arn: TrailArn,
}

/// What the policy is for: the bucket, its optional key prefix and the trails to allow.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    pub bucket: &'a BucketName,
    pub partition: &'a str,
    pub prefix: Option<&'a KeyPrefix>,
    pub entries: &'a [Entry],
}

impl PolicyInput<'_> {
    pub fn bucket_arn(&self) -> String {
        format!("arn:{}:s3:::{}", self.partition, self.bucket)
    }
    /// `arn:aws:s3:::BUCKET[/PREFIX]/AWSLogs/<account>/*`
    pub fn write_resource(&self, account: &AccountId) -> String {
        match self.prefix {
            Some(p) => format!(
                "arn:{}:s3:::{}/{}/AWSLogs/{}/*",
                self.partition, self.bucket, p, account
            ),
            None => format!(
                "arn:{}:s3:::{}/AWSLogs/{}/*",
                self.partition, self.bucket, account
            ),
        }
    }
}

/// The merged policy and what the merge did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Merged {
    #[serde(skip)]
    pub policy: Value,
    /// The minified text that would be written.
    #[serde(skip)]
    pub text: String,
    pub size: usize,
    pub changed: bool,
    /// Statements trailhub adds because they were not there.
    pub created_statements: Vec<String>,
    pub added_arns: Vec<String>,
    pub added_resources: Vec<String>,
    /// Entries already in the two statements that the config does not name: kept, not managed here.
    pub kept_arns: Vec<String>,
    pub kept_resources: Vec<String>,
    /// True when the live `Statement` was a single object and is now written as a list of one.
    pub normalized_statement_list: bool,
}

/// Parses the live policy text as S3 returns it.
pub fn parse_live(text: &str) -> Result<Value, PolicyError> {
    let v: Value = serde_json::from_str(text).map_err(|e| PolicyError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(PolicyError::NotObject);
    }
    Ok(v)
}

/// Merges trailhub's two statements for `input` into `live` (None: the bucket has no policy).
pub fn merge(live: Option<&Value>, input: &PolicyInput) -> Result<Merged, PolicyError> {
    let merged = merge_unchecked(live, input)?;
    if merged.size > SIZE_LIMIT {
        let fit = how_many_fit(live, input);
        return Err(PolicyError::TooLarge {
            size: merged.size,
            limit: SIZE_LIMIT,
            accounts: input.entries.len(),
            fit,
        });
    }
    Ok(merged)
}

fn how_many_fit(live: Option<&Value>, input: &PolicyInput) -> usize {
    let size_with = |k: usize| {
        let sub = PolicyInput {
            entries: &input.entries[..k],
            ..input.clone()
        };
        merge_unchecked(live, &sub)
            .map(|m| m.size)
            .unwrap_or(usize::MAX)
    };
    let (mut lo, mut hi) = (0, input.entries.len());
    if size_with(0) > SIZE_LIMIT {
        return 0;
    }
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if size_with(mid) <= SIZE_LIMIT {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    lo
}

fn merge_unchecked(live: Option<&Value>, input: &PolicyInput) -> Result<Merged, PolicyError> {
    let mut doc = match live {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(PolicyError::NotObject),
        None => {
            let mut m = Map::new();
            m.insert("Version".into(), json!("2012-10-17"));
            m
        }
    };
    let mut normalized = false;
    let mut statements = match doc.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => {
            normalized = true;
            vec![o]
        }
        Some(other) => return Err(PolicyError::BadStatements(json_kind(&other))),
    };
    for (index, s) in statements.iter().enumerate() {
        if !s.is_object() {
            return Err(PolicyError::StatementNotObject { index });
        }
    }

    let arns: BTreeSet<String> = input
        .entries
        .iter()
        .map(|e| e.trail_arn.to_string())
        .collect();
    let resources: BTreeSet<String> = input
        .entries
        .iter()
        .map(|e| input.write_resource(&e.account))
        .collect();
    let mut out = Merged {
        policy: Value::Null,
        text: String::new(),
        size: 0,
        changed: normalized || live.is_none(),
        created_statements: vec![],
        added_arns: vec![],
        added_resources: vec![],
        kept_arns: vec![],
        kept_resources: vec![],
        normalized_statement_list: normalized,
    };

    let bucket_arn = input.bucket_arn();
    for (sid, action) in [(ACL_SID, "s3:GetBucketAcl"), (WRITE_SID, "s3:PutObject")] {
        let is_write = sid == WRITE_SID;
        let found = statements
            .iter()
            .position(|s| s.get("Sid").and_then(Value::as_str) == Some(sid));
        let Some(i) = found else {
            if !arns.is_empty() {
                let res = if is_write {
                    list(&resources)
                } else {
                    json!(bucket_arn)
                };
                statements.push(new_statement(sid, action, res, &arns, is_write));
                out.created_statements.push(sid.to_owned());
                out.changed = true;
                if is_write {
                    out.added_resources.extend(resources.iter().cloned());
                } else {
                    out.added_arns.extend(arns.iter().cloned());
                }
            }
            continue;
        };
        let shape_err = |why: &str| PolicyError::SidConflict {
            sid: sid.to_owned(),
            why: why.to_owned(),
        };
        let Value::Object(stmt) = &mut statements[i] else {
            return Err(shape_err("not an object"));
        };
        check_shape(sid, action, stmt, is_write)?;

        // aws:SourceArn under StringEquals (the key is case-insensitive: the console writes AWS:SourceArn)
        let cond = stmt
            .get_mut("Condition")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.get_mut("StringEquals"))
            .and_then(Value::as_object_mut);
        let Some(cond) = cond else {
            return Err(shape_err("no StringEquals condition"));
        };
        let key = cond
            .keys()
            .find(|k| k.eq_ignore_ascii_case(SOURCE_ARN))
            .cloned()
            .unwrap_or_else(|| SOURCE_ARN.to_owned());
        let (value, added, kept) = union(cond.get(&key), &arns);
        if let Some(v) = value {
            cond.insert(key, v);
            out.changed = true;
        }
        if !is_write {
            out.added_arns = added;
            out.kept_arns = kept;
            let (value, _, _) = union(stmt.get("Resource"), &BTreeSet::from([bucket_arn.clone()]));
            if let Some(v) = value {
                stmt.insert("Resource".into(), v);
                out.changed = true;
            }
        } else {
            let (value, added, kept) = union(stmt.get("Resource"), &resources);
            if let Some(v) = value {
                stmt.insert("Resource".into(), v);
                out.changed = true;
            }
            out.added_resources = added;
            out.kept_resources = kept;
        }
    }
    doc.insert("Statement".into(), Value::Array(statements));
    let policy = Value::Object(doc);
    let text = policy.to_string();
    out.size = text.len();
    out.changed = out.changed || live != Some(&policy);
    out.policy = policy;
    out.text = text;
    Ok(out)
}

fn new_statement(
    sid: &str,
    action: &str,
    resource: Value,
    arns: &BTreeSet<String>,
    is_write: bool,
) -> Value {
    let mut equals = Map::new();
    equals.insert(SOURCE_ARN.into(), list(arns));
    if is_write {
        equals.insert(ACL_KEY.into(), json!(FULL_CONTROL));
    }
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": CLOUDTRAIL},
        "Action": action,
        "Resource": resource,
        "Condition": {"StringEquals": Value::Object(equals)},
    })
}

fn list(items: &BTreeSet<String>) -> Value {
    Value::Array(items.iter().map(|s| json!(s)).collect())
}

/// The union of a live string-or-list value with `want`. Returns the new value (None when `want` adds
/// nothing, so the live form, string or list, stays as it was), what was added and what was there but
/// is not wanted.
fn union(
    live: Option<&Value>,
    want: &BTreeSet<String>,
) -> (Option<Value>, Vec<String>, Vec<String>) {
    let have: BTreeSet<String> = strings(live).into_iter().collect();
    let added: Vec<String> = want.difference(&have).cloned().collect();
    let kept: Vec<String> = have.difference(want).cloned().collect();
    if added.is_empty() {
        return (None, added, kept);
    }
    let all: BTreeSet<String> = have.union(want).cloned().collect();
    (Some(list(&all)), added, kept)
}

/// A string or a list of strings, as policy fields are.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A statement with one of trailhub's Sids must be the statement trailhub would write, give or take the
/// entries of its lists and extra conditions (which are kept and, being ANDed, can only narrow it).
fn check_shape(
    sid: &str,
    action: &str,
    stmt: &Map<String, Value>,
    is_write: bool,
) -> Result<(), PolicyError> {
    let conflict = |why: &str| {
        Err(PolicyError::SidConflict {
            sid: sid.to_owned(),
            why: why.to_owned(),
        })
    };
    if stmt.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return conflict("its Effect is not Allow");
    }
    for k in ["NotPrincipal", "NotAction", "NotResource"] {
        if stmt.contains_key(k) {
            return conflict(&format!("it uses {k}"));
        }
    }
    let service = stmt
        .get("Principal")
        .and_then(Value::as_object)
        .filter(|p| p.len() == 1)
        .map(|p| strings(p.get("Service")));
    if service.as_deref() != Some(&[CLOUDTRAIL.to_owned()]) {
        return conflict("its Principal is not {\"Service\": \"cloudtrail.amazonaws.com\"}");
    }
    if strings(stmt.get("Action")) != [action] {
        return conflict(&format!("its Action is not {action}"));
    }
    if stmt
        .get("Resource")
        .is_some_and(|r| !matches!(r, Value::String(_) | Value::Array(_)))
    {
        return conflict("its Resource is not a string or a list");
    }
    let equals = stmt
        .get("Condition")
        .and_then(Value::as_object)
        .and_then(|c| c.get("StringEquals"))
        .and_then(Value::as_object);
    let Some(equals) = equals else {
        return conflict(
            "it has no StringEquals condition on aws:SourceArn: adding one would cut off every trail it allows now",
        );
    };
    if !equals.keys().any(|k| k.eq_ignore_ascii_case(SOURCE_ARN)) {
        return conflict(
            "it has no StringEquals condition on aws:SourceArn: adding one would cut off every trail it allows now",
        );
    }
    if is_write {
        let acl = equals
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(ACL_KEY))
            .map(|(_, v)| strings(Some(v)));
        if acl.as_deref() != Some(&[FULL_CONTROL.to_owned()]) {
            return conflict("its s3:x-amz-acl condition is not bucket-owner-full-control");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(ids: &[&str]) -> Vec<Entry> {
        let region = "ap-northeast-2".parse().unwrap();
        ids.iter()
            .map(|id| {
                let account: AccountId = id.parse().unwrap();
                let name = format!("T{id}").parse().unwrap();
                Entry {
                    trail_arn: TrailArn::new(&region, &account, &name),
                    account,
                }
            })
            .collect()
    }

    fn input<'a>(
        bucket: &'a BucketName,
        prefix: Option<&'a KeyPrefix>,
        e: &'a [Entry],
    ) -> PolicyInput<'a> {
        PolicyInput {
            bucket,
            partition: "aws",
            prefix,
            entries: e,
        }
    }

    #[test]
    fn fresh_policy_snapshot() {
        let b: BucketName = "sec-log".parse().unwrap();
        let p: KeyPrefix = "org".parse().unwrap();
        let e = entries(&["222222222222", "111111111111"]);
        let m = merge(None, &input(&b, Some(&p), &e)).unwrap();
        insta::assert_json_snapshot!(m.policy);
        assert!(m.changed);
        assert_eq!(m.created_statements, [ACL_SID, WRITE_SID]);
    }

    #[test]
    fn merge_keeps_foreign_statements_and_console_entries() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Version":"2012-10-17","Id":"x","Statement":[
          {"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::sec-log","arn:aws:s3:::sec-log/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
          {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old"}}},
          {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/999999999999/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:us-east-1:999999999999:trail/old","s3:x-amz-acl":"bucket-owner-full-control"}}},
          {"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::sec-log/*"}]}"#).unwrap();
        let e = entries(&["222222222222"]);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        let st = m.policy["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 4, "extended in place, not duplicated");
        assert_eq!(st[0], live["Statement"][0]);
        assert_eq!(st[3], live["Statement"][3]);
        assert_eq!(m.policy["Id"], "x");
        assert_eq!(
            st[1]["Condition"]["StringEquals"]["AWS:SourceArn"],
            json!([
                "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/T222222222222",
                "arn:aws:cloudtrail:us-east-1:999999999999:trail/old"
            ])
        );
        assert_eq!(
            m.kept_arns,
            ["arn:aws:cloudtrail:us-east-1:999999999999:trail/old"]
        );
        assert_eq!(
            m.kept_resources,
            ["arn:aws:s3:::sec-log/AWSLogs/999999999999/*"]
        );
        assert_eq!(
            m.added_resources,
            ["arn:aws:s3:::sec-log/AWSLogs/222222222222/*"]
        );

        // merging again changes nothing
        let again = merge(Some(&m.policy), &input(&b, None, &e)).unwrap();
        assert!(!again.changed);
        assert_eq!(again.policy, m.policy);
    }

    #[test]
    fn single_statement_object_is_normalized() {
        let b: BucketName = "sec-log".parse().unwrap();
        let live = parse_live(r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::sec-log"}}"#).unwrap();
        let e = entries(&["222222222222"]);
        let m = merge(Some(&live), &input(&b, None, &e)).unwrap();
        assert!(m.normalized_statement_list);
        assert_eq!(m.policy["Statement"][0], live["Statement"]);
    }

    #[test]
    fn bad_live_policies_are_errors() {
        assert!(matches!(
            parse_live("{not json"),
            Err(PolicyError::NotJson(_))
        ));
        assert_eq!(parse_live("[]"), Err(PolicyError::NotObject));
        let b: BucketName = "sec-log".parse().unwrap();
        let e = entries(&["222222222222"]);
        let m = |t: &str| merge(Some(&parse_live(t).unwrap()), &input(&b, None, &e));
        assert_eq!(
            m(r#"{"Statement":"x"}"#),
            Err(PolicyError::BadStatements("a string"))
        );
        assert_eq!(
            m(r#"{"Statement":[1]}"#),
            Err(PolicyError::StatementNotObject { index: 0 })
        );
        assert!(matches!(
            m(
                r#"{"Statement":[{"Sid":"AWSCloudTrailWrite20150319","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}"#
            ),
            Err(PolicyError::SidConflict { .. })
        ));
        assert!(matches!(
            m(
                r#"{"Statement":[{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::sec-log"}]}"#
            ),
            Err(PolicyError::SidConflict { .. })
        ));
    }

    #[test]
    fn too_large_says_how_many_fit() {
        let b: BucketName = "sec-log".parse().unwrap();
        let ids: Vec<String> = (0..200)
            .map(|i| format!("{:012}", 100000000000u64 + i))
            .collect();
        let e = entries(&ids.iter().map(String::as_str).collect::<Vec<_>>());
        let err = merge(None, &input(&b, None, &e)).unwrap_err();
        let PolicyError::TooLarge { fit, accounts, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(accounts, 200);
        assert!((80..120).contains(&fit), "{fit}");
        assert!(merge(None, &input(&b, None, &e[..fit])).is_ok());
        assert!(merge(None, &input(&b, None, &e[..fit + 1])).is_err());
    }
}
